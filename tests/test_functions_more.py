"""The functions beyond DeZero 0.0.13 (shapes, elementwise, reductions, einsum): the
conventions and extremes the per-op rows (tests/opdata/) cannot express — kinks, ties,
stability at large magnitudes, dropped outputs, and named errors."""
import numpy as np
import pytest

import dezero.functions as F
from dezero import Variable
from dezero.gradcheck import gradcheck


def _grad(fn, *arrays):
    vs = [Variable(np.asarray(a, dtype=np.float64)) for a in arrays]
    F.sum(fn(*vs)).backward()
    return [v.grad.data for v in vs]


# -- kinks and ties ----------------------------------------------------------------------------


def test_abs_gradient_is_sign_and_zero_at_zero():
    (g,) = _grad(F.abs, [-2.0, -0.0, 0.0, 3.0])
    np.testing.assert_array_equal(g, [-1.0, 0.0, 0.0, 1.0])
    assert F.absolute is F.abs


def test_abs_second_derivative_is_zero():
    x = Variable(np.array([-1.5, 0.0, 2.0]))
    y = F.sum(F.abs(x))
    y.backward(create_graph=True)
    gx = x.grad
    x.cleargrad()
    F.sum(gx * gx).backward()
    assert x.grad is None or not np.any(x.grad.data)  # sign(x) is constant: no path to x


@pytest.mark.parametrize("fn", [F.maximum, F.minimum])
def test_ties_split_the_gradient_evenly(fn):
    gx, gy = _grad(fn, [1.0, 2.0, 3.0], [1.0, 5.0, 3.0])
    winner_x = [0.5, 1.0 if fn is F.minimum else 0.0, 0.5]
    np.testing.assert_array_equal(gx, winner_x)
    np.testing.assert_array_equal(gy, 1 - np.array(winner_x))


def test_maximum_ties_under_broadcasting_sum_back():
    # y = max(x, 0) for x with a 0: half of the gradient goes to x there, the rest to the scalar
    x, c = Variable(np.array([[-1.0, 0.0, 2.0]])), Variable(np.array(0.0))
    F.sum(F.maximum(x, c)).backward()
    np.testing.assert_array_equal(x.grad.data, [[0.0, 0.5, 1.0]])
    assert c.grad.shape == () and c.grad.data == 1.5


def test_maximum_of_a_variable_with_itself_passes_the_whole_gradient():
    x = Variable(np.array([1.0, -2.0]))
    F.sum(F.maximum(x, x)).backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 1.0])


