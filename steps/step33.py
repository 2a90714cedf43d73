"""Step 33: Newton's method with automatically computed second derivatives.

Docs: docs/tutorial/06-higher-order.md
Run: .venv/bin/python steps/step33.py  (check its output: make step N=33)

Step 29 typed f''(x) by hand.  Now backprop computes it: the first backward
(with ``create_graph=True``) gives f'(x) as a Variable with a graph, the
second backward differentiates that.  The iterates are the same as in
step 29 -- from x = 2 to 1 in about 7 steps -- and no derivative was worked
out on paper.
"""
from __future__ import annotations

import argparse
from typing import Sequence

import numpy as np

from dezero import Variable


def f(x: Variable) -> Variable:
    """y = x^4 - 2 x^2."""
    return x ** 4 - 2 * x ** 2


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iters", type=int, default=10, help="Newton steps (default 10)")
    args = parser.parse_args(argv)

    x = Variable(np.array(2.0))
    for i in range(args.iters):
        print(f"step {i}: x = {float(x.data):.12f}")
        y = f(x)
        x.cleargrad()
        y.backward(create_graph=True)
        gx = x.grad
        x.cleargrad()
        gx.backward()
        gx2 = x.grad
        x.data = x.data - gx.data / gx2.data


if __name__ == "__main__":
    main()
