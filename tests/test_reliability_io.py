"""Reliable I/O: bounded, pickle-free weight loading; atomic writes that honour the umask and
name the user's path in errors (Unicode names in pictures: tests/test_render.py).

Everything stays on this machine (a local HTTP server on 127.0.0.1 for downloads).
"""
from __future__ import annotations

import io
import json
import os
import pickle
import stat
import subprocess
import sys
import tempfile
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from httpserver import LocalServer, isolate_cache
from optional import require_program

import dezero.layers as L
from dezero import Variable
from dezero.datasets.idx import write_idx
from dezero.layers._weights import NpzReader
from dezero.utils import get_file, plot_dot_graph
from dezero.utils.files import atomic_output, write_atomic

REPO = Path(__file__).resolve().parent.parent


# -- crafted weights files ------------------------------------------------------------------------
def npy_member(shape, descr="<f4", data=b"", fortran_order=False, version=(1, 0)):
    """The bytes of a .npy member: a header declaring ``shape``/``descr``, then ``data``."""
    buffer = io.BytesIO()
    header = {"descr": descr, "fortran_order": fortran_order, "shape": shape}
    if version == (1, 0):
        np.lib.format.write_array_header_1_0(buffer, header)
    else:
        np.lib.format.write_array_header_2_0(buffer, header)
    return buffer.getvalue() + data


