"""SqueezeNet 1.1 (Iandola et al.): Fire modules, no fully connected layer."""
from __future__ import annotations

from typing import Any

import dezero.functions as F
import dezero.layers as L
from dezero import cuda, functions_conv
from dezero.core import Function, Variable
from dezero.layers import Layer
from dezero.utils.checks import as_flag, as_size
from dezero.models.base import Model


class _ConcatChannels(Function):
    """Concatenation along axis 1; the gradient is split back into the pieces."""

    def forward(self, *xs):
        return cuda.get_array_module(xs[0]).concatenate(xs, axis=1)

    def backward(self, gy):
        grads, start = [], 0
        for x in self.inputs:
            stop = start + x.shape[1]
            grads.append(gy[:, start:stop])
            start = stop
        return tuple(grads)


class Fire(Layer):
    """Fire module: 1×1 ``squeeze1x1`` then ``expand1x1`` and 3×3 ``expand3x3``, concatenated."""

    def __init__(self, squeeze_channels: int, expand1x1_channels: int,
                 expand3x3_channels: int) -> None:
        super().__init__()
        for name, value in (("squeeze_channels", squeeze_channels),
                            ("expand1x1_channels", expand1x1_channels),
                            ("expand3x3_channels", expand3x3_channels)):
            as_size(value, type(self).__name__, name)
        self.squeeze1x1 = L.Conv2d(squeeze_channels, kernel_size=1)
        self.expand1x1 = L.Conv2d(expand1x1_channels, kernel_size=1)
        self.expand3x3 = L.Conv2d(expand3x3_channels, kernel_size=3, pad=1)

    def forward(self, x: Any) -> Variable:
        """(N, C, H, W) → (N, expand1x1 + expand3x3 channels, H, W)."""
        s = F.relu(self.squeeze1x1(x))
        return _ConcatChannels()(F.relu(self.expand1x1(s)), F.relu(self.expand3x3(s)))


class SqueezeNet(Model):
    """SqueezeNet 1.1: ``conv1``, Fire modules ``fire2`` … ``fire9``, 1×1 ``conv10``.

    DeZero 0.0.13 declares this class with an empty body.  There are no
    published DeZero weights for it: ``pretrained=True`` raises; train it, or
    load your own file with :meth:`load_weights`.
    """

    def __init__(self, pretrained: bool = False, n_classes: int = 1000) -> None:
        super().__init__()
        n_classes = as_size(n_classes, "SqueezeNet", "n_classes")
        if as_flag(pretrained, "SqueezeNet", "pretrained"):
            raise ValueError("SqueezeNet: no pretrained DeZero weights exist; construct it with "
                             "pretrained=False and train it or call load_weights(path)")
        self.conv1 = L.Conv2d(64, kernel_size=3, stride=2)
        self.fire2 = Fire(16, 64, 64)
        self.fire3 = Fire(16, 64, 64)
        self.fire4 = Fire(32, 128, 128)
        self.fire5 = Fire(32, 128, 128)
        self.fire6 = Fire(48, 192, 192)
        self.fire7 = Fire(48, 192, 192)
        self.fire8 = Fire(64, 256, 256)
        self.fire9 = Fire(64, 256, 256)
        self.conv10 = L.Conv2d(n_classes, kernel_size=1)

    def forward(self, x: Any) -> Variable:
        """Class scores (N, n_classes) for images x (N, 3, H, W), H and W at least 17."""
        x = functions_conv.pooling(F.relu(self.conv1(x)), 3, 2)
        x = functions_conv.pooling(self.fire3(self.fire2(x)), 3, 2)
        x = functions_conv.pooling(self.fire5(self.fire4(x)), 3, 2)
        x = self.fire9(self.fire8(self.fire7(self.fire6(x))))
        x = F.relu(self.conv10(F.dropout(x, 0.5)))
        return F.mean(x, axis=(2, 3))  # global average pooling
