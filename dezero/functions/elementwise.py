"""Elementwise maths: sin, cos, tanh, exp, log, clip, abs, sqrt, square, maximum, minimum."""
from __future__ import annotations

from typing import Any

from dezero import cuda
from dezero.core import Function, Variable, as_variable
from dezero.functions.shape import sum_to
from dezero.utils.checks import as_real


class Sin(Function):
    """y = sin(x), elementwise; the Function behind :func:`sin`."""

    def forward(self, x):
        return cuda.get_array_module(x).sin(x)

    def backward(self, gy):
        (x,) = self.inputs
        return gy * cos(x)


class Cos(Function):
    """y = cos(x), elementwise; the Function behind :func:`cos`."""

    def forward(self, x):
        return cuda.get_array_module(x).cos(x)

    def backward(self, gy):
        (x,) = self.inputs
        return gy * -sin(x)


class Tanh(Function):
    """y = tanh(x), elementwise; the Function behind :func:`tanh`."""

    def forward(self, x):
        return cuda.get_array_module(x).tanh(x)

    def backward(self, gy):
        y = self.outputs[0]()
        if y is None:
            y = tanh(self.inputs[0])
        return gy * (1 - y * y)


class Exp(Function):
    """y = exp(x), elementwise; the Function behind :func:`exp`."""

    def forward(self, x):
        return cuda.get_array_module(x).exp(x)

    def backward(self, gy):
        y = self.outputs[0]()
        if y is None:
            y = exp(self.inputs[0])
        return gy * y


class Log(Function):
    """y = log(x), elementwise; the Function behind :func:`log`."""

    def forward(self, x):
        return cuda.get_array_module(x).log(x)

    def backward(self, gy):
        (x,) = self.inputs
        return gy / x


class Clip(Function):
    """y = x clipped to [x_min, x_max]; the Function behind :func:`clip`."""

    def __init__(self, x_min: float, x_max: float) -> None:
        self.x_min = x_min
        self.x_max = x_max

    def forward(self, x):
        return cuda.get_array_module(x).clip(x, self.x_min, self.x_max)

    def backward(self, gy):
        (x,) = self.inputs
        xp = cuda.get_array_module(x.data)
        mask = xp.ones(x.shape, dtype=bool)
        if self.x_min is not None:
            mask &= x.data >= self.x_min
        if self.x_max is not None:
            mask &= x.data <= self.x_max
        return gy * mask.astype(gy.dtype)


def sin(x: Any) -> Variable:
    """y = sin(x)."""
    return Sin()(x)


def cos(x: Any) -> Variable:
    """y = cos(x)."""
    return Cos()(x)


def tanh(x: Any) -> Variable:
    """y = tanh(x)."""
    return Tanh()(x)


def exp(x: Any) -> Variable:
    """y = eˣ."""
    return Exp()(x)


def log(x: Any) -> Variable:
    """y = ln(x)."""
    return Log()(x)


def _bound(value: Any, arg: str) -> Any:
    """A clip bound: None (no bound), a real number, or a real array (as ``np.clip``)."""
    if value is None or type(value) is int or (type(value) is float and value == value):
        return value
    data = value.data if isinstance(value, Variable) else value
    if hasattr(data, "dtype") and getattr(data, "ndim", 0) > 0:
        if data.dtype.kind not in "iuf":
            raise TypeError(f"clip: {arg} must be a real number or array, got an array of "
                            f"dtype {data.dtype}")
        return data
    return as_real(data, "clip", arg)


def clip(x: Any, x_min: Any, x_max: Any) -> Variable:
    """y = min(max(x, x_min), x_max); the gradient passes where x_min ≤ x ≤ x_max."""
    x_min, x_max = _bound(x_min, "x_min"), _bound(x_max, "x_max")
    return Clip(x_min, x_max)(x)


class Abs(Function):
    """y = |x|, elementwise; the gradient is sign(x) (0 at 0). The Function behind :func:`abs`."""

    def forward(self, x):
        return cuda.get_array_module(x).abs(x)

    def backward(self, gy):
        (x,) = self.inputs
        xp = cuda.get_array_module(x.data)
        sign = x.data if x.dtype.kind == "b" else xp.sign(x.data)
        return gy * sign.astype(gy.dtype)


class Sqrt(Function):
    """y = √x, elementwise; the Function behind :func:`sqrt`."""

    def forward(self, x):
        return cuda.get_array_module(x).sqrt(x)

    def backward(self, gy):
        y = self.outputs[0]()
        if y is None:
            y = sqrt(self.inputs[0])
        return gy / (y * 2)


class Square(Function):
    """y = x², elementwise; the Function behind :func:`square`."""

    def forward(self, x):
        return cuda.get_array_module(x).square(x)

    def backward(self, gy):
        (x,) = self.inputs
        return gy * (x * 2)


class Maximum(Function):
    """y = max(x0, x1), elementwise with broadcasting; ties split the gradient evenly."""

    _pick = "maximum"

    def forward(self, x0, x1):
        return getattr(cuda.get_array_module(x0), self._pick)(x0, x1)

    def backward(self, gy):
        x0, x1 = self.inputs
        a, b = x0.data, x1.data
        first = (a > b) if self._pick == "maximum" else (a < b)
        w0 = first.astype(gy.dtype) + (a == b).astype(gy.dtype) * 0.5
        w0 = w0.astype(gy.dtype, copy=False)
        w1 = (1 - w0).astype(gy.dtype, copy=False)
        return sum_to(gy * w0, x0.shape), sum_to(gy * w1, x1.shape)


class Minimum(Maximum):
    """y = min(x0, x1), elementwise with broadcasting; ties split the gradient evenly."""

    _pick = "minimum"


def abs(x: Any) -> Variable:
    """y = |x|; the gradient is sign(x), 0 at x = 0."""
    return Abs()(as_variable(x, "abs"))


absolute = abs


def sqrt(x: Any) -> Variable:
    """y = √x."""
    return Sqrt()(as_variable(x, "sqrt"))


def square(x: Any) -> Variable:
    """y = x²."""
    return Square()(as_variable(x, "square"))


def _binary(cls: type, who: str, x0: Any, x1: Any) -> Variable:
    from dezero.functions.arithmetic import _named, _operands
    try:
        if not (isinstance(x0, Variable) or isinstance(x1, Variable)):
            x0 = as_variable(x0, who)
        x0, x1 = _operands(x0, x1)
        return cls()(x0, x1)
    except (TypeError, ValueError) as e:
        raise _named(who, e, x0, x1) from None


def maximum(x0: Any, x1: Any) -> Variable:
    """y = max(x0, x1), elementwise with broadcasting; at ties each input gets half the gradient."""
    return _binary(Maximum, "maximum", x0, x1)


def minimum(x0: Any, x1: Any) -> Variable:
    """y = min(x0, x1), elementwise with broadcasting; at ties each input gets half the gradient."""
    return _binary(Minimum, "minimum", x0, x1)
