"""Step 45: layers made of layers, and Model.

Docs: docs/tutorial/08-neural-networks.md
Run: .venv/bin/python steps/step45.py  (check its output: make step N=45)

A Layer may hold other Layers as attributes; ``params()`` then walks into
them, so a whole network is cleared and updated through one object.
``Model`` is a Layer meant to be the whole network: it adds
``plot(*inputs, to_file=...)``, which runs ``forward`` and draws the
resulting graph with the Parameters labelled by their attribute paths
(``l1.W``, ...).

``TwoLayerNet`` below is the network of steps 43 and 44 written as a
Model.  ``dezero.models.MLP(fc_output_sizes, activation=F.sigmoid)``
generalises it: ``MLP((10, 1))`` is the same network, ``MLP((10, 20, 30,
1))`` a deeper one, with layers ``l0, l1, ...``.

The script draws a TwoLayerNet's graph into ``--out`` (default out/step45)
as DOT text, ``two_layer_net.dot``, and with Graphviz as
``two_layer_net.<format>`` (default png; ``--format dot`` needs no
Graphviz, and without Graphviz the script says what to install), then
trains it on step 43's sine data; same initial weights and data as step 44,
so the losses are step 44's (0.8165 ... 0.0762).
"""
from __future__ import annotations

import argparse
import os
from typing import Sequence

import numpy as np

import dezero.functions as F
import dezero.layers as L
from dezero import Model, Variable
from dezero.models import MLP

from _drawing import save_graph  # shared by the steps that draw (steps/_drawing.py)

STEP = "step45"


class TwoLayerNet(Model):
    """Linear -> sigmoid -> Linear."""

    def __init__(self, hidden_size: int, out_size: int) -> None:
        super().__init__()
        self.l1 = L.Linear(hidden_size)
        self.l2 = L.Linear(out_size)

    def forward(self, x: Variable | np.ndarray) -> Variable:
        """l2(sigmoid(l1(x)))."""
        return self.l2(F.sigmoid(self.l1(x)))


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iters", type=int, default=10000, help="gradient steps (default 10000)")
    parser.add_argument("--lr", type=float, default=0.2, help="learning rate (default 0.2)")
    parser.add_argument("--out", default=os.path.join("out", "step45"),
                        help="folder for the picture (default out/step45)")
    parser.add_argument("--format", choices=["png", "svg", "pdf", "dot"], default="png",
                        help="picture format (default png); the DOT text is always written, "
                             "'dot' writes only it (no Graphviz needed)")
    args = parser.parse_args(argv)

    outer = L.Layer()
    outer.inner = L.Linear(3, in_size=2)
    outer.head = L.Linear(1, in_size=3)
    print("a Layer of Layers yields its sub-layers' parameters:",
          [name for name, _ in outer.named_params()])

    np.random.seed(1)
    drawn = TwoLayerNet(100, 10)
    x = Variable(np.random.randn(5, 10), name="x")
    save_graph(lambda to_file: drawn.plot(x, to_file=to_file), args.out, "two_layer_net",
               args.format, STEP)
    print("its parameters:", ", ".join(f"{n} {p.shape}" for n, p in drawn.named_params()))

    np.random.seed(0)  # step 44's data and initial weights
    x = np.random.rand(100, 1)
    y = np.sin(2 * np.pi * x) + np.random.rand(100, 1)
    model = TwoLayerNet(10, 1)
    for i in range(args.iters):
        loss = F.mean_squared_error(y, model(x))
        model.cleargrads()
        loss.backward()
        for p in model.params():
            p.data -= args.lr * p.grad.data
        if i % 1000 == 0:
            print(f"step {i:5d}: loss {float(loss.data):.10f}")

    mlp = MLP((10, 20, 30, 1))
    mlp(x)
    print("MLP((10, 20, 30, 1)):", ", ".join(f"{n} {p.shape}" for n, p in mlp.named_params()))


if __name__ == "__main__":
    main()
