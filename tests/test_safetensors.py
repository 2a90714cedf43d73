"""save_weights / load_weights with ``.safetensors`` paths (the optional ``safetensors`` extra)."""
from __future__ import annotations

import json
import os
import struct
import sys

import numpy as np
import pytest

import dezero.layers as L
from dezero import Parameter
from dezero.layers._weights import load_npz
from optional import require


class Net(L.Layer):
    """Nested layers, a lazily sized one, BatchNorm state and a float64 parameter."""

    def __init__(self):
        super().__init__()
        self.l1 = L.Linear(4, in_size=3)
        self.block = L.Layer()
        self.block.fc = L.Linear(2, nobias=True)
        self.bn = L.BatchNorm()
        self.scale = Parameter(np.full(1, 2.0))

    def forward(self, x):
        return self.bn(self.block.fc(self.l1(x))) * self.scale


def _net(seed):
    np.random.seed(seed)
    net = Net()
    net(np.random.default_rng(seed).standard_normal((5, 3)).astype(np.float32))
    return net


def _arrays(net):
    return {k: (v.dtype, v.copy()) for k, v in
            [("/".join(path.split(".")), p.data) for path, p in net.named_params()]
            + [("/".join(path.split(".")), s.data) for path, s in net.named_states()]}


def _equal(a, b):
    assert a.keys() == b.keys()
    for key in a:
        assert a[key][0] == b[key][0] and a[key][1].tobytes() == b[key][1].tobytes(), key


def test_round_trip_into_a_fresh_lazy_model(tmp_path):
    require("safetensors")
    net = _net(0)
    path = net.save_weights(tmp_path / "w.safetensors")
    assert path == str(tmp_path / "w.safetensors") and os.listdir(tmp_path) == ["w.safetensors"]
    fresh = Net()  # block.fc is still unsized
    fresh.load_weights(path)
    _equal(_arrays(fresh), _arrays(net))
    fresh(np.ones((2, 3), np.float32))  # the loaded model runs
    other = _net(1)
    other.load_weights(path)
    _equal(_arrays(other), _arrays(net))


def test_keys_are_the_npz_keys(tmp_path):
    st = require("safetensors.numpy")
    net = _net(0)
    from_npz = load_npz(net.save_weights(tmp_path / "w.npz"))
    from_st = st.load_file(net.save_weights(tmp_path / "w.safetensors"))
    assert sorted(from_st) == sorted(from_npz) == sorted(
        ["l1/W", "l1/b", "block/fc/W", "bn/gamma", "bn/beta", "bn/avg_mean", "bn/avg_var",
         "scale"])
    for key in from_npz:
        assert from_st[key].dtype == from_npz[key].dtype
        assert from_st[key].tobytes() == from_npz[key].tobytes()


def test_a_file_written_by_safetensors_itself_loads(tmp_path):
    st = require("safetensors.numpy")
    net = _net(0)
    arrays = {k: np.full_like(v, 0.25) for k, v in load_npz(net.save_weights(tmp_path / "w.npz")
                                                           ).items()}
    st.save_file(arrays, str(tmp_path / "direct.safetensors"), metadata={"by": "test"})
    net.load_weights(tmp_path / "direct.safetensors")
    assert np.all(net.l1.W.data == 0.25) and net.l1.W.data.dtype == np.float32
    assert np.all(net.bn.avg_var.data == 0.25)


def test_wrong_shape_missing_and_extra_entries_are_refused_unchanged(tmp_path):
    st = require("safetensors.numpy")
    net = _net(0)
    arrays = load_npz(net.save_weights(tmp_path / "w.npz"))
    before = _arrays(net)
    wrong = dict(arrays, **{"l1/W": np.zeros((3, 5), np.float32)})
    st.save_file(wrong, str(tmp_path / "shape.safetensors"))
    with pytest.raises(ValueError, match=r"load_weights: 'l1/W' in .*shape.safetensors has shape "
                                         r"\(3, 5\), but the layer expects \(3, 4\)"):
        net.load_weights(tmp_path / "shape.safetensors")
    missing = {k: v for k, v in arrays.items() if k != "scale"}
    st.save_file(dict(missing, extra=np.ones(1)), str(tmp_path / "names.safetensors"))
    with pytest.raises(ValueError, match=r"missing from the file: scale; in the file but not "
                                         r"in the Net: extra"):
        net.load_weights(tmp_path / "names.safetensors")
    _equal(_arrays(net), before)


def test_damaged_or_truncated_files_are_refused_before_data_is_read(tmp_path):
    require("safetensors")
    net = _net(0)
    path = tmp_path / "w.safetensors"
    data = open(net.save_weights(path), "rb").read()
    path.write_bytes(data[:-4])  # the last entry's bytes are cut off
    with pytest.raises(ValueError, match=r"is truncated or damaged: it declares shape"):
        net.load_weights(path)
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    header["l1/W"]["dtype"] = "BF16"
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + data[8 + n:])
    with pytest.raises(ValueError, match=r"entry 'l1/W' .* has dtype BF16, which NumPy cannot"):
        net.load_weights(path)
    path.write_bytes(b"\xff" * 16)
    with pytest.raises(ValueError, match=r"is not a .safetensors file"):
        net.load_weights(path)


def test_missing_package_is_a_clear_error_naming_the_extra(tmp_path, monkeypatch):
    net = _net(0)
    monkeypatch.setitem(sys.modules, "safetensors", None)
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)
    for action in (lambda: net.save_weights(tmp_path / "w.safetensors"),
                   lambda: net.load_weights(tmp_path / "w.safetensors")):
        with pytest.raises(ImportError, match=r"needs the optional 'safetensors' package: pip "
                                              r"install 'dezero\[safetensors\]'") as info:
            action()
        assert "w.safetensors" in str(info.value)
    assert os.listdir(tmp_path) == []
    net.save_weights(tmp_path / "w.npz")  # .npz needs nothing more
