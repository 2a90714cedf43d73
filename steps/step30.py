"""Step 30: higher-order derivatives, the groundwork -- what backward leaves behind.

Docs: docs/tutorial/06-higher-order.md
Run: .venv/bin/python steps/step30.py  (check its output: make step N=30)

To differentiate a derivative, the derivative itself must be a node of a
graph, computed by Functions, just as the forward result is.  This step looks
at what a plain ``backward()`` produces:

* ``x.grad`` is a Variable (in the steps 1-22 scripts it was a bare array);
* but it has no creator: by default the backward pass runs with graph
  recording switched off (as under ``no_grad()``), because recording it costs
  time and memory and is only needed for higher-order derivatives;
* the Functions of the forward graph remember their inputs, which is what
  their ``backward`` methods read -- and since backward methods are written
  with the same differentiable operations (``gy * cos(x)`` for sin), they
  *could* be recorded.

Step 31 switches that recording on.
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

    x = Variable(np.array(1.0))
    y = F.sin(x)
    y.backward()
    print(f"y = sin(1) = {float(y.data):.6f}")
    print(f"x.grad = cos(1) = {float(x.grad.data):.6f}, a {type(x.grad).__name__}")
    print("x.grad.creator:", x.grad.creator, "(backward was not recorded)")
    print("the forward graph: y.creator is", type(y.creator).__name__,
          "with input x:", y.creator.inputs[0] is x)


if __name__ == "__main__":
    main()
