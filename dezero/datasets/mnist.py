"""MNIST and Fashion-MNIST: 28x28 grey images and labels 0..9, read from IDX files.

Layout (DeZero's): ``dataset.data`` is (N, 1, 28, 28) uint8, ``dataset.label`` is (N,) uint8, and
the default transform flattens and scales each image, so an item is ``(x, t)`` with x a (784,)
float32 array in [0, 1]. Pass ``transform=None`` to get the raw (1, 28, 28) uint8 image.

The four files (``train-images-idx3-ubyte.gz``, ``train-labels-idx1-ubyte.gz``, and ``t10k-...``
for the test split; gzipped or not) are looked for, in this order:

1. the ``data_dir`` argument;
2. the folder named by an environment variable (``DEZERO_MNIST_DIR`` or
   ``DEZERO_FASHION_MNIST_DIR``; one per dataset, because both use the same file names);
3. the cache: ``~/.dezero/`` for MNIST (where DeZero 0.0.13 put it) and ``~/.dezero/fashion-mnist/``
   for Fashion-MNIST (``~/.dezero`` is replaced by ``$DEZERO_CACHE_DIR`` when that is set);
4. system folders: ``/usr/share/datasets/fashion-mnist`` (Debian package ``dataset-fashion-mnist``)
   for Fashion-MNIST;
5. otherwise they are downloaded into the cache from a list of mirrors, each file checked against
   its published SHA-256 digest.

A folder given explicitly (1 or 2) that lacks the files is an error, not a reason to look further.
Unlike the original, the data are checked: a damaged file raises ``IDXFormatError`` naming it.
"""
from __future__ import annotations

import os
from typing import Any, Callable

import numpy as np

from dezero.datasets.base import Dataset, resolve_transform
from dezero.datasets.idx import IDXFormatError, read_idx
from dezero.transforms import Compose, Flatten, Normalize, ToFloat
from dezero.utils.download import get_cache_dir, get_file


def _default_transform() -> Compose:
    """DeZero's MNIST transform: flatten to (784,), float32, divide by 255."""
    return Compose([Flatten(), ToFloat(), Normalize(0.0, 255.0)])


def _find_in(folder: str, name: str) -> str | None:
    """Path of ``name`` in ``folder``, accepting the gunzipped name too; None when absent."""
    for candidate in (name, name[:-3] if name.endswith(".gz") else None):
        if candidate and os.path.isfile(os.path.join(folder, candidate)):
            return os.path.join(folder, candidate)
    return None


