"""Step 36: double backpropagation -- gradients inside the function being differentiated.

Docs: docs/tutorial/06-higher-order.md
Run: .venv/bin/python steps/step36.py  (check its output: make step N=36)

Since a gradient computed with ``create_graph=True`` is an ordinary Variable
with a graph, it can appear *inside* a further computation, which is then
differentiated as a whole.  For y = x^2 and z = (dy/dx)^3 + y:

    dy/dx = 2x,  z = 8 x^3 + x^2,  dz/dx = 24 x^2 + 2 x = 100 at x = 2.

This "double backprop" is how gradient penalties (regularising the norm of a
gradient, as in WGAN-GP) and Hessian-vector products are computed.  The
second example minimises the squared gradient norm |grad f|^2 of
f(a, b) = a^2 + a b + 2 b^2 by gradient descent: it goes to zero at the
stationary point (0, 0).
"""
from __future__ import annotations

import argparse
from typing import Sequence

import numpy as np

from dezero import Variable


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iters", type=int, default=50,
                        help="descent steps on the gradient norm (default 50)")
    args = parser.parse_args(argv)

    x = Variable(np.array(2.0))
    y = x ** 2
    y.backward(create_graph=True)
    gx = x.grad
    x.cleargrad()
    z = gx ** 3 + y
    z.backward()
    print("z = (dy/dx)^3 + y at 2:", z, " dz/dx:", x.grad)

    a = Variable(np.array(1.0))
    b = Variable(np.array(-1.0))
    for i in range(args.iters + 1):
        f = a ** 2 + a * b + 2 * b ** 2
        a.cleargrad()
        b.cleargrad()
        f.backward(create_graph=True)
        ga, gb = a.grad, b.grad
        penalty = ga ** 2 + gb ** 2  # |grad f|^2, itself a graph through ga and gb
        if i % 10 == 0:
            print(f"step {i:3d}: a = {float(a.data):+.6f}  b = {float(b.data):+.6f}  "
                  f"|grad f|^2 = {float(penalty.data):.6f}")
        if i == args.iters:
            break
        a.cleargrad()
        b.cleargrad()
        penalty.backward()
        a.data = a.data - 0.05 * a.grad.data
        b.data = b.data - 0.05 * b.grad.data


if __name__ == "__main__":
    main()
