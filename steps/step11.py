"""Step 11: functions with several inputs and outputs (forward only).

Docs: docs/tutorial/03-natural-code.md
Run: .venv/bin/python steps/step11.py  (check its output: make step N=11)

Addition takes two inputs, and some functions will return more than one
output, so a Function now receives a *list* of Variables and returns a list.
``Add.forward`` takes the list of input arrays and returns a tuple of output
arrays.  The one-input functions keep working through the same protocol
(a list of one).  Backpropagation through several inputs comes in step 13;
here backward still follows the first input only, which is all a chain of
one-input functions needs.
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
        """Backpropagate along a chain of one-input, one-output Functions."""
        if self.grad is None:
            self.grad = np.ones_like(self.data)
        funcs = [self.creator]
        while funcs:
            f = funcs.pop()
            x, y = f.inputs[0], f.outputs[0]
            x.grad = f.backward(y.grad)
            if x.creator is not None:
                funcs.append(x.creator)


class Function:
    """Base class: called with a list of Variables, returns a list of Variables."""

    def __call__(self, inputs: list[Variable]) -> list[Variable]:
        xs = [x.data for x in inputs]
        ys = self.forward(xs)
        outputs = [Variable(as_array(y)) for y in ys]
        for output in outputs:
            output.set_creator(self)
        self.inputs = inputs
        self.outputs = outputs
        return outputs

    def forward(self, xs: list[np.ndarray]) -> tuple[np.ndarray, ...]:
        """The computation on a list of arrays, returning a tuple of arrays; overridden."""
        raise NotImplementedError(f"{type(self).__name__}.forward is not implemented")

    def backward(self, gy: np.ndarray) -> np.ndarray:
        """Derivative w.r.t. the input, given ``gy`` w.r.t. the output; overridden."""
        raise NotImplementedError(f"{type(self).__name__}.backward is not implemented")


class Square(Function):
    """y = x ** 2; dy/dx = 2x."""

    def forward(self, xs: list[np.ndarray]) -> tuple[np.ndarray]:
        return (xs[0] ** 2,)

    def backward(self, gy: np.ndarray) -> np.ndarray:
        return 2 * self.inputs[0].data * gy


class Add(Function):
    """y = x0 + x1 (forward only in this step)."""

    def forward(self, xs: list[np.ndarray]) -> tuple[np.ndarray]:
        x0, x1 = xs
        return (x0 + x1,)


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)

    xs = [Variable(np.array(2.0)), Variable(np.array(3.0))]
    f = Add()
    ys = f(xs)
    y = ys[0]
    print("Add()([2, 3]) returns a list of", len(ys), "Variable; its data:", y.data)

    x = Variable(np.array(3.0))
    (y,) = Square()([x])
    y.backward()
    print("Square through the list protocol: y =", y.data, " x.grad =", x.grad)


if __name__ == "__main__":
    main()
