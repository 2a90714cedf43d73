"""Step 27: a Taylor series -- differentiating through Python control flow.

Docs: docs/tutorial/05-optimisation.md
Run: .venv/bin/python steps/step27.py  (check its output: make step N=27)

Around 0, sin x = x - x^3/3! + x^5/5! - x^7/7! + ...  ``my_sin`` adds terms
until the next one is smaller than a threshold.  The loop, the ``break`` and
the number of terms are ordinary Python; the graph simply records whatever
operations ran, so backward differentiates the polynomial that was actually
computed ("define-by-run").

At x = pi/4 both the value and the derivative agree with ``F.sin`` (whose
derivative is cos) to about the threshold.  A smaller threshold adds terms, so
the graph grows: the script counts its Functions for two thresholds and
draws both graphs into ``--out`` (default out/step27): the DOT text
``my_sin_1e-04.dot`` and ``my_sin_1e-150.dot`` and, drawn by Graphviz, the
pictures ``my_sin_1e-04.<format>`` and ``my_sin_1e-150.<format>`` (without
Graphviz the script says what to install).  The default format is svg, not
png as in the other steps: the second graph has 141 Functions, and Graphviz
takes a few seconds more to turn it into a PNG of about 1 MB (``--format
png`` does that).
"""
from __future__ import annotations

import argparse
import math
import os
from typing import Sequence

import numpy as np

import dezero.functions as F
from dezero import Variable
from dezero.utils import plot_dot_graph

from _drawing import save_graph  # shared by the steps that draw (steps/_drawing.py)

STEP = "step27"


def my_sin(x: Variable, threshold: float = 1e-4) -> Variable:
    """sin x by its Taylor series around 0, stopping when a term falls below ``threshold``."""
    y = 0
    for i in range(100000):
        c = (-1) ** i / math.factorial(2 * i + 1)
        t = c * x ** (2 * i + 1)
        y = y + t
        if abs(t.data) < threshold:
            break
    return y


def count_functions(y: Variable) -> int:
    """How many Functions lie behind y."""
    seen: set = set()
    stack = [y.creator] if y.creator is not None else []
    while stack:
        f = stack.pop()
        if f not in seen:
            seen.add(f)
            stack.extend(x.creator for x in f.inputs if x.creator is not None)
    return len(seen)


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join("out", "step27"),
                        help="folder for the pictures (default out/step27)")
    parser.add_argument("--format", choices=["png", "svg", "pdf", "dot"], default="svg",
                        help="picture format (default svg); the DOT text is always written, "
                             "'dot' writes only it (no Graphviz needed)")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    x = Variable(np.array(np.pi / 4))
    y = F.sin(x)
    y.backward()
    print(f"F.sin:   sin(pi/4) = {float(y.data):.10f}  derivative {float(x.grad.data):.10f}")

    for threshold in (1e-4, 1e-150):
        x = Variable(np.array(np.pi / 4), name="x")
        y = my_sin(x, threshold)
        y.name = "y"
        y.backward()
        print(f"my_sin, threshold {threshold:.0e}: value {float(y.data):.10f}  "
              f"derivative {float(x.grad.data):.10f}  functions in the graph: "
              f"{count_functions(y)}")
        save_graph(lambda to_file: plot_dot_graph(y, verbose=False, to_file=to_file),
                   args.out, f"my_sin_{threshold:.0e}", args.format, STEP)


if __name__ == "__main__":
    main()
