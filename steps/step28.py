"""Step 28: optimisation by gradient descent -- the Rosenbrock function.

Docs: docs/tutorial/05-optimisation.md
Run: .venv/bin/python steps/step28.py  (check its output: make step N=28)

The Rosenbrock function y = 100 (x1 - x0^2)^2 + (1 - x0)^2 has its minimum 0
at (1, 1), at the bottom of a long, curved, almost flat valley -- a classic
stress test for optimisers.  Gradient descent repeatedly computes the gradient
by backprop and steps against it: x <- x - lr * dy/dx.

From (0, 2) with lr = 0.001 it creeps along the valley floor: after 1000
steps it is near (0.68, 0.47); it needs tens of thousands of steps to get
close to (1, 1) (``--iters 50000``).  A larger learning rate does not help for
long: the walls of the valley are steep, and the iterates overshoot and blow
up.  Step 29 shows a method that uses the curvature as well.

Each step needs ``cleargrad()``: gradients accumulate (step 14), and the
previous step's gradient must not be added to the new one.  The update writes
``x.data`` *after* backward, when the graph that used the old value is no
longer needed.
"""
from __future__ import annotations

import argparse
import os
from typing import Sequence

import numpy as np

from dezero import Variable


def rosenbrock(x0: Variable, x1: Variable) -> Variable:
    """y = 100 (x1 - x0^2)^2 + (1 - x0)^2."""
    return 100 * (x1 - x0 ** 2) ** 2 + (1 - x0) ** 2


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iters", type=int, default=1000, help="gradient steps (default 1000)")
    parser.add_argument("--lr", type=float, default=0.001, help="learning rate (default 0.001)")
    parser.add_argument("--out", default=os.path.join("out", "step28"),
                        help="folder for the path plot with --plot (default out/step28)")
    parser.add_argument("--plot", action="store_true",
                        help="also draw the path over the contours (needs matplotlib)")
    args = parser.parse_args(argv)

    x0 = Variable(np.array(0.0))
    x1 = Variable(np.array(2.0))
    path = [(0.0, 2.0)]
    report_every = max(1, args.iters // 10)
    for i in range(args.iters):
        y = rosenbrock(x0, x1)
        x0.cleargrad()
        x1.cleargrad()
        y.backward()
        x0.data = x0.data - args.lr * x0.grad.data
        x1.data = x1.data - args.lr * x1.grad.data
        path.append((float(x0.data), float(x1.data)))
        if (i + 1) % report_every == 0:
            print(f"step {i + 1:6d}: x0 = {float(x0.data):.6f}  x1 = {float(x1.data):.6f}  "
                  f"y = {float(rosenbrock(x0, x1).data):.6f}")

    if args.plot:
        import matplotlib
        matplotlib.use("Agg")  # draw to a file; no display needed
        import matplotlib.pyplot as plt

        os.makedirs(args.out, exist_ok=True)
        a, b = np.meshgrid(np.linspace(-2, 2, 200), np.linspace(-1, 3, 200))
        plt.contour(a, b, 100 * (b - a ** 2) ** 2 + (1 - a) ** 2, levels=np.logspace(-1, 3, 12))
        xs, ys = zip(*path)
        plt.plot(xs, ys, "r.-", markersize=2)
        plt.plot([1], [1], "k*")
        plt.savefig(os.path.join(args.out, "rosenbrock_path.png"))
        print("wrote rosenbrock_path.png")


if __name__ == "__main__":
    main()
