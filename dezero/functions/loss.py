"""Losses: mean squared error and the cross-entropies, plus accuracy (no gradient).

Every cross-entropy is computed from logits or clamped logarithms, so it stays
finite with finite gradients at |x| = 1000 and for confident predictions.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from dezero import cuda, utils
from dezero.core import Function, Variable, as_array, as_variable
from dezero.functions.activation import sigmoid, softmax
from dezero.functions.elementwise import clip, log
from dezero.functions.shape import sum_to


def _batch_len(shape: tuple[int, ...]) -> int:
    return shape[0] if shape else 1


class MeanSquaredError(Function):
    """Σ (x0 − x1)² / len(x0 − x1): DeZero's definition divides by the batch length."""

    def forward(self, x0, x1):
        diff = x0 - x1
        return (diff * diff).sum() / diff.dtype.type(_batch_len(diff.shape))

    def backward(self, gy):
        x0, x1 = self.inputs
        diff = x0 - x1
        gx = diff * (gy * (2.0 / _batch_len(diff.shape)))
        return sum_to(gx, x0.shape), sum_to(-gx, x1.shape)


def _labels(t: Any) -> Any:
    return t.data if isinstance(t, Variable) else t


class SoftmaxCrossEntropy(Function):
    """−mean over the batch of log softmax(x)[i, t_i], for logits x (N, C) and labels t (N,)."""

    def forward(self, x, t):
        xp = cuda.get_array_module(x)
        n = x.shape[0]
        log_p = x - utils.logsumexp(x, axis=1)
        return (-log_p[xp.arange(n), t.ravel()]).sum() / x.dtype.type(n)

    def backward(self, gy):
        x, t = self.inputs
        n, n_class = x.shape
        xp = cuda.get_array_module(x.data)
        onehot = xp.eye(n_class, dtype=x.dtype)[t.data.ravel()]
        return (softmax(x) - onehot) * (gy / n), None


class SigmoidCrossEntropy(Function):
    """−Σ [t log σ(x) + (1 − t) log(1 − σ(x))] / N, from logits x, in the overflow-free form."""

    def forward(self, x, t):
        xp = cuda.get_array_module(x)
        # log(1 + e^x) − t·x, with log(1 + e^x) = max(x, 0) + log1p(e^−|x|)
        loss = xp.maximum(x, 0) - t * x + xp.log1p(xp.exp(-xp.abs(x)))
        return loss.sum() / x.dtype.type(_batch_len(x.shape))

    def backward(self, gy):
        x, t = self.inputs
        scale = gy / _batch_len(x.shape)
        return (sigmoid(x) - t) * scale, -x * scale


class BinaryCrossEntropy(Function):
    """−Σ [t log p + (1 − t) log(1 − p)] / N for probabilities p; logs clamped at −100."""

    _LOG_FLOOR = -100.0  # as PyTorch's BCELoss: finite loss even at p = 0 or 1
    _EPS = 1e-12

    def forward(self, p, t):
        xp = cuda.get_array_module(p)
        with np.errstate(divide="ignore"):
            log_p = xp.maximum(xp.log(p), self._LOG_FLOOR)
            log_q = xp.maximum(xp.log(1 - p), self._LOG_FLOOR)
        loss = -(t * log_p + (1 - t) * log_q).sum()
        return loss / p.dtype.type(_batch_len(p.shape))

    def backward(self, gy):
        p, t = self.inputs
        # d/dp = (p − t) / (p (1 − p)); the floor keeps it finite at p = 0 or 1.
        scale = gy / _batch_len(p.shape)
        denom = clip(p * (1 - p), self._EPS, np.inf)
        tiny = float(np.exp(self._LOG_FLOOR))
        gt = log(clip(1 - p, tiny, np.inf)) - log(clip(p, tiny, np.inf))
        return (p - t) / denom * scale, gt * scale


def mean_squared_error(x0: Any, x1: Any) -> Variable:
    """y = Σ (x0 − x1)² / len(x0 − x1) (sum over all elements, divided by the batch length)."""
    x0, x1 = as_variable(x0), as_variable(x1)
    return MeanSquaredError()(x0, x1)


def _check_labels(who: str, x: Variable, t: Any) -> Any:
    t = as_array(_labels(t))
    if x.ndim != 2:
        raise ValueError(f"{who}: x must be 2-d logits (N, C), got shape {tuple(x.shape)}")
    if t.dtype.kind not in "iu":
        raise TypeError(f"{who}: t must hold integer class labels, got dtype {t.dtype}")
    if t.size != x.shape[0]:
        raise ValueError(f"{who}: t has {t.size} labels for a batch of {x.shape[0]} "
                         f"(x shape {tuple(x.shape)}, t shape {tuple(t.shape)})")
    return t


def softmax_cross_entropy(x: Any, t: Any) -> Variable:
    """y = −(1/N) Σᵢ log softmax(x)[i, tᵢ] for logits x (N, C) and integer labels t (N,)."""
    x = as_variable(x)
    t = _check_labels("softmax_cross_entropy", x, t)
    return SoftmaxCrossEntropy()(x, t)


def _check_targets(who: str, x: Variable, t: Any) -> Variable:
    t = as_variable(t)
    if t.shape != x.shape:
        raise ValueError(f"{who}: t must have the shape of x {tuple(x.shape)}, "
                         f"got {tuple(t.shape)}")
    if t.dtype != x.dtype:
        t = Variable(t.data.astype(x.dtype))
    return t


def sigmoid_cross_entropy(x: Any, t: Any) -> Variable:
    """y = −(1/N) Σ [t log σ(x) + (1 − t) log(1 − σ(x))] for logits x and targets t."""
    x = as_variable(x)
    return SigmoidCrossEntropy()(x, _check_targets("sigmoid_cross_entropy", x, t))


def binary_cross_entropy(p: Any, t: Any) -> Variable:
    """y = −(1/N) Σ [t log p + (1 − t) log(1 − p)] for probabilities p and targets t."""
    p = as_variable(p)
    return BinaryCrossEntropy()(p, _check_targets("binary_cross_entropy", p, t))


def accuracy(y: Any, t: Any) -> Variable:
    """Fraction of rows whose argmax over axis 1 equals the label t (no gradient)."""
    y = as_variable(y)
    t = as_array(_labels(t))
    pred = y.data.argmax(axis=1).reshape(t.shape)
    dtype = y.dtype if y.dtype.kind == "f" else np.float64
    return Variable(as_array((pred == t).mean(), cuda.get_array_module(y.data)).astype(dtype))


mean_squared_error_simple = mean_squared_error
softmax_cross_entropy_simple = softmax_cross_entropy
