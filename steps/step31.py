"""Step 31: higher-order derivatives, the theory -- recording the backward pass.

Docs: docs/tutorial/06-higher-order.md
Run: .venv/bin/python steps/step31.py  (check its output: make step N=31)

``backward(create_graph=True)`` runs the backward pass with graph recording
on.  Every operation inside the backward methods -- for y = sin x, the
product ``gy * cos(x)`` -- then becomes part of a new graph, and the gradient
``x.grad`` is that graph's output: a Variable with a creator, which can be
differentiated in turn.

The script walks the graph behind x.grad for y = sin x and lists its
Functions: the cos of x and the multiplication by the incoming gradient.
Differentiating that graph gives d/dx cos x = -sin x (step 32 does it).
"""
from __future__ import annotations

import argparse
from typing import Sequence

import numpy as np

import dezero.functions as F
from dezero import Variable


def walk(v: Variable) -> tuple[list[str], list[Variable]]:
    """The Functions (class names, sorted) and the leaf Variables of the graph behind v."""
    functions, leaves, seen = [], [], set()
    stack = [v.creator] if v.creator is not None else []
    while stack:
        f = stack.pop()
        if f in seen:
            continue
        seen.add(f)
        functions.append(type(f).__name__)
        for inp in f.inputs:
            if inp.creator is not None:
                stack.append(inp.creator)
            elif not any(inp is leaf for leaf in leaves):
                leaves.append(inp)
    return sorted(functions), leaves


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)

    x = Variable(np.array(1.0))
    y = F.sin(x)
    y.backward(create_graph=True)
    gx = x.grad
    print(f"x.grad = cos(1) = {float(gx.data):.6f}")
    print("x.grad has a creator:", gx.creator is not None)
    functions, leaves = walk(gx)
    print("Functions behind x.grad:", ", ".join(functions))
    print("x is one of its inputs:", any(leaf is x for leaf in leaves))


if __name__ == "__main__":
    main()
