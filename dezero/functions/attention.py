"""Scaled dot-product attention, with a boolean mask and a causal option.

A query row whose keys are all masked out (a fully masked row, or no keys at all) has
no softmax to take: its attention weights are all zero, so its output is 0 and no
gradient flows through it (to q, k or v) — never nan.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from dezero import cuda
from dezero.core import Function, Variable, as_variable
from dezero.functions.linalg import matmul
from dezero.functions.reduction import sum as _sum
from dezero.functions.shape import broadcast_to, transpose
from dezero.utils.checks import as_flag, describe


class MaskedSoftmax(Function):
    """Softmax over the last axis of the entries where ``mask`` is True (0 where it is
    False); a row with no True entry is all 0.  ``mask`` is a boolean array of x's shape."""

    def __init__(self, mask: Any) -> None:
        self.mask = mask

    def forward(self, x):
        xp = cuda.get_array_module(x)
        if x.shape[-1] == 0:
            return xp.zeros(x.shape, dtype=x.dtype)
        mask = self.mask
        top = xp.where(mask, x, -np.inf).max(axis=-1, keepdims=True)
        top = xp.where(xp.isfinite(top), top, 0)  # a fully masked row: any shift will do
        e = xp.exp(xp.where(mask, x - top, -np.inf))
        total = e.sum(axis=-1, keepdims=True)
        return e / xp.where(total > 0, total, 1)

    def backward(self, gy):
        y = self.outputs[0]()
        if y is None:
            y = MaskedSoftmax(self.mask)(self.inputs[0])
        gx = y * gy  # 0 wherever y is: masked entries and fully masked rows get no gradient
        return gx - y * _sum(gx, axis=-1, keepdims=True)


_WHO = "scaled_dot_product_attention"


def _floating(v: Variable) -> Variable:
    """v, or a float64 copy of an integer/boolean v (attention is computed in floating point)."""
    return v if v.dtype.kind == "f" else Variable(v.data.astype(np.float64))


def _mask_array(mask: Any, scores_shape: tuple[int, ...], xp: Any) -> Any:
    """The boolean mask as an array; its broadcast with the scores must keep (L, S)."""
    data = mask.data if isinstance(mask, Variable) else mask
    if not hasattr(data, "dtype"):
        try:
            data = np.asarray(data)
        except (TypeError, ValueError):
            raise TypeError(f"{_WHO}: mask must be a boolean array (True = attend), got "
                            f"{describe(mask)}") from None
    if data.dtype.kind != "b":
        raise TypeError(f"{_WHO}: mask must be a boolean array (True = attend), got dtype "
                        f"{data.dtype}; pass e.g. mask.astype(bool)")
    try:
        shape = np.broadcast_shapes(scores_shape, data.shape)
    except ValueError:
        shape = None
    if shape is None or shape[-2:] != scores_shape[-2:]:
        raise ValueError(f"{_WHO}: mask of shape {tuple(data.shape)} does not broadcast to "
                         f"the scores' shape {scores_shape} (..., L, S)")
    return xp.asarray(data), shape


def scaled_dot_product_attention(q: Any, k: Any, v: Any, mask: Any = None,
                                 causal: bool = False) -> Variable:
    """y = softmax(q·kᵀ/√D + masking)·v for q (..., L, D), k (..., S, D), v (..., S, Dv).

    ``mask`` (boolean, broadcastable to (..., L, S)) keeps the scores where it is True;
    ``causal`` also masks key j > query i (PyTorch's top-left alignment when L ≠ S).  A
    query whose keys are all masked gets weights 0: output 0 and zero gradients, not nan.
    """
    q, k, v = (as_variable(a, _WHO) for a in (q, k, v))
    causal = as_flag(causal, _WHO, "causal")
    for name, a in (("q", q), ("k", k), ("v", v)):
        if a.ndim < 2:
            raise ValueError(f"{_WHO}: {name} must have at least 2 axes (..., length, features), "
                             f"got shape {tuple(a.shape)}")
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"{_WHO}: q {tuple(q.shape)} and k {tuple(k.shape)} must have the same "
                         "last axis (the query/key feature size D)")
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"{_WHO}: k {tuple(k.shape)} and v {tuple(v.shape)} must have the same "
                         "second-to-last axis (the number of keys S)")
    try:
        np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except ValueError:
        raise ValueError(f"{_WHO}: the batch axes of q {tuple(q.shape)}, k {tuple(k.shape)} and "
                         f"v {tuple(v.shape)} (all but the last two) do not broadcast") from None
    q, k, v = _floating(q), _floating(k), _floating(v)
    L, S, D = q.shape[-2], k.shape[-2], q.shape[-1]
    xp = cuda.get_array_module(q.data)
    scores = matmul(q, transpose(k, tuple(range(k.ndim - 2)) + (k.ndim - 1, k.ndim - 2)))
    if D:
        scores = scores * (1 / math.sqrt(D))  # a Python float: float32 stays float32
    keep = xp.ones((1,) * scores.ndim, dtype=bool)
    if mask is not None:
        keep, shape = _mask_array(mask, scores.shape, xp)
        if shape != scores.shape:  # the mask adds batch axes
            scores = broadcast_to(scores, shape)
    if causal:
        keep = keep & xp.tril(xp.ones((L, S), dtype=bool))
    weights = MaskedSoftmax(xp.broadcast_to(keep, scores.shape))(scores)
    return matmul(weights, v)
