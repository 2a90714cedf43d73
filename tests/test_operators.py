"""Operators on Variables, dtype rules, and the errors bad input gets."""
import operator

import numpy as np
import pytest

import dezero.functions as F
from dezero import Parameter, Variable, as_variable

OPS = [operator.add, operator.sub, operator.mul, operator.truediv, operator.pow]


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("other", [2.0, 3, np.array(2.0), np.array([1.0, 2.0, 3.0])])
def test_operators_with_constants_on_either_side(op, other):
    x = Variable(np.array([1.0, 2.0, 3.0]))
    for y, want in [(op(x, other), op(x.data, other)), (op(other, x), op(other, x.data))]:
        assert isinstance(y, Variable)
        np.testing.assert_allclose(y.data, want)


@pytest.mark.parametrize("op", OPS + [operator.matmul])
@pytest.mark.parametrize("scalar", [2.0, 3])
def test_python_scalars_keep_float32(op, scalar):
    x = Variable(np.ones((2, 2), dtype=np.float32))
    if op is operator.matmul:
        y = op(x, np.ones((2, 2), dtype=np.float32))
    else:
        y = op(x, scalar)
        assert op(scalar, x).dtype == np.float32
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_numpy_scalar_exponent_keeps_float32():
    x = Variable(np.ones(3, dtype=np.float32))
    assert (x ** np.float64(2.0)).dtype == np.float32


def test_variable_power_variable_and_scalar_base():
    x = Variable(np.array(2.0))
    p = Variable(np.array(3.0))
    y = x ** p
    y.backward()
    assert y.data == 8.0
    assert x.grad.data == pytest.approx(12.0)                 # p·x^(p−1)
    assert p.grad.data == pytest.approx(8.0 * np.log(2.0))    # x^p·ln x
    z = 2 ** p
    p.cleargrad()
    z.backward()
    assert z.data == 8.0 and p.grad.data == pytest.approx(8.0 * np.log(2.0))


def test_unary_and_matmul_operator_and_indexing():
    x = Variable(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal((-x).data, -x.data)
    np.testing.assert_array_equal((x @ x.T).data, x.data @ x.data.T)
    np.testing.assert_array_equal((np.ones((3, 3)) @ x.T.T.T).data, np.ones((3, 3)) @ x.data.T)
    y = x[1, ::2]
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[0, 0, 0], [1, 0, 1]])


def test_ndarray_on_the_left_gives_variable():
    x = Variable(np.array([1.0, 2.0]))
    for y in (np.array([1.0, 1.0]) + x, np.array([2.0, 2.0]) * x, np.array(1.0) - x):
        assert isinstance(y, Variable)


def test_variable_methods_follow_the_contract():
    x = Variable(np.random.randn(2, 3, 4))
    assert x.reshape((4, 6)).shape == x.reshape([4, 6]).shape == x.reshape(4, 6).shape == (4, 6)
    assert x.transpose().shape == x.transpose(None).shape == (4, 3, 2)
    assert x.transpose(1, 0, 2).shape == x.transpose((1, 0, 2)).shape == (3, 2, 4)
    assert x.T.shape == (4, 3, 2)
    assert x.sum(axis=-1, keepdims=True).shape == (2, 3, 1)
    np.testing.assert_allclose(x.sum(axis=-1, keepdims=True).data, x.data.sum(-1, keepdims=True))
    np.testing.assert_array_equal(x.transpose(1, 0, 2).data, x.data.transpose(1, 0, 2))
    np.testing.assert_array_equal(x.T.data, x.data.T)
    np.testing.assert_array_equal(x.reshape(4, 6).data, x.data.reshape(4, 6))
    assert x.max(axis=0).shape == (3, 4)
    np.testing.assert_array_equal(x.max(axis=0).data, x.data.max(axis=0))
    np.testing.assert_array_equal(x.min(axis=(0, 1)).data, x.data.min(axis=(0, 1)))
    assert x.min(axis=(0, 1)).shape == (4,)
    assert len(x) == 2 and x.ndim == 3 and x.size == 24 and x.dtype == np.float64
    assert isinstance(Parameter(np.ones(2)), Variable)


@pytest.mark.parametrize("bad", [[1, 2, 3], "abc", 1.5, np.array(["a"]), np.array([object()])])
def test_variable_of_unsupported_data_raises_type_error(bad):
    with pytest.raises(TypeError, match=r"Variable"):
        Variable(bad)


def test_numpy_scalar_becomes_zero_d_array():
    x = Variable(np.float32(2.0))
    assert isinstance(x.data, np.ndarray) and x.shape == () and x.dtype == np.float32
    assert isinstance((x * 2).data, np.ndarray)


def test_results_are_arrays_never_numpy_scalars():
    x = Variable(np.array(2.0))
    for y in (x + 1, x * x, F.sin(x), F.sum(Variable(np.ones(3))), x ** 2):
        assert type(y.data) is np.ndarray


def test_mismatched_matmul_names_function_and_shapes():
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 3\) and \(4, 5\) are not aligned"):
        F.matmul(Variable(np.ones((2, 3))), Variable(np.ones((4, 5))))


def test_mismatched_broadcast_names_function_and_shapes():
    with pytest.raises(ValueError, match=r"add: .*\(2, 3\) float64, \(4,\) float64"):
        Variable(np.ones((2, 3))) + Variable(np.ones(4))
    with pytest.raises(ValueError, match=r"broadcast_to: cannot broadcast shape \(3,\) to \(2, 4\)"):
        F.broadcast_to(Variable(np.ones(3)), (2, 4))


@pytest.mark.parametrize("call, pattern", [
    (lambda x: F.reshape(x, (4, 4)), r"reshape: cannot reshape an input of shape \(2, 3\)"),
    (lambda x: F.reshape(x, (-1, 4)), r"reshape: cannot reshape"),
    (lambda x: F.sum(x, axis=2), r"sum: axis 2 is out of range"),
    (lambda x: F.max(x, axis=-3), r"max: axis -3 is out of range"),
    (lambda x: F.transpose(x, (0, 0)), r"transpose: repeated axis in axes=\(0, 0\)"),
    (lambda x: F.expand_dims(x, 4), r"expand_dims: axis 4 is out of range"),
    (lambda x: F.sum(x, axis=(0, 0)), r"sum: repeated axis"),
])
def test_bad_shape_arguments_raise_value_error(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call(Variable(np.ones((2, 3))))


def test_as_variable_passes_variables_through():
    x = Variable(np.ones(2))
    assert as_variable(x) is x
    assert isinstance(as_variable(np.ones(2)), Variable)
