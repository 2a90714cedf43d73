"""Step 35: the graph of a higher-order derivative -- tanh.

Docs: docs/tutorial/06-higher-order.md
Run: .venv/bin/python steps/step35.py  (check its output: make step N=35)

tanh has the neat derivative 1 - y^2 (y = tanh x), so each backward pass
with ``create_graph=True`` builds a graph out of the previous one: the
derivative of order n is a graph made of the graph of order n-1 and its own
backward.  The script counts the Functions behind each derivative up to
``--max-order`` (they grow quickly), checks the values against closed forms
at x = 1, and draws the graph of the derivative of order ``--order``
(default 3) into ``--out`` (default out/step35): the DOT text
``tanh_order<n>.dot`` and, drawn by Graphviz, ``tanh_order<n>.<format>``
(default png; without Graphviz the script says what to install).

Closed forms, with y = tanh x:  y' = 1 - y^2,  y'' = -2 y y',
y''' = -2 (y'^2 + y y'').
"""
from __future__ import annotations

import argparse
import os
from typing import Sequence

import numpy as np

import dezero.functions as F
from dezero import Variable
from dezero.utils import plot_dot_graph

from _drawing import save_graph  # shared by the steps that draw (steps/_drawing.py)

STEP = "step35"


def count_functions(v: Variable) -> int:
    """How many Functions lie behind v."""
    seen: set = set()
    stack = [v.creator] if v.creator is not None else []
    while stack:
        f = stack.pop()
        if f not in seen:
            seen.add(f)
            stack.extend(x.creator for x in f.inputs if x.creator is not None)
    return len(seen)


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--order", type=int, default=3, help="derivative to draw (default 3)")
    parser.add_argument("--max-order", type=int, default=6,
                        help="highest derivative to count (default 6; at least --order)")
    parser.add_argument("--out", default=os.path.join("out", "step35"),
                        help="folder for the picture (default out/step35)")
    parser.add_argument("--format", choices=["png", "svg", "pdf", "dot"], default="png",
                        help="picture format (default png); the DOT text is always written, "
                             "'dot' writes only it (no Graphviz needed)")
    args = parser.parse_args(argv)
    if args.order < 1:
        parser.error("--order must be at least 1")
    max_order = max(args.max_order, args.order)

    x = Variable(np.array(1.0), name="x")
    y = F.tanh(x)
    y.name = "y"
    y.backward(create_graph=True)
    t = np.tanh(1.0)
    d1 = 1 - t ** 2
    d2 = -2 * t * d1
    d3 = -2 * (d1 ** 2 + t * d2)
    closed_forms = {1: d1, 2: d2, 3: d3}

    drawn = None
    for order in range(1, max_order + 1):
        gx = x.grad
        gx.name = f"gx{order}"
        note = ""
        if order in closed_forms:
            note = f"  (closed form {closed_forms[order]:.6f})"
        print(f"order {order}: value {float(gx.data):.6f}  functions in its graph: "
              f"{count_functions(gx)}{note}")
        if order == args.order:
            drawn = gx
        if order < max_order:
            x.cleargrad()
            gx.backward(create_graph=True)

    save_graph(lambda to_file: plot_dot_graph(drawn, verbose=False, to_file=to_file),
               args.out, f"tanh_order{args.order}", args.format, STEP)


if __name__ == "__main__":
    main()
