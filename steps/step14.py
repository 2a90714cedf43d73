"""Step 14: using the same variable more than once.

Docs: docs/tutorial/03-natural-code.md
Run: .venv/bin/python steps/step14.py  (check its output: make step N=14)

In y = x + x the variable x feeds both inputs of Add.  Step 13 *assigned*
each input's gradient, so the second assignment overwrote the first and
dy/dx came out as 1 instead of 2.  The fix is to *accumulate*: the first
gradient to arrive is stored, later ones are added.  (It is added as
``x.grad = x.grad + gx``, creating a new array, not ``x.grad += gx``, which
would modify in place an array that may also be some other Variable's
gradient -- here, the very same ``gy`` handed to both inputs.)

Accumulation has a consequence: gradients now persist across backward calls.
To reuse a Variable in a new computation, reset it with ``cleargrad()``.
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

    def cleargrad(self) -> None:
        """Forget the accumulated gradient, before reusing this Variable."""
        self.grad = None

    def backward(self) -> None:
        """Accumulate into ``grad`` the gradients of every Variable behind this one."""
        if self.grad is None:
            self.grad = np.ones_like(self.data)
        funcs = [self.creator]
        while funcs:
            f = funcs.pop()
            gys = [output.grad for output in f.outputs]
            gxs = f.backward(*gys)
            if not isinstance(gxs, tuple):
                gxs = (gxs,)
            for x, gx in zip(f.inputs, gxs):
                if x.grad is None:
                    x.grad = gx
                else:
                    x.grad = x.grad + gx  # a new array: never modify a shared gradient
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

    def backward(self, *gys: np.ndarray) -> Any:
        """One gradient per input (a tuple if several), given one per output; overridden."""
        raise NotImplementedError(f"{type(self).__name__}.backward is not implemented")


class Square(Function):
    """y = x ** 2; dy/dx = 2x."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x ** 2

    def backward(self, gy: np.ndarray) -> np.ndarray:
        x = self.inputs[0].data
        return 2 * x * gy


class Add(Function):
    """y = x0 + x1; the gradient goes unchanged to both inputs."""

    def forward(self, x0: np.ndarray, x1: np.ndarray) -> np.ndarray:
        return x0 + x1

    def backward(self, gy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return gy, gy


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

    x = Variable(np.array(3.0))
    y = add(x, x)
    y.backward()
    print("y = x + x:      y =", y.data, " dy/dx =", x.grad)

    # Without cleargrad() the gradient of the previous computation would be added on.
    x.cleargrad()
    y = add(add(x, x), x)
    y.backward()
    print("y = x + x + x:  y =", y.data, " dy/dx =", x.grad)

    y = add(x, x)
    y.backward()
    print("again x + x, but forgetting cleargrad(): dy/dx =", x.grad, "(3 + 2)")

    x = Variable(np.array(2.0))
    y = Variable(np.array(3.0))
    z = add(square(x), square(y))
    z.backward()
    print("z = x^2 + y^2 at (2, 3): dz/dx =", x.grad, " dz/dy =", y.grad)


if __name__ == "__main__":
    main()
