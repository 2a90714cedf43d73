"""Losses: mean squared, mean absolute and Huber errors, the cross-entropies, plus
accuracy (no gradient).

Every cross-entropy is computed from logits or clamped logarithms, so it stays
finite with finite gradients at |x| = 1000 and for confident predictions.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from dezero import cuda, utils
from dezero.core import Function, Variable, as_array, as_variable
from dezero.functions.activation import sigmoid, softmax
from dezero.functions.elementwise import clip, log
from dezero.functions.shape import sum_to
from dezero.utils.checks import as_labels, check_real, renamed


def _batch_len(shape: tuple[int, ...]) -> int:
    return shape[0] if shape else 1


class MeanSquaredError(Function):
    """Σ (x0 − x1)² / len(x0 − x1): DeZero's definition divides by the batch length."""

    def forward(self, x0, x1):
        diff = x0 - x1
        # a Python float is a weak scalar: float32 stays float32
        return (diff * diff).sum() / float(_batch_len(diff.shape))

    def backward(self, gy):
        x0, x1 = self.inputs
        diff = x0 - x1
        n = _batch_len(diff.shape)
        gx = diff * (gy * (2.0 / n if n else 0.0))  # an empty batch has an empty gradient
        return sum_to(gx, x0.shape), sum_to(-gx, x1.shape)


class SoftmaxCrossEntropy(Function):
    """−mean over the batch of log softmax(x)[i, t_i], for logits x (N, C) and labels t (N,)."""

    def forward(self, x, t):
        xp = cuda.get_array_module(x)
        n = x.shape[0]
        if n == 0:  # the mean over an empty batch, as NumPy's: nan
            return xp.full((), xp.nan, dtype=x.dtype if x.dtype.kind == "f" else np.float64)
        log_p = x - utils.logsumexp(x, axis=1)
        return (-log_p[xp.arange(n), t.ravel()]).sum() / float(n)

    def backward(self, gy):
        x, t = self.inputs
        n, n_class = x.shape
        xp = cuda.get_array_module(x.data)
        # one-hot rows built in place: O(N·C), where eye(C)[t] would first make a C×C
        # matrix (10 GB for a 50,000-word vocabulary)
        onehot = xp.zeros((n, n_class), dtype=x.dtype)
        onehot[xp.arange(n), t.data.ravel()] = 1
        return (softmax(x) - onehot) * (gy / n), None


class SigmoidCrossEntropy(Function):
    """−Σ [t log σ(x) + (1 − t) log(1 − σ(x))] / N, from logits x, in the overflow-free form."""

    def forward(self, x, t):
        xp = cuda.get_array_module(x)
        # log(1 + e^x) − t·x, with log(1 + e^x) = max(x, 0) + log1p(e^−|x|)
        loss = xp.maximum(x, 0) - t * x + xp.log1p(xp.exp(-xp.abs(x)))
        return loss.sum() / float(_batch_len(x.shape))

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
        return loss / float(_batch_len(p.shape))

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
    return _difference_loss("mean_squared_error", MeanSquaredError, x0, x1)


def _difference_loss(who: str, function: type, x0: Any, x1: Any) -> Variable:
    """``function()(x0, x1)`` for a loss of x0 − x1, the pair checked to broadcast and a
    NumPy error (such as subtracting booleans) renamed to ``who`` with the dtypes."""
    x0, x1 = _broadcast_pair(who, x0, x1, ("x0", "x1"))
    try:
        return function()(x0, x1)
    except (TypeError, ValueError) as e:  # e.g. NumPy has no boolean subtraction
        raise renamed(who, e, f" (x0: {x0.dtype}, x1: {x1.dtype})") from None


def _check_labels(who: str, x: Variable, t: Any) -> Any:
    if x.ndim != 2:
        raise ValueError(f"{who}: x must be 2-d logits (N, C), got shape {tuple(x.shape)}")
    n, n_class = x.shape
    return as_labels(t, who, n, n_class)


def softmax_cross_entropy(x: Any, t: Any) -> Variable:
    """y = −(1/N) Σᵢ log softmax(x)[i, tᵢ] for logits x (N, C) and integer labels t (N,)."""
    x = as_variable(x, "softmax_cross_entropy")
    t = _check_labels("softmax_cross_entropy", x, t)
    return SoftmaxCrossEntropy()(x, t)


def _check_targets(who: str, x: Variable, t: Any) -> Variable:
    """Targets with the elements of x; another ndim is reshaped to x's (as DeZero 0.0.13:
    x (N, 1) with t (N,) is the usual binary-classifier case)."""
    t = as_variable(t, who)
    if t.shape != x.shape:
        if t.size != x.size:
            raise ValueError(f"{who}: t {tuple(t.shape)} must have as many elements as x "
                             f"{tuple(x.shape)}; pass one target per element of x")
        t = Variable(t.data.reshape(x.shape))
    if t.dtype != x.dtype:
        t = Variable(t.data.astype(x.dtype))
    return t


def _check_x(who: str, x: Any) -> Variable:
    x = as_variable(x, who)
    if x.dtype.kind != "f":
        raise TypeError(f"{who}: x must hold floating-point values, got dtype {x.dtype}; "
                        "pass x.astype(np.float32)")
    return x


