"""Function behaviour the per-op harness cannot express: ties, randomness, extremes."""
import numpy as np
import pytest

import dezero
import dezero.functions as F
from dezero import Variable
from dezero.gradcheck import gradcheck


def test_seed_figures_sin_of_tensor_and_sum_grads():
    x = Variable(np.array([[1, 2, 3], [4, 5, 6]]))
    np.testing.assert_allclose(F.sin(x).data, np.sin(x.data))
    c = Variable(np.array([[10, 20, 30], [40, 50, 60]]))
    t = x + c
    y = F.sum(t)
    y.backward(retain_grad=True)
    assert y.data == 231
    for v in (t, x, c):
        np.testing.assert_array_equal(v.grad.data, np.ones((2, 3)))


def test_seed_figures_reshape_transpose_broadcast_matmul():
    x = Variable(np.array([[1.0, 2, 3], [4, 5, 6]]))
    F.reshape(x, (6,)).backward()
    assert x.grad.shape == (2, 3)
    x.cleargrad()
    F.transpose(x).backward()
    assert x.grad.shape == (2, 3)
    x0, x1 = Variable(np.array([1, 2, 3])), Variable(np.array([10]))
    y = x0 + x1
    y.backward()
    np.testing.assert_array_equal(y.data, [11, 12, 13])
    np.testing.assert_array_equal(x1.grad.data, [3])
    a, W = Variable(np.random.randn(2, 3)), Variable(np.random.randn(3, 4))
    F.sum(F.matmul(a, W)).backward()
    assert a.grad.shape == (2, 3) and W.grad.shape == (3, 4)


def test_max_ties_split_gradient_evenly():
    x = Variable(np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]))
    F.max(x, axis=1).backward()
    np.testing.assert_allclose(x.grad.data, [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    x.cleargrad()
    F.min(x).backward()
    np.testing.assert_allclose(x.grad.data, [[1, 0, 0], [0, 0, 0]])


def test_max_with_negative_axis_backward():
    x = Variable(np.random.randn(2, 3, 4))
    F.max(x, axis=-1).backward()
    assert x.grad.shape == (2, 3, 4) and x.grad.data.sum() == pytest.approx(6)


def test_expand_dims_negative_axis_matches_numpy():
    x = Variable(np.ones((2, 3)))
    for axis in (-1, -2, -3, 0, 2):
        assert F.expand_dims(x, axis).shape == np.expand_dims(x.data, axis).shape


def test_mean_squared_error_broadcast_gradient_shapes():
    x0, x1 = Variable(np.random.randn(4, 3)), Variable(np.random.randn(3))
    F.mean_squared_error(x0, x1).backward()
    assert x0.grad.shape == (4, 3) and x1.grad.shape == (3,)


def test_dropout_scales_kept_units_and_is_identity_in_test_mode():
    np.random.seed(0)
    x = Variable(np.ones((1000,), dtype=np.float32))
    y = F.dropout(x, 0.25)
    kept = y.data != 0
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.data[kept], 1 / 0.75, rtol=1e-6)
    assert 0.7 < kept.mean() < 0.8
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, np.where(kept, 1 / 0.75, 0), rtol=1e-6)
    with dezero.test_mode():
        assert F.dropout(x, 0.25) is x


BIG = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 999.0, 1000.0]])


@pytest.mark.parametrize("f", [F.softmax, F.log_softmax, F.sigmoid])
def test_activations_stay_finite_at_large_inputs(f):
    x = Variable(BIG.copy())
    y = f(x)
    (y * Variable(np.random.randn(*BIG.shape))).sum().backward()
    assert np.all(np.isfinite(y.data)) and np.all(np.isfinite(x.grad.data))


def test_softmax_cross_entropy_confident_and_large_logits():
    x = Variable(BIG.copy())
    t = np.array([0, 2])
    y = F.softmax_cross_entropy(x, t)
    y.backward()
    assert y.data == pytest.approx(np.log1p(np.exp(-1.0)) / 2)
    assert np.all(np.isfinite(x.grad.data))
    wrong = F.softmax_cross_entropy(Variable(BIG.copy()), np.array([1, 0]))
    assert wrong.data == pytest.approx((2000 + 2000 + np.log1p(np.exp(-1.0))) / 2)


