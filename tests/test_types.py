"""The public API type-checks: ``mypy`` in strict mode (configured in pyproject.toml) over
every public module and over ``tests/type_checks``, which pins the types users see."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_public_api_is_strictly_typed(tmp_path):
    pytest.importorskip("mypy")
    if not (ROOT / "segmetrics" / "__init__.py").exists():
        pytest.skip("the type check reads the package's source tree")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache")],
        cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout
