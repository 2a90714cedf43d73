"""Argument checking of dezero.functions: the contract's examples and the fuzzer's finds.

Rows in REJECTED are calls that must fail with a given exception whose message holds every
listed fragment (the function's name, the argument, the value); most are failing examples
that tests/test_fuzz.py found, kept here so they run on every test run.  ACCEPTED rows are
what DeZero 0.0.13 programs pass and must keep working.  Bugs in values (not errors) found
by the fuzzer have their own tests at the end.
"""
from __future__ import annotations

import numpy as np
import pytest

import dezero
import dezero.functions as F
from dezero import Variable
from dezero.utils import pair
from dezero.utils.checks import as_axes, as_int, as_labels, as_pair, as_real, as_shape

X = np.arange(6.0).reshape(2, 3)
IMG = np.ones((1, 1, 4, 4))
W22 = np.ones((1, 1, 2, 2))
BN = (np.ones(3), np.zeros(3), np.zeros(3), np.ones(3))

REJECTED = [
    # axes: integers by NumPy's rules
    (lambda: F.sum(X, axis=1.0), TypeError, ["sum", "axis", "1.0"]),
    (lambda: F.sum(X, axis=True), TypeError, ["sum", "axis", "True"]),
    (lambda: F.sum(X, axis="0"), TypeError, ["sum", "axis", "'0'"]),
    (lambda: F.sum(X, axis=(0, 0)), ValueError, ["sum", "repeated", "(0, 0)"]),
    (lambda: F.sum(X, axis=2), ValueError, ["sum", "axis 2", "2 dimensions"]),
    (lambda: F.average(X, axis=(0, 1.0)), TypeError, ["average", "1.0"]),
    (lambda: F.mean(X, axis=5), ValueError, ["average", "axis 5"]),
    (lambda: F.max(X, axis=-3), ValueError, ["max", "-3"]),
    (lambda: F.min(X, axis=1.5), TypeError, ["min", "1.5"]),
    (lambda: F.max(np.ones((2, 0)), axis=1), ValueError, ["max", "empty", "(2, 0)"]),
    (lambda: F.softmax(X, axis=5), ValueError, ["softmax", "axis 5"]),
    (lambda: F.softmax(X, axis=1.0), TypeError, ["softmax", "1.0"]),
    (lambda: F.log_softmax(X, axis="a"), TypeError, ["log_softmax", "'a'"]),
    (lambda: F.expand_dims(X, 1.0), TypeError, ["expand_dims", "axis", "1.0"]),
    (lambda: F.expand_dims(X, 3), ValueError, ["expand_dims", "3"]),
    (lambda: F.transpose(X, (1.0, 0)), TypeError, ["transpose", "1.0"]),
    (lambda: F.transpose(X, "10"), TypeError, ["transpose", "'10'"]),
    (lambda: F.transpose(X, (0,)), ValueError, ["transpose", "permutation", "(2, 3)"]),
    (lambda: F.transpose(X, (0, 0)), ValueError, ["transpose", "repeated"]),
    # shapes
    (lambda: F.reshape(X, (2.0, 3)), TypeError, ["reshape", "shape", "2.0"]),
    (lambda: F.reshape(X, "23"), TypeError, ["reshape", "'23'"]),
    (lambda: F.reshape(X, (True, 6)), TypeError, ["reshape", "True"]),
    (lambda: F.reshape(X, None), TypeError, ["reshape", "None"]),
    (lambda: F.reshape(X, (-2, -3)), ValueError, ["reshape", "(-2, -3)"]),
    (lambda: F.reshape(X, (4, 2)), ValueError, ["reshape", "(2, 3)", "(4, 2)"]),
    (lambda: Variable(X).reshape(2.0, 3), TypeError, ["reshape", "2.0"]),
    (lambda: F.broadcast_to(X, (2.5, 3)), TypeError, ["broadcast_to", "2.5"]),
    (lambda: F.broadcast_to(X, (-1, 3)), ValueError, ["broadcast_to", "(-1, 3)"]),
    (lambda: F.broadcast_to(X, (4, 3)), ValueError, ["broadcast_to", "(2, 3)", "(4, 3)"]),
    (lambda: F.sum_to(X, (1.0, 3)), TypeError, ["sum_to", "1.0"]),
    (lambda: F.sum_to(np.ones(1), (1.0,)), TypeError, ["sum_to", "1.0"]),  # fuzzer
    (lambda: F.sum_to(X, (4,)), ValueError, ["sum_to", "(2, 3)", "(4,)"]),
    (lambda: F.sum_to(X, (5, 2, 3)), ValueError, ["sum_to", "(5, 2, 3)"]),
    (lambda: F.flatten(np.array(1.0)), ValueError, ["flatten", "0-d"]),
    # indexing: IndexError as NumPy, with dezero's message
    (lambda: F.get_item(X, 5), IndexError, ["get_item", "5", "(2, 3)"]),
    (lambda: Variable(X)[5], IndexError, ["get_item", "5", "(2, 3)"]),
    (lambda: F.get_item(X, [0, 5]), IndexError, ["get_item", "(2, 3)"]),
    (lambda: F.get_item(X, 1.0), IndexError, ["get_item", "1.0"]),
    (lambda: F.get_item(X, "a"), IndexError, ["get_item", "'a'"]),
    (lambda: F.get_item(X, [0.5]), IndexError, ["get_item", "integers"]),
    (lambda: F.embed_id(np.array([3]), np.ones((3, 2))), IndexError, ["embed_id", "[0, 3)"]),
    (lambda: F.embed_id([-1], np.ones((3, 2))), IndexError, ["embed_id", "-1"]),
    (lambda: F.embed_id(np.array([1.0]), np.ones((3, 2))), TypeError, ["embed_id", "float64"]),
    (lambda: F.embed_id(np.array([True]), np.ones((3, 2))), TypeError, ["embed_id", "bool"]),
    # real-valued settings
    (lambda: F.dropout(X, "a"), TypeError, ["dropout", "dropout_ratio", "'a'"]),
    (lambda: F.dropout(X, 1.0), ValueError, ["dropout", "1.0"]),
    (lambda: F.dropout(X, -0.1), ValueError, ["dropout", "-0.1"]),
    (lambda: F.leaky_relu(X, "a"), TypeError, ["leaky_relu", "slope", "'a'"]),
    (lambda: F.leaky_relu(X, None), TypeError, ["leaky_relu", "None"]),
    (lambda: F.leaky_relu(X, float("nan")), ValueError, ["leaky_relu", "nan"]),  # fuzzer
    (lambda: F.clip(X, "a", 1), TypeError, ["clip", "x_min", "'a'"]),
    (lambda: F.clip(X, 0, float("nan")), ValueError, ["clip", "x_max", "nan"]),  # fuzzer
    (lambda: F.batch_norm(X, *BN, eps="a"), TypeError, ["batch_norm", "eps", "'a'"]),
    (lambda: F.batch_norm(X, *BN, eps=-1.0), ValueError, ["batch_norm", "eps", "-1.0"]),
    (lambda: F.batch_norm(X, *BN, decay=2), ValueError, ["batch_norm", "decay", "2"]),
    (lambda: F.batch_norm(np.ones((0, 3)), *BN), ValueError, ["batch_norm", "(0, 3)"]),  # fuzzer
    (lambda: F.batch_norm(X, *BN[:2], np.zeros(3, int), BN[3]), TypeError,
     ["batch_norm", "mean", "int64"]),  # fuzzer: was UFuncTypeError from the in-place update
    # window sizes
    (lambda: F.pooling(IMG, 2.0), TypeError, ["pooling", "kernel_size", "2.0"]),
    (lambda: F.pooling(IMG, True), TypeError, ["pooling", "kernel_size", "True"]),
    (lambda: F.pooling(IMG, "2"), TypeError, ["pooling", "kernel_size", "'2'"]),
    (lambda: F.pooling(IMG, 2, 0), ValueError, ["pooling", "stride", "positive"]),
    (lambda: F.average_pooling(IMG, (2, 2, 2)), ValueError, ["average_pooling", "pair"]),
    (lambda: F.im2col(IMG, 2, pad=-1), ValueError, ["im2col", "pad", "-1"]),
    (lambda: F.conv2d(IMG, W22, stride=1.5), TypeError, ["conv2d", "stride", "1.5"]),
    (lambda: F.deconv2d(IMG, W22, stride=1.5), TypeError, ["deconv2d", "stride", "1.5"]),
    (lambda: F.deconv2d(IMG, W22, stride=0), ValueError, ["deconv2d", "stride", "positive"]),
    (lambda: F.deconv2d(IMG, W22, outsize="ab"), TypeError, ["deconv2d", "outsize", "'ab'"]),
    (lambda: F.col2im(np.ones((9, 4)), (1, 1, 4.0, 4), 2), TypeError, ["col2im", "4.0"]),
    (lambda: F.col2im(np.ones((9, 4)), "abcd", 2), TypeError, ["col2im", "input_shape"]),
    # class labels: integer dtype, one per row, in [0, C)
    (lambda: F.softmax_cross_entropy(X, np.array([0.0, 1.0])), TypeError,
     ["softmax_cross_entropy", "t", "float64"]),
    (lambda: F.softmax_cross_entropy(X, np.array([-1, 1])), ValueError,
     ["softmax_cross_entropy", "[0, 3)", "-1"]),
    (lambda: F.softmax_cross_entropy(X, np.array([3, 1])), ValueError,
     ["softmax_cross_entropy", "[0, 3)", "3"]),
    (lambda: F.softmax_cross_entropy_simple(X, [1]), ValueError,
     ["softmax_cross_entropy", "1 labels for a batch of 2"]),
    (lambda: F.softmax_cross_entropy(X, np.array([True, False])), TypeError,
     ["softmax_cross_entropy", "bool"]),
    (lambda: F.softmax_cross_entropy(X, "ab"), TypeError, ["softmax_cross_entropy", "t"]),
    (lambda: F.accuracy(X, np.array([1.0, 0.5])), TypeError, ["accuracy", "whole numbers", "0.5"]),
    (lambda: F.accuracy(X, np.array([1.0, np.nan])), TypeError, ["accuracy", "nan"]),
    (lambda: F.accuracy(X, np.array([3, 1])), ValueError, ["accuracy", "[0, 3)"]),
    (lambda: F.accuracy(X, np.array([1])), ValueError, ["accuracy", "1 labels for a batch of 2"]),
    (lambda: F.accuracy(np.ones(3), np.array([1])), ValueError, ["accuracy", "(3,)"]),
    (lambda: F.accuracy(np.ones((1, 0)), np.array([], dtype=int)), ValueError,
     ["accuracy", "0 labels for a batch of 1"]),  # fuzzer
    # targets and operand shapes
    (lambda: F.sigmoid_cross_entropy(np.ones((4, 1)), np.ones(3)), ValueError,
     ["sigmoid_cross_entropy", "(3,)", "(4, 1)"]),
    (lambda: F.binary_cross_entropy(np.full((4, 1), 0.5), np.ones(5)), ValueError,
     ["binary_cross_entropy", "(5,)", "(4, 1)"]),
    (lambda: F.sigmoid_cross_entropy(np.ones(2, dtype=int), np.ones(2)), TypeError,
     ["sigmoid_cross_entropy", "int64"]),
    (lambda: F.mean_squared_error(X, np.ones(4)), ValueError,
     ["mean_squared_error", "(2, 3)", "(4,)"]),
    (lambda: F.mean_squared_error(np.ones(2, bool), np.ones(2, bool)), TypeError,
     ["mean_squared_error", "bool"]),  # fuzzer
    (lambda: F.matmul(X, X), ValueError, ["matmul", "(2, 3)", "not aligned"]),
    (lambda: F.matmul(np.ones((2, 1, 1)), np.ones((3, 1, 1))), ValueError,
     ["matmul", "batch", "(2, 1, 1)", "(3, 1, 1)"]),  # fuzzer
    (lambda: F.linear(X, np.ones((4, 2))), ValueError, ["linear", "(2, 3)", "(4, 2)"]),
    (lambda: F.linear(np.ones(3), np.ones((3, 2)), np.ones((1, 2))), ValueError,
     ["linear", "b", "(1, 2)"]),  # fuzzer: was "Linear: non-broadcastable output operand"
    # arithmetic on arrays NumPy refuses
    (lambda: F.add(X, np.ones(4)), ValueError, ["add", "(2, 3)", "(4,)"]),
    (lambda: Variable(X) * np.ones(4), ValueError, ["mul", "(2, 3)", "(4,)"]),
    (lambda: F.neg(np.ones(3, bool)), TypeError, ["neg", "bool"]),
    (lambda: F.sub(np.ones(3, bool), np.ones(3, bool)), TypeError, ["sub", "bool"]),
    (lambda: F.pow(np.ones(3, int), -1), ValueError, ["pow", "negative integer powers"]),
]


