"""The package as users meet it: a light import, the compiled backend, docs that build."""
import doctest
import importlib
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import segmetrics

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("numba", "scipy", "torch", "jax", "sklearn", "nibabel", "dask", "distributed",
         "matplotlib")


def test_import_is_light():
    code = ("import sys, segmetrics; "
            f"print(','.join(sorted(m for m in {HEAVY!r} if m in sys.modules)))")
    loaded = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                            text=True).stdout.strip()
    assert loaded == ""


def test_compiled_backend_is_built_and_is_the_default():
    host = [b for b in segmetrics.available_backends() if b in segmetrics.BACKENDS]
    assert host[0] == "cython"
    assert host == list(segmetrics.BACKENDS)


def _modules_with_examples():
    """Every module of the package under test with a ``>>>`` example in its source."""
    package = Path(segmetrics.__file__).resolve().parent
    names = []
    for path in sorted(package.rglob("*.py")):
        if ">>>" in path.read_text(encoding="utf-8"):
            parts = path.relative_to(package).with_suffix("").parts
            names.append(".".join(("segmetrics",) + parts[:len(parts) - (parts[-1] == "__init__")]))
    return names


# the framework a module imports at its top, so it cannot be imported without it
FRAMEWORK = {"segmetrics.torch": "torch", "segmetrics.jax": "jax"}


def test_examples_are_found():
    modules = _modules_with_examples()
    assert {"segmetrics.overlap", "segmetrics.io", "segmetrics.evaluation.folder"} <= set(modules)


@pytest.mark.parametrize("module", _modules_with_examples())
def test_docstring_examples_run(module):
    if module in FRAMEWORK:
        pytest.importorskip(FRAMEWORK[module])
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0
    assert result.failed == 0


@pytest.mark.parametrize("page", ["conventions.md"])
def test_docs_page_examples_run(page):
    """The ``>>>`` examples of a docs page (run with ``np`` and ``segmetrics`` imported)."""
    text = re.sub(r"^```.*$", "", (ROOT / "docs" / page).read_text(encoding="utf-8"), flags=re.M)
    test = doctest.DocTestParser().get_doctest(
        text, {"np": np, "segmetrics": segmetrics}, page, str(ROOT / "docs" / page), 0)
    runner = doctest.DocTestRunner()
    runner.run(test)
    assert runner.tries > 0
    assert runner.failures == 0


def test_demo_runs():
    out = subprocess.run([sys.executable, "-m", "segmetrics.demo"], check=True,
                         capture_output=True, text=True).stdout
    assert "dice" in out and "kappa (K=4)" in out


def test_docs_build_without_warnings(tmp_path):
    pytest.importorskip("sphinx")
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "-n", "--keep-going", "-q", "-b", "html",
         str(ROOT / "docs"), str(tmp_path)],
        capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_docs_inventories_are_those_their_script_writes():
    script = ROOT / "docs" / "_inventories" / "make_inventories.py"
    result = subprocess.run([sys.executable, str(script), "--check"], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_version_has_one_source():
    from importlib.metadata import version

    assert version("segmetrics") == segmetrics.__version__
