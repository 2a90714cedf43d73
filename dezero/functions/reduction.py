"""Reductions: sum, average/mean, max, min, var, std, logsumexp (axis as None, int or tuple;
negative axes), and the running sum cumsum."""
from __future__ import annotations

from typing import Any

import numpy as np

from dezero import cuda, utils
from dezero.core import Function, Variable, as_variable
from dezero.functions.elementwise import exp, sqrt
from dezero.functions.shape import broadcast_to, get_item, reshape
from dezero.utils.arrays import normalize_axis
from dezero.utils.checks import as_axes, as_axis, as_real


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


def _reduced_size(x: Variable, axes: Any) -> int:
    if axes is None:
        return x.size
    n = 1
    for a in axes:
        n *= x.shape[a]
    return n


def _kept_shape(x: Variable, axes: Any) -> tuple[int, ...]:
    """The shape of a reduction over ``axes`` with the reduced axes kept as size 1."""
    if axes is None:
        return (1,) * x.ndim
    return tuple(1 if i in axes else s for i, s in enumerate(x.shape))


class Cumsum(Function):
    """y = the running sum of x along ``axis``; the Function behind :func:`cumsum`."""

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, x):
        return x.cumsum(axis=self.axis)

    def backward(self, gy):
        # The adjoint of a running sum is the running sum taken from the other end.
        rev = (slice(None),) * self.axis + (slice(None, None, -1),)
        return get_item(Cumsum(self.axis)(get_item(gy, rev)), rev)


class LogSumExp(Function):
    """y = log Σ exp(x) over ``axis`` (max subtracted first); the Function of :func:`logsumexp`."""

    def __init__(self, axis: Any, keepdims: bool) -> None:
        self.axis = axis
        self.keepdims = keepdims

    def forward(self, x):
        xp = cuda.get_array_module(x)
        if x.dtype.kind not in "fc":
            x = x.astype(np.float64)
        if x.size:
            m = x.max(axis=self.axis, keepdims=True)
        else:
            m = xp.zeros(_kept_shape(x, self.axis), dtype=x.dtype)
        m = xp.where(xp.isfinite(m), m, xp.zeros((), dtype=m.dtype))
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            y = xp.log(xp.exp(x - m).sum(axis=self.axis, keepdims=True)) + m
        if not self.keepdims:
            y = y.reshape(_reduced_shape(x.shape, self.axis))
        return y

    def backward(self, gy):
        (x,) = self.inputs
        y = self.outputs[0]()
        if y is None:
            y = LogSumExp(self.axis, self.keepdims)(x)
        kept = _kept_shape(x, self.axis)
        gy = broadcast_to(reshape(gy, kept), x.shape)
        y = broadcast_to(reshape(y, kept), x.shape)
        return gy * exp(x - y)  # gy · softmax(x)


def _reduced_shape(shape: tuple[int, ...], axes: Any) -> tuple[int, ...]:
    if axes is None:
        return ()
    return tuple(s for i, s in enumerate(shape) if i not in axes)


def cumsum(x: Any, axis: Any = None) -> Variable:
    """y_i = Σ_{j ≤ i} x_j along ``axis`` (over the flattened x when None, as np.cumsum)."""
    x = as_variable(x, "cumsum")
    if axis is None or x.ndim == 0:
        if axis is not None:
            as_axis(axis, 1, "cumsum")
        x = reshape(x, (x.size,))
        axis = 0
    else:
        axis = as_axis(axis, x.ndim, "cumsum")
    return Cumsum(axis)(x)


def _ddof(ddof: Any, who: str) -> float:
    return as_real(ddof, who, "ddof")


def var(x: Any, axis: Any = None, keepdims: bool = False, ddof: Any = 0) -> Variable:
    """y = Σ (x - mean(x))² / (n - ddof) over ``axis``, n the number of elements summed."""
    x = as_variable(x, "var")
    axes = _axis(x, axis, "var")
    ddof = _ddof(ddof, "var")
    n = _reduced_size(x, axes)
    mu = Sum(axes, True)(x) * (1.0 / n if n else float("nan"))
    d = x - mu
    s = Sum(axes, keepdims)(d * d)
    dof = n - ddof
    return s * (1.0 / dof if dof > 0 else float("inf"))


def std(x: Any, axis: Any = None, keepdims: bool = False, ddof: Any = 0) -> Variable:
    """y = √var(x, axis, keepdims, ddof): the standard deviation over ``axis``."""
    x = as_variable(x, "std")
    _axis(x, axis, "std")
    _ddof(ddof, "std")
    return sqrt(var(x, axis, keepdims, ddof))


def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> Variable:
    """y = log Σ exp(x) over ``axis``, as m + log Σ exp(x - m), m = max x; ∂y/∂x = softmax(x)."""
    x = as_variable(x, "logsumexp")
    return LogSumExp(_axis(x, axis, "logsumexp"), keepdims)(x)
