"""Step 48: multi-class classification -- the spiral dataset.

Docs: docs/tutorial/09-classification-and-data.md
Run: .venv/bin/python steps/step48.py  (check its output: make step N=48)

``dezero.datasets.get_spiral(train=True)`` returns 300 points on three
interleaved spiral arms (x: (300, 2) float32) and their arm numbers (t: 0, 1
or 2).  No straight line separates the arms, so a linear classifier fails;
``MLP((10, 3))`` (one hidden layer of 10 sigmoid units, 3 class scores)
learns curved boundaries.

Training goes through the data in *epochs*: each epoch shuffles the 300
points (``np.random.permutation``) and cuts them into mini-batches of 30;
every mini-batch gives one gradient step (SGD, lr 1.0) on
``F.softmax_cross_entropy``.  The average loss of each epoch is printed.

``get_spiral`` seeds NumPy's global generator (1984 for the training set),
as the original does; the shuffles and the initial weights come from that
same generator, so the run is reproducible: the book's run prints 1.13,
1.05, 0.95, ... for the first epochs and reaches about 0.13 after 300
epochs, where nearly every training point is classified correctly.
``--epochs`` changes the length; ``--plot`` draws the decision regions into
``--out`` (needs matplotlib).
"""
from __future__ import annotations

import argparse
import math
import os
from typing import Sequence

import numpy as np

import dezero.functions as F
from dezero import no_grad, optimizers
from dezero.datasets import get_spiral
from dezero.models import MLP


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=300, help="epochs (default 300)")
    parser.add_argument("--batch-size", type=int, default=30, help="mini-batch size (default 30)")
    parser.add_argument("--hidden", type=int, default=10, help="hidden units (default 10)")
    parser.add_argument("--lr", type=float, default=1.0, help="learning rate (default 1.0)")
    parser.add_argument("--out", default=os.path.join("out", "step48"),
                        help="folder for the picture with --plot (default out/step48)")
    parser.add_argument("--plot", action="store_true",
                        help="also draw the decision regions (needs matplotlib)")
    args = parser.parse_args(argv)

    x, t = get_spiral(train=True)
    print("spiral:", x.shape, x.dtype, "labels", np.bincount(t).tolist())
    model = MLP((args.hidden, 3))
    optimizer = optimizers.SGD(args.lr).setup(model)

    data_size = len(x)
    batches = math.ceil(data_size / args.batch_size)
    report = set(range(1, min(args.epochs, 5) + 1)) | set(range(50, args.epochs + 1, 50))
    report.add(args.epochs)
    for epoch in range(1, args.epochs + 1):
        index = np.random.permutation(data_size)
        sum_loss = 0.0
        for i in range(batches):
            batch = index[i * args.batch_size:(i + 1) * args.batch_size]
            loss = F.softmax_cross_entropy(model(x[batch]), t[batch])
            model.cleargrads()
            loss.backward()
            optimizer.update()
            sum_loss += float(loss.data) * len(batch)
        if epoch in report:
            print(f"epoch {epoch:3d}, loss {sum_loss / data_size:.2f}")

    with no_grad():
        accuracy = float(F.accuracy(model(x), t).data)
    print(f"training accuracy {accuracy:.2f}")

    if args.plot:
        import matplotlib
        matplotlib.use("Agg")  # draw to a file; no display needed
        import matplotlib.pyplot as plt

        os.makedirs(args.out, exist_ok=True)
        a, b = np.meshgrid(np.linspace(-1.1, 1.1, 300), np.linspace(-1.1, 1.1, 300))
        grid = np.c_[a.ravel(), b.ravel()].astype(np.float32)
        with no_grad():
            regions = model(grid).data.argmax(axis=1).reshape(a.shape)
        plt.contourf(a, b, regions, alpha=0.3)
        for c, marker in zip(range(3), "oxs"):
            plt.scatter(x[t == c, 0], x[t == c, 1], marker=marker, s=25)
        plt.savefig(os.path.join(args.out, "spiral_regions.png"))
        print("wrote spiral_regions.png")


if __name__ == "__main__":
    main()
