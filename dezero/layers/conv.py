"""2-d convolution and transposed-convolution layers (NCHW layout)."""
from __future__ import annotations

from typing import Any

import numpy as np

from dezero import cuda
from dezero.core import Parameter, Variable
from dezero.utils.checks import as_flag, as_int_or_pair, as_optional_size, as_size, check_dtype
from dezero.layers.base import Layer, check_weight, input_shape, scaled_randn
from dezero.utils.arrays import pair


class _ConvBase(Layer):
    """Shared set-up of Conv2d/Deconv2d: lazily sized kernel W, optional bias b.

    Channel counts, kernel sizes and strides are positive integers, pads
    non-negative ones (an int, or a pair of ints for (height, width)); they are
    checked here, with errors naming the layer, the argument and the value.
    """

    def __init__(self, out_channels: int, kernel_size: Any, stride: Any = 1, pad: Any = 0,
                 nobias: bool = False, dtype: Any = np.float32,
                 in_channels: int | None = None) -> None:
        super().__init__()
        who = type(self).__name__
        out_channels = as_size(out_channels, who, "out_channels")
        kernel_size = as_int_or_pair(kernel_size, who, "kernel_size", minimum=1)
        stride = as_int_or_pair(stride, who, "stride", minimum=1)
        pad = as_int_or_pair(pad, who, "pad", minimum=0)
        nobias = as_flag(nobias, who, "nobias")
        dtype = check_dtype(dtype, who, "dtype")
        in_channels = as_optional_size(in_channels, who, "in_channels")
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

    _in_axis: int

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
        who = type(self).__name__
        shape = input_shape(x, who)
        check_weight(self, "W")
        if len(shape) != 4:
            raise ValueError(f"{who}: input must be 4-d (N, C, H, W), got shape {shape}")
        if self.W.data is None:
            if shape[1] == 0:
                raise ValueError(f"{who}: the input has 0 channels (shape {shape}); W cannot "
                                 "be sized from it")
            self.in_channels = shape[1]
            self._init_W(cuda.get_array_module(x))
        else:
            expected = self.W.shape[self._in_axis]
            if shape[1] != expected:
                raise ValueError(f"{who}: the input has {shape[1]} channels (axis 1 of shape "
                                 f"{shape}), but the layer expects in_channels={expected} "
                                 f"(W has shape {self.W.shape})")


class Conv2d(_ConvBase):
    """2-d convolution: W of shape (out_channels, in_channels, KH, KW), bias (out_channels,).

    ``in_channels=None`` takes it from the first input.  W ~ N(0, 1) ·
    sqrt(1 / (in_channels·KH·KW)), in ``dtype``.
    """

    _in_axis = 1  # the axis of W that counts input channels

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

    _in_axis = 0  # the axis of W that counts input channels

    def _kernel_shape(self, in_channels: int | None) -> tuple:
        return (in_channels, self.out_channels) + pair(self.kernel_size)

    def forward(self, x: Any) -> Variable:
        """y = deconv2d(x, W, b, stride, pad) for x of shape (N, C, H, W)."""
        from dezero.functions_conv import deconv2d
        self._prepare(x)
        return deconv2d(x, self.W, self.b, self.stride, self.pad)
