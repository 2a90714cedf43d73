"""Predict the next value of a noisy sine curve with an LSTM, by truncated backprop through time.

Run ``python examples/lstm_sin.py`` (options: ``--help``). As in the book's step 60: an LSTM of
100 hidden units and a Linear output, trained with Adam on ``SinCurve`` (999 steps of
sin(x) + noise) by a ``SeqDataLoader`` of 30 parallel rows; every 30 steps the accumulated loss
is backpropagated and the graph cut with ``unchain_backward``. Unlike the book, the last, shorter
stretch of each epoch is trained too. Prints the training loss per step, then the final test loss
(mean squared error of the one-step-ahead prediction on the noiseless cos curve, fed one value at
a time); writes ``<out>/curves.png`` and ``<out>/prediction.png`` (predicted vs true curve).
"""
from __future__ import annotations

import os
import time

import _common
import numpy as np

import dezero
import dezero.functions as F
import dezero.layers as L
from dezero import Model, SeqDataLoader, optimizers
from dezero.datasets import SinCurve
from dezero.transforms import AsType


class SequenceRegressor(Model):
    """LSTM followed by a Linear layer: one output value per time step."""

    def __init__(self, hidden_size: int, out_size: int = 1):
        super().__init__()
        self.rnn = L.LSTM(hidden_size)
        self.fc = L.Linear(out_size)

    def reset_state(self) -> None:
        """Start a new sequence."""
        self.rnn.reset_state()

    def forward(self, x):
        """The prediction for the next step, given this step's input (batch, 1)."""
        return self.fc(self.rnn(x))


def train(model: SequenceRegressor, optimizer, loader: SeqDataLoader, epochs: int, bptt: int,
          progress_mode: str) -> _common.History:
    """Truncated BPTT: backward and update every ``bptt`` steps and at the end of each epoch."""
    history = _common.History()
    bar = _common.progress(range(epochs), epochs, "epochs", progress_mode)
    for epoch in bar:
        start = time.perf_counter()
        model.reset_state()
        loss, total, count = 0, 0.0, 0
        for x, t in loader:
            loss += F.mean_squared_error(model(x), t)
            count += 1
            if count % bptt == 0 or count == len(loader):
                model.cleargrads()
                loss.backward()
                loss.unchain_backward()  # the next stretch starts from here: truncation
                optimizer.update()
                total += float(loss.data)
                loss = 0
        seconds = time.perf_counter() - start
        history.record(train_loss=total / count, seconds=seconds)
        bar.set_postfix(loss=total / count)
        if epoch == 0 or (epoch + 1) % 10 == 0 or epoch + 1 == epochs:
            print(f"epoch {epoch + 1:3d}/{epochs}  train loss per step {total / count:.6f}  "
                  f"({seconds:.2f} s)", flush=True)
    return history


def predict(model: SequenceRegressor, xs: np.ndarray) -> np.ndarray:
    """One-step-ahead predictions along ``xs`` (n, 1), feeding one value at a time."""
    model.reset_state()
    predictions = []
    with dezero.test_mode(), dezero.no_grad():
        for x in xs:
            predictions.append(model(x.reshape(1, 1)).data[0, 0])
    return np.array(predictions, dtype=np.float32)


def save_prediction(inputs: np.ndarray, truth: np.ndarray, predicted: np.ndarray,
                    path: str) -> str | None:
    """PNG of the true next values and the model's predictions along the test curve."""
    plt = _common.pyplot()
    if plt is None:
        return None
    fig, ax = plt.subplots(figsize=(7, 4))
    steps = np.arange(len(inputs))
    ax.plot(steps, truth, label="true next value (cos)", linewidth=3, alpha=0.5)
    ax.plot(steps, predicted, label="LSTM prediction", linewidth=1)
    ax.set_xlabel("step")
    ax.set_ylabel("y")
    ax.grid(True, alpha=0.3)
    ax.legend()
    ax.set_title("LSTM: one-step-ahead prediction on the test curve")
    return _common.save_figure(fig, path)


def main(argv: list[str] | None = None) -> float:
    """Train and evaluate; return the final test loss."""
    parser = _common.make_parser("lstm_sin", __doc__.splitlines()[0], epochs=100, batch_size=30,
                                 lr=1e-3)
    parser.add_argument("--hidden", type=_common.positive_int, default=100,
                        help="hidden units of the LSTM")
    parser.add_argument("--bptt", type=_common.positive_int, default=30,
                        help="steps between two truncations of backpropagation")
    args = parser.parse_args(argv)

    _common.seed(args.seed)  # SinCurve draws its noise from NumPy's global generator
    to_float32 = AsType(np.float32)
    train_set = _common.take_first(SinCurve(train=True, transform=to_float32,
                                            target_transform=to_float32), args.train_size)
    test_set = _common.take_first(SinCurve(train=False), args.test_size)
    if args.batch_size > len(train_set):
        parser.error(f"--batch-size {args.batch_size} exceeds the {len(train_set)} training "
                     "steps; SeqDataLoader needs at least one step per row")
    model = SequenceRegressor(args.hidden)
    optimizer = optimizers.Adam(alpha=args.lr).setup(model)
    print(f"LSTM {args.hidden} hidden + Linear, Adam alpha {args.lr}, {args.batch_size} rows, "
          f"BPTT length {args.bptt}; {len(train_set)} training / {len(test_set)} test steps")
    history = train(model, optimizer, SeqDataLoader(train_set, args.batch_size), args.epochs,
                    args.bptt, args.progress)

    inputs = test_set.data.astype(np.float32)
    truth = test_set.label.astype(np.float32)[:, 0]
    predicted = predict(model, inputs)
    test_loss = float(np.mean((predicted - truth) ** 2))
    print(f"final train loss: {history['train_loss'][-1]:.6f}")
    print(f"final test loss: {test_loss:.6f} (mean squared error per step)")
    _common.report_time(history)
    _common.save_curves(history, os.path.join(args.out, "curves.png"), "LSTM on the sine curve")
    save_prediction(inputs[:, 0], truth, predicted, os.path.join(args.out, "prediction.png"))
    return test_loss


if __name__ == "__main__":
    main()
