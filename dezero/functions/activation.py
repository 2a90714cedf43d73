"""Activations: sigmoid, relu, leaky_relu, softmax, log_softmax, dropout."""
from __future__ import annotations

from typing import Any

import numpy as np

from dezero import cuda, utils
from dezero._config import train_var
from dezero.core import Function, Variable, as_variable
from dezero.functions.elementwise import exp
from dezero.functions.reduction import sum
from dezero.utils.checks import as_axes, as_real, renamed


class Sigmoid(Function):
    """y = 1 / (1 + exp(-x)), elementwise; the Function behind :func:`sigmoid`."""

    def forward(self, x):
        xp = cuda.get_array_module(x)
        # tanh form: no overflow for large |x|, unlike 1 / (1 + exp(-x)).
        return xp.tanh(x * 0.5) * 0.5 + 0.5

    def backward(self, gy):
        y = self.outputs[0]()
        if y is None:
            y = sigmoid(self.inputs[0])
        return gy * y * (1 - y)


class ReLU(Function):
    """y = max(x, 0), elementwise; the Function behind :func:`relu`."""

    def forward(self, x):
        return cuda.get_array_module(x).maximum(x, 0)

    def backward(self, gy):
        (x,) = self.inputs
        return gy * (x.data > 0).astype(gy.dtype)


class LeakyReLU(Function):
    """y = x where x > 0, else slope·x; the Function behind :func:`leaky_relu`."""

    def __init__(self, slope: float) -> None:
        self.slope = slope

    def forward(self, x):
        return cuda.get_array_module(x).where(x > 0, x, x * self.slope)

    def backward(self, gy):
        (x,) = self.inputs
        xp = cuda.get_array_module(x.data)
        return gy * xp.where(x.data > 0, 1, self.slope).astype(gy.dtype)


class Softmax(Function):
    """y = exp(x) / Σ exp(x) over ``axis`` (1 by default); the Function behind :func:`softmax`."""

    def __init__(self, axis: Any = 1) -> None:
        self.axis = axis

    def forward(self, x):
        xp = cuda.get_array_module(x)
        if x.size == 0:  # nothing to normalise (and max has no identity)
            return xp.exp(x)
        if x.dtype.kind == "b":  # NumPy cannot subtract booleans; integers give float64 too
            x = x.astype(np.float64)
        y = xp.exp(x - x.max(axis=self.axis, keepdims=True))
        y /= y.sum(axis=self.axis, keepdims=True)
        return y

    def backward(self, gy):
        y = self.outputs[0]()
        if y is None:
            y = softmax(self.inputs[0], self.axis)
        gx = y * gy
        return gx - y * sum(gx, axis=self.axis, keepdims=True)


class LogSoftmax(Function):
    """y = x − log Σ exp(x) over ``axis`` (1 by default); see :func:`log_softmax`."""

    def __init__(self, axis: Any = 1) -> None:
        self.axis = axis

    def forward(self, x):
        if x.size == 0:
            return cuda.get_array_module(x).exp(x)
        if x.dtype.kind == "b":
            x = x.astype(np.float64)
        return x - utils.logsumexp(x, self.axis)

    def backward(self, gy):
        y = self.outputs[0]()
        if y is None:
            y = log_softmax(self.inputs[0], self.axis)
        return gy - exp(y) * sum(gy, axis=self.axis, keepdims=True)


def sigmoid(x: Any) -> Variable:
    """y = 1 / (1 + e⁻ˣ), computed as 0.5·tanh(x/2) + 0.5 so it never overflows."""
    return Sigmoid()(x)


def relu(x: Any) -> Variable:
    """y = max(x, 0)."""
    return ReLU()(x)


def leaky_relu(x: Any, slope: float = 0.2) -> Variable:
    """y = x where x > 0, else slope·x."""
    if type(slope) is not float or slope != slope:  # nan is no slope
        slope = as_real(slope, "leaky_relu", "slope")
    return LeakyReLU(slope)(x)


def _softmax_axes(x: Any, axis: Any, who: str) -> tuple[Variable, Any]:
    x = as_variable(x, who)
    axes = as_axes(axis, x.ndim, who, reduction=True)
    return x, axes[0] if axes is not None and len(axes) == 1 else axes


def softmax(x: Any, axis: Any = 1) -> Variable:
    """y = exp(x) / Σ exp(x) along ``axis`` (shifted by the max, so stable for large x)."""
    x, axis = _softmax_axes(x, axis, "softmax")
    try:
        return Softmax(axis)(x)
    except (TypeError, ValueError) as e:  # e.g. NumPy has no boolean subtraction
        raise renamed("softmax", e, f" (x: {tuple(x.shape)} {x.dtype})") from None


def log_softmax(x: Any, axis: Any = 1) -> Variable:
    """y = x − logsumexp(x) along ``axis`` (stable for large |x|)."""
    x, axis = _softmax_axes(x, axis, "log_softmax")
    try:
        return LogSoftmax(axis)(x)
    except (TypeError, ValueError) as e:
        raise renamed("log_softmax", e, f" (x: {tuple(x.shape)} {x.dtype})") from None


def dropout(x: Any, dropout_ratio: float = 0.5) -> Variable:
    """In training: y = x·mask / (1 − ratio), mask ~ Bernoulli(1 − ratio); in test mode y = x."""
    x = as_variable(x, "dropout")
    dropout_ratio = as_real(dropout_ratio, "dropout", "dropout_ratio", 0.0, 1.0, high_open=True)
    if not train_var.get() or dropout_ratio == 0:
        return x
    xp = cuda.get_array_module(x.data)
    dtype = x.dtype if x.dtype.kind == "f" else np.float64
    mask = (xp.random.rand(*x.shape) > dropout_ratio).astype(dtype)
    return x * (mask * dtype.type(1.0 / (1.0 - dropout_ratio)))


sigmoid_simple = sigmoid
softmax_simple = softmax
