"""Transforms applied to dataset items: PIL-image ones and NumPy-array ones, chained by Compose.

Images as arrays are (C, H, W), as in DeZero. The PIL-based transforms import Pillow only when
called, so ``import dezero`` works without it.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from dezero.utils.checks import as_pair, as_size, check_dtype, check_real, describe


def _pil_image_module():
    """Pillow's ``Image`` module, with a clear error when Pillow is missing."""
    try:
        from PIL import Image  # optional dependency, needed only by the image transforms
    except ImportError:
        raise ImportError("dezero.transforms: this transform needs Pillow; "
                          "install it with `pip install Pillow`") from None
    return Image


def _is_pil_image(img: Any) -> bool:
    """Whether ``img`` is a PIL image (False when Pillow is not installed)."""
    try:
        from PIL import Image
    except ImportError:
        return False
    return isinstance(img, Image.Image)


def _check_image(img: Any, who: str) -> None:
    """Refuse what is not a PIL image, naming ``who`` (instead of a bare AttributeError)."""
    if not _is_pil_image(img):
        raise TypeError(f"{who}: expected a PIL image, got {type(img).__name__}; image "
                        "transforms come before ToArray() in a Compose")


def _check_array(array: Any, who: str) -> None:
    """Refuse what is not an array (or NumPy scalar), naming ``who``."""
    if not (hasattr(array, "shape") and hasattr(array, "astype")):
        raise TypeError(f"{who}: expected an array, got {type(array).__name__}; convert images "
                        "with ToArray() and lists with np.asarray(...) first")


def _size_pair(size: Any, who: str) -> tuple[int, int]:
    """A positive int ``n`` as ``(n, n)``, or a pair of positive ints, checked."""
    size = as_pair(size, who, "size", minimum=1)
    return (size, size) if isinstance(size, int) else size


class Compose:
    """Apply several transforms in order: ``Compose([f, g])(x) == g(f(x))``."""

    def __init__(self, transforms: Sequence[Callable[[Any], Any]] | None = None):
        if transforms is None:
            transforms = []
        elif isinstance(transforms, (str, bytes)) or not hasattr(transforms, "__iter__"):
            hint = "; for one transform write Compose([f])" if callable(transforms) else ""
            raise TypeError(f"Compose: transforms must be a list of callables, got "
                            f"{describe(transforms)}{hint}")
        transforms = list(transforms)
        for i, transform in enumerate(transforms):
            if not callable(transform):
                raise TypeError(f"Compose: transforms[{i}] must be callable, got "
                                f"{describe(transform)}")
        self.transforms = transforms

    def __call__(self, img: Any) -> Any:
        for transform in self.transforms:
            img = transform(img)
        return img

    @property
    def batchable(self) -> bool:
        """True when every transform can be applied to a whole batch at once."""
        return all(callable(getattr(t, "batch", None)) and getattr(t, "batchable", True)
                   for t in self.transforms)

    def batch(self, arrays: np.ndarray) -> np.ndarray:
        """The transforms applied to a stacked batch (items along axis 0): the same values as
        applying them item by item and stacking, in one NumPy call per transform.  Only for a
        Compose that is :attr:`batchable`."""
        for transform in self.transforms:
            arrays = transform.batch(arrays)
        return arrays


# ----- transforms of PIL images -----------------------------------------------------------------

class Convert:
    """Convert a PIL image to another mode ('RGB', 'L', ...); 'BGR' swaps the red and blue bands."""

    MODES = ("1", "L", "P", "RGB", "RGBA", "RGBX", "RGBa", "CMYK", "YCbCr", "LAB", "HSV", "I",
             "F", "LA", "La", "PA", "I;16", "I;16L", "I;16B", "I;16N", "BGR")
    """The mode names accepted: Pillow's, and 'BGR'."""

    def __init__(self, mode: str = "RGB"):
        if not isinstance(mode, str):
            raise TypeError(f"Convert: mode must be a PIL mode name such as 'RGB', 'L' or "
                            f"'BGR', got {describe(mode)}")
        if mode not in self.MODES:
            raise ValueError(f"Convert: unknown mode {mode!r}; pass one of "
                             f"{', '.join(self.MODES)}")
        self.mode = mode

    def __call__(self, img: Any) -> Any:
        _check_image(img, "Convert")
        if self.mode == "BGR":
            Image = _pil_image_module()
            red, green, blue = img.convert("RGB").split()
            return Image.merge("RGB", (blue, green, red))
        try:
            return img.convert(self.mode)
        except ValueError as error:
            raise ValueError(f"Convert: PIL cannot convert a {img.mode!r} image to "
                             f"{self.mode!r} ({error})") from None


