"""Step 7: automatic backpropagation through creator links.

Docs: docs/tutorial/02-automatic-backprop.md
Run: .venv/bin/python steps/step07.py  (check its output: make step N=7)

To call the backward methods without writing them out, the graph has to
remember how it was built.  Every Variable produced by a Function records that
Function as its ``creator``; every Function remembers its ``input`` and
``output``.  The graph is built as a side effect of ordinary computation
("define-by-run"), so it has exactly the shape the code took, branches and
loops included.

``Variable.backward`` then walks back from the output: ask the creator for the
input's gradient, and ask the input to continue.  In this step the walk is
recursive, as the idea reads most naturally; step 8 turns it into a loop.
"""
from __future__ import annotations

import argparse
from typing import Sequence

import numpy as np


class Variable:
    """Holds ``data``, its ``grad``, and the Function that created it (``creator``)."""

    def __init__(self, data: np.ndarray) -> None:
        self.data = data
        self.grad: np.ndarray | None = None
        self.creator: Function | None = None

    def set_creator(self, func: "Function") -> None:
        """Record the Function that produced this Variable."""
        self.creator = func

    def backward(self) -> None:
        """Fill in the gradients of everything behind this Variable (recursively)."""
        f = self.creator
        if f is not None:
            x = f.input
            x.grad = f.backward(self.grad)
            x.backward()


class Function:
    """Base class; a call links input, Function and output into the graph."""

    def __call__(self, input: Variable) -> Variable:
        y = self.forward(input.data)
        output = Variable(y)
        output.set_creator(self)
        self.input = input
        self.output = output
        return output

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

    # Walk the links by hand once, to see what backward will follow.
    print("y.creator is C:", y.creator is C)
    print("C.input is b:", y.creator.input is b)
    print("b.creator is B:", b.creator is B, " a.creator is A:", a.creator is A)
    print("x.creator:", x.creator, "(a Variable made by the user, not by a Function)")

    y.grad = np.array(1.0)
    y.backward()
    print(f"x.grad = {float(x.grad):.10f}")


if __name__ == "__main__":
    main()
