"""dezero.onnx.export: the checker accepts every model and ONNX Runtime computes our outputs."""
import functools
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import dezero
import dezero.functions as F
import dezero.layers as L
from dezero.models import MLP, Sequential
from optional import require

onnx = require("onnx")
ort = require("onnxruntime")

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _x(*shape, seed=0, low=None):
    x = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    return np.abs(x) + low if low is not None else x


def run_both(fn, inputs, tmp_path, **kwargs):
    """Export ``fn``, check the model, return (ONNX Runtime outputs, dezero eager outputs)."""
    inputs = tuple(inputs)
    path = tmp_path / "model.onnx"
    dezero.onnx.export(fn, inputs, path, **kwargs)
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    got = session.run(None, dict(zip(names, inputs)))
    with dezero.test_mode():
        want = fn(*[dezero.Variable(x) for x in inputs])
    want = [want] if isinstance(want, dezero.Variable) else list(want)
    return got, [w.data for w in want]


def assert_same(fn, inputs, tmp_path, **kwargs):
    got, want = run_both(fn, inputs, tmp_path, **kwargs)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)


W = _x(4, 3, seed=7)
FAMILIES = {
    "linear": (lambda x: F.linear(x, W, _x(3, seed=8)), [_x(2, 4)]),
    "matmul": (lambda a, b: F.matmul(a, b), [_x(2, 4), _x(4, 3, seed=1)]),
    "add_sub_mul_div": (lambda a, b: (a + b) * (a - b) / (b * b + 1.0), [_x(2, 3), _x(2, 3, seed=1)]),
    "broadcast_arith": (lambda a, b: a * b - b, [_x(2, 3), _x(3, seed=1)]),
    "scalar_arith": (lambda x: (2.0 - x) / 3.0 + 1.0 / (x * x + 1.0) - x ** 2 + (-x), [_x(2, 3)]),
    "activations": (lambda x: F.relu(x) + F.sigmoid(x) + F.tanh(x) + F.leaky_relu(x, 0.1), [_x(3, 4)]),
    "exp_log_sqrt": (lambda x: F.exp(x) + F.log(x) + F.sqrt(x) + F.sin(x) + F.cos(x), [_x(3, 4, low=0.1)]),
    "softmax": (lambda x: (F.softmax(x), F.log_softmax(x)), [_x(3, 5)]),
    "reshape_transpose_flatten": (lambda x: F.flatten(F.transpose(x, (0, 2, 1))) + F.reshape(x, (2, 12)), [_x(2, 3, 4)]),
    "sum_mean": (lambda x: (F.sum(x), F.sum(x, axis=1, keepdims=True), F.mean(x, axis=0)), [_x(3, 4)]),
    "get_item": (lambda x: (x[1], x[:, 1:3], x[0, 2:]), [_x(3, 4)]),
    "clip_concat": (lambda x: F.concat([F.clip(x, -0.5, 0.5), x], axis=1), [_x(3, 2)]),
    "broadcast_to": (lambda x: F.broadcast_to(x, (3, 4)), [_x(1, 4)]),
    "max_min": (lambda x: (F.max(x), F.max(x, axis=1, keepdims=True), F.min(x, axis=(0, 2))),
                [_x(2, 3, 4)]),
    "where": (lambda x, y: F.where(_x(3, 4, seed=5) > 0, x, y), [_x(3, 4), _x(4, seed=1)]),
    "pad_modes": (lambda x: (F.pad(x, ((1, 2), (0, 3)), constant_values=1.5),
                             F.pad(x, 2, mode="edge"), F.pad(x, ((2, 1), (1, 2)), mode="reflect")),
                  [_x(3, 4)]),
    "split": (lambda x: F.split(x, 3, axis=1) + F.split(x, [1, 4], axis=1), [_x(2, 6)]),
    "split_dropped_output": (lambda x: F.split(x, 2, axis=0)[1], [_x(4, 3)]),
    "gelu_softplus_elu_silu": (lambda x: (F.gelu(x), F.gelu(x, approximate="tanh"),
                                          F.softplus(x), F.elu(x, 0.7), F.silu(x)),
                               [_x(3, 5) * 3]),
    "sqrt_square_abs": (lambda x: F.sqrt(F.abs(x)) + F.square(x), [_x(3, 4)]),
    "maximum_minimum": (lambda a, b: (F.maximum(a, b), F.minimum(a, b)), [_x(3, 4), _x(4, seed=1)]),
    "cumsum": (lambda x: (F.cumsum(x, axis=1), F.cumsum(x)), [_x(3, 4)]),
    "einsum": (lambda a, b: (F.einsum("ij,jk->ik", a, b), F.einsum("ij->j", a)),
               [_x(3, 4), _x(4, 2, seed=1)]),
    "logsumexp_var_std": (lambda x: (F.logsumexp(x, axis=1), F.logsumexp(x, keepdims=True),
                                     F.var(x, axis=0), F.std(x, axis=1, ddof=1)), [_x(3, 4)]),
    "layer_norm": (lambda x: (F.layer_norm(x, _x(4, seed=1), _x(4, seed=2)),
                              F.layer_norm(x, _x(3, 4, seed=1), _x(3, 4, seed=2), eps=1e-3)),
                   [_x(2, 3, 4)]),
    "embed_id_gather": (lambda x: F.embed_id(np.array([[0, 2], [1, 1]]), x), [_x(3, 4)]),
}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_op_family_matches_onnx_runtime(family, tmp_path):
    fn, inputs = FAMILIES[family]
    assert_same(fn, inputs, tmp_path)


