"""Step 44: Parameter and Layer -- letting the framework keep track of the weights.

Docs: docs/tutorial/08-neural-networks.md
Run: .venv/bin/python steps/step44.py  (check its output: make step N=44)

Step 43 had to list W1, b1, W2, b2 by hand to clear and update them.  Two
classes take that bookkeeping over:

* ``Parameter`` is a Variable subclass that says "this is trainable";
  it behaves exactly like a Variable in every computation.
* ``Layer`` collects the Parameters assigned to its attributes (in
  assignment order, so ``params()`` is the same in every run) and offers
  ``params()`` and ``cleargrads()``.

``L.Linear(out_size)`` is a Layer holding W and b.  Its input size is taken
from the first input it sees, and only then is W drawn, as
N(0, 1) * sqrt(1 / in_size) -- a scale that keeps the outputs' variance
about that of the inputs (instead of step 43's fixed 0.01).  W and b are
float32 by default (``dtype=``); dezero keeps float32 parameters float32.

The same sine data and schedule as step 43; the book's run prints 0.8165,
0.2499, 0.2461, ... and ends near 0.0762.
"""
from __future__ import annotations

import argparse
from typing import Sequence

import numpy as np

import dezero.functions as F
import dezero.layers as L
from dezero import Parameter, Variable


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iters", type=int, default=10000, help="gradient steps (default 10000)")
    parser.add_argument("--lr", type=float, default=0.2, help="learning rate (default 0.2)")
    args = parser.parse_args(argv)

    p = Parameter(np.array(2.0))
    v = Variable(np.array(3.0))
    y = p * v
    print("Parameter is a Variable:", isinstance(p, Variable),
          "; p * v is a", type(y).__name__, "(not a Parameter):", not isinstance(y, Parameter))

    holder = L.Layer()
    holder.p1 = Parameter(np.array(1.0))
    holder.p2 = Parameter(np.array(2.0))
    holder.v = Variable(np.array(3.0))  # a plain Variable is not collected
    holder.note = "hello"
    print("parameters collected by a Layer:", [float(q.data) for q in holder.params()])

    np.random.seed(0)
    x = np.random.rand(100, 1)
    y = np.sin(2 * np.pi * x) + np.random.rand(100, 1)

    l1 = L.Linear(10)  # output size; the input size comes from the first x
    l2 = L.Linear(1)
    print("W of l1 before the first call:", l1.W.data)

    def predict(x: np.ndarray) -> Variable:
        return l2(F.sigmoid(l1(x)))

    for i in range(args.iters):
        loss = F.mean_squared_error(y, predict(x))
        l1.cleargrads()
        l2.cleargrads()
        loss.backward()
        for layer in (l1, l2):
            for param in layer.params():
                param.data -= args.lr * param.grad.data
        if i % 1000 == 0:
            print(f"step {i:5d}: loss {float(loss.data):.10f}")
    print("shapes and dtypes:", [(name, q.shape, str(q.dtype)) for name, q in l1.named_params()],
          [(name, q.shape, str(q.dtype)) for name, q in l2.named_params()])


if __name__ == "__main__":
    main()
