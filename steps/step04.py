"""Step 4: numerical differentiation.

Docs: docs/tutorial/01-by-hand.md
Run: .venv/bin/python steps/step04.py  (check its output: make step N=4)

The derivative is the limit of (f(x + h) - f(x)) / h as h goes to 0.  A
computer cannot take the limit, but it can pick a small h.  The *central*
difference (f(x + h) - f(x - h)) / 2h is the better choice: its error shrinks
like h^2 instead of h.  Two problems remain, and both are shown below:

* rounding: make h too small and f(x + h) - f(x - h) subtracts two nearly
  equal numbers, so the digits that survive are noise;
* cost: a function of n inputs needs two evaluations per input -- hopeless for
  the millions of parameters of a neural network.

That is why the following steps compute derivatives by backpropagation
instead, keeping numerical differentiation as a cheap, independent way to
*check* them (the "gradient check").
"""
from __future__ import annotations

import argparse
from typing import Callable, Sequence

import numpy as np


class Variable:
    """A box holding a NumPy array in ``data``."""

    def __init__(self, data: np.ndarray) -> None:
        self.data = data


class Function:
    """Base class: ``f(variable)`` computes ``forward`` on the array and wraps the result."""

    def __call__(self, input: Variable) -> Variable:
        return Variable(self.forward(input.data))

    def forward(self, x: np.ndarray) -> np.ndarray:
        """The computation on arrays; every concrete Function overrides this."""
        raise NotImplementedError(f"{type(self).__name__}.forward is not implemented")


class Square(Function):
    """y = x ** 2."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x ** 2


class Exp(Function):
    """y = exp(x)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.exp(x)


def numerical_diff(f: Callable[[Variable], Variable], x: Variable, eps: float = 1e-4) -> float:
    """Central difference (f(x + eps) - f(x - eps)) / (2 eps) at the scalar Variable x."""
    y_plus = f(Variable(x.data + eps))
    y_minus = f(Variable(x.data - eps))
    return float((y_plus.data - y_minus.data) / (2 * eps))


def forward_diff(f: Callable[[Variable], Variable], x: Variable, eps: float = 1e-4) -> float:
    """One-sided difference (f(x + eps) - f(x)) / eps, for comparison."""
    return float((f(Variable(x.data + eps)).data - f(x).data) / eps)


def composite(x: Variable) -> Variable:
    """y = (exp(x^2))^2, the chain of step 3."""
    return Square()(Exp()(Square()(x)))


def cube(x: Variable) -> Variable:
    """y = x^3, computed as x * x * x."""
    return Variable(x.data * x.data * x.data)


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)

    x = Variable(np.array(2.0))
    print(f"d(x^2)/dx at 2, central difference: {numerical_diff(Square(), x):.12f}  (exact 4)")
    print(f"d(x^2)/dx at 2, forward difference: {forward_diff(Square(), x):.12f}")

    x = Variable(np.array(0.75))
    exact = 4 * 0.75 * np.exp(2 * 0.75 ** 2)  # d/dx exp(2 x^2) = 4 x exp(2 x^2)
    print(f"d/dx (exp(x^2))^2 at 0.75: numerical {numerical_diff(composite, x):.10f}, "
          f"exact {exact:.10f}")

    # x^3 uses only + - * /, which IEEE 754 rounds the same everywhere, so these
    # error figures are reproducible; the central difference of x^3 is exactly
    # 3 x^2 + eps^2, so the truncation error is eps^2 until rounding takes over.
    print("error of the central difference for d(x^3)/dx at 2 (exact 12), by step size:")
    x = Variable(np.array(2.0))
    for eps in [1e-1, 1e-2, 1e-4, 1e-6, 1e-8, 1e-12]:
        err = abs(numerical_diff(cube, x, eps) - 12.0)
        print(f"  eps {eps:.0e}: error {err:.1e}")


if __name__ == "__main__":
    main()
