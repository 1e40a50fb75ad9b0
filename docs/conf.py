"""Sphinx configuration: Markdown pages (MyST) and numpydoc API docs.

The checkout's own package is documented (not whichever segmetrics is installed), and
the optional stacks that an adapter module imports at its top are mocked when absent,
so the docs build on a machine without them. Cross-references to NumPy, SciPy, PyTorch
and Python resolve through the small local inventories in ``_inventories/`` (see
``_inventories/make_inventories.py``), so the build never needs the network and
``sphinx -W -n`` (nitpicky) passes.
"""
import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

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
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
]
# segmetrics.torch and segmetrics.jax import their framework at the top
autodoc_mock_imports = [module for module in ("jax", "torch") if _absent(module)]
# The numpydoc sections carry the types; the annotations (strict mypy) would repeat them
# in every signature, with private aliases and TYPE_CHECKING-only names that have no
# documentation target.
autodoc_typehints = "none"
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
myst_enable_extensions = ["dollarmath"]
myst_heading_anchors = 3
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# Link the types in Parameters/Returns that have a target: numpydoc's standard words
# (int, float, ndarray, array_like, ...) and the aliases below; any other word stays text.
numpydoc_xref_param_type = True
numpydoc_xref_ignore = "all"
numpydoc_xref_aliases = {
    "Counts": "segmetrics.from_counts.Counts",
}
exclude_patterns = ["_build", "_static/**.md", "_inventories"]  # _static: tables pages include
html_theme = "alabaster"

_INVENTORIES = HERE / "_inventories"
intersphinx_mapping = {
    name: (url, str(_INVENTORIES / name / "objects.inv"))
    for name, url in (
        ("python", "https://docs.python.org/3/"),
        ("numpy", "https://numpy.org/doc/stable/"),
        ("scipy", "https://docs.scipy.org/doc/scipy/"),
        ("torch", "https://docs.pytorch.org/docs/stable/"),
    )
}

nitpick_ignore = [
    # private tuning constants named in the docstring of runners.run_auto: no public target
    ("py:data", "_AUTO_PROBE_CASES"),
    ("py:data", "_AUTO_POOL_MAX_VOXELS"),
    ("py:data", "_AUTO_POOL_SECONDS"),
]
