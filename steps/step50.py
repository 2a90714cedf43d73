"""Step 50: DataLoader -- mini-batches by iteration, and measuring accuracy.

Docs: docs/tutorial/09-classification-and-data.md
Run: .venv/bin/python steps/step50.py  (check its output: make step N=50)

``DataLoader(dataset, batch_size, shuffle=True)`` does step 49's batching:
iterating over it yields ``(x, t)`` arrays of up to ``batch_size`` items,
one epoch per ``for`` loop; with ``shuffle`` it draws a new order (from
NumPy's global generator) when the loader is made and after every epoch.
A test set needs no shuffling (``shuffle=False``).

``F.accuracy(y, t)`` is the fraction of rows whose highest score is the
true class; it is a measurement, not a loss, and has no gradient.

Each epoch trains on the training spiral, then evaluates on the *test*
spiral (``Spiral(train=False)``: the same arms with different noise) under
``dezero.no_grad()``: no graph is recorded, which saves memory and time,
and nothing can be learned from the test data by accident.  Test accuracy
is what says whether the model learned the spirals rather than the 300
training points.  ``--epochs`` sets the length (default 300, the book's);
``--plot`` draws both accuracy curves into ``--out`` (needs matplotlib).
"""
from __future__ import annotations

import argparse
import os
from typing import Sequence

import numpy as np

import dezero
import dezero.functions as F
from dezero import DataLoader, Model, optimizers
from dezero.models import MLP


def evaluate(model: Model, loader: DataLoader) -> tuple[float, float]:
    """Mean loss and accuracy of model over one pass through loader, without a graph."""
    sum_loss = sum_acc = 0.0
    with dezero.no_grad():
        for x, t in loader:
            y = model(x)
            sum_loss += float(F.softmax_cross_entropy(y, t).data) * len(t)
            sum_acc += float(F.accuracy(y, t).data) * len(t)
    return sum_loss / loader.data_size, sum_acc / loader.data_size


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=300, help="epochs (default 300)")
    parser.add_argument("--batch-size", type=int, default=30, help="mini-batch size (default 30)")
    parser.add_argument("--lr", type=float, default=1.0, help="learning rate (default 1.0)")
    parser.add_argument("--out", default=os.path.join("out", "step50"),
                        help="folder for the picture with --plot (default out/step50)")
    parser.add_argument("--plot", action="store_true",
                        help="also draw the accuracy curves (needs matplotlib)")
    args = parser.parse_args(argv)

    train_set = dezero.datasets.Spiral(train=True)
    test_set = dezero.datasets.Spiral(train=False)
    train_loader = DataLoader(train_set, args.batch_size)
    test_loader = DataLoader(test_set, args.batch_size, shuffle=False)
    x, t = next(iter(DataLoader(train_set, 10, shuffle=False)))
    print(f"a batch: x {x.shape} {x.dtype}, t {t.shape}; {len(train_loader)} batches per epoch")

    y = np.array([[0.2, 0.8, 0.0], [0.1, 0.9, 0.0], [0.8, 0.1, 0.1]])
    print("accuracy of argmax [1, 1, 0] against labels [1, 2, 0]:",
          f"{float(F.accuracy(y, np.array([1, 2, 0])).data):.4f}")

    model = MLP((10, 3))
    optimizer = optimizers.SGD(args.lr).setup(model)
    history = []
    report = set(range(1, min(args.epochs, 3) + 1)) | set(range(50, args.epochs + 1, 50))
    report.add(args.epochs)
    for epoch in range(1, args.epochs + 1):
        sum_loss = sum_acc = 0.0
        for x, t in train_loader:
            y = model(x)
            loss = F.softmax_cross_entropy(y, t)
            acc = F.accuracy(y, t)
            model.cleargrads()
            loss.backward()
            optimizer.update()
            sum_loss += float(loss.data) * len(t)
            sum_acc += float(acc.data) * len(t)
        train_loss, train_acc = sum_loss / len(train_set), sum_acc / len(train_set)
        test_loss, test_acc = evaluate(model, test_loader)
        history.append((train_acc, test_acc))
        if epoch in report:
            print(f"epoch {epoch:3d}  train loss {train_loss:.4f}, accuracy {train_acc:.4f}  "
                  f"test loss {test_loss:.4f}, accuracy {test_acc:.4f}")

    if args.plot:
        import matplotlib
        matplotlib.use("Agg")  # draw to a file; no display needed
        import matplotlib.pyplot as plt

        os.makedirs(args.out, exist_ok=True)
        epochs = np.arange(1, len(history) + 1)
        plt.plot(epochs, [a for a, _ in history], label="train")
        plt.plot(epochs, [b for _, b in history], label="test")
        plt.xlabel("epoch")
        plt.ylabel("accuracy")
        plt.legend()
        plt.savefig(os.path.join(args.out, "accuracy.png"))
        print("wrote accuracy.png")


if __name__ == "__main__":
    main()
