"""dezero.detect_anomaly: NaN/inf in forward and backward, in-place changes, per-context modes."""
from __future__ import annotations

import inspect
import os
import threading

import numpy as np
import pytest

import dezero
import dezero.functions as F
import dezero.layers as L
from dezero import AnomalyError, Variable, _backprop, _function, detect_anomaly

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's own NaN warnings

HERE = os.path.basename(__file__)


def next_line() -> int:
    """The number of the line after the caller's."""
    return inspect.currentframe().f_back.f_lineno + 1


# -- NaN and inf in forward ---------------------------------------------------------------
def test_nan_in_forward_names_the_function_shapes_and_line():
    with detect_anomaly():
        with pytest.raises(AnomalyError) as info:
            line = next_line()
            F.log(Variable(np.array([-1.0])))
    e = info.value
    first = str(e).splitlines()[0]
    assert first.startswith("Log forward produced nan")
    assert "input shapes (1,), output shapes (1,)" in first
    assert (e.function, e.phase, os.path.basename(e.filename), e.lineno) == (
        "Log", "forward", HERE, line)
    assert f"{HERE}:{line}, in test_nan_in_forward" in str(e)
    assert "F.log(Variable(np.array([-1.0])))" in str(e)  # the source line is shown


def test_inf_in_forward_and_an_input_that_already_held_nan():
    with detect_anomaly():
        with pytest.raises(AnomalyError, match=r"^Div forward produced inf .*output 0"):
            Variable(np.array([1.0, 2.0])) / Variable(np.array([0.0, 1.0]))
        with pytest.raises(AnomalyError, match="input 0 already held non-finite values"):
            F.exp(Variable(np.array([np.nan])))


def test_no_grad_and_integer_outputs_are_checked_without_recording():
    with detect_anomaly():
        with dezero.no_grad():
            y = F.exp(Variable(np.array([1.0])))
            with pytest.raises(AnomalyError, match="Exp forward"):
                F.exp(Variable(np.array([1000.0])))
        assert y.creator is None  # not recorded, so nothing is kept for a backward
        z = Variable(np.array([1, 2])) * 3  # integer data: nothing to check
        assert z.data.tolist() == [3, 6]


def test_error_from_a_function_inside_a_layer_points_at_the_user_line():
    layer = L.Linear(2)
    x = Variable(np.array([[np.inf, 1.0]]))
    with detect_anomaly():
        with pytest.raises(AnomalyError) as info:
            line = next_line()
            layer(x)
    assert os.path.basename(info.value.filename) == HERE and info.value.lineno == line


# -- NaN and inf in backward --------------------------------------------------------------
def test_inf_gradient_in_backward_names_the_function_and_its_forward_line():
    x = Variable(np.array([0.0, 4.0]))
    with detect_anomaly():
        line = next_line()
        y = (x ** 0.5).sum()
        with pytest.raises(AnomalyError) as info:
            y.backward()
    e = info.value
    assert str(e).startswith("PowConst backward produced inf")
    assert "gradient of input 0" in str(e).splitlines()[0]
    assert (e.function, e.phase, e.lineno) == ("PowConst", "backward", line)
    assert os.path.basename(e.filename) == HERE


def test_nan_gradient_with_create_graph_is_reported_as_the_backward():
    x = Variable(np.array([0.0]))
    with detect_anomaly():
        y = F.sqrt(x)
        with pytest.raises(AnomalyError, match=r"^\w+ backward produced inf"):
            y.backward(create_graph=True)


def test_backward_of_a_function_recorded_outside_the_mode_is_still_checked():
    x = Variable(np.array([0.0]))
    y = x ** 0.5  # recorded without the mode: no call site kept
    with detect_anomaly():
        with pytest.raises(AnomalyError, match="recorded outside detect_anomaly") as info:
            y.backward()
    assert info.value.lineno is None and info.value.phase == "backward"


# -- in-place changes ---------------------------------------------------------------------
def _change_first(x):
    x.data[0] = 5


def _add_in_place(x):
    x.data += 1


@pytest.mark.parametrize("change", [_change_first, _add_in_place], ids=["setitem", "iadd"])
def test_in_place_change_of_an_input_raises_naming_the_function(change):
    x = Variable(np.array([1.0, 2.0]))
    with detect_anomaly():
        line = next_line()
        y = x * x
        change(x)  # today this silently gives a wrong gradient
        with pytest.raises(AnomalyError) as info:
            y.backward()
    e = info.value
    assert str(e).startswith("Mul: its input 0 (shape (2,)) was changed in place")
    assert (e.function, e.phase, e.lineno) == ("Mul", "in-place", line)


