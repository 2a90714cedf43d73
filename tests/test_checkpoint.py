"""Optimizer state_dict / load_state_dict and dezero.save_checkpoint / load_checkpoint: exact
resumption (in a new process too), pickle-free checked reading, atomic writes."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pytest

import dezero
import dezero.functions as F
import dezero.layers as L
from dezero import Variable, models, optimizers
from dezero.layers._weights import load_npz
from dezero.optimizers import schedulers

REPO = Path(__file__).resolve().parents[1]

# Shared by this process and the subprocess: a model, Adam with a hook, a composed schedule,
# and mini-batches drawn with NumPy's global random generator.
TRAINING = textwrap.dedent("""
    import numpy as np
    import dezero
    import dezero.functions as F
    from dezero import models, optimizers
    from dezero.optimizers import schedulers

    def build():
        model = models.MLP((16, 3))
        optimizer = optimizers.Adam(alpha=0.05).setup(model)
        optimizer.add_hook(optimizers.WeightDecay(1e-3))
        scheduler = schedulers.LinearWarmup(
            optimizer, 3, after=schedulers.CosineAnnealingLR(optimizer, T_max=7))
        return model, optimizer, scheduler

    def train(model, optimizer, scheduler, steps):
        data = np.random.RandomState(0)
        x, t = data.randn(40, 4).astype(np.float32), data.randint(0, 3, 40)
        for _ in range(steps):
            index = np.random.permutation(len(x))[:8]
            model.cleargrads()
            F.softmax_cross_entropy(model(x[index]), t[index]).backward()
            optimizer.update()
            scheduler.step()
    """)


def _namespace():
    space: dict = {}
    exec(TRAINING, space)
    return space


def _bits(model):
    """Every parameter's dtype and bytes, by path: equal only if equal bit for bit."""
    return {name: (p.data.dtype.str, p.data.tobytes()) for name, p in model.named_params()}


def test_resuming_in_a_new_process_is_exact(tmp_path):
    ns = _namespace()
    np.random.seed(0)
    model, optimizer, scheduler = ns["build"]()
    ns["train"](model, optimizer, scheduler, 10)
    straight = _bits(model)

    np.random.seed(0)
    model, optimizer, scheduler = ns["build"]()
    ns["train"](model, optimizer, scheduler, 5)
    path = dezero.save_checkpoint(tmp_path / "ck", model, optimizer, scheduler, step=5, rng=True)
    out = tmp_path / "resumed.npz"
    script = TRAINING + textwrap.dedent(f"""
        np.random.seed(123)  # overwritten by the checkpoint's state
        model, optimizer, scheduler = build()
        extra = dezero.load_checkpoint({str(path)!r}, model, optimizer, scheduler)
        assert extra == {{"step": 5}}, extra
        train(model, optimizer, scheduler, 5)
        model.save_weights({str(out)!r})
        """)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    resumed = load_npz(out)
    assert {k.replace("/", "."): (v.dtype.str, v.tobytes()) for k, v in resumed.items()} == \
        straight


def test_resuming_without_the_optimizer_state_or_rng_differs(tmp_path):
    """The exactness test can fail: leaving out a piece of the state changes the result."""
    ns = _namespace()
    np.random.seed(0)
    model, optimizer, scheduler = ns["build"]()
    ns["train"](model, optimizer, scheduler, 5)
    path = dezero.save_checkpoint(tmp_path / "ck", model, optimizer, scheduler, rng=True)
    ns["train"](model, optimizer, scheduler, 5)
    straight = _bits(model)
    for parts in ({"optimizer": False}, {"rng": False}):
        np.random.seed(1)
        model, optimizer, scheduler = ns["build"]()
        model(np.zeros((1, 4), np.float32))  # size the layers, for the optimizer-less load
        if parts.get("rng", True):
            dezero.load_checkpoint(path, model, scheduler=scheduler)
        else:
            saved = np.random.get_state()
            dezero.load_checkpoint(path, model, optimizer, scheduler)
            np.random.set_state(saved)
        ns["train"](model, optimizer, scheduler, 5)
        assert _bits(model) != straight, parts


# ----- optimizer state ----------------------------------------------------------------------------
OPTIMIZERS = [lambda: optimizers.SGD(0.1), lambda: optimizers.MomentumSGD(0.05),
              lambda: optimizers.AdaGrad(0.05), lambda: optimizers.AdaDelta(lr=0.5),
              lambda: optimizers.Adam(0.01), lambda: optimizers.AdamW(0.01, weight_decay=0.1)]


def _step(model, optimizer, x, t):
    model.cleargrads()
    F.mean_squared_error(model(x), t).backward()
    optimizer.update()


