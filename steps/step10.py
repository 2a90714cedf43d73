"""Step 10: testing the functions, with the gradient check.

Docs: docs/tutorial/02-automatic-backprop.md
Run: .venv/bin/python steps/step10.py  (check its output: make step N=10)

A framework that computes derivatives is only useful if they are right, so
every Function gets unit tests (here with the standard ``unittest`` module):

* the forward value on a known input (square of 2 is 4);
* the backward value on a known input (derivative of x^2 at 3 is 6);
* the *gradient check*: on a random input, backpropagation must agree with
  the numerical derivative of step 4 (``np.allclose``).  This needs no
  hand-computed answer, so it scales to every function we will ever add.

To show the tests can fail, the same test case also runs against
``BrokenSquare``, whose backward forgets the factor 2: the forward test still
passes, the two derivative tests fail.  The script runs the tests itself and
prints one line per test.
"""
from __future__ import annotations

import argparse
import unittest
from typing import Any, Callable, Sequence

import numpy as np


def as_array(x: Any) -> np.ndarray:
    """Return x as an ndarray (NumPy scalars become 0-d arrays)."""
    if np.isscalar(x):
        return np.array(x)
    return x


class Variable:
    """Holds ``data`` (an ndarray or None), its ``grad``, and its ``creator``."""

    def __init__(self, data: np.ndarray | None) -> None:
        if data is not None and not isinstance(data, np.ndarray):
            raise TypeError(f"Variable: data must be a numpy.ndarray or None, got "
                            f"{type(data).__name__}; wrap it first, e.g. np.array(...)")
        self.data = data
        self.grad: np.ndarray | None = None
        self.creator: Function | None = None

    def set_creator(self, func: "Function") -> None:
        """Record the Function that produced this Variable."""
        self.creator = func

    def backward(self) -> None:
        """Fill in the gradients behind this Variable; the seed gradient is ones."""
        if self.grad is None:
            self.grad = np.ones_like(self.data)
        funcs = [self.creator]
        while funcs:
            f = funcs.pop()
            x, y = f.input, f.output
            x.grad = f.backward(y.grad)
            if x.creator is not None:
                funcs.append(x.creator)


class Function:
    """Base class; a call links input, Function and output into the graph."""

    def __call__(self, input: Variable) -> Variable:
        output = Variable(as_array(self.forward(input.data)))
        output.set_creator(self)
        self.input = input
        self.output = output
        return output

    def forward(self, x: np.ndarray) -> np.ndarray:
        """The computation on arrays; every concrete Function overrides this."""
        raise NotImplementedError(f"{type(self).__name__}.forward is not implemented")

    def backward(self, gy: np.ndarray) -> np.ndarray:
        """Derivative w.r.t. the input, given ``gy`` w.r.t. the output; overridden."""
        raise NotImplementedError(f"{type(self).__name__}.backward is not implemented")


class Square(Function):
    """y = x ** 2; dy/dx = 2x."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x ** 2

    def backward(self, gy: np.ndarray) -> np.ndarray:
        return 2 * self.input.data * gy


class Exp(Function):
    """y = exp(x); dy/dx = exp(x)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.exp(x)

    def backward(self, gy: np.ndarray) -> np.ndarray:
        return np.exp(self.input.data) * gy


def square(x: Variable) -> Variable:
    """x ** 2 as a graph node."""
    return Square()(x)


def exp(x: Variable) -> Variable:
    """exp(x) as a graph node."""
    return Exp()(x)


class BrokenSquare(Square):
    """Square with a wrong backward (the factor 2 is missing), for the tests to catch."""

    def backward(self, gy: np.ndarray) -> np.ndarray:
        return self.input.data * gy


def numerical_diff(f: Callable[[Variable], Variable], x: Variable, eps: float = 1e-4) -> np.ndarray:
    """Central difference (f(x + eps) - f(x - eps)) / (2 eps), elementwise."""
    y_plus = f(Variable(x.data + eps))
    y_minus = f(Variable(x.data - eps))
    return (y_plus.data - y_minus.data) / (2 * eps)


class SquareTest(unittest.TestCase):
    """Tests of a square function; ``function`` says which implementation is under test."""

    function: Callable[[Variable], Variable] = staticmethod(square)

    def test_forward(self) -> None:
        y = self.function(Variable(np.array(2.0)))
        self.assertEqual(y.data, np.array(4.0))

    def test_backward(self) -> None:
        x = Variable(np.array(3.0))
        y = self.function(x)
        y.backward()
        self.assertEqual(x.grad, np.array(6.0))

    def test_gradient_check(self) -> None:
        x = Variable(np.random.default_rng(0).random(1))
        y = self.function(x)
        y.backward()
        num_grad = numerical_diff(self.function, x)
        self.assertTrue(np.allclose(x.grad, num_grad),
                        f"backprop {x.grad} != numerical {num_grad}")


class BrokenSquareTest(SquareTest):
    """The same tests run against BrokenSquare: the derivative tests must fail."""

    function = staticmethod(lambda x: BrokenSquare()(x))


def run_tests(case: type) -> None:
    """Run one TestCase class quietly and print one line per test."""
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(case)
    result = unittest.TestResult()
    suite.run(result)
    failed = {test.id() for test, _ in result.failures + result.errors}
    for test in unittest.defaultTestLoader.loadTestsFromTestCase(case):
        name = test.id().rsplit(".", 2)[-2:]
        print(f"  {'.'.join(name)}: {'FAIL' if test.id() in failed else 'ok'}")
    print(f"  {result.testsRun} run, {len(failed)} failed")


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    print("square:")
    run_tests(SquareTest)
    print("BrokenSquare (backward without the factor 2):")
    run_tests(BrokenSquareTest)


if __name__ == "__main__":
    main()
