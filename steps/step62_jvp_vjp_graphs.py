"""Step 62: Jacobian-vector and vector-Jacobian products, and the graphs behind them.

Docs: docs/tutorial/11-beyond-backward.md
Run: .venv/bin/python steps/step62_jvp_vjp_graphs.py  (check its output: make step N=62)

For y = f(x) with x in R^n and y in R^m, the Jacobian J (m x n) holds every
partial derivative dy_i/dx_j.  Backpropagation never builds it: a backward
pass seeded with a cotangent u (shaped like y) computes the row vector u^T J,
the *vector-Jacobian product* (``dezero.func.vjp``); the *Jacobian-vector
product* J t, for a tangent t shaped like x, is forward mode
(``dezero.func.jvp``).  Seeded with basis vectors, the first gives J row by
row, the second column by column: ``dezero.func.jacobian(f, mode=...)``.

The function here is softmax, y = exp(x) / sum(exp(x)) for x in R^3, whose
Jacobian is known in closed form: J = diag(y) - y y^T.  The script draws
into ``--out`` (default out/step62_jvp_vjp_graphs), as DOT text and, with
Graphviz, as ``<name>.<format>`` (default png):

* ``softmax``: the graph of y = f(x) -- Copy (the transform's copy of x), Exp,
  Sum, Div;
* ``softmax_vjp``: the graph of u^T J that ``vjp`` records: the backward of
  every Function of f, run backwards, with u flowing in where y was;
* ``softmax_jvp``: the graph of J t that ``jvp`` records.  dezero builds it
  from two backward passes (the "double vjp": u^T J is linear in u, so its
  derivative with respect to u along t is J t), so it is bigger still.

Then it prints J t, u^T J and the full Jacobian by both modes, and checks
them against the closed form and against central finite differences.
"""
from __future__ import annotations

import argparse
import os
from typing import Sequence

import numpy as np

import dezero.functions as F
from dezero import Variable
from dezero.func import jacobian, jvp, vjp
from dezero.utils import get_dot_graph, plot_dot_graph

from _drawing import save_graph  # shared by the steps that draw (steps/_drawing.py)

STEP = "step62_jvp_vjp_graphs"


def softmax(x: Variable) -> Variable:
    """exp(x) / sum(exp(x)), R^n -> R^n."""
    e = F.exp(x)
    return e / F.sum(e)


def finite_difference_jacobian(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """J[i, j] = (f(x + eps e_j) - f(x - eps e_j))_i / (2 eps), on plain arrays."""
    columns = []
    for j in range(x.size):
        step = np.zeros_like(x)
        step[j] = eps
        columns.append((f(x + step) - f(x - step)) / (2 * eps))
    return np.stack(columns, axis=1)


def functions_in(v: Variable) -> int:
    """How many Functions the graph behind ``v`` holds (boxes in its picture)."""
    return get_dot_graph(v, verbose=False).count("shape=box")


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join("out", STEP),
                        help="folder for the pictures (default out/step62_jvp_vjp_graphs)")
    parser.add_argument("--format", choices=["png", "svg", "pdf", "dot"], default="png",
                        help="picture format (default png); the DOT text is always written, "
                             "'dot' writes only it (no Graphviz needed)")
    args = parser.parse_args(argv)

    x0 = np.array([1.0, 2.0, 0.5])
    t0 = np.array([1.0, 0.0, -1.0])   # a tangent: a direction in x's space
    u0 = np.array([0.0, 1.0, 0.0])    # a cotangent: a direction in y's space

    def named(v: Variable, name: str) -> Variable:
        v.name = name
        return v

    x = Variable(x0, name="x")
    y, pullback = vjp(lambda v: named(softmax(v), "y"), x)
    print("y = softmax(x) =", np.round(y.data, 6).tolist())
    (uJ,) = pullback(Variable(u0, name="u"))
    uJ.name = "uJ"
    _, Jt = jvp(lambda v: named(softmax(v), "y"), (x,), (Variable(t0, name="t"),))
    Jt.name = "Jt"

    print(f"\nFunctions in each graph: y {functions_in(y)}, u^T J {functions_in(uJ)}, "
          f"J t {functions_in(Jt)}")
    for graph, name in [(y, "softmax"), (uJ, "softmax_vjp"), (Jt, "softmax_jvp")]:
        save_graph(lambda to_file, graph=graph: plot_dot_graph(graph, verbose=False,
                                                               to_file=to_file),
                   args.out, name, args.format, STEP)

    print(f"\nt = {t0.tolist()}: J t =", np.round(Jt.data, 6).tolist())
    print(f"u = {u0.tolist()}: u^T J =", np.round(uJ.data, 6).tolist())

    forward = jacobian(softmax, mode="forward")(x0).data   # 3 jvp passes: columns
    reverse = jacobian(softmax, mode="reverse")(x0).data   # 3 vjp passes: rows
    print("\nJacobian, forward mode (column by column):")
    print(np.array2string(np.round(forward, 6), precision=6, suppress_small=True))
    print("the same by reverse mode (row by row):", np.allclose(forward, reverse,
                                                                 rtol=0, atol=1e-15))

    s = np.exp(x0) / np.exp(x0).sum()
    closed = np.diag(s) - np.outer(s, s)
    numeric = finite_difference_jacobian(lambda a: np.exp(a) / np.exp(a).sum(), x0)
    print("closed form diag(y) - y y^T:", np.allclose(forward, closed, rtol=0, atol=1e-15))
    print("central differences (eps 1e-6), max error below 1e-9:",
          bool(np.abs(forward - numeric).max() < 1e-9))
    print("J t is column-wise, u^T J row-wise:",
          np.allclose(Jt.data, forward @ t0), np.allclose(uJ.data, u0 @ forward))
    print("rows of softmax's Jacobian sum to 0 (adding c to every x changes nothing):",
          np.allclose(forward.sum(axis=1), 0, atol=1e-15))


if __name__ == "__main__":
    main()
