"""Step 42: linear regression -- the first model fitted with dezero.

Docs: docs/tutorial/08-neural-networks.md
Run: .venv/bin/python steps/step42.py  (check its output: make step N=42)

100 points x in [0, 1) with y = 5 + 2x + noise (noise uniform in [0, 1), so
the best line is about y = 5.5 + 2x).  The model is y_pred = x W + b with W
(1, 1) and b (1,), and the loss the mean squared error

    L = (1/N) sum_i (y_pred_i - y_i)^2.

Gradient descent (lr 0.1, 100 steps from W = 0, b = 0) brings W to about
2.118 and b to about 5.466, with loss 0.0791.  Least squares has a closed
form, and the script prints it for comparison: gradient descent is still
approaching it after 100 steps (``--iters 2000`` gets there).

``predict`` is ``F.matmul(x, W) + b``: b (1,) is broadcast over the 100 rows
(step 40) and its gradient summed back.  The loss is written out by hand
here; ``F.mean_squared_error`` (used from step 43 on) is the same formula as
one Function, which keeps fewer intermediate arrays alive.
"""
from __future__ import annotations

import argparse
import os
from typing import Sequence

import numpy as np

import dezero.functions as F
from dezero import Variable


def mean_squared_error(x0: Variable, x1: Variable) -> Variable:
    """(1/N) * sum((x0 - x1)^2), N the number of rows."""
    diff = x0 - x1
    return F.sum(diff ** 2) / len(diff)


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iters", type=int, default=100, help="gradient steps (default 100)")
    parser.add_argument("--lr", type=float, default=0.1, help="learning rate (default 0.1)")
    parser.add_argument("--out", default=os.path.join("out", "step42"),
                        help="folder for the picture with --plot (default out/step42)")
    parser.add_argument("--plot", action="store_true",
                        help="also draw the data and the fitted line (needs matplotlib)")
    args = parser.parse_args(argv)

    np.random.seed(0)  # the book's data: rand(100, 1) twice from seed 0
    x_data = np.random.rand(100, 1)
    y_data = 5 + 2 * x_data + np.random.rand(100, 1)
    x, y = Variable(x_data), Variable(y_data)
    W = Variable(np.zeros((1, 1)))
    b = Variable(np.zeros(1))

    def predict(x: Variable) -> Variable:
        return F.matmul(x, W) + b

    report_every = max(1, args.iters // 10)
    for i in range(args.iters):
        loss = mean_squared_error(y, predict(x))
        W.cleargrad()
        b.cleargrad()
        loss.backward()
        W.data -= args.lr * W.grad.data
        b.data -= args.lr * b.grad.data
        if i == 0 or (i + 1) % report_every == 0:
            print(f"step {i + 1:4d}: W = {W.data.item():.8f}  b = {b.data.item():.8f}  "
                  f"loss = {float(loss.data):.8f}")

    # Closed form: least squares on the columns [x, 1].
    design = np.hstack([x_data, np.ones_like(x_data)])
    (w_best, b_best), *_ = np.linalg.lstsq(design, y_data.ravel(), rcond=None)
    best_loss = np.mean((design @ [w_best, b_best] - y_data.ravel()) ** 2)
    print(f"least squares: W = {w_best:.8f}  b = {b_best:.8f}  loss = {best_loss:.8f}")

    same = F.mean_squared_error(predict(x), y)
    print("F.mean_squared_error gives the same loss:",
          bool(np.isclose(same.data, mean_squared_error(y, predict(x)).data, rtol=1e-12)))

    if args.plot:
        import matplotlib
        matplotlib.use("Agg")  # draw to a file; no display needed
        import matplotlib.pyplot as plt

        os.makedirs(args.out, exist_ok=True)
        plt.scatter(x_data, y_data, s=10)
        line = np.array([0.0, 1.0])
        plt.plot(line, W.data.item() * line + b.data.item(), "r")
        plt.xlabel("x")
        plt.ylabel("y")
        plt.savefig(os.path.join(args.out, "linear_regression.png"))
        print("wrote linear_regression.png")


if __name__ == "__main__":
    main()
