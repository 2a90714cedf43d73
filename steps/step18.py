"""Step 18: saving memory -- freeing intermediate gradients, and a no-grad mode.

Docs: docs/tutorial/03-natural-code.md
Run: .venv/bin/python steps/step18.py  (check its output: make step N=18)

Two ways to use less memory:

* Usually only the gradients of the inputs (the parameters) are wanted.  So
  ``backward()`` now drops each intermediate Variable's gradient as soon as it
  has been passed on; ``backward(retain_grad=True)`` keeps them all.
* During inference nobody will call backward, so recording the graph
  (inputs, generations, creator links) is wasted work and memory.  A
  configuration flag ``Config.enable_backprop`` switches recording off, and the
  context manager ``using_config("enable_backprop", False)`` -- or its short
  form ``no_grad()`` -- switches it off for a ``with`` block only, restoring
  the old value afterwards even if the block raises.

(This snapshot keeps the flag as a class attribute, which is shared by every
thread; the ``dezero`` package keeps it per thread and per asyncio task, so
``no_grad()`` in one thread never turns recording off in another.)
"""
from __future__ import annotations

import argparse
import contextlib
import heapq
import weakref
from typing import Any, Iterator, Sequence

import numpy as np


class Config:
    """Global settings: ``enable_backprop`` says whether Function calls record the graph."""

    enable_backprop = True


@contextlib.contextmanager
def using_config(name: str, value: Any) -> Iterator[None]:
    """Set ``Config.<name>`` to ``value`` inside a with block, restoring it afterwards."""
    if not hasattr(Config, name):
        raise AttributeError(f"using_config: Config has no setting {name!r}")
    old_value = getattr(Config, name)
    setattr(Config, name, value)
    try:
        yield
    finally:
        setattr(Config, name, old_value)


def no_grad() -> contextlib.AbstractContextManager:
    """``using_config("enable_backprop", False)``: compute without recording the graph."""
    return using_config("enable_backprop", False)


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

    def backward(self, retain_grad: bool = False) -> None:
        """Accumulate gradients behind this Variable, highest generation first.

        Intermediate Variables' gradients are dropped once used, unless ``retain_grad``.
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
            if not retain_grad:
                for ref in f.outputs:
                    output = ref()
                    if output is not None:
                        output.grad = None  # every consumer has run: no longer needed


class Function:
    """Base class: ``f(*variables)`` returns one Variable, or a list for several outputs."""

    def __call__(self, *inputs: Variable) -> Variable | list[Variable]:
        xs = [x.data for x in inputs]
        ys = self.forward(*xs)
        if not isinstance(ys, tuple):
            ys = (ys,)
        outputs = [Variable(as_array(y)) for y in ys]
        if Config.enable_backprop:  # record the graph only when it may be backpropagated
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

    x0 = Variable(np.array(1.0))
    x1 = Variable(np.array(1.0))
    t = add(x0, x1)
    y = add(x0, t)
    y.backward()
    print("default:           y.grad", y.grad, " t.grad", t.grad,
          " x0.grad", x0.grad, " x1.grad", x1.grad)

    x0.cleargrad()
    x1.cleargrad()
    t = add(x0, x1)
    y = add(x0, t)
    y.backward(retain_grad=True)
    print("retain_grad=True:  y.grad", y.grad, " t.grad", t.grad,
          " x0.grad", x0.grad, " x1.grad", x1.grad)

    x = Variable(np.ones((100, 100)))
    y = square(square(x))
    print("recording:  y.creator is", type(y.creator).__name__, ", generation", y.generation)
    with using_config("enable_backprop", False):
        y = square(square(x))
        print("inside using_config('enable_backprop', False): y.creator is", y.creator,
              ", generation", y.generation)
    with no_grad():
        y = square(x)
        print("inside no_grad(): y.creator is", y.creator)
    print("after the block, enable_backprop is", Config.enable_backprop)
    try:
        with no_grad():
            raise RuntimeError("an error inside the block")
    except RuntimeError:
        pass
    print("after a block that raised, enable_backprop is", Config.enable_backprop)


if __name__ == "__main__":
    main()
