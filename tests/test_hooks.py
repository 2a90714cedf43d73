"""Hooks: Variable.register_hook (gradients) and Layer forward (pre-)hooks."""
from __future__ import annotations

import numpy as np
import pytest

import dezero.functions as F
import dezero.layers as L
from dezero import Variable, _backprop


# -- Variable.register_hook -------------------------------------------------------
def test_hook_scales_a_leaf_gradient():
    x = Variable(np.array([1.0, 2.0]))
    x.register_hook(lambda g: g * 3)
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.data, 3 * 2 * x.data)


def test_hook_on_an_intermediate_changes_the_upstream_leaf_gradients():
    x = Variable(np.array(2.0))
    w = Variable(np.array(5.0))
    h = x * w
    h.register_hook(lambda g: g * 10)
    y = F.sin(h)
    y.backward()
    np.testing.assert_allclose(x.grad.data, 10 * np.cos(10.0) * 5.0)
    np.testing.assert_allclose(w.grad.data, 10 * np.cos(10.0) * 2.0)


def test_hook_is_called_once_with_the_summed_gradient():
    seen = []
    x = Variable(np.array(3.0))
    x.register_hook(lambda g: seen.append(float(g.data)))
    t = x * 2.0
    t_seen = []
    t.register_hook(lambda g: t_seen.append(float(g.data)))
    y = x * x + x + t * t  # x used three times, t twice
    y.backward()
    assert seen == [2 * 3.0 + 1 + 8 * 3.0]  # one call, after every path was summed
    assert t_seen == [2 * 6.0]
    np.testing.assert_allclose(x.grad.data, 31.0)


def test_leaf_hook_sees_this_calls_gradient_before_accumulation():
    seen = []
    x = Variable(np.array(1.0))
    x.register_hook(lambda g: (seen.append(float(g.data)), g * 2)[1])
    (x * 3.0).backward()
    (x * 5.0).backward()
    assert seen == [3.0, 5.0]
    np.testing.assert_allclose(x.grad.data, 2 * 3.0 + 2 * 5.0)


def test_hooks_run_in_registration_order_and_chain_replacements():
    order = []
    x = Variable(np.array(1.0))
    x.register_hook(lambda g: (order.append(("a", float(g.data))), g + 1)[1])
    x.register_hook(lambda g: (order.append(("b", float(g.data))), g.data * 10)[1])
    (x * 2.0).backward()
    assert order == [("a", 2.0), ("b", 3.0)]
    assert isinstance(x.grad, Variable)
    np.testing.assert_allclose(x.grad.data, 30.0)


def test_removing_a_hook():
    calls = []
    x = Variable(np.array(1.0))
    handle = x.register_hook(lambda g: calls.append(1) or g * 100)
    keep = x.register_hook(lambda g: calls.append(2))
    handle.remove()
    handle.remove()  # again: nothing happens
    (x * 2.0).backward()
    assert calls == [2]
    np.testing.assert_allclose(x.grad.data, 2.0)
    keep.remove()
    assert id(x) not in _backprop._hooked_variables  # no hooks left: backward skips the checks
    with x.register_hook(lambda g: g * 0):
        x.cleargrad()
        (x * 2.0).backward()
        assert float(x.grad.data) == 0.0
    x.cleargrad()
    (x * 2.0).backward()
    assert float(x.grad.data) == 2.0


def test_hook_with_retain_grad_stores_the_replacement():
    x = Variable(np.array([1.0, -2.0]))
    h = x * 3.0
    h.register_hook(lambda g: g * 2)
    y = (h * h).sum()
    y.backward(retain_grad=True)
    np.testing.assert_allclose(h.grad.data, 2 * 2 * h.data)
    np.testing.assert_allclose(x.grad.data, 2 * 2 * h.data * 3.0)
    assert y.grad is not None


def test_without_retain_grad_an_intermediate_keeps_no_gradient():
    x = Variable(np.array(1.0))
    h = x * 3.0
    seen = []
    h.register_hook(lambda g: seen.append(float(g.data)))
    (h * h).backward()
    assert seen == [6.0] and h.grad is None


def test_hook_on_the_output_and_on_a_root_leaf():
    x = Variable(np.array(2.0))
    y = x * 4.0
    y.register_hook(lambda g: g * 0.5)  # the seed (ones) is complete at once
    y.backward()
    np.testing.assert_allclose(x.grad.data, 2.0)
    z = Variable(np.array([1.0, 1.0]))
    z.register_hook(lambda g: g * 7)
    z.backward()
    np.testing.assert_allclose(z.grad.data, [7.0, 7.0])


def test_second_derivative_through_a_hook_that_doubles():
    x = Variable(np.array(2.0))
    y = x ** 3
    y.register_hook(lambda g: g * 2)
    seen = []
    y.register_hook(lambda g: seen.append(g.creator is not None))
    z = y * 1.0
    z.backward(create_graph=True)
    gx = x.grad
    np.testing.assert_allclose(gx.data, 2 * 3 * 2.0 ** 2)
    assert seen == [True]  # the hook saw a gradient with a graph
    x.cleargrad()
    gx.backward()
    np.testing.assert_allclose(x.grad.data, 2 * 6 * 2.0)


