"""2-d max and average pooling (NCHW), differentiable any number of times.

Max pooling pads with −∞ (the original DeZero padded with 0, so a window of
negative values at the border returned 0).  Its backward routes each gradient
to the window's arg-max (the first one on a tie, as Chainer and PyTorch do) with
:class:`MaxPoolingScatter`, whose backward is :class:`MaxPoolingGather`, and
back again: both are linear in their input, so gradients of gradients work.
Average pooling works for non-square kernels (the original failed on them).

(This module is not called ``pooling``: a submodule named like one of the
functions that ``dezero.functions`` exports would be shadowed by it.)
"""
from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from dezero import cuda
from dezero._config import enable_backprop_var
from dezero.core import Function, Variable, as_variable
from dezero.functions.conv import IntOrPair, add_windows, conv_geometry, window_view


@dataclasses.dataclass
class _Windows:
    """Where a pooling's windows lie: input shape, kernel, stride, pad (all pairs)."""

    input_shape: tuple[int, ...]
    kernel_size: tuple[int, int]
    stride: tuple[int, int]
    pad: tuple[int, int]

    def planes(self, x: Any, pad_value: float = 0) -> list:
        """The KH·KW strided views (N, C, OH, OW) of ``x``: plane k holds, for every window,
        its element at kernel offset (k // KW, k % KW).  Nothing is copied but the padding.

        Pooling reduces these planes one at a time rather than copying all windows
        into a column array: no (KH·KW)-fold temporary, so fewer fresh allocations.
        """
        view = window_view(x, self.kernel_size, self.stride, self.pad, pad_value)
        kh, kw = self.kernel_size
        return [view[:, :, i, j] for i in range(kh) for j in range(kw)]

    def scatter(self, plane_at: Any, like: Any) -> Any:
        """An input-shaped array (dtype of ``like``) summing ``plane_at(k)`` into the
        windows' kernel offset k = i·KW + j (see :func:`add_windows`)."""
        kw = self.kernel_size[1]
        return add_windows(lambda i, j: plane_at(i * kw + j), self.input_shape,
                           self.kernel_size, self.stride, self.pad, like.dtype,
                           cuda.get_array_module(like))


    @property
    def tiles(self) -> bool:
        """True when the windows tile the input without overlap (kernel = stride, no pad):
        then each input pixel belongs to at most one window."""
        return self.kernel_size == self.stride and self.pad == (0, 0)

    def route(self, gy: Any, indexes: Any) -> Any:
        """For tiling windows: an input-shaped array holding ``gy`` at each window's
        kernel offset ``indexes`` and zeros elsewhere.  Each kernel offset's plane of a
        (N, C, OH, KH, OW, KW) view of the output is written once (no scatter-add, no
        zero fill of the tiled part)."""
        xp = cuda.get_array_module(gy)
        n, c, h, w = self.input_shape
        kh, kw = self.kernel_size
        oh, ow = indexes.shape[2:]
        exact = (oh * kh, ow * kw) == (h, w)
        blocks = xp.empty((n, c, oh, kh, ow, kw), dtype=gy.dtype)
        for i in range(kh):
            for j in range(kw):
                xp.multiply(gy, indexes == i * kw + j, out=blocks[:, :, :, i, :, j])
        blocks = blocks.reshape(n, c, oh * kh, ow * kw)
        if exact:
            return blocks
        gx = xp.zeros(self.input_shape, dtype=gy.dtype)  # rows/columns no window covers
        gx[:, :, :oh * kh, :ow * kw] = blocks
        return gx


def _windows(who: str, x: Variable, kernel_size: IntOrPair, stride: IntOrPair,
             pad: IntOrPair) -> _Windows:
    kernel, strides, pads, _ = conv_geometry(who, x.shape, kernel_size, stride, pad)
    return _Windows(tuple(x.shape), kernel, strides, pads)


