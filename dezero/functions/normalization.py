"""Batch normalisation, layer normalisation and embedding lookup.

:func:`batch_norm` fixes three faults of the original DeZero: the name (it was
``batch_nrom``, kept here as an alias because programs call it), a backward that
could not be differentiated again, and a backward that failed in test mode.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from dezero import cuda
from dezero._config import enable_backprop_var, train_var
from dezero.core import Function, Variable, as_variable
from dezero.functions.reduction import mean as _mean
from dezero.functions.reduction import sum as _sum
from dezero.functions.shape import get_item, reshape
from dezero.utils.checks import as_int_array, as_real, check_real


def _channel_layout(x_ndim: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(axes reduced over, shape a per-channel vector of length C broadcasts with)."""
    if x_ndim == 2:
        return (0,), (1, -1)
    return (0, 2, 3), (1, -1, 1, 1)


class BatchNorm(Function):
    """Training-mode batch norm of (x, gamma, beta); updates the running statistics in place."""

    def __init__(self, running_mean: Any, running_var: Any, decay: float, eps: float) -> None:
        self.running_mean, self.running_var = running_mean, running_var
        self.decay, self.eps = decay, eps

    def forward(self, x, gamma, beta):
        xp = cuda.get_array_module(x)
        axes, bshape = _channel_layout(x.ndim)
        mu = x.mean(axis=axes)
        var = x.var(axis=axes)
        inv_std = 1 / xp.sqrt(var + self.eps)
        self.xhat = (x - mu.reshape(bshape)) * inv_std.reshape(bshape)
        self.inv_std = inv_std
        # The running statistics are the caller's arrays (a BatchNorm layer's): update
        # them in place, the variance with the unbiased m/(m-1) factor, as DeZero does.
        m = x.size // gamma.size
        adjust = m / max(m - 1, 1)
        self.running_mean *= self.decay
        self.running_mean += (1 - self.decay) * mu
        self.running_var *= self.decay
        self.running_var += (1 - self.decay) * adjust * var
        return self.xhat * gamma.reshape(bshape) + beta.reshape(bshape)

    def backward(self, gy):
        x, gamma, _ = self.inputs
        axes, bshape = _channel_layout(x.ndim)
        m = x.size // gamma.size
        if enable_backprop_var.get():
            # Recording the backward (create_graph=True): rebuild x̂ and 1/σ from x with
            # dezero functions, so that the gradient is itself differentiable in x.
            xc = x - _mean(x, axis=axes, keepdims=True)
            inv_std = (_mean(xc * xc, axis=axes, keepdims=True) + self.eps) ** -0.5
            xhat = xc * inv_std
        else:
            xhat = Variable(self.xhat)
            inv_std = Variable(self.inv_std.reshape(bshape))
        gbeta = _sum(gy, axis=axes)
        ggamma = _sum(gy * xhat, axis=axes)
        correction = (reshape(gbeta, bshape) + xhat * reshape(ggamma, bshape)) / m
        gx = (reshape(gamma, bshape) * inv_std) * (gy - correction)
        return gx, ggamma, gbeta


def _running_stat(name: str, stat: Any, channels: int, x: Variable) -> Any:
    data = stat.data if isinstance(stat, Variable) else stat
    if not hasattr(data, "shape") or not hasattr(data, "dtype"):
        raise TypeError(f"batch_norm: {name} must be an array of shape ({channels},) (the "
                        f"running statistic), got {type(stat).__name__}")
    if tuple(data.shape) != (channels,):
        raise ValueError(f"batch_norm: {name} has shape {tuple(data.shape)} but x "
                         f"{tuple(x.shape)} has {channels} channels; expected ({channels},)")
    if data.dtype.kind != "f":  # updated in place with fractions in training
        raise TypeError(f"batch_norm: {name} (the running statistic) must be a floating-point "
                        f"array, got dtype {data.dtype}; create it with dtype=np.float32")
    return data


def batch_norm(x: Any, gamma: Any, beta: Any, mean: Any, var: Any, decay: float = 0.9,
               eps: float = 2e-5) -> Variable:
    """y = γ·(x − μ)/√(σ² + eps) + β per channel (axis 1) of x (N, C) or (N, C, H, W).

    In training mode (``dezero.Config.train``) μ, σ² are the batch's statistics and
    the running ``mean``/``var`` arrays are updated in place:
    mean ← decay·mean + (1 − decay)·μ, var ← decay·var + (1 − decay)·m/(m − 1)·σ²
    (m values per channel).  In test mode μ, σ² are ``mean`` and ``var``.  Both
    modes are twice differentiable in x, γ and β, and keep float32 as float32.
    (The original DeZero spelt this ``batch_nrom``; that name is kept as an alias.)
    """
    x, gamma, beta = (as_variable(v, "batch_norm") for v in (x, gamma, beta))
    decay = as_real(decay, "batch_norm", "decay", 0.0, 1.0)
    eps = as_real(eps, "batch_norm", "eps", 0.0)
    if x.ndim not in (2, 4):
        raise ValueError(f"batch_norm: x must be (N, C) or (N, C, H, W), got shape "
                         f"{tuple(x.shape)}")
    channels = x.shape[1]
    for name, p in (("gamma", gamma), ("beta", beta)):
        if p.shape != (channels,):
            raise ValueError(f"batch_norm: {name} has shape {tuple(p.shape)} but x "
                             f"{tuple(x.shape)} has {channels} channels; expected ({channels},)")
    running_mean = _running_stat("mean", mean, channels, x)
    running_var = _running_stat("var", var, channels, x)
    if train_var.get():
        if x.size == 0:
            raise ValueError(f"batch_norm: x of shape {tuple(x.shape)} has no values to take "
                             "batch statistics from; pass a non-empty batch (or use test mode)")
        return BatchNorm(running_mean, running_var, decay, eps)(x, gamma, beta)
    # Test mode: an affine map per channel with constant statistics, written with
    # dezero functions (so its backward works and is differentiable again).
    xp = cuda.get_array_module(x.data)
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
    inv_std = 1 / xp.sqrt(xp.asarray(running_var, dtype=dtype) + dtype.type(eps))
    scale = gamma * Variable(inv_std)
    shift = beta - Variable(xp.asarray(running_mean, dtype=dtype)) * scale
    _, bshape = _channel_layout(x.ndim)
    return x * reshape(scale, bshape) + reshape(shift, bshape)


