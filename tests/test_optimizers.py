"""dezero.optimizers: each update rule against plain NumPy formulas, hooks, and training."""
from __future__ import annotations

import math

import numpy as np
import pytest

import dezero.functions as F
import dezero.layers as L
from dezero import Parameter, Variable, models, optimizers

RNG = np.random.default_rng(0)
P0 = RNG.standard_normal((3, 4)).astype(np.float32)
GRADS = [RNG.standard_normal((3, 4)).astype(np.float32) for _ in range(4)]


class One(L.Layer):
    def __init__(self, data=P0):
        super().__init__()
        self.p = Parameter(data.copy(), name="p")


def _run(optimizer, steps=len(GRADS), data=P0):
    """Apply ``steps`` updates with the fixed gradients; return the layer."""
    layer = One(data)
    optimizer.setup(layer)
    buffer = layer.p.data
    for g in GRADS[:steps]:
        layer.p.grad = Variable(g.copy())
        optimizer.update()
    assert layer.p.data is buffer, "updates must happen in place"
    assert layer.p.dtype == data.dtype
    return layer


def test_setup_returns_self():
    opt = optimizers.SGD()
    assert opt.setup(One()) is opt


def test_sgd():
    p = P0.copy()
    for g in GRADS:
        p = p - 0.1 * g
    np.testing.assert_allclose(_run(optimizers.SGD(lr=0.1)).p.data, p, rtol=1e-6)


def test_momentum_sgd():
    p, v = P0.astype(np.float64), np.zeros_like(P0, np.float64)
    for g in GRADS:
        v = 0.8 * v - 0.05 * g
        p = p + v
    got = _run(optimizers.MomentumSGD(lr=0.05, momentum=0.8)).p.data
    np.testing.assert_allclose(got, p, rtol=1e-5, atol=1e-6)


def test_adagrad():
    p, h = P0.astype(np.float64), np.zeros_like(P0, np.float64)
    for g in GRADS:
        h = h + g * g
        p = p - 0.1 * g / (np.sqrt(h) + 1e-8)
    np.testing.assert_allclose(_run(optimizers.AdaGrad(lr=0.1)).p.data, p, rtol=1e-5, atol=1e-6)


def test_adadelta():
    rho, eps = 0.9, 1e-6
    p = P0.astype(np.float64)
    eg2, edx2 = np.zeros_like(p), np.zeros_like(p)
    for g in GRADS:
        eg2 = rho * eg2 + (1 - rho) * g ** 2
        dx = np.sqrt(edx2 + eps) / np.sqrt(eg2 + eps) * g
        edx2 = rho * edx2 + (1 - rho) * dx ** 2
        p = p - dx
    got = _run(optimizers.AdaDelta(rho=rho, eps=eps)).p.data
    np.testing.assert_allclose(got, p, rtol=1e-5, atol=1e-7)


def _adam_reference(alpha, b1, b2, eps, wd=0.0):
    # Kingma & Ba, Algorithm 1 with the step-size form of its section 2
    # (alpha_t = alpha * sqrt(1 - b2^t) / (1 - b1^t)), which DeZero uses.
    p = P0.astype(np.float64)
    m, v = np.zeros_like(p), np.zeros_like(p)
    for t, g in enumerate(GRADS, start=1):
        p = p - alpha * wd * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        p = p - alpha * math.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m / (np.sqrt(v) + eps)
    return p


def test_adam_and_its_lr():
    opt = optimizers.Adam(alpha=0.01, beta1=0.8, beta2=0.99)
    got = _run(opt).p.data
    np.testing.assert_allclose(got, _adam_reference(0.01, 0.8, 0.99, 1e-8), rtol=1e-5, atol=1e-6)
    assert opt.t == 4
    assert opt.lr == pytest.approx(0.01 * math.sqrt(1 - 0.99 ** 4) / (1 - 0.8 ** 4))


def test_adam_lr_before_first_update_is_explained():
    with pytest.raises(RuntimeError, match="update"):
        optimizers.Adam().lr


def test_adamw_decouples_weight_decay():
    got = _run(optimizers.AdamW(alpha=0.01, weight_decay=0.5)).p.data
    np.testing.assert_allclose(got, _adam_reference(0.01, 0.9, 0.999, 1e-8, wd=0.5),
                               rtol=1e-5, atol=1e-6)
    plain = _run(optimizers.Adam(alpha=0.01)).p.data
    assert not np.allclose(got, plain)


