"""batch_norm and embed_id checks beyond the per-op harness: running statistics, test
mode, float32, the misspelt alias, and error messages."""
import numpy as np
import pytest
from opdata.normalization import batch_norm_ref

import dezero
import dezero.functions as F
from dezero import Variable
from dezero.gradcheck import gradcheck

rng = np.random.default_rng(1)


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 2, 5)])
def test_running_statistics_after_training_steps(shape):
    c = shape[1]
    mean, var = np.zeros(c), np.ones(c)
    mean_in, var_in = mean, var
    want_mean, want_var = np.zeros(c), np.ones(c)
    decay = 0.8
    gamma, beta = rng.standard_normal(c), rng.standard_normal(c)
    for _ in range(3):
        x = rng.standard_normal(shape) * 3 + 1
        F.batch_norm(x, gamma, beta, mean, var, decay=decay)
        # Per channel, by loops: the batch mean and the unbiased batch variance.
        for ch in range(c):
            values = x[:, ch].ravel()
            m = values.size
            mu = sum(values) / m
            unbiased = sum((v - mu) ** 2 for v in values) / (m - 1)
            want_mean[ch] = decay * want_mean[ch] + (1 - decay) * mu
            want_var[ch] = decay * want_var[ch] + (1 - decay) * unbiased
    # Updated in place: the caller's (the layer's) arrays hold the new statistics.
    assert mean is mean_in and var is var_in
    np.testing.assert_allclose(mean, want_mean, rtol=1e-12)
    np.testing.assert_allclose(var, want_var, rtol=1e-12)


def test_train_mode_normalises_with_batch_statistics():
    x = rng.standard_normal((5, 4, 3, 3)) * 2 + 3
    y = F.batch_norm(x, np.ones(4), np.zeros(4), np.zeros(4), np.ones(4))
    np.testing.assert_allclose(y.data.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(y.data.var(axis=(0, 2, 3)), 1, rtol=1e-3)


def test_test_mode_uses_running_statistics_and_leaves_them_alone():
    x = rng.standard_normal((4, 3, 2, 2))
    gamma, beta = rng.standard_normal(3), rng.standard_normal(3)
    mean, var = rng.standard_normal(3), rng.uniform(0.5, 2, 3)
    saved = mean.copy(), var.copy()
    with dezero.test_mode():
        y = F.batch_norm(x, gamma, beta, mean, var)
    np.testing.assert_allclose(y.data, batch_norm_ref(x, gamma, beta, saved[0], saved[1]),
                               rtol=1e-12)
    np.testing.assert_array_equal(mean, saved[0])
    np.testing.assert_array_equal(var, saved[1])


@pytest.mark.parametrize("shape", [(3, 2), (2, 2, 3, 2)])
def test_test_mode_backward_gradchecks(shape):
    c = shape[1]
    mean, var = rng.standard_normal(c), rng.uniform(0.5, 2, c)

    def f(x, gamma, beta):
        with dezero.test_mode():
            return F.batch_norm(x, gamma, beta, mean, var)
    assert gradcheck(f, rng.standard_normal(shape), rng.standard_normal(c),
                     rng.standard_normal(c), order=2)


def test_train_mode_second_order_with_4d_input():
    def f(x, gamma, beta):
        return F.batch_norm(x, gamma, beta, np.zeros(2), np.ones(2), eps=1e-3)
    assert gradcheck(f, rng.standard_normal((3, 2, 2, 2)), rng.standard_normal(2),
                     rng.standard_normal(2), order=2)


def test_first_order_gradient_same_with_and_without_create_graph():
    # backward takes a cached path without create_graph and rebuilds x̂ with it.
    x0, gamma0, beta0 = rng.standard_normal((4, 3, 2, 2)), rng.standard_normal(3), \
        rng.standard_normal(3)
    gy = rng.standard_normal(x0.shape)
    grads = []
    for create_graph in (False, True):
        vs = [Variable(a.copy()) for a in (x0, gamma0, beta0)]
        y = F.batch_norm(*vs, np.zeros(3), np.ones(3))
        (y * gy).sum().backward(create_graph=create_graph)
        grads.append([v.grad.data for v in vs])
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("train", [True, False])
def test_float32_stays_float32(train):
    x = Variable(rng.standard_normal((4, 3, 2, 2)).astype(np.float32))
    gamma = Variable(np.ones(3, dtype=np.float32))
    beta = Variable(np.zeros(3, dtype=np.float32))
    mean, var = np.zeros(3, dtype=np.float32), np.ones(3, dtype=np.float32)
    with dezero.using_config("train", train):
        y = F.batch_norm(x, gamma, beta, mean, var)
        assert y.dtype == np.float32
        (y * y * y).sum().backward(create_graph=True)
    assert x.grad.dtype == gamma.grad.dtype == beta.grad.dtype == np.float32
    assert mean.dtype == var.dtype == np.float32
    gx = x.grad
    x.cleargrad()
    (gx * gx).sum().backward()
    assert x.grad.dtype == np.float32


def test_test_mode_float32_with_float64_running_statistics():
    x = rng.standard_normal((2, 3)).astype(np.float32)
    with dezero.test_mode():
        y = F.batch_norm(x, np.ones(3, np.float32), np.zeros(3, np.float32), np.zeros(3),
                         np.ones(3))
    assert y.dtype == np.float32


def test_misspelt_alias_is_kept():
    assert F.batch_nrom is F.batch_norm


@pytest.mark.parametrize("call,error,fragments", [
    (lambda: F.batch_norm(np.zeros((2, 3)), np.ones(4), np.zeros(3), np.zeros(3), np.ones(3)),
     ValueError, ["batch_norm", "gamma", "(4,)", "(2, 3)"]),
    (lambda: F.batch_norm(np.zeros((2, 3)), np.ones(3), np.zeros(3), np.zeros(2), np.ones(3)),
     ValueError, ["batch_norm", "mean", "(2,)", "(2, 3)"]),
    (lambda: F.batch_norm(np.zeros((2, 3, 4)), np.ones(3), np.zeros(3), np.zeros(3), np.ones(3)),
     ValueError, ["batch_norm", "(2, 3, 4)"]),
    (lambda: F.batch_norm(np.zeros((2, 3)), np.ones(3), np.zeros(3), None, np.ones(3)),
     TypeError, ["batch_norm", "mean", "NoneType"]),
    (lambda: F.embed_id(np.array([0, 5]), np.zeros((5, 2))), IndexError,
     ["embed_id", "[0, 5)", "(5, 2)"]),
    (lambda: F.embed_id(np.array([-1]), np.zeros((5, 2))), IndexError, ["embed_id", "-1"]),
    (lambda: F.embed_id(np.array([0.0]), np.zeros((5, 2))), TypeError, ["embed_id", "float64"]),
    (lambda: F.embed_id(np.array([0]), np.zeros(5)), ValueError, ["embed_id", "(5,)"]),
])
def test_errors_name_the_problem(call, error, fragments):
    with pytest.raises(error) as info:
        call()
    for fragment in fragments:
        assert fragment in str(info.value), (fragment, str(info.value))


def test_embed_id_scatter_adds_repeated_ids():
    W = Variable(rng.standard_normal((4, 2)))
    ids = Variable(np.array([[0, 2], [0, 0]]))
    y = F.embed_id(ids, W)
    np.testing.assert_array_equal(y.data, W.data[[[0, 2], [0, 0]]])
    y.backward()
    np.testing.assert_array_equal(W.grad.data, [[3, 3], [0, 0], [1, 1], [0, 0]])
