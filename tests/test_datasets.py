"""Datasets: spiral reproducibility, IDX files, MNIST lookup order and download, CIFAR, labels."""
from __future__ import annotations

import gzip
import hashlib
import io
import os
import pickle
import struct
import tarfile

import numpy as np
import pytest
from httpserver import LocalServer, dead_url, files_under, isolate_cache
from optional import unavailable

from dezero import datasets
from dezero.datasets import (CIFAR10, CIFAR100, MNIST, Dataset, FashionMNIST, IDXFormatError,
                             ImageNet, Shakespear, SinCurve, Spiral, get_spiral, read_idx,
                             write_idx)
from dezero.utils.download import DownloadError

DEBIAN_FASHION_DIR = "/usr/share/datasets/fashion-mnist"


@pytest.fixture
def cache(monkeypatch, tmp_path):
    return isolate_cache(monkeypatch, tmp_path)


# ----- spiral --------------------------------------------------------------------------------

def _spiral_reference(seed):
    """The book's algorithm written out point by point, to compare against."""
    np.random.seed(seed)
    x = np.zeros((300, 2), dtype=np.float32)
    t = np.zeros(300, dtype=int)
    for j in range(3):
        for i in range(100):
            rate = i / 100
            theta = j * 4.0 + 4.0 * rate + np.random.randn() * 0.2
            x[100 * j + i] = [rate * np.sin(theta), rate * np.cos(theta)]
            t[100 * j + i] = j
    order = np.random.permutation(300)
    return x[order], t[order]


@pytest.mark.parametrize("train,seed", [(True, 1984), (False, 2020)])
def test_get_spiral_matches_the_book_and_its_random_stream(train, seed):
    x_ref, t_ref = _spiral_reference(seed)
    after_ref = np.random.rand(5)
    x, t = get_spiral(train=train)
    after = np.random.rand(5)
    assert x.shape == (300, 2) and x.dtype == np.float32
    assert t.shape == (300,) and np.issubdtype(t.dtype, np.integer)
    np.testing.assert_array_equal(x, x_ref)
    np.testing.assert_array_equal(t, t_ref)
    # The global generator is left where the original leaves it.
    np.testing.assert_array_equal(after, after_ref)


def test_get_spiral_is_reproducible_and_splits_differ():
    a, b = get_spiral(True), get_spiral(True)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], get_spiral(False)[0])
    assert np.bincount(a[1]).tolist() == [100, 100, 100]
    radii = np.sort(np.hypot(a[0][:, 0], a[0][:, 1])[a[1] == 0])
    np.testing.assert_allclose(radii, np.arange(100) / 100, atol=1e-6)


def test_spiral_dataset_items_and_transforms():
    ds = Spiral(train=True, transform=lambda x: x * 2, target_transform=lambda t: t + 10)
    x, t = get_spiral(True)
    assert len(ds) == 300
    x0, t0 = ds[0]
    np.testing.assert_array_equal(x0, x[0] * 2)
    assert t0 == t[0] + 10
    np.testing.assert_array_equal(ds[-1][0], x[-1] * 2)


def test_dataset_base_class():
    class Pairs(Dataset):
        def prepare(self):
            self.data = np.arange(5)

    ds = Pairs()
    assert len(ds) == 5 and ds[np.int64(3)] == (3, None)
    with pytest.raises(TypeError, match="index must be an int"):
        ds[1:3]
    assert len(Dataset()) == 0


def test_sin_curve():
    train, test = SinCurve(train=True), SinCurve(train=False)
    assert len(train) == 999 and train[0][0].shape == (1,)
    np.testing.assert_array_equal(train.data[1:], train.label[:-1])
    grid = np.linspace(0, 2 * np.pi, 1000)
    assert np.max(np.abs(train.data[:, 0] - np.sin(grid[:-1]))) <= 0.05
    np.testing.assert_allclose(test.data[:, 0], np.cos(grid[:-1]))


def test_shakespear_from_the_cache(cache):
    cache.mkdir()
    (cache / "shakespear.txt").write_text("abca\nb", encoding="utf-8")
    ds = Shakespear()
    assert ds.char_to_id == {"a": 0, "b": 1, "c": 2, "\n": 3}
    assert ds.id_to_char == {0: "a", 1: "b", 2: "c", 3: "\n"}
    np.testing.assert_array_equal(ds.data, [0, 1, 2, 0, 3])
    np.testing.assert_array_equal(ds.label, [1, 2, 0, 3, 1])


