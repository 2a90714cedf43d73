"""Reductions: sum, average/mean, max, min (axis as None, int or tuple; negative axes)."""
from __future__ import annotations

import builtins
from typing import Any

from dezero import utils
from dezero.core import Function, Variable, as_variable
from dezero.functions.shape import broadcast_to, reshape
from dezero.utils.arrays import normalize_axis


class Sum(Function):
    def __init__(self, axis: Any, keepdims: bool) -> None:
        self.axis = axis
        self.keepdims = keepdims

    def forward(self, x):
        self.x_shape = x.shape
        return x.sum(axis=self.axis, keepdims=self.keepdims)

    def backward(self, gy):
        gy = utils.reshape_sum_backward(gy, self.x_shape, self.axis, self.keepdims)
        return broadcast_to(gy, self.x_shape)


class Max(Function):
    """Max over ``axis``; the gradient is split evenly among tied maxima."""

    _reduce = "max"

    def __init__(self, axis: Any, keepdims: bool) -> None:
        self.axis = axis
        self.keepdims = keepdims

    def forward(self, x):
        return getattr(x, self._reduce)(axis=self.axis, keepdims=self.keepdims)

    def backward(self, gy):
        (x,) = self.inputs
        y = self.outputs[0]()
        y_data = y.data if y is not None else self.forward(x.data)
        kept = utils.max_backward_shape(x.data, self.axis)
        mask = x.data == y_data.reshape(kept)
        # Ties share the gradient: a valid subgradient (the average of the one-hot ones).
        weight = (mask / mask.sum(axis=self.axis, keepdims=True)).astype(gy.dtype)
        return broadcast_to(reshape(gy, kept), x.shape) * weight


class Min(Max):
    """Min over ``axis``; the gradient is split evenly among tied minima."""

    _reduce = "min"


def _axis(x: Variable, axis: Any, who: str) -> Any:
    axes = normalize_axis(axis, x.ndim, who)
    return axes if axes is None else tuple(axes)


def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Variable:
    """y = Σ x over ``axis`` (all axes when None)."""
    x = as_variable(x)
    return Sum(_axis(x, axis, "sum"), keepdims)(x)


def average(x: Any, axis: Any = None, keepdims: bool = False) -> Variable:
    """y = Σ x / n over ``axis``, n the number of elements summed."""
    x = as_variable(x)
    y = sum(x, axis, keepdims)
    return y * (y.size / builtins.max(x.size, 1))


mean = average


def max(x: Any, axis: Any = None, keepdims: bool = False) -> Variable:
    """y = max of x over ``axis`` (ties share the gradient evenly)."""
    x = as_variable(x)
    return Max(_axis(x, axis, "max"), keepdims)(x)


def min(x: Any, axis: Any = None, keepdims: bool = False) -> Variable:
    """y = min of x over ``axis`` (ties share the gradient evenly)."""
    x = as_variable(x)
    return Min(_axis(x, axis, "min"), keepdims)(x)
