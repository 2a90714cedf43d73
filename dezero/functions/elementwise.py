"""Elementwise maths: sin, cos, tanh, exp, log, clip."""
from __future__ import annotations

from typing import Any

from dezero import cuda
from dezero.core import Function, Variable
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
