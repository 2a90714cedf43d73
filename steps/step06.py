"""Step 6: backpropagation by hand with backward methods.

Docs: docs/tutorial/01-by-hand.md
Run: .venv/bin/python steps/step06.py  (check its output: make step N=6)

Step 5 multiplied local derivatives written out in the main program.  Now each
piece knows its own part:

* a Variable gets a second box, ``grad``, for the derivative of the final
  output with respect to it;
* a Function remembers its ``input`` during ``forward`` and gains a
  ``backward(gy)`` method: given the derivative with respect to its output, it
  returns the derivative with respect to its input (gy times the local
  derivative at the remembered input).

We still call the backward methods ourselves, in the reverse order of the
forward calls.  The result, 9.2406505468 at x = 0.75, matches step 5.
"""
from __future__ import annotations

import argparse
from typing import Sequence

import numpy as np


class Variable:
    """Holds an array (``data``) and, after backpropagation, its derivative (``grad``)."""

    def __init__(self, data: np.ndarray) -> None:
        self.data = data
        self.grad: np.ndarray | None = None


class Function:
    """Base class: ``forward`` computes on arrays, ``backward`` maps output to input derivative."""

    def __call__(self, input: Variable) -> Variable:
        x = input.data
        y = self.forward(x)
        self.input = input  # kept for backward
        return Variable(y)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """The computation on arrays; every concrete Function overrides this."""
        raise NotImplementedError(f"{type(self).__name__}.forward is not implemented")

    def backward(self, gy: np.ndarray) -> np.ndarray:
        """Derivative w.r.t. the input, given ``gy`` w.r.t. the output; overridden."""
        raise NotImplementedError(f"{type(self).__name__}.backward is not implemented")


class Square(Function):
    """y = x ** 2; dy/dx = 2x."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x ** 2

    def backward(self, gy: np.ndarray) -> np.ndarray:
        return 2 * self.input.data * gy


class Exp(Function):
    """y = exp(x); dy/dx = exp(x)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.exp(x)

    def backward(self, gy: np.ndarray) -> np.ndarray:
        return np.exp(self.input.data) * gy


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)

    A, B, C = Square(), Exp(), Square()
    x = Variable(np.array(0.75))
    a = A(x)
    b = B(a)
    y = C(b)

    y.grad = np.array(1.0)
    b.grad = C.backward(y.grad)
    a.grad = B.backward(b.grad)
    x.grad = A.backward(a.grad)
    for name, v in [("b", b), ("a", a), ("x", x)]:
        print(f"{name}.grad = {float(v.grad):.10f}")


if __name__ == "__main__":
    main()
