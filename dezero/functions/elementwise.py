"""Elementwise maths: sin, cos, tanh, exp, log, clip."""
from __future__ import annotations

from typing import Any

from dezero import cuda
from dezero.core import Function, Variable


class Sin(Function):
    def forward(self, x):
        return cuda.get_array_module(x).sin(x)

    def backward(self, gy):
        (x,) = self.inputs
        return gy * cos(x)


class Cos(Function):
    def forward(self, x):
        return cuda.get_array_module(x).cos(x)

    def backward(self, gy):
        (x,) = self.inputs
        return gy * -sin(x)


class Tanh(Function):
    def forward(self, x):
        return cuda.get_array_module(x).tanh(x)

    def backward(self, gy):
        y = self.outputs[0]()
        if y is None:
            y = tanh(self.inputs[0])
        return gy * (1 - y * y)


class Exp(Function):
    def forward(self, x):
        return cuda.get_array_module(x).exp(x)

    def backward(self, gy):
        y = self.outputs[0]()
        if y is None:
            y = exp(self.inputs[0])
        return gy * y


class Log(Function):
    def forward(self, x):
        return cuda.get_array_module(x).log(x)

    def backward(self, gy):
        (x,) = self.inputs
        return gy / x


class Clip(Function):
    def __init__(self, x_min: float, x_max: float) -> None:
        self.x_min = x_min
        self.x_max = x_max

    def forward(self, x):
        return cuda.get_array_module(x).clip(x, self.x_min, self.x_max)

    def backward(self, gy):
        (x,) = self.inputs
        mask = (x.data >= self.x_min) & (x.data <= self.x_max)
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


def clip(x: Any, x_min: float, x_max: float) -> Variable:
    """y = min(max(x, x_min), x_max); the gradient passes where x_min ≤ x ≤ x_max."""
    return Clip(x_min, x_max)(x)
