"""Step 5: the chain rule, read from the output backwards.

Docs: docs/tutorial/01-by-hand.md
Run: .venv/bin/python steps/step05.py  (check its output: make step N=5)

For y = C(B(A(x))) with a = A(x), b = B(a), the chain rule says

    dy/dx = dy/db * db/da * da/dx

Each factor is a *local* derivative: it depends only on one function and the
value its input had in the forward pass.  The product can be taken in either
order, but going from the output towards the input -- start with dy/dy = 1,
multiply by dy/db to get the derivative with respect to b, then by db/da,
then by da/dx -- produces, at every stage, the derivative of the *one* output
with respect to an intermediate value.  That is backpropagation: one backward
sweep gives the derivative of a scalar output (a loss) with respect to every
input at once, however many there are, while numerical differentiation needs
two evaluations per input.

Here the local derivatives of Square (2x) and Exp (exp x) are applied by hand,
in reverse order, to the chain of step 3 at x = 0.75, and the result is
compared with the numerical derivative of step 4.  (The book uses x = 0.5,
where da/dx = 2x = 1 and dy/da equals dy/dx, which hides the last factor; at
0.75 all three factors, 3.5101, 1.7551 and 1.5, show in the product.)
"""
from __future__ import annotations

import argparse
from typing import Sequence

import numpy as np


class Variable:
    """A box holding a NumPy array in ``data``."""

    def __init__(self, data: np.ndarray) -> None:
        self.data = data


class Function:
    """Base class: ``f(variable)`` computes ``forward`` on the array and wraps the result."""

    def __call__(self, input: Variable) -> Variable:
        return Variable(self.forward(input.data))

    def forward(self, x: np.ndarray) -> np.ndarray:
        """The computation on arrays; every concrete Function overrides this."""
        raise NotImplementedError(f"{type(self).__name__}.forward is not implemented")


class Square(Function):
    """y = x ** 2."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x ** 2


class Exp(Function):
    """y = exp(x)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.exp(x)


def numerical_diff(f, x: Variable, eps: float = 1e-4) -> float:
    """Central difference (f(x + eps) - f(x - eps)) / (2 eps)."""
    return float((f(Variable(x.data + eps)).data - f(Variable(x.data - eps)).data) / (2 * eps))


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)

    x = Variable(np.array(0.75))
    a = Square()(x)
    b = Exp()(a)
    y = Square()(b)
    print(f"y = {float(y.data):.10f}")

    # local derivatives, each evaluated at its own input from the forward pass
    dy_db = 2 * b.data          # C is Square: dy/db = 2b
    db_da = np.exp(a.data)      # B is Exp:    db/da = exp(a)
    da_dx = 2 * x.data          # A is Square: da/dx = 2x

    print(f"local derivatives: dy/db = 2b = {float(dy_db):.4f}, "
          f"db/da = exp(a) = {float(db_da):.4f}, da/dx = 2x = {float(da_dx):.4f}")

    grad = 1.0  # dy/dy
    print(f"dy/dy = {grad:.10f}")
    grad = grad * dy_db
    print(f"dy/db = {float(grad):.10f}")
    grad = grad * db_da
    print(f"dy/da = {float(grad):.10f}")
    grad = grad * da_dx
    print(f"dy/dx = {float(grad):.10f}")

    f = lambda v: Square()(Exp()(Square()(v)))  # noqa: E731
    print(f"numerical dy/dx = {numerical_diff(f, x):.10f}")


if __name__ == "__main__":
    main()
