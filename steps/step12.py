"""Step 12: calling functions with plain arguments.

Docs: docs/tutorial/03-natural-code.md
Run: .venv/bin/python steps/step12.py  (check its output: make step N=12)

Lists made step 11 general but clumsy: ``Add()([x0, x1])[0]``.  Two changes
restore the natural spelling ``add(x0, x1)``:

* ``__call__(*inputs)`` collects any number of positional arguments, and the
  result is a single Variable when there is one output (a list otherwise);
* ``forward(*xs)`` receives the input arrays as separate arguments and may
  return one array instead of a 1-tuple.

The implementer of a new function now writes ``forward(self, x0, x1)`` and
``return x0 + x1`` -- nothing about lists.
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
    """Base class: ``f(*variables)`` returns one Variable, or a list for several outputs."""

    def __call__(self, *inputs: Variable) -> Variable | list[Variable]:
        xs = [x.data for x in inputs]
        ys = self.forward(*xs)
        if not isinstance(ys, tuple):
            ys = (ys,)
        outputs = [Variable(as_array(y)) for y in ys]
        for output in outputs:
            output.set_creator(self)
        self.inputs = inputs
        self.outputs = outputs
        return outputs if len(outputs) > 1 else outputs[0]

    def forward(self, *xs: np.ndarray) -> Any:
        """The computation on arrays: one array or a tuple of arrays; overridden."""
        raise NotImplementedError(f"{type(self).__name__}.forward is not implemented")

    def backward(self, gy: np.ndarray) -> np.ndarray:
        """Derivative w.r.t. the input, given ``gy`` w.r.t. the output; overridden."""
        raise NotImplementedError(f"{type(self).__name__}.backward is not implemented")


class Square(Function):
    """y = x ** 2; dy/dx = 2x."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x ** 2

    def backward(self, gy: np.ndarray) -> np.ndarray:
        return 2 * self.inputs[0].data * gy


class Add(Function):
    """y = x0 + x1 (forward only in this step)."""

    def forward(self, x0: np.ndarray, x1: np.ndarray) -> np.ndarray:
        return x0 + x1


class DivMod(Function):
    """Two outputs at once: (x0 // x1, x0 % x1) -- shows the list return (no backward)."""

    def forward(self, x0: np.ndarray, x1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return x0 // x1, x0 % x1


def square(x: Variable) -> Variable:
    """x ** 2 as a graph node."""
    return Square()(x)


def add(x0: Variable, x1: Variable) -> Variable:
    """x0 + x1 as a graph node."""
    return Add()(x0, x1)


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)

    x0 = Variable(np.array(2.0))
    x1 = Variable(np.array(3.0))
    y = add(x0, x1)
    print("add(2, 3) =", y.data)

    q, r = DivMod()(Variable(np.array(17.0)), Variable(np.array(5.0)))
    print("DivMod()(17, 5) gives two Variables:", q.data, r.data)


if __name__ == "__main__":
    main()
