"""Step 2: a Function turns Variables into Variables.

Docs: docs/tutorial/01-by-hand.md
Run: .venv/bin/python steps/step02.py  (check its output: make step N=2)

A ``Function`` is called with a Variable, unpacks the array, lets ``forward``
compute on plain arrays, and wraps the result in a new Variable.  The base
class fixes that protocol once; each concrete function -- here ``Square`` --
only says what it computes, in ``forward``.  Calling the base class's
``forward`` directly is a mistake, so it raises NotImplementedError that names
the class that forgot to implement it.
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
        x = input.data
        y = self.forward(x)
        return Variable(y)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """The computation on arrays; every concrete Function overrides this."""
        raise NotImplementedError(f"{type(self).__name__}.forward is not implemented")


class Square(Function):
    """y = x ** 2."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x ** 2


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)

    x = Variable(np.array(10.0))
    f = Square()
    y = f(x)
    print("type of y:", type(y).__name__)
    print("y.data:", y.data)

    v = Variable(np.array([1.0, 2.0, 3.0]))
    print("Square of [1, 2, 3]:", Square()(v).data.tolist())

    try:
        Function()(x)
    except NotImplementedError as e:
        print("calling the bare base class:", e)


if __name__ == "__main__":
    main()
