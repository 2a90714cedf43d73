"""Step 64: finding where a NaN comes from, with dezero.detect_anomaly.

Docs: docs/tutorial/11-beyond-backward.md
Run: .venv/bin/python steps/step64_find_nan.py  (check its output: make step N=64)

A softmax classifier on three classes, trained with plain SGD; its inputs
are not normalised (two features in the hundreds) and the learning rate is
large.  The loss is written the obvious way, -log(softmax(z)[t]): compute
the probabilities, then take the log of the right one.  After a few steps
the logits differ by more than about 745, exp underflows, the probability
of a correct class becomes exactly 0.0, its log -inf -- and from the next
update on everything is nan.  The printed loss shows the symptom, not the
cause: which operation made the first non-finite number?

Inside ``with dezero.detect_anomaly():`` every Function's outputs (and in
backward, every gradient) are checked, and the first NaN or inf raises
``dezero.AnomalyError``.  Its message and attributes say which Function
(``Log``), in which pass (``forward``), and the file, line and source of
the call in this script.  The same training step that printed "inf" is run
again under the mode, from the same weights.

The fix is not to clip the probability but to never form it: log softmax
is z - logsumexp(z), computed after subtracting the largest logit, so it is
finite for any logits.  ``F.softmax_cross_entropy`` does that; with it the
same training stays finite -- though with inputs in the hundreds it still
jumps about; standardising the features (mean 0, deviation 1) lets it learn.
(NumPy's own "divide by zero" warnings are silenced here: they name no
operation.)
"""
from __future__ import annotations

import argparse
import linecache
import os
import warnings
from typing import Sequence

import numpy as np

import dezero
import dezero.functions as F
import dezero.layers as L
from dezero import Variable


def naive_loss(z: Variable, t: np.ndarray) -> Variable:
    """Mean of -log p[t] with p = softmax(z): the probability first, then its log."""
    p = F.softmax(z)
    p_true = p[np.arange(len(t)), t]
    log_p = F.log(p_true)
    return -F.sum(log_p) / len(t)


def make_data(n: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """Three classes of points; two features measured in hundreds, one near 1."""
    rng = np.random.default_rng(0)
    t = np.arange(n) % 3
    centres = np.array([[100.0, 400.0, 1.0], [300.0, 200.0, 0.5], [500.0, 100.0, 2.0]])
    x = centres[t] + rng.normal(0.0, [40.0, 40.0, 0.3], size=(n, 3))
    return x, t


def standardise(x: np.ndarray) -> np.ndarray:
    """Each feature shifted and scaled to mean 0 and standard deviation 1."""
    return (x - x.mean(axis=0)) / x.std(axis=0)


def train(loss_fn, steps: int, lr: float, stop_at_first_non_finite: bool = False,
          prepare=lambda x: x) -> tuple[L.Linear, list[float]]:
    """SGD on the whole data set (its inputs passed through ``prepare``); returns the layer
    and the losses, one per step."""
    x, t = make_data()
    x = prepare(x)
    np.random.seed(0)
    layer = L.Linear(3, in_size=3)
    losses = []
    for _ in range(steps):
        loss = loss_fn(layer(x), t)
        losses.append(float(loss.data))
        if stop_at_first_non_finite and not np.isfinite(losses[-1]):
            break
        layer.cleargrads()
        loss.backward()
        for p in layer.params():
            p.data -= lr * p.grad.data
    return layer, losses


def show(losses: list[float]) -> str:
    return ", ".join("nan" if np.isnan(v) else "inf" if np.isinf(v) else f"{v:.4f}"
                     for v in losses)


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=8, help="SGD steps (default 8)")
    parser.add_argument("--lr", type=float, default=0.01, help="learning rate (default 0.01)")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's warnings name no operation

    _, losses = train(naive_loss, args.steps, args.lr)
    print("1. the symptom: losses", show(losses))

    # Replay: train up to the first non-finite loss, then run that step's forward and
    # backward again inside detect_anomaly.
    layer, losses = train(naive_loss, args.steps, args.lr, stop_at_first_non_finite=True)
    x, t = make_data()
    z = layer(x)
    print(f"2. before step {len(losses) - 1}: the logits span {float(z.data.min()):.0f} "
          f"to {float(z.data.max()):.0f}")
    try:
        with dezero.detect_anomaly():
            loss = naive_loss(layer(x), t)
            loss.backward()
        print("   detect_anomaly found nothing")
    except dezero.AnomalyError as e:
        print("   AnomalyError:", str(e).splitlines()[0])
        print(f"   function {e.function}, phase {e.phase}")
        print(f"   at {os.path.basename(e.filename)}:{e.lineno}: "
              f"{linecache.getline(e.filename, e.lineno).strip()}")

    _, losses = train(lambda z, t: F.softmax_cross_entropy(z, t), args.steps, args.lr)
    print("3. the fix, F.softmax_cross_entropy (log softmax = z - logsumexp z): losses",
          show(losses))
    print("   all finite:", bool(np.isfinite(losses).all()))
    _, losses = train(lambda z, t: F.softmax_cross_entropy(z, t), args.steps, 1.0,
                      prepare=standardise)
    print("4. and standardised inputs (lr 1.0) let it learn: losses", show(losses))


if __name__ == "__main__":
    main()
