"""Step 49: Dataset -- data behind an index, and mini-batches built from it.

Docs: docs/tutorial/09-classification-and-data.md
Run: .venv/bin/python steps/step49.py  (check its output: make step N=49)

Step 48 held the whole training set in two arrays.  A ``Dataset`` instead
answers ``dataset[i]`` with one ``(x, label)`` pair and ``len(dataset)``
with its size: the data may then be generated, read from files on demand,
or transformed on the way out, and the training loop does not change.

* A subclass fills ``self.data`` and ``self.label`` in ``prepare()`` (called
  by the constructor); ``train=True/False`` picks the split.
  ``dezero.datasets.Spiral`` is step 48's data as a Dataset.
* ``transform`` (on x) and ``target_transform`` (on the label) are applied
  to each item as it is read: e.g. ``dezero.transforms.Normalize(mean, std)``
  or a ``Compose`` of several.  They never change the stored data.
* A mini-batch is a list of items stacked back into arrays:
  ``np.array([x for x, _ in batch])``.

The training below is step 48's, reading through ``Spiral``: the losses are
the same (1.13, 1.05, 0.95, ...) -- the Dataset changes how the data are
reached, not what they are.  ``--epochs`` sets the length.
"""
from __future__ import annotations

import argparse
import math
from typing import Sequence

import numpy as np

import dezero
import dezero.functions as F
from dezero import optimizers, transforms
from dezero.models import MLP


class Squares(dezero.Dataset):
    """A made-up Dataset: x = i (as float), label = i * i, for i < 5."""

    def prepare(self) -> None:
        """Fill data and label."""
        self.data = np.arange(5, dtype=np.float32)
        self.label = np.arange(5) ** 2


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=300, help="epochs (default 300)")
    parser.add_argument("--batch-size", type=int, default=30, help="mini-batch size (default 30)")
    parser.add_argument("--lr", type=float, default=1.0, help="learning rate (default 1.0)")
    args = parser.parse_args(argv)

    squares = Squares()
    print("Squares: len", len(squares), "; items", [(float(x), int(t)) for x, t in squares])
    halved = Squares(transform=lambda x: x / 2, target_transform=lambda t: -t)
    x3, t3 = halved[3]
    print(f"with transforms x / 2 and -t: item 3 is ({float(x3)}, {int(t3)}); stored data "
          f"unchanged: {squares.data.tolist()}")

    # (each Spiral() reseeds NumPy's generator, see step 48; the training set is made last)
    normalized = dezero.datasets.Spiral(transform=transforms.Normalize(mean=0.0, std=2.0))
    print("Spiral item 0, raw:", dezero.datasets.Spiral()[0][0],
          " normalised (x - 0) / 2:", normalized[0][0])

    train_set = dezero.datasets.Spiral(train=True)
    x0, t0 = train_set[0]
    print("train_set[0]:", x0, t0, "; len", len(train_set))

    model = MLP((10, 3))
    optimizer = optimizers.SGD(args.lr).setup(model)
    data_size = len(train_set)
    batches = math.ceil(data_size / args.batch_size)
    report = set(range(1, min(args.epochs, 5) + 1)) | set(range(50, args.epochs + 1, 50))
    report.add(args.epochs)
    for epoch in range(1, args.epochs + 1):
        index = np.random.permutation(data_size)
        sum_loss = 0.0
        for i in range(batches):
            picked = index[i * args.batch_size:(i + 1) * args.batch_size]
            batch = [train_set[int(j)] for j in picked]
            batch_x = np.array([x for x, _ in batch])
            batch_t = np.array([t for _, t in batch])
            loss = F.softmax_cross_entropy(model(batch_x), batch_t)
            model.cleargrads()
            loss.backward()
            optimizer.update()
            sum_loss += float(loss.data) * len(batch_t)
        if epoch in report:
            print(f"epoch {epoch:3d}, loss {sum_loss / data_size:.2f}")


if __name__ == "__main__":
    main()
