"""Step 22: operator overloading, part 3 -- the remaining operators.

Docs: docs/tutorial/03-natural-code.md
Run: .venv/bin/python steps/step22.py  (check its output: make step N=22)

Four more Functions complete the arithmetic, each with its backward:

* Neg:  y = -x,        dy/dx = -1
* Sub:  y = x0 - x1,   gradients gy and -gy
* Div:  y = x0 / x1,   gradients gy / x1 and -gy * x0 / x1^2
* Pow:  y = x ** c for a constant c,  dy/dx = c * x^(c-1)

Subtraction and division are not symmetric, so their reflected forms swap the
operands: ``2.0 - x`` becomes ``sub(2.0, x)``, not ``sub(x, 2.0)``.

This is the last snapshot whose whole framework lives in the script.  It is
the "simple core" of the book's second stage: the tests check that it and the
``dezero`` package agree on values and gradients.  From step 23 the scripts
import the package instead.
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


def as_variable(obj: Any) -> "Variable":
    """Return obj if it is a Variable, else wrap it (an array or a number) in one."""
    if isinstance(obj, Variable):
        return obj
    return Variable(as_array(obj))


def constant_like(value: Any, other: "Variable") -> Any:
    """A Python number as an array of the dtype it takes next to ``other``'s data."""
    if isinstance(value, (int, float)):
        return np.asarray(value, dtype=np.result_type(other.data, value))
    return value