def test_damaged_text_caches_are_named_not_a_unicode_error(cache):
    cache.mkdir()
    (cache / "shakespear.txt").write_bytes(b"ab\xff\xfecd")
    with pytest.raises(ValueError, match=r"Shakespear: .*shakespear.txt is not UTF-8 text"):
        Shakespear()
    (cache / ImageNet.labels_url.rsplit("/", 1)[-1]).write_bytes(b"{0: '\xff'}")
    with pytest.raises(ValueError, match=r"ImageNet.labels: .* is not UTF-8 text.*delete it"):
        ImageNet.labels()


# ----- IDX files -------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("name", ["a.idx", "a.idx.gz"])
def test_idx_round_trip(tmp_path, dtype, name):
    rng = np.random.default_rng(0)
    array = (rng.standard_normal((3, 4, 5)) * 50).astype(dtype)
    write_idx(tmp_path / name, array)
    back = read_idx(tmp_path / name)
    assert back.dtype == np.dtype(dtype) and back.dtype.isnative
    np.testing.assert_array_equal(back, array)
    assert (tmp_path / name).read_bytes()[:2] == (b"\x1f\x8b" if name.endswith(".gz") else b"\0\0")


def test_idx_reads_a_hand_built_file(tmp_path):
    values = [1, -2, 300, -40000]
    raw = struct.pack(">BBBBII", 0, 0, 0x0C, 2, 2, 2) + struct.pack(">4i", *values)
    (tmp_path / "h.gz").write_bytes(gzip.compress(raw))
    np.testing.assert_array_equal(read_idx(tmp_path / "h.gz"), np.array(values).reshape(2, 2))


@pytest.mark.parametrize("raw,problem", [
    (b"\x00\x00", "shorter than"),
    (b"\x01\x00\x08\x01" + struct.pack(">I", 1) + b"\x00", "magic number"),
    (b"\x00\x00\x07\x01" + struct.pack(">I", 1) + b"\x00", "unknown type code 0x07"),
    (b"\x00\x00\x08\x00", "0 dimensions"),
    (b"\x00\x00\x08\x03" + struct.pack(">I", 2), "file ends"),
    (b"\x00\x00\x08\x02" + struct.pack(">II", 3, 4) + bytes(11), "truncated"),
    (b"\x00\x00\x08\x01" + struct.pack(">I", 2) + bytes(3), "trailing bytes"),
])
def test_idx_rejects_corrupt_files(tmp_path, raw, problem):
    path = tmp_path / "bad.idx"
    path.write_bytes(raw)
    with pytest.raises(IDXFormatError, match=problem) as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_idx_rejects_a_damaged_gzip(tmp_path):
    write_idx(tmp_path / "ok.gz", np.zeros((10, 28, 28), np.uint8))
    (tmp_path / "cut.gz").write_bytes((tmp_path / "ok.gz").read_bytes()[:-12])
    with pytest.raises(IDXFormatError, match="damaged gzip"):
        read_idx(tmp_path / "cut.gz")


def test_write_idx_rejects_unsupported_dtypes(tmp_path):
    with pytest.raises(TypeError, match="no IDX type code"):
        write_idx(tmp_path / "x.idx", np.zeros(3, np.uint16))
    assert not (tmp_path / "x.idx").exists()


# ----- MNIST-format datasets ---------------------------------------------------------------

