"""Step 53: saving and loading the weights of a model.

Docs: docs/tutorial/09-classification-and-data.md
Run: .venv/bin/python steps/step53.py  (check its output: make step N=53)

Training takes time; its result -- the values of the Parameters -- should
outlive the process.  ``model.save_weights(path)`` writes every Parameter
to one NumPy ``.npz`` file, keyed by its attribute path (``l0/W``,
``l0/b``, ``l1/W``, ...); ``model.load_weights(path)`` puts them back into
a model built the same way.  The usual pattern is to load the file when it
exists and continue training from there (``--resume`` below).

Unlike the book's version, saving is atomic (the file is written under a
temporary name and renamed when complete, so a crash mid-write cannot
destroy the previous file), and loading checks every entry first: a file
with missing, extra or wrongly shaped arrays raises an error naming them and
changes nothing.  Files are read without unpickling.

The script trains step 50's spiral classifier, saves it into ``--out`` as
``spiral_mlp.npz``, loads it into a freshly made model, and checks that the
two give identical outputs.  ``--resume`` first loads the file left in
``--out`` by an earlier run, so the training continues where it stopped.
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


def accuracy_on(model: Model, test_set: dezero.Dataset) -> float:
    """Accuracy of model on the whole test set (no graph recorded)."""
    with dezero.no_grad():
        return float(F.accuracy(model(test_set.data), test_set.label).data)


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100, help="epochs (default 100)")
    parser.add_argument("--out", default=os.path.join("out", "step53"),
                        help="folder for the weights file (default out/step53)")
    parser.add_argument("--resume", action="store_true",
                        help="first load the weights file from --out if it is there")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "spiral_mlp.npz")

    train_set = dezero.datasets.Spiral(train=True)
    test_set = dezero.datasets.Spiral(train=False)
    train_loader = DataLoader(train_set, batch_size=30)
    model = MLP((10, 3))
    model(train_set.data[:1])  # draw the weights now, so a file can be loaded into them
    if args.resume and os.path.exists(path):
        model.load_weights(path)
        print("resumed from spiral_mlp.npz: test accuracy", f"{accuracy_on(model, test_set):.4f}")
    optimizer = optimizers.SGD(lr=1.0).setup(model)

    for epoch in range(1, args.epochs + 1):
        for x, t in train_loader:
            loss = F.softmax_cross_entropy(model(x), t)
            model.cleargrads()
            loss.backward()
            optimizer.update()
    epochs = f"{args.epochs} epoch{'' if args.epochs == 1 else 's'}"
    print(f"after {epochs}: test accuracy {accuracy_on(model, test_set):.4f}")

    saved = model.save_weights(path)
    print("saved", os.path.basename(saved))
    with np.load(saved) as archive:
        print("entries:", ", ".join(f"{k} {archive[k].shape}" for k in archive.files))

    fresh = MLP((10, 3))
    fresh(train_set.data[:1])
    print(f"a fresh model: test accuracy {accuracy_on(fresh, test_set):.4f}")
    fresh.load_weights(path)
    print(f"after load_weights: test accuracy {accuracy_on(fresh, test_set):.4f}; outputs "
          f"identical: {np.array_equal(fresh(test_set.data).data, model(test_set.data).data)}")

    wider = MLP((20, 3))
    wider(train_set.data[:1])
    before = wider.l0.W.data.copy()
    try:
        wider.load_weights(path)
    except ValueError as error:
        print("loading into MLP((20, 3)):", str(error).replace(args.out + os.sep, ""))
    print("  ... and its weights are unchanged:", np.array_equal(wider.l0.W.data, before))


if __name__ == "__main__":
    main()