@pytest.mark.parametrize("call,error,fragments", REJECTED,
                         ids=[f"{i}-{r[2][0]}" for i, r in enumerate(REJECTED)])
def test_bad_arguments_raise_named_errors(call, error, fragments):
    with pytest.raises(error) as info:
        call()
    for fragment in fragments:
        assert fragment in str(info.value), (fragment, str(info.value))


ACCEPTED = [  # (call, expected shape): what DeZero 0.0.13 programs pass
    (lambda: F.reshape(X, (3, 2)), (3, 2)),
    (lambda: F.reshape(X, [3, 2]), (3, 2)),
    (lambda: F.reshape(X, 6), (6,)),
    (lambda: F.reshape(X, (np.int64(3), np.int32(2))), (3, 2)),
    (lambda: F.reshape(X, np.array([3, 2])), (3, 2)),
    (lambda: F.reshape(X, (-1, 2)), (3, 2)),
    (lambda: Variable(X).reshape(3, 2), (3, 2)),
    (lambda: Variable(X).reshape([3, 2]), (3, 2)),
    (lambda: Variable(X).reshape((3, 2)), (3, 2)),
    (lambda: Variable(X).transpose(1, 0), (3, 2)),
    (lambda: Variable(X).transpose([1, 0]), (3, 2)),
    (lambda: F.transpose(X, (-1, 0)), (3, 2)),
    (lambda: F.sum(X, axis=(0, 1)), ()),
    (lambda: F.sum(X, axis=[0, 1]), ()),
    (lambda: F.sum(X, axis=np.int64(1)), (2,)),
    (lambda: F.sum(np.array(2.0), axis=0), ()),  # as np.sum on 0-d input (fuzzer)
    (lambda: F.max(np.array(2.0), axis=-1), ()),
    (lambda: F.mean(X, axis=-1, keepdims=True), (2, 1)),
    (lambda: F.broadcast_to(X, [4, 2, 3]), (4, 2, 3)),
    (lambda: F.sum_to(X, (1, 3)), (1, 3)),
    (lambda: F.expand_dims(X, np.int64(-1)), (2, 3, 1)),
    (lambda: F.softmax(X, axis=(0, 1)), (2, 3)),
    (lambda: F.softmax(np.ones((2, 0))), (2, 0)),  # nothing to normalise (fuzzer)
    (lambda: F.log_softmax(np.ones(0), axis=0), (0,)),
    (lambda: F.dropout(X, np.float32(0.3)), (2, 3)),
    (lambda: F.leaky_relu(X, 1), (2, 3)),
    (lambda: F.clip(X, None, 1.0), (2, 3)),
    (lambda: F.clip(X, np.float64(0), np.array([1.0, 2.0, 3.0])), (2, 3)),
    (lambda: F.pooling(IMG, (2, 2), stride=[2, 2]), (1, 1, 2, 2)),
    (lambda: F.conv2d(IMG, W22, stride=np.int64(2)), (1, 1, 2, 2)),
    (lambda: F.softmax_cross_entropy(X, [0, 2]), ()),
    (lambda: F.softmax_cross_entropy(X, Variable(np.array([[0], [2]]))), ()),
    (lambda: F.softmax_cross_entropy(X, np.array([0, 2], dtype=np.uint8)), ()),
    (lambda: F.accuracy(X, Variable(np.array([2, 2]))), ()),
    # DeZero's GAN example: x (N, 1) with targets t (N,)
    (lambda: F.sigmoid_cross_entropy(np.zeros((4, 1)), np.ones(4)), ()),
    (lambda: F.binary_cross_entropy(np.full((4, 1), 0.5), np.zeros(4, dtype=int)), ()),
    (lambda: F.embed_id([[0, 2]], np.ones((3, 2))), (1, 2, 2)),
    (lambda: F.embed_id(np.int64(1), np.ones((3, 2))), (2,)),
    (lambda: F.embed_id([], np.ones((3, 2))), (0, 2)),  # an empty list holds no floats
    (lambda: F.get_item(X, (Ellipsis, None, np.int64(1))), (2, 1)),
    (lambda: Variable(X)[np.array([True, False])], (1, 3)),
]


