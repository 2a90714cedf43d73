"""dezero.trace: record a function once, replay it on arrays."""
import functools

import numpy as np
import pytest

import dezero
import dezero.functions as F
import dezero.layers as L
from dezero.models import MLP, Sequential


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def test_mlp_replay_equals_eager_and_returns_arrays():
    np.random.seed(0)
    model = MLP((16, 3))
    program = dezero.trace(model, _x(5, 8))
    x = _x(5, 8, seed=1)  # other values, same signature
    y = program(x)
    assert isinstance(y, np.ndarray) and y.dtype == np.float32
    np.testing.assert_allclose(y, model(x).data, rtol=1e-6, atol=1e-6)


def test_program_text_lists_parameters_and_operations():
    np.random.seed(0)
    text = str(dezero.trace(MLP((4, 2)), _x(3, 5)))
    assert text.splitlines()[0] == "program(x0: float32[3, 5]):"
    assert "  l0.W = param float32[5, 4]" in text
    assert "  v0 = Linear(x0, l0.W, l0.b)  # float32[3, 4]" in text
    assert text.splitlines()[-1] == "  return v2"


def test_wrong_shape_or_dtype_names_both_signatures():
    program = dezero.trace(lambda x: F.relu(x) * 2.0, _x(2, 3))
    with pytest.raises(ValueError, match=r"expects inputs \(float32\[2, 3\]\) but received "
                                         r"\(float32\[4, 3\]\)"):
        program(_x(4, 3))
    with pytest.raises(ValueError, match=r"received \(float64\[2, 3\]\)"):
        program(_x(2, 3).astype(np.float64))
    with pytest.raises(TypeError, match="takes 1 input"):
        program(_x(2, 3), _x(2, 3))


def test_several_inputs_outputs_and_captured_constants():
    c = _x(3, seed=5)

    def fn(a, b):
        return F.tanh(a) + c, F.sum(a * b, axis=1), a

    a, b = _x(2, 3), _x(2, 3, seed=2)
    program = dezero.trace(fn, a, b)
    a2, b2 = _x(2, 3, seed=3), _x(2, 3, seed=4)
    got = program(a2, b2)
    want = fn(dezero.Variable(a2), dezero.Variable(b2))
    assert len(got) == 3
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w.data, rtol=1e-6)


def test_updated_parameters_are_used_by_the_program():
    layer = L.Linear(2, in_size=3)
    program = dezero.trace(layer, _x(1, 3))
    layer.W.data = layer.W.data * 2
    np.testing.assert_allclose(program(_x(1, 3)), layer(_x(1, 3)).data, rtol=1e-6)


def test_traced_in_test_mode_dropout_and_batch_norm():
    np.random.seed(0)
    model = Sequential(L.Linear(6), L.BatchNorm(), F.relu,
                       functools.partial(F.dropout, dropout_ratio=0.5), L.Linear(2))
    x = _x(4, 5)
    model(x)  # a training step fills the running statistics
    program = dezero.trace(model, x)
    assert "Dropout" not in str(program)
    with dezero.test_mode():
        want = model(x).data
    np.testing.assert_allclose(program(x), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(program(x), program(x))  # deterministic: no dropout


def test_cnn_replay():
    np.random.seed(0)
    pool = functools.partial(F.pooling, kernel_size=2, stride=2)
    model = Sequential(L.Conv2d(3, 3, pad=1), F.relu, pool, F.flatten, L.Linear(4))
    program = dezero.trace(model, _x(2, 1, 6, 6))
    x = _x(2, 1, 6, 6, seed=9)
    np.testing.assert_allclose(program(x), model(x).data, rtol=1e-5, atol=1e-6)


def test_control_flow_is_frozen():
    def fn(x):  # a value-dependent branch: traced as it went for the example
        return x * 2.0 if x.data.sum() > 0 else -x

    with pytest.warns(dezero.TracerWarning):
        program = dezero.trace(fn, np.ones(3, np.float32))
    np.testing.assert_array_equal(program(-np.ones(3, np.float32)), -2 * np.ones(3))


def test_to_dot_draws_values_and_functions():
    dot = dezero.trace(MLP((4, 2)), _x(3, 5)).to_dot()
    assert dot.startswith("digraph g {")
    assert '[label="Linear", shape=box' in dot
    assert "l0.W\\nfloat32[5, 4]" in dot and "fillcolor=palegreen" in dot


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match="fn must be callable"):
        dezero.trace(3, _x(2))
    with pytest.raises(TypeError, match="at least one example input"):
        dezero.trace(F.relu)
    with pytest.raises(TypeError, match="must return a Variable"):
        dezero.trace(lambda x: 3, _x(2))