class MaxPooling(Function):
    """y = max over each window of x padded with −∞; remembers the arg-max for backward."""

    def __init__(self, windows: _Windows) -> None:
        self.windows = windows

    def forward(self, x):
        xp = cuda.get_array_module(x)
        kind = x.dtype.kind
        lowest = -xp.inf if kind == "f" else False if kind == "b" else np.iinfo(x.dtype).min
        planes = self.windows.planes(x, pad_value=lowest)
        y = xp.maximum(planes[0], planes[1]) if len(planes) > 1 else planes[0].copy()
        for plane in planes[2:]:
            xp.maximum(y, plane, out=y)
        if enable_backprop_var.get():  # only a recorded call can be backpropagated
            # The first kernel offset holding the max: count the leading offsets that
            # do not (whole-plane operations; NumPy's argmax on a middle axis is slow).
            # int8 when the offsets fit: a quarter of the memory traffic of int32.
            kh, kw = self.windows.kernel_size
            self.indexes = xp.zeros(y.shape, dtype=xp.int8 if kh * kw <= 127 else xp.int32)
            not_yet = planes[0] != y
            for plane in planes[1:]:
                self.indexes += not_yet
                not_yet &= plane != y
        return y

    def backward(self, gy):
        return MaxPoolingScatter(self.windows, self.indexes)(gy)


class MaxPoolingScatter(Function):
    """gx = gy placed at each window's arg-max (summed where windows overlap)."""

    def __init__(self, windows: _Windows, indexes: Any) -> None:
        self.windows, self.indexes = windows, indexes

    def forward(self, gy):
        if self.windows.tiles:
            return self.windows.route(gy, self.indexes)
        return self.windows.scatter(lambda k: gy * (self.indexes == k), gy)

    def backward(self, ggx):
        return MaxPoolingGather(self.windows, self.indexes)(ggx)


class MaxPoolingGather(Function):
    """y = x read at each window's arg-max (the adjoint of :class:`MaxPoolingScatter`)."""

    def __init__(self, windows: _Windows, indexes: Any) -> None:
        self.windows, self.indexes = windows, indexes

    def forward(self, x):
        xp = cuda.get_array_module(x)
        y = xp.zeros(self.indexes.shape, dtype=x.dtype)
        for k, plane in enumerate(self.windows.planes(x)):
            y = xp.where(self.indexes == k, plane, y)
        return y

    def backward(self, gy):
        return MaxPoolingScatter(self.windows, self.indexes)(gy)


class AveragePooling(Function):
    """y = mean over each window of x padded with zeros."""

    def __init__(self, windows: _Windows) -> None:
        self.windows = windows

    def forward(self, x):
        planes = self.windows.planes(x)
        total = planes[0].astype(x.dtype if x.dtype.kind == "f" else np.float64)
        for plane in planes[1:]:
            total += plane
        return total / total.dtype.type(len(planes))

    def backward(self, gy):
        return AveragePoolingGrad(self.windows)(gy)


class AveragePoolingGrad(Function):
    """gx = each gy spread evenly over its KH×KW window (the adjoint of average pooling)."""

    def __init__(self, windows: _Windows) -> None:
        self.windows = windows

    def forward(self, gy):
        kh, kw = self.windows.kernel_size
        share = gy / gy.dtype.type(kh * kw)
        return self.windows.scatter(lambda k: share, gy)

    def backward(self, ggx):
        return AveragePooling(self.windows)(ggx)


def pooling(x: Any, kernel_size: IntOrPair, stride: IntOrPair = 1,
            pad: IntOrPair = 0) -> Variable:
    """Max pooling: y[n, c, p, q] = max of x over the KH×KW window at (p·SY, q·SX), with
    the border padded by −∞ (so padding never wins).  Needs pad < kernel_size."""
    x = as_variable(x, "pooling")
    windows = _windows("pooling", x, kernel_size, stride, pad)
    if any(p >= k for p, k in zip(windows.pad, windows.kernel_size)):
        raise ValueError(f"pooling: pad {windows.pad} must be smaller than kernel_size "
                         f"{windows.kernel_size}, or some windows would hold only padding")
    return MaxPooling(windows)(x)


pooling_simple = pooling


def average_pooling(x: Any, kernel_size: IntOrPair, stride: IntOrPair = 1,
                    pad: IntOrPair = 0) -> Variable:
    """Average pooling: y[n, c, p, q] = mean of x over the KH×KW window at (p·SY, q·SX),
    zero padding counted in the mean (as in Chainer and DeZero); non-square kernels work."""
    x = as_variable(x, "average_pooling")
    return AveragePooling(_windows("average_pooling", x, kernel_size, stride, pad))(x)
