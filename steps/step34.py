"""Step 34: derivatives of any order of sin.

Docs: docs/tutorial/06-higher-order.md
Run: .venv/bin/python steps/step34.py  (check its output: make step N=34)

Repeating "backward with create_graph=True, take x.grad, clear, backward
again" gives derivatives of any order.  For sin they cycle with period 4:
cos, -sin, -cos, sin.  At x = 1 the first three are 0.5403, -0.8415, -0.5403.

The same works elementwise on a whole array of x values, which draws sin
and its first three derivatives over [-7, 7] (``sin_derivatives.png`` in
``--out``; needs matplotlib, skipped with ``--no-plot``).  Each derivative is
checked against the known closed form.
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
    parser.add_argument("--out", default=os.path.join("out", "step34"),
                        help="folder for the plot (default out/step34)")
    parser.add_argument("--no-plot", action="store_true", help="skip the matplotlib figure")
    args = parser.parse_args(argv)

    x = Variable(np.array(1.0))
    y = F.sin(x)
    y.backward(create_graph=True)
    for order in range(1, 4):
        gx = x.grad
        print(f"order {order} at 1: {float(gx.data):.4f}")
        if order < 3:
            x.cleargrad()
            gx.backward(create_graph=True)

    x = Variable(np.linspace(-7, 7, 200))
    y = F.sin(x)
    y.backward(create_graph=True)
    curves = [y.data]
    for _ in range(3):
        gx = x.grad
        curves.append(gx.data)
        x.cleargrad()
        gx.backward(create_graph=True)
    expected = [np.sin(x.data), np.cos(x.data), -np.sin(x.data), -np.cos(x.data)]
    ok = all(np.allclose(c, e, rtol=0, atol=1e-12) for c, e in zip(curves, expected))
    print("on 200 points in [-7, 7], the orders 0-3 match sin, cos, -sin, -cos:", ok)

    if not args.no_plot:
        import matplotlib
        matplotlib.use("Agg")  # draw to a file; no display needed
        import matplotlib.pyplot as plt

        os.makedirs(args.out, exist_ok=True)
        fig, ax = plt.subplots()
        for curve, label in zip(curves, ["y = sin(x)", "y'", "y''", "y'''"]):
            ax.plot(x.data, curve, label=label)
        ax.legend(loc="lower right")
        fig.savefig(os.path.join(args.out, "sin_derivatives.png"))
        plt.close(fig)
        print("wrote sin_derivatives.png")


if __name__ == "__main__":
    main()