class Variable:
    """Holds ``data``, ``grad``, its ``creator`` and its ``generation``."""

    __array_priority__ = 200  # make ndarray * Variable call Variable.__rmul__

    def __init__(self, data: np.ndarray | None, name: str | None = None) -> None:
        if data is not None and not isinstance(data, np.ndarray):
            raise TypeError(f"Variable: data must be a numpy.ndarray or None, got "
                            f"{type(data).__name__}; wrap it first, e.g. np.array(...)")
        self.data = data
        self.name = name
        self.grad: np.ndarray | None = None
        self.creator: Function | None = None
        self.generation = 0

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of the data."""
        return self.data.shape

    @property
    def ndim(self) -> int:
        """Number of axes of the data."""
        return self.data.ndim

    @property
    def size(self) -> int:
        """Number of elements of the data."""
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        """Element type of the data."""
        return self.data.dtype

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        if self.data is None:
            return "variable(None)"
        body = str(self.data).replace("\n", "\n" + " " * len("variable("))
        return f"variable({body})"

    def set_creator(self, func: "Function") -> None:
        """Record the Function that produced this Variable; it is one generation later."""
        self.creator = func
        self.generation = func.generation + 1

    def __mul__(self, other: Any) -> "Variable":
        return mul(self, other)

    def __rmul__(self, other: Any) -> "Variable":
        return mul(self, other)

    def __add__(self, other: Any) -> "Variable":
        return add(self, other)

    def __radd__(self, other: Any) -> "Variable":
        return add(self, other)

    def __neg__(self) -> "Variable":
        return neg(self)

    def __sub__(self, other: Any) -> "Variable":
        return sub(self, other)

    def __rsub__(self, other: Any) -> "Variable":
        return rsub(self, other)

    def __truediv__(self, other: Any) -> "Variable":
        return div(self, other)

    def __rtruediv__(self, other: Any) -> "Variable":
        return rdiv(self, other)

    def __pow__(self, c: float) -> "Variable":
        return pow(self, c)

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

    def __call__(self, *inputs: Any) -> Variable | list[Variable]:
        inputs = [as_variable(x) for x in inputs]
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


class Mul(Function):
    """y = x0 * x1; each input's gradient is gy times the other input."""

    def forward(self, x0: np.ndarray, x1: np.ndarray) -> np.ndarray:
        return x0 * x1

    def backward(self, gy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x0, x1 = self.inputs[0].data, self.inputs[1].data
        return gy * x1, gy * x0


class Neg(Function):
    """y = -x."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return -x

    def backward(self, gy: np.ndarray) -> np.ndarray:
        return -gy


class Sub(Function):
    """y = x0 - x1; gradients gy and -gy."""

    def forward(self, x0: np.ndarray, x1: np.ndarray) -> np.ndarray:
        return x0 - x1

    def backward(self, gy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return gy, -gy


class Div(Function):
    """y = x0 / x1; gradients gy / x1 and -gy * x0 / x1^2."""

    def forward(self, x0: np.ndarray, x1: np.ndarray) -> np.ndarray:
        return x0 / x1

    def backward(self, gy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x0, x1 = self.inputs[0].data, self.inputs[1].data
        gx0 = gy / x1
        gx1 = gy * (-x0 / x1 ** 2)
        return gx0, gx1


class Pow(Function):
    """y = x ** c for a constant exponent c; dy/dx = c * x^(c-1)."""

    def __init__(self, c: float) -> None:
        self.c = c

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x ** self.c

    def backward(self, gy: np.ndarray) -> np.ndarray:
        x = self.inputs[0].data
        return self.c * x ** (self.c - 1) * gy


class Exp(Function):
    """y = exp(x); dy/dx = exp(x)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.exp(x)

    def backward(self, gy: np.ndarray) -> np.ndarray:
        return np.exp(self.inputs[0].data) * gy


def square(x: Variable) -> Variable:
    """x ** 2 as a graph node."""
    return Square()(x)


def add(x0: Any, x1: Any) -> Variable:
    """x0 + x1 as a graph node; either side may be an array or a number."""
    return Add()(*as_variable_pair(x0, x1))


def mul(x0: Any, x1: Any) -> Variable:
    """x0 * x1 as a graph node; either side may be an array or a number."""
    return Mul()(*as_variable_pair(x0, x1))


def neg(x: Variable) -> Variable:
    """-x as a graph node."""
    return Neg()(x)


def sub(x0: Any, x1: Any) -> Variable:
    """x0 - x1 as a graph node; either side may be an array or a number."""
    return Sub()(*as_variable_pair(x0, x1))


def rsub(x0: Variable, x1: Any) -> Variable:
    """x1 - x0: the reflected form, for ``number - Variable``."""
    return sub(x1, x0)


def div(x0: Any, x1: Any) -> Variable:
    """x0 / x1 as a graph node; either side may be an array or a number."""
    return Div()(*as_variable_pair(x0, x1))


def rdiv(x0: Variable, x1: Any) -> Variable:
    """x1 / x0: the reflected form, for ``number / Variable``."""
    return div(x1, x0)


def pow(x: Variable, c: float) -> Variable:
    """x ** c for a constant c, as a graph node."""
    return Pow(c)(x)


def exp(x: Variable) -> Variable:
    """exp(x) as a graph node."""
    return Exp()(x)


def as_variable_pair(x0: Any, x1: Any) -> tuple[Variable, Variable]:
    """Both operands as Variables; a number takes its dtype from the Variable beside it."""
    if isinstance(x0, Variable):
        return x0, as_variable(constant_like(x1, x0))
    x1 = as_variable(x1)
    return as_variable(constant_like(x0, x1)), x1


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)

    x = Variable(np.array(2.0))
    print("-x =", -x)
    print("2.0 - x =", 2.0 - x, "  x - 1.0 =", x - 1.0)
    print("3.0 / x =", 3.0 / x, "  x / 4.0 =", x / 4.0)
    y = x ** 3
    y.backward()
    print("x ** 3 =", y, "  d/dx =", x.grad)

    x.cleargrad()
    y = (x - 1.0) / (x + 1.0)  # = 1/3 at 2; derivative 2 / (x + 1)^2 = 2/9
    y.backward()
    print(f"(x - 1) / (x + 1) = {float(y.data):.6f}  d/dx = {float(x.grad):.6f}  "
          f"(exact {2 / 9:.6f})")


if __name__ == "__main__":
    main()