class _IDXImageDataset(Dataset):
    """Shared loader of MNIST-format datasets; subclasses set the class attributes below."""

    dataset_name = ""
    env_var = ""
    cache_subdir: str | None = None
    system_dirs: tuple[str, ...] = ()
    mirrors: tuple[str, ...] = ()
    sha256: dict[str, str] = {}
    install_hint = ""
    split_files: dict[bool, tuple[str, str]] = {
        True: ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
        False: ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}
    """The file names of each split, ``{train: (images, labels)}``, as MNIST publishes them
    (gunzipped copies are found too)."""

    def __init__(self, train: bool = True, transform: Callable[[Any], Any] | None | str = "default",
                 target_transform: Callable[[Any], Any] | None = None,
                 data_dir: str | os.PathLike | None = None):
        self.data_dir = None if data_dir is None else os.fspath(data_dir)
        transform = resolve_transform(transform, _default_transform, type(self).__name__)
        super().__init__(train, transform, target_transform)

    def _explicit_dir(self, folder: str, origin: str, names: tuple[str, ...]) -> list[str]:
        """The files in a folder the user named; a clear error if any is missing."""
        paths = [_find_in(folder, name) for name in names]
        missing = [name for name, path in zip(names, paths) if path is None]
        if missing:
            raise FileNotFoundError(
                f"{type(self).__name__}: {origin} is {folder!r}, but it lacks "
                f"{', '.join(missing)}. Put the files there (gzipped or not), or leave {origin} "
                "out to use the cache or a download.")
        return paths  # type: ignore[return-value]

    def find_files(self) -> list[str]:
        """Paths of the image and label files of this split, downloading them if needed."""
        names = self.split_files[bool(self.train)]
        if self.data_dir is not None:
            return self._explicit_dir(self.data_dir, "data_dir", names)
        env_dir = os.environ.get(self.env_var)
        if env_dir:
            return self._explicit_dir(env_dir, f"${self.env_var}", names)
        cache = get_cache_dir() if self.cache_subdir is None else os.path.join(
            get_cache_dir(), self.cache_subdir)
        for folder in (cache, *self.system_dirs):
            paths = [_find_in(folder, name) for name in names]
            if all(paths):
                return paths  # type: ignore[return-value]
        hint = (f"{self.dataset_name} needs {' and '.join(names)} in {cache}. Or put them in any "
                f"folder and pass {type(self).__name__}(data_dir=...) or set ${self.env_var}."
                f"{self.install_hint}")
        return [get_file([base + name for base in self.mirrors], name, sha256=self.sha256.get(name),
                         subdir=self.cache_subdir, hint=hint) for name in names]

    def prepare(self) -> None:
        """Read and check the image and label files of this split."""
        image_path, label_path = self.find_files()
        images, labels = read_idx(image_path), read_idx(label_path)
        if images.ndim != 3 or images.dtype != np.uint8:
            raise IDXFormatError(f"{type(self).__name__}: {image_path} should hold uint8 images "
                                 f"(N, H, W), found {images.dtype} of shape {images.shape}")
        if labels.ndim != 1 or labels.dtype != np.uint8 or len(labels) != len(images):
            raise IDXFormatError(f"{type(self).__name__}: {label_path} should hold {len(images)} "
                                 f"uint8 labels, found {labels.dtype} of shape {labels.shape}")
        self.data = images.reshape(len(images), 1, *images.shape[1:])
        self.label = labels

    def show(self, row: int = 10, col: int = 10) -> None:
        """Show a ``row`` x ``col`` grid of random training images with matplotlib."""
        import matplotlib.pyplot as plt  # optional dependency, only for this picture
        _, h, w = self.data.shape[1:]
        picks = np.random.randint(0, len(self.data), size=row * col)
        grid = self.data[picks, 0].reshape(row, col, h, w).transpose(0, 2, 1, 3)
        plt.imshow(grid.reshape(row * h, col * w), cmap="gray", interpolation="nearest")
        plt.axis("off")
        plt.show()


class MNIST(_IDXImageDataset):
    """Handwritten digits 0-9: 60000 training and 10000 test images (see the module docstring)."""

    dataset_name = "MNIST"
    env_var = "DEZERO_MNIST_DIR"
    cache_subdir = None
    mirrors = ("https://ossci-datasets.s3.amazonaws.com/mnist/",
               "https://storage.googleapis.com/cvdf-datasets/mnist/",
               "http://yann.lecun.com/exdb/mnist/")
    sha256 = {
        "train-images-idx3-ubyte.gz":
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "train-labels-idx1-ubyte.gz":
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "t10k-images-idx3-ubyte.gz":
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "t10k-labels-idx1-ubyte.gz":
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    }

    @staticmethod
    def labels() -> dict[int, str]:
        """Class id to name: the digits themselves."""
        return {i: str(i) for i in range(10)}


class FashionMNIST(_IDXImageDataset):
    """Zalando's clothing images, a drop-in for MNIST: same sizes, layout and loading rules."""

    dataset_name = "Fashion-MNIST"
    env_var = "DEZERO_FASHION_MNIST_DIR"
    cache_subdir = "fashion-mnist"
    system_dirs = ("/usr/share/datasets/fashion-mnist",)
    mirrors = ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
               "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/"
               "fashion/")
    sha256 = {
        "train-images-idx3-ubyte.gz":
            "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        "train-labels-idx1-ubyte.gz":
            "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        "t10k-images-idx3-ubyte.gz":
            "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        "t10k-labels-idx1-ubyte.gz":
            "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    }
    install_hint = " On Debian/Ubuntu: apt-get install dataset-fashion-mnist."

    @staticmethod
    def labels() -> dict[int, str]:
        """Class id to name of the ten clothing classes."""
        names = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                 "Sneaker", "Bag", "Ankle boot")
        return dict(enumerate(names))
