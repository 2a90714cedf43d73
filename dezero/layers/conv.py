"""2-d convolution and transposed-convolution layers (NCHW layout)."""
from __future__ import annotations

from typing import Any

import numpy as np

from dezero import cuda
from dezero.core import Parameter, Variable
from dezero.layers.base import Layer, scaled_randn
from dezero.utils.arrays import pair


class _ConvBase(Layer):
    """Shared set-up of Conv2d/Deconv2d: lazily sized kernel W, optional bias b."""

    def __init__(self, out_channels: int, kernel_size: Any, stride: Any = 1, pad: Any = 0,
                 nobias: bool = False, dtype: Any = np.float32,
                 in_channels: int | None = None) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.pad = pad
        self.dtype = dtype
        self.W = Parameter(None, name="W")
        if in_channels is not None:
            self._init_W()
        self.b = None if nobias else Parameter(np.zeros(out_channels, dtype=dtype), name="b")

    def _kernel_shape(self, in_channels: int | None) -> tuple:
        raise NotImplementedError

    def _init_W(self, xp: Any = np) -> None:
        kh, kw = pair(self.kernel_size)
        scale = np.sqrt(1 / (self.in_channels * kh * kw))
        self.W.data = scaled_randn(xp, self._kernel_shape(self.in_channels), scale, self.dtype)

    def _weight_spec(self, name: str) -> tuple[tuple | None, Any]:
        if name == "W":
            return self._kernel_shape(self.in_channels), self.dtype
        return super()._weight_spec(name)

    def _prepare(self, x: Any) -> None:
        if x.ndim != 4:
            raise ValueError(f"{type(self).__name__}: input must be 4-d (N, C, H, W), "
                             f"got shape {tuple(x.shape)}")
        if self.W.data is None:
            self.in_channels = x.shape[1]
            self._init_W(cuda.get_array_module(x))


class Conv2d(_ConvBase):
    """2-d convolution: W of shape (out_channels, in_channels, KH, KW), bias (out_channels,).

    ``in_channels=None`` takes it from the first input.  W ~ N(0, 1) ·
    sqrt(1 / (in_channels·KH·KW)), in ``dtype``.
    """

    def _kernel_shape(self, in_channels: int | None) -> tuple:
        return (self.out_channels, in_channels) + pair(self.kernel_size)

    def forward(self, x: Any) -> Variable:
        """y = conv2d(x, W, b, stride, pad) for x of shape (N, C, H, W)."""
        from dezero.functions_conv import conv2d
        self._prepare(x)
        return conv2d(x, self.W, self.b, self.stride, self.pad)


class Deconv2d(_ConvBase):
    """2-d transposed convolution: W of shape (in_channels, out_channels, KH, KW).

    Arguments as :class:`Conv2d`; the output size is
    ``stride · (size − 1) + kernel − 2 · pad`` along each spatial axis.
    """

    def _kernel_shape(self, in_channels: int | None) -> tuple:
        return (in_channels, self.out_channels) + pair(self.kernel_size)

    def forward(self, x: Any) -> Variable:
        """y = deconv2d(x, W, b, stride, pad) for x of shape (N, C, H, W)."""
        from dezero.functions_conv import deconv2d
        self._prepare(x)
        return deconv2d(x, self.W, self.b, self.stride, self.pad)
