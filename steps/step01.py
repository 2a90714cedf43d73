"""Step 1: a Variable is a box that holds an array.

Docs: docs/tutorial/01-by-hand.md
Run: .venv/bin/python steps/step01.py  (check its output: make step N=1)

Everything the framework computes will pass through one small class.  For now
a ``Variable`` does nothing but hold a NumPy array in ``data``: you can read it
and replace it.  Keeping the number in a box of our own (instead of passing
bare arrays around) is what later lets the box also carry a gradient, a name
and a link to the function that produced it.

Arrays of any number of dimensions fit in the box: a scalar is a 0-dimensional
array, a vector has one axis, a matrix two.
"""
from __future__ import annotations

import argparse
from typing import Sequence

import numpy as np


class Variable:
    """A box holding a NumPy array in ``data``."""

    def __init__(self, data: np.ndarray) -> None:
        self.data = data


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)

    data = np.array(1.0)
    x = Variable(data)
    print("x.data:", x.data)

    x.data = np.array(2.0)
    print("after x.data = np.array(2.0):", x.data)

    for value in [np.array(1.0), np.array([1.0, 2.0, 3.0]), np.array([[1.0, 2.0], [3.0, 4.0]])]:
        v = Variable(value)
        print(f"ndim {v.data.ndim}, shape {v.data.shape}: {v.data.tolist()}")


if __name__ == "__main__":
    main()