@pytest.mark.parametrize("call,shape", ACCEPTED, ids=[str(i) for i in range(len(ACCEPTED))])
def test_dezero_programs_arguments_still_work(call, shape):
    assert call().shape == shape


# -- value bugs the fuzzer found ------------------------------------------------------------


def test_softmax_cross_entropy_of_boolean_or_small_int_logits_divides_by_n():
    """It divided by x.dtype.type(n): np.bool_(4) is True, so the loss came out n times too
    big; an int8 n > 127 overflowed."""
    t = np.array([0, 1, 2, 0])
    for dtype in (np.bool_, np.int8):
        x = (np.arange(12).reshape(4, 3) % 2).astype(dtype)
        want = F.softmax_cross_entropy(x.astype(np.float64), t).data
        np.testing.assert_allclose(F.softmax_cross_entropy(x, t).data, want, rtol=1e-3)
    x = np.ones((200, 2), dtype=np.int8)
    loss = F.softmax_cross_entropy(x, np.zeros(200, dtype=int)).data  # float16, as np.exp(int8)
    assert loss == pytest.approx(np.log(2), rel=1e-3)


def test_mean_squared_error_of_int8_and_of_an_empty_batch():
    x = np.full((200, 1), 2, dtype=np.int8)
    assert F.mean_squared_error(x, np.zeros((200, 1), dtype=np.int8)).data == pytest.approx(4)
    x = Variable(np.ones((0, 3)))
    with np.errstate(all="ignore"):
        y = F.mean_squared_error(x, np.ones(()))  # was ZeroDivisionError in backward
        y.backward()
    assert np.isnan(y.data) and x.grad.shape == (0, 3)


