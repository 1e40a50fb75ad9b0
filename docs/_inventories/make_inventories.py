"""Write the small intersphinx inventories the docs build uses instead of the network.

``docs/conf.py`` maps ``python``, ``numpy``, ``scipy`` and ``torch`` in
``intersphinx_mapping`` to ``(base_url, local_inventory)``, so Sphinx reads
``docs/_inventories/<project>/objects.inv`` and never fetches anything (CI has no network).
Each inventory lists exactly the objects our pages and docstrings reference, each with
its real address relative to the project's documentation root (``BASE_URLS``). The
files use the documented ``objects.inv`` version 2 format: four header lines, then
zlib-compressed lines ``name domain:role priority uri display-name``.

Regenerate after adding or removing a reference to one of these projects::

    python docs/_inventories/make_inventories.py

A reference to an object that is not listed here fails the nitpicky build
(``python -m sphinx -W -n docs OUT``) with "reference target not found"; add it to
``OBJECTS`` below with the address its documentation gives it, then rerun this script.
``--check`` exits non-zero when a written file differs from what this script makes.

When online, the full upstream inventories can replace these files (or the local path
in ``intersphinx_mapping`` can be set to ``None`` to fetch them), e.g.::

    curl -o docs/_inventories/numpy/objects.inv https://numpy.org/doc/stable/objects.inv
    curl -o docs/_inventories/scipy/objects.inv https://docs.scipy.org/doc/scipy/objects.inv
    curl -o docs/_inventories/torch/objects.inv https://docs.pytorch.org/docs/stable/objects.inv
    curl -o docs/_inventories/python/objects.inv https://docs.python.org/3/objects.inv

This script then no longer describes them: rerunning it writes the small ones back.
"""
import sys
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: The documentation root of each project; every ``uri`` below is relative to it.
BASE_URLS = {
    "python": "https://docs.python.org/3/",
    "numpy": "https://numpy.org/doc/stable/",
    "scipy": "https://docs.scipy.org/doc/scipy/",
    "torch": "https://docs.pytorch.org/docs/stable/",
}

#: Project, version (of the test environment's stack; Sphinx shows it in link titles) and
#: the objects as (name, domain:role, uri, display name), display name ``-`` for the name.
OBJECTS = {
    "python": ("Python", "3", [
        ("None", "py:data", "library/constants.html#None", "-"),
        ("True", "py:data", "library/constants.html#True", "-"),
        ("False", "py:data", "library/constants.html#False", "-"),
        ("int", "py:class", "library/functions.html#int", "-"),
        ("float", "py:class", "library/functions.html#float", "-"),
        ("str", "py:class", "library/stdtypes.html#str", "-"),
        ("list", "py:class", "library/stdtypes.html#list", "-"),
        ("tuple", "py:class", "library/stdtypes.html#tuple", "-"),
        ("dict", "py:class", "library/stdtypes.html#dict", "-"),
        ("callable", "py:function", "library/functions.html#callable", "-"),
        ("bltin-boolean-values", "std:label", "library/stdtypes.html#bltin-boolean-values",
         "Boolean Type - bool"),
        ("sequence", "std:term", "glossary.html#term-sequence", "-"),
    ]),
    "numpy": ("NumPy", "2.4", [
        ("numpy.ndarray", "py:class", "reference/generated/numpy.ndarray.html#numpy.ndarray",
         "-"),
        ("array_like", "std:term", "glossary.html#term-array_like", "-"),
    ]),
    "scipy": ("SciPy", "1.17", [
        ("scipy.ndimage.label", "py:function",
         "reference/generated/scipy.ndimage.label.html#scipy.ndimage.label", "-"),
        ("scipy.optimize.linear_sum_assignment", "py:function",
         "reference/generated/scipy.optimize.linear_sum_assignment.html"
         "#scipy.optimize.linear_sum_assignment", "-"),
        ("scipy.stats.wilcoxon", "py:function",
         "reference/generated/scipy.stats.wilcoxon.html#scipy.stats.wilcoxon", "-"),
    ]),
    "torch": ("PyTorch", "2.13", [
        ("torch.autograd.Function", "py:class", "autograd.html#torch.autograd.Function", "-"),
        ("torch.func", "py:module", "func.api.html#module-torch.func", "-"),
    ]),
}


def inventory(project, version, objects):
    """The bytes of one ``objects.inv`` (version 2) listing ``objects``."""
    header = (f"# Sphinx inventory version 2\n# Project: {project}\n# Version: {version}\n"
              "# The remainder of this file is compressed using zlib.\n")
    lines = "".join(f"{name} {role} 1 {uri} {display}\n"
                    for name, role, uri, display in sorted(objects))
    return header.encode() + zlib.compress(lines.encode(), 9)


def _verify(data, objects):
    """Read ``data`` back as a version 2 inventory: the header, then every object once."""
    header, _, body = data.partition(b"zlib.\n")
    assert header.startswith(b"# Sphinx inventory version 2\n")
    lines = zlib.decompress(body).decode().splitlines()
    assert sorted(line.split(" ", 4) for line in lines) == sorted(
        [name, role, "1", uri, display] for name, role, uri, display in objects)


def main(argv):
    check = "--check" in argv
    stale = []
    for name, (project, version, objects) in OBJECTS.items():
        path = HERE / name / "objects.inv"
        data = inventory(project, version, objects)
        _verify(data, objects)
        if check:
            if not path.is_file() or path.read_bytes() != data:
                stale.append(str(path))
            continue
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
    if stale:
        print("stale (rerun make_inventories.py):", *stale, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