@pytest.mark.parametrize("make", OPTIMIZERS)
def test_state_dict_round_trip_continues_bit_for_bit(make):
    rng = np.random.default_rng(0)
    x, t = rng.standard_normal((6, 3)), rng.standard_normal((6, 2))
    np.random.seed(0)
    model = models.MLP((4, 2))
    opt = make().setup(model)
    opt.add_hook(optimizers.ClipGrad(1.0))
    opt.add_hook(optimizers.WeightDecay(1e-2))
    for _ in range(3):
        _step(model, opt, x, t)
    weights = {k: p.data.copy() for k, p in model.named_params()}
    state = opt.state_dict()

    np.random.seed(5)
    fresh = models.MLP((4, 2))
    fresh(x)
    for k, p in fresh.named_params():
        p.data = weights[k].copy()
    fresh_opt = make().setup(fresh)
    fresh_opt.add_hook(optimizers.ClipGrad(7.0))  # the settings come from the state
    fresh_opt.add_hook(optimizers.WeightDecay(0.5))
    fresh_opt.load_state_dict(state)
    assert fresh_opt.hooks[0].max_norm == 1.0 and fresh_opt.hooks[1].rate == 1e-2
    for _ in range(3):
        _step(model, opt, x, t)
        _step(fresh, fresh_opt, x, t)
    assert _bits(fresh) == _bits(model)


def test_state_dict_holds_numbers_and_array_copies_keyed_by_path():
    model = models.MLP((3, 2))
    opt = optimizers.Adam(0.01).setup(model)
    _step(model, opt, np.ones((2, 4)), np.zeros((2, 2)))
    state = opt.state_dict()
    assert state["hyperparameters"] == {"alpha": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}
    assert state["t"] == 1 and state["hooks"] == {}
    assert sorted(state["state"]) == ["l0.W", "l0.b", "l1.W", "l1.b"]
    m = state["state"]["l0.W"]["m"]
    assert isinstance(m, np.ndarray) and m.shape == model.l0.W.shape and m.any()
    before = m.copy()
    _step(model, opt, np.ones((2, 4)), np.zeros((2, 2)))
    assert np.array_equal(m, before)  # a copy, not the live array
    assert "t" not in optimizers.SGD().state_dict()


def test_load_state_dict_checks_everything_first():
    model = models.MLP((3, 2))
    opt = optimizers.Adam(0.01).setup(model)
    _step(model, opt, np.ones((2, 4)), np.zeros((2, 2)))
    state = opt.state_dict()
    fresh = models.MLP((3, 2))
    fresh(np.ones((2, 4)))
    target = optimizers.Adam(0.5).setup(fresh)
    with pytest.raises(ValueError, match=r"Adam.load_state_dict: the state does not match "
                                         r"\(missing: \['t'\]"):
        target.load_state_dict(optimizers.SGD().setup(fresh).state_dict())
    bad = dict(state, hyperparameters=dict(state["hyperparameters"], alpha=-1.0))
    with pytest.raises(ValueError, match=r"Adam: Invalid learning rate: alpha=-1.0"):
        target.load_state_dict(bad)
    wrong = json.loads(json.dumps({k: v for k, v in state.items() if k != "state"}))
    wrong["state"] = {"l0.W": {"m": np.zeros((9, 9))}}
    with pytest.raises(ValueError, match=r"state\['l0.W'\]\['m'\] has shape \(9, 9\), but the "
                                         r"parameter has shape \(4, 3\)"):
        target.load_state_dict(wrong)
    wrong["state"] = {"l7.W": {"m": np.zeros((4, 3))}}
    with pytest.raises(ValueError, match=r"parameters the target does not have: \['l7.W'\]"):
        target.load_state_dict(wrong)
    with pytest.raises(ValueError, match=r"hooks at positions \[\].*hooks with settings are at "
                                         r"\['0'\]"):
        target.add_hook(optimizers.WeightDecay(0.1))
        target.load_state_dict(state)
    assert target.alpha == 0.5 and target.t == 0 and not target._states  # unchanged
    with pytest.raises(RuntimeError, match=r"Adam.load_state_dict: .* no target; call "
                                           r"optimizer.setup\(model\) first"):
        optimizers.Adam().load_state_dict(state)
    lazy = optimizers.Adam().setup(models.MLP((3, 2)))
    with pytest.raises(ValueError, match=r"parameter 'l0.W' has no data yet; load the model"):
        lazy.load_state_dict(state)


# ----- checkpoint files ---------------------------------------------------------------------------
def test_extra_values_round_trip_with_their_types(tmp_path):
    extra = dict(epoch=3, loss=0.125, name="run-1", flag=True, nothing=None,
                 history=np.arange(5, dtype=np.float32), scale=np.float32(0.5),
                 nested={"best": [1, 2.5, "x"], "ids": np.array([[1, 2]], np.int64)})
    path = dezero.save_checkpoint(tmp_path / "ck.npz", **extra)
    assert path == str(tmp_path / "ck.npz")
    got = dezero.load_checkpoint(path)
    assert got.keys() == extra.keys()
    assert got["epoch"] == 3 and type(got["epoch"]) is int and got["loss"] == 0.125
    assert got["name"] == "run-1" and got["flag"] is True and got["nothing"] is None
    assert got["history"].dtype == np.float32 and np.array_equal(got["history"], np.arange(5))
    assert type(got["scale"]) is np.float32 and got["scale"] == 0.5
    assert got["nested"]["best"] == [1, 2.5, "x"]
    assert got["nested"]["ids"].dtype == np.int64 and got["nested"]["ids"].shape == (1, 2)


