"""CIFAR-10 and CIFAR-100: 32x32 colour images, read from the official python tarballs.

``dataset.data`` is (N, 3, 32, 32) uint8 (N = 50000 train, 10000 test) and ``dataset.label`` is
(N,) int. The tarball is downloaded once into the cache (``~/.dezero/cifar-10-python.tar.gz``,
DeZero's place, so a copy put there by hand is used) and the decoded split is cached next to it as
``<tarball>.train.npz`` / ``.test.npz``, written atomically.

Differences from DeZero 0.0.13, where it was wrong: the training images are uint8 like the test
images (not float64); the pickles inside the tarball are read with an unpickler that accepts only
NumPy arrays and plain containers, so a tampered tarball cannot run code; CIFAR-100 caches fine and
coarse labels separately (the original's cache mixed them up); ``labels()`` spells "airplane" and
lists the 100 fine CIFAR-100 classes (the original returned an empty list).
"""
from __future__ import annotations

import io
import os
import pickle
import tarfile
import zipfile
from typing import Any, Callable

import numpy as np

from dezero.datasets.base import Dataset, resolve_transform
from dezero.transforms import Compose, Normalize, ToFloat
from dezero.utils.download import atomic_output, get_cache_dir, get_file

_ALLOWED_GLOBALS = {("numpy.core.multiarray", "_reconstruct"),
                    ("numpy._core.multiarray", "_reconstruct"), ("numpy", "ndarray"),
                    ("numpy", "dtype"), ("_codecs", "encode")}


class _ArrayUnpickler(pickle.Unpickler):
    """An unpickler that rebuilds NumPy arrays and builtin containers, and nothing else."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(f"CIFAR: refusing to load {module}.{name} from a pickle "
                                         "(only NumPy arrays are expected)")
        return super().find_class(module, name)


def _read_member(archive: tarfile.TarFile, name: str) -> dict:
    """Unpickle one batch file of the tarball (Python 2 pickles: keys are bytes)."""
    try:
        member = archive.extractfile(name)
    except KeyError:
        raise FileNotFoundError(f"CIFAR: {archive.name} has no member {name!r}; it is not the "
                                "official python tarball. Delete it and try again.") from None
    with member:
        return _ArrayUnpickler(io.BytesIO(member.read()), encoding="bytes").load()


def _default_transform() -> Compose:
    """DeZero's CIFAR transform: float32, then (x - 0.5) / 0.5 (on 0..255 values, as DeZero)."""
    return Compose([ToFloat(), Normalize(mean=0.5, std=0.5)])


class CIFAR10(Dataset):
    """CIFAR-10: 10 classes of 32x32 colour images (see the module docstring for the layout)."""

    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"

    def __init__(self, train: bool = True, transform: Callable[[Any], Any] | None | str = "default",
                 target_transform: Callable[[Any], Any] | None = None):
        transform = resolve_transform(transform, _default_transform, type(self).__name__)
        super().__init__(train, transform, target_transform)

    def _npz_path(self) -> str:
        """Where the decoded split is cached."""
        file_name = self.url.rsplit("/", 1)[-1]
        suffix = ".train.npz" if self.train else ".test.npz"
        return os.path.join(get_cache_dir(), file_name + suffix)

    def _read_tarball(self, archive: tarfile.TarFile) -> dict[str, np.ndarray]:
        """Decode this split from the opened tarball: {'data': ..., label key: ...}."""
        names = ([f"cifar-10-batches-py/data_batch_{i}" for i in range(1, 6)] if self.train
                 else ["cifar-10-batches-py/test_batch"])
        batches = [_read_member(archive, name) for name in names]
        return {"data": np.concatenate([np.asarray(b[b"data"], dtype=np.uint8) for b in batches]),
                "label": np.concatenate([np.asarray(b[b"labels"], dtype=int) for b in batches])}

    def _label_key(self) -> str:
        """Which cached label array this dataset uses."""
        return "label"

    def prepare(self) -> None:
        """Load the split from the npz cache, else decode the tarball and fill the cache."""
        npz_path = self._npz_path()
        arrays: dict[str, np.ndarray] | None = None
        if os.path.exists(npz_path):
            try:
                with np.load(npz_path) as loaded:
                    if {"data", self._label_key()} <= set(loaded.files):
                        arrays = {key: loaded[key] for key in loaded.files}
            except (OSError, ValueError, EOFError, zipfile.BadZipFile):
                arrays = None  # a damaged cache is rebuilt from the tarball below
        if arrays is None:
            with tarfile.open(get_file(self.url), "r:gz") as archive:
                arrays = self._read_tarball(archive)
            with atomic_output(npz_path, who=type(self).__name__) as f:
                np.savez_compressed(f, **arrays)
        # an npz written by DeZero 0.0.13 holds float64 training images: back to uint8
        self.data = arrays["data"].astype(np.uint8, copy=False).reshape(-1, 3, 32, 32)
        self.label = arrays[self._label_key()]

    @staticmethod
    def labels() -> dict[int, str]:
        """Class id to name."""
        return dict(enumerate(("airplane", "automobile", "bird", "cat", "deer", "dog", "frog",
                               "horse", "ship", "truck")))