batch_nrom = batch_norm


def embed_id(x: Any, W: Any) -> Variable:
    """y = W[x]: row x of the embedding matrix W (V, D) for integer ids x of any shape;
    y is x.shape + (D,), and the gradient is scatter-added into W's rows."""
    ids = as_int_array(x, "embed_id", "ids", "integer ids")
    W = as_variable(W, "embed_id")
    if W.ndim != 2:
        raise ValueError(f"embed_id: W must be 2-d (vocabulary, dimension), got shape "
                         f"{tuple(W.shape)}")
    if ids.size and (int(ids.min()) < 0 or int(ids.max()) >= W.shape[0]):
        raise IndexError(f"embed_id: ids must lie in [0, {W.shape[0]}) for W {tuple(W.shape)}, "
                         f"got values from {int(ids.min())} to {int(ids.max())}")
    return get_item(W, ids)


class LayerNorm(Function):
    """Layer norm of (x, gamma, beta) over the trailing ``gamma.ndim`` axes of x."""

    def __init__(self, ndim: int, eps: float) -> None:
        self.axes = tuple(range(-ndim, 0))
        self.eps = eps

    def forward(self, x, gamma, beta):
        xp = cuda.get_array_module(x)
        if x.dtype.kind != "f":  # integers and booleans normalise in float64
            x = x.astype(np.float64)
        xc = x - x.mean(axis=self.axes, keepdims=True)
        self.inv_std = 1 / xp.sqrt((xc * xc).mean(axis=self.axes, keepdims=True) + self.eps)
        self.xhat = xc * self.inv_std
        return self.xhat * gamma + beta

    def backward(self, gy):
        x, gamma, beta = self.inputs
        axes = self.axes
        if enable_backprop_var.get():
            # Recording the backward (create_graph=True): x̂ and 1/σ rebuilt from x with
            # dezero functions, so that the gradient is itself differentiable in x.
            xc = x - _mean(x, axis=axes, keepdims=True)
            inv_std = (_mean(xc * xc, axis=axes, keepdims=True) + self.eps) ** -0.5
            xhat = xc * inv_std
        else:
            xhat, inv_std = Variable(self.xhat), Variable(self.inv_std)
        lead = tuple(range(gy.ndim - gamma.ndim))
        gbeta = _sum(gy, axis=lead) if lead else gy
        ggamma = _sum(gy * xhat, axis=lead) if lead else gy * xhat
        g = gy * gamma
        gx = inv_std * (g - _mean(g, axis=axes, keepdims=True)
                        - xhat * _mean(g * xhat, axis=axes, keepdims=True))
        return gx, ggamma, gbeta


def layer_norm(x: Any, gamma: Any, beta: Any, eps: float = 1e-5) -> Variable:
    """y = γ·(x − μ)/√(σ² + eps) + β, μ and σ² the mean and (biased) variance of x over
    its trailing ``gamma.ndim`` axes; ``gamma`` and ``beta`` have the shape of those axes."""
    x, gamma, beta = (as_variable(v, "layer_norm") for v in (x, gamma, beta))
    eps = float(check_real(eps, "layer_norm", "eps", minimum=0.0))
    k = gamma.ndim
    if k == 0:
        raise ValueError("layer_norm: gamma must have at least one axis (the shape of the "
                         "trailing axes of x to normalise), got a 0-d gamma")
    if beta.shape != gamma.shape:
        raise ValueError(f"layer_norm: beta has shape {tuple(beta.shape)} but gamma has "
                         f"{tuple(gamma.shape)}; pass both with the normalised shape")
    if x.ndim < k or tuple(x.shape[-k:]) != tuple(gamma.shape):
        raise ValueError(f"layer_norm: the trailing axes of x {tuple(x.shape)} must equal the "
                         f"shape of gamma {tuple(gamma.shape)}")
    with np.errstate(invalid="ignore", divide="ignore"):  # an empty x: as NumPy's mean
        return LayerNorm(k, eps)(x, gamma, beta)
