"""Arithmetic: + - * / ** and negation, broadcasting like NumPy.

Each binary backward reduces its gradients to the input shapes with
:func:`dezero.functions.shape.sum_to` (the identity when nothing was broadcast).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from dezero.core import Function, Variable, _constant_like, as_variable
from dezero.functions.shape import sum_to


def _operands(x0: Any, x1: Any) -> tuple[Variable, Variable]:
    """Both operands as Variables; a constant takes its dtype from the Variable beside it."""
    if isinstance(x0, Variable):
        return x0, _constant_like(x1, x0)
    x1 = as_variable(x1)
    return _constant_like(x0, x1), x1


class Add(Function):
    def forward(self, x0, x1):
        return x0 + x1

    def backward(self, gy):
        x0, x1 = self.inputs
        return sum_to(gy, x0.shape), sum_to(gy, x1.shape)


class Sub(Function):
    def forward(self, x0, x1):
        return x0 - x1

    def backward(self, gy):
        x0, x1 = self.inputs
        return sum_to(gy, x0.shape), sum_to(-gy, x1.shape)


class Mul(Function):
    def forward(self, x0, x1):
        return x0 * x1

    def backward(self, gy):
        x0, x1 = self.inputs
        return sum_to(gy * x1, x0.shape), sum_to(gy * x0, x1.shape)


class Div(Function):
    def forward(self, x0, x1):
        return x0 / x1

    def backward(self, gy):
        x0, x1 = self.inputs
        gx0 = gy / x1
        gx1 = gx0 * (-x0 / x1)
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
    return Add()(*_operands(x0, x1))


def sub(x0: Any, x1: Any) -> Variable:
    """y = x0 - x1 (broadcasting)."""
    return Sub()(*_operands(x0, x1))


def rsub(x0: Any, x1: Any) -> Variable:
    """y = x1 - x0 (reflected subtraction, broadcasting)."""
    x0, x1 = _operands(x0, x1)
    return Sub()(x1, x0)


def mul(x0: Any, x1: Any) -> Variable:
    """y = x0 * x1 (elementwise, broadcasting)."""
    return Mul()(*_operands(x0, x1))


def div(x0: Any, x1: Any) -> Variable:
    """y = x0 / x1 (elementwise, broadcasting)."""
    return Div()(*_operands(x0, x1))


def rdiv(x0: Any, x1: Any) -> Variable:
    """y = x1 / x0 (reflected division, broadcasting)."""
    x0, x1 = _operands(x0, x1)
    return Div()(x1, x0)


def neg(x: Any) -> Variable:
    """y = -x."""
    return Neg()(x)


def copy(x: Any) -> Variable:
    """y = x, as a new array (gradient passes through unchanged)."""
    return Copy()(x)


def _is_constant(c: Any) -> bool:
    return isinstance(c, (int, float, np.number)) and not isinstance(c, bool)


def pow(x: Any, c: Any) -> Variable:
    """y = x ** c; ``c`` a constant scalar, or a Variable/array that also gets a gradient."""
    if _is_constant(c):
        return PowConst(c)(x)
    return Pow()(*_operands(x, c))


def rpow(x: Any, c: Any) -> Variable:
    """y = c ** x (reflected power: constant base ``c``, exponent ``x``)."""
    x, c = _operands(x, c)
    return Pow()(c, x)