SPLITS = {True: ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", 6),
          False: ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", 4)}


def make_idx_set(folder, marker, compress=True):
    """Write small train and test files whose labels are all ``marker`` (which place was used)."""
    os.makedirs(folder, exist_ok=True)
    out = {}
    for train, (image_name, label_name, n) in SPLITS.items():
        images = (np.arange(n * 28 * 28).reshape(n, 28, 28) % 256).astype(np.uint8)
        labels = np.full(n, marker, dtype=np.uint8)
        if not compress:
            image_name, label_name = image_name[:-3], label_name[:-3]
        write_idx(os.path.join(folder, image_name), images, compress=compress)
        write_idx(os.path.join(folder, label_name), labels, compress=compress)
        out[train] = (images, labels)
    return out


def _marker(ds):
    assert len(set(ds.label.tolist())) == 1
    return int(ds.label[0])


@pytest.fixture
def places(cache, tmp_path, monkeypatch):
    """A different data set in each place FashionMNIST looks, each tagged by its label value."""
    monkeypatch.setattr(FashionMNIST, "system_dirs", (str(tmp_path / "system"),))
    monkeypatch.setattr(FashionMNIST, "mirrors", (dead_url("/"),))
    make_idx_set(tmp_path / "explicit", 1)
    make_idx_set(tmp_path / "env", 2)
    make_idx_set(cache / "fashion-mnist", 3)
    make_idx_set(tmp_path / "system", 4)
    return tmp_path


def test_lookup_order(places, cache, monkeypatch):
    monkeypatch.setenv("DEZERO_FASHION_MNIST_DIR", str(places / "env"))
    assert _marker(FashionMNIST(data_dir=places / "explicit")) == 1
    assert _marker(FashionMNIST(train=False, data_dir=str(places / "explicit"))) == 1
    assert _marker(FashionMNIST()) == 2
    monkeypatch.delenv("DEZERO_FASHION_MNIST_DIR")
    assert _marker(FashionMNIST()) == 3
    for name in os.listdir(cache / "fashion-mnist"):
        os.remove(cache / "fashion-mnist" / name)
    assert _marker(FashionMNIST()) == 4
    assert _marker(FashionMNIST(train=False)) == 4


def test_mnist_uses_the_cache_root_like_dezero(cache, monkeypatch, tmp_path):
    monkeypatch.setattr(MNIST, "mirrors", (dead_url("/"),))
    make_idx_set(cache, 7)
    assert _marker(MNIST()) == 7
    make_idx_set(tmp_path / "mine", 8)
    monkeypatch.setenv("DEZERO_MNIST_DIR", str(tmp_path / "mine"))
    assert _marker(MNIST(train=False)) == 8


def test_layout_and_default_transform(cache, tmp_path):
    written = make_idx_set(tmp_path / "d", 5)
    ds = MNIST(train=True, data_dir=tmp_path / "d")
    assert ds.data.shape == (6, 1, 28, 28) and ds.data.dtype == np.uint8
    assert ds.label.shape == (6,) and len(ds) == 6
    x, t = ds[2]
    assert x.shape == (784,) and x.dtype == np.float32
    np.testing.assert_allclose(x, written[True][0][2].ravel() / np.float32(255), rtol=1e-6)
    assert t == 5
    raw = MNIST(train=True, transform=None, data_dir=tmp_path / "d")[2][0]
    assert raw.shape == (1, 28, 28) and raw.dtype == np.uint8
    with pytest.raises(ValueError, match="transform"):
        MNIST(transform="flatten")


def test_uncompressed_files_are_accepted(cache, tmp_path):
    make_idx_set(tmp_path / "plain", 6, compress=False)
    assert _marker(FashionMNIST(train=False, data_dir=tmp_path / "plain")) == 6


@pytest.mark.parametrize("how", ["data_dir", "env"])
def test_explicit_folder_without_the_files_is_an_error(cache, tmp_path, monkeypatch, how):
    empty = tmp_path / "empty"
    empty.mkdir()
    make_idx_set(cache / "fashion-mnist", 3)  # must not be used as a fallback
    if how == "env":
        monkeypatch.setenv("DEZERO_FASHION_MNIST_DIR", str(empty))
        origin = "$DEZERO_FASHION_MNIST_DIR"
    else:
        origin = "data_dir"
    with pytest.raises(FileNotFoundError) as info:
        FashionMNIST(data_dir=empty if how == "data_dir" else None)
    message = str(info.value)
    assert origin in message and str(empty) in message
    assert "train-images-idx3-ubyte.gz" in message and "train-labels-idx1-ubyte.gz" in message


def test_corrupt_or_mismatched_files_are_reported(cache, tmp_path):
    make_idx_set(tmp_path / "d", 1)
    label_file = tmp_path / "d" / "train-labels-idx1-ubyte.gz"
    write_idx(label_file, np.zeros(5, np.uint8))  # 5 labels for 6 images
    with pytest.raises(IDXFormatError, match="should hold 6"):
        MNIST(data_dir=tmp_path / "d")
    label_file.write_bytes(b"garbage")
    with pytest.raises(IDXFormatError) as info:
        MNIST(data_dir=tmp_path / "d")
    assert str(label_file) in str(info.value)


def _serve_idx_set(server, tmp_path):
    """Publish a generated test split at /good/; return its digests and arrays."""
    written = make_idx_set(tmp_path / "served", 9)
    digests = {}
    for name in SPLITS[False][:2]:
        data = (tmp_path / "served" / name).read_bytes()
        server.add("/good/" + name, data)
        server.add("/corrupt/" + name, data[:-1] + bytes([data[-1] ^ 0xFF]))
        digests[name] = hashlib.sha256(data).hexdigest()
    return digests, written[False]


def test_download_when_no_place_has_the_files(cache, tmp_path, monkeypatch):
    with LocalServer() as server:
        digests, (images, labels) = _serve_idx_set(server, tmp_path)
        monkeypatch.setattr(FashionMNIST, "system_dirs", (str(tmp_path / "nowhere"),))
        monkeypatch.setattr(FashionMNIST, "sha256", digests)
        monkeypatch.setattr(FashionMNIST, "mirrors", (
            dead_url("/"), server.url("/missing/"), server.url("/corrupt/"), server.url("/good/")))
        ds = FashionMNIST(train=False, transform=None)
    np.testing.assert_array_equal(ds.data[:, 0], images)
    np.testing.assert_array_equal(ds.label, labels)
    assert files_under(cache) == [os.path.join("fashion-mnist", n) for n in sorted(digests)]
    assert "/corrupt/t10k-images-idx3-ubyte.gz" in server.requests  # tried before /good/


def test_download_failure_explains_every_way_out(cache, tmp_path, monkeypatch):
    with LocalServer() as server:
        digests, _ = _serve_idx_set(server, tmp_path)
        refused = dead_url("/")
        monkeypatch.setattr(FashionMNIST, "system_dirs", ())
        monkeypatch.setattr(FashionMNIST, "sha256", digests)
        monkeypatch.setattr(FashionMNIST, "mirrors", (refused, server.url("/corrupt/")))
        with pytest.raises(DownloadError) as info:
            FashionMNIST(train=False)
    message = str(info.value)
    assert refused + "t10k-images-idx3-ubyte.gz" in message
    assert server.url("/corrupt/t10k-images-idx3-ubyte.gz") in message
    assert "SHA-256 mismatch" in message
    assert str(cache / "fashion-mnist" / "t10k-images-idx3-ubyte.gz") in message
    for way_out in ("data_dir=", "$DEZERO_FASHION_MNIST_DIR",
                    "apt-get install dataset-fashion-mnist"):
        assert way_out in message
    assert files_under(cache) == []


def test_label_names():
    assert MNIST.labels() == {i: str(i) for i in range(10)}
    names = FashionMNIST.labels()
    assert len(names) == 10 and names[0] == "T-shirt/top" and names[9] == "Ankle boot"
    assert CIFAR10.labels()[0] == "airplane" and len(CIFAR10.labels()) == 10
    fine, coarse = CIFAR100.labels("fine"), CIFAR100.labels("coarse")
    assert len(set(fine.values())) == 100 and len(set(coarse.values())) == 20
    assert fine[0] == "apple" and fine[99] == "worm"
    assert sorted(fine.values()) == list(fine.values())  # the official order is alphabetical


def test_real_fashion_mnist_from_the_debian_package(cache):
    """Loads the files of Debian's ``dataset-fashion-mnist`` through the normal lookup."""
    if not os.path.isdir(DEBIAN_FASHION_DIR):
        unavailable(f"{DEBIAN_FASHION_DIR} is missing (apt-get install dataset-fashion-mnist)")
    train, test = FashionMNIST(train=True), FashionMNIST(train=False)
    assert train.data.shape == (60000, 1, 28, 28) and train.label.shape == (60000,)
    assert test.data.shape == (10000, 1, 28, 28) and test.label.shape == (10000,)
    assert np.bincount(train.label).tolist() == [6000] * 10
    assert np.bincount(test.label).tolist() == [1000] * 10
    x, t = train[0]
    assert x.shape == (784,) and 0.0 <= x.min() and x.max() <= 1.0
    assert files_under(cache) == []  # nothing was downloaded or copied


# ----- CIFAR and ImageNet ------------------------------------------------------------------

def _add_pickle(archive, name, obj):
    data = pickle.dumps(obj, protocol=2)
    info = tarfile.TarInfo(name)
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))


