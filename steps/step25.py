"""Step 25: drawing graphs -- the DOT language.

Docs: docs/tutorial/04-package-and-graphs.md
Run: .venv/bin/python steps/step25.py  (check its output: make step N=25)

Graphviz draws graphs described in a small text language, DOT: a
``digraph g { ... }`` block listing nodes (an identifier with attributes such
as ``label``, ``shape`` and ``color``) and edges (``a -> b``).  This step
writes such a file by hand -- two Variables (orange ellipses) feeding a
function (a blue box) that produces a third -- exactly the picture the next
step generates automatically from a real computation.

The file ``sample.dot`` is written to the output folder (``--out``, default
``out/step25``).  With ``--format png`` (the default) or ``svg``, Graphviz's
``dot`` program also draws it, the same as running
``dot sample.dot -T png -o sample.png`` in a terminal; ``--format dot`` writes
the text only and needs no Graphviz.  The printed lines are the same either
way; whether the picture was drawn goes to stderr, and without Graphviz that
note says what to install.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from typing import Sequence

SAMPLE = """digraph g {
x [label="x", color=orange, style=filled]
y [label="y", color=orange, style=filled]
z [label="z", color=orange, style=filled]
add [label="Add", color=lightblue, style=filled, shape=box]
x -> add
y -> add
add -> z
}
"""


def write_text(path: str, text: str) -> None:
    """Write text to path via a temporary file in the same folder, so it is never half-written."""
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join("out", "step25"),
                        help="folder for the files written (default out/step25)")
    parser.add_argument("--format", choices=["png", "svg", "dot"], default="png",
                        help="picture format (default png); the DOT text is always written, "
                             "'dot' writes only it (no Graphviz needed)")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    print(SAMPLE, end="")
    dot_path = os.path.join(args.out, "sample.dot")
    write_text(dot_path, SAMPLE)
    print("wrote sample.dot")
    if args.format == "dot":
        return
    picture = os.path.join(args.out, f"sample.{args.format}")
    if shutil.which("dot") is None:
        print(f"step25: {picture} not drawn: Graphviz's `dot` program is not installed.\n"
              f"  The graph is saved as DOT text in {dot_path}.\n"
              "  Install Graphviz (apt-get install graphviz, brew install graphviz or conda "
              "install graphviz) and run this step again,\n"
              f"  or draw the saved text then with: dot -T{args.format} {dot_path} -o {picture}",
              file=sys.stderr)
        return
    subprocess.run(["dot", dot_path, "-T", args.format, "-o", picture], check=True)
    print(f"step25: drew {picture}", file=sys.stderr)


if __name__ == "__main__":
    main()
