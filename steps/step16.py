"""Step 16: generations, and a heap that processes Functions in the right order.

Docs: docs/tutorial/03-natural-code.md
Run: .venv/bin/python steps/step16.py  (check its output: make step N=16)

Every Variable and Function gets a ``generation`` number during the forward
pass: a Function's generation is the largest generation among its inputs, and
its outputs are one generation later.  Variables made by the user are
generation 0.  A Function can therefore only be consumed by Functions of a
*higher* generation.

Backward keeps the pending Functions in a heap (``heapq``) keyed on minus the
generation, so the Function popped next is always the one of highest
generation -- by then every Function that uses its outputs has run and its
gradients are complete.  A set of already queued Functions stops one being
queued twice.  A heap costs O(log n) per push and pop; the book re-sorts a
list on every insertion instead, which grows quadratically with the width of
the graph.  (A counter breaks ties between equal generations, so that heapq
never has to compare two Functions.)

Step 15's graph now gives y = 32 and dy/dx = 64.
"""
from __future__ import annotations

import argparse
import heapq
from typing import Any, Sequence

import numpy as np


def as_array(x: Any) -> np.ndarray:
    """Return x as an ndarray (NumPy scalars become 0-d arrays)."""
    if np.isscalar(x):
        return np.array(x)
    return x


class Variable:
    """Holds ``data``, ``grad``, its ``creator`` and its ``generation``."""

    def __init__(self, data: np.ndarray | None) -> None:
        if data is not None and not isinstance(data, np.ndarray):
            raise TypeError(f"Variable: data must be a numpy.ndarray or None, got "
                            f"{type(data).__name__}; wrap it first, e.g. np.array(...)")
        self.data = data
        self.grad: np.ndarray | None = None
        self.creator: Function | None = None
        self.generation = 0

    def set_creator(self, func: "Function") -> None:
        """Record the Function that produced this Variable; it is one generation later."""
        self.creator = func
        self.generation = func.generation + 1

    def cleargrad(self) -> None:
        """Forget the accumulated gradient, before reusing this Variable."""
        self.grad = None

    def backward(self, trace: list | None = None) -> None:
        """Accumulate gradients behind this Variable, highest generation first.

        ``trace``, if given, collects the name of each Function as its backward runs.
        """
        if self.grad is None:
            self.grad = np.ones_like(self.data)
        heap: list = []
        queued: set = set()
        counter = 0

        def push(f: Function) -> None:
            nonlocal counter
            if f not in queued:
                queued.add(f)
                counter += 1
                heapq.heappush(heap, (-f.generation, counter, f))

        push(self.creator)
        while heap:
            f = heapq.heappop(heap)[2]
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
                    push(x.creator)


class Function:
    """Base class: ``f(*variables)`` returns one Variable, or a list for several outputs."""

    name = "?"  # a label for printing the order of backward calls

    def __call__(self, *inputs: Variable) -> Variable | list[Variable]:
        xs = [x.data for x in inputs]
        ys = self.forward(*xs)
        if not isinstance(ys, tuple):
            ys = (ys,)
        outputs = [Variable(as_array(y)) for y in ys]
        self.generation = max(x.generation for x in inputs)
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
    b, c = B(a), C(a)
    y = D(b, c)
    print("generations: x", x.generation, " A", A.generation, " a", a.generation,
          " B, C", B.generation, C.generation, " D", D.generation, " y", y.generation)
    trace: list = []
    y.backward(trace)
    print("y =", y.data)
    print("backward calls in order:", " ".join(trace))
    print("x.grad =", x.grad)

    # A wider graph: the sum of 1000 squares of the same x, each branch queued once.
    x = Variable(np.array(3.0))
    total = square(x)
    for _ in range(999):
        total = add(total, square(x))
    total.backward()
    print("sum of 1000 copies of x^2 at 3: d/dx =", x.grad, "(= 1000 * 6)")


if __name__ == "__main__":
    main()
