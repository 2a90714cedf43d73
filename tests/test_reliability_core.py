"""The engine under hostile and careless use: threads, odd arrays, empty Variables, and the
update idioms of DeZero programs written for ``core_simple``."""
from __future__ import annotations

import threading

import numpy as np
import pytest

import dezero
import dezero.functions as F
from dezero import Variable
from dezero.core_simple import Variable as SimpleVariable


# -- threads -------------------------------------------------------------------------------

def test_threads_backpropagating_into_one_leaf_lose_no_update():
    """Two threads x 20,000 backward passes into the same x: exactly 40,000 x the gradient."""
    x = Variable(np.array([1.0, 2.0]))
    passes = 20_000
    start = threading.Barrier(2)

    def work() -> None:
        start.wait()
        for _ in range(passes):
            F.sum(x * 3.0).backward()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    np.testing.assert_array_equal(x.grad.data, [3.0 * 2 * passes] * 2)


def test_threads_sharing_parameters_of_a_model_sum_every_gradient():
    """Data-parallel threads over one model (each its own batch) add up like one big batch."""
    model = dezero.models.MLP((4, 1))
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal((8, 3)) for _ in range(4)]
    model(xs[0])  # create the parameters before the threads share them
    for x in xs:
        F.sum(model(x)).backward()
    expected = {name: p.grad.data.copy() for name, p in model.named_params()}
    model.cleargrads()

    def work(x) -> None:
        for _ in range(50):
            F.sum(model(x)).backward()

    threads = [threading.Thread(target=work, args=(x,)) for x in xs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for name, p in model.named_params():
        np.testing.assert_allclose(p.grad.data, 50 * expected[name], rtol=1e-12, err_msg=name)


# -- arrays that would silently change results ---------------------------------------------

@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # np.matrix itself warns
@pytest.mark.parametrize("bad, what", [
    (np.asarray([[1.0, 2.0]]).view(np.matrix), "numpy.matrix"),
    (np.ma.array([1.0, 2.0], mask=[0, 1]), "MaskedArray"),
    (np.array(["2020-01-01"], dtype="datetime64[D]"), "datetime64"),
    (np.array([5], dtype="timedelta64[s]"), "timedelta64"),
    (np.array(["a"]), "<U1"),
    (np.array([b"a"]), "|S1"),
    (np.array([None, 1.0]), "object"),
])
def test_non_ndarray_semantics_and_non_numeric_dtypes_are_refused(bad, what):
    for make in (Variable, lambda a: Variable(np.ones(1)) * a, lambda a: F.sin(a)):
        with pytest.raises(TypeError, match=what) as info:
            make(bad)
        assert "np.asarray" in str(info.value) or "numeric" in str(info.value)
    x = Variable(np.ones(1))
    with pytest.raises(TypeError, match="Variable.data"):
        x.data = bad
    np.testing.assert_array_equal(x.data, [1.0])  # the failed assignment lost nothing


def test_memmap_and_numpy_scalars_are_still_accepted(tmp_path):
    m = np.memmap(tmp_path / "m.dat", dtype=np.float64, mode="w+", shape=(3,))
    m[:] = [1.0, 2.0, 3.0]
    y = F.sum(Variable(m) * Variable(np.float64(2.0)))
    assert float(y.data) == 12.0


# -- empty Variables -------------------------------------------------------------------------

@pytest.mark.parametrize("use", [
    lambda x: F.sin(x), lambda x: x * 2, lambda x: x + x, lambda x: Variable(np.ones(2)) + x,
    lambda x: F.exp(x), lambda x: F.transpose(x), lambda x: F.reshape(x, ()),
    lambda x: F.sum(x), lambda x: F.matmul(x, x), lambda x: x[0], lambda x: len(x),
    lambda x: x.shape, lambda x: x.backward(),
])
def test_an_empty_variable_in_an_op_or_backward_says_it_holds_no_data(use):
    with pytest.raises(TypeError, match=r"holds no data \(data is None\)"):
        use(Variable(None))


# -- x.data assignments ------------------------------------------------------------------------

def test_assigning_the_same_array_back_is_not_a_modification():
    x = Variable(np.array([1.0, 2.0]))
    y = F.sum(x * x)
    x.data = x.data
    y.backward()  # no "data was replaced" error
    np.testing.assert_array_equal(x.grad.data, [2.0, 4.0])
    x2 = Variable(np.array([1.0, 2.0]))
    y2 = F.sum(x2 * x2)
    x2.data = x2.data.copy()  # a new array, even with equal values, is a replacement
    with pytest.raises(RuntimeError, match="replaced after the forward pass"):
        y2.backward()


@pytest.mark.parametrize("V", [Variable, SimpleVariable], ids=["dezero", "core_simple"])
def test_book_step28_update_with_in_place_minus_a_variable_gradient(V):
    """``x.data -= lr * x.grad`` (the book's steps 28/29, written when grads were arrays)."""
    def rosenbrock(x0, x1):
        return 100 * (x1 - x0 ** 2) ** 2 + (1 - x0) ** 2

    a0, a1 = V(np.array(0.0)), V(np.array(2.0))
    b0, b1 = V(np.array(0.0)), V(np.array(2.0))
    for _ in range(1000):
        for x0, x1, in_place in ((a0, a1, True), (b0, b1, False)):
            x0.cleargrad()
            x1.cleargrad()
            rosenbrock(x0, x1).backward()
            if in_place:
                x0.data -= 0.001 * x0.grad
                x1.data -= 0.001 * x1.grad
            else:
                x0.data = x0.data - 0.001 * x0.grad.data
                x1.data = x1.data - 0.001 * x1.grad.data
    assert type(a0.data) is np.ndarray and a0.data.shape == ()
    assert (float(a0.data), float(a1.data)) == (float(b0.data), float(b1.data))
    # the book prints variable(0.6837118569138317) variable(0.4659526837427042)
    assert round(float(a0.data), 10) == 0.6837118569 and round(float(a1.data), 10) == 0.4659526837


def test_book_step29_newton_with_in_place_update():
    def f(x):
        return x ** 4 - 2 * x ** 2

    def gx2(x):
        return 12 * x ** 2 - 4

    x = Variable(np.array(2.0))
    seen = []
    for _ in range(8):
        seen.append(float(x.data))
        y = f(x)
        x.cleargrad()
        y.backward()
        x.data -= x.grad / gx2(x.data)
    assert seen[:3] == [2.0, 1.4545454545454546, 1.1510467893775467]
    # the book prints these iterates to step 7
    assert seen[5:] == [1.0000012353089454, 1.000000000002289, 1.0]


def test_a_seed_gradient_of_the_wrong_shape_names_both_shapes():
    for seed in (Variable(np.ones(2)), Variable(np.ones((1, 3))), Variable(None)):
        x = Variable(np.ones(3))
        y = F.sin(x)
        y.grad = seed
        with pytest.raises(ValueError, match=r"Variable.backward: .*y.grad has shape .* "
                                             r"but y has shape \(3,\)"):
            y.backward()
    x = Variable(np.ones(3))
    y = F.sin(x)
    y.grad = np.full(3, 2.0)  # an array is taken as the seed
    y.backward()
    np.testing.assert_allclose(x.grad.data, 2 * np.cos(1.0))