def _cifar10_tarball(path, per_batch=2):
    """A tarball laid out like the official one; image i of batch b is filled with 10*b + i."""
    with tarfile.open(path, "w:gz") as archive:
        for b, name in enumerate([f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]):
            data = np.repeat(np.arange(10 * b, 10 * b + per_batch, dtype=np.uint8), 3072)
            _add_pickle(archive, "cifar-10-batches-py/" + name,
                        {b"data": data.reshape(per_batch, 3072), b"labels": [b % 10] * per_batch})


def test_cifar10_from_a_tarball_in_the_cache(cache):
    cache.mkdir()
    _cifar10_tarball(cache / "cifar-10-python.tar.gz")
    train = CIFAR10(train=True, transform=None)
    assert train.data.shape == (10, 3, 32, 32) and train.data.dtype == np.uint8
    assert train.data[:, 0, 0, 0].tolist() == [0, 1, 10, 11, 20, 21, 30, 31, 40, 41]
    assert train.label.tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    test = CIFAR10(train=False)
    assert test.data[:, 0, 0, 0].tolist() == [50, 51] and test.label.tolist() == [5, 5]
    x, _ = test[1]  # default transform: float32, (x - 0.5) / 0.5 as in DeZero
    assert x.dtype == np.float32 and x.shape == (3, 32, 32)
    np.testing.assert_allclose(x, (51 - 0.5) / 0.5)
    # The decoded splits are cached: they load without the tarball.
    assert (cache / "cifar-10-python.tar.gz.train.npz").exists()
    os.remove(cache / "cifar-10-python.tar.gz")
    np.testing.assert_array_equal(CIFAR10(train=True, transform=None).data, train.data)


