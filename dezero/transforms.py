"""Transforms applied to dataset items: PIL-image ones and NumPy-array ones, chained by Compose.

Images as arrays are (C, H, W), as in DeZero. The PIL-based transforms import Pillow only when
called, so ``import dezero`` works without it.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from dezero.utils.arrays import pair


def _pil_image_module():
    """Pillow's ``Image`` module, with a clear error when Pillow is missing."""
    try:
        from PIL import Image  # optional dependency, needed only by the image transforms
    except ImportError:
        raise ImportError("dezero.transforms: this transform needs Pillow; "
                          "install it with `pip install Pillow`") from None
    return Image


class Compose:
    """Apply several transforms in order: ``Compose([f, g])(x) == g(f(x))``."""

    def __init__(self, transforms: Sequence[Callable[[Any], Any]] | None = None):
        self.transforms = list(transforms) if transforms is not None else []

    def __call__(self, img: Any) -> Any:
        for transform in self.transforms:
            img = transform(img)
        return img


# ----- transforms of PIL images -----------------------------------------------------------------

class Convert:
    """Convert a PIL image to another mode ('RGB', 'L', ...); 'BGR' swaps the red and blue bands."""

    def __init__(self, mode: str = "RGB"):
        self.mode = mode

    def __call__(self, img: Any) -> Any:
        if self.mode == "BGR":
            Image = _pil_image_module()
            red, green, blue = img.convert("RGB").split()
            return Image.merge("RGB", (blue, green, red))
        return img.convert(self.mode)


class Resize:
    """Resize a PIL image to ``size`` (int for a square, or (width, height)).

    ``mode`` is a PIL resampling filter; ``None`` means bilinear (DeZero's default).
    """

    def __init__(self, size: int | tuple[int, int], mode: Any = None):
        self.size = pair(size)
        self.mode = mode

    def __call__(self, img: Any) -> Any:
        mode = self.mode if self.mode is not None else _pil_image_module().BILINEAR
        return img.resize(self.size, mode)


class CenterCrop:
    """Crop the centre ``size`` (int, or (width, height)) of a PIL image.

    A crop larger than the image is padded with black, as PIL's ``crop`` does.
    """

    def __init__(self, size: int | tuple[int, int]):
        self.size = pair(size)

    def __call__(self, img: Any) -> Any:
        width, height = img.size
        out_w, out_h = self.size
        left, top = (width - out_w) // 2, (height - out_h) // 2
        return img.crop((left, top, left + out_w, top + out_h))


class ToArray:
    """Convert a PIL image to a (C, H, W) array of ``dtype``; arrays pass through unchanged.

    A one-band image (mode 'L') becomes (1, H, W); DeZero's version failed on it.
    """

    def __init__(self, dtype: Any = np.float32):
        self.dtype = dtype

    def __call__(self, img: Any) -> np.ndarray:
        if isinstance(img, np.ndarray):
            return img
        Image = _pil_image_module()
        if not isinstance(img, Image.Image):
            raise TypeError(f"ToArray: expected a PIL image or an ndarray, "
                            f"got {type(img).__name__}")
        array = np.asarray(img)
        array = array[np.newaxis] if array.ndim == 2 else array.transpose(2, 0, 1)
        return array.astype(self.dtype)


class ToPIL:
    """Convert a (C, H, W) array (C = 1, 3 or 4; uint8 for colour) to a PIL image."""

    def __call__(self, array: np.ndarray) -> Any:
        Image = _pil_image_module()
        if array.ndim != 3:
            raise ValueError(f"ToPIL: expected a (C, H, W) array, got shape {array.shape}")
        data = array.transpose(1, 2, 0)
        if data.shape[2] == 1:
            data = data[:, :, 0]
        return Image.fromarray(np.ascontiguousarray(data))


class RandomHorizontalFlip:
    """Mirror left-right with probability ``p`` (a PIL image, or an array along its last axis).

    Draws from NumPy's global generator, so ``np.random.seed`` makes it repeatable. (DeZero's
    class was an empty placeholder.)
    """

    def __init__(self, p: float = 0.5):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"RandomHorizontalFlip: p must be in [0, 1], got {p}")
        self.p = p

    def __call__(self, img: Any) -> Any:
        if np.random.rand() >= self.p:
            return img
        if isinstance(img, np.ndarray):
            return img[..., ::-1].copy()
        Image = _pil_image_module()
        flip = getattr(Image, "Transpose", Image).FLIP_LEFT_RIGHT
        return img.transpose(flip)


# ----- transforms of NumPy arrays ---------------------------------------------------------------

def _per_channel(stat: Any, array: np.ndarray, name: str) -> Any:
    """A scalar stays; a sequence becomes an array broadcasting along axis 0 (channels)."""
    if np.isscalar(stat):
        return stat
    values = np.asarray(stat)
    if values.ndim != 1 or (len(values) != 1 and len(values) != len(array)):
        raise ValueError(f"Normalize: {name} must be a scalar, one value, or one value per channel "
                         f"({len(array)} for an array of shape {array.shape}), got {stat!r}")
    # Keep float arrays in their precision; integer arrays get float statistics.
    dtype = array.dtype if np.issubdtype(array.dtype, np.floating) else np.float64
    return values.astype(dtype).reshape((-1,) + (1,) * (array.ndim - 1))


class Normalize:
    """``(x - mean) / std``; mean and std are scalars or one value per channel (axis 0)."""

    def __init__(self, mean: Any = 0, std: Any = 1):
        self.mean = mean
        self.std = std

    def __call__(self, array: np.ndarray) -> np.ndarray:
        mean = _per_channel(self.mean, array, "mean")
        std = _per_channel(self.std, array, "std")
        return (array - mean) / std


class Flatten:
    """Flatten an array to one dimension (a copy)."""

    def __call__(self, array: np.ndarray) -> np.ndarray:
        return array.flatten()


class AsType:
    """Cast an array to ``dtype``."""

    def __init__(self, dtype: Any = np.float32):
        self.dtype = dtype

    def __call__(self, array: np.ndarray) -> np.ndarray:
        return array.astype(self.dtype)


class ToFloat(AsType):
    """Cast an array to a float type (float32 by default)."""

    def __init__(self, dtype: Any = np.float32):
        super().__init__(dtype)


class ToInt(AsType):
    """Cast an array to an integer type (Python ``int``, i.e. int64 on most systems, by default)."""

    def __init__(self, dtype: Any = int):
        super().__init__(dtype)
