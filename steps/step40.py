"""Step 40: broadcasting -- ``broadcast_to`` and ``sum_to`` are each other's backward.

Docs: docs/tutorial/07-tensors.md
Run: .venv/bin/python steps/step40.py  (check its output: make step N=40)

NumPy broadcasts: ``[1, 2, 3] + [10]`` is ``[11, 12, 13]``, the single 10 is
used three times.  A value used three times receives three gradients, which
add up: so x1.grad is [3], not [1, 1, 1].  dezero makes this explicit:

* ``F.broadcast_to(x, shape)`` copies x out to ``shape``; its backward is
  ``F.sum_to(gy, x.shape)``, adding the copies' gradients back up;
* ``F.sum_to(x, shape)`` sums x down to ``shape``; its backward is
  ``broadcast_to``.

The arithmetic Functions (``+ - * /``) record their inputs' shapes and, when
they differ, sum the gradient back to each input's shape -- so broadcasting
"just works" in user code.
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

    x = Variable(np.array([1.0, 2.0, 3.0]))
    y = F.broadcast_to(x, (2, 3))
    y.backward()
    print("broadcast_to((2, 3)) of [1 2 3]:")
    print(y)
    print("x.grad (two copies, so 2 each):", x.grad)

    x = Variable(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
    y = F.sum_to(x, (1, 3))
    y.backward()
    print("sum_to((1, 3)):", y, "  x.grad shape:", x.grad.shape)
    y = F.sum_to(x, (2, 1))
    print(f"sum_to((2, 1)): {y.data.ravel()} (shape {y.shape})")

    x0 = Variable(np.array([1.0, 2.0, 3.0]))
    x1 = Variable(np.array([10.0]))
    y = x0 + x1
    y.backward()
    print("[1 2 3] + [10] =", y)
    print("x0.grad:", x0.grad, "  x1.grad:", x1.grad)

    # the same rule for *: d(sum(a * b))/db for b broadcast along rows is the column sum of a
    a = Variable(np.arange(6.0).reshape(2, 3))
    b = Variable(np.array([[1.0], [2.0]]))
    F.sum(a * b).backward()
    print("a (2, 3) * b (2, 1): b.grad =", b.grad.data.ravel(),
          "= row sums of a:", a.data.sum(axis=1))


if __name__ == "__main__":
    main()
