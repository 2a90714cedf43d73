"""Activations, layer norm, attention and losses beyond DeZero: stability at |x| = 1000,
fully masked attention rows, the erf behind gelu, and named argument errors.

(Forward against NumPy, gradients to order 2 and float32 are checked by the rows in
tests/opdata/ through tests/test_ops.py.)"""
from __future__ import annotations

import math

import numpy as np
import pytest

import dezero.functions as F
from dezero import Variable
from dezero.functions.activation import _erfc
from dezero.gradcheck import gradcheck

BIG = np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0])


def _value_grad_grad(f, x):
    """y, dy/dx and d²y/dx² (elementwise f) at x."""
    v = Variable(x)
    y = f(v)
    y.backward(create_graph=True)
    gx = v.grad
    v.cleargrad()
    gx.backward()
    return y.data, gx.data, v.grad.data


# -- stability ------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, f, y, g", [
    ("softplus", F.softplus, [0, 0, math.log(2), 30, 1000], [0, 0, 0.5, 1, 1]),
    ("silu", F.silu, [0, 0, 0, 30, 1000], [0, 0, 0.5, 1, 1]),
    ("gelu", F.gelu, [0, 0, 0, 30, 1000], [0, 0, 0.5, 1, 1]),
    ("gelu-tanh", lambda x: F.gelu(x, approximate="tanh"), [0, 0, 0, 30, 1000], [0, 0, 0.5, 1, 1]),
    ("elu", F.elu, [-1, -1, 0, 30, 1000], [0, 0, 1, 1, 1]),
])
def test_activations_stay_finite_at_1000(name, f, y, g, dtype):
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        got_y, got_g, got_gg = _value_grad_grad(f, BIG.astype(dtype))
    for got in (got_y, got_g, got_gg):
        assert got.dtype == dtype and np.all(np.isfinite(got)), name
    np.testing.assert_allclose(got_y, y, atol=1e-6, rtol=1e-6)
    np.testing.assert_allclose(got_g, g, atol=1e-6, rtol=1e-6)
    np.testing.assert_allclose(got_gg[[0, -1]], 0, atol=1e-6)


def test_softplus_far_out_is_exact():
    x = np.array([-50.0, 50.0, 1e300, -1e300])
    np.testing.assert_array_equal(F.softplus(x).data, np.logaddexp(0, x))


# -- gelu's erf ------------------------------------------------------------------------------


def test_erfc_matches_math_to_double_precision():
    z = np.concatenate([np.linspace(-27, 27, 20001), [0.46875, -0.46875, 4.0, -4.0, 0.0]])
    want = np.array([math.erfc(v) for v in z])
    np.testing.assert_allclose(_erfc(z), want, rtol=4e-15, atol=1e-300)  # (denormals: a few ulp)
    np.testing.assert_array_equal(_erfc(np.array([np.inf, -np.inf, 1e300, -1e300])),
                                  [0.0, 2.0, 0.0, 2.0])
    assert np.isnan(_erfc(np.array([np.nan])))[0]


def test_gelu_exact_and_tanh_forms_agree_closely():
    x = np.linspace(-5, 5, 101)
    exact, approx = F.gelu(x).data, F.gelu(x, approximate="tanh").data
    np.testing.assert_allclose(exact, approx, atol=1e-3)
    assert np.max(np.abs(exact - approx)) > 1e-6  # but they are two functions


def test_gelu_gradcheck_wide_range():
    assert gradcheck(F.gelu, np.linspace(-8, 8, 17) + 0.01, order=2)


# -- attention ----------------------------------------------------------------------------------


def _qkv(rng, n=2, L=3, S=4, D=2, Dv=3):
    return (rng.standard_normal((n, L, D)), rng.standard_normal((n, S, D)),
            rng.standard_normal((n, S, Dv)))


def test_fully_masked_rows_give_zero_output_and_zero_gradients():
    rng = np.random.default_rng(0)
    q, k, v = _qkv(rng)
    mask = np.ones((2, 3, 4), dtype=bool)
    mask[0, 1] = False  # batch 0, query 1: no key at all
    qv, kv, vv = Variable(q), Variable(k), Variable(v)
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        y = F.scaled_dot_product_attention(qv, kv, vv, mask=mask)
        (y * Variable(rng.standard_normal(y.shape))).sum().backward()
    assert np.all(np.isfinite(y.data))
    np.testing.assert_array_equal(y.data[0, 1], 0)
    np.testing.assert_array_equal(qv.grad.data[0, 1], 0)
    for g in (qv.grad, kv.grad, vv.grad):
        assert np.all(np.isfinite(g.data))
    # The other rows are unaffected by the masked one.
    free = F.scaled_dot_product_attention(q, k, v).data
    np.testing.assert_allclose(y.data[1], free[1])
    np.testing.assert_allclose(y.data[0, [0, 2]], free[0, [0, 2]])
    assert gradcheck(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, mask=mask),
                     q, k, v, order=2)


