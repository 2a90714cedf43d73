"""Step 8: backpropagation as a loop instead of recursion.

Docs: docs/tutorial/02-automatic-backprop.md
Run: .venv/bin/python steps/step08.py  (check its output: make step N=8)

The recursive ``backward`` of step 7 uses one Python stack frame per Function,
so a long enough chain hits Python's recursion limit (about 1000 frames by
default).  A loop with an explicit list of Functions still to process does the
same work in constant stack depth.  The script first runs the loop on the
chain of steps 3 to 7 (x.grad = 9.2406505468 at x = 0.75, as before), then
on a chain of ``--depth`` (default 2000) Square functions applied to x = 1.0:
every value stays 1.0 and every local derivative is 2, so x.grad is the seed
gradient times 2^2000; the seed 2^-1000 keeps that inside the float64 range.
The recursive version raises RecursionError on that chain, the loop
finishes with x.grad = 2^1000.  (The list becomes a priority queue in step
16, once graphs are allowed to branch.)
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
        """Fill in the gradients of everything behind this Variable, with a loop."""
        funcs = [self.creator]
        while funcs:
            f = funcs.pop()
            x, y = f.input, f.output
            x.grad = f.backward(y.grad)
            if x.creator is not None:
                funcs.append(x.creator)

    def backward_recursive(self) -> None:
        """Step 7's recursive version, kept to show where it breaks."""
        f = self.creator
        if f is not None:
            x = f.input
            x.grad = f.backward(self.grad)
            x.backward_recursive()


class Function:
    """Base class; a call links input, Function and output into the graph."""

    def __call__(self, input: Variable) -> Variable:
        output = Variable(self.forward(input.data))
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
    parser.add_argument("--depth", type=int, default=2000, help="length of the long chain")
    args = parser.parse_args(argv)

    A, B, C = Square(), Exp(), Square()
    x = Variable(np.array(0.75))
    y = C(B(A(x)))
    y.grad = np.array(1.0)
    y.backward()
    print(f"x.grad = {float(x.grad):.10f}")

    # A chain of `depth` squarings of 1.0: the value stays 1.0 and each local
    # derivative is 2, so x.grad = seed * 2^depth.  The seed 2^-depth/2 keeps
    # that product inside the float64 range.
    def long_chain() -> tuple[Variable, Variable]:
        x = Variable(np.array(1.0))
        y = x
        for _ in range(args.depth):
            y = Square()(y)
        y.grad = np.array(2.0 ** -(args.depth // 2))
        return x, y

    x, y = long_chain()
    try:
        y.backward_recursive()
        print("recursive backward: finished")
    except RecursionError:
        print(f"recursive backward on {args.depth} functions: RecursionError")
    x, y = long_chain()
    y.backward()
    print(f"loop backward on {args.depth} functions: x.grad = 2^{np.log2(x.grad):.0f} "
          f"(seed 2^-{args.depth // 2} times 2^{args.depth})")


if __name__ == "__main__":
    main()
