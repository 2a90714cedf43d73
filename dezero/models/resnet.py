"""ResNet-50/101/152 (He et al.), laid out and named as Chainer's ResNetLayers."""
from __future__ import annotations

from typing import Any

import dezero.functions as F
import dezero.layers as L
from dezero import functions_conv
from dezero.core import Variable
from dezero.layers import Layer
from dezero.utils.checks import as_flag, as_size
from dezero.models.base import Model, load_pretrained

_BLOCKS = {50: (3, 4, 6, 3), 101: (3, 4, 23, 3), 152: (3, 8, 36, 3)}


class ResNet(Model):
    """ResNet with bottleneck blocks: ``conv1``, ``bn1``, ``res2`` … ``res5``, ``fc6``.

    ``n_layers`` is 50, 101 or 152.  ``conv1`` is 7×7/2 with 64 channels and a
    bias; stride-2 downsampling sits on the 1×1 convolutions (MSRA layout).
    DeZero 0.0.13 passes Chainer-style ``(in, out, k, stride, pad)`` arguments
    to its own ``Conv2d(out, k, stride, pad, nobias)``, so its ResNet cannot
    run; here every convolution has the intended shape.  ``pretrained=True``
    downloads DeZero's weights for ``n_layers`` with ``dezero.utils.get_file``.
    """

    WEIGHTS_PATH = "https://github.com/koki0702/dezero-models/releases/download/v0.1/resnet{}.npz"

    def __init__(self, n_layers: int = 152, pretrained: bool = False) -> None:
        super().__init__()
        n_layers = as_size(n_layers, "ResNet", "n_layers")
        pretrained = as_flag(pretrained, "ResNet", "pretrained")
        if n_layers not in _BLOCKS:
            raise ValueError(f"ResNet: n_layers must be 50, 101 or 152, got {n_layers!r}")
        block = _BLOCKS[n_layers]
        self.conv1 = L.Conv2d(64, kernel_size=7, stride=2, pad=3)
        self.bn1 = L.BatchNorm()
        self.res2 = BuildingBlock(block[0], 64, 64, 256, 1)
        self.res3 = BuildingBlock(block[1], 256, 128, 512, 2)
        self.res4 = BuildingBlock(block[2], 512, 256, 1024, 2)
        self.res5 = BuildingBlock(block[3], 1024, 512, 2048, 2)
        self.fc6 = L.Linear(1000)
        if pretrained:
            load_pretrained(self, ResNet.WEIGHTS_PATH.format(n_layers))

    def forward(self, x: Any) -> Variable:
        """Class scores (N, 1000) for images x (N, 3, H, W)."""
        x = F.relu(self.bn1(self.conv1(x)))
        x = functions_conv.pooling(x, kernel_size=3, stride=2)
        x = self.res5(self.res4(self.res3(self.res2(x))))
        x = F.mean(x, axis=(2, 3))  # global average pooling: (N, C, H, W) -> (N, C)
        return self.fc6(x)


class ResNet152(ResNet):
    """ResNet with 152 layers."""

    def __init__(self, pretrained: bool = False) -> None:
        super().__init__(152, pretrained)


class ResNet101(ResNet):
    """ResNet with 101 layers."""

    def __init__(self, pretrained: bool = False) -> None:
        super().__init__(101, pretrained)


class ResNet50(ResNet):
    """ResNet with 50 layers."""

    def __init__(self, pretrained: bool = False) -> None:
        super().__init__(50, pretrained)


class BuildingBlock(Layer):
    """A ResNet stage: one :class:`BottleneckA` (``a``) then ``n_layers − 1``
    :class:`BottleneckB` (``b1``, ``b2``, …)."""

    def __init__(self, n_layers: int, in_channels: int, mid_channels: int, out_channels: int,
                 stride: int, downsample_fb: bool = False) -> None:
        super().__init__()
        n_layers = as_size(n_layers, type(self).__name__, "n_layers")
        _check_counts(self, in_channels=in_channels, mid_channels=mid_channels,
                      out_channels=out_channels, stride=stride)
        self.a = BottleneckA(in_channels, mid_channels, out_channels, stride, downsample_fb)
        self._forward = ["a"]
        for i in range(1, n_layers):
            name = f"b{i}"
            setattr(self, name, BottleneckB(out_channels, mid_channels))
            self._forward.append(name)

    def forward(self, x: Any) -> Variable:
        """The blocks applied in order."""
        for name in self._forward:
            x = getattr(self, name)(x)
        return x


def _check_counts(layer: Layer, **counts: Any) -> None:
    """Check that every count is a positive integer, naming ``layer``'s class and the argument."""
    for name, value in counts.items():
        as_size(value, type(layer).__name__, name)


def _conv_bn(out_channels: int, kernel_size: int, stride: int,
             pad: int) -> tuple[L.Conv2d, L.BatchNorm]:
    # Input channels are inferred on the first call: construction allocates nothing
    # (useful before loading pretrained weights).
    return L.Conv2d(out_channels, kernel_size, stride, pad, nobias=True), L.BatchNorm()


class BottleneckA(Layer):
    """Bottleneck that changes resolution/width: 1×1 → 3×3 → 1×1 plus a 1×1 projection shortcut.

    ``downsample_fb=True`` puts the stride on the 3×3 convolution (Facebook
    ResNet) instead of the first 1×1 (MSRA ResNet).
    """

    def __init__(self, in_channels: int, mid_channels: int, out_channels: int,
                 stride: int = 2, downsample_fb: bool = False) -> None:
        super().__init__()
        _check_counts(self, in_channels=in_channels, mid_channels=mid_channels,
                      out_channels=out_channels, stride=stride)
        downsample_fb = as_flag(downsample_fb, type(self).__name__, "downsample_fb")
        stride_1x1, stride_3x3 = (1, stride) if downsample_fb else (stride, 1)
        self.conv1, self.bn1 = _conv_bn(mid_channels, 1, stride_1x1, 0)
        self.conv2, self.bn2 = _conv_bn(mid_channels, 3, stride_3x3, 1)
        self.conv3, self.bn3 = _conv_bn(out_channels, 1, 1, 0)
        self.conv4, self.bn4 = _conv_bn(out_channels, 1, stride, 0)

    def forward(self, x: Any) -> Variable:
        """relu(residual branch + projected shortcut)."""
        h1 = F.relu(self.bn1(self.conv1(x)))
        h1 = F.relu(self.bn2(self.conv2(h1)))
        h1 = self.bn3(self.conv3(h1))
        h2 = self.bn4(self.conv4(x))
        return F.relu(h1 + h2)


class BottleneckB(Layer):
    """Bottleneck that keeps resolution and width: 1×1 → 3×3 → 1×1 plus the identity."""

    def __init__(self, in_channels: int, mid_channels: int) -> None:
        super().__init__()
        _check_counts(self, in_channels=in_channels, mid_channels=mid_channels)
        self.conv1, self.bn1 = _conv_bn(mid_channels, 1, 1, 0)
        self.conv2, self.bn2 = _conv_bn(mid_channels, 3, 1, 1)
        self.conv3, self.bn3 = _conv_bn(in_channels, 1, 1, 0)

    def forward(self, x: Any) -> Variable:
        """relu(residual branch + x)."""
        h = F.relu(self.bn1(self.conv1(x)))
        h = F.relu(self.bn2(self.conv2(h)))
        h = self.bn3(self.conv3(h))
        return F.relu(h + x)
