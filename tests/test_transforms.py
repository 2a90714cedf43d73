"""Transforms on arrays and PIL images; Pillow stays unimported until a PIL transform runs."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from optional import require

from dezero import transforms as T


def test_compose_applies_in_order_and_empty_is_identity():
    assert T.Compose([lambda x: x + 1, lambda x: x * 10])(1) == 20
    assert T.Compose()(5) == 5 and T.Compose([])(5) == 5


def test_normalize_scalar_keeps_float32():
    x = np.array([0.0, 127.5, 255.0], dtype=np.float32)
    y = T.Normalize(0.0, 255.0)(x)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(T.Normalize()(x), x)


def test_normalize_per_channel():
    x = np.stack([np.full((2, 2), v, np.float32) for v in (1.0, 2.0, 3.0)])
    y = T.Normalize(mean=[1.0, 2.0, 3.0], std=[1.0, 2.0, 4.0])(x + [[[1.0]], [[2.0]], [[4.0]]])
    np.testing.assert_allclose(y, np.ones((3, 2, 2)))
    one = T.Normalize(mean=[1.0], std=[2.0])(x)
    np.testing.assert_allclose(one[:, 0, 0], [0.0, 0.5, 1.0])
    with pytest.raises(ValueError, match="one value per channel"):
        T.Normalize(mean=[0.0, 0.0])(x)


def test_normalize_integer_input_does_not_truncate_the_statistics():
    x = np.full((2, 1, 1), 10, np.uint8)
    np.testing.assert_allclose(T.Normalize(mean=[0.5, 0.5], std=[2.0, 4.0])(x)[:, 0, 0],
                               [4.75, 2.375])


def test_array_transforms():
    x = np.arange(6).reshape(1, 2, 3)
    np.testing.assert_array_equal(T.Flatten()(x), np.arange(6))
    assert T.AsType()(x).dtype == np.float32
    assert T.AsType(np.float16)(x).dtype == np.float16
    assert T.ToFloat()(x).dtype == np.float32
    assert T.ToInt()(x.astype(np.float32)).dtype == np.dtype(int)


def test_random_horizontal_flip_on_arrays():
    x = np.arange(12).reshape(1, 3, 4)
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=1.0)(x), x[:, :, ::-1])
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=0.0)(x), x)
    np.random.seed(3)
    first = [T.RandomHorizontalFlip()(x)[0, 0, 0] for _ in range(20)]
    np.random.seed(3)
    second = [T.RandomHorizontalFlip()(x)[0, 0, 0] for _ in range(20)]
    assert first == second and set(first) == {0, 3}
    with pytest.raises(ValueError, match="p must be"):
        T.RandomHorizontalFlip(p=1.5)


# ----- PIL-based transforms ----------------------------------------------------------------

@pytest.fixture
def rgb():
    Image = require("PIL.Image")
    pixels = (np.arange(4 * 6 * 3).reshape(4, 6, 3) * 3 % 256).astype(np.uint8)  # H=4, W=6
    return Image.fromarray(pixels), pixels


def test_to_array_and_back(rgb):
    img, pixels = rgb
    chw = T.ToArray()(img)
    assert chw.shape == (3, 4, 6) and chw.dtype == np.float32
    np.testing.assert_array_equal(chw, pixels.transpose(2, 0, 1))
    assert T.ToArray()(chw) is chw
    back = T.ToPIL()(chw.astype(np.uint8))
    np.testing.assert_array_equal(np.asarray(back), pixels)
    with pytest.raises(TypeError, match="PIL image or an ndarray"):
        T.ToArray()([1, 2, 3])


def test_grey_images_have_one_channel(rgb):
    img, _ = rgb
    grey = T.Convert("L")(img)
    arr = T.ToArray(np.uint8)(grey)
    assert arr.shape == (1, 4, 6)
    assert T.ToPIL()(arr).mode == "L"


def test_convert_bgr_swaps_red_and_blue(rgb):
    img, pixels = rgb
    np.testing.assert_array_equal(np.asarray(T.Convert("BGR")(img)), pixels[:, :, ::-1])


def test_resize_and_center_crop(rgb):
    img, pixels = rgb
    assert T.Resize((3, 2))(img).size == (3, 2)
    assert T.Resize(5)(img).size == (5, 5)
    crop = T.CenterCrop((2, 2))(img)  # width 6 -> columns 2..3, height 4 -> rows 1..2
    np.testing.assert_array_equal(np.asarray(crop), pixels[1:3, 2:4])
    odd = T.CenterCrop((3, 3))(img)  # the extra pixel goes to the right / bottom
    np.testing.assert_array_equal(np.asarray(odd), pixels[0:3, 1:4])


def test_random_horizontal_flip_on_pil(rgb):
    img, pixels = rgb
    np.testing.assert_array_equal(np.asarray(T.RandomHorizontalFlip(1.0)(img)), pixels[:, ::-1])


def test_pipeline_like_vgg_preprocessing(rgb):
    img, _ = rgb
    pipeline = T.Compose([T.Resize(8), T.CenterCrop(4), T.ToArray(), T.Normalize(127.0, 2.0)])
    out = pipeline(img)
    assert out.shape == (3, 4, 4) and out.dtype == np.float32


def test_data_modules_import_no_optional_packages():
    code = ("import sys, dezero, dezero.transforms, dezero.datasets, dezero.dataloaders; "
            "print(sorted(m for m in ('PIL', 'tqdm', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
