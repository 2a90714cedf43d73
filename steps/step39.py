"""Step 39: sum, with ``axis`` and ``keepdims``.

Docs: docs/tutorial/07-tensors.md
Run: .venv/bin/python steps/step39.py  (check its output: make step N=39)

y = sum(x) adds up elements, so every element has slope 1: the backward of
sum *copies* gy back to x's shape.  With ``axis`` only that axis is summed
(``F.sum(x, axis=0)`` of a (2, 3) array is (3,)); with ``keepdims=True`` the
summed axes stay as size 1 ((1, 3)), which is what makes the result
broadcast back against x.  The backward of an axis sum first restores the
summed axes as size 1 (``dezero.utils.reshape_sum_backward``) and then
broadcasts -- the job of ``broadcast_to``, step 40.

The method form is ``x.sum(axis=None, keepdims=False)``; ``axis`` may also be
a tuple or negative.
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

    x = Variable(np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]))
    y = F.sum(x)
    y.backward()
    print("sum of 1..6:", y, "  x.grad:", x.grad)

    x = Variable(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
    y = F.sum(x, axis=0)
    y.backward()
    print("sum over axis 0 of [[1 2 3] [4 5 6]]:", y)
    print("x.grad:")
    print(x.grad)

    x = Variable(np.random.default_rng(0).standard_normal((2, 3, 4, 5)))
    for kwargs in [{}, {"keepdims": True}, {"axis": 1}, {"axis": (0, 2), "keepdims": True},
                   {"axis": -1}]:
        x.cleargrad()
        y = x.sum(**kwargs)
        # weight the outputs so the gradient is not trivially all ones
        w = np.arange(1.0, y.size + 1).reshape(y.shape)
        F.sum(y * w).backward()
        expected = np.broadcast_to(
            w.reshape(np.sum(np.zeros(x.shape), axis=kwargs.get("axis"), keepdims=True).shape),
            x.shape)
        print(f"x.sum({', '.join(f'{k}={v}' for k, v in kwargs.items())}): shape {y.shape}; "
              f"x.grad shape {x.grad.shape}, each output's weight copied back: "
              f"{bool(np.array_equal(x.grad.data, expected))}")


if __name__ == "__main__":
    main()