def test_sigmoid_cross_entropy_confident_predictions():
    x = Variable(np.array([1000.0, -1000.0, 1000.0]))
    t = np.array([1.0, 0.0, 0.0])
    y = F.sigmoid_cross_entropy(x, t)
    y.backward()
    assert y.data == pytest.approx(1000 / 3)
    np.testing.assert_allclose(x.grad.data, [0, 0, 1 / 3])


def test_binary_cross_entropy_at_zero_and_one_has_finite_nonzero_gradients():
    p = Variable(np.array([1.0, 0.0, 1 - 1e-12, 1e-12], dtype=np.float64))
    t = np.array([0.0, 1.0, 1.0, 1.0])
    y = F.binary_cross_entropy(p, t)
    y.backward()
    assert np.isfinite(y.data) and y.data > 0
    assert np.all(np.isfinite(p.grad.data)) and np.all(p.grad.data != 0)
    assert p.grad.data[0] > 0 and p.grad.data[1] < 0
    assert p.grad.data[2] == pytest.approx(-0.25, rel=1e-3)  # (p−t)/(p(1−p))/N → −1/N


def test_softmax_cross_entropy_rejects_bad_labels():
    x = Variable(np.zeros((2, 3)))
    with pytest.raises(TypeError, match="integer class labels"):
        F.softmax_cross_entropy(x, np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="3 labels for a batch of 2"):
        F.softmax_cross_entropy(x, np.array([0, 1, 2]))


def test_accuracy_has_no_gradient_and_counts_matches():
    y = Variable(np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]], dtype=np.float32))
    acc = F.accuracy(y, np.array([1, 1, 1]))
    # float64 whatever y's dtype (as DeZero): the fraction of hits is exact
    assert acc.creator is None and acc.data == 2 / 3 and acc.dtype == np.float64
    assert F.accuracy(y, np.array([1.0, 1.0, 1.0])).data == 2 / 3  # whole floats, as DeZero
    assert np.isnan(F.accuracy(np.ones((0, 2)), np.array([])).data)  # no floats: found by fuzzing
    with pytest.raises(TypeError, match="accuracy: t must hold class labels"):
        F.accuracy(y, np.array([1.0, 0.5, 1.0]))


def test_get_item_with_repeated_indices_accumulates():
    x = Variable(np.arange(3.0))
    F.get_item(x, np.array([0, 0, 2])).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2, 0, 1])


def test_pow_with_zero_exponent_has_zero_gradient_at_zero():
    x = Variable(np.array([0.0, 2.0]))
    (x ** 0).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0])


def test_linear_second_order():
    assert gradcheck(F.linear, np.random.randn(3, 2), np.random.randn(2, 4),
                     np.random.randn(4), order=2)


def test_linear_raw_array_input_gets_no_gradient_work():
    """An ndarray input is wrapped privately: its gradient (nobody can read it) is skipped."""
    W = Variable(np.ones((3, 2)))
    y = F.linear(np.arange(6.0).reshape(2, 3), W)
    y.sum().backward()
    assert y.creator.inputs[0].grad is None and W.grad.shape == (3, 2)
    x = Variable(np.arange(6.0).reshape(2, 3))
    F.linear(x, W).sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.full((2, 3), 2.0))


def test_conv2d_raw_array_input_gets_no_gradient_work():
    W = Variable(np.ones((2, 1, 1, 1)))
    y = F.conv2d(np.ones((1, 1, 2, 3)), W)
    y.sum().backward()
    assert y.creator.inputs[0].grad is None and W.grad.shape == (2, 1, 1, 1)
    x = Variable(np.ones((1, 1, 2, 3)))
    F.conv2d(x, W).sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.full((1, 1, 2, 3), 2.0))
