"""The gradient checker must fail on wrong backwards, and keep DeZero's helpers working."""
import numpy as np
import pytest

import dezero.functions as F
from dezero import Function, Variable
from dezero.gradcheck import GradcheckError, gradcheck
from dezero.utils import gradient_check, numerical_grad


class IgnoresUpstream(Function):
    """y = x²; its backward forgets to multiply by gy (passes an all-ones check)."""

    def forward(self, x):
        return x ** 2

    def backward(self, gy):
        (x,) = self.inputs
        return 2 * x


class SwapsInputs(Function):
    """y = x0 * x1²; its backward returns the two gradients in the wrong order."""

    def forward(self, x0, x1):
        return x0 * x1 ** 2

    def backward(self, gy):
        x0, x1 = self.inputs
        return gy * 2 * x0 * x1, gy * x1 ** 2


class WrongSecondOrder(Function):
    """y = sin(x); first derivative right, but computed from detached data (not twice differentiable)."""

    def forward(self, x):
        return np.sin(x)

    def backward(self, gy):
        (x,) = self.inputs
        return gy * Variable(np.cos(x.data))


class DetachesUpstream(Function):
    """y = relu(x); its backward cuts gy out of the graph (right values, no gradient w.r.t. gy)."""

    def forward(self, x):
        return np.maximum(x, 0)

    def backward(self, gy):
        (x,) = self.inputs
        return Variable(gy.data * (x.data > 0))


def test_catches_backward_that_ignores_upstream_gradient():
    with pytest.raises(GradcheckError, match=r"IgnoresUpstream.*input 0"):
        gradcheck(lambda x: IgnoresUpstream()(x), np.random.randn(2, 3))


def test_catches_swapped_input_gradients():
    x0, x1 = np.random.randn(3), np.random.randn(3)
    with pytest.raises(GradcheckError, match=r"input 0 \(shape \(3,\)\)"):
        gradcheck(lambda a, b: SwapsInputs()(a, b), x0, x1)


def test_catches_wrong_second_order_only_at_order_2():
    x = np.random.randn(4)
    assert gradcheck(lambda v: WrongSecondOrder()(v), x, order=1)
    with pytest.raises(GradcheckError, match="order=2"):
        gradcheck(lambda v: WrongSecondOrder()(v), x, order=2)


def test_catches_detached_upstream_gradient_only_at_order_2():
    """ReLU's second derivative in x is zero, so only d(gx)/d(gy) exposes the detached gy."""
    x = np.random.default_rng(1).choice([-1.0, 1.0], 5) * np.linspace(0.5, 2.0, 5)
    assert gradcheck(lambda v: DetachesUpstream()(v), x, order=1)
    with pytest.raises(GradcheckError, match=r"order=2.*upstream gradient of output 0"):
        gradcheck(lambda v: DetachesUpstream()(v), x, order=2)
    # The symptom a user sees: the gradient of relu(x)**2 is wrong at order 2.
    with pytest.raises(GradcheckError, match="order=2"):
        gradcheck(lambda v: DetachesUpstream()(v) ** 2, x, order=2)


def test_error_names_worst_element():
    x = np.array([1.0, 2.0, 3.0])
    with pytest.raises(GradcheckError, match=r"worst element \(\d,\): analytic .* numeric"):
        gradcheck(lambda v: IgnoresUpstream()(v), x)


def test_passes_on_correct_functions_and_checks_every_input():
    a, b = np.random.randn(2, 3), np.random.randn(3)
    assert gradcheck(lambda x, y: x * y + F.sin(y), a, b, order=2)


def test_gradient_check_compat_returns_bool_and_keeps_caller_array():
    x = np.array([[1, 2], [3, 4]], dtype=np.float32)
    before = x.copy()
    assert gradient_check(F.sin, x) is True
    assert x.dtype == np.float32 and np.array_equal(x, before)
    assert gradient_check(lambda v: IgnoresUpstream()(v), np.random.randn(3)) is False


def test_numerical_grad_compat():
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(numerical_grad(lambda v: v ** 3, x), 3 * x ** 2, rtol=1e-6)
    np.testing.assert_allclose(x, [1.0, 2.0])
