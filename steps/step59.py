"""Step 59: a recurrent network (RNN) -- predicting a sine wave one step ahead.

Docs: docs/tutorial/10-cnn-and-rnn.md
Run: .venv/bin/python steps/step59.py  (check its output: make step N=59)

A recurrent layer keeps a hidden state h between calls, so its output can
depend on everything it has seen so far:

    h_t = tanh(x_t Wx + b + h_{t-1} Wh)

``L.RNN(hidden_size)`` is that layer (``reset_state()`` forgets h and
starts a new sequence).  Unrolled in time, a sequence of T inputs makes a
graph T layers deep; backpropagating through all of it is backpropagation
through time (BPTT).  For long sequences the graph is cut every
``bptt_length`` steps: after ``loss.backward()``, ``loss.unchain_backward()``
removes the creator links behind the loss, so the old graph is freed and the
next backward stops there ("truncated BPTT").  The hidden state's *value*
carries on across the cut; only the gradient path is cut.

``dezero.datasets.SinCurve`` is 999 (x_t, x_{t+1}) pairs from a noisy sine
(the test set: a clean cosine).  The model -- RNN(100) then Linear(1) -- is
fed one value at a time and trained with Adam to predict the next one;
the printed loss is the epoch's mean squared error (it cannot go below the
noise's variance, 0.05^2 / 3 = 0.00083).  After training it predicts the
*cosine*, a curve it never saw, step by step from the true previous values.
The book trains 100 epochs (about 20 s); the default here is
``--epochs 10`` to stay quick.  ``--plot`` draws the prediction into
``--out`` (needs matplotlib).
"""
from __future__ import annotations

import argparse
import os
from typing import Sequence

import numpy as np

import dezero
import dezero.functions as F
import dezero.layers as L
from dezero import Model, Variable, optimizers


class SimpleRNN(Model):
    """RNN(hidden_size) -> Linear(out_size), one time step per call."""

    def __init__(self, hidden_size: int, out_size: int) -> None:
        super().__init__()
        self.rnn = L.RNN(hidden_size)
        self.fc = L.Linear(out_size)

    def reset_state(self) -> None:
        """Start a new sequence."""
        self.rnn.reset_state()

    def forward(self, x: Variable | np.ndarray) -> Variable:
        """Prediction of the next value from this one and the remembered state."""
        return self.fc(self.rnn(x))


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10, help="epochs (default 10; book: 100)")
    parser.add_argument("--hidden", type=int, default=100, help="hidden units (default 100)")
    parser.add_argument("--bptt", type=int, default=30,
                        help="steps between truncations (default 30)")
    parser.add_argument("--out", default=os.path.join("out", "step59"),
                        help="folder for the picture with --plot (default out/step59)")
    parser.add_argument("--plot", action="store_true",
                        help="also draw the predicted cosine (needs matplotlib)")
    args = parser.parse_args(argv)

    np.random.seed(0)  # SinCurve's noise and the initial weights come from it
    train_set = dezero.datasets.SinCurve(train=True)
    seqlen = len(train_set)
    x0, t0 = train_set[0]
    print(f"SinCurve: {seqlen} pairs; the first: x {x0.shape} {float(x0[0]):.4f} -> "
          f"t {float(t0[0]):.4f}")

    model = SimpleRNN(args.hidden, 1)
    optimizer = optimizers.Adam().setup(model)

    # Truncation really cuts the graph: after unchain_backward the loss has no history.
    probe = SimpleRNN(4, 1)
    loss = sum(F.mean_squared_error(probe(x.reshape(1, 1)), t) for x, t in
               (train_set[i] for i in range(3)))
    loss.unchain_backward()
    print("after unchain_backward, the loss's inputs have creators:",
          any(v.creator is not None for v in loss.creator.inputs))

    for epoch in range(1, args.epochs + 1):
        model.reset_state()
        loss, count, total = 0, 0, 0.0
        for x, t in train_set:
            y = model(x.reshape(1, 1))
            step_loss = F.mean_squared_error(y, t)
            loss = loss + step_loss
            total += float(step_loss.data)
            count += 1
            if count % args.bptt == 0 or count == seqlen:
                model.cleargrads()
                loss.backward()
                loss.unchain_backward()
                optimizer.update()
                loss = 0  # the next stretch starts a new sum (the state carries on)
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
        plt.savefig(os.path.join(args.out, "rnn_cos.png"))
        print("wrote rnn_cos.png")


if __name__ == "__main__":
    main()
