"""Step 15: why the order of backward calls matters (the problem).

Docs: docs/tutorial/03-natural-code.md
Run: .venv/bin/python steps/step15.py  (check its output: make step N=15)

Step 14's framework gives a wrong answer on a graph that branches and joins
again.  Take a = x^2 and y = a^2 + a^2, so y = 2 x^4 and dy/dx = 8 x^3 = 64
at x = 2.  The graph is

    x -> A(square) -> a -> B(square) -> b --+
                      |                     +-> D(add) -> y
                      +--> C(square) -> c --+

Backward pops Functions from a list.  After D it holds [B, C]; it processes C,
which queues A; A runs next -- but only C's share of dy/da has arrived, B's is
still to come.  A runs a second time after B, and x.grad ends up 32 + 64 = 96.
Printing the order of the backward calls shows it.

The rule that fixes it: a Function may run its backward only after *every*
Function that uses its outputs has run.  Numbering each Function and Variable
with a *generation* (how many Functions lie before it on the longest path
from the inputs) gives exactly that order: always process the pending
Function of the highest generation first.  Step 16
implements it.
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

    def backward(self, trace: list | None = None) -> None:
        """Accumulate into ``grad`` the gradients of every Variable behind this one.

        ``trace``, if given, collects the name of each Function as its backward runs.
        """
        if self.grad is None:
            self.grad = np.ones_like(self.data)
        funcs = [self.creator]
        while funcs:
            f = funcs.pop()
            if trace is not None:
                trace.append(f.name)
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

    name = "?"  # a label for printing the order of backward calls

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

    x = Variable(np.array(2.0))
    A, B, C, D = Square(), Square(), Square(), Add()
    for f, name in [(A, "A"), (B, "B"), (C, "C"), (D, "D")]:
        f.name = name
    a = A(x)
    y = D(B(a), C(a))
    trace: list = []
    y.backward(trace)
    print("y =", y.data)
    print("backward calls in order:", " ".join(trace), "-- A runs twice, once too early")
    print("x.grad =", x.grad, " but dy/dx = 8 x^3 =", 8 * 2.0 ** 3)


if __name__ == "__main__":
    main()