def test_average_of_nothing_is_nan_as_numpy():
    with np.errstate(all="ignore"):
        assert np.isnan(F.average(np.ones(0)).data)  # was 0
        np.testing.assert_array_equal(F.mean(np.ones((3, 0)), axis=1).data, np.full(3, np.nan))


def test_div_by_boolean_numerator_has_a_gradient():
    """Div's backward negated x0: NumPy has no boolean negative."""
    x0, x1 = Variable(np.array([True, False])), Variable(np.array([2.0, 4.0]))
    (x0 / x1).sum().backward()
    np.testing.assert_allclose(x1.grad.data, [-0.25, 0.0])
    np.testing.assert_allclose(x0.grad.data, [0.5, 0.25])


def test_clip_with_one_open_bound_has_a_gradient():
    x = Variable(np.array([-1.0, 0.5, 2.0]))
    F.clip(x, None, 1.0).sum().backward()  # was TypeError: '>=' with None
    np.testing.assert_array_equal(x.grad.data, [1, 1, 0])


def test_max_pooling_of_booleans_pads_with_false():
    x = np.zeros((1, 1, 2, 2), dtype=bool)
    np.testing.assert_array_equal(F.pooling(x, 2, stride=1, pad=1).data,
                                  np.zeros((1, 1, 3, 3), bool))  # was "Invalid integer type"


