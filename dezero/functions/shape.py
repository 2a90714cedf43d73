"""Shape functions: reshape, transpose, indexing, expand_dims, flatten, broadcast_to, sum_to.

``broadcast_to`` and ``sum_to`` are each other's backward; ``sum_to`` is how every
broadcasting op reduces its gradients (see :func:`dezero.utils.sum_to` for the arrays).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from dezero import cuda, utils
from dezero.core import Function, Variable, as_variable
from dezero.utils.checks import as_axes, as_axis, as_shape


class Reshape(Function):
    """y = x laid out in ``shape``; the Function behind :func:`reshape`."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    def forward(self, x):
        self.x_shape = x.shape
        return x.reshape(self.shape)

    def backward(self, gy):
        return reshape(gy, self.x_shape)


class Transpose(Function):
    """y = x with its axes permuted (reversed when None); the Function behind :func:`transpose`."""

    def __init__(self, axes: tuple[int, ...] | None = None) -> None:
        self.axes = axes

    def forward(self, x):
        return x.transpose(self.axes)

    def backward(self, gy):
        if self.axes is None:
            return transpose(gy)
        return transpose(gy, tuple(np.argsort(self.axes)))


class GetItem(Function):
    """y = x[slices]; the Function behind :func:`get_item` and ``x[...]``."""

    def __init__(self, slices: Any) -> None:
        self.slices = slices

    def forward(self, x):
        return x[self.slices]

    def backward(self, gy):
        (x,) = self.inputs
        return GetItemGrad(self.slices, x.shape)(gy)


class GetItemGrad(Function):
    """Scatter-add ``gy`` into zeros of the input's shape (repeated indices accumulate)."""

    def __init__(self, slices: Any, in_shape: tuple[int, ...]) -> None:
        self.slices = slices
        self.in_shape = in_shape

    def forward(self, gy):
        xp = cuda.get_array_module(gy)
        gx = xp.zeros(self.in_shape, dtype=gy.dtype)
        xp.add.at(gx, self.slices, gy)
        return gx

    def backward(self, ggx):
        return get_item(ggx, self.slices)


class BroadcastTo(Function):
    """y = x broadcast to ``shape``; the Function behind :func:`broadcast_to`."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    def forward(self, x):
        xp = cuda.get_array_module(x)
        # A read-only view would surprise callers who write into results.
        return xp.broadcast_to(x, self.shape).copy()

    def backward(self, gy):
        (x,) = self.inputs
        return sum_to(gy, x.shape)


class SumTo(Function):
    """y = x summed down to ``shape`` (undoes broadcasting); the Function behind :func:`sum_to`."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    def forward(self, x):
        return utils.sum_to(x, self.shape)

    def backward(self, gy):
        (x,) = self.inputs
        return broadcast_to(gy, x.shape)


def reshape(x: Any, shape: Any) -> Variable:
    """y = x with its elements laid out in ``shape`` (one entry may be -1)."""
    shape = as_shape(shape, "reshape", unknown=True)
    x = as_variable(x, "reshape")
    if x.shape == shape:
        return x
    size = x.size
    known = math.prod(s for s in shape if s != -1)
    if (-1 in shape and (known == 0 or size % known)) or (-1 not in shape and known != size):
        raise ValueError(f"reshape: cannot reshape an input of shape {tuple(x.shape)} "
                         f"({size} elements) into shape {shape}; the sizes must match")
    return Reshape(shape)(x)


def transpose(x: Any, axes: Any = None) -> Variable:
    """y = x with its axes permuted by ``axes`` (reversed when None)."""
    x = as_variable(x, "transpose")
    if axes is not None:
        ndim = x.ndim
        perm = as_axes(axes, ndim, "transpose", "axes", sort=False)
        if len(perm) != ndim:
            raise ValueError(f"transpose: axes {axes!r} are not a permutation of the "
                             f"{ndim} axes of an input of shape {tuple(x.shape)}; pass "
                             f"{ndim} distinct axes or None")
        axes = perm
    return Transpose(axes)(x)


def _index_error(x: Variable, slices: Any, e: Exception) -> IndexError:
    text = repr(slices)
    if len(text) > 80:
        text = text[:77] + "..."
    return IndexError(f"get_item: cannot index an input of shape {tuple(x.shape)} with {text}: "
                      f"{e}; pass integers, slices, None, Ellipsis or integer/boolean arrays "
                      f"within the shape")


def get_item(x: Any, slices: Any) -> Variable:
    """y = x[slices] (basic and advanced indexing; gradients scatter-add back)."""
    x = as_variable(x, "get_item")
    if isinstance(slices, Variable):
        slices = slices.data
    elif isinstance(slices, list):
        try:
            slices = np.asarray(slices)
        except ValueError as e:
            raise _index_error(x, slices, e) from None
        if slices.dtype.kind not in "iub" and slices.size:
            raise _index_error(x, slices, "a list index must hold integers or booleans")
    try:
        return GetItem(slices)(x)
    except (IndexError, TypeError, ValueError) as e:  # NumPy's (Function prefixes ValueErrors)
        raise _index_error(x, slices, e.__cause__ or e) from None


def expand_dims(x: Any, axis: int) -> Variable:
    """y = x with a new axis of length 1 at ``axis`` (negative counts from the end, as NumPy)."""
    x = as_variable(x, "expand_dims")
    axis = as_axis(axis, x.ndim + 1, "expand_dims")
    return reshape(x, x.shape[:axis] + (1,) + x.shape[axis:])


def flatten(x: Any) -> Variable:
    """y = x reshaped to (N, -1): keeps the first axis, flattens the rest."""
    x = as_variable(x, "flatten")
    if x.ndim == 0:
        raise ValueError("flatten: the input must have at least one axis (N, ...), got a 0-d "
                         "array; use reshape(x, (1, 1)) for a scalar")
    n = x.shape[0]
    return reshape(x, (n, x.size // n if n else math.prod(x.shape[1:])))


def broadcast_to(x: Any, shape: Any) -> Variable:
    """y = x repeated to ``shape`` by NumPy broadcasting rules."""
    shape = as_shape(shape, "broadcast_to")
    x = as_variable(x, "broadcast_to")
    if x.shape == shape:
        return x
    try:
        ok = np.broadcast_shapes(x.shape, shape) == shape
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"broadcast_to: cannot broadcast shape {tuple(x.shape)} to {shape}; "
                         "each axis must match or be 1 in the input")
    return BroadcastTo(shape)(x)


def sum_to(x: Any, shape: Any) -> Variable:
    """y = x summed down to ``shape`` (the inverse of broadcast_to)."""
    shape = as_shape(shape, "sum_to")
    x = as_variable(x, "sum_to")
    if x.shape == shape:
        return x
    lead = x.ndim - len(shape)
    if lead < 0 or any(s != 1 and s != d for s, d in zip(shape, x.shape[lead:])):
        raise ValueError(f"sum_to: cannot sum an input of shape {tuple(x.shape)} down to "
                         f"{shape}; the target must broadcast to the input's shape")
    return SumTo(shape)(x)
