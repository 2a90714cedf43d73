"""Step 43: a neural network -- fitting a sine curve with one hidden layer.

Docs: docs/tutorial/08-neural-networks.md
Run: .venv/bin/python steps/step43.py  (check its output: make step N=43)

A straight line cannot fit y = sin(2 pi x) + noise.  Stacking two linear
maps with a non-linearity in between can:

    h = sigmoid(x W1 + b1)        x (N, 1), W1 (1, 10), b1 (10,)
    y = h W2 + b2                 W2 (10, 1), b2 (1,)

``F.linear(x, W, b)`` is ``x W + b`` as one Function (so the product x W is
not kept alive as a Variable of its own), ``F.sigmoid`` is 1 / (1 + exp(-x)), and
``F.mean_squared_error`` is the loss of step 42 as one Function.  Weights
start small and random (0.01 N(0, 1)), biases at zero.  (All-equal weights
would keep the ten hidden units identical forever: random starts break
the symmetry.)

With the book's settings -- lr 0.2, 10000 steps, loss printed every 1000 --
the loss sits on a plateau near 0.25 (the best a straight line through the
data can do is 0.254) for about 3000 steps, then drops and ends near 0.077:
the network has found the sine, and what is left is the noise (uniform in
[0, 1), variance 1/12 = 0.083, a little less once the fit follows it).
"""
from __future__ import annotations

import argparse
import os
from typing import Sequence

import numpy as np

import dezero.functions as F
from dezero import Variable


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iters", type=int, default=10000, help="gradient steps (default 10000)")
    parser.add_argument("--lr", type=float, default=0.2, help="learning rate (default 0.2)")
    parser.add_argument("--out", default=os.path.join("out", "step43"),
                        help="folder for the picture with --plot (default out/step43)")
    parser.add_argument("--plot", action="store_true",
                        help="also draw the data and the fitted curve (needs matplotlib)")
    args = parser.parse_args(argv)

    np.random.seed(0)
    x = np.random.rand(100, 1)
    y = np.sin(2 * np.pi * x) + np.random.rand(100, 1)

    I, H, O = 1, 10, 1
    W1 = Variable(0.01 * np.random.randn(I, H))
    b1 = Variable(np.zeros(H))
    W2 = Variable(0.01 * np.random.randn(H, O))
    b2 = Variable(np.zeros(O))
    params = [W1, b1, W2, b2]

    def predict(x: np.ndarray) -> Variable:
        h = F.sigmoid(F.linear(x, W1, b1))
        return F.linear(h, W2, b2)

    for i in range(args.iters):
        loss = F.mean_squared_error(y, predict(x))
        for p in params:
            p.cleargrad()
        loss.backward()
        for p in params:
            p.data -= args.lr * p.grad.data
        if i % 1000 == 0:
            print(f"step {i:5d}: loss {float(loss.data):.10f}")
    print(f"final loss {float(F.mean_squared_error(y, predict(x)).data):.10f} "
          f"(noise variance 1/12 = {1 / 12:.4f})")

    if args.plot:
        import matplotlib
        matplotlib.use("Agg")  # draw to a file; no display needed
        import matplotlib.pyplot as plt

        os.makedirs(args.out, exist_ok=True)
        grid = np.linspace(0, 1, 200)[:, np.newaxis]
        plt.scatter(x, y, s=10)
        plt.plot(grid, predict(grid).data, "r")
        plt.xlabel("x")
        plt.ylabel("y")
        plt.savefig(os.path.join(args.out, "sin_regression.png"))
        print("wrote sin_regression.png")


if __name__ == "__main__":
    main()
