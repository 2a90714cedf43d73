"""dezero.layers: registration, traversal, initialisation and each layer's maths."""
from __future__ import annotations

import copy
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from opdata.conv import conv2d_ref

import dezero
import dezero.functions as F
import dezero.layers as L
from dezero import Parameter, Variable, models, optimizers
from dezero.gradcheck import gradcheck


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


# -- Layer: registration and traversal -------------------------------------------
class Pair(L.Layer):
    def __init__(self):
        super().__init__()
        self.zeta = Parameter(np.zeros(1), name="zeta")
        self.alpha = Parameter(np.ones(2), name="alpha")
        self.inner = L.Linear(2, in_size=3)
        self.mid = Parameter(np.ones(3), name="mid")


def test_params_follow_assignment_order_and_paths():
    layer = Pair()
    names = [n for n, _ in layer.named_params()]
    assert names == ["zeta", "alpha", "inner.W", "inner.b", "mid"]
    assert [p for p in layer.params()] == [p for _, p in layer.named_params()]
    assert [p.name for p in layer.params()] == ["zeta", "alpha", "W", "b", "mid"]
    assert [(n, type(x).__name__) for n, x in layer.named_layers()] == [("inner", "Linear")]


def test_named_params_and_layers_recurse_with_dotted_paths():
    outer = L.Layer()
    outer.block = Pair()
    outer.head = L.Linear(1, in_size=2, nobias=True)
    assert [n for n, _ in outer.named_layers()] == ["block", "block.inner", "head"]
    assert [n for n, _ in outer.named_params()] == [
        "block.zeta", "block.alpha", "block.inner.W", "block.inner.b", "block.mid", "head.W"]
    assert outer.block.inner in [layer for _, layer in outer.named_layers()]


def test_reassign_and_delete_unregister():
    layer = Pair()
    layer.alpha = None
    layer.h = Variable(np.ones(2))  # a plain Variable (e.g. an RNN state) is not a weight
    del layer.mid
    assert [n for n, _ in layer.named_params()] == ["zeta", "inner.W", "inner.b"]
    layer.inner = L.Linear(5, in_size=1)
    assert [n for n, _ in layer.named_params()] == ["zeta", "inner.W", "inner.b"]
    assert layer.inner.W.shape == (1, 5)


def test_shared_parameter_and_layer_yielded_once():
    shared = L.Linear(2, in_size=2)
    outer = L.Layer()
    outer.a = shared
    outer.b = shared
    outer.p = shared.W
    assert len(list(outer.params())) == 2
    assert [n for n, _ in outer.named_layers()] == ["a"]


def test_layer_cycle_is_an_error():
    a, b = L.Layer(), L.Layer()
    a.child = b
    b.child = a
    with pytest.raises(ValueError, match="contains itself"):
        list(a.params())


def test_subclass_without_super_init_still_registers():
    class Lazy(L.Layer):
        def __init__(self):
            self.W = Parameter(np.ones(2))

    assert [n for n, _ in Lazy().named_params()] == ["W"]


def test_params_order_identical_across_processes():
    # DeZero keeps names in a set, whose order depends on PYTHONHASHSEED.
    script = textwrap.dedent("""
        import numpy as np
        import dezero.layers as L
        from dezero import Parameter
        layer = L.Layer()
        for name in ["w%d" % i for i in range(40)]:
            setattr(layer, name, Parameter(np.zeros(1)))
        print(" ".join(n for n, _ in layer.named_params()))
    """)
    outs = []
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                             env=env, check=True)
        outs.append(res.stdout.split())
    assert outs[0] == outs[1] == [f"w{i}" for i in range(40)]


def test_call_keeps_weak_references_to_inputs_and_outputs():
    class Two(L.Layer):
        def forward(self, x):
            return x * 2, x * 3

    layer = Two()
    x = Variable(np.ones(2))
    y2, y3 = layer(x)
    assert layer.inputs[0]() is x
    assert [r() for r in layer.outputs] == [y2, y3]
    del y2
    assert layer.outputs[0]() is None
    single = L.Linear(1, in_size=2)
    out = single(np.ones((1, 2), np.float32))
    assert isinstance(out, Variable) and single.outputs[0]() is out


def test_forward_not_implemented_names_the_class():
    class Empty(L.Layer):
        pass

    with pytest.raises(NotImplementedError, match="Empty.forward"):
        Empty()(np.ones(1))


