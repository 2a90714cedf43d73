"""Step 32: higher-order derivatives, the implementation -- a second derivative.

Docs: docs/tutorial/06-higher-order.md
Run: .venv/bin/python steps/step32.py  (check its output: make step N=32)

With ``create_graph=True`` the gradient is a Variable with a graph, so calling
``backward`` on it differentiates once more.  For y = x^4 - 2 x^2 at x = 2:

* y'  = 4 x^3 - 4 x = 24
* y'' = 12 x^2 - 4  = 44

One trap: before the second backward, ``x.cleargrad()``.  Gradients
accumulate (step 14), so without it the second pass *adds* y'' to the y'
still stored in x.grad and reports 24 + 44 = 68.
"""
from __future__ import annotations

import argparse
from typing import Sequence

import numpy as np

from dezero import Variable


def f(x: Variable) -> Variable:
    """y = x^4 - 2 x^2."""
    return x ** 4 - 2 * x ** 2


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)

    x = Variable(np.array(2.0))
    y = f(x)
    y.backward(create_graph=True)
    gx = x.grad
    print("y' at 2:", gx)
    x.cleargrad()
    gx.backward()
    print("y'' at 2:", x.grad)

    x = Variable(np.array(2.0))
    y = f(x)
    y.backward(create_graph=True)
    gx = x.grad
    gx.backward()  # forgot x.cleargrad()
    print("without cleargrad() the second pass adds onto y':", x.grad)


if __name__ == "__main__":
    main()