def test_everything_masked_and_no_keys():
    rng = np.random.default_rng(1)
    q, k, v = _qkv(rng)
    y = F.scaled_dot_product_attention(q, k, v, mask=np.zeros((3, 4), dtype=bool))
    np.testing.assert_array_equal(y.data, np.zeros((2, 3, 3)))
    y = F.scaled_dot_product_attention(q, k[:, :0], v[:, :0])
    assert y.shape == (2, 3, 3) and not y.data.any()


def test_large_scores_are_stable():
    q = np.full((1, 2, 2), 1000.0)
    k = np.array([[[1000.0, 1000.0], [-1000.0, 1000.0], [999.0, 1000.0]]])
    v = np.eye(3)[None]
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        y = F.scaled_dot_product_attention(q, k, v).data
    assert np.all(np.isfinite(y))
    np.testing.assert_allclose(y.sum(-1), 1)


def test_causal_matches_explicit_lower_triangular_mask():
    rng = np.random.default_rng(2)
    q, k, v = _qkv(rng, L=4, S=4)
    tri = np.tril(np.ones((4, 4), dtype=bool))
    np.testing.assert_allclose(F.scaled_dot_product_attention(q, k, v, causal=True).data,
                               F.scaled_dot_product_attention(q, k, v, mask=tri).data)
    # Query 0 sees key 0 only: its output is v's row 0.
    np.testing.assert_allclose(F.scaled_dot_product_attention(q, k, v, causal=True).data[:, 0],
                               v[:, 0])


def test_attention_keeps_float32():
    rng = np.random.default_rng(3)
    q, k, v = (a.astype(np.float32) for a in _qkv(rng))
    y = F.scaled_dot_product_attention(q, k, v, mask=np.ones((3, 4), dtype=bool), causal=True)
    assert y.dtype == np.float32


@pytest.mark.parametrize("kwargs, shapes, error, words", [
    ({}, ((3,), (4, 3), (4, 2)), ValueError, "at least 2 axes"),
    ({}, ((3, 2), (4, 3), (4, 2)), ValueError, "same last axis"),
    ({}, ((3, 2), (4, 2), (5, 2)), ValueError, "number of keys"),
    ({}, ((2, 3, 2), (3, 4, 2), (3, 4, 2)), ValueError, "batch axes"),
    ({"mask": np.ones((3, 4))}, ((3, 2), (4, 2), (4, 2)), TypeError, "boolean"),
    ({"mask": np.ones((3, 5), dtype=bool)}, ((3, 2), (4, 2), (4, 2)), ValueError, "broadcast"),
    ({"mask": np.ones((2, 4), dtype=bool)}, ((1, 2), (4, 2), (4, 2)), ValueError, "broadcast"),
    ({"mask": "yes"}, ((3, 2), (4, 2), (4, 2)), TypeError, "boolean"),
    ({"causal": 1}, ((3, 2), (4, 2), (4, 2)), TypeError, "causal"),
])
def test_attention_errors_are_named(kwargs, shapes, error, words):
    arrays = [np.zeros(s) for s in shapes]
    with pytest.raises(error, match=f"scaled_dot_product_attention: .*{words}"):
        F.scaled_dot_product_attention(*arrays, **kwargs)


# -- layer_norm --------------------------------------------------------------------------------


def test_layer_norm_normalises_the_trailing_axes():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 4)) * 5 + 3
    y = F.layer_norm(x, np.ones((3, 4)), np.zeros((3, 4)), eps=0.0).data
    np.testing.assert_allclose(y.mean(axis=(1, 2)), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(1, 2)), 1, atol=1e-12)
    y32 = F.layer_norm(x.astype(np.float32), np.ones(4, np.float32), np.zeros(4, np.float32))
    assert y32.dtype == np.float32


def test_layer_norm_constant_rows_and_large_values():
    x = np.array([[1e4, 1e4, 1e4], [1e4, 1e4 + 1, 1e4 - 1]])
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        y = F.layer_norm(x, np.ones(3), np.zeros(3))
    np.testing.assert_allclose(y.data[0], 0)
    np.testing.assert_allclose(y.data[1], [0, 1.2247, -1.2247], atol=1e-4)


@pytest.mark.parametrize("args, error, words", [
    (((2, 3), (2,), (2,)), ValueError, "trailing axes"),
    (((2, 3), (3,), (2,)), ValueError, "beta"),
    (((2, 3), (), ()), ValueError, "at least one axis"),
    (((3,), (2, 3), (2, 3)), ValueError, "trailing axes"),
])
def test_layer_norm_shape_errors(args, error, words):
    with pytest.raises(error, match=f"layer_norm: .*{words}"):
        F.layer_norm(*[np.ones(s) for s in args])