class Resize:
    """Resize a PIL image to ``size`` (int for a square, or (width, height)).

    ``mode`` is a PIL resampling filter (``Image.Resampling.*``, 0 to 5); ``None``
    means bilinear (DeZero's default).
    """

    def __init__(self, size: int | tuple[int, int], mode: Any = None):
        self.size = _size_pair(size, "Resize")
        if mode is not None:
            filter_id = as_size(mode, "Resize", "mode", minimum=0)
            if filter_id > 5:
                raise ValueError(f"Resize: mode must be a PIL resampling filter (0 to 5, e.g. "
                                 f"Image.Resampling.BILINEAR), got {mode!r}")
        self.mode = mode

    def __call__(self, img: Any) -> Any:
        _check_image(img, "Resize")
        mode = self.mode if self.mode is not None else _pil_image_module().BILINEAR
        return img.resize(self.size, mode)


class CenterCrop:
    """Crop the centre ``size`` (int, or (width, height)) of a PIL image.

    A crop larger than the image is padded with black, as PIL's ``crop`` does.
    """

    def __init__(self, size: int | tuple[int, int]):
        self.size = _size_pair(size, "CenterCrop")

    def __call__(self, img: Any) -> Any:
        _check_image(img, "CenterCrop")
        width, height = img.size
        out_w, out_h = self.size
        left, top = (width - out_w) // 2, (height - out_h) // 2
        return img.crop((left, top, left + out_w, top + out_h))


class ToArray:
    """Convert a PIL image to a (C, H, W) array of ``dtype``; arrays pass through unchanged.

    A one-band image (mode 'L') becomes (1, H, W); DeZero's version failed on it.
    """

    def __init__(self, dtype: Any = np.float32):
        self.dtype = check_dtype(dtype, "ToArray", "dtype", kinds="fiub")

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
        _check_array(array, "ToPIL")
        Image = _pil_image_module()
        if array.ndim != 3:
            raise ValueError(f"ToPIL: expected a (C, H, W) array, got shape {array.shape}")
        if array.shape[0] not in (1, 3, 4):
            raise ValueError(f"ToPIL: PIL draws arrays with 1, 3 or 4 channels, got shape "
                             f"{array.shape} (channels first)")
        data = array.transpose(1, 2, 0)
        if data.shape[2] == 1:
            data = data[:, :, 0]
        try:
            return Image.fromarray(np.ascontiguousarray(data))
        except TypeError:
            raise TypeError(f"ToPIL: PIL cannot draw a {array.dtype} array of shape "
                            f"{array.shape}; colour images must be uint8 (apply "
                            "AsType(np.uint8) first)") from None


class RandomHorizontalFlip:
    """Mirror left-right with probability ``p`` (a PIL image, or an array along its last axis).

    Draws from NumPy's global generator, so ``np.random.seed`` makes it repeatable. (DeZero's
    class was an empty placeholder.)
    """

    def __init__(self, p: float = 0.5):
        self.p = check_real(p, "RandomHorizontalFlip", "p", minimum=0, maximum=1)

    def __call__(self, img: Any) -> Any:
        if not (isinstance(img, np.ndarray) or _is_pil_image(img)):
            raise TypeError(f"RandomHorizontalFlip: expected a PIL image or an array, got "
                            f"{type(img).__name__}")
        if np.random.rand() >= self.p:
            return img
        if isinstance(img, np.ndarray):
            return img[..., ::-1].copy()
        Image = _pil_image_module()
        flip = getattr(Image, "Transpose", Image).FLIP_LEFT_RIGHT
        return img.transpose(flip)


# ----- transforms of NumPy arrays ---------------------------------------------------------------