def test_without_the_mode_the_same_change_gives_a_wrong_gradient():
    """What the mode is for: the silent failure it turns into an error."""
    x = Variable(np.array([1.0, 2.0]))
    y = x * x
    x.data[0] = 5
    y.backward()
    assert x.grad.data[0] == 10.0  # 2 * 5, not the 2 * 1 of the computed y


def test_in_place_change_of_an_output_a_backward_needs_raises():
    x = Variable(np.array([1.0, 2.0]))
    with detect_anomaly():
        y = F.exp(x)  # Exp's backward uses its output
        y.data[1] = 0.0
        z = y * 2.0
        with pytest.raises(AnomalyError, match=r"^Exp: its output 0 \(shape \(2,\)\) was changed"):
            z.backward()


def test_replacing_data_is_still_the_version_check_and_untouched_data_passes():
    x = Variable(np.array([1.0, 2.0]))
    w = Variable(np.array([3.0, 4.0]))
    with detect_anomaly():
        y = (x * w).sum()
        w.data = np.array([5.0, 6.0])  # a new array: the existing check names it
        with pytest.raises(RuntimeError, match="was replaced"):
            y.backward()
        y = (x * x).sum()
        y.backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 4.0])


def test_training_inside_the_mode_gives_the_same_parameters_as_outside():
    def train(mode):
        np.random.seed(0)
        model = dezero.models.MLP((8, 1))
        opt = dezero.optimizers.SGD(0.1).setup(model)
        x, t = np.random.randn(16, 3), np.random.randn(16, 1)
        for _ in range(3):
            with mode():
                loss = F.mean_squared_error(model(x), t)
                model.cleargrads()
                loss.backward()
            opt.update()  # in place, after backward: not an anomaly
        return [p.data.copy() for p in model.params()]

    for a, b in zip(train(detect_anomaly), train(lambda: dezero.using_config("train", True))):
        np.testing.assert_array_equal(a, b)


# -- the mode itself ----------------------------------------------------------------------
def test_outside_the_mode_nothing_is_checked_or_kept():
    with detect_anomaly():
        pass
    assert _function._mode_forward is None and _backprop._mode_backward is None
    y = F.log(Variable(np.array([-1.0])))  # NaN, no error
    assert np.isnan(y.data[0]) and "_anomaly" not in vars(y.creator)


def test_decorator_form_and_exit_on_error():
    @detect_anomaly()
    def bad():
        return F.log(Variable(np.array([-1.0])))

    with pytest.raises(AnomalyError):
        bad()
    with pytest.raises(AnomalyError):
        bad()  # a decorated function can be called again
    assert _function._mode_forward is None  # the block was left on the error


def test_mode_is_per_thread():
    inside, done = threading.Event(), threading.Event()
    caught = []

    def worker():
        with detect_anomaly():
            inside.set()
            done.wait(10)
            try:
                F.log(Variable(np.array([-1.0])))
            except AnomalyError:
                caught.append(True)

    thread = threading.Thread(target=worker)
    thread.start()
    assert inside.wait(10)
    try:
        y = F.log(Variable(np.array([-1.0])))  # this thread is not in the mode
        assert np.isnan(y.data[0])
    finally:
        done.set()
        thread.join(10)
    assert caught == [True]
    assert _function._mode_forward is None


def test_anomaly_error_is_a_runtime_error_not_wrapped_as_a_value_error():
    assert issubclass(AnomalyError, RuntimeError) and not issubclass(AnomalyError, ValueError)


def test_nan_inside_forget_names_the_inner_function_and_its_line():
    x = Variable(np.array([-1.0]))

    def segment(t):
        return F.log(t) * 2.0

    line = inspect.getsourcelines(segment)[1] + 1
    with detect_anomaly():
        with pytest.raises(AnomalyError, match="^Log forward") as info:
            F.forget(segment, x)
    assert info.value.lineno == line


def test_anomaly_error_pickles_with_its_attributes():
    import pickle
    with detect_anomaly():
        with pytest.raises(AnomalyError) as info:
            F.log(Variable(np.array([-1.0])))
    copy = pickle.loads(pickle.dumps(info.value))
    assert str(copy) == str(info.value)
    assert (copy.function, copy.phase, copy.filename, copy.lineno) == (
        "Log", "forward", info.value.filename, info.value.lineno)
