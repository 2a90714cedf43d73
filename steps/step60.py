"""Step 60: LSTM and SeqDataLoader -- mini-batches of time series.

Docs: docs/tutorial/10-cnn-and-rnn.md
Run: .venv/bin/python steps/step60.py  (check its output: make step N=60)

Step 59 fed one value at a time.  To train on mini-batches without breaking
the time order, ``SeqDataLoader(dataset, batch_size)`` reads the sequence
from ``batch_size`` evenly spaced starting points at once: batch row i
starts at offset i * (N // batch_size), and each batch moves every row one
step on.  So row i of consecutive batches continues one sub-sequence, and
the hidden state of row i is the right one to carry over.

``L.LSTM(hidden_size)`` replaces the plain RNN.  Besides h it keeps a cell
state c, changed only by gated, element-wise updates:

    f, i, o = sigmoid(...)   (forget, input, output gates)
    u = tanh(...)            (the candidate)
    c_t = f * c_{t-1} + i * u,   h_t = o * tanh(c_t)

Along c the gradient is multiplied by the forget gate, not by a weight
matrix and a tanh slope at every step, so it survives over many more steps.

Training is step 59's truncated BPTT (every 30 steps, and at the end of the
epoch -- the book's test ``count == len(train_set)`` never fires with
batches, which silently drops each epoch's last 4 steps).  100 epochs by
default, as in the book (``--epochs`` sets the length).  After training the
model predicts the cosine test curve one step ahead; ``--plot`` draws it
into ``--out`` (needs matplotlib).
"""
from __future__ import annotations

import argparse
import os
from typing import Sequence

import numpy as np

import dezero
import dezero.functions as F
import dezero.layers as L
from dezero import Model, Variable, SeqDataLoader, optimizers


class BetterRNN(Model):
    """LSTM(hidden_size) -> Linear(out_size), one time step per call."""

    def __init__(self, hidden_size: int, out_size: int) -> None:
        super().__init__()
        self.rnn = L.LSTM(hidden_size)
        self.fc = L.Linear(out_size)

    def reset_state(self) -> None:
        """Start new sequences."""
        self.rnn.reset_state()

    def forward(self, x: Variable | np.ndarray) -> Variable:
        """Predictions of the next values (batch, out_size)."""
        return self.fc(self.rnn(x))


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100, help="epochs (default 100)")
    parser.add_argument("--batch-size", type=int, default=30,
                        help="sequences per batch (default 30)")
    parser.add_argument("--hidden", type=int, default=100, help="hidden units (default 100)")
    parser.add_argument("--bptt", type=int, default=30,
                        help="steps between truncations (default 30)")
    parser.add_argument("--out", default=os.path.join("out", "step60"),
                        help="folder for the picture with --plot (default out/step60)")
    parser.add_argument("--plot", action="store_true",
                        help="also draw the predicted cosine (needs matplotlib)")
    args = parser.parse_args(argv)

    # How SeqDataLoader orders a toy sequence 0..9 in batches of 2: rows start at 0 and 5.
    class Counting(dezero.Dataset):
        """x = 0..9, label = x + 1."""

        def prepare(self) -> None:
            """Fill data and label."""
            self.data = np.arange(10)
            self.label = np.arange(1, 11)
    toy = SeqDataLoader(Counting(), batch_size=2)
    print("SeqDataLoader on 0..9, batch 2:", [x.tolist() for x, _ in toy])

    np.random.seed(0)
    train_set = dezero.datasets.SinCurve(train=True)
    loader = SeqDataLoader(train_set, batch_size=args.batch_size)
    print(f"{len(train_set)} steps -> {len(loader)} batches of {args.batch_size} per epoch")

    model = BetterRNN(args.hidden, 1)
    optimizer = optimizers.Adam().setup(model)
    report = set(range(1, min(args.epochs, 3) + 1)) | set(range(10, args.epochs + 1, 10))
    report.add(args.epochs)
    for epoch in range(1, args.epochs + 1):
        model.reset_state()
        loss, count, total = 0, 0, 0.0
        for x, t in loader:
            step_loss = F.mean_squared_error(model(x), t)
            loss = loss + step_loss
            total += float(step_loss.data)
            count += 1
            if count % args.bptt == 0 or count == len(loader):
                model.cleargrads()
                loss.backward()
                loss.unchain_backward()
                optimizer.update()
                loss = 0
        if epoch in report:
            print(f"| epoch {epoch} | loss {total / count:.6f}")

    test_set = dezero.datasets.SinCurve(train=False)  # cos on the same grid, no noise
    model.reset_state()
    with dezero.no_grad():
        predictions = np.array([float(model(x.reshape(1, 1)).data[0, 0]) for x, _ in test_set])
    error = np.mean((predictions - test_set.label[:, 0]) ** 2)
    print(f"predicting the cosine one step ahead: mean squared error {error:.6f}")

    if args.plot:
        import matplotlib
        matplotlib.use("Agg")  # draw to a file; no display needed
        import matplotlib.pyplot as plt

        os.makedirs(args.out, exist_ok=True)
        plt.plot(test_set.label[:, 0], label="cos, next value")
        plt.plot(predictions, label="predicted")
        plt.legend()
        plt.savefig(os.path.join(args.out, "lstm_cos.png"))
        print("wrote lstm_cos.png")


if __name__ == "__main__":
    main()
