"""Step 3: functions compose.

Docs: docs/tutorial/01-by-hand.md
Run: .venv/bin/python steps/step03.py  (check its output: make step N=3)

Because a Function takes a Variable and returns a Variable, the output of one
can be fed straight into the next.  Chaining Square, Exp and Square computes
y = (exp(x^2))^2 = exp(2 x^2); at x = 0.75 that is exp(1.125) = 3.0802168489...
A chain of functions like this is a (so far very simple) *computational graph*,
and it is on such chains that steps 4 to 6 compute derivatives.
"""
from __future__ import annotations

import argparse
from typing import Sequence

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


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)

    A, B, C = Square(), Exp(), Square()
    x = Variable(np.array(0.75))
    a = A(x)
    b = B(a)
    y = C(b)
    print(f"x = 0.75  a = x^2 = {float(a.data):.4f}  b = exp(a) = {float(b.data):.10f}")
    print(f"y = b^2 = {float(y.data):.10f}")
    print(f"same as exp(2 x^2) = exp(1.125): {float(np.exp(1.125)):.10f}")


if __name__ == "__main__":
    main()
