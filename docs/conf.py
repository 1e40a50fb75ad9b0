"""Sphinx configuration: Markdown pages (MyST) and numpydoc API docs."""
import segmetrics

project = "segmetrics"
author = "the segmetrics developers"
release = version = segmetrics.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "numpydoc",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
myst_enable_extensions = ["dollarmath"]
myst_heading_anchors = 3
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
exclude_patterns = ["_build", "_static/**.md"]  # result tables that pages include
html_theme = "alabaster"