@pytest.mark.parametrize("make", [
    lambda: optimizers.SGD(0.1), lambda: optimizers.MomentumSGD(), lambda: optimizers.AdaGrad(),
    lambda: optimizers.AdaDelta(), lambda: optimizers.Adam(), lambda: optimizers.AdamW()])
def test_float32_params_stay_float32_even_with_float64_grads(make):
    layer = One()
    opt = make().setup(layer)
    for g in GRADS:
        layer.p.grad = Variable(g.astype(np.float64))
        opt.update()
    assert layer.p.dtype == np.float32


def test_params_without_grad_are_skipped():
    layer = One()
    layer.q = Parameter(np.ones(2, np.float32))
    layer.p.grad = Variable(np.ones_like(P0))
    optimizers.SGD(lr=1.0).setup(layer).update()
    np.testing.assert_array_equal(layer.q.data, np.ones(2))
    np.testing.assert_allclose(layer.p.data, P0 - 1)


def test_state_is_per_parameter():
    layer = One()
    layer.q = Parameter(P0.copy())
    opt = optimizers.MomentumSGD(lr=0.1, momentum=0.5).setup(layer)
    layer.p.grad = Variable(np.ones_like(P0))
    layer.q.grad = Variable(np.zeros_like(P0))
    opt.update()
    opt.update()
    np.testing.assert_allclose(layer.p.data, P0 - 0.1 - (0.05 + 0.1), rtol=1e-6)
    np.testing.assert_array_equal(layer.q.data, P0)


def test_update_without_setup_and_bad_grad_shape():
    with pytest.raises(RuntimeError, match="setup"):
        optimizers.SGD().update()
    layer = One()
    layer.p.grad = Variable(np.ones(4, np.float32))
    with pytest.raises(ValueError, match=r"\(4,\).*\(3, 4\)"):
        optimizers.SGD().setup(layer).update()
    np.testing.assert_array_equal(layer.p.data, P0)
    with pytest.raises(NotImplementedError):
        optimizers.Optimizer().update_one(layer.p)


# -- hooks ------------------------------------------------------------------------
def test_weight_decay_hook():
    opt = optimizers.SGD(lr=0.1)
    opt.add_hook(optimizers.WeightDecay(0.01))
    p = P0.copy()
    for g in GRADS:
        p = p - 0.1 * (g + 0.01 * p)
    np.testing.assert_allclose(_run(opt).p.data, p, rtol=1e-5)


def test_hooks_never_alias_a_shared_gradient():
    layer = One()
    layer.q = Parameter(2 * P0)
    shared = Variable(GRADS[0].copy())
    layer.p.grad = layer.q.grad = shared
    opt = optimizers.SGD(lr=1.0).setup(layer)
    opt.add_hook(optimizers.WeightDecay(0.5))
    opt.update()
    np.testing.assert_array_equal(shared.data, GRADS[0])
    np.testing.assert_allclose(layer.p.data, P0 - (GRADS[0] + 0.5 * P0), rtol=1e-6)
    np.testing.assert_allclose(layer.q.data, 2 * P0 - (GRADS[0] + P0), rtol=1e-6)


@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_hook(max_norm):
    layer = One()
    layer.q = Parameter(np.zeros(2, np.float32))
    g_p, g_q = GRADS[0], np.array([3.0, 4.0], np.float32)
    layer.p.grad, layer.q.grad = Variable(g_p.copy()), Variable(g_q.copy())
    opt = optimizers.SGD(lr=1.0).setup(layer)
    opt.add_hook(optimizers.ClipGrad(max_norm))
    opt.update()
    norm = np.sqrt((g_p.astype(np.float64) ** 2).sum() + 25.0)
    scale = min(1.0, max_norm / (norm + 1e-6))
    np.testing.assert_allclose(layer.q.data, -scale * g_q, rtol=1e-5)
    np.testing.assert_allclose(layer.p.data, P0 - scale * g_p, rtol=1e-5, atol=1e-6)
    assert layer.p.dtype == np.float32


def test_freeze_param_hook_keeps_frozen_layer_fixed():
    # In DeZero 0.0.13 the frozen parameters stay in the update list with grad None
    # and update_one fails on them.
    model = models.MLP((3, 2))
    x = np.ones((4, 5), np.float32)
    opt = optimizers.SGD(lr=0.5).setup(model)
    opt.add_hook(optimizers.FreezeParam(model.l0, model.l1.b))
    F.sum(model(x)).backward()
    before = {n: p.data.copy() for n, p in model.named_params()}
    opt.update()
    for name, p in model.named_params():
        if name == "l1.W":
            assert not np.array_equal(p.data, before[name])
        else:
            np.testing.assert_array_equal(p.data, before[name])


