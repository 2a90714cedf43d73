"""VGG-16 (Simonyan & Zisserman), laid out and named as Chainer's VGG16Layers."""
from __future__ import annotations

from typing import Any

import numpy as np

import dezero.functions as F
import dezero.layers as L
from dezero import functions_conv
from dezero.core import Variable
from dezero.utils.checks import as_flag, as_pair, check_dtype
from dezero.models.base import Model, load_pretrained

# (stage, number of 3x3 convolutions, channels)
_STAGES = ((1, 2, 64), (2, 2, 128), (3, 3, 256), (4, 3, 512), (5, 3, 512))


class VGG16(Model):
    """VGG-16: 13 3×3 convolutions ``conv1_1`` … ``conv5_3`` and ``fc6``, ``fc7``, ``fc8``.

    Conv W is (out, in, 3, 3); Linear W is (in, out).  Input sizes are inferred
    on the first call (224×224 images give ``fc6`` 512·7·7 inputs, as the
    pretrained weights expect).  ``pretrained=True`` downloads DeZero's
    ImageNet weights (about 530 MB) with ``dezero.utils.get_file``.
    """

    WEIGHTS_PATH = "https://github.com/koki0702/dezero-models/releases/download/v0.1/vgg16.npz"

    def __init__(self, pretrained: bool = False) -> None:
        super().__init__()
        pretrained = as_flag(pretrained, "VGG16", "pretrained")
        self._convs = []
        for stage, count, channels in _STAGES:
            for i in range(1, count + 1):
                name = f"conv{stage}_{i}"
                setattr(self, name, L.Conv2d(channels, kernel_size=3, stride=1, pad=1))
                self._convs.append((name, i == count))
        self.fc6 = L.Linear(4096)
        self.fc7 = L.Linear(4096)
        self.fc8 = L.Linear(1000)
        if pretrained:
            load_pretrained(self, VGG16.WEIGHTS_PATH)

    def forward(self, x: Any) -> Variable:
        """Class scores (N, 1000) for images x (N, 3, H, W); dropout after fc6 and fc7."""
        for name, last_of_stage in self._convs:
            x = F.relu(getattr(self, name)(x))
            if last_of_stage:
                x = functions_conv.pooling(x, 2, 2)
        x = F.reshape(x, (x.shape[0], -1))
        x = F.dropout(F.relu(self.fc6(x)))
        x = F.dropout(F.relu(self.fc7(x)))
        return self.fc8(x)

    @staticmethod
    def preprocess(image: Any, size: tuple[int, int] | None = (224, 224),
                   dtype: Any = np.float32) -> np.ndarray:
        """A PIL image as the network's input: RGB→BGR, mean-subtracted, (3, H, W).

        ``size`` is (width, height) or None/() to keep the image's size; ``dtype``
        is a floating-point dtype.
        """
        who = "VGG16.preprocess"
        dtype = check_dtype(dtype, who, "dtype")
        if size:
            size = as_pair(size, who, "size", minimum=1)
            size = (size, size) if isinstance(size, int) else size
        if not (hasattr(image, "convert") and hasattr(image, "resize")):
            raise TypeError(f"{who}: image must be a PIL image (for an array, convert it with "
                            f"PIL.Image.fromarray), got {type(image).__name__}")
        image = image.convert("RGB")
        if size:
            image = image.resize(size)
        array = np.asarray(image, dtype=dtype)[:, :, ::-1]
        array = array - np.array([103.939, 116.779, 123.68], dtype=dtype)
        return array.transpose((2, 0, 1))
