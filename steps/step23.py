"""Step 23: the framework becomes a package, ``dezero``.

Docs: docs/tutorial/04-package-and-graphs.md
Run: .venv/bin/python steps/step23.py  (check its output: make step N=23)

Steps 1-22 kept the whole framework inside each script.  From here on the
scripts import the installed ``dezero`` package instead::

    import dezero
    from dezero import Variable
    import dezero.functions as F

It has everything built so far -- Variable, Function, the operators, backward
with generations, no_grad/using_config -- and much more, organised in modules
(``dezero.core`` for Variable and Function, ``dezero.functions`` for the
differentiable operations, ...).  Install it once (``pip install -e .`` in the
repository) and every script anywhere can import it; no script edits
``sys.path``.

Two differences from the scripts so far show up immediately:

* ``x.grad`` is a Variable, not a bare array (it is itself computed by
  Functions -- the key to higher-order derivatives in steps 30-36);
* integer inputs get floating-point gradients (d(x^2)/dx at the integer 2 is
  4.0).  The book's version returns integer gradients, which is wrong as soon
  as the derivative is not a whole number.
"""
from __future__ import annotations

import argparse
from typing import Sequence

import numpy as np

import dezero
from dezero import Variable


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)

    x = Variable(np.array(1.0))
    y = (x + 3) ** 2
    y.backward()
    print("y = (x + 3) ** 2 at 1:", y)
    print("dy/dx:", x.grad, "-- a", type(x.grad).__name__)

    n = Variable(np.array(2))
    y = n ** 2 / 3
    y.backward()
    print(f"x ** 2 / 3 at the integer 2: gradient {float(n.grad.data):.6f} ({n.grad.dtype})")

    print("full core (not the simple one):", not dezero.is_simple_core)


if __name__ == "__main__":
    main()