def _check_statistic(stat: Any, name: str) -> Any:
    """A real scalar, or a non-empty 1-d sequence of reals (one per channel); std must be > 0."""
    try:
        values = None if isinstance(stat, (str, bytes)) else np.asarray(stat)
    except (TypeError, ValueError):  # ragged nested lists
        values = None
    if values is None or stat is None or values.dtype.kind not in "iuf":
        raise TypeError(f"Normalize: {name} must be a real number or a sequence of them (one per "
                        f"channel), got {describe(stat)}")
    if values.ndim > 1 or values.size == 0:
        raise ValueError(f"Normalize: {name} must be a scalar or a non-empty 1-d sequence (one "
                         f"value per channel), got {stat!r}")
    if not np.all(np.isfinite(values)):
        raise ValueError(f"Normalize: {name} must be finite, got {stat!r}")
    if name == "std" and np.any(values <= 0):
        raise ValueError(f"Normalize: std must be positive (it divides), got {stat!r}")
    return stat


def _per_channel(stat: Any, array: np.ndarray, name: str) -> Any:
    """A scalar stays; a sequence becomes an array broadcasting along axis 0 (channels)."""
    values = np.asarray(stat)
    if values.ndim == 0:
        return stat
    if len(values) != 1 and (array.ndim == 0 or len(values) != len(array)):
        raise ValueError(f"Normalize: {name} must be a scalar, one value, or one value per channel "
                         f"({len(array) if array.ndim else 0} for an array of shape "
                         f"{array.shape}), got {stat!r}")
    # Keep float arrays in their precision; integer arrays get float statistics.
    dtype = array.dtype if np.issubdtype(array.dtype, np.floating) else np.float64
    return values.astype(dtype).reshape((-1,) + (1,) * (array.ndim - 1))


class Normalize:
    """``(x - mean) / std``; mean and std are scalars or one value per channel (axis 0).

    Both are checked when the transform is made: real and finite, std positive.
    """

    def __init__(self, mean: Any = 0, std: Any = 1):
        self.mean = _check_statistic(mean, "mean")
        self.std = _check_statistic(std, "std")

    def __call__(self, array: np.ndarray) -> np.ndarray:
        _check_array(array, "Normalize")
        mean = _per_channel(self.mean, array, "mean")
        std = _per_channel(self.std, array, "std")
        return (array - mean) / std

    def batch(self, arrays: np.ndarray) -> np.ndarray:
        """:meth:`__call__` on every item of a stacked batch (items along axis 0) at once."""
        _check_array(arrays, "Normalize")
        if len(arrays) == 0:
            return np.stack([self(a) for a in arrays]) if arrays.ndim > 1 else arrays
        item = arrays[0]  # the statistics are shaped for one item; they broadcast over axis 0
        return (arrays - _per_channel(self.mean, item, "mean")) / _per_channel(self.std, item,
                                                                            "std")


class Flatten:
    """Flatten an array to one dimension (a copy)."""

    def __call__(self, array: np.ndarray) -> np.ndarray:
        _check_array(array, "Flatten")
        return array.flatten()

    def batch(self, arrays: np.ndarray) -> np.ndarray:
        """Every item of a stacked batch flattened: shape (N, item size)."""
        _check_array(arrays, "Flatten")
        return arrays.reshape(len(arrays), -1).copy()


class AsType:
    """Cast an array to ``dtype`` (a boolean, integer or floating-point dtype)."""

    _kinds = "biuf"

    def __init__(self, dtype: Any = np.float32):
        self.dtype = check_dtype(dtype, type(self).__name__, "dtype", kinds=self._kinds)

    def __call__(self, array: np.ndarray) -> np.ndarray:
        _check_array(array, type(self).__name__)
        return array.astype(self.dtype)

    def batch(self, arrays: np.ndarray) -> np.ndarray:
        """A stacked batch cast at once (the cast is elementwise)."""
        return self(arrays)


class ToFloat(AsType):
    """Cast an array to a float type (float32 by default)."""

    _kinds = "f"

    def __init__(self, dtype: Any = np.float32):
        super().__init__(dtype)


class ToInt(AsType):
    """Cast an array to an integer type (Python ``int``, i.e. int64 on most systems, by default)."""

    _kinds = "iu"

    def __init__(self, dtype: Any = int):
        super().__init__(dtype)
