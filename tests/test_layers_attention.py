"""LayerNorm and MultiHeadAttention: shapes, a NumPy re-computation, masks, gradients."""
from __future__ import annotations

import numpy as np
import pytest

import dezero.layers as L
from dezero import Parameter, Variable
from dezero.gradcheck import gradcheck


def _np_softmax(s, keep):
    s = np.where(keep, s, -np.inf)
    top = s.max(-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0)
    e = np.where(keep, np.exp(s - top), 0)
    total = e.sum(-1, keepdims=True)
    return e / np.where(total > 0, total, 1)


def _np_mha(layer, q, k, v, keep):
    """Multi-head attention written out in NumPy with the layer's weights."""
    def proj(lin, x):
        return x @ lin.W.data.astype(np.float64) + lin.b.data.astype(np.float64)

    def heads(x):
        n, length, _ = x.shape
        return x.reshape(n, length, layer.num_heads, layer.head_dim).transpose(0, 2, 1, 3)

    qh, kh, vh = heads(proj(layer.q_proj, q)), heads(proj(layer.k_proj, k)), heads(proj(
        layer.v_proj, v))
    scores = qh @ kh.transpose(0, 1, 3, 2) / np.sqrt(layer.head_dim)
    out = _np_softmax(scores, np.broadcast_to(keep, scores.shape)) @ vh
    n, _, length, _ = out.shape
    return proj(layer.out_proj, out.transpose(0, 2, 1, 3).reshape(n, length, layer.embed_dim))


def _layer(embed_dim=8, num_heads=2, seed=0):
    np.random.seed(seed)
    layer = L.MultiHeadAttention(embed_dim, num_heads)
    rng = np.random.default_rng(seed)
    for p in layer.params():  # non-zero biases, so that the check sees them
        if p.name == "b":
            p.data = rng.standard_normal(p.shape).astype(np.float32)
    return layer


# -- LayerNorm ---------------------------------------------------------------------------------


def test_layer_norm_layer_shapes_params_and_values():
    ln = L.LayerNorm(4)
    assert ln.gamma.shape == ln.beta.shape == (4,) and ln.gamma.dtype == np.float32
    np.testing.assert_array_equal(ln.gamma.data, 1)
    np.testing.assert_array_equal(ln.beta.data, 0)
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)
    y = ln(x)
    assert y.shape == x.shape and y.dtype == np.float32
    np.testing.assert_allclose(y.data.mean(-1), 0, atol=1e-6)
    ln2 = L.LayerNorm((3, 4), eps=1e-6)
    assert ln2.gamma.shape == (3, 4)
    np.testing.assert_allclose(ln2(x).data.reshape(2, -1).std(-1), 1, atol=1e-4)
    assert [name for name, _ in ln2.named_params()] == ["gamma", "beta"]


def test_layer_norm_layer_gradcheck_with_params():
    rng = np.random.default_rng(1)
    ln = L.LayerNorm((2, 3))

    def f(x, gamma, beta):
        ln.gamma, ln.beta = gamma, beta  # plain Variables: gradcheck owns them
        return ln(x)

    assert gradcheck(f, rng.standard_normal((2, 2, 3)), rng.standard_normal((2, 3)),
                     rng.standard_normal((2, 3)), order=2)


@pytest.mark.parametrize("size, eps, error", [
    (0, 1e-5, ValueError), (-1, 1e-5, ValueError), (1.5, 1e-5, TypeError),
    (True, 1e-5, TypeError), ((), 1e-5, ValueError), ((2, 0), 1e-5, ValueError),
    (3, -1.0, ValueError), (3, "1e-5", TypeError), (3, float("nan"), ValueError),
])
def test_layer_norm_layer_argument_errors(size, eps, error):
    with pytest.raises(error, match="LayerNorm: "):
        L.LayerNorm(size, eps=eps)


def test_layer_norm_layer_input_errors():
    ln = L.LayerNorm((3, 4))
    with pytest.raises(ValueError, match=r"LayerNorm: .*\(3, 4\)"):
        ln(np.ones((2, 4, 3)))
    with pytest.raises(ValueError, match="LayerNorm: "):
        ln(np.ones(4))
    with pytest.raises(TypeError, match="LayerNorm: "):
        ln([1.0, 2.0])


# -- MultiHeadAttention --------------------------------------------------------------------------


def test_mha_shapes_and_params():
    layer = _layer()
    names = [name for name, _ in layer.named_params()]
    assert names == [f"{p}.{w}" for p in ("q_proj", "k_proj", "v_proj", "out_proj")
                     for w in ("W", "b")]
    assert all(p.dtype == np.float32 for p in layer.params())
    x = np.random.default_rng(0).standard_normal((2, 5, 8)).astype(np.float32)
    assert layer(x).shape == (2, 5, 8)
    kv = np.random.default_rng(1).standard_normal((2, 7, 8)).astype(np.float32)
    y = layer(x, kv)
    assert y.shape == (2, 5, 8) and y.dtype == np.float32
    assert layer(x, kv, kv, mask=np.ones((5, 7), dtype=bool)).shape == (2, 5, 8)


