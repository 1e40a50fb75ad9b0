"""Regenerate the worked example of ``docs/cli.md`` from a real run: ``python docs/make_cli_example.py``.

The example block sits between the ``cli-example`` markers of ``docs/cli.md``;
``tests/test_cli_docs.py`` runs the same commands and fails when the page and a
real run differ, so the example cannot go stale.
"""
import os
import subprocess
import sys
import tempfile
from pathlib import Path

PAGE = Path(__file__).with_name("cli.md")
START, END = "<!-- cli-example:start -->", "<!-- cli-example:end -->"
COMMANDS = (
    ["--make-demo", "demo"],
    ["demo/preds", "demo/gts", "-o", "demo/out"],
)


def example_block(workdir):
    """The console block of the example, from running the commands in ``workdir``."""
    env = dict(os.environ)
    env.pop("PYTHONWARNINGS", None)
    lines = ["```console"]
    for args in COMMANDS:
        done = subprocess.run([sys.executable, "-m", "segmetrics.cli", *args], cwd=workdir,
                              capture_output=True, text=True, env=env, timeout=300)
        if done.returncode != 0:
            raise RuntimeError(f"segmetrics-eval {' '.join(args)} failed:\n{done.stderr}")
        lines.append("$ segmetrics-eval " + " ".join(args))
        lines.extend(done.stdout.rstrip("\n").splitlines())
    lines.append("$ head -3 demo/out/metrics.csv")
    csv_lines = (Path(workdir) / "demo" / "out" / "metrics.csv").read_text().splitlines()
    lines.extend(csv_lines[:3])
    lines.append("```")
    return "\n".join(lines)


def page_block(text):
    """The example block currently on the page."""
    start = text.index(START) + len(START)
    return text[start:text.index(END)].strip("\n")


def main():
    text = PAGE.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as workdir:
        block = example_block(workdir)
    start = text.index(START) + len(START)
    PAGE.write_text(text[:start] + "\n" + block + "\n" + text[text.index(END):],
                    encoding="utf-8")
    print(block)


if __name__ == "__main__":
    main()