def test_mlp_with_named_initializers(tmp_path):
    np.random.seed(0)
    model = MLP((16, 8, 3), activation=F.relu)
    assert_same(model, [_x(5, 10)], tmp_path)
    names = {i.name for i in onnx.load(str(tmp_path / "model.onnx")).graph.initializer}
    assert {"l0.W", "l0.b", "l1.W", "l2.b"} <= names


def _cnn():
    np.random.seed(0)
    pool = functools.partial(F.pooling, kernel_size=2, stride=2)
    return Sequential(L.Conv2d(4, 3, pad=1), F.relu, pool, L.Conv2d(6, 3, pad=1), F.relu,
                      functools.partial(F.average_pooling, kernel_size=2, stride=2),
                      F.flatten, L.Linear(5))


def test_small_cnn(tmp_path):
    assert_same(_cnn(), [_x(2, 1, 12, 12)], tmp_path)


def test_conv_stride_and_deconv(tmp_path):
    w, b = _x(3, 2, 3, 3, seed=1), _x(3, seed=2)
    assert_same(lambda x: F.conv2d(x, w, b, stride=2, pad=1), [_x(2, 2, 7, 7)], tmp_path)
    wt = _x(2, 3, 3, 3, seed=3)
    assert_same(lambda x: F.deconv2d(x, wt, None, stride=2, pad=1), [_x(1, 2, 4, 4)], tmp_path)


def test_batch_norm_and_dropout_in_test_mode(tmp_path):
    np.random.seed(0)
    model = Sequential(L.Conv2d(3, 3, pad=1), L.BatchNorm(), F.relu,
                       functools.partial(F.dropout, dropout_ratio=0.5), F.flatten, L.Linear(2))
    x = _x(4, 2, 5, 5)
    model(x)  # training mode: the running statistics move away from 0 and 1
    assert_same(model, [x], tmp_path)


def test_dynamic_batch(tmp_path):
    model = _cnn()
    path = tmp_path / "cnn.onnx"
    dezero.onnx.export(model, _x(2, 1, 12, 12), path, dynamic_batch=True,
                       input_names=["image"], output_names=["logits"])
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = _x(7, 1, 12, 12, seed=3)
    (got,) = session.run(["logits"], {"image": x})
    with dezero.test_mode():
        np.testing.assert_allclose(got, model(x).data, rtol=1e-5, atol=1e-5)


def test_unsupported_function_is_named(tmp_path):
    with pytest.raises(dezero.onnx.UnsupportedOperatorError, match="Function MeanSquaredError"):
        dezero.onnx.export(lambda x: F.mean_squared_error(x, x * 2.0), _x(3), tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


def test_names_must_match_the_program(tmp_path):
    with pytest.raises(ValueError, match="output_names has 2 name"):
        dezero.onnx.export(F.relu, _x(3), tmp_path / "m.onnx", output_names=["a", "b"])


def test_example_exports_and_agrees(tmp_path):
    from test_examples import write_bar_images
    write_bar_images(tmp_path / "data", n_train=60, n_test=50)
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / "export_onnx.py"), "--data-dir", str(tmp_path / "data"),
         "--epochs", "1", "--channels", "2", "4", "--hidden", "8", "--out", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=180, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    ours = float(proc.stdout.split("dezero test accuracy:")[1].split()[0])
    theirs = float(proc.stdout.split("ONNX Runtime test accuracy:")[1].split()[0])
    assert ours == theirs
    assert (tmp_path / "out" / "cnn.onnx").stat().st_size > 0


def _unrolled(layer, steps=3):
    def fn(x):
        layer.reset_state()
        for t in range(steps):
            h = layer(x[:, t])
        return h
    return fn


@pytest.mark.parametrize("cls", [L.RNN, L.LSTM, L.GRU])
def test_recurrent_layers_unrolled_three_steps(cls, tmp_path):
    np.random.seed(0)
    assert_same(_unrolled(cls(5, in_size=4)), [_x(2, 3, 4)], tmp_path)


def test_layer_norm_layer_and_opset_18_reductions(tmp_path):
    np.random.seed(0)
    model = Sequential(L.Linear(6), L.LayerNorm(6), F.gelu)
    assert_same(model, [_x(3, 4)], tmp_path)
    assert_same(lambda x: (F.max(x, axis=1), F.logsumexp(x, axis=0)), [_x(3, 4)], tmp_path,
                opset_version=18)


PADDING = np.array([[True, True, True, False, False], [True, True, True, True, True]])


@pytest.mark.parametrize("mask,causal", [(None, False), (None, True),
                                         (PADDING[:, None, None, :], False),
                                         (PADDING[:, None, None, :], True)])
def test_scaled_dot_product_attention(mask, causal, tmp_path):
    q, k, v = _x(2, 2, 4, 3), _x(2, 2, 5, 3, seed=1), _x(2, 2, 5, 6, seed=2)
    assert_same(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, mask=mask, causal=causal),
                [q, k, v], tmp_path)


def test_fully_masked_rows_give_zero_as_in_dezero(tmp_path):
    mask = np.array([[True, False, True], [False, False, False], [True, True, False]])
    got, want = run_both(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, mask=mask),
                         [_x(3, 2), _x(3, 2, seed=1), _x(3, 4, seed=2)], tmp_path)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-5, atol=1e-5)
    assert not np.isnan(got[0]).any() and (got[0][1] == 0).all()


def test_multi_head_attention(tmp_path):
    np.random.seed(0)
    mha = L.MultiHeadAttention(8, 2)
    x = _x(2, 4, 8)
    assert_same(lambda x: mha(x, causal=True), [x], tmp_path)
    mask = np.tril(np.ones((4, 4), dtype=bool))[None].repeat(2, axis=0)
    assert_same(lambda q, kv: mha(q, kv, mask=mask[:, :, :3]), [x, _x(2, 3, 8, seed=1)], tmp_path)
