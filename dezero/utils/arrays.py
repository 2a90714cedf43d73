"""Array-level helpers shared by the Functions (no graph, no Variables)."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from dezero import cuda
from dezero.utils.checks import as_axes, as_pair


def normalize_axis(axis: Any, ndim: int, who: str) -> tuple[int, ...] | None:
    """Return ``axis`` (None, int or sequence of ints) as a sorted tuple of non-negative axes.

    Raises TypeError naming ``who`` for a non-integer axis, ValueError for one out of range
    or repeated (see :func:`dezero.utils.checks.as_axes`).
    """
    return as_axes(axis, ndim, who)


def sum_to(x: Any, shape: Sequence[int]) -> Any:
    """Sum the array ``x`` down to ``shape``, undoing NumPy broadcasting.

    This is the single place where broadcast gradients are reduced.
    """
    shape = tuple(shape)
    if x.shape == shape:
        return x
    ndim = len(shape)
    lead = x.ndim - ndim
    if lead > 0 and x.shape[lead:] == shape:  # only leading axes added (a bias): one sum
        return x.sum(axis=0 if lead == 1 else tuple(range(lead)))
    if lead < 0:
        raise ValueError(f"sum_to: cannot sum shape {x.shape} to the larger shape {shape}")
    axes = tuple(range(lead)) + tuple(
        i + lead for i, s in enumerate(shape) if s == 1 and x.shape[i + lead] != 1)
    for i, s in enumerate(shape):
        if s != 1 and x.shape[i + lead] != s:
            raise ValueError(f"sum_to: shape {x.shape} does not broadcast from {shape}")
    y = x.sum(axis=axes, keepdims=True)
    if lead > 0:
        y = y.reshape(y.shape[lead:])
    return y


def reshape_sum_backward(gy: Any, x_shape: Sequence[int], axis: Any, keepdims: bool) -> Any:
    """Reshape the gradient of a sum over ``axis`` so it broadcasts back to ``x_shape``.

    Accepts arrays and Variables (anything with ``reshape``).
    """
    ndim = len(x_shape)
    axes = normalize_axis(axis, ndim, "sum")
    if not (ndim == 0 or axes is None or keepdims):
        shape = list(gy.shape)
        for a in axes:
            shape.insert(a, 1)
        return gy.reshape(tuple(shape))
    if axes is None and not keepdims and ndim > 0:
        return gy.reshape((1,) * ndim)
    return gy


def max_backward_shape(x: Any, axis: Any) -> list[int]:
    """The shape of a max/min result with the reduced axes kept as size 1."""
    axes = normalize_axis(axis, x.ndim, "max")
    if axes is None:
        axes = tuple(range(x.ndim))
    return [1 if i in axes else s for i, s in enumerate(x.shape)]


def logsumexp(x: Any, axis: Any = 1) -> Any:
    """``log(sum(exp(x), axis, keepdims=True))`` computed without overflow."""
    xp = cuda.get_array_module(x)
    m = x.max(axis=axis, keepdims=True)
    m = xp.where(xp.isfinite(m), m, 0)
    return m + xp.log(xp.exp(x - m).sum(axis=axis, keepdims=True))


def array_equal(a: Any, b: Any) -> bool:
    """True when ``a`` and ``b`` (Variables or arrays, CPU or GPU) are equal elementwise."""
    return bool(np.array_equal(cuda.as_numpy(a), cuda.as_numpy(b)))


def array_allclose(a: Any, b: Any, rtol: float = 1e-4, atol: float = 1e-5) -> bool:
    """True when ``a`` and ``b`` (Variables or arrays) are close elementwise."""
    return bool(np.allclose(cuda.as_numpy(a), cuda.as_numpy(b), rtol=rtol, atol=atol))


def pair(x: Any, who: str = "pair", arg: str = "value") -> tuple[int, int]:
    """Return ``x`` as a pair: an int ``n`` becomes ``(n, n)``; a pair of ints is kept.

    Raises TypeError for a non-integer and ValueError for a sequence that is not a pair,
    naming ``who`` and ``arg`` (see :func:`dezero.utils.checks.as_pair`).
    """
    return as_pair(x, who, arg, minimum=None)


def get_conv_outsize(input_size: int, kernel_size: int, stride: int, pad: int) -> int:
    """Output length of a convolution/pooling along one axis."""
    return (input_size + pad * 2 - kernel_size) // stride + 1


def get_deconv_outsize(size: int, k: int, s: int, p: int) -> int:
    """Output length of a transposed convolution along one axis."""
    return s * (size - 1) + k - 2 * p