def test_rng_state_is_restored_on_load(tmp_path):
    np.random.seed(42)
    np.random.randn(3)
    path = dezero.save_checkpoint(tmp_path / "ck", rng=True)
    expected = np.random.randn(4)
    np.random.seed(7)
    assert "rng" not in dezero.load_checkpoint(path)
    assert np.array_equal(np.random.randn(4), expected)
    with pytest.raises(TypeError, match=r"save_checkpoint: rng must be True or False"):
        dezero.save_checkpoint(tmp_path / "other", rng="yes")


def test_no_pickle_and_bad_values_are_refused_before_writing(tmp_path):
    target = tmp_path / "ck.npz"
    dezero.save_checkpoint(target, epoch=1)
    before = target.read_bytes()
    for value, words in ((object(), "extra value 'bad' is <object"),
                         (np.array(["a"]), "dtype <U1"), ({1: 2}, "dict keys must be strings")):
        with pytest.raises(TypeError, match="save_checkpoint") as info:
            dezero.save_checkpoint(target, bad=value)
        assert words in str(info.value)
    assert target.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["ck.npz"]  # no temporary file left behind
    # A member holding Python objects is refused from its header: never unpickled.
    with zipfile.ZipFile(target, "a") as zf:
        with zf.open("extra/evil.npy", "w") as f:
            np.lib.format.write_array(f, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    meta = json.loads(zipfile.ZipFile(target).read("checkpoint.json"))
    meta["extra"]["evil"] = {"array": "extra/evil"}
    _rewrite_metadata(target, meta)
    with pytest.raises(ValueError, match=r"load_checkpoint: entry 'extra/evil' .* holds Python "
                                         r"objects"):
        dezero.load_checkpoint(target)


def _rewrite_metadata(path, meta):
    with zipfile.ZipFile(path) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    members["checkpoint.json"] = json.dumps(meta).encode()
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def test_model_and_optimizer_are_checked_before_anything_changes(tmp_path):
    np.random.seed(0)
    model = models.MLP((4, 2))
    opt = optimizers.Adam().setup(model)
    _step(model, opt, np.ones((3, 3)), np.zeros((3, 2)))
    path = dezero.save_checkpoint(tmp_path / "ck", model, opt)
    other = models.MLP((5, 2))
    other(np.ones((1, 3)))
    other_opt = optimizers.Adam().setup(other)
    before = _bits(other)
    with pytest.raises(ValueError, match=r"load_checkpoint: 'l0/W' in .* has shape \(3, 4\), "
                                         r"but the layer expects \(3, 5\)"):
        dezero.load_checkpoint(path, other, other_opt)
    assert _bits(other) == before and other_opt.t == 0
    with pytest.raises(ValueError, match=r"holds no scheduler state"):
        dezero.load_checkpoint(path, scheduler=schedulers.StepLR(optimizers.SGD(), 1))
    # A damaged optimizer entry (shape) is found from its header, before the model changes.
    meta = json.loads(zipfile.ZipFile(path).read("checkpoint.json"))
    meta["optimizer"]["dict"]["state"]["dict"]["l0.W"]["dict"]["m"] = {"array": "model/l0/b"}
    _rewrite_metadata(path, meta)
    fresh = models.MLP((4, 2))
    fresh_opt = optimizers.Adam().setup(fresh)
    with pytest.raises(ValueError, match=r"the optimizer's 'm' for 'l0.W' has shape \(4,\)"):
        dezero.load_checkpoint(path, fresh, fresh_opt)
    assert fresh.l0.W.data is None


def test_files_that_are_not_checkpoints_are_refused(tmp_path):
    model = L.Linear(2, in_size=3)
    weights = model.save_weights(tmp_path / "w.npz")
    with pytest.raises(ValueError, match=r"load_checkpoint: .* is not a checkpoint .* "
                                         r"Layer.load_weights"):
        dezero.load_checkpoint(weights)
    with pytest.raises(FileNotFoundError, match=r"load_checkpoint: no weights file"):
        dezero.load_checkpoint(tmp_path / "missing.npz")
    path = dezero.save_checkpoint(tmp_path / "ck", x=1)
    _rewrite_metadata(path, {"format": "dezero.checkpoint", "version": 99, "model": None,
                             "optimizer": None, "scheduler": None, "extra": {}, "rng": None})
    with pytest.raises(ValueError, match=r"version 99 checkpoint"):
        dezero.load_checkpoint(path)
    _rewrite_metadata(path, {"format": "dezero.checkpoint", "version": 1, "model": None,
                             "optimizer": None, "scheduler": None, "rng": None,
                             "extra": {"x": {"pickle": "x"}}})
    with pytest.raises(ValueError, match=r"damaged metadata .*extra\['x'\]"):
        dezero.load_checkpoint(path)
    with pytest.raises(TypeError, match=r"load_checkpoint: model must be a dezero Layer"):
        dezero.load_checkpoint(path, model="model")


def test_checkpoint_file_honours_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        path = dezero.save_checkpoint(tmp_path / "ck", x=Variable(np.ones(1)).data)
    finally:
        os.umask(old)
    assert os.stat(path).st_mode & 0o777 == 0o640
