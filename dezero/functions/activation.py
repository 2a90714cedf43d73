"""Activations: sigmoid, relu, leaky_relu, softmax, log_softmax, dropout, softplus, silu, gelu, elu.

GELU's exact form needs the normal CDF Φ(x) = erfc(−x/√2)/2, and NumPy has no erf:
:func:`_erfc` is W. J. Cody's rational Chebyshev approximation (Math. Comp. 1969, the
CALERF routine of SPECFUN), accurate to about 1e-16 relative in float64 on every range
and written with array operations (so CuPy runs it too).  An approximation of lower
accuracy (Abramowitz–Stegun 7.1.26, 1.5e-7) would be inconsistent with the exact
derivative Φ'(x) = e^(−x²/2)/√(2π) that the backward uses.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from dezero import cuda, utils
from dezero._config import train_var
from dezero.core import Function, Variable, as_variable
from dezero.functions.elementwise import exp, tanh
from dezero.functions.reduction import sum
from dezero.utils.checks import as_axes, as_real, check_real, renamed


class Sigmoid(Function):
    """y = 1 / (1 + exp(-x)), elementwise; the Function behind :func:`sigmoid`."""

    def forward(self, x):
        xp = cuda.get_array_module(x)
        # tanh form: no overflow for large |x|, unlike 1 / (1 + exp(-x)).
        return xp.tanh(x * 0.5) * 0.5 + 0.5

    def backward(self, gy):
        y = self.outputs[0]()
        if y is None:
            y = sigmoid(self.inputs[0])
        return gy * y * (1 - y)


class ReLU(Function):
    """y = max(x, 0), elementwise; the Function behind :func:`relu`."""

    def forward(self, x):
        if isinstance(x, np.generic) and x.dtype.kind == "f":
            # a 0-d value kept as a NumPy scalar (dezero.core._HELD_TYPES): a comparison
            # costs a twentieth of a ufunc call on a scalar, with the same result (NaN
            # stays NaN, -0.0 and -inf give 0.0)
            return x if not x <= 0 else x.dtype.type(0)
        return cuda.get_array_module(x).maximum(x, 0)

    def backward(self, gy):
        (x,) = self.inputs
        mask = x._data > 0  # not x.data: a 0-d value kept as a NumPy scalar stays one
        # a 0-d mask is a NumPy bool, which multiplies fast as it is; an array mask is cast
        # first, since float × float runs faster than float × bool
        return gy * (mask if mask.ndim == 0 else mask.astype(gy.dtype))


class LeakyReLU(Function):
    """y = x where x > 0, else slope·x; the Function behind :func:`leaky_relu`."""

    def __init__(self, slope: float) -> None:
        self.slope = slope

    def forward(self, x):
        return cuda.get_array_module(x).where(x > 0, x, x * self.slope)

    def backward(self, gy):
        (x,) = self.inputs
        xp = cuda.get_array_module(x.data)
        return gy * xp.where(x.data > 0, 1, self.slope).astype(gy.dtype)


class Softmax(Function):
    """y = exp(x) / Σ exp(x) over ``axis`` (1 by default); the Function behind :func:`softmax`."""

    def __init__(self, axis: Any = 1) -> None:
        self.axis = axis

    def forward(self, x):
        xp = cuda.get_array_module(x)
        if x.size == 0:  # nothing to normalise (and max has no identity)
            return xp.exp(x)
        if x.dtype.kind == "b":  # NumPy cannot subtract booleans; integers give float64 too
            x = x.astype(np.float64)
        y = xp.exp(x - x.max(axis=self.axis, keepdims=True))
        y /= y.sum(axis=self.axis, keepdims=True)
        return y

    def backward(self, gy):
        y = self.outputs[0]()
        if y is None:
            y = softmax(self.inputs[0], self.axis)
        gx = y * gy
        return gx - y * sum(gx, axis=self.axis, keepdims=True)


class LogSoftmax(Function):
    """y = x − log Σ exp(x) over ``axis`` (1 by default); see :func:`log_softmax`."""

    def __init__(self, axis: Any = 1) -> None:
        self.axis = axis

    def forward(self, x):
        if x.size == 0:
            return cuda.get_array_module(x).exp(x)
        if x.dtype.kind == "b":
            x = x.astype(np.float64)
        return x - utils.logsumexp(x, self.axis)

    def backward(self, gy):
        y = self.outputs[0]()
        if y is None:
            y = log_softmax(self.inputs[0], self.axis)
        return gy - exp(y) * sum(gy, axis=self.axis, keepdims=True)


def sigmoid(x: Any) -> Variable:
    """y = 1 / (1 + e⁻ˣ), computed as 0.5·tanh(x/2) + 0.5 so it never overflows."""
    return Sigmoid()(x)


def relu(x: Any) -> Variable:
    """y = max(x, 0)."""
    return ReLU()(x)


def leaky_relu(x: Any, slope: float = 0.2) -> Variable:
    """y = x where x > 0, else slope·x."""
    if type(slope) is not float or slope != slope:  # nan is no slope
        slope = as_real(slope, "leaky_relu", "slope")
    return LeakyReLU(slope)(x)


def _softmax_axes(x: Any, axis: Any, who: str) -> tuple[Variable, Any]:
    x = as_variable(x, who)
    axes = as_axes(axis, x.ndim, who, reduction=True)
    return x, axes[0] if axes is not None and len(axes) == 1 else axes


def softmax(x: Any, axis: Any = 1) -> Variable:
    """y = exp(x) / Σ exp(x) along ``axis`` (shifted by the max, so stable for large x)."""
    x, axis = _softmax_axes(x, axis, "softmax")
    try:
        return Softmax(axis)(x)
    except (TypeError, ValueError) as e:  # e.g. NumPy has no boolean subtraction
        raise renamed("softmax", e, f" (x: {tuple(x.shape)} {x.dtype})") from None


def log_softmax(x: Any, axis: Any = 1) -> Variable:
    """y = x − logsumexp(x) along ``axis`` (stable for large |x|)."""
    x, axis = _softmax_axes(x, axis, "log_softmax")
    try:
        return LogSoftmax(axis)(x)
    except (TypeError, ValueError) as e:
        raise renamed("log_softmax", e, f" (x: {tuple(x.shape)} {x.dtype})") from None


def dropout(x: Any, dropout_ratio: float = 0.5) -> Variable:
    """In training: y = x·mask / (1 − ratio), mask ~ Bernoulli(1 − ratio); in test mode y = x."""
    x = as_variable(x, "dropout")
    dropout_ratio = as_real(dropout_ratio, "dropout", "dropout_ratio", 0.0, 1.0, high_open=True)
    if not train_var.get() or dropout_ratio == 0:
        return x
    xp = cuda.get_array_module(x.data)
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
    # asarray: for a 0-d x, rand() gives a Python float and the comparison a bool
    mask = xp.asarray(xp.random.rand(*x.shape) > dropout_ratio).astype(dtype)
    return x * (mask * dtype.type(1.0 / (1.0 - dropout_ratio)))


sigmoid_simple = sigmoid
softmax_simple = softmax


# -- softplus, silu, gelu, elu --------------------------------------------------------------


def _floating(x):
    """``x`` itself if floating, else as float64 (integers and booleans compute in float64)."""
    return x if x.dtype.kind == "f" else x.astype(np.float64)


class Softplus(Function):
    """y = log(1 + eˣ) = max(x, 0) + log1p(e^−|x|); the Function behind :func:`softplus`."""

    def forward(self, x):
        xp = cuda.get_array_module(x)
        x = _floating(x)
        return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))

    def backward(self, gy):
        return gy * sigmoid(self.inputs[0])


class SiLU(Function):
    """y = x·σ(x); the Function behind :func:`silu`."""

    def forward(self, x):
        xp = cuda.get_array_module(x)
        x = _floating(x)
        return x * (xp.tanh(x * 0.5) * 0.5 + 0.5)

    def backward(self, gy):
        (x,) = self.inputs
        s = sigmoid(x)
        return gy * (s * (1 + x * (1 - s)))


# W. J. Cody's coefficients (CALERF): erf on |x| ≤ 0.46875, erfc on (0.46875, 4], erfc beyond.
_ERF_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
          3.20937758913846947e03, 1.85777706184603153e-1)
_ERF_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
          2.84423683343917062e03)
_ERF_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
          2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
          2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_ERF_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
          1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
          3.43936767414372164e03, 1.23033935480374942e03)
_ERF_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
          1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_ERF_Q = (2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
          6.05183413124413191e-2, 2.33520497626869185e-3)
_RSQRTPI = 0.56418958354775628695
_SQRT2 = 1.4142135623730950488
_RSQRT2PI = 0.39894228040143267794


def _erfc(z):
    """erfc(z) elementwise for a float64 array (Cody's CALERF, about 1e-16 relative)."""
    xp = cuda.get_array_module(z)
    y = xp.abs(z)
    out = xp.zeros_like(y)
    with np.errstate(over="ignore", under="ignore"):
        small = y <= 0.46875
        ys = y[small]
        ysq = ys * ys
        num, den = _ERF_A[4] * ysq, ysq
        for i in range(3):
            num, den = (num + _ERF_A[i]) * ysq, (den + _ERF_B[i]) * ysq
        out[small] = 1 - z[small] * (num + _ERF_A[3]) / (den + _ERF_B[3])

        mid = ~small & (y <= 4.0)
        ym = y[mid]
        num, den = _ERF_C[8] * ym, ym
        for i in range(7):
            num, den = (num + _ERF_C[i]) * ym, (den + _ERF_D[i]) * ym
        mid_value = (num + _ERF_C[7]) / (den + _ERF_D[7])

        big = y > 4.0  # (nan falls in no range: erfc(nan) is nan)
        yb = xp.minimum(y[big], 30.0)  # erfc(30) underflows to 0: also keeps inf out
        isq = 1 / (yb * yb)
        num, den = _ERF_P[5] * isq, isq
        for i in range(4):
            num, den = (num + _ERF_P[i]) * isq, (den + _ERF_Q[i]) * isq
        big_value = (_RSQRTPI - isq * (num + _ERF_P[4]) / (den + _ERF_Q[4])) / yb

        for where, y_part, value in ((mid, ym, mid_value), (big, yb, big_value)):
            # e^(−y²) as e^(−t²)·e^(−(y−t)(y+t)), t = y rounded down to 1/16: no lost digits
            t = xp.trunc(y_part * 16) / 16
            scaled = xp.exp(-t * t) * xp.exp(-(y_part - t) * (y_part + t)) * value
            negative = z[where] < 0
            out[where] = xp.where(negative, 2 - scaled, scaled)
    out[xp.isnan(z)] = xp.nan
    return out


def _normal_cdf(x):
    """Φ(x) = erfc(−x/√2)/2 in x's (floating) dtype, computed in float64."""
    return (0.5 * _erfc(-x.astype(np.float64) / _SQRT2)).astype(x.dtype)


class NormalCDF(Function):
    """Φ(x), the standard normal CDF; its derivative is φ(x) = e^(−x²/2)/√(2π)."""

    def forward(self, x):
        return _normal_cdf(_floating(x))

    def backward(self, gy):
        (x,) = self.inputs
        return gy * (exp(x * x * -0.5) * _RSQRT2PI)


class GELU(Function):
    """y = x·Φ(x) (``'none'``) or its tanh approximation; the Function behind :func:`gelu`."""

    _C = 0.79788456080286535588  # √(2/π)
    _A = 0.044715

    def __init__(self, approximate: str = "none") -> None:
        self.approximate = approximate

    def forward(self, x):
        xp = cuda.get_array_module(x)
        x = _floating(x)
        if self.approximate == "tanh":
            with np.errstate(over="ignore"):  # x³ → ±inf only where tanh is ±1 anyway
                inner = (x + x * x * x * self._A) * self._C
            return x * (xp.tanh(inner) * 0.5 + 0.5)
        return x * _normal_cdf(x)

    def backward(self, gy):
        (x,) = self.inputs
        if self.approximate == "tanh":
            x2 = x * x
            t = tanh((x + x2 * x * self._A) * self._C)
            slope = (1 + x2 * (3 * self._A)) * self._C
            return gy * ((t + 1) * 0.5 + x * (1 - t * t) * slope * 0.5)
        return gy * (NormalCDF()(x) + x * (exp(x * x * -0.5) * _RSQRT2PI))


class ELU(Function):
    """y = x where x > 0, else α(eˣ − 1); the Function behind :func:`elu`."""

    def __init__(self, alpha: float) -> None:
        self.alpha = alpha

    def forward(self, x):
        xp = cuda.get_array_module(x)
        x = _floating(x)
        return xp.where(x > 0, x, xp.expm1(xp.minimum(x, 0)) * self.alpha)

    def backward(self, gy):
        (x,) = self.inputs
        dtype = gy.dtype
        positive = x.data > 0
        neg = Variable((~positive).astype(dtype))
        # α·eˣ on the negative side, as a function of x (so it differentiates again);
        # exp(x·0) on the positive side keeps e^1000 out of it.
        return gy * (Variable(positive.astype(dtype)) + exp(x * neg) * neg * self.alpha)


def softplus(x: Any) -> Variable:
    """y = log(1 + eˣ), computed as max(x, 0) + log1p(e^−|x|) (finite for any x)."""
    return Softplus()(as_variable(x, "softplus"))


def silu(x: Any) -> Variable:
    """y = x·σ(x) = x / (1 + e⁻ˣ) (also called swish)."""
    return SiLU()(as_variable(x, "silu"))


def gelu(x: Any, approximate: str = "none") -> Variable:
    """y = x·Φ(x), Φ the standard normal CDF (``approximate='none'``), or
    y = ½x(1 + tanh(√(2/π)(x + 0.044715x³))) (``approximate='tanh'``)."""
    if not isinstance(approximate, str) or approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return GELU(approximate)(as_variable(x, "gelu"))


def elu(x: Any, alpha: float = 1.0) -> Variable:
    """y = x where x > 0, else α(eˣ − 1)."""
    alpha = float(check_real(alpha, "elu", "alpha"))
    return ELU(alpha)(as_variable(x, "elu"))