def test_cleargrads_clears_every_param():
    layer = Pair()
    y = F.sum(layer.inner(np.ones((1, 3), np.float32))) + F.sum(layer.alpha)
    y.backward()
    assert layer.inner.W.grad is not None and layer.alpha.grad is not None
    layer.cleargrads()
    assert all(p.grad is None for p in layer.params())


def test_to_cpu_keeps_numpy_data():
    layer = Pair()
    layer.to_cpu()
    assert all(isinstance(p.data, np.ndarray) for p in layer.params())


# -- Linear ---------------------------------------------------------------------
def test_linear_infers_in_size_and_computes_affine_map():
    layer = L.Linear(4)
    assert layer.W.data is None
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    y = layer(x)
    assert layer.in_size == 3 and layer.W.shape == (3, 4) and layer.b.shape == (4,)
    np.testing.assert_allclose(y.data, x @ layer.W.data + layer.b.data, rtol=1e-6)
    assert y.dtype == np.float32


def test_linear_nd_input_uses_last_axis():
    layer = L.Linear(2)
    y = layer(np.ones((4, 5, 3), np.float32))
    assert layer.W.shape == (3, 2) and y.shape == (4, 5, 2)


def test_linear_init_draws_dezero_numbers_in_dtype():
    for dtype in (np.float32, np.float64):
        np.random.seed(7)
        layer = L.Linear(30, in_size=400, dtype=dtype)
        np.random.seed(7)
        want = np.random.randn(400, 30).astype(dtype) * dtype(np.sqrt(1 / 400))
        assert layer.W.dtype == dtype and layer.b.dtype == dtype
        np.testing.assert_array_equal(layer.W.data, want)
        assert abs(layer.W.data.std() - 0.05) < 0.005


def test_linear_nobias_has_no_b():
    layer = L.Linear(3, nobias=True, in_size=2)
    assert layer.b is None and [n for n, _ in layer.named_params()] == ["W"]
    x = np.ones((1, 2), np.float32)
    np.testing.assert_allclose(layer(x).data, x @ layer.W.data)


def test_linear_gradcheck_wrt_input_and_params():
    rng = np.random.default_rng(1)
    layer = L.Linear(3, in_size=4)

    def f(x, W, b):
        layer.W, layer.b = W, b  # plain Variables: gradcheck owns them
        return layer(x)

    assert gradcheck(f, rng.standard_normal((2, 4)), rng.standard_normal((4, 3)),
                     rng.standard_normal(3))


# -- RNN / LSTM -----------------------------------------------------------------
def test_rnn_matches_numpy_recurrence_and_resets():
    rng = np.random.default_rng(2)
    rnn = L.RNN(3, in_size=2)
    xs = rng.standard_normal((3, 4, 2)).astype(np.float32)
    Wx, bx, Wh = rnn.x2h.W.data, rnn.x2h.b.data, rnn.h2h.W.data
    h = np.tanh(xs[0] @ Wx + bx)
    np.testing.assert_allclose(rnn(xs[0]).data, h, rtol=1e-5)
    for x in xs[1:]:
        h = np.tanh(x @ Wx + bx + h @ Wh)
        np.testing.assert_allclose(rnn(x).data, h, rtol=1e-5, atol=1e-6)
    rnn.reset_state()
    assert rnn.h is None
    np.testing.assert_allclose(rnn(xs[0]).data, np.tanh(xs[0] @ Wx + bx), rtol=1e-5)


def test_rnn_hidden_to_hidden_is_square_when_in_size_given():
    # DeZero 0.0.13 makes h2h (in_size, hidden) and fails at the second step.
    rnn = L.RNN(4, in_size=2)
    assert rnn.h2h.W.shape == (4, 4)
    rnn(np.ones((1, 2), np.float32))
    assert rnn(np.ones((1, 2), np.float32)).shape == (1, 4)


def test_rnn_lazy_and_gradcheck_through_two_steps():
    rng = np.random.default_rng(3)
    rnn = L.RNN(3)
    rnn(np.zeros((2, 2)))
    rnn(np.zeros((2, 2)))
    assert rnn.x2h.W.shape == (2, 3) and rnn.h2h.W.shape == (3, 3)

    def f(x1, x2, Wx, Wh):
        rnn.reset_state()
        rnn.x2h.W, rnn.h2h.W = Wx, Wh
        rnn(x1)
        return rnn(x2)

    assert gradcheck(f, rng.standard_normal((2, 2)), rng.standard_normal((2, 2)),
                     rng.standard_normal((2, 3)), rng.standard_normal((3, 3)))