_CIFAR100_FINE = (
    "apple aquarium_fish baby bear beaver bed bee beetle bicycle bottle bowl boy bridge bus "
    "butterfly camel can castle caterpillar cattle chair chimpanzee clock cloud cockroach couch "
    "crab crocodile cup dinosaur dolphin elephant flatfish forest fox girl hamster house kangaroo "
    "keyboard lamp lawn_mower leopard lion lizard lobster man maple_tree motorcycle mountain mouse "
    "mushroom oak_tree orange orchid otter palm_tree pear pickup_truck pine_tree plain plate poppy "
    "porcupine possum rabbit raccoon ray road rocket rose sea seal shark shrew skunk skyscraper "
    "snail snake spider squirrel streetcar sunflower sweet_pepper table tank telephone television "
    "tiger tractor train trout tulip turtle wardrobe whale willow_tree wolf woman worm").split()
_CIFAR100_COARSE = (
    "aquatic_mammals fish flowers food_containers fruit_and_vegetables "
    "household_electrical_devices household_furniture insects large_carnivores "
    "large_man-made_outdoor_things large_natural_outdoor_scenes large_omnivores_and_herbivores "
    "medium_mammals non-insect_invertebrates people reptiles small_mammals trees vehicles_1 "
    "vehicles_2").split()


class CIFAR100(CIFAR10):
    """CIFAR-100: 100 fine classes grouped in 20 coarse ones; ``label_type`` picks which to use."""

    url = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"

    def __init__(self, train: bool = True, transform: Callable[[Any], Any] | None | str = "default",
                 target_transform: Callable[[Any], Any] | None = None, label_type: str = "fine"):
        if label_type not in ("fine", "coarse"):
            raise ValueError(f"CIFAR100: label_type must be 'fine' or 'coarse', got {label_type!r}")
        self.label_type = label_type
        super().__init__(train, transform, target_transform)

    def _label_key(self) -> str:
        return self.label_type

    def _read_tarball(self, archive: tarfile.TarFile) -> dict[str, np.ndarray]:
        batch = _read_member(archive, "cifar-100-python/train" if self.train
                             else "cifar-100-python/test")
        return {"data": np.asarray(batch[b"data"], dtype=np.uint8),
                "fine": np.asarray(batch[b"fine_labels"], dtype=int),
                "coarse": np.asarray(batch[b"coarse_labels"], dtype=int)}

    @staticmethod
    def labels(label_type: str = "fine") -> dict[int, str]:
        """Class id to name for ``label_type`` 'fine' (100 classes) or 'coarse' (20)."""
        if label_type not in ("fine", "coarse"):
            raise ValueError(f"CIFAR100.labels: label_type must be 'fine' or 'coarse', "
                             f"got {label_type!r}")
        return dict(enumerate(_CIFAR100_FINE if label_type == "fine" else _CIFAR100_COARSE))
