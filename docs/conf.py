"""Sphinx configuration: Markdown pages (MyST) and numpydoc API docs.

The checkout's own package is documented (not whichever segmetrics is installed), and
the optional stacks that an adapter module imports at its top are mocked when absent,
so the docs build on a machine without them (only Sphinx, its extensions and the core
dependencies; the compiled extension is not needed either). Cross-references to NumPy,
SciPy, PyTorch and Python resolve through the small local inventories in
``_inventories/`` (written by ``_inventories/make_inventories.py``), so the build never
needs the network and ``python -m sphinx -W -n --keep-going -b html docs OUT`` passes.
"""
import importlib
import importlib.util
import sys
import types
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import segmetrics  # noqa: E402

if Path(segmetrics.__file__).resolve().parent != HERE.parent / "segmetrics":
    raise RuntimeError(f"the docs must document the checkout {HERE.parent}, "
                       f"not the segmetrics at {segmetrics.__file__}")


def _absent(module):
    try:
        importlib.import_module(module)
    except ImportError:
        return True
    return False


class _AbsentModule(types.ModuleType):
    """Stands in for a framework that is not installed: every attribute is another one."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        value = _AbsentModule(f"{self.__name__}.{name}")
        setattr(self, name, value)
        return value

    def __call__(self, *args, **kwargs):
        return self


def _torch_stand_in():
    """Install a stand-in ``torch`` for autodoc when PyTorch is absent.

    ``segmetrics.torch`` subclasses ``torch.autograd.Function`` and ``torch.nn.Module``
    and takes ``super(torch.autograd.Function, cls).apply`` at import, which Sphinx's
    ``autodoc_mock_imports`` objects cannot provide (they are not classes): here those
    two are real, empty classes and everything else is an ``_AbsentModule``.
    """
    class FunctionBase:
        @classmethod
        def apply(cls, *args):
            raise RuntimeError("PyTorch is not installed (a stand-in for the docs build)")

    torch = _AbsentModule("torch")
    torch.autograd.Function = type("Function", (FunctionBase,), {"__module__": "torch.autograd"})
    torch.nn.Module = type("Module", (), {"__module__": "torch.nn"})
    sys.modules.update({"torch": torch, "torch.autograd": torch.autograd, "torch.nn": torch.nn})
    compat = importlib.import_module("array_api_compat")
    compat.torch = sys.modules["array_api_compat.torch"] = _AbsentModule("array_api_compat.torch")


def _inventory_urls():
    """``BASE_URLS`` of ``_inventories/make_inventories.py``: one source for both files."""
    path = HERE / "_inventories" / "make_inventories.py"
    spec = importlib.util.spec_from_file_location("_make_inventories", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.BASE_URLS


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
# segmetrics.jax imports JAX at its top, segmetrics.torch PyTorch
autodoc_mock_imports = [module for module in ("jax",) if _absent(module)]
if _absent("torch"):
    _torch_stand_in()
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
numpydoc_xref_ignore = "all"  # numpydoc >= 1.9 declares this value's type (1.7-1.8 warn)
numpydoc_xref_aliases = {
    "Counts": "segmetrics.from_counts.Counts",
}
exclude_patterns = ["_build", "_static/**.md", "_inventories"]  # _static: tables pages include
html_theme = "alabaster"

# (base URL, local inventory): Sphinx reads the file and never fetches the URL's objects.inv
intersphinx_mapping = {
    name: (url, str(HERE / "_inventories" / name / "objects.inv"))
    for name, url in _inventory_urls().items()
}

nitpick_ignore = [
    # private tuning constants named in the docstring of runners.run_auto: no public target
    ("py:data", "_AUTO_PROBE_CASES"),
    ("py:data", "_AUTO_POOL_MAX_VOXELS"),
    ("py:data", "_AUTO_POOL_SECONDS"),
]