def _lstm_reference(lstm, xs):
    def lin(name, x):
        layer = getattr(lstm, name)
        y = x @ layer.W.data
        return y + layer.b.data if layer.b is not None else y

    h = c = None
    for x in xs:
        pre = {g: lin("x2" + g, x) + (0 if h is None else lin("h2" + g, h)) for g in "fiou"}
        f, i, o = _sigmoid(pre["f"]), _sigmoid(pre["i"]), _sigmoid(pre["o"])
        u = np.tanh(pre["u"])
        c = i * u if c is None else f * c + i * u
        h = o * np.tanh(c)
    return h


def test_lstm_matches_numpy_reference():
    rng = np.random.default_rng(4)
    lstm = L.LSTM(3, in_size=2)
    assert [n for n, _ in lstm.named_layers()] == [
        "x2f", "x2i", "x2o", "x2u", "h2f", "h2i", "h2o", "h2u"]
    xs = rng.standard_normal((3, 2, 2)).astype(np.float32)
    for t in range(3):
        h = lstm(xs[t])
        np.testing.assert_allclose(h.data, _lstm_reference(lstm, xs[:t + 1]),
                                   rtol=1e-5, atol=1e-6)
    lstm.reset_state()
    assert lstm.h is None and lstm.c is None
    np.testing.assert_allclose(lstm(xs[0]).data, _lstm_reference(lstm, xs[:1]), rtol=1e-5)


def test_lstm_gradcheck_through_two_steps():
    rng = np.random.default_rng(5)
    lstm = L.LSTM(2, in_size=2)

    def f(x1, x2, Wf, Wu):
        lstm.reset_state()
        lstm.x2f.W, lstm.h2u.W = Wf, Wu
        lstm(x1)
        return lstm(x2)

    assert gradcheck(f, rng.standard_normal((2, 2)), rng.standard_normal((2, 2)),
                     rng.standard_normal((2, 2)), rng.standard_normal((2, 2)))


# -- EmbedID / BatchNorm ----------------------------------------------------------
def test_embed_id_looks_up_rows_and_accumulates_gradients():
    np.random.seed(0)
    embed = L.EmbedID(5, 3)
    assert embed.W.shape == (5, 3) and embed.W.dtype == np.float32
    ids = np.array([[1, 4], [1, 0]])
    y = embed(ids)
    np.testing.assert_array_equal(y.data, embed.W.data[ids])
    gy = np.arange(12, dtype=np.float32).reshape(2, 2, 3)
    F.sum(y * gy).backward()
    want = np.zeros((5, 3), np.float32)
    np.add.at(want, ids, gy)
    np.testing.assert_allclose(embed.W.grad.data, want)


def _batch_norm_layer_with_data(rng):
    bn = L.BatchNorm()
    x = (rng.standard_normal((8, 3)) * [1.0, 2.0, 0.5] + [0.0, 3.0, -1.0]).astype(np.float32)
    return bn, x


def test_batch_norm_normalises_in_train_mode_and_keeps_state_out_of_params():
    bn, x = _batch_norm_layer_with_data(np.random.default_rng(6))
    y = bn(x)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.data.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(y.data.std(axis=0), 1, rtol=1e-3)
    assert [n for n, _ in bn.named_params()] == ["gamma", "beta"]
    assert [n for n, _ in bn.named_states()] == ["avg_mean", "avg_var"]
    # The running mean moved from 0 towards the batch mean with decay 0.9.
    np.testing.assert_allclose(bn.avg_mean.data, 0.1 * x.mean(axis=0), rtol=1e-5)


