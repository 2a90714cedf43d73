"""Arithmetic: + - * / ** and negation, broadcasting like NumPy.

Each binary backward reduces its gradients to the input shapes with
:func:`dezero.functions.shape.sum_to` (the identity when nothing was broadcast).

A Python scalar operand (``x * 2.0``) is kept as a number inside a one-input
Function (``MulConst``) rather than wrapped in a Variable: no array, no graph
node and no gradient are made for it, which halves the cost of scalar-heavy
code, and NumPy 2's weak scalars keep float32 data float32.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from dezero.core import Function, Variable, _constant_like, as_variable
from dezero.functions.shape import sum_to
from dezero.utils.checks import renamed

_SCALARS = (int, float)


def _operands(x0: Any, x1: Any) -> tuple[Variable, Variable]:
    """Both operands as Variables; a constant takes its dtype from the Variable beside it."""
    if isinstance(x0, Variable):
        return x0, _constant_like(x1, x0)
    x1 = as_variable(x1)
    return _constant_like(x0, x1), x1


def _named(who: str, e: Exception, *operands: Any) -> Exception:
    """``e`` (from NumPy, or re-raised by Function) as an error that names ``who`` and the
    operands' shapes and dtypes."""
    if str(e).startswith(who + ":"):
        return e
    parts = [f"{tuple(o.shape)} {o.dtype}" if hasattr(o, "dtype") and hasattr(o, "shape")
             else type(o).__name__ for o in operands]
    return renamed(who, e, f" (operands: {', '.join(parts)})")


class Add(Function):
    def forward(self, x0, x1):
        return x0 + x1

    def backward(self, gy):
        x0, x1 = self.inputs
        if x0.shape == x1.shape:
            return gy, gy
        return sum_to(gy, x0.shape), sum_to(gy, x1.shape)


class AddConst(Function):
    """``x + c`` for a Python scalar ``c`` (``x - c`` is ``x + (-c)``, exactly)."""

    def __init__(self, c: Any) -> None:
        self.c = c

    def forward(self, x):
        return x + self.c

    def backward(self, gy):
        return gy


class MulConst(Function):
    """``x * c`` for a Python scalar ``c``."""

    def __init__(self, c: Any) -> None:
        self.c = c

    def forward(self, x):
        return x * self.c

    def backward(self, gy):
        return MulConst(self.c)(gy)


class DivConst(Function):
    """``x / c`` for a Python scalar ``c``."""

    def __init__(self, c: Any) -> None:
        self.c = c

    def forward(self, x):
        return x / self.c

    def backward(self, gy):
        return DivConst(self.c)(gy)


class RSubConst(Function):
    """``c - x`` for a Python scalar ``c``."""

    def __init__(self, c: Any) -> None:
        self.c = c

    def forward(self, x):
        return self.c - x

    def backward(self, gy):
        return -gy


class RDivConst(Function):
    """``c / x`` for a Python scalar ``c``."""

    def __init__(self, c: Any) -> None:
        self.c = c

    def forward(self, x):
        return self.c / x

    def backward(self, gy):
        (x,) = self.inputs
        return gy * (-self.c) / (x * x)


class Sub(Function):
    def forward(self, x0, x1):
        return x0 - x1

    def backward(self, gy):
        x0, x1 = self.inputs
        if x0.shape == x1.shape:
            return gy, -gy
        return sum_to(gy, x0.shape), sum_to(-gy, x1.shape)


class Mul(Function):
    def forward(self, x0, x1):
        return x0 * x1

    def backward(self, gy):
        x0, x1 = self.inputs
        if x0 is x1:  # x * x: one gradient 2·x·gy rather than two that backward must add
            return gy * (x0 * 2), None
        if x0.shape == x1.shape:
            return gy * x1, gy * x0
        return sum_to(gy * x1, x0.shape), sum_to(gy * x0, x1.shape)


class Div(Function):
    def forward(self, x0, x1):
        return x0 / x1

    def backward(self, gy):
        x0, x1 = self.inputs
        gx0 = gy / x1
        gx1 = -(gx0 * x0) / x1  # negate a float: -x0 fails for boolean x0
        return sum_to(gx0, x0.shape), sum_to(gx1, x1.shape)


class Neg(Function):
    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy


class Copy(Function):
    def forward(self, x):
        return x.copy()

    def backward(self, gy):
        return gy


