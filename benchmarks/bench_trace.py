"""Benchmarks of traced inference: ``dezero.trace`` replay vs hand-written NumPy and eager dezero.

One workload: the forward pass of the 784-100-10 MLP with sigmoid on a float32 batch of 32,
in test mode.  Rows:

1. ``trace mlp forward``: the traced program's replay, compared with the same forward written by
   hand in NumPy with the same formulas (the floor; target ≤ 1.05×).
2. ``trace vs eager``: the same replay compared with the eager forward under
   ``dezero.no_grad()`` and ``dezero.test_mode()`` (target ≤ 0.5×, reachable only where
   per-call overhead dominates: at this size NumPy's own work is most of the eager time).

Both rows check that the replay's output equals the eager forward's.  Training-step tracing is
not benchmarked (the traced program is forward only).
"""
from __future__ import annotations

import sys
from typing import Any

import numpy as np

from common import checked_row, time_call

import dezero
import dezero.functions as F
from dezero import Parameter

SIZES = (784, 100, 10)
BATCH = 32
RTOL = 1e-6


def _arrays(seed: int = 0) -> tuple[Any, list]:
    rng = np.random.default_rng(seed)
    x = rng.random((BATCH, SIZES[0]), dtype=np.float32)
    params = []
    for n_in, n_out in zip(SIZES[:-1], SIZES[1:]):
        params.append((rng.standard_normal((n_in, n_out)) / np.sqrt(n_in)).astype(np.float32))
        params.append(np.zeros(n_out, dtype=np.float32))
    return x, params


def _numpy_forward(x: Any, W1: Any, b1: Any, W2: Any, b2: Any) -> Any:
    """The same arithmetic as dezero's forward, written by hand (sigmoid in its tanh form,
    which does not overflow, as dezero's Sigmoid computes it)."""
    h = x @ W1 + b1
    h = np.tanh(h * 0.5) * 0.5 + 0.5
    return h @ W2 + b2


def run(quick: bool = False) -> list[dict]:
    """Rows of µs per forward pass; ``quick`` times fewer calls for a smoke run."""
    x, arrays = _arrays()
    W1, b1, W2, b2 = (Parameter(a) for a in arrays)

    def model(v: Any) -> Any:
        return F.linear(F.sigmoid(F.linear(v, W1, b1)), W2, b2)

    program = dezero.trace(model, x)
    calls = 20 if quick else 2000
    repeat = 3 if quick else 7

    def loop(fn: Any) -> float:
        best, _ = time_call(lambda: [fn() for _ in range(calls)], repeat=repeat)
        return best / calls * 1e6

    def eager() -> Any:
        with dezero.no_grad(), dezero.test_mode():
            return model(x)

    t_numpy = loop(lambda: _numpy_forward(x, *arrays))
    t_eager = loop(eager)
    t_trace = loop(lambda: program(x))
    ours = program(x)
    problem = None
    if not np.allclose(ours, eager().data, rtol=RTOL, atol=RTOL):
        problem = "the replay's output differs from the eager forward's"
    elif not np.allclose(ours, _numpy_forward(x, *arrays), rtol=1e-5, atol=1e-5):
        problem = "the replay's output differs from the NumPy forward's"
    name = f"trace mlp {'-'.join(map(str, SIZES))} b{BATCH}"
    return [
        checked_row(f"{name} vs numpy", t_trace, "us", t_numpy,
                    f"target <= 1.05x hand-written NumPy ({t_numpy:.1f} us)", problem),
        checked_row(f"{name} vs eager", t_trace, "us", t_eager,
                    f"target <= 0.5x the eager forward ({t_eager:.1f} us)", problem),
    ]


if __name__ == "__main__":
    for result in run(quick="--quick" in sys.argv):
        print(result)
