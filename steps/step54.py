"""Step 54: dropout, and switching between training and test mode.

Docs: docs/tutorial/09-classification-and-data.md
Run: .venv/bin/python steps/step54.py  (check its output: make step N=54)

Dropout fights overfitting: during training each unit's output is zeroed
with probability ``dropout_ratio`` (a fresh random mask on every call), so
the network cannot rely on any single unit.  At test time every unit is
kept.  dezero uses *inverted* dropout: the kept outputs are scaled by
1 / (1 - ratio) during training, so their expected value is unchanged and
nothing needs rescaling at test time.

Whether ``F.dropout`` drops is read from ``dezero.Config.train``;
``with dezero.test_mode():`` switches it off for the block (and back on
afterwards, even on an exception).  It is independent of ``no_grad()``:
evaluation usually wants both.  The mode lives in a context variable, so
one thread evaluating does not switch dropout off in another thread that
is training (the book's Config is one global).

With ``np.random.seed(0)`` the book's example drops the last of five ones
and doubles the rest: [2, 2, 2, 2, 0].  The script also trains a spiral
classifier with and without dropout after its hidden layer and evaluates
both in test mode.  The spiral is too small a problem to overfit much, so
there dropout costs a little accuracy; it pays off in large networks that
would otherwise memorise their training data.
"""
from __future__ import annotations

import argparse
from typing import Sequence

import numpy as np

import dezero
import dezero.functions as F
import dezero.layers as L
from dezero import DataLoader, Model, Variable, optimizers


class DropoutMLP(Model):
    """Linear(100) -> ReLU -> dropout(ratio) -> Linear(3)."""

    def __init__(self, ratio: float) -> None:
        super().__init__()
        self.ratio = ratio
        self.l1 = L.Linear(100)
        self.l2 = L.Linear(3)

    def forward(self, x: Variable | np.ndarray) -> Variable:
        """Class scores; dropout acts only in training mode."""
        return self.l2(F.dropout(F.relu(self.l1(x)), self.ratio))


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100,
                        help="epochs per model in the comparison (default 100)")
    args = parser.parse_args(argv)

    np.random.seed(0)
    x = np.ones(5)
    print("x:", x)
    print("training mode, dropout(x):", F.dropout(x).data, " Config.train:", dezero.Config.train)
    with dezero.test_mode():
        print("test mode,     dropout(x):", F.dropout(x).data, " Config.train:",
              dezero.Config.train)
    print("back in training mode:", dezero.Config.train)

    big = np.ones(100000)
    kept = F.dropout(big, dropout_ratio=0.3).data
    print(f"ratio 0.3 on 100000 ones: kept {np.mean(kept > 0):.3f}, mean {kept.mean():.3f} "
          "(expected value unchanged)")

    for ratio in (0.0, 0.5):
        train_set = dezero.datasets.Spiral(train=True)
        test_set = dezero.datasets.Spiral(train=False)
        loader = DataLoader(train_set, batch_size=30)
        model = DropoutMLP(ratio)
        optimizer = optimizers.Adam(alpha=0.01).setup(model)
        for _ in range(args.epochs):
            for xb, tb in loader:
                loss = F.softmax_cross_entropy(model(xb), tb)
                model.cleargrads()
                loss.backward()
                optimizer.update()
        with dezero.test_mode(), dezero.no_grad():
            train_acc = float(F.accuracy(model(train_set.data), train_set.label).data)
            test_acc = float(F.accuracy(model(test_set.data), test_set.label).data)
            repeat = np.array_equal(model(test_set.data).data, model(test_set.data).data)
        print(f"dropout {ratio}: train accuracy {train_acc:.4f}, test accuracy {test_acc:.4f}; "
              f"test-mode outputs repeat exactly: {repeat}")


if __name__ == "__main__":
    main()
