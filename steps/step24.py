"""Step 24: differentiating complicated functions.

Docs: docs/tutorial/04-package-and-graphs.md
Run: .venv/bin/python steps/step24.py  (check its output: make step N=24)

With operators in place, formulas are typed as they are written on paper, and
backward differentiates them however tangled they are.  Three classic test
functions of optimisation, each with two inputs, at (x, y) = (1, 1):

* sphere      z = x^2 + y^2                          gradient (2, 2)
* matyas      z = 0.26 (x^2 + y^2) - 0.48 x y        gradient (0.04, 0.04)
* Goldstein-Price, a degree-8 polynomial              gradient (-5376, 8064)

The gradients printed below match the hand-derived values, and each one is
also compared with a numerical derivative (step 4's central difference).
"""
from __future__ import annotations

import argparse
from typing import Callable, Sequence

import numpy as np

from dezero import Variable


def sphere(x: Variable, y: Variable) -> Variable:
    """z = x^2 + y^2."""
    return x ** 2 + y ** 2


def matyas(x: Variable, y: Variable) -> Variable:
    """z = 0.26 (x^2 + y^2) - 0.48 x y."""
    return 0.26 * (x ** 2 + y ** 2) - 0.48 * x * y


def goldstein(x: Variable, y: Variable) -> Variable:
    """The Goldstein-Price function (global minimum 3 at (0, -1))."""
    first = 1 + (x + y + 1) ** 2 * (19 - 14 * x + 3 * x ** 2 - 14 * y + 6 * x * y + 3 * y ** 2)
    second = 30 + (2 * x - 3 * y) ** 2 * (18 - 32 * x + 12 * x ** 2 + 48 * y - 36 * x * y
                                          + 27 * y ** 2)
    return first * second


def numerical_partials(f: Callable, x: float, y: float, h: float = 1e-4) -> tuple[float, float]:
    """Central differences of f with respect to each of its two inputs."""
    def value(a: float, b: float) -> float:
        return float(f(Variable(np.array(a)), Variable(np.array(b))).data)
    return ((value(x + h, y) - value(x - h, y)) / (2 * h),
            (value(x, y + h) - value(x, y - h)) / (2 * h))


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)

    for f in (sphere, matyas, goldstein):
        x = Variable(np.array(1.0))
        y = Variable(np.array(1.0))
        z = f(x, y)
        z.backward()
        gx, gy = float(x.grad.data), float(y.grad.data)
        nx, ny = numerical_partials(f, 1.0, 1.0)
        agree = all(abs(g - n) <= 1e-6 * max(1.0, abs(n)) for g, n in [(gx, nx), (gy, ny)])
        print(f"{f.__name__:9s} z = {float(z.data):g}  dz/dx = {gx:.6g}  dz/dy = {gy:.6g}  "
              f"numerical agrees: {agree}")


if __name__ == "__main__":
    main()
