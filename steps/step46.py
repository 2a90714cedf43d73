"""Step 46: optimizers -- the update rule as an object.

Docs: docs/tutorial/08-neural-networks.md
Run: .venv/bin/python steps/step46.py  (check its output: make step N=46)

Steps 43-45 wrote the update ``p.data -= lr * p.grad.data`` into the
training loop.  An optimizer owns that rule:
``optimizer = optimizers.SGD(lr).setup(model)`` attaches it to a model, and
``optimizer.update()`` updates every Parameter that has a gradient.  Trying
another method is then a one-line change:

* ``SGD(lr)``:            W <- W - lr dL/dW
* ``MomentumSGD(lr, momentum)``: v <- momentum v - lr dL/dW;  W <- W + v
* ``AdaGrad``, ``AdaDelta``, ``Adam``: per-parameter step sizes from the
  history of the gradients.

Hooks run before each update on the list of Parameters (``WeightDecay``,
``ClipGrad``, ``FreezeParam``; ``optimizer.add_hook(...)``).

The model is ``MLP((10, 1))``, step 45's network, on step 43's data: with
SGD the losses are step 44's (same weights, same rule; the book's run
prints 0.8165, 0.2499, 0.2461, ... 0.0762).  MomentumSGD, from the same
start, leaves the plateau near 0.25 within the first 1000 steps.
"""
from __future__ import annotations

import argparse
from typing import Sequence

import numpy as np

import dezero.functions as F
from dezero import optimizers
from dezero.models import MLP


def train(optimizer_name: str, iters: int, lr: float) -> None:
    """Fit MLP((10, 1)) to the sine data with the named optimizer; print the loss every 1000."""
    np.random.seed(0)
    x = np.random.rand(100, 1)
    y = np.sin(2 * np.pi * x) + np.random.rand(100, 1)
    model = MLP((10, 1))
    if optimizer_name == "SGD":
        optimizer = optimizers.SGD(lr).setup(model)
    else:
        optimizer = optimizers.MomentumSGD(lr, momentum=0.9).setup(model)
    print(f"== {type(optimizer).__name__} (lr {lr}) ==")
    for i in range(iters):
        loss = F.mean_squared_error(y, model(x))
        model.cleargrads()
        loss.backward()
        optimizer.update()
        if i % 1000 == 0 or i == iters - 1:
            print(f"step {i:5d}: loss {float(loss.data):.4f}")


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iters", type=int, default=10000,
                        help="gradient steps per optimizer (default 10000)")
    parser.add_argument("--lr", type=float, default=0.2, help="learning rate (default 0.2)")
    args = parser.parse_args(argv)
    for name in ("SGD", "MomentumSGD"):
        train(name, args.iters, args.lr)


if __name__ == "__main__":
    main()