def test_softmax_of_booleans_is_the_softmax_of_zeros_and_ones():
    x = np.array([[True, False]])
    np.testing.assert_allclose(F.softmax(x).data, F.softmax(x.astype(float)).data)


def test_accuracy_and_cross_entropy_of_an_empty_batch_are_nan():
    with np.errstate(all="ignore"):
        assert np.isnan(F.accuracy(np.ones((0, 3)), np.zeros(0, dtype=int)).data)
        assert np.isnan(F.softmax_cross_entropy(np.ones((0, 0)), np.zeros(0, dtype=int)).data)


def test_sigmoid_cross_entropy_with_flat_targets_matches_column_targets():
    x = Variable(np.array([[0.5], [-1.0], [2.0]]))
    t = np.array([1, 0, 1])
    a = F.sigmoid_cross_entropy(x, t)
    a.backward()
    g = x.grad.data.copy()
    x.cleargrad()
    b = F.sigmoid_cross_entropy(x, t.reshape(3, 1).astype(float))
    b.backward()
    assert a.data == pytest.approx(b.data)
    np.testing.assert_allclose(x.grad.data, g)


def test_zero_sized_sides_have_gradients():
    """Found on shapes near the rows': a -1 in a reshape is ambiguous when a side is 0."""
    x, W = Variable(np.ones(3)), Variable(np.ones((3, 0)))
    F.linear(x, W).backward()  # was: reshape (-1, 0) in Linear's backward
    assert x.grad.shape == (3,) and W.grad.shape == (3, 0)
    x, W = Variable(np.ones((2, 2, 5, 5))), Variable(np.ones((0, 2, 3, 3)))
    assert F.conv2d_simple(x, W, np.ones(0)).shape == (2, 0, 3, 3)  # was: reshape (0, -1)
    x, W = Variable(np.ones((1, 2, 0, 5))), Variable(np.ones((2, 2, 2, 3)))
    y = F.conv2d(x, W, stride=(2, 1), pad=(1, 0))  # windows of padding only
    y.backward()  # was: deconv2d refused output size 0
    assert y.shape == (1, 2, 1, 3) and x.grad.shape == (1, 2, 0, 5)


