"""Layer.save_weights / load_weights: DeZero's file format, atomic writes, strict checks."""
from __future__ import annotations

import os
import pickle

import numpy as np
import pytest

import dezero.layers as L
from dezero import Parameter, cuda, models
from dezero.core import Variable


class Net(L.Layer):
    """Nested layers, a lazily sized one, a bias-free one and BatchNorm state."""

    def __init__(self):
        super().__init__()
        self.l1 = L.Linear(4, in_size=3)
        self.block = L.Layer()
        self.block.fc = L.Linear(2, in_size=4, nobias=True)
        self.bn = L.BatchNorm()
        self.scale = Parameter(np.ones(1, np.float32))

    def forward(self, x):
        return self.bn(self.block.fc(self.l1(x))) * self.scale


KEYS = {"l1/W": (3, 4), "l1/b": (4,), "block/fc/W": (4, 2), "bn/gamma": (2,),
        "bn/beta": (2,), "bn/avg_mean": (2,), "bn/avg_var": (2,), "scale": (1,)}


def _trained_net(seed=0):
    np.random.seed(seed)
    net = Net()
    net(np.random.default_rng(seed).standard_normal((5, 3)).astype(np.float32))
    return net


def _arrays(layer):
    return {k: v.data.copy() for k, (v, _, _) in layer._weights().items()}


def _write_npz(path, arrays):
    """A weights file as DeZero 0.0.13 writes one (np.savez_compressed with '/' keys)."""
    np.savez_compressed(path, **arrays)
    return str(path)


def _assert_unchanged(layer, before):
    after = _arrays(layer)
    assert after.keys() == before.keys()
    for key in before:
        np.testing.assert_array_equal(after[key], before[key], err_msg=key)


def test_round_trip_uses_dezero_keys(tmp_path):
    net = _trained_net()
    path = net.save_weights(tmp_path / "net.npz")
    assert path == str(tmp_path / "net.npz")
    with np.load(path, allow_pickle=False) as npz:
        assert {k: npz[k].shape for k in npz.files} == KEYS
    fresh = _trained_net(seed=1)
    fresh.load_weights(path)
    _assert_unchanged(fresh, _arrays(net))
    assert fresh.l1.W.dtype == np.float32


def test_loads_file_written_like_dezero_into_lazy_layers(tmp_path):
    rng = np.random.default_rng(2)
    arrays = {"l0/W": rng.standard_normal((3, 5)), "l0/b": rng.standard_normal(5),
              "l1/W": rng.standard_normal((5, 2)), "l1/b": rng.standard_normal(2)}
    path = _write_npz(tmp_path / "mlp.npz", arrays)
    model = models.MLP((5, 2))
    model.load_weights(path)
    for key, array in arrays.items():
        layer, name = key.split("/")
        got = getattr(getattr(model, layer), name)
        assert got.dtype == np.float32  # the layer's dtype, not the file's float64
        np.testing.assert_allclose(got.data, array.astype(np.float32))
    assert model(np.ones((1, 3), np.float32)).shape == (1, 2)


def test_path_without_suffix_gets_npz_like_np_savez(tmp_path):
    net = _trained_net()
    written = net.save_weights(tmp_path / "weights")
    assert written == str(tmp_path / "weights.npz") and os.path.exists(written)
    fresh = Net()
    fresh.load_weights(tmp_path / "weights")
    _assert_unchanged(fresh, _arrays(net))