def test_leaf_hook_with_create_graph_is_recorded():
    x = Variable(np.array(3.0))
    x.register_hook(lambda g: g * g)  # replaces 2x by (2x)^2 = 4x^2
    (x * x).backward(create_graph=True)
    gx = x.grad
    np.testing.assert_allclose(gx.data, 36.0)
    x.cleargrad()
    gx.backward()
    # d(4x^2)/dx = 8x, then the hook again squares that: (8x)^2
    np.testing.assert_allclose(x.grad.data, (8 * 3.0) ** 2)


def test_bad_hooks_are_named():
    with pytest.raises(TypeError, match=r"Variable.register_hook: fn must be callable.*3"):
        Variable(np.array(1.0)).register_hook(3)
    x = Variable(np.array([1.0, 2.0]))
    x.register_hook(lambda g: np.ones(3))
    with pytest.raises(ValueError, match=r"Variable.register_hook: .*shape \(3,\).*\(2,\)"):
        (x * 2.0).backward()
    y = Variable(np.array(1.0))
    y.register_hook(lambda g: "grad")
    with pytest.raises(TypeError, match=r"Variable.register_hook: .*'grad'"):
        (y * 2.0).backward()


def test_a_failing_hook_keeps_the_earlier_gradient():
    x = Variable(np.array(1.0))
    (x * 2.0).backward()

    def boom(g):
        raise RuntimeError("boom")

    handle = x.register_hook(boom)
    with pytest.raises(RuntimeError, match="boom"):
        (x * 3.0).backward()
    handle.remove()
    np.testing.assert_allclose(x.grad.data, 5.0)  # the earlier 2 plus what was summed


def test_gradients_are_unchanged_when_other_variables_have_hooks():
    other = Variable(np.array(1.0))
    other.register_hook(lambda g: g * 100)
    x = Variable(np.array([1.0, 2.0]))
    y = F.sum(x * x + x)
    y.backward()
    np.testing.assert_allclose(x.grad.data, 2 * x.data + 1)
    del other


def test_hooked_variable_set_forgets_collected_variables():
    import gc

    x = Variable(np.array(1.0))
    x.register_hook(lambda g: g)
    assert id(x) in _backprop._hooked_variables
    before = len(_backprop._hooked_variables)
    del x
    gc.collect()
    assert len(_backprop._hooked_variables) == before - 1


# -- Layer forward hooks --------------------------------------------------------------
def test_forward_hooks_see_inputs_and_outputs_and_may_replace_them():
    layer = L.Linear(2, in_size=3)
    x = np.ones((1, 3), np.float32)
    base = layer(x).data.copy()
    log = []

    def pre(lay, inputs):
        log.append(("pre", lay is layer, len(inputs)))
        return (inputs[0] * 2,)

    def post(lay, inputs, outputs):
        log.append(("post", float(inputs[0].data[0, 0]), outputs.shape))
        return outputs + 1

    h1 = layer.register_forward_pre_hook(pre)
    h2 = layer.register_forward_hook(post)
    y = layer(x)
    assert log == [("pre", True, 1), ("post", 2.0, (1, 2))]
    np.testing.assert_allclose(y.data, 2 * (base - layer.b.data) + layer.b.data + 1, rtol=1e-6)
    y.sum().backward()  # replaced outputs are part of the graph
    assert layer.W.grad is not None
    h1.remove()
    h2.remove()
    np.testing.assert_allclose(layer(x).data, base)


def test_forward_hooks_run_in_order_and_none_keeps_the_value():
    layer = L.Dropout(0.0)
    order = []
    layer.register_forward_pre_hook(lambda lay, inputs: order.append("p1"))
    layer.register_forward_pre_hook(lambda lay, inputs: order.append("p2") or inputs[0] + 1)
    layer.register_forward_hook(lambda lay, inputs, out: order.append("f1"))
    layer.register_forward_hook(lambda lay, inputs, out: order.append("f2") or out * 10)
    layer.register_forward_hook(lambda lay, inputs, out: order.append(float(out.data)))
    y = layer(np.array(1.0))
    assert order == ["p1", "p2", "f1", "f2", 20.0]
    assert float(y.data) == 20.0


def test_forward_hook_with_several_outputs():
    class Two(L.Layer):
        def forward(self, x):
            return x, x * 2

    layer = Two()
    seen = []
    with layer.register_forward_hook(lambda lay, inputs, outs: seen.append(len(outs))):
        a, b = layer(Variable(np.array(1.0)))
    layer(Variable(np.array(1.0)))
    assert seen == [2] and float(b.data) == 2.0


def test_forward_hook_arguments_are_checked_and_names_reserved():
    layer = L.Linear(2)
    with pytest.raises(TypeError, match=r"Linear.register_forward_hook: fn must be callable"):
        layer.register_forward_hook(None)
    with pytest.raises(TypeError, match=r"Linear.register_forward_pre_hook: fn must be callable"):
        layer.register_forward_pre_hook("f")
    with pytest.raises(ValueError, match=r"Linear: '_forward_hooks' is reserved"):
        layer._forward_hooks = {}
