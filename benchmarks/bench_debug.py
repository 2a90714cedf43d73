"""Benchmarks of the debugging tools: what the modes cost, and what ``forget`` saves.

1. ``chain modes``: the scalar chain of bench_core (forward + backward, µs per op)
   with no mode, inside ``detect_anomaly()`` and inside ``profile()``; the three are
   timed in turn in each repeat so that load on the machine hits them alike.  The
   mode-off figure is the one to compare with bench_core's chain row (outside the
   modes a Function call checks one global, a backward one variable).  Each mode's
   value and gradient must equal the mode-off run's exactly.
2. ``forget memory``: tracemalloc peak of forward + backward of a deep MLP (20
   Linear+ReLU layers of 256 units, batch 64) plainly and with every 4 layers in a
   ``F.forget`` segment, and the time of each; the gradients must be bitwise equal.
"""
from __future__ import annotations

import gc
import sys
import time
from typing import Any, Callable

import numpy as np

from common import checked_row, mismatch, row, traced_peak

import dezero
import dezero.functions as F
import dezero.layers as L

CHAIN_CYCLE = "y*-0.5, y+1.5, relu(y), y*y"


# -- 1. the modes on the scalar chain --------------------------------------------------------
def _chain(n_ops: int) -> tuple[float, float]:
    """(y, dy/dx) of bench_core's chain: ``n_ops`` scalar ops, forward and backward."""
    x = dezero.Variable(np.array(0.5))
    y = x
    for _ in range(n_ops // 4):
        y = F.relu(y * -0.5 + 1.5)
        y = y * y
    y.backward()
    return float(y.data), float(x.grad.data)


def _in_mode(mode: Callable[[], Any] | None, n_ops: int) -> Callable[[], tuple[float, float]]:
    def work() -> tuple[float, float]:
        if mode is None:
            return _chain(n_ops)
        with mode():
            return _chain(n_ops)
    return work


def bench_chain_modes(n_ops: int, repeat: int) -> list[dict]:
    """µs per op of the chain with no mode, with detect_anomaly() and with profile()."""
    modes = {"mode off": None, "detect_anomaly": dezero.detect_anomaly,
             "profile": dezero.profile}
    best = {name: float("inf") for name in modes}
    for _ in range(repeat):
        for name, mode in modes.items():
            work = _in_mode(mode, n_ops)
            gc.collect()
            start = time.perf_counter()
            work()
            best[name] = min(best[name], time.perf_counter() - start)
    reference = _chain(n_ops)
    label = f"chain {n_ops} ops fwd+bwd"
    off = best["mode off"] / n_ops * 1e6
    rows = [row(f"{label}: mode off", off, "µs/op",
                note="compare with bench_core's chain row; " + CHAIN_CYCLE)]
    for name, mode in modes.items():
        if mode is None:
            continue
        problem = mismatch("y, dy/dx", _in_mode(mode, n_ops)(), reference, 0.0)
        rows.append(checked_row(f"{label}: {name}", best[name] / n_ops * 1e6, "µs/op", off,
                                "ratio to mode off", problem))
    return rows


# -- 2. forget on a deep MLP -------------------------------------------------------------------
def _mlp(depth: int, width: int, batch: int) -> tuple[list, np.ndarray]:
    rng = np.random.default_rng(0)
    layers = [L.Linear(width) for _ in range(depth)]
    x = rng.standard_normal((batch, width)).astype(np.float32)  # the layers are float32
    with dezero.no_grad():  # create the weights before anything is measured
        h = dezero.Variable(x)
        for layer in layers:
            h = layer(h)
    return layers, x


def _segment(layers: list) -> Callable[[Any], Any]:
    def run(h: Any) -> Any:
        for layer in layers:
            h = F.relu(layer(h))
        return h
    return run


def _train_step(layers: list, x: np.ndarray, every: int | None) -> list[np.ndarray]:
    """Forward and backward of the MLP (with ``forget`` per ``every`` layers); the grads."""
    for layer in layers:
        layer.cleargrads()
    h = dezero.Variable(x)
    step = every or len(layers)
    for i in range(0, len(layers), step):
        run = _segment(layers[i:i + step])
        h = F.forget(run, h) if every else run(h)
    (h * h).sum().backward()
    return [p.grad.data for layer in layers for p in layer.params()]


def bench_forget_memory(depth: int, width: int, batch: int, every: int, repeat: int,
                        ) -> list[dict]:
    """Peak traced memory and time of one training step, plainly and with forget."""
    layers, x = _mlp(depth, width, batch)
    label = f"mlp {depth}x{width} batch {batch} fwd+bwd"
    plain_peak, plain_grads = traced_peak(lambda: _train_step(layers, x, None))
    forget_peak, forget_grads = traced_peak(lambda: _train_step(layers, x, every))
    same = all(np.array_equal(a, b) for a, b in zip(plain_grads, forget_grads))
    problem = None if same else "WRONG gradients: not bitwise those of the plain run"
    del plain_grads, forget_grads
    times = {"plain": float("inf"), "forget": float("inf")}
    for _ in range(repeat):  # in turn, so that load on the machine hits both alike
        for name, chosen in (("plain", None), ("forget", every)):
            gc.collect()
            start = time.perf_counter()
            _train_step(layers, x, chosen)
            times[name] = min(times[name], time.perf_counter() - start)
    mib = 1 / 2 ** 20
    # Both runs create every parameter's gradient: the rest of the peak is activations.
    grads = sum(p.data.nbytes for layer in layers for p in layer.params())
    return [
        row(f"{label} peak memory: plain", plain_peak * mib, "MiB",
            note=f"tracemalloc; {(plain_peak - grads) * mib:.2f} MiB above the "
                 f"{grads * mib:.2f} MiB of parameter gradients"),
        checked_row(f"{label} peak memory: forget every {every} layers", forget_peak * mib,
                    "MiB", plain_peak * mib,
                    f"tracemalloc; ratio to plain; {(forget_peak - grads) * mib:.2f} MiB above "
                    "the parameter gradients", problem),
        row(f"{label} time: plain", times["plain"] * 1e3, "ms"),
        row(f"{label} time: forget every {every} layers", times["forget"] * 1e3, "ms",
            times["plain"] * 1e3, note="one extra forward per segment"),
    ]


def run(quick: bool = False) -> list[dict]:
    """The debugging-tool workloads; ``quick`` shortens the chain and the repeats."""
    if quick:
        rows = bench_chain_modes(2_000, 3)
        rows += bench_forget_memory(20, 256, 64, 4, 2)
    else:
        rows = bench_chain_modes(20_000, 5)
        rows += bench_forget_memory(20, 256, 64, 4, 5)
        rows += bench_forget_memory(20, 256, 512, 4, 3)  # activations outweigh the gradients
    return rows


if __name__ == "__main__":
    for r in run(quick="--quick" in sys.argv):
        print(r)