def test_replay_does_not_build_a_graph():
    program = dezero.trace(lambda x: F.exp(x) + 1.0, _x(2))
    y = program(_x(2))
    assert not isinstance(y, dezero.Variable)
    np.testing.assert_allclose(y, np.exp(_x(2)) + 1, rtol=1e-6)


def test_multi_output_function_and_a_dropped_output():
    def fn(x):
        a, b, c = F.split(x, 3, axis=1)
        return a * c  # b is dropped

    x = _x(2, 6)
    program = dezero.trace(fn, x)
    assert "= Split(x0" in str(program) and ", _, " in str(program)
    x2 = _x(2, 6, seed=4)
    np.testing.assert_allclose(program(x2), x2[:, :2] * x2[:, 4:], rtol=1e-6)


def test_scalar_output_is_an_array():
    program = dezero.trace(lambda x: F.sum(x * x), _x(3))
    y = program(np.ones(3, np.float32))
    assert isinstance(y, np.ndarray) and y.shape == () and y == 3


def test_plot_writes_dot_text_and_refuses_no_extension(tmp_path):
    program = dezero.trace(F.relu, _x(2))
    path = program.plot(tmp_path / "p.dot")
    assert open(path, encoding="utf-8").read() == program.to_dot()
    with pytest.raises(ValueError, match="no extension"):
        program.plot(tmp_path / "p")


def test_reading_a_value_into_python_warns():
    def branchy(x):
        if float(x.data.sum()) > 0:
            return F.relu(x)
        return -x

    with pytest.warns(dezero.TracerWarning, match="frozen into the program"):
        program = dezero.trace(branchy, np.abs(_x(2, 3)))
    neg = -np.abs(_x(2, 3, seed=1))
    np.testing.assert_array_equal(program(neg), np.maximum(neg, 0))  # the branch is frozen
    assert issubclass(dezero.TracerWarning, UserWarning)
    assert dezero._trace.TracerWarning is dezero.TracerWarning


def test_pure_function_and_dezero_internal_reads_do_not_warn():
    import warnings
    np.random.seed(0)
    model = Sequential(L.Linear(4), L.LayerNorm(4), F.gelu)
    lstm = L.LSTM(3, in_size=4)

    def fn(x):
        lstm.reset_state()
        h = lstm(x)
        return F.softmax(model(x) + F.max(h, axis=1, keepdims=True)), F.split(x, 2, axis=1)[0]

    with warnings.catch_warnings():
        warnings.simplefilter("error", dezero.TracerWarning)
        dezero.trace(fn, _x(2, 4))


def test_data_property_is_restored_after_tracing():
    plain = dezero.Variable.__dict__["data"]

    def bad(x):
        x.data  # noqa: B018  (a read, then an error)
        raise RuntimeError("boom")

    with pytest.warns(dezero.TracerWarning), pytest.raises(RuntimeError, match="boom"):
        dezero.trace(bad, _x(2))
    assert dezero.Variable.__dict__["data"] is plain
    v = dezero.Variable(_x(2))
    v.data = _x(2, seed=1)  # the setter still works
    np.testing.assert_array_equal(v.data, _x(2, seed=1))