def test_mha_matches_numpy():
    layer = _layer(embed_dim=6, num_heads=3, seed=2)
    rng = np.random.default_rng(2)
    q, k, v = (rng.standard_normal(s) for s in ((2, 4, 6), (2, 5, 6), (2, 5, 6)))
    keep = rng.uniform(size=(2, 1, 4, 5)) > 0.3
    keep[0, 0, 1] = False  # a fully masked query: attention 0, output = out_proj's bias
    got = layer(q, k, v, mask=keep).data
    np.testing.assert_allclose(got, _np_mha(layer, q, k, v, keep), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[0, 1], layer.out_proj.b.data, rtol=1e-6)
    # self-attention: k and v default to q; (N, L, S) masks are per example, for every head
    keep3 = rng.uniform(size=(2, 4, 4)) > 0.3
    np.testing.assert_allclose(layer(q, mask=keep3).data,
                               _np_mha(layer, q, q, q, keep3[:, None]), rtol=1e-5, atol=1e-6)
    tri = np.tril(np.ones((4, 4), dtype=bool))
    np.testing.assert_allclose(layer(q, causal=True).data, _np_mha(layer, q, q, q, tri),
                               rtol=1e-5, atol=1e-6)


def test_mha_causal_output_ignores_later_positions():
    layer = _layer(seed=3)
    x = Variable(np.random.default_rng(3).standard_normal((2, 5, 8)))
    for i in range(5):
        x.cleargrad()
        y = layer(x, causal=True)
        y[:, i].sum().backward()
        np.testing.assert_array_equal(x.grad.data[:, i + 1:], 0)
        assert np.all(np.abs(x.grad.data[:, :i + 1]).sum(-1) > 0)
    # ... and changing a later position leaves the earlier outputs unchanged
    x2 = x.data.copy()
    x2[:, 3:] += 10
    np.testing.assert_allclose(layer(x2, causal=True).data[:, :3],
                               layer(x.data, causal=True).data[:, :3], rtol=1e-6)


def test_mha_padding_mask_equals_dropping_the_padded_keys():
    layer = _layer(seed=4)
    rng = np.random.default_rng(4)
    q, kv = rng.standard_normal((2, 3, 8)), rng.standard_normal((2, 6, 8))
    lengths = [4, 6]
    pad = np.arange(6)[None, None, :] < np.array(lengths)[:, None, None]  # (N, 1, S)
    y = layer(q, kv, mask=pad).data
    for b, n in enumerate(lengths):
        alone = layer(q[b:b + 1], kv[b:b + 1, :n]).data[0]
        np.testing.assert_allclose(y[b], alone, rtol=1e-6, atol=1e-6)
    # padded keys get no gradient
    kvv = Variable(kv)
    layer(q, kvv, mask=pad).sum().backward()
    np.testing.assert_array_equal(kvv.grad.data[0, 4:], 0)


def test_mha_every_parameter_gets_a_gradient_and_float32_is_kept():
    layer = _layer(seed=5)
    x = np.random.default_rng(5).standard_normal((2, 4, 8)).astype(np.float32)
    y = layer(x, causal=True)
    assert y.dtype == np.float32
    (y * y).sum().backward()
    for name, p in layer.named_params():
        assert p.grad is not None, name
        assert p.grad.shape == p.shape and p.grad.dtype == np.float32, name
        assert np.any(p.grad.data != 0), name


def test_mha_gradcheck_with_params():
    layer = _layer(embed_dim=4, num_heads=2, seed=6)
    slots = [(getattr(layer, proj), w) for proj in ("q_proj", "k_proj", "v_proj", "out_proj")
             for w in ("W", "b")]
    mask = np.array([[True, True, False], [False, False, False]])  # query 1: fully masked

    def f(q, kv, *params):
        for (lin, w), p in zip(slots, params):
            setattr(lin, w, p)  # plain Variables: gradcheck owns them
        return layer(q, kv, mask=mask)

    rng = np.random.default_rng(6)
    params = [getattr(lin, w).data.astype(np.float64) for lin, w in slots]
    assert gradcheck(f, rng.standard_normal((1, 2, 4)), rng.standard_normal((1, 3, 4)), *params)
    for (lin, w), p in zip(slots, params):
        setattr(lin, w, Parameter(p.astype(np.float32), name=w))


@pytest.mark.parametrize("args, error", [
    ((6, 4), ValueError), ((0, 1), ValueError), ((4, 0), ValueError), ((4.0, 2), TypeError),
    ((4, True), TypeError),
])
def test_mha_argument_errors(args, error):
    with pytest.raises(error, match="MultiHeadAttention: "):
        L.MultiHeadAttention(*args)


def test_mha_input_errors():
    layer = _layer()
    x = np.ones((2, 3, 8))
    with pytest.raises(ValueError, match=r"MultiHeadAttention: q must have shape \(N, length, 8\)"):
        layer(np.ones((2, 3, 6)))
    with pytest.raises(ValueError, match="MultiHeadAttention: q must"):
        layer(np.ones((3, 8)))
    with pytest.raises(ValueError, match="MultiHeadAttention: .*share N"):
        layer(x, np.ones((1, 4, 8)))
    with pytest.raises(ValueError, match="MultiHeadAttention: .*share N"):
        layer(x, np.ones((2, 4, 8)), np.ones((2, 5, 8)))
    with pytest.raises(ValueError, match="MultiHeadAttention: mask"):
        layer(x, mask=np.ones(3, dtype=bool))
    with pytest.raises(TypeError, match="MultiHeadAttention: causal"):
        layer(x, causal="yes")
    with pytest.raises(TypeError, match="scaled_dot_product_attention: mask"):
        layer(x, mask=np.ones((3, 3)))
