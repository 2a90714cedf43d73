"""Step 26: drawing the graph of a real computation.

Docs: docs/tutorial/04-package-and-graphs.md
Run: .venv/bin/python steps/step26.py  (check its output: make step N=26)

Because every Variable knows its creator and every Function its inputs, the
graph behind any result can be walked and written out as DOT text (step 25)
automatically.  ``dezero.utils.get_dot_graph(y)`` returns that text;
``dezero.utils.plot_dot_graph(y, verbose=..., to_file=...)`` also renders it
with Graphviz (the format follows the file extension; ``.dot`` needs no
Graphviz; without Graphviz, it saves the DOT text and raises
``GraphvizNotFoundError``, which says what to install).  ``verbose=True``
adds each Variable's shape and dtype to its label.  Naming Variables
(``x.name = "x"``) makes the picture readable.

The example is the Goldstein-Price function of step 24: a page-long formula,
and a graph of a few dozen nodes.  The script prints a summary of the graph
(counted from the DOT text) and writes ``goldstein.dot`` and, drawn by
Graphviz, ``goldstein.<format>`` (default png) to ``--out`` (default
out/step26).  Without Graphviz it says so, and what to install, and still
writes the DOT text.
"""
from __future__ import annotations

import argparse
import os
from typing import Sequence

import numpy as np

from dezero import Variable
from dezero.utils import get_dot_graph, plot_dot_graph

from _drawing import save_graph  # shared by the steps that draw (steps/_drawing.py)

STEP = "step26"


def goldstein(x: Variable, y: Variable) -> Variable:
    """The Goldstein-Price function."""
    first = 1 + (x + y + 1) ** 2 * (19 - 14 * x + 3 * x ** 2 - 14 * y + 6 * x * y + 3 * y ** 2)
    second = 30 + (2 * x - 3 * y) ** 2 * (18 - 32 * x + 12 * x ** 2 + 48 * y - 36 * x * y
                                          + 27 * y ** 2)
    return first * second


def count_functions(y: Variable) -> int:
    """How many Functions lie behind y (walking creators and inputs)."""
    seen: set = set()
    stack = [y.creator] if y.creator is not None else []
    while stack:
        f = stack.pop()
        if f in seen:
            continue
        seen.add(f)
        stack.extend(x.creator for x in f.inputs if x.creator is not None)
    return len(seen)


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join("out", "step26"),
                        help="folder for the picture (default out/step26)")
    parser.add_argument("--format", choices=["png", "svg", "pdf", "dot"], default="png",
                        help="picture format (default png); the DOT text is always written, "
                             "'dot' writes only it (no Graphviz needed)")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    x = Variable(np.array(1.0), name="x")
    y = Variable(np.array(1.0), name="y")
    z = goldstein(x, y)
    z.name = "z"
    z.backward()
    print(f"z = {float(z.data):g}  dz/dx = {float(x.grad.data):g}  dz/dy = {float(y.grad.data):g}")

    # one Function per operator in the formula: 15 additions and subtractions,
    # 17 multiplications, 6 powers
    print("functions in the graph:", count_functions(z))
    text = get_dot_graph(z, verbose=False)
    print("DOT text starts with 'digraph':", text.startswith("digraph"),
          "; names x, y and z appear as labels:", all(f'label="{n}' in text for n in "xyz"))

    save_graph(lambda to_file: plot_dot_graph(z, verbose=False, to_file=to_file),
               args.out, "goldstein", args.format, STEP)


if __name__ == "__main__":
    main()
