"""Sphinx configuration: Markdown pages (MyST) and numpydoc API docs.

The checkout's own package is documented (not whichever segmetrics is installed), and
the optional stacks that an adapter module imports at its top are mocked when absent,
so the docs build on a machine without them.
"""
import importlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import segmetrics  # noqa: E402


def _absent(module):
    try:
        importlib.import_module(module)
    except ImportError:
        return True
    return False


project = "segmetrics"
author = "the segmetrics developers"
release = version = segmetrics.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "numpydoc",
]
autodoc_mock_imports = [module for module in ("jax",) if _absent(module)]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
myst_enable_extensions = ["dollarmath"]
myst_heading_anchors = 3
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
exclude_patterns = ["_build", "_static/**.md"]  # result tables that pages include
html_theme = "alabaster"