# -- logsumexp: stable at large magnitudes, gradient softmax -----------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_logsumexp_is_stable_at_1000(dtype, sign):
    x = Variable((sign * np.array([[1000.0, 1000.0, 999.0], [1000.0, -1000.0, 0.0]])).astype(dtype))
    y = F.logsumexp(x, axis=1)
    assert y.dtype == dtype
    assert np.all(np.isfinite(y.data))
    z = x.data.astype(np.float64)
    m = z.max(axis=1, keepdims=True)
    want = (m + np.log(np.exp(z - m).sum(axis=1, keepdims=True)))[:, 0]
    np.testing.assert_allclose(y.data, want, rtol=1e-6)
    F.sum(y).backward()
    g = x.grad.data
    assert g.dtype == dtype and np.all(np.isfinite(g))
    softmax = np.exp(z - z.max(axis=1, keepdims=True))
    softmax /= softmax.sum(axis=1, keepdims=True)
    # float32 rounds y ≈ ±1000 to a step of 6e-5, and exp(x - y) carries that error
    tol = dict(rtol=1e-4, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(g, softmax, **tol)
    np.testing.assert_allclose(g.sum(axis=1), 1.0, **tol)


def test_logsumexp_whole_array_at_1000_and_second_order():
    x = np.array([1000.0, 1000.5, 998.0])
    y = F.logsumexp(Variable(x))
    np.testing.assert_allclose(y.data, 1000.5 + np.log(np.exp(x - 1000.5).sum()))
    assert gradcheck(F.logsumexp, x, order=2)
    assert gradcheck(F.logsumexp, -x, order=2)


def test_logsumexp_minus_infinity_entries():
    x = Variable(np.array([[-np.inf, 0.0, 0.0], [-np.inf, -np.inf, 1.0]]))
    y = F.logsumexp(x, axis=-1)
    np.testing.assert_allclose(y.data, [np.log(2.0), 1.0])
    F.sum(y).backward()
    np.testing.assert_allclose(x.grad.data, [[0.0, 0.5, 0.5], [0.0, 0.0, 1.0]])
    # all -inf: log 0 = -inf, no warning and no nan in the value
    with np.errstate(all="raise"):
        z = F.logsumexp(np.full((2,), -np.inf))
    assert z.data == -np.inf


def test_logsumexp_of_nothing_is_minus_infinity():
    assert F.logsumexp(np.zeros((0,))).data == -np.inf
    np.testing.assert_array_equal(F.logsumexp(np.zeros((2, 0)), axis=1).data, [-np.inf] * 2)


def test_utils_logsumexp_is_unchanged():
    from dezero import utils
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(utils.logsumexp(x), F.logsumexp(x, axis=1, keepdims=True).data)


# -- var / std -----------------------------------------------------------------------------------


def test_var_std_match_numpy_with_ddof_and_keep_float32():
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    for ddof in (0, 1, 2.5):
        np.testing.assert_allclose(F.var(x, axis=0, ddof=ddof).data, x.var(0, ddof=ddof),
                                   rtol=1e-5)
        np.testing.assert_allclose(F.std(x, ddof=ddof).data, x.std(ddof=ddof), rtol=1e-5)
    assert F.var(x).dtype == np.float32 and F.std(x, axis=1).dtype == np.float32


def test_var_with_too_few_elements_is_inf_or_nan_like_numpy():
    x = np.array([1.0, 2.0])
    with np.errstate(all="ignore"):
        assert F.var(x, ddof=2).data == np.inf
        assert np.isnan(F.var(np.array([1.0]), ddof=1).data)


# -- shapes ------------------------------------------------------------------------------------


def test_split_returns_a_tuple_and_dropped_outputs_get_zero_gradients():
    x = Variable(np.arange(6.0).reshape(2, 3))
    parts = F.split(x, 3, axis=1)
    assert isinstance(parts, tuple) and len(parts) == 3
    assert all(isinstance(p, Variable) and p.shape == (2, 1) for p in parts)
    F.sum(parts[1] * 2).backward()
    np.testing.assert_array_equal(x.grad.data, [[0, 2, 0], [0, 2, 0]])


def test_split_into_one_piece():
    x = Variable(np.arange(3.0))
    (y,) = F.split(x, 1)
    np.testing.assert_array_equal(y.data, x.data)
    assert F.split(x, []) [0].shape == (3,)


def test_concat_then_split_round_trip_twice_differentiable():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((2, 1))

    def f(a, b):
        y = F.concat([a, b], axis=1)
        p, q = F.split(y * y, [3], axis=1)
        return F.sum(p) * F.sum(q)
    assert gradcheck(f, a, b, order=2)


def test_concat_dtypes_and_alias():
    a, b = np.ones((2, 2), np.float32), np.zeros((1, 2), np.float32)
    assert F.concatenate is F.concat
    y = F.concat([a, b])
    assert y.dtype == np.float32 and y.shape == (3, 2)


def test_where_gives_no_gradient_to_the_condition_and_sums_broadcast_gradients():
    c = np.array([[True, False, True]])
    x, y = Variable(np.ones((2, 3))), Variable(np.array(5.0))
    out = F.where(c, x, y)
    np.testing.assert_array_equal(out.data, [[1, 5, 1], [1, 5, 1]])
    F.sum(out).backward()
    np.testing.assert_array_equal(x.grad.data, [[1, 0, 1], [1, 0, 1]])
    assert y.grad.shape == () and y.grad.data == 2
    x32 = Variable(np.ones(3, np.float32))
    assert F.where([True, False, True], x32, 0.0).dtype == np.float32


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect"])
def test_pad_gradient_is_the_adjoint(mode):
    # <pad(x), g> == <x, pad^T(g)> for random x and g
    rng = np.random.default_rng(2)
    x = Variable(rng.standard_normal((3, 4)))
    y = F.pad(x, ((2, 4), (1, 0)), mode=mode)
    np.testing.assert_array_equal(y.data, np.pad(x.data, ((2, 4), (1, 0)), mode=mode))
    g = rng.standard_normal(y.shape)
    F.sum(y * g).backward()
    numeric = np.zeros(x.shape)
    for idx in np.ndindex(*x.shape):
        e = np.zeros(x.shape)
        e[idx] = 1.0
        numeric[idx] = np.sum(np.pad(e, ((2, 4), (1, 0)), mode=mode) * g)
    np.testing.assert_allclose(x.grad.data, numeric)


def test_cumsum_flattens_by_default_and_reverses_in_backward():
    x = Variable(np.arange(6.0).reshape(2, 3))
    y = F.cumsum(x)
    np.testing.assert_array_equal(y.data, np.cumsum(x.data))
    F.sum(y).backward()
    np.testing.assert_array_equal(x.grad.data, [[6, 5, 4], [3, 2, 1]])


# -- einsum --------------------------------------------------------------------------------------


@pytest.mark.parametrize("subscripts,shapes", [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ii", [(3, 3)]), ("ij,ij", [(2, 3), (2, 3)]),
    ("...ii->...i", [(2, 3, 3)]), ("i,i,i->i", [(3,), (3,), (3,)]), ("ijk->kij", [(2, 3, 4)]),
    ("ij,jk->ik", [(2, 1), (3, 4)]),  # a size-1 axis broadcasts, as in NumPy
])
def test_einsum_forms(subscripts, shapes):
    rng = np.random.default_rng(3)
    xs = [rng.standard_normal(s) for s in shapes]
    np.testing.assert_allclose(F.einsum(subscripts, *xs).data, np.einsum(subscripts, *xs))
    assert gradcheck(lambda *vs: F.einsum(subscripts, *vs), *xs, order=2)


def test_einsum_repeated_operand():
    x = np.random.default_rng(4).standard_normal(3)
    v = Variable(x)
    F.einsum("i,i->", v, v).backward()
    np.testing.assert_allclose(v.grad.data, 2 * x)


def test_einsum_keeps_float32():
    a, b = np.ones((2, 3), np.float32), np.ones((3,), np.float32)
    va = Variable(a)
    y = F.einsum("ij,j->i", va, b)
    assert y.dtype == np.float32
    F.sum(y).backward()
    assert va.grad.dtype == np.float32


# -- argument errors name the function ----------------------------------------------------------


@pytest.mark.parametrize("call,error,match", [
    (lambda: F.concat([]), ValueError, "concat: xs is empty"),
    (lambda: F.concat(np.ones(3)), TypeError, "concat: xs must be a list"),
    (lambda: F.concat([np.ones((2, 3)), np.ones((2, 4))]), ValueError, "concat: the shapes"),
    (lambda: F.concat([np.ones(()), np.ones(())]), ValueError, "concat: 0-d"),
    (lambda: F.concat([np.ones(2)], axis=1), ValueError, "concat: axis 1 is out of range"),
    (lambda: F.concat([np.ones(2)], axis=1.0), TypeError, "concat: axis"),
    (lambda: F.stack([np.ones(2), np.ones(3)]), ValueError, "stack: all inputs"),
    (lambda: F.stack([np.ones(2)], axis=2), ValueError, "stack: axis 2"),
    (lambda: F.split(np.ones(5), 2), ValueError, "split: an axis of length 5"),
    (lambda: F.split(np.ones(4), 0), ValueError, "split: the number of sections"),
    (lambda: F.split(np.ones(4), 2.0), TypeError, "split: indices_or_sections"),
    (lambda: F.split(np.ones(4), [1.5]), TypeError, "split: each index"),
    (lambda: F.split(np.ones(()), 1), ValueError, "split: the input must have"),
    (lambda: F.split(np.ones(4), 2, axis=1), ValueError, "split: axis 1"),
    (lambda: F.where(np.array(["a"]), 1.0, 2.0), TypeError, "where: condition"),
    (lambda: F.where(np.ones(2, bool), np.ones(3), np.ones(2)), ValueError, "where: the shapes"),
    (lambda: F.pad(np.ones(3), 1, mode="wrap"), ValueError, "pad: mode must be one of"),
    (lambda: F.pad(np.ones(3), -1), ValueError, "pad: pad_width must be non-negative"),
    (lambda: F.pad(np.ones(3), 1.5), TypeError, "pad: pad_width must be an int"),
    (lambda: F.pad(np.ones(3), True), TypeError, "pad: pad_width must be an int"),
    (lambda: F.pad(np.ones((2, 2)), ((1, 1), (1, 1), (1, 1))), ValueError, "pad: pad_width"),
    (lambda: F.pad(np.ones((0, 2)), 1, mode="edge"), ValueError, "pad: cannot pad the empty"),
    (lambda: F.pad(np.ones(3), 1, constant_values="x"), ValueError, "pad: constant_values"),
    (lambda: F.abs(None), TypeError, "abs"),
    (lambda: F.sqrt("a"), TypeError, "sqrt"),
    (lambda: F.maximum(np.ones(2), np.ones(3)), ValueError, "maximum"),
    (lambda: F.minimum(np.ones(2), None), TypeError, "minimum"),
    (lambda: F.cumsum(np.ones(3), axis=1), ValueError, "cumsum: axis 1"),
    (lambda: F.cumsum(np.ones(3), axis=(0,)), TypeError, "cumsum: axis"),
    (lambda: F.var(np.ones(3), axis=2), ValueError, "var: axis 2"),
    (lambda: F.var(np.ones(3), ddof="1"), TypeError, "var: ddof"),
    (lambda: F.std(np.ones(3), ddof=True), TypeError, "std: ddof"),
    (lambda: F.logsumexp(np.ones(3), axis=(0, 0)), ValueError, "logsumexp: repeated axis"),
    (lambda: F.einsum(["ij"], np.ones((2, 2))), TypeError, "einsum: subscripts must be a string"),
    (lambda: F.einsum("ij,jk->ik", np.ones((2, 3))), ValueError, "einsum: .* 2 operand"),
    (lambda: F.einsum("ij->ii", np.ones((2, 2))), ValueError, "einsum: .*repeats"),
    (lambda: F.einsum("ij->k", np.ones((2, 2))), ValueError, "einsum: .*'k' is in no input"),
    (lambda: F.einsum("ijk", np.ones((2, 2))), ValueError, "einsum: .*3 letter"),
    (lambda: F.einsum("i1", np.ones((2, 2))), ValueError, "einsum: .*not a letter"),
    (lambda: F.einsum("...i->i", np.ones((2, 2))), ValueError, "einsum: .*no '...'"),
    (lambda: F.einsum("ij,jk", np.ones((2, 3)), np.ones((4, 2))), ValueError, "einsum"),
    (lambda: F.einsum("ij"), ValueError, "einsum: pass at least one operand"),
])
def test_errors_name_the_function_and_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()
