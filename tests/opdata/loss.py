"""OpSpecs for dezero.functions.loss."""
import math

import numpy as np
from opinfo import OpSpec, strict_real

import dezero.functions as F


def _logits_labels(rng, shapes):
    (n, c), _ = shapes
    return [rng.uniform(-2, 2, size=(n, c)), rng.integers(0, c, size=n)]


def _logits_targets(rng, shapes):
    s, _ = shapes
    return [rng.uniform(-3, 3, size=s), rng.integers(0, 2, size=s).astype(np.float64)]


def _probs_targets(rng, shapes):
    s, _ = shapes
    return [rng.uniform(0.1, 0.9, size=s), rng.integers(0, 2, size=s).astype(np.float64)]


def _mse(a, b):
    """Σ (a − b)² / len(a − b); a 0-d difference counts as a batch of one."""
    d = a - b
    return (d ** 2).sum() / (d.shape[0] if d.ndim else 1)


def _softmax_ce(x, t):
    logp = x - np.log(np.exp(x).sum(1, keepdims=True))
    return -logp[np.arange(len(t)), t].mean()


def _sigmoid_ce(x, t):
    p = 1 / (1 + np.exp(-x))
    return -(t * np.log(p) + (1 - t) * np.log(1 - p)).sum() / len(x)


def _bce(p, t):
    return -(t * np.log(p) + (1 - t) * np.log(1 - p)).sum() / len(p)


def _accuracy(y, t):
    return (y.argmax(1) == t).mean() if t.size else np.nan  # no labels: NumPy's mean, nan


SPECS = [
    OpSpec("mean_squared_error", F.mean_squared_error, _mse,
           [((4, 3), (4, 3)), ((4, 3), (3,)), ((4, 1), (1, 3)), ((5,), (5,))],
           fuzz_shapes="broadcast"),
    OpSpec("softmax_cross_entropy", F.softmax_cross_entropy, _softmax_ce,
           [((4, 3), (4,)), ((1, 5), (1,))], make=_logits_labels),
    OpSpec("sigmoid_cross_entropy", F.sigmoid_cross_entropy, _sigmoid_ce,
           [((4, 3), (4, 3)), ((5,), (5,))], make=_logits_targets),
    OpSpec("binary_cross_entropy", F.binary_cross_entropy, _bce,
           [((4, 3), (4, 3)), ((5,), (5,))], make=_probs_targets),
    # float64 for any y, as DeZero: a fraction of hits that prints exactly
    OpSpec("accuracy", F.accuracy, _accuracy, [((6, 3), (6,))], make=_logits_labels, order=0,
           dtype32=np.float64),
]


def _mae(a, b):
    return np.abs(a - b).mean()


def _huber(a, b, delta=1.0):
    d = a - b
    ad = np.abs(d)
    return np.where(ad <= delta, 0.5 * d * d, delta * (ad - 0.5 * delta)).mean()


def _positive_finite(value):
    """huber_loss's delta: a finite real number > 0."""
    v = strict_real(value)
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"delta {v} is not a finite positive number")
    return v


LOSS_PAIRS = [((4, 3), (4, 3)), ((4, 3), (3,)), ((4, 1), (1, 3)), ((), ()), ((5,), ())]

SPECS += [
    OpSpec("mean_absolute_error", F.mean_absolute_error, _mae, LOSS_PAIRS,
           fuzz_shapes="broadcast"),
    OpSpec("huber_loss", F.huber_loss, _huber, LOSS_PAIRS, fuzz_shapes="broadcast",
           fuzz_args={"delta": "real"},
           fuzz_ref=lambda a, b, delta: _huber(a, b, _positive_finite(delta))),
    OpSpec("huber_loss", lambda x, t: F.huber_loss(x, t, delta=0.5),
           lambda x, t: _huber(x, t, 0.5), [((4, 3), (4, 3)), ((3,), ())],
           label="huber_loss-0.5"),
]
