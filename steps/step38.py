"""Step 38: functions that change the shape -- reshape and transpose.

Docs: docs/tutorial/07-tensors.md
Run: .venv/bin/python steps/step38.py  (check its output: make step N=38)

``F.reshape(x, shape)`` and ``F.transpose(x, axes)`` move no numbers, they
only rearrange them, so their backward passes rearrange the gradient back:
reshape's backward reshapes gy to x's shape, transpose's backward applies the
inverse permutation.  Variables also have the NumPy-style methods
``x.reshape(2, 3)`` / ``x.reshape((2, 3))``, ``x.transpose()``, ``x.T`` and
``x.transpose(axes)``.

For a general permutation the inverse is ``argsort(axes)``: transposing a
(2, 3, 4) tensor with axes (1, 2, 0) gives (3, 4, 2), and the gradient goes
back to (2, 3, 4).  The script checks the shapes and that the gradient lands
on the right elements (weighting each output element by its own number).
"""
from __future__ import annotations

import argparse
from typing import Sequence

import numpy as np

import dezero.functions as F
from dezero import Variable


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)

    x = Variable(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
    y = F.reshape(x, (6,))
    y.backward(retain_grad=True)
    print("reshape (2, 3) -> (6,):", y)
    print("x.grad (back to x's shape):")
    print(x.grad)

    x.cleargrad()
    y = F.transpose(x)
    y.backward()
    print("transpose (2, 3) -> (3, 2):")
    print(y)
    print("x.grad shape:", x.grad.shape)

    x = Variable(np.random.default_rng(0).standard_normal((1, 2, 3)))
    print("method forms:", x.reshape((2, 3)).shape, x.reshape(2, 3).shape,
          x.transpose().shape, x.T.shape, x.transpose(1, 0, 2).shape)

    # Weight each output element by a distinct number w; the gradient then
    # shows where every element of x went: x.grad = transpose back of w.
    a = Variable(np.arange(24.0).reshape(2, 3, 4))
    axes = (1, 2, 0)
    w = np.arange(24.0).reshape(3, 4, 2) + 100.0
    z = F.sum(F.transpose(a, axes) * w)
    z.backward()
    inverse = tuple(int(i) for i in np.argsort(axes))
    print(f"transpose {a.shape} with axes {axes}: {F.transpose(a, axes).shape}; "
          f"inverse axes {inverse}")
    print("a.grad equals w transposed back:",
          bool(np.array_equal(a.grad.data, np.transpose(w, inverse))))


if __name__ == "__main__":
    main()