def test_save_does_not_move_the_model(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(Variable, "to_cpu", lambda self: calls.append(self))
    monkeypatch.setattr(L.Layer, "to_cpu", lambda self: calls.append(self))
    _trained_net().save_weights(tmp_path / "w.npz")
    assert calls == []


def test_save_refuses_uninitialised_parameters(tmp_path):
    with pytest.raises(ValueError, match="'l0/W'.*forward pass"):
        models.MLP((3,)).save_weights(tmp_path / "w.npz")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("drop, add, message", [
    ("l1/b", None, "missing from the file: l1/b"),
    ("bn/avg_var", None, "missing from the file: bn/avg_var"),
    (None, "l2/W", "in the file but not in the Net: l2/W"),
])
def test_missing_or_extra_entries_are_named_and_nothing_loads(tmp_path, drop, add, message):
    source = _arrays(_trained_net(seed=3))
    if drop:
        del source[drop]
    if add:
        source[add] = np.zeros((2, 2), np.float32)
    path = _write_npz(tmp_path / "bad.npz", source)
    net = _trained_net()
    before = _arrays(net)
    with pytest.raises(ValueError, match=message):
        net.load_weights(path)
    _assert_unchanged(net, before)


def test_wrong_shape_is_named_and_nothing_loads(tmp_path):
    source = _arrays(_trained_net(seed=3))
    source["block/fc/W"] = np.zeros((4, 3), np.float32)
    path = _write_npz(tmp_path / "bad.npz", source)
    net = _trained_net()
    before = _arrays(net)
    with pytest.raises(ValueError, match=r"'block/fc/W'.*\(4, 3\).*\(4, 2\)"):
        net.load_weights(path)
    _assert_unchanged(net, before)


def test_wrong_shape_caught_even_for_lazily_sized_layers(tmp_path):
    path = _write_npz(tmp_path / "bad.npz", {"l0/W": np.zeros((3, 6)), "l0/b": np.zeros(5)})
    model = models.MLP((5,))
    with pytest.raises(ValueError, match=r"'l0/W'.*\(3, 6\).*\(\?, 5\)"):
        model.load_weights(path)
    assert model.l0.W.data is None


class _Marker:
    """Unpickling this creates a file: proof that code from the file ran."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_pickled_objects_in_npz_never_run(tmp_path):
    marker = tmp_path / "pwned"
    source = _arrays(_trained_net())
    source["l1/W"] = np.array([_Marker(str(marker))], dtype=object)
    path = tmp_path / "evil.npz"
    np.savez(path, **source)
    net = _trained_net()
    before = _arrays(net)
    with pytest.raises(ValueError, match="'l1/W'.*pickl"):
        net.load_weights(path)
    assert not marker.exists()
    _assert_unchanged(net, before)


def test_plain_pickle_file_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.npz"
    path.write_bytes(pickle.dumps(_Marker(str(marker))))
    with pytest.raises(ValueError, match="not an .npz weights file"):
        _trained_net().load_weights(path)
    assert not marker.exists()


def test_damaged_and_foreign_files_are_reported(tmp_path):
    good = _trained_net().save_weights(tmp_path / "good.npz")
    data = open(good, "rb").read()
    (tmp_path / "cut.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="cut.npz"):
        _trained_net().load_weights(tmp_path / "cut.npz")
    np.save(tmp_path / "single.npy", np.zeros(3))
    with pytest.raises(ValueError, match="single array"):
        _trained_net().load_weights(tmp_path / "single.npy")
    np.savez(tmp_path / "text.npz", **{"l1/W": np.array(["a", "b"])})
    with pytest.raises(ValueError, match="'l1/W'.*numeric"):
        _trained_net().load_weights(tmp_path / "text.npz")
    with pytest.raises(FileNotFoundError, match="nowhere.npz"):
        _trained_net().load_weights(tmp_path / "nowhere.npz")


@pytest.mark.parametrize("error", [RuntimeError("disk full"), KeyboardInterrupt()])
def test_crash_mid_write_keeps_the_old_file(tmp_path, monkeypatch, error):
    net = _trained_net()
    path = net.save_weights(tmp_path / "w.npz")
    old = open(path, "rb").read()
    real_write = np.lib.format.write_array
    written = []

    def failing_write(fp, array, *args, **kwargs):
        if written:  # the first member is written, then the "crash"
            raise error
        written.append(True)
        real_write(fp, array, *args, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", failing_write)
    net.l1.W.data = net.l1.W.data + 1
    with pytest.raises(type(error)):
        net.save_weights(path)
    assert written
    assert open(path, "rb").read() == old
    assert os.listdir(tmp_path) == ["w.npz"]  # no temporary file left behind


def test_overwrite_replaces_file_completely(tmp_path):
    net = _trained_net()
    path = net.save_weights(tmp_path / "w.npz")
    net.l1.b.data = net.l1.b.data + 5
    net.save_weights(path)
    fresh = Net()
    fresh.load_weights(path)
    _assert_unchanged(fresh, _arrays(net))
    assert sorted(os.listdir(tmp_path)) == ["w.npz"]


def test_batch_norm_state_round_trips_and_is_used_in_test_mode(tmp_path):
    import dezero
    net = _trained_net()
    for _ in range(3):
        net(np.random.default_rng(4).standard_normal((5, 3)).astype(np.float32) + 2)
    x = np.ones((2, 3), np.float32)
    with dezero.test_mode():
        want = net(x).data
    path = net.save_weights(tmp_path / "bn")
    fresh = Net()
    fresh.load_weights(path)
    np.testing.assert_array_equal(fresh.bn.avg_mean.data, net.bn.avg_mean.data)
    with dezero.test_mode():
        np.testing.assert_allclose(fresh(x).data, want, rtol=1e-6)


@pytest.mark.skipif(not cuda.gpu_enable, reason="needs CuPy and a GPU")
def test_gpu_model_saves_in_place_and_loads_onto_the_gpu(tmp_path):
    _check_device_save_load(tmp_path)


def test_model_on_a_stand_in_device_saves_and_loads_onto_it(tmp_path, device):
    # the same check with tests/device_checks.py's stand-in for CuPy: runs without a GPU
    _check_device_save_load(tmp_path)


def _check_device_save_load(tmp_path) -> None:
    """A model moved to the device saves its weights (as NumPy) without leaving it, and a
    fresh model on the device loads them onto the device."""
    net = _trained_net()
    before = _arrays(net)
    net.to_gpu()
    path = net.save_weights(tmp_path / "gpu.npz")
    assert all(cuda.get_array_module(v.data) is cuda.cp for v, _, _ in net._weights().values())
    fresh = _trained_net(seed=1)
    fresh.to_gpu()
    fresh.load_weights(path)
    for key, (var, _, _) in fresh._weights().items():
        assert cuda.get_array_module(var.data) is cuda.cp, key
        np.testing.assert_array_equal(cuda.as_numpy(var.data), before[key])
