"""dezero.layers beyond 0.0.13: GRU, Dropout and Layer.summary."""
from __future__ import annotations

import numpy as np
import pytest

import dezero
import dezero.layers as L
from dezero import Parameter, models
from dezero.gradcheck import gradcheck


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


# -- GRU ----------------------------------------------------------------------------
def _gru_reference(gru, xs):
    """PyTorch's GRU equations in NumPy, with the layer's weights; h_0 = 0."""
    def w(name):
        layer = getattr(gru, name)
        return layer.W.data.astype(np.float64), layer.b.data.astype(np.float64)

    (W_ir, b_ir), (W_iz, b_iz), (W_in, b_in) = w("x2r"), w("x2z"), w("x2n")
    (W_hr, b_hr), (W_hz, b_hz), (W_hn, b_hn) = w("h2r"), w("h2z"), w("h2n")
    h = np.zeros((xs.shape[1], W_hr.shape[0]))
    outs = []
    for x in xs.astype(np.float64):
        r = _sigmoid(x @ W_ir + b_ir + h @ W_hr + b_hr)
        z = _sigmoid(x @ W_iz + b_iz + h @ W_hz + b_hz)
        n = np.tanh(x @ W_in + b_in + r * (h @ W_hn + b_hn))
        h = (1 - z) * n + z * h
        outs.append(h)
    return outs


def _randomise_biases(gru, rng):
    for name in ("x2r", "x2z", "x2n", "h2r", "h2z", "h2n"):
        b = getattr(gru, name).b
        b.data = rng.standard_normal(b.shape).astype(b.dtype)


def test_gru_matches_numpy_equations_over_several_steps():
    rng = np.random.default_rng(10)
    gru = L.GRU(3, in_size=2)
    assert [n for n, _ in gru.named_layers()] == ["x2r", "x2z", "x2n", "h2r", "h2z", "h2n"]
    assert gru.x2r.W.shape == (2, 3) and gru.h2n.W.shape == (3, 3)
    # Non-zero biases: b_hr, b_hz and b_hn matter at the first step too (h_0 = 0).
    _randomise_biases(gru, rng)
    xs = rng.standard_normal((4, 5, 2)).astype(np.float32)
    want = _gru_reference(gru, xs)
    for t in range(4):
        h = gru(xs[t])
        assert h.shape == (5, 3) and h.dtype == np.float32
        np.testing.assert_allclose(h.data, want[t], rtol=1e-5, atol=1e-6)
    gru.reset_state()
    assert gru.h is None
    np.testing.assert_allclose(gru(xs[0]).data, want[0], rtol=1e-5, atol=1e-6)


def test_gru_lazy_input_size():
    gru = L.GRU(4)
    gru(np.ones((2, 3), np.float32))
    assert gru.x2z.W.shape == (3, 4) and gru.h2z.W.shape == (4, 4)
    assert gru(np.ones((2, 3), np.float32)).shape == (2, 4)


def test_gru_gradcheck_through_two_steps():
    rng = np.random.default_rng(11)
    gru = L.GRU(2, in_size=2)
    _randomise_biases(gru, rng)

    def f(x1, x2, W_iz, W_hr, W_hn, b_hn):
        gru.reset_state()
        gru.x2z.W, gru.h2r.W, gru.h2n.W, gru.h2n.b = W_iz, W_hr, W_hn, b_hn
        gru(x1)
        return gru(x2)

    assert gradcheck(f, rng.standard_normal((2, 2)), rng.standard_normal((2, 2)),
                     rng.standard_normal((2, 2)), rng.standard_normal((2, 2)),
                     rng.standard_normal((2, 2)), rng.standard_normal(2))


def test_gru_batch_change_mid_sequence_says_reset_state():
    gru = L.GRU(4)
    gru(np.ones((2, 3), dtype=np.float32))
    with pytest.raises(ValueError, match=r"GRU: .*batch.*\(3,\).*\(2,\).*reset_state"):
        gru(np.ones((3, 3), dtype=np.float32))
    gru.reset_state()
    assert gru(np.ones((3, 3), dtype=np.float32)).shape == (3, 4)


@pytest.mark.parametrize("make, error, words", [
    (lambda: L.GRU(0), ValueError, ["GRU", "hidden_size", "0"]),
    (lambda: L.GRU(True), TypeError, ["GRU", "hidden_size", "True"]),
    (lambda: L.GRU(3, in_size=2.0), TypeError, ["GRU", "in_size", "2.0"]),
    (lambda: L.Dropout(1.0), ValueError, ["Dropout", "ratio", "1.0"]),
    (lambda: L.Dropout(-0.1), ValueError, ["Dropout", "ratio", "-0.1"]),
    (lambda: L.Dropout("0.5"), TypeError, ["Dropout", "ratio", "'0.5'"]),
    (lambda: L.Dropout(float("nan")), ValueError, ["Dropout", "ratio", "nan"]),
])
def test_constructor_arguments_are_checked(make, error, words):
    with pytest.raises(error) as info:
        make()
    for word in words:
        assert word in str(info.value)


# -- Dropout ------------------------------------------------------------------------
def test_dropout_in_training_zeroes_and_scales_and_is_identity_in_test_mode():
    np.random.seed(0)
    layer = L.Dropout(0.25)
    assert layer.ratio == 0.25 and list(layer.params()) == []
    x = np.ones((200, 50), np.float32)
    y = layer(x)
    assert y.dtype == np.float32
    values = np.unique(y.data)
    assert values.tolist() == [0.0, pytest.approx(1 / 0.75)]
    assert abs((y.data == 0).mean() - 0.25) < 0.02
    with dezero.test_mode():
        np.testing.assert_array_equal(layer(x).data, x)
    np.testing.assert_array_equal(L.Dropout(0)(x).data, x)
    assert L.Dropout().ratio == 0.5


