"""Shape functions: reshape, transpose, indexing, expand_dims, flatten, broadcast_to, sum_to.

``broadcast_to`` and ``sum_to`` are each other's backward; ``sum_to`` is how every
broadcasting op reduces its gradients (see :func:`dezero.utils.sum_to` for the arrays).
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from dezero import cuda, utils
from dezero.core import Function, Variable, as_variable


def _shape_tuple(shape: Any) -> tuple[int, ...]:
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(s) for s in shape)


class Reshape(Function):
    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    def forward(self, x):
        self.x_shape = x.shape
        return x.reshape(self.shape)

    def backward(self, gy):
        return reshape(gy, self.x_shape)


class Transpose(Function):
    def __init__(self, axes: tuple[int, ...] | None = None) -> None:
        self.axes = axes

    def forward(self, x):
        return x.transpose(self.axes)

    def backward(self, gy):
        if self.axes is None:
            return transpose(gy)
        return transpose(gy, tuple(np.argsort(self.axes)))


class GetItem(Function):
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
    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    def forward(self, x):
        return utils.sum_to(x, self.shape)

    def backward(self, gy):
        (x,) = self.inputs
        return broadcast_to(gy, x.shape)


def reshape(x: Any, shape: Any) -> Variable:
    """y = x with its elements laid out in ``shape`` (one entry may be -1)."""
    shape = _shape_tuple(shape)
    if x.shape == shape:
        return as_variable(x)
    size = int(np.prod(x.shape))
    known = int(np.prod([s for s in shape if s != -1]))
    if shape.count(-1) > 1 or (-1 in shape and (known == 0 or size % known)) or (
            -1 not in shape and known != size):
        raise ValueError(f"reshape: cannot reshape an input of shape {tuple(x.shape)} "
                         f"({size} elements) into shape {shape}")
    return Reshape(shape)(x)


def transpose(x: Any, axes: Sequence[int] | None = None) -> Variable:
    """y = x with its axes permuted by ``axes`` (reversed when None)."""
    if axes is not None:
        ndim = len(x.shape)
        axes = tuple(int(a) % ndim if -ndim <= a < ndim else a for a in axes)
        if sorted(axes) != list(range(ndim)):
            raise ValueError(f"transpose: axes {axes} are not a permutation of the "
                             f"{ndim} axes of an input of shape {tuple(x.shape)}")
    return Transpose(axes)(x)


def get_item(x: Any, slices: Any) -> Variable:
    """y = x[slices] (basic and advanced indexing; gradients scatter-add back)."""
    if isinstance(slices, Variable):
        slices = slices.data
    elif isinstance(slices, list):
        slices = np.asarray(slices)
    return GetItem(slices)(x)


def expand_dims(x: Any, axis: int) -> Variable:
    """y = x with a new axis of length 1 at ``axis`` (negative counts from the end, as NumPy)."""
    x = as_variable(x)
    ndim = x.ndim + 1
    if not -ndim <= axis < ndim:
        raise ValueError(f"expand_dims: axis {axis} is out of range for a result "
                         f"with {ndim} dimensions")
    axis %= ndim
    return reshape(x, x.shape[:axis] + (1,) + x.shape[axis:])


def flatten(x: Any) -> Variable:
    """y = x reshaped to (N, -1): keeps the first axis, flattens the rest."""
    x = as_variable(x)
    return reshape(x, (x.shape[0], -1))


def broadcast_to(x: Any, shape: Any) -> Variable:
    """y = x repeated to ``shape`` by NumPy broadcasting rules."""
    shape = _shape_tuple(shape)
    if x.shape == shape:
        return as_variable(x)
    try:
        ok = np.broadcast_shapes(x.shape, shape) == shape
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"broadcast_to: cannot broadcast shape {tuple(x.shape)} to {shape}")
    return BroadcastTo(shape)(x)


def sum_to(x: Any, shape: Any) -> Variable:
    """y = x summed down to ``shape`` (the inverse of broadcast_to)."""
    if x.shape != shape:
        shape = _shape_tuple(shape)
        if x.shape != shape:
            return SumTo(shape)(x)
    return x if isinstance(x, Variable) else as_variable(x)