def write_zip(path, members, compression=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for name, data in members.items():
            zf.writestr(name + ".npy", data)
    return path


def linear():
    """A Linear layer with known weights: W (2, 3) and b (3,), float32."""
    layer = L.Linear(3, in_size=2)
    layer.W.data = np.arange(6, dtype=np.float32).reshape(2, 3)
    layer.b.data = np.zeros(3, np.float32)
    return layer


def good_b():
    return npy_member((3,), data=np.ones(3, np.float32).tobytes())


def assert_unchanged(layer):
    np.testing.assert_array_equal(layer.W.data, np.arange(6).reshape(2, 3))
    np.testing.assert_array_equal(layer.b.data, np.zeros(3))


def test_huge_declared_array_in_a_tiny_file_is_refused_from_its_header(tmp_path):
    path = write_zip(tmp_path / "huge.npz", {"W": npy_member((10**12,), "<f8"), "b": good_b()})
    assert path.stat().st_size < 1000
    layer = linear()
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"'W'.*\(1000000000000,\).*\(2, 3\)"):
            layer.load_weights(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20
    assert_unchanged(layer)


def test_huge_array_matching_a_lazily_sized_layer_is_reported_truncated(tmp_path):
    # W's first axis is unknown before the first call, so (10**11, 3) passes the shape check;
    # the data is read in chunks, and the member ends long before 1.2 TB.
    path = write_zip(tmp_path / "lazy.npz", {"W": npy_member((10**11, 3), data=b"\0" * 64),
                                             "b": good_b()})
    layer = L.Linear(3)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"load_weights: entry 'W' of .*lazy\.npz.* "
                                             r"is truncated") as caught:
            layer.load_weights(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "pickl" not in str(caught.value)
    assert peak < 4 << 20
    assert layer.W.data is None


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_truncated_member_says_truncated_not_pickle(tmp_path, compression):
    short = np.arange(6, dtype=np.float32).tobytes()[:10]
    path = write_zip(tmp_path / "cut.npz", {"W": npy_member((2, 3), data=short), "b": good_b()},
                     compression)
    layer = linear()
    with pytest.raises(ValueError, match=r"'W'.*truncated.*24 bytes") as caught:
        layer.load_weights(path)
    assert "pickl" not in str(caught.value)
    assert_unchanged(layer)


def test_member_with_a_cut_header_is_truncated(tmp_path):
    path = write_zip(tmp_path / "cut.npz", {"W": npy_member((2, 3))[:20], "b": good_b()})
    with pytest.raises(ValueError, match=r"'W'.*truncated"):
        linear().load_weights(path)


class _Marker:
    """Unpickling this creates a file: proof that code from the file ran."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


@pytest.mark.parametrize("descr", ["|O", [("a", "<f4"), ("b", "|O")]])
def test_object_member_is_refused_from_its_header_without_unpickling(tmp_path, descr):
    marker = tmp_path / "pwned"
    payload = pickle.dumps(np.array([_Marker(str(marker))], dtype=object))
    path = write_zip(tmp_path / "evil.npz", {"W": npy_member((1,), descr, payload),
                                             "b": good_b()})
    layer = linear()
    with pytest.raises(ValueError, match=r"entry 'W' of .*evil\.npz.*Python objects.*unpickl"):
        layer.load_weights(path)
    assert not marker.exists()
    assert_unchanged(layer)


def test_every_header_is_checked_before_any_data_is_read(tmp_path, monkeypatch):
    path = write_zip(tmp_path / "w.npz", {
        "W": npy_member((2, 3), data=np.ones(6, np.float32).tobytes()),
        "b": npy_member((4,), data=np.ones(4, np.float32).tobytes())})
    reads = []
    real_read = NpzReader.read
    monkeypatch.setattr(NpzReader, "read", lambda self, key: reads.append(key) or
                        real_read(self, key))
    with pytest.raises(ValueError, match=r"'b'.*\(4,\).*\(3,\)"):
        linear().load_weights(path)
    assert reads == []


def test_fortran_order_big_endian_and_version_2_members_load(tmp_path):
    w = np.arange(6).reshape(2, 3) / 7
    path = write_zip(tmp_path / "w.npz", {
        "W": npy_member((2, 3), ">f8", w.astype(">f8").tobytes(order="F"), fortran_order=True),
        "b": npy_member((3,), "<i2", np.array([1, -2, 3], "<i2").tobytes(), version=(2, 0))})
    layer = L.Linear(3, in_size=2)
    layer.load_weights(path)
    np.testing.assert_array_equal(layer.W.data, (np.arange(6).reshape(2, 3) / 7).astype(np.float32))
    np.testing.assert_array_equal(layer.b.data, [1, -2, 3])
    assert layer.W.dtype == layer.b.dtype == np.float32


def test_member_with_more_data_than_declared_is_damaged(tmp_path):
    data = np.ones(6, np.float32).tobytes() + b"extra"
    path = write_zip(tmp_path / "w.npz", {"W": npy_member((2, 3), data=data), "b": good_b()})
    with pytest.raises(ValueError, match=r"'W'.*more data than its header declares"):
        linear().load_weights(path)


def test_corrupted_member_data_is_reported_damaged(tmp_path):
    data = bytes(range(24))
    path = write_zip(tmp_path / "w.npz", {"W": npy_member((2, 3), data=data), "b": good_b()},
                     zipfile.ZIP_STORED)
    raw = bytearray(path.read_bytes())
    raw[raw.index(data) + 5] ^= 0xFF  # one flipped byte: the member's CRC-32 no longer matches
    path.write_bytes(bytes(raw))
    layer = linear()
    with pytest.raises(ValueError, match=r"'W'.*damaged or truncated.*CRC"):
        layer.load_weights(path)
    assert_unchanged(layer)


def test_weights_path_that_is_a_folder(tmp_path):
    (tmp_path / "w.npz").mkdir()
    with pytest.raises(IsADirectoryError, match=r"load_weights: .*w\.npz.* is a folder"):
        linear().load_weights(tmp_path / "w.npz")
    with pytest.raises(IsADirectoryError, match=r"save_weights: cannot write .*w\.npz.*folder"):
        linear().save_weights(tmp_path / "w.npz")


# -- files get open()'s permissions ------------------------------------------------------------
@pytest.fixture(params=[0o022, 0o027, 0o077, 0o002, 0o000])
def umask(request):
    old = os.umask(request.param)
    yield request.param
    os.umask(old)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_new_files_honour_the_umask_like_open(tmp_path, umask):
    with open(tmp_path / "plain", "w"):
        pass
    expected = 0o666 & ~umask
    assert mode(tmp_path / "plain") == expected
    written = [linear().save_weights(tmp_path / "w.npz"),
               plot_dot_graph(Variable(np.ones(2), name="x"), to_file=tmp_path / "g.dot").path]
    write_atomic(tmp_path / "raw.bin", b"data")
    write_idx(str(tmp_path / "labels.idx"), np.arange(3, dtype=np.uint8))
    with atomic_output(tmp_path / "text.txt", "w") as f:
        f.write("é")
    written += [tmp_path / "raw.bin", tmp_path / "labels.idx", tmp_path / "text.txt"]
    assert {str(p): oct(mode(p)) for p in written} == {str(p): oct(expected) for p in written}
    assert (tmp_path / "text.txt").read_bytes() == "é".encode("utf-8")


def test_downloads_and_pictures_honour_the_umask(tmp_path, monkeypatch, dot_program):
    old = os.umask(0o027)
    try:
        cache = isolate_cache(monkeypatch, tmp_path)
        with LocalServer() as server:
            path = get_file(server.add("/d/file.bin", b"payload"), quiet=True)
        picture = plot_dot_graph(Variable(np.ones(2), name="x"), to_file=tmp_path / "g.svg")
    finally:
        os.umask(old)
    assert path == str(cache / "file.bin")
    assert mode(path) == mode(picture.path) == 0o640


def test_existing_file_keeps_its_permissions_and_a_symlink_stays_a_link(tmp_path):
    target = tmp_path / "real.npz"
    linear().save_weights(target)
    os.chmod(target, 0o600)
    link = tmp_path / "link.npz"
    link.symlink_to(target)
    layer = linear()
    layer.b.data = np.full(3, 7, np.float32)
    layer.save_weights(link)  # like open(link, 'w'): writes the file the link points to
    assert link.is_symlink() and mode(target) == 0o600
    fresh = linear()
    fresh.load_weights(target)
    np.testing.assert_array_equal(fresh.b.data, [7, 7, 7])
    assert sorted(os.listdir(tmp_path)) == ["link.npz", "real.npz"]


def test_a_long_file_name_still_gets_a_temporary_file(tmp_path):
    name = "é" * 125 + ".npz"  # 254 bytes: at the usual 255-byte limit
    path = linear().save_weights(tmp_path / name)
    assert os.listdir(tmp_path) == [name] and os.path.getsize(path) > 0


# -- paths that cannot be written name the user's path ---------------------------------------
WRITERS = ["save_weights", "plot_dot_graph", "write_atomic", "write_idx"]


def writers():
    """Every kind of file dezero writes, as (name, function writing to a given path)."""
    y = Variable(np.ones(2), name="x")
    return {
        "save_weights": lambda p: linear().save_weights(p),
        "plot_dot_graph": lambda p: plot_dot_graph(y, to_file=p),
        "write_atomic": lambda p: write_atomic(p, b"data"),
        "write_idx": lambda p: write_idx(str(p), np.arange(3, dtype=np.uint8)),
    }


@pytest.mark.parametrize("writer", WRITERS)
def test_path_that_is_a_folder_is_named(tmp_path, writer):
    folder = tmp_path / ("out.npz" if writer == "save_weights" else "out.dot")
    folder.mkdir()
    (folder / "inside").write_text("kept")
    with pytest.raises(IsADirectoryError) as caught:
        writers()[writer](folder)
    message = str(caught.value)
    assert message.startswith(f"[Errno 21] {writer}: cannot write '{folder}'")
    assert "folder" in message and ".part" not in message
    assert os.listdir(tmp_path) == [folder.name] and os.listdir(folder) == ["inside"]


@pytest.mark.parametrize("writer", WRITERS)
@pytest.mark.parametrize("depth", [1, 2])
def test_parent_that_is_a_file_is_named(tmp_path, writer, depth):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    target = blocker / ("sub/" * (depth - 1) + "out.dot")
    if writer == "save_weights":
        target = target.with_suffix(".npz")
    with pytest.raises(NotADirectoryError) as caught:
        writers()[writer](target)
    message = str(caught.value)
    assert f"{writer}: cannot write '{target}'" in message and "not a folder" in message
    assert ".part" not in message
    assert os.listdir(tmp_path) == ["blocker"] and blocker.read_text() == "a file, not a folder"


def test_missing_parent_folders_are_created(tmp_path):
    for name, write in writers().items():
        target = tmp_path / name / "new" / ("out.npz" if name == "save_weights" else "out.dot")
        write(target)
        assert os.listdir(target.parent) == [target.name]


def test_path_ending_in_a_separator_names_a_folder(tmp_path):
    with pytest.raises(IsADirectoryError, match=r"write_atomic: cannot write .*new/'.*folder"):
        write_atomic(str(tmp_path / "new") + "/", b"x")
    assert os.listdir(tmp_path) == []


def test_get_file_reports_an_unwritable_cache_before_downloading(tmp_path, monkeypatch):
    cache = isolate_cache(monkeypatch, tmp_path)
    cache.write_text("a file where the cache folder should be")
    with LocalServer() as server:
        url = server.add("/d/file.bin", b"payload")
        with pytest.raises(NotADirectoryError, match=rf"get_file: cannot write "
                                                     rf"'{cache}/file.bin'.*not a folder"):
            get_file(url, quiet=True)
        assert server.requests == []


def test_get_file_reports_a_local_write_failure_instead_of_trying_other_mirrors(
        tmp_path, monkeypatch):
    import dezero.utils.files as files

    cache = isolate_cache(monkeypatch, tmp_path)

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    with LocalServer() as server:
        first = server.add("/m1/file.bin", b"payload")
        second = server.add("/m2/file.bin", b"payload")
        monkeypatch.setattr(files.os, "fsync", disk_full)
        with pytest.raises(OSError) as caught:
            get_file([first, second], quiet=True)
        monkeypatch.undo()
        assert server.requests == ["/m1/file.bin"]  # a full disk is no reason to try mirror 2
    message = str(caught.value)
    assert f"get_file: cannot write '{cache}/file.bin': No space left" in message
    assert ".part" not in message and not (cache / "file.bin").exists()
    assert os.listdir(cache) == []


def test_get_file_refuses_a_folder_in_the_cache(tmp_path, monkeypatch):
    cache = isolate_cache(monkeypatch, tmp_path)
    (cache / "file.bin").mkdir(parents=True)
    with pytest.raises(IsADirectoryError, match=r"get_file: .*file\.bin.* is a folder"):
        get_file("http://127.0.0.1:9/file.bin", quiet=True)


_AS_NOBODY = """
import json, sys
import numpy as np
import dezero.layers as L
layer = L.Linear(2, in_size=2)
try:
    layer.save_weights(sys.argv[1])
    print(json.dumps(["written", ""]))
except Exception as e:
    print(json.dumps([type(e).__name__, str(e)]))
"""


def test_folder_without_write_permission_is_named(tmp_path):
    """Permissions apply: root (as the tests run here and in CI) runs the writer without the
    capabilities that let it ignore them (util-linux's setpriv)."""
    top = Path(tempfile.mkdtemp(prefix="dezero-perm-"))
    try:
        os.chmod(top, 0o755)
        locked = top / "locked"
        locked.mkdir(mode=0o555)
        os.chmod(locked, 0o555)
        target = locked / "w.npz"
        command = [sys.executable, "-c", _AS_NOBODY, str(target)]
        if os.geteuid() == 0:
            setpriv = require_program("setpriv", "apt-get install util-linux")
            command = [setpriv, "--bounding-set=-dac_override,-dac_read_search", *command]
        done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0 and done.stdout.strip(), done.stderr[-2000:]
        kind, message = json.loads(done.stdout.strip().splitlines()[-1])
        assert kind == "PermissionError"
        assert f"save_weights: cannot write '{target}'" in message
        assert "no permission" in message and ".part" not in message
        assert os.listdir(locked) == []
    finally:
        os.chmod(top / "locked", 0o755)
        for root, dirs, files in os.walk(top, topdown=False):
            for name in files:
                os.remove(os.path.join(root, name))
            for name in dirs:
                os.rmdir(os.path.join(root, name))
        os.rmdir(top)


@pytest.mark.parametrize("step", ["create", "rename"])
def test_permission_errors_name_the_users_path_not_the_temporary_file(tmp_path, monkeypatch,
                                                                       step):
    """The same path as the test above, simulated (it needs a non-root user to happen)."""
    import dezero.utils.files as files

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / ".w.npz.0123.part"))

    monkeypatch.setattr(files.os, "open" if step == "create" else "replace", denied)
    target = tmp_path / "w.npz"
    with pytest.raises(PermissionError) as caught:
        linear().save_weights(target)
    message = str(caught.value)
    assert message.startswith(f"[Errno 13] save_weights: cannot write '{target}'")
    assert ".part" not in message and caught.value.__cause__ is None
    assert caught.value.__suppress_context__
    monkeypatch.undo()
    assert os.listdir(tmp_path) == []