def test_dropout_gradient_follows_the_mask():
    np.random.seed(1)
    x = dezero.Variable(np.ones((4, 6)))
    y = L.Dropout(0.5)(x)
    y.backward()
    np.testing.assert_array_equal(x.grad.data, y.data)  # mask / (1 - ratio), as y for x = 1


def test_dropout_refuses_non_arrays():
    with pytest.raises(TypeError, match="Dropout: the input must be a Variable or an array"):
        L.Dropout()([1.0, 2.0])


# -- Layer.summary ------------------------------------------------------------------
def test_summary_of_an_mlp_matches_hand_counts_and_sizes_lazy_layers():
    model = models.MLP((10, 3))
    assert model.l0.W.data is None
    table = model.summary(np.zeros((2, 4), np.float32))
    assert model.l0.W.shape == (4, 10)  # sized by the run
    assert [tuple(r) for r in table.rows] == [
        ("", "MLP", (2, 3), 0),
        ("l0", "Linear", (2, 10), 4 * 10 + 10),
        ("l1", "Linear", (2, 3), 10 * 3 + 3)]
    assert table.total_params == table.trainable_params == 4 * 10 + 10 + 10 * 3 + 3
    text = str(table)
    assert "l0" in text and "Linear" in text and "(2, 10)" in text and "50" in text
    assert "Total params: 83" in text and "Trainable params: 83" in text
    assert "Non-trainable params: 0" in text
    assert repr(table) == text
    # The temporary hooks are gone, and the run recorded no graph.
    assert not model._forward_hooks and not model.l0._forward_hooks


class Net(dezero.Model):
    def __init__(self):
        super().__init__()
        self.conv = L.Conv2d(4, kernel_size=3, pad=1)
        self.bn = L.BatchNorm()
        self.rnn = L.GRU(5)
        self.drop = L.Dropout(0.5)
        self.head = L.Linear(2, in_size=5)
        self.unused = L.Linear(7, in_size=3)
        self.shared = self.head  # the same layer under a second name: counted once

    def forward(self, x):
        y = self.bn(self.conv(x))
        h = self.rnn(y.reshape(y.shape[0], -1)[:, :6])
        return self.head(self.drop(h))


def test_summary_counts_states_as_non_trainable_and_shared_layers_once():
    np.random.seed(0)
    net = Net()
    net.rnn(np.ones((3, 6), np.float32))  # mid-sequence state must survive the summary
    state = net.rnn.h
    table = net.summary(np.ones((3, 2, 4, 4), np.float32))
    assert net.rnn.h is state
    rows = {r.path: r for r in table.rows}
    assert [r.path for r in table.rows] == ["", "conv", "bn", "rnn", "rnn.x2r", "rnn.x2z",
                                            "rnn.x2n", "rnn.h2r", "rnn.h2z", "rnn.h2n",
                                            "drop", "head", "unused"]
    assert rows["conv"].params == 4 * 2 * 3 * 3 + 4
    assert rows["conv"].output_shape == (3, 4, 4, 4)
    assert rows["bn"].params == 4 * 4  # gamma, beta, avg_mean, avg_var
    assert rows["rnn"].params == 0 and rows["rnn"].output_shape == (3, 5)
    assert rows["rnn.x2r"].params == 6 * 5 + 5 and rows["rnn.h2n"].params == 5 * 5 + 5
    assert rows["drop"].params == 0 and rows["drop"].output_shape == (3, 5)
    assert rows["head"].params == 5 * 2 + 2
    assert rows["unused"].output_shape is None and rows["unused"].params == 3 * 7 + 7
    gru = 3 * (6 * 5 + 5) + 3 * (5 * 5 + 5)
    trainable = (4 * 2 * 9 + 4) + 2 * 4 + gru + 12 + 28
    assert table.trainable_params == trainable
    assert table.total_params == trainable + 2 * 4
    assert sum(r.params for r in table.rows) == table.total_params
    assert "Non-trainable params: 8" in str(table)
    assert "--" in str(table)  # the unused layer's output shape
    # Test mode during the run: BatchNorm's running averages did not move.
    np.testing.assert_array_equal(net.bn.avg_mean.data, np.zeros(4, np.float32))


def test_summary_removes_its_hooks_when_the_model_fails():
    model = models.MLP((3,))
    model.register_forward_hook(lambda layer, inputs, outputs: None)
    with pytest.raises(TypeError, match="Linear: the input must be a Variable or an array"):
        model.summary("not an array")
    assert len(model._forward_hooks) == 1 and not model.l0._forward_hooks


def test_summary_keeps_user_hooks_and_parameter_shared_between_layers():
    class Tied(dezero.Model):
        def __init__(self):
            super().__init__()
            self.a = L.Linear(3, in_size=3)
            self.b = L.Linear(3, in_size=3, nobias=True)
            self.b.W = self.a.W

        def forward(self, x):
            return self.b(self.a(x))

    calls = []
    model = Tied()
    model.a.register_forward_hook(lambda layer, inputs, outputs: calls.append(1))
    table = model.summary(np.ones((1, 3), np.float32))
    assert calls == [1]
    assert [r.params for r in table.rows] == [0, 9 + 3, 0]
    assert table.total_params == 12
    assert isinstance(model.b.W, Parameter)
