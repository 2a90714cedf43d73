"""Step 17: memory -- weak references break the graph's reference cycle.

Docs: docs/tutorial/03-natural-code.md
Run: .venv/bin/python steps/step17.py  (check its output: make step N=17)

A Variable points to its creator, and the creator pointed back to its
outputs: a reference cycle.  Python frees most objects the moment their
reference count drops to zero, but objects in a cycle never reach zero; they
wait for the cycle collector, which runs only now and then.  Until it does,
every intermediate array of every graph stays in memory.

The fix: a Function holds its outputs through ``weakref.ref``, which does not
count as a reference.  Inputs are still held strongly (backward needs them),
so the links all point one way -- from outputs back to inputs -- and dropping
the final output frees the whole graph at once.

The demonstration below turns the cycle collector off and checks, with a weak
reference to one Function of the graph, whether the graph is gone after
``del y``: with strong output links it survives until ``gc.collect()``; with
weak links it is freed immediately.
"""
from __future__ import annotations

import argparse
import gc
import heapq
import weakref
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

    def backward(self) -> None:
        """Accumulate gradients behind this Variable, highest generation first."""
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
            gys = [output().grad for output in f.outputs]  # call the weakref to get the Variable
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
        self.outputs = [weakref.ref(output) for output in outputs]
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


class StrongSquare(Square):
    """Square that also keeps strong references to its outputs, as steps 7-16 did."""

    def __call__(self, *inputs: Variable) -> Variable:
        output = super().__call__(*inputs)
        self.strong_outputs = [output]  # output -> creator -> output: a cycle
        return output


def square(x: Variable) -> Variable:
    """x ** 2 as a graph node."""
    return Square()(x)


def add(x0: Variable, x1: Variable) -> Variable:
    """x0 + x1 as a graph node."""
    return Add()(x0, x1)


def graph_freed_on_del(square_fn) -> tuple[bool, bool]:
    """Build y = square(square(x)), drop y; return (freed at once, freed after gc.collect())."""
    x = Variable(np.array(2.0))
    y = square_fn(square_fn(x))
    watch = weakref.ref(y.creator)
    del y
    freed_now = watch() is None
    gc.collect()
    return freed_now, watch() is None


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)

    gc.disable()  # so that only reference counting frees memory during the demonstration
    try:
        for label, fn in [("strong output links", lambda v: StrongSquare()(v)),
                          ("weak output links  ", square)]:
            now, after_gc = graph_freed_on_del(fn)
            print(f"{label}: graph freed on del: {now}, after gc.collect(): {after_gc}")
    finally:
        gc.enable()

    # Backpropagation works as before, reading outputs through the weak references.
    x = Variable(np.array(2.0))
    a = square(x)
    y = add(square(a), square(a))
    y.backward()
    print("y = (x^2)^2 + (x^2)^2 at 2: y =", y.data, " dy/dx =", x.grad)


if __name__ == "__main__":
    main()