def test_batch_norm_test_mode_uses_running_statistics():
    bn, x = _batch_norm_layer_with_data(np.random.default_rng(7))
    bn(x)
    mean, var = bn.avg_mean.data.copy(), bn.avg_var.data.copy()
    with dezero.test_mode():
        y = bn(x)
    np.testing.assert_allclose(y.data, (x - mean) / np.sqrt(var + 2e-5), rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(bn.avg_mean.data, mean)


def test_batch_norm_rejects_channel_change():
    bn = L.BatchNorm()
    bn(np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match="3"):
        bn(np.ones((2, 4), np.float32))


# -- Conv2d / Deconv2d --------------------------------------------------------------
def test_conv2d_lazy_shapes_and_values():
    rng = np.random.default_rng(8)
    conv = L.Conv2d(4, kernel_size=(3, 2), stride=(2, 1), pad=1)
    assert conv.W.data is None
    x = rng.standard_normal((2, 3, 6, 5)).astype(np.float32)
    y = conv(x)
    assert conv.in_channels == 3 and conv.W.shape == (4, 3, 3, 2) and conv.W.dtype == np.float32
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.data, conv2d_ref(x, conv.W.data, conv.b.data, (2, 1), 1),
                               rtol=1e-4, atol=1e-5)
    assert abs(conv.W.data.std() - np.sqrt(1 / 18)) < 0.15


def test_conv2d_init_with_in_channels_draws_dezero_numbers():
    np.random.seed(3)
    conv = L.Conv2d(5, 3, nobias=True, in_channels=2)
    np.random.seed(3)
    want = np.random.randn(5, 2, 3, 3).astype(np.float32) * np.float32(np.sqrt(1 / 18))
    np.testing.assert_array_equal(conv.W.data, want)
    assert conv.b is None


def test_deconv2d_is_the_adjoint_of_conv2d():
    # <deconv(x, W), z> = <x, conv(z, W)>: a transposed convolution is the adjoint.
    rng = np.random.default_rng(9)
    deconv = L.Deconv2d(3, kernel_size=3, stride=2, pad=1, nobias=True)
    x = rng.standard_normal((2, 4, 3, 3)).astype(np.float32)
    y = deconv(x)
    assert deconv.W.shape == (4, 3, 3, 3)
    assert y.shape == (2, 3, 5, 5)  # 2 * (3 - 1) + 3 - 2 * 1
    z = rng.standard_normal(y.shape)
    lhs = float((y.data * z).sum())
    rhs = float((x * conv2d_ref(z, deconv.W.data, None, 2, 1)).sum())
    assert lhs == pytest.approx(rhs, rel=1e-4)
    deconv_b = L.Deconv2d(3, kernel_size=3, stride=2, pad=1)
    deconv_b.W.data = deconv.W.data
    np.testing.assert_allclose(deconv_b(x).data, y.data, rtol=1e-6)  # bias starts at zero


def test_conv2d_gradcheck_and_bad_input():
    rng = np.random.default_rng(10)
    conv = L.Conv2d(2, kernel_size=2, stride=1, pad=1, in_channels=2)

    def f(x, W, b):
        conv.W, conv.b = W, b
        return conv(x)

    assert gradcheck(f, rng.standard_normal((1, 2, 3, 3)), rng.standard_normal((2, 2, 2, 2)),
                     rng.standard_normal(2))
    with pytest.raises(ValueError, match=r"Conv2d.*4-d.*\(2, 3\)"):
        L.Conv2d(2, 3)(np.ones((2, 3), np.float32))


def test_deepcopy_gives_an_independent_model():
    # DQN-style target networks copy a model with copy.deepcopy after it has been called.
    model = models.MLP((4, 2))
    F.sum(model(np.ones((1, 3), np.float32))).backward()
    target = copy.deepcopy(model)
    assert [n for n, _ in target.named_params()] == [n for n, _ in model.named_params()]
    frozen = {n: p.data.copy() for n, p in target.named_params()}
    optimizers.SGD(lr=1.0).setup(model).update()
    for name, p in target.named_params():
        np.testing.assert_array_equal(p.data, frozen[name])
    assert not np.array_equal(model.l0.W.data, target.l0.W.data)


def test_call_records_weak_inputs_and_outputs_without_touching_the_registries():
    layer = L.Linear(2, in_size=3)
    x = Variable(np.ones((1, 3), dtype=np.float32))
    y = layer(x)
    assert layer.inputs[0]() is x and layer.outputs[0]() is y
    assert [name for name, _ in layer.named_params()] == ["W", "b"]

    class Odd(L.Layer):  # a Parameter registered under the name call() records into
        def __init__(self):
            super().__init__()
            self.inputs = Parameter(np.ones(1))

        def forward(self, v):
            return v * 2

    odd = Odd()
    odd(Variable(np.ones(1)))
    assert list(odd.params()) == []  # replaced by the record, as an assignment would
    assert isinstance(odd.inputs, list) and len(odd.inputs) == 1