@pytest.mark.parametrize("eps", [-1.0, float("nan"), float("inf"), "0.1", None])
def test_layer_norm_eps_errors(eps):
    with pytest.raises((TypeError, ValueError), match="layer_norm: .*eps"):
        F.layer_norm(np.ones((2, 3)), np.ones(3), np.zeros(3), eps=eps)


# -- losses ------------------------------------------------------------------------------------


def test_mean_absolute_error_gradient_is_zero_at_ties():
    x0, x1 = Variable(np.array([1.0, 2.0, 3.0, 4.0])), Variable(np.array([1.0, 0.0, 5.0, 4.0]))
    y = F.mean_absolute_error(x0, x1)
    y.backward()
    assert float(y.data) == pytest.approx((0 + 2 + 2 + 0) / 4)
    np.testing.assert_array_equal(x0.grad.data, [0, 0.25, -0.25, 0])
    np.testing.assert_array_equal(x1.grad.data, [0, -0.25, 0.25, 0])


def test_huber_loss_pieces_and_gradient():
    x = Variable(np.array([0.0, 0.5, 1.0, 3.0, -3.0]))
    y = F.huber_loss(x, np.zeros(5), delta=1.0)
    y.backward()
    pieces = [0.0, 0.125, 0.5, 2.5, 2.5]  # ½d² inside, δ(|d| − ½δ) outside; continuous at δ
    assert float(y.data) == pytest.approx(np.mean(pieces))
    np.testing.assert_allclose(x.grad.data, np.array([0, 0.5, 1, 1, -1]) / 5)
    # δ scales the linear part: delta=2 at d=3 gives 2·(3 − 1) = 4.
    assert float(F.huber_loss(np.array([3.0]), np.array([0.0]), delta=2.0).data) == 4.0


def test_losses_keep_float32_and_broadcast():
    a, b = np.ones((4, 3), np.float32), np.zeros(3, np.float32)
    for f in (F.mean_absolute_error, F.huber_loss):
        y = f(a, b)
        assert y.dtype == np.float32 and y.shape == ()


@pytest.mark.parametrize("f, name", [(F.mean_absolute_error, "mean_absolute_error"),
                                     (F.huber_loss, "huber_loss")])
def test_losses_name_shape_errors(f, name):
    with pytest.raises(ValueError, match=f"{name}: .*do not broadcast"):
        f(np.ones((2, 3)), np.ones((4,)))


@pytest.mark.parametrize("delta", [0, -1.0, float("nan"), float("inf"), "1", True])
def test_huber_delta_errors(delta):
    with pytest.raises((TypeError, ValueError), match="huber_loss: .*delta"):
        F.huber_loss(np.ones(3), np.zeros(3), delta=delta)


# -- argument errors of the activations ---------------------------------------------------------


@pytest.mark.parametrize("approximate", ["exact", None, "TANH", 1])
def test_gelu_approximate_is_checked(approximate):
    with pytest.raises(ValueError, match="gelu: approximate"):
        F.gelu(np.ones(2), approximate=approximate)


@pytest.mark.parametrize("alpha", [float("nan"), float("inf"), "1", None, True])
def test_elu_alpha_is_checked(alpha):
    with pytest.raises((TypeError, ValueError), match="elu: .*alpha"):
        F.elu(np.ones(2), alpha=alpha)


@pytest.mark.parametrize("f", [F.softplus, F.silu, F.gelu, F.elu])
def test_non_arrays_are_named_errors(f):
    with pytest.raises(TypeError, match=f"{f.__name__}:"):
        f("abc")


def test_softmax_cross_entropy_backward_memory_is_linear_in_the_classes():
    # The one-hot rows are built as (N, C); eye(C)[t] would make a C×C matrix first
    # (10 GB for 50,000 classes).
    import tracemalloc
    rng = np.random.default_rng(0)
    n, c = 4, 50_000
    x = Variable(rng.standard_normal((n, c)))
    t = rng.integers(0, c, n)
    tracemalloc.start()
    try:
        F.softmax_cross_entropy(x, t).backward()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * n * c * 8, peak  # a few (N, C) float64 arrays, not C×C
    p = np.exp(x.data - x.data.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(n), t] -= 1
    np.testing.assert_allclose(x.grad.data, p / n, rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_relu_of_a_value_kept_as_a_numpy_scalar_matches_maximum(dtype):
    # ReLU compares a 0-d value kept as a NumPy scalar instead of calling np.maximum
    for v in (-0.0, 0.0, np.nan, -np.inf, np.inf, -2.5, 3.5):
        x = Variable(np.array(v, dtype=dtype))
        y = F.relu(x * 1.0)  # x * 1.0 holds a NumPy scalar
        want = np.maximum(np.array(v, dtype=dtype), 0)
        assert y.dtype == dtype and type(y.data) is np.ndarray
        np.testing.assert_array_equal(y.data, want)
        assert np.signbit(y.data) == np.signbit(want)
        y.backward()
        np.testing.assert_array_equal(x.grad.data, np.asarray(v > 0, dtype=dtype))
