"""Step 9: making the functions pleasant to use.

Docs: docs/tutorial/02-automatic-backprop.md
Run: .venv/bin/python steps/step09.py  (check its output: make step N=9)

Three small changes, each removing a way to get things wrong:

* Python functions ``square(x)`` and ``exp(x)`` create the Function object and
  call it, so expressions nest naturally: ``square(exp(square(x)))``.
* ``backward()`` seeds the output's gradient with ones of the output's shape
  when none was set -- no more ``y.grad = np.array(1.0)``.
* A Variable accepts only ``None`` or a NumPy array, and says so with a
  TypeError otherwise.  Because NumPy turns the result of an operation on a
  0-d array into a NumPy *scalar* (``np.float64``), not an array, ``Function``
  passes every forward result through ``as_array`` to keep outputs arrays.
"""
from __future__ import annotations

import argparse
from typing import Any, Sequence

import numpy as np


def as_array(x: Any) -> np.ndarray:
    """Return x as an ndarray (NumPy scalars become 0-d arrays)."""
    if np.isscalar(x):
        return np.array(x)
    return x


class Variable:
    """Holds ``data`` (an ndarray or None), its ``grad``, and its ``creator``."""

    def __init__(self, data: np.ndarray | None) -> None:
        if data is not None and not isinstance(data, np.ndarray):
            raise TypeError(f"Variable: data must be a numpy.ndarray or None, got "
                            f"{type(data).__name__}; wrap it first, e.g. np.array(...)")
        self.data = data
        self.grad: np.ndarray | None = None
        self.creator: Function | None = None

    def set_creator(self, func: "Function") -> None:
        """Record the Function that produced this Variable."""
        self.creator = func

    def backward(self) -> None:
        """Fill in the gradients behind this Variable; the seed gradient is ones."""
        if self.grad is None:
            self.grad = np.ones_like(self.data)
        funcs = [self.creator]
        while funcs:
            f = funcs.pop()
            x, y = f.input, f.output
            x.grad = f.backward(y.grad)
            if x.creator is not None:
                funcs.append(x.creator)


class Function:
    """Base class; a call links input, Function and output into the graph."""

    def __call__(self, input: Variable) -> Variable:
        output = Variable(as_array(self.forward(input.data)))
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


def square(x: Variable) -> Variable:
    """x ** 2 as a graph node."""
    return Square()(x)


def exp(x: Variable) -> Variable:
    """exp(x) as a graph node."""
    return Exp()(x)


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)

    x = Variable(np.array(0.75))
    y = square(exp(square(x)))
    y.backward()
    print(f"x.grad = {float(x.grad):.10f}")

    for bad in [1.0, [1.0, 2.0]]:
        try:
            Variable(bad)
        except TypeError as e:
            print("Variable(", repr(bad), "):", e)

    raw = np.array(1.0) ** 2
    print("type of np.array(1.0) ** 2:", type(raw).__name__, "-> as_array gives",
          type(as_array(raw)).__name__)
    print("type of square(Variable(np.array(1.0))).data:",
          type(square(Variable(np.array(1.0))).data).__name__)


if __name__ == "__main__":
    main()
