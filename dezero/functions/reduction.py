"""Reductions: sum, average/mean, max, min (axis as None, int or tuple; negative axes)."""
from __future__ import annotations

from typing import Any

from dezero import utils
from dezero.core import Function, Variable, as_variable
from dezero.functions.shape import broadcast_to, reshape
from dezero.utils.arrays import normalize_axis
from dezero.utils.checks import as_axes


class Sum(Function):
    """y = x summed over ``axis``; the Function behind :func:`sum`."""

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

    def __init__(self, axis: Any = None, keepdims: bool = False) -> None:
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
    if axis is None or x.ndim == 0:
        return as_axes(axis, x.ndim, who, reduction=True)
    return normalize_axis(axis, x.ndim, who)


def _nonempty(x: Variable, axes: Any, who: str) -> None:
    """max/min have no identity: every reduced axis must be non-empty (as NumPy requires)."""
    if x.size == 0 and (axes is None or any(x.shape[a] == 0 for a in axes)):
        raise ValueError(f"{who}: cannot take the {who} over an empty axis of an input of "
                         f"shape {tuple(x.shape)}; reduce over non-empty axes only")


def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Variable:
    """y = Σ x over ``axis`` (all axes when None)."""
    x = as_variable(x, "sum")
    return Sum(_axis(x, axis, "sum"), keepdims)(x)


def average(x: Any, axis: Any = None, keepdims: bool = False) -> Variable:
    """y = Σ x / n over ``axis``, n the number of elements summed."""
    x = as_variable(x, "average")
    y = Sum(_axis(x, axis, "average"), keepdims)(x)
    # NumPy's mean of nothing is nan (0 · nan), with no warning here.
    return y * (y.size / x.size if x.size else float("nan"))


mean = average


def max(x: Any, axis: Any = None, keepdims: bool = False) -> Variable:
    """y = max of x over ``axis`` (ties share the gradient evenly)."""
    x = as_variable(x, "max")
    axes = _axis(x, axis, "max")
    _nonempty(x, axes, "max")
    return Max(axes, keepdims)(x)


def min(x: Any, axis: Any = None, keepdims: bool = False) -> Variable:
    """y = min of x over ``axis`` (ties share the gradient evenly)."""
    x = as_variable(x, "min")
    axes = _axis(x, axis, "min")
    _nonempty(x, axes, "min")
    return Min(axes, keepdims)(x)