class PowConst(Function):
    """``x ** c`` for a constant exponent ``c`` (no gradient flows to ``c``)."""

    def __init__(self, c: Any) -> None:
        # A NumPy scalar would promote float32 data; a Python scalar does not.
        self.c = c.item() if isinstance(c, np.generic) else c

    def forward(self, x):
        return x ** self.c

    def backward(self, gy):
        (x,) = self.inputs
        c = self.c
        if c == 0:  # d/dx x**0 = 0 everywhere, also where x**-1 would be inf
            return gy * 0
        if c == 2:  # the usual square: 2 ops, not 3 (no x ** 1)
            return gy * (x * 2)
        return gy * (c * x ** (c - 1))


class Pow(Function):
    """``x0 ** x1`` with both base and exponent differentiable."""

    def forward(self, x0, x1):
        return x0 ** x1

    def backward(self, gy):
        from dezero.functions.elementwise import log
        x0, x1 = self.inputs
        y = self.outputs[0]()
        y = x0 ** x1 if y is None else y
        gx0 = gy * x1 * x0 ** (x1 - 1)
        gx1 = gy * y * log(x0)
        return sum_to(gx0, x0.shape), sum_to(gx1, x1.shape)


def add(x0: Any, x1: Any) -> Variable:
    """y = x0 + x1 (broadcasting)."""
    try:
        if type(x1) in _SCALARS:
            return AddConst(x1)(x0)
        if not (isinstance(x0, Variable) and isinstance(x1, Variable)):
            x0, x1 = _operands(x0, x1)
        return Add()(x0, x1)
    except (TypeError, ValueError) as e:
        raise _named("add", e, x0, x1) from None


def sub(x0: Any, x1: Any) -> Variable:
    """y = x0 - x1 (broadcasting)."""
    try:
        if type(x1) in _SCALARS:
            return AddConst(-x1)(x0)
        if not (isinstance(x0, Variable) and isinstance(x1, Variable)):
            x0, x1 = _operands(x0, x1)
        return Sub()(x0, x1)
    except (TypeError, ValueError) as e:
        raise _named("sub", e, x0, x1) from None


def rsub(x0: Any, x1: Any) -> Variable:
    """y = x1 - x0 (reflected subtraction, broadcasting)."""
    try:
        if type(x1) in _SCALARS:
            return RSubConst(x1)(x0)
        x0, x1 = _operands(x0, x1)
        return Sub()(x1, x0)
    except (TypeError, ValueError) as e:
        raise _named("rsub", e, x1, x0) from None


def mul(x0: Any, x1: Any) -> Variable:
    """y = x0 * x1 (elementwise, broadcasting)."""
    try:
        if type(x1) in _SCALARS:
            return MulConst(x1)(x0)
        if not (isinstance(x0, Variable) and isinstance(x1, Variable)):
            x0, x1 = _operands(x0, x1)
        return Mul()(x0, x1)
    except (TypeError, ValueError) as e:
        raise _named("mul", e, x0, x1) from None


def div(x0: Any, x1: Any) -> Variable:
    """y = x0 / x1 (elementwise, broadcasting)."""
    try:
        if type(x1) in _SCALARS:
            return DivConst(x1)(x0)
        if not (isinstance(x0, Variable) and isinstance(x1, Variable)):
            x0, x1 = _operands(x0, x1)
        return Div()(x0, x1)
    except (TypeError, ValueError) as e:
        raise _named("div", e, x0, x1) from None


def rdiv(x0: Any, x1: Any) -> Variable:
    """y = x1 / x0 (reflected division, broadcasting)."""
    try:
        if type(x1) in _SCALARS:
            return RDivConst(x1)(x0)
        x0, x1 = _operands(x0, x1)
        return Div()(x1, x0)
    except (TypeError, ValueError) as e:
        raise _named("rdiv", e, x1, x0) from None


def neg(x: Any) -> Variable:
    """y = -x."""
    try:
        return Neg()(x)
    except (TypeError, ValueError) as e:
        raise _named("neg", e, x) from None


def copy(x: Any) -> Variable:
    """y = x, as a new array (gradient passes through unchanged)."""
    return Copy()(x)


def _is_constant(c: Any) -> bool:
    if type(c) in _SCALARS:  # the usual Python int/float exponent
        return True
    return isinstance(c, (int, float, np.number)) and not isinstance(c, bool)


def pow(x: Any, c: Any) -> Variable:
    """y = x ** c; ``c`` a constant scalar, or a Variable/array that also gets a gradient."""
    try:
        if _is_constant(c):
            return PowConst(c)(x)
        return Pow()(*_operands(x, c))
    except (TypeError, ValueError) as e:
        raise _named("pow", e, x, c) from None


def rpow(x: Any, c: Any) -> Variable:
    """y = c ** x (reflected power: constant base ``c``, exponent ``x``)."""
    try:
        x, c = _operands(x, c)
        return Pow()(c, x)
    except (TypeError, ValueError) as e:
        raise _named("rpow", e, c, x) from None
