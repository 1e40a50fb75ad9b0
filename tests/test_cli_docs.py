"""The worked example of docs/cli.md is the output of a real run (docs/make_cli_example.py)."""
import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("nibabel")
DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_cli_page_example_matches_a_real_run(tmp_path):
    spec = importlib.util.spec_from_file_location("make_cli_example",
                                                  DOCS / "make_cli_example.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    page = example.page_block(example.PAGE.read_text(encoding="utf-8"))
    assert page == example.example_block(tmp_path), (
        "docs/cli.md's example differs from a real run: run `python docs/make_cli_example.py`")