def test_cifar_damaged_cache_is_rebuilt_from_the_tarball(cache):
    cache.mkdir()
    _cifar10_tarball(cache / "cifar-10-python.tar.gz")
    (cache / "cifar-10-python.tar.gz.train.npz").write_bytes(b"PK\x03\x04 cut short")
    train = CIFAR10(train=True, transform=None)  # not a BadZipFile
    assert train.data[:, 0, 0, 0].tolist() == [0, 1, 10, 11, 20, 21, 30, 31, 40, 41]
    with np.load(cache / "cifar-10-python.tar.gz.train.npz") as rebuilt:
        np.testing.assert_array_equal(rebuilt["data"].reshape(-1, 3, 32, 32), train.data)


def test_cifar100_label_types(cache):
    cache.mkdir()
    with tarfile.open(cache / "cifar-100-python.tar.gz", "w:gz") as archive:
        for split, n in (("train", 3), ("test", 2)):
            _add_pickle(archive, "cifar-100-python/" + split, {
                b"data": np.zeros((n, 3072), np.uint8),
                b"fine_labels": list(range(50, 50 + n)), b"coarse_labels": list(range(n))})
    assert CIFAR100(train=True).label.tolist() == [50, 51, 52]
    assert CIFAR100(train=True, label_type="coarse").label.tolist() == [0, 1, 2]
    assert CIFAR100(train=False, label_type="coarse").label.tolist() == [0, 1]
    with pytest.raises(ValueError, match="label_type"):
        CIFAR100(label_type="medium")


def test_cifar_refuses_pickles_that_run_code(cache):
    cache.mkdir()

    class Exploit:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    with tarfile.open(cache / "cifar-10-python.tar.gz", "w:gz") as archive:
        _add_pickle(archive, "cifar-10-batches-py/test_batch", {b"data": Exploit()})
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        CIFAR10(train=False)
    assert not (cache / "cifar-10-python.tar.gz.test.npz").exists()


def test_imagenet_labels_are_parsed_not_evaluated(cache):
    cache.mkdir()
    path = cache / ImageNet.labels_url.rsplit("/", 1)[-1]
    path.write_text("{0: 'tench, Tinca tinca',\n 1: 'goldfish'}", encoding="utf-8")
    assert ImageNet.labels() == {0: "tench, Tinca tinca", 1: "goldfish"}
    path.write_text("__import__('os').getcwd()", encoding="utf-8")
    with pytest.raises(ValueError, match="not a dict literal"):
        ImageNet.labels()
    with pytest.raises(NotImplementedError):
        ImageNet()


def test_module_exports():
    for name in ("Dataset", "Spiral", "get_spiral", "MNIST", "FashionMNIST", "CIFAR10",
                 "CIFAR100", "SinCurve", "Shakespear", "ImageNet"):
        assert hasattr(datasets, name)
