"""dezero.functions.forget: gradient checkpointing with the gradients of the plain run."""
from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import dezero
import dezero.functions as F
import dezero.layers as L
from dezero import Variable


def _layers(n=6, width=16, seed=0):
    np.random.seed(seed)
    layers = [L.Linear(width) for _ in range(n)]
    x = np.random.randn(4, 8)
    with dezero.no_grad():  # create the weights (their input size is inferred)
        h = Variable(x)
        for layer in layers:
            h = layer(h)
    return layers, x


def _segment(layers):
    def run(h):
        for layer in layers:
            h = F.tanh(layer(h))
        return h
    return run


def _loss(layers, x, checkpoint, every=3):
    h = x
    for i in range(0, len(layers), every):
        run = _segment(layers[i:i + every])
        h = F.forget(run, h) if checkpoint else run(h)
    return (h ** 2).sum()


def _grads(layers, x):
    return [x.grad.data] + [p.grad.data for layer in layers for p in layer.params()]


def _fresh_input(layers, x0):
    """A new input Variable for ``x0``, with the layers' gradients cleared."""
    for layer in layers:
        layer.cleargrads()
    return Variable(x0)


def test_mlp_gradients_are_bitwise_those_of_the_plain_run():
    layers, x0 = _layers()
    results = []
    for checkpoint in (False, True):
        x = _fresh_input(layers, x0)
        loss = _loss(layers, x, checkpoint)
        loss.backward()
        results.append((loss.data, _grads(layers, x)))
    (loss_a, a), (loss_b, b) = results
    assert loss_a == loss_b
    assert len(a) == 13
    for ga, gb in zip(a, b):
        np.testing.assert_array_equal(ga, gb)


def test_second_order_gradients_match_the_plain_run():
    layers, x0 = _layers()
    results = []
    for checkpoint in (False, True):
        x = _fresh_input(layers, x0)
        _loss(layers, x, checkpoint).backward(create_graph=True)
        gx = x.grad
        assert gx.creator is not None  # the gradient has a graph
        x.cleargrad()
        for layer in layers:
            layer.cleargrads()
        (gx ** 2).sum().backward()
        results.append(_grads(layers, x))
    for ga, gb in zip(*results):
        np.testing.assert_allclose(ga, gb, rtol=0, atol=1e-12)


def test_scalar_second_derivative():
    x = Variable(np.array([2.0]))
    y = F.forget(lambda t: t ** 3, x)
    y.backward(create_graph=True)
    gx = x.grad
    x.cleargrad()
    gx.backward()
    assert (gx.data[0], x.grad.data[0]) == (12.0, 12.0)  # 3x², 6x


def test_parameters_get_their_gradient_exactly_once_per_backward():
    w = dezero.Parameter(np.array([3.0]))
    x = Variable(np.array([2.0]))
    y = F.forget(lambda t: t * w, x) * w  # w inside and outside the segment
    y.backward()
    np.testing.assert_array_equal(w.grad.data, [2.0 * 3.0 * 2])  # d(x w²)/dw = 2xw
    np.testing.assert_array_equal(x.grad.data, [9.0])
    y.backward()  # gradients accumulate across calls, once each
    np.testing.assert_array_equal(w.grad.data, [24.0])
    np.testing.assert_array_equal(x.grad.data, [18.0])


def test_intermediates_are_not_kept():
    kept = []

    def run(t):
        h = F.exp(t)
        kept.append(weakref.ref(h))
        return h * 2.0

    x = Variable(np.ones(3))
    y = run(x)
    gc.collect()
    assert kept[-1]() is not None  # the plain graph holds it
    y = F.forget(run, x)
    gc.collect()
    assert kept[-1]() is None
    assert type(y.creator).__name__ == "Forget" and y.creator.inputs == (x,)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, 2 * np.e * np.ones(3))


def test_several_outputs_come_back_as_a_tuple():
    x = Variable(np.array([0.5, 1.0]))
    a, b = F.forget(lambda t: [F.sin(t), t * t], x)
    (a * b).sum().backward()
    expected = np.cos(x.data) * x.data ** 2 + np.sin(x.data) * 2 * x.data
    np.testing.assert_allclose(x.grad.data, expected, rtol=1e-15)
    x.cleargrad()
    a, _ = F.forget(lambda t: (F.sin(t), t * t), x)  # an unused output gets zeros
    a.sum().backward()
    np.testing.assert_allclose(x.grad.data, np.cos(x.data), rtol=1e-15)


def test_dropout_and_train_mode_are_replayed_in_the_backward():
    x0 = np.linspace(-1, 1, 50)

    def run(t):
        return F.dropout(t * t, 0.5) * (2.0 if dezero.Config.train else 3.0)

    grads = []
    for checkpoint in (False, True):
        np.random.seed(1)
        x = Variable(x0)
        y = F.forget(run, x) if checkpoint else run(x)
        state = np.random.get_state()[1].copy()
        with dezero.test_mode():
            y.sum().backward()  # the re-run must still be in train mode, with the same mask
        assert (np.random.get_state()[1] == state).all()  # the random state is restored
        grads.append(x.grad.data)
    np.testing.assert_array_equal(*grads)
    assert 0 < np.count_nonzero(grads[0]) < 50


def test_under_no_grad_nothing_is_recorded():
    with dezero.no_grad():
        y = F.forget(F.sin, Variable(np.array(1.0)))
    assert y.creator is None and y.data == np.sin(1.0)


def test_errors_name_forget_and_the_problem():
    x = Variable(np.array(1.0))
    with pytest.raises(TypeError, match="forget.*fn"):
        F.forget(3, x)
    with pytest.raises(TypeError, match="at least one input"):
        F.forget(F.sin)
    with pytest.raises(TypeError, match="must return a Variable or a tuple of Variables"):
        F.forget(lambda t: t.data, x)
    with pytest.raises(TypeError, match="forget: inputs must be"):
        F.forget(F.sin, [1.0])


def test_a_failing_rerun_leaves_recording_as_it_was():
    calls = []

    def run(t):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("boom")
        return t * t

    x = Variable(np.array(2.0))
    y = F.forget(run, x)
    with pytest.raises(RuntimeError, match="boom"):
        y.backward()
    assert dezero.Config.enable_backprop is True
    assert (x * x).creator is not None