def sigmoid_cross_entropy(x: Any, t: Any) -> Variable:
    """y = −(1/N) Σ [t log σ(x) + (1 − t) log(1 − σ(x))] for logits x and targets t."""
    x = _check_x("sigmoid_cross_entropy", x)
    return SigmoidCrossEntropy()(x, _check_targets("sigmoid_cross_entropy", x, t))


def binary_cross_entropy(p: Any, t: Any) -> Variable:
    """y = −(1/N) Σ [t log p + (1 − t) log(1 − p)] for probabilities p and targets t."""
    p = _check_x("binary_cross_entropy", p)
    return BinaryCrossEntropy()(p, _check_targets("binary_cross_entropy", p, t))


def accuracy(y: Any, t: Any) -> Variable:
    """Fraction (float64) of rows whose argmax over axis 1 equals the label t (no gradient);
    t holds labels in [0, C), one per row: integers, or floats that are whole numbers as
    DeZero accepts (nan for an empty batch)."""
    y = as_variable(y, "accuracy")
    if y.ndim < 2:
        raise ValueError(f"accuracy: y must be scores of shape (N, C, ...), got shape "
                         f"{tuple(y.shape)}")
    n_class = y.shape[1]
    n = math.prod(y.shape[:1] + y.shape[2:])  # one label per row (and per position)
    t = as_labels(t, "accuracy", n, n_class, whole_floats=True)
    # float64 whatever y's dtype, as DeZero: a count over N is then exact to print
    # (2 of 10 is 0.2, not float32's 0.2000000030), and sums of batch counts stay whole.
    xp = cuda.get_array_module(y.data)
    if t.size == 0:  # the mean of no matches (NumPy's nan)
        return Variable(xp.full((), np.nan, dtype=np.float64))
    value = (y.data.argmax(axis=1).reshape(t.shape) == t).mean()
    return Variable(as_array(value, xp).astype(np.float64))


class MeanAbsoluteError(Function):
    """mean |x0 − x1| over all elements (broadcast); the gradient is 0 where x0 = x1."""

    def forward(self, x0, x1):
        with np.errstate(invalid="ignore"):  # an empty difference: NumPy's mean, nan
            return cuda.get_array_module(x0).abs(x0 - x1).mean()

    def backward(self, gy):
        x0, x1 = self.inputs
        xp = cuda.get_array_module(x0.data)
        diff = x0.data - x1.data
        dtype = gy.dtype
        sign = xp.sign(diff).astype(dtype) * dtype.type(1 / diff.size if diff.size else 0)
        gx = gy * Variable(sign)
        return sum_to(gx, x0.shape), sum_to(-gx, x1.shape)


class HuberLoss(Function):
    """mean over all elements of ½d² where |d| ≤ δ, else δ(|d| − ½δ), d = x − t."""

    def __init__(self, delta: float) -> None:
        self.delta = delta

    def forward(self, x, t):
        xp = cuda.get_array_module(x)
        d = x - t
        ad = xp.abs(d)
        loss = xp.where(ad <= self.delta, d * d * 0.5, (ad - 0.5 * self.delta) * self.delta)
        with np.errstate(invalid="ignore"):  # an empty difference: NumPy's mean, nan
            return loss.mean()

    def backward(self, gy):
        x, t = self.inputs
        d = x - t
        n = d.size
        # d loss / d x = clip(d, −δ, δ) / n: its own derivative is 1/n inside, 0 outside
        gx = clip(d, -self.delta, self.delta) * (gy * (1 / n if n else 0.0))
        return sum_to(gx, x.shape), sum_to(-gx, t.shape)


def _broadcast_pair(who: str, x0: Any, x1: Any,
                    names: tuple[str, str]) -> tuple[Variable, Variable]:
    x0, x1 = as_variable(x0, who), as_variable(x1, who)
    try:
        np.broadcast_shapes(x0.shape, x1.shape)
    except ValueError:
        raise ValueError(f"{who}: the shapes of {names[0]} {tuple(x0.shape)} and {names[1]} "
                         f"{tuple(x1.shape)} do not broadcast; pass arrays of the same shape"
                         ) from None
    return x0, x1


def mean_absolute_error(x0: Any, x1: Any) -> Variable:
    """y = mean over all elements of |x0 − x1| (x0, x1 broadcast); gradient 0 at ties."""
    return _difference_loss("mean_absolute_error", MeanAbsoluteError, x0, x1)


def huber_loss(x: Any, t: Any, delta: float = 1.0) -> Variable:
    """y = mean over all elements of ½d² where |d| ≤ δ, else δ(|d| − ½δ), with d = x − t
    (x, t broadcast; as PyTorch's ``huber_loss`` with ``reduction='mean'``)."""
    delta = float(check_real(delta, "huber_loss", "delta", minimum=0.0, min_open=True))
    x, t = _broadcast_pair("huber_loss", x, t, ("x", "t"))
    try:
        return HuberLoss(delta)(x, t)
    except (TypeError, ValueError) as e:
        raise renamed("huber_loss", e, f" (x: {x.dtype}, t: {t.dtype})") from None


mean_squared_error_simple = mean_squared_error
softmax_cross_entropy_simple = softmax_cross_entropy