# -- training ---------------------------------------------------------------------
def _spiral(n_per_class=100, n_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    xs, ts = [], []
    for c in range(n_classes):
        r = np.linspace(0.0, 1.0, n_per_class)
        theta = c * 4.0 + 4.0 * r + rng.normal(0, 0.2, n_per_class)
        xs.append(np.stack([r * np.sin(theta), r * np.cos(theta)], axis=1))
        ts.append(np.full(n_per_class, c))
    return np.concatenate(xs).astype(np.float32), np.concatenate(ts)


@pytest.mark.parametrize("make, epochs", [
    (lambda: optimizers.SGD(lr=1.0), 300), (lambda: optimizers.Adam(alpha=0.03), 150)])
def test_mlp_learns_spiral(make, epochs):
    x, t = _spiral()
    np.random.seed(0)
    model = models.MLP((30, 3))
    opt = make().setup(model)
    batch = np.random.default_rng(1)
    for _ in range(epochs):
        index = batch.permutation(len(x))
        for i in range(0, len(x), 30):
            j = index[i:i + 30]
            loss = F.softmax_cross_entropy(model(x[j]), t[j])
            model.cleargrads()
            loss.backward()
            opt.update()
    final = float(F.softmax_cross_entropy(model(x), t).data)
    accuracy = float(F.accuracy(model(x), t).data)
    assert final < 0.2 and accuracy > 0.9, (final, accuracy)


def test_sgd_rounds_like_dezero_with_float64_gradients():
    """lr·grad in the gradient's precision, rounded once into the float32 parameter."""
    from dezero import Parameter, Variable
    p = Parameter(np.array([0.1, 0.7], dtype=np.float32))
    g = np.array([0.123456789012345, -3.3333333333333], dtype=np.float64)
    p.grad = Variable(g)
    optimizers.SGD(lr=0.2).update_one(p)
    expected = np.array([0.1, 0.7], dtype=np.float32)
    expected -= 0.2 * g
    assert p.data.dtype == np.float32 and np.array_equal(p.data, expected)


@pytest.mark.parametrize("shape, dtype, grad_dtype", [
    ((700, 400), np.float32, np.float32),   # several blocks
    ((300_001,), np.float64, np.float64),   # a partial last block
    ((600, 500), np.float32, np.float64),   # float64 gradient, float32 parameter
    ((5,), np.float32, np.float32),         # one block: the plain expression
])
def test_blockwise_update_is_bit_identical_to_the_expression(shape, dtype, grad_dtype):
    from dezero.optimizers._base import subtract_scaled
    rng = np.random.default_rng(3)
    p = rng.standard_normal(shape).astype(dtype)
    g = rng.standard_normal(shape).astype(grad_dtype)
    want = p.copy()
    want -= 0.1 * g
    subtract_scaled(p, 0.1, g)
    assert p.dtype == dtype
    np.testing.assert_array_equal(p, want)
    # a non-contiguous view is updated in place too (the plain expression)
    base = rng.standard_normal((600, 400))
    view, grad = base[:, ::2], rng.standard_normal((600, 200))
    want = view - 0.5 * grad
    subtract_scaled(view, 0.5, grad)
    np.testing.assert_array_equal(base[:, ::2], want)


def test_sgd_and_momentum_on_a_large_parameter_follow_their_formulas():
    rng = np.random.default_rng(4)
    w0, g = rng.standard_normal((600, 500)), rng.standard_normal((600, 500))
    layer = One(w0)
    layer.p.grad = Variable(g)
    optimizers.SGD(lr=0.1).setup(layer).update()
    np.testing.assert_array_equal(layer.p.data, w0 - 0.1 * g)
    layer = One(w0)
    opt = optimizers.MomentumSGD(lr=0.1, momentum=0.9).setup(layer)
    for _ in range(2):
        layer.p.grad = Variable(g)
        opt.update()
    v1 = -0.1 * g
    v2 = 0.9 * v1 - 0.1 * g
    np.testing.assert_allclose(layer.p.data, w0 + v1 + v2, rtol=1e-14)
