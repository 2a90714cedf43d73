"""Linear algebra: matmul (like ``np.matmul``: vectors, matrices, batched N-d) and linear."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from dezero.core import Function, Variable, as_variable
from dezero.functions.shape import reshape, sum_to, transpose


def _swap_last(x: Variable) -> Variable:
    """x with its last two axes swapped (a batched matrix transpose)."""
    axes = tuple(range(x.ndim - 2)) + (x.ndim - 1, x.ndim - 2)
    return transpose(x, axes)


class MatMul(Function):
    """y = x @ W (batched and matrix·vector as NumPy's matmul); the Function of :func:`matmul`."""

    def forward(self, x, W):
        return x @ W

    def backward(self, gy):
        x, W = self.inputs
        # Treat vectors as 1×k / k×1 matrices, as np.matmul does, then undo it.
        xm = x if x.ndim > 1 else reshape(x, (1,) + x.shape)
        Wm = W if W.ndim > 1 else reshape(W, W.shape + (1,))
        gy_shape = gy.shape
        if x.ndim == 1:
            gy_shape = gy_shape[:-1] + (1,) + gy_shape[-1:] if W.ndim > 1 else gy_shape + (1,)
        if W.ndim == 1:
            gy_shape = gy_shape + (1,)
        gym = reshape(gy, gy_shape)
        gx = sum_to(matmul(gym, _swap_last(Wm)), xm.shape)
        gW = sum_to(matmul(_swap_last(xm), gym), Wm.shape)
        return reshape(gx, x.shape), reshape(gW, W.shape)


class Linear(Function):
    """y = x @ W + b for x of shape (..., in), W (in, out), b (out,) or absent."""

    def __init__(self, x_needs_grad: bool = True) -> None:
        self._x_needs_grad = x_needs_grad

    def forward(self, x, W, b=None):
        y = x @ W
        if b is not None:
            y += b
        return y

    def backward(self, gy):
        x, W = self.inputs[:2]
        gx = matmul(gy, W.T) if self._x_needs_grad else None
        # explicit row counts: -1 is ambiguous when a side is 0
        x2 = reshape(x, (math.prod(x.shape[:-1]), x.shape[-1])) if x.ndim != 2 else x
        gy2 = reshape(gy, (math.prod(gy.shape[:-1]), gy.shape[-1])) if gy.ndim != 2 else gy
        gW = matmul(x2.T, gy2)
        if len(self.inputs) == 2:
            return gx, gW
        gb = sum_to(gy, self.inputs[2].shape)
        return gx, gW, gb


def _check_matmul(who: str, x: Any, W: Any) -> None:
    if x.ndim == 0 or W.ndim == 0:
        raise ValueError(f"{who}: inputs must have at least one dimension, "
                         f"got shapes {tuple(x.shape)} and {tuple(W.shape)}")
    if x.ndim > 2 and W.ndim > 2:
        try:
            np.broadcast_shapes(x.shape[:-2], W.shape[:-2])
        except ValueError:
            raise ValueError(f"{who}: the batch axes of {tuple(x.shape)} and {tuple(W.shape)} "
                             f"(all but the last two) do not broadcast") from None
    k_x = x.shape[-1]
    k_w = W.shape[-2] if W.ndim > 1 else W.shape[0]
    if k_x != k_w:
        raise ValueError(
            f"{who}: shapes {tuple(x.shape)} and {tuple(W.shape)} are not aligned: "
            f"the last axis of the first ({k_x}) must equal the "
            f"{'second-to-last' if W.ndim > 1 else 'only'} axis of the second ({k_w})")


def matmul(x: Any, W: Any) -> Variable:
    """y = x @ W (matrix product; vectors and batched stacks as in np.matmul)."""
    x, W = as_variable(x, "matmul"), as_variable(W, "matmul")
    _check_matmul("matmul", x, W)
    return MatMul()(x, W)


def linear(x: Any, W: Any, b: Any = None) -> Variable:
    """y = x @ W + b (the affine map of a fully connected layer; b optional)."""
    # A raw array's Variable is private to this call: nobody can read its gradient.
    x_needs_grad = isinstance(x, Variable)
    x, W = as_variable(x, "linear"), as_variable(W, "linear")
    if W.ndim != 2:
        raise ValueError(f"linear: W must be 2-d (in, out), got shape {tuple(W.shape)}")
    _check_matmul("linear", x, W)
    if b is None:
        return Linear(x_needs_grad)(x, W)
    b = as_variable(b, "linear")
    out = W.shape[1]
    allowed = [(out,), (1, out)] if x.ndim >= 2 else [(out,)]  # b must not add an axis to y
    if b.shape not in allowed:
        raise ValueError(f"linear: b must have shape ({W.shape[1]},) to match W "
                         f"{tuple(W.shape)}, got {tuple(b.shape)}")
    return Linear(x_needs_grad)(x, W, b)


linear_simple = linear
