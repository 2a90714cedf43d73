"""Step 37: working with tensors -- elementwise functions on arrays of any shape.

Docs: docs/tutorial/07-tensors.md
Run: .venv/bin/python steps/step37.py  (check its output: make step N=37)

Nothing so far assumed that a Variable holds a scalar.  ``F.sin`` applies sin
to every element; ``x + c`` adds two (2, 3) arrays element by element; and
backward treats each element as its own variable: dy/dx has the shape of x.

For y = sum(x + c) every element of x and of c enters y once with slope 1,
so x.grad and c.grad are arrays of ones of shape (2, 3), and the gradient
that flows into t = x + c is all ones too (``retain_grad=True`` keeps it).
The rule behind this: the gradient of a scalar y with respect to a tensor x
is the tensor of the partial derivatives dy/dx[i, j], so it always has x's
shape.  (``F.sum`` gets its own step, 39.)
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
    print("sin(x) elementwise:")
    print(F.sin(x))

    c = Variable(np.array([[10.0, 20.0, 30.0], [40.0, 50.0, 60.0]]))
    t = x + c
    print("x + c:")
    print(t)

    y = F.sum(t)
    y.backward(retain_grad=True)
    print("y = sum(x + c) =", y)
    for name, v in [("y", y), ("t", t), ("x", x), ("c", c)]:
        g = v.grad.data
        print(f"{name}.grad: shape {g.shape}, all ones: {bool(np.all(g == 1.0))}")
    print(x.grad)


if __name__ == "__main__":
    main()