def test_dropout_ratio_is_checked_in_test_mode_too():
    with dezero.test_mode():
        with pytest.raises(ValueError, match="dropout"):
            F.dropout(X, 1.5)


# -- the checks themselves ---------------------------------------------------------------------


class Index:
    def __index__(self) -> int:
        return 2


def test_checks_follow_numpys_integer_rule():
    assert as_int(Index(), "f", "n") == 2 and as_int(np.uint8(3), "f", "n") == 3
    for bad in (2.0, True, np.bool_(True), "2", None, np.float64(2)):
        with pytest.raises(TypeError, match="f: n must be an int"):
            as_int(bad, "f", "n")
    assert as_shape([Index(), 3], "f") == (2, 3) and as_shape(np.int64(4), "f") == (4,)
    assert as_shape((2, -1), "f", unknown=True) == (2, -1)
    with pytest.raises(ValueError, match="non-negative"):
        as_shape((2, -1), "f")
    assert as_axes((-1, 0), 3, "f") == (0, 2) and as_axes((-1, 0), 3, "f", sort=False) == (2, 0)
    assert as_pair([1, Index()], "f", "k") == (1, 2) and pair(3) == (3, 3)
    assert as_real(np.float32(0.5), "f", "r", 0, 1) == 0.5
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        as_real(1, "f", "r", 0, 1, high_open=True)
    assert as_labels([0, 1], "f", 2, 2).dtype.kind == "i"


def test_utils_pair_names_the_problem():
    with pytest.raises(TypeError, match="pair: value must be an int or a pair"):
        pair(2.5)
    with pytest.raises(ValueError, match="pair"):
        pair((1, 2, 3))


# -- the core's part: array shapes in methods, inputs that are not arrays ----------------------


def test_variable_reshape_and_transpose_take_an_array_argument():
    assert Variable(X).reshape(np.array([3, 2])).shape == (3, 2)
    assert Variable(X).transpose(np.array([1, 0])).shape == (3, 2)


@pytest.mark.parametrize("call, who", [
    (lambda: F.sin(None), "Sin"), (lambda: F.sum(None), "sum"),
    (lambda: F.reshape([1.0, "a"], (2,)), "reshape"), (lambda: F.matmul({}, X), "matmul"),
    (lambda: F.softmax("abc"), "softmax"), (lambda: Variable(X) + object(), "add"),
])
def test_an_input_that_is_not_an_array_is_a_named_type_error(call, who):
    with pytest.raises(TypeError, match=f"^{who}: .*(Variables, numeric arrays or numbers|"
                                        "cannot be differentiated|operand)"):
        call()


def test_dropout_in_training_on_0d_and_integer_inputs():
    """Found by fuzzing the Dropout layer: a 0-d mask was a Python bool, an int x had no
    floating dtype object."""
    np.random.seed(0)
    for x in (np.array(2.0), np.array(3), np.ones((2, 2), dtype=np.int32)):
        y = F.dropout(x, 0.5)
        assert y.shape == x.shape and y.dtype.kind == "f"
        assert set(np.unique(y.data)) <= {0.0, 2.0 * float(x.flat[0])}
