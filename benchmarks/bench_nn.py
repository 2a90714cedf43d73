"""Benchmarks of neural-network training: one iteration (forward, backward, SGD update), float32.

Three workloads, each timed per training iteration on the CPU and checked for agreement: the loss
and the updated first-layer weights after one step from the same start must match the NumPy
floor (the CNN: PyTorch, when importable); a mismatch makes the row's ``ok`` False (run.py then
exits 1) and is described in its note.

1. ``mlp small``: 784-100-10 MLP with sigmoid, batch 100. The floor is the same MLP written by
   hand in NumPy (in this file); PyTorch CPU is shown too when importable. Target: dezero ≤ 1.1×
   the NumPy floor (DeZero 0.0.13: 1.9 ms; PyTorch 0.68 ms; NumPy 0.42 ms).
2. ``mlp large``: 784-1000-1000-10 MLP with ReLU, batch 100. Compared with PyTorch (target ≤ 1.2×;
   DeZero 0.0.13: 24 ms, PyTorch 5.7 ms) and with the NumPy matrix products alone: the three
   forward products, the three weight gradients and the two hidden-input gradients (5.3 ms).
3. ``cnn``: conv 3×3 1→16, ReLU, 2×2 max pool, conv 3×3 16→32, ReLU, 2×2 max pool, Linear
   1568→10, on a (32, 1, 28, 28) batch. Compared with PyTorch (target ≤ 1.3×; DeZero 0.0.13:
   41 ms, PyTorch 6.4 ms).

PyTorch is timed on one thread (``torch.set_num_threads(1)``) and on its default number of
threads (restored afterwards), and each gets a ``dezero vs torch (… threads)`` row whose ratio is
dezero / torch.  NumPy (so dezero) runs its matrix products on its BLAS's own threads; the floor
rows' notes name the BLAS and, when known, its thread count.

Every framework uses the same layout (W of a linear layer is (in, out), conv W is (OC, C, KH, KW)),
the same initial weights and batch, softmax cross-entropy averaged over the batch and plain SGD.
"""
from __future__ import annotations

import sys
from typing import Any, Callable

import numpy as np

from common import (blas_threads, checked_row, join_notes, load_sibling, numpy_blas_note,
                    optional_import, row, time_call, torch_threads)

nets = load_sibling("nets")
DezeroNet, TorchNet, LR, CNN_CHANNELS = nets.DezeroNet, nets.TorchNet, nets.LR, nets.CNN_CHANNELS

SMALL_SIZES = (784, 100, 10)
LARGE_SIZES = (784, 1000, 1000, 10)
MLP_BATCH = 100
CNN_BATCH = 32
RTOL = 2e-4  # float32 results of different summation orders


def _per_iteration(step: Callable[[], Any], iters: int, repeat: int) -> float:
    """Best time in ms of one call of ``step`` (each timed run makes ``iters`` calls)."""
    def run_iters() -> None:
        for _ in range(iters):
            step()

    step()  # warm-up: lazy allocations, BLAS thread start-up
    best, _ = time_call(run_iters, repeat)
    return best / iters * 1e3


def _agreement(name: str, got: tuple[float, np.ndarray], want: tuple[float, np.ndarray]
               ) -> str | None:
    """None when loss and updated weights match the reference, else a note saying how not."""
    (loss, w), (ref_loss, ref_w) = got, want
    if not np.isclose(loss, ref_loss, rtol=RTOL, atol=1e-6):
        return f"WRONG LOSS {name}: {loss!r} != {ref_loss!r}"
    if not np.allclose(w, ref_w, rtol=RTOL, atol=1e-6):
        worst = float(np.max(np.abs(w - ref_w)))
        return f"WRONG UPDATE {name}: weights differ by up to {worst:.3g}"
    return None


# -- the NumPy floors ------------------------------------------------------------------------------
def _softmax_cross_entropy_np(y: np.ndarray, t: np.ndarray) -> tuple[float, np.ndarray]:
    """(mean cross-entropy, its gradient with respect to the logits y)."""
    n = len(t)
    shifted = y - y.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=1, keepdims=True)
    loss = float(np.log(total[:, 0]).sum() - shifted[np.arange(n), t].sum()) / n
    grad = exp / total
    grad[np.arange(n), t] -= 1
    grad *= np.float32(1.0 / n)
    return loss, grad


class NumpyMLP:
    """A sigmoid or ReLU MLP with its backward pass and SGD update written out by hand."""

    def __init__(self, params: list[np.ndarray], activation: str):
        self.params = [p.copy() for p in params]
        self.activation = activation
        self.lr = np.float32(LR)

    def step(self, x: np.ndarray, t: np.ndarray) -> float:
        """One training iteration; returns the loss before the update."""
        Ws, bs = self.params[0::2], self.params[1::2]
        hs = [x]  # the input of each linear layer
        h = x
        for i, (W, b) in enumerate(zip(Ws, bs)):
            a = h @ W
            a += b
            if i < len(Ws) - 1:
                if self.activation == "sigmoid":
                    h = np.tanh(a * np.float32(0.5)) * np.float32(0.5) + np.float32(0.5)
                else:
                    h = np.maximum(a, 0)
                hs.append(h)
            else:
                h = a
        loss, g = _softmax_cross_entropy_np(h, t)
        for i in reversed(range(len(Ws))):
            gW, gb = hs[i].T @ g, g.sum(axis=0)
            if i > 0:  # no gradient for the input batch itself
                g = g @ Ws[i].T
                h = hs[i]
                g *= h * (1 - h) if self.activation == "sigmoid" else (h > 0)
            Ws[i] -= self.lr * gW
            bs[i] -= self.lr * gb
        return loss


def _matmuls_only(sizes: tuple[int, ...], batch: int) -> Callable[[], None]:
    """The matrix products of one MLP training iteration, on preallocated float32 arrays."""
    rng = np.random.default_rng(1)
    acts = [rng.random((batch, n), dtype=np.float32) for n in sizes]
    Ws = [rng.random((a, b), dtype=np.float32) for a, b in zip(sizes[:-1], sizes[1:])]

    def products() -> None:
        for i, W in enumerate(Ws):  # forward
            acts[i] @ W
        for i, W in enumerate(Ws):  # weight gradients
            acts[i].T @ acts[i + 1]
        for i in range(1, len(Ws)):  # gradients of the hidden inputs
            acts[i + 1] @ Ws[i].T

    return products


def _one_step(net: Any, x: Any, t: Any) -> tuple[float, np.ndarray]:
    """(loss, first weight after the update) of one step of a freshly built ``net``."""
    loss = float(net.step(x, t))
    if isinstance(net, NumpyMLP):
        return loss, net.params[0]
    return loss, net.first_weight()


def _threads(n: int) -> str:
    """'1 thread', '2 threads' ..."""
    return f"{n} thread" if n == 1 else f"{n} threads"


def _time_torch(torch: Any, params: list[np.ndarray], kind: str, x: np.ndarray, t: np.ndarray,
                iters: int, repeat: int, reference: tuple[float, np.ndarray],
                ) -> list[tuple[int, float, str | None]]:
    """[(threads, ms per iteration, None or a WRONG note)] of PyTorch on one thread and on its
    default number of threads (once when that is 1); the thread count is restored after."""
    tx, tt = torch.from_numpy(x), torch.from_numpy(t)
    default = torch.get_num_threads()
    timings = []
    for n in sorted({1, default}):
        with torch_threads(torch, n):
            check = _agreement(f"torch ({_threads(n)})",
                               _one_step(TorchNet(torch, params, kind), tx, tt), reference)
            tnet = TorchNet(torch, params, kind)
            timings.append((n, _per_iteration(lambda: tnet.step(tx, tt), iters, repeat), check))
    return timings


def _dezero_at(threads: list[int], step: Callable[[], Any], iters: int, repeat: int
               ) -> dict[int, tuple[float, str | None]]:
    """{threads: (ms per iteration of dezero's ``step``, a note)} with NumPy's BLAS held to
    each thread count, so that each ``dezero vs torch (N threads)`` row compares like with
    like; the note says when the BLAS threads could not be set (no threadpoolctl)."""
    timings = {}
    for n in threads:
        with blas_threads(n) as held:
            ms = _per_iteration(step, iters, repeat)
        timings[n] = (ms, None if held else "numpy BLAS threads not set (no threadpoolctl)")
    return timings


def _torch_rows(label: str, torch: Any, timings: list[tuple[int, float, str | None]],
                floor: float | None, dezero: dict[int, tuple[float, str | None]],
                dezero_check: str | None, target: str | None) -> list[dict]:
    """The ``torch (N threads)`` rows (ratio against ``floor``, if any) and the ``dezero vs
    torch (N threads)`` rows (ratio dezero / torch, dezero's NumPy BLAS on the same number of
    threads; wrong when either side was wrong)."""
    default = torch.get_num_threads()
    rows = []
    for n, ms, check in timings:
        note = f"torch {torch.__version__} CPU, {_threads(n)} (default {default})"
        rows.append(checked_row(f"{label}: torch ({_threads(n)})", ms, "ms", floor, note, check))
    for n, ms, check in timings:
        dezero_ms, blas_note = dezero[n]
        rows.append(checked_row(f"{label}: dezero vs torch ({_threads(n)})", dezero_ms, "ms", ms,
                                join_notes(target, blas_note),
                                join_notes(dezero_check, check)))
    return rows


# -- workloads -------------------------------------------------------------------------------------
def bench_small_mlp(torch: Any, iters: int, repeat: int) -> list[dict]:
    """Workload 1: the 784-100-10 sigmoid MLP, dezero and torch against the NumPy floor."""
    x, t, params = nets.mlp_arrays(SMALL_SIZES, MLP_BATCH)
    label = "mlp 784-100-10 sigmoid b100 train iter"
    reference = _one_step(NumpyMLP(params, "sigmoid"), x, t)
    numpy_net = NumpyMLP(params, "sigmoid")
    floor = _per_iteration(lambda: numpy_net.step(x, t), iters, repeat)
    rows = [row(f"{label}: numpy floor", floor, "ms",
                note=f"hand-written forward/backward/SGD; {numpy_blas_note()}")]
    check = _agreement("dezero", _one_step(DezeroNet(params, "sigmoid"), x, t), reference)
    net = DezeroNet(params, "sigmoid")
    value = _per_iteration(lambda: net.step(x, t), iters, repeat)
    rows.append(checked_row(f"{label}: dezero", value, "ms", floor,
                            "target ≤ 1.1× numpy; DeZero 0.0.13: 1.9 ms", check))
    if torch is not None:
        timings = _time_torch(torch, params, "sigmoid", x, t, iters, repeat, reference)
        dezero = _dezero_at([n for n, _, _ in timings], lambda: net.step(x, t), iters, repeat)
        rows += _torch_rows(label, torch, timings, floor, dezero, check, None)
    return rows


def bench_large_mlp(torch: Any, iters: int, repeat: int) -> list[dict]:
    """Workload 2: the 784-1000-1000-10 ReLU MLP: dezero against torch and the matrix products."""
    x, t, params = nets.mlp_arrays(LARGE_SIZES, MLP_BATCH)
    label = "mlp 784-1000-1000-10 relu b100 train iter"
    reference = _one_step(NumpyMLP(params, "relu"), x, t)
    floor = _per_iteration(_matmuls_only(LARGE_SIZES, MLP_BATCH), iters, repeat)
    rows = [row(f"{label}: numpy matmuls only", floor, "ms",
                note="the 8 matrix products of an iteration; DeZero 0.0.13 era: 5.3 ms; "
                     + numpy_blas_note())]
    check = _agreement("dezero", _one_step(DezeroNet(params, "relu"), x, t), reference)
    net = DezeroNet(params, "relu")
    dezero_ms = _per_iteration(lambda: net.step(x, t), iters, repeat)
    if torch is not None:
        timings = _time_torch(torch, params, "relu", x, t, iters, repeat, reference)
        dezero = _dezero_at([n for n, _, _ in timings], lambda: net.step(x, t), iters, repeat)
        rows += _torch_rows(label, torch, timings, floor, dezero, check,
                            "target ≤ 1.2× torch; DeZero 0.0.13: 24 ms")
    rows.append(checked_row(f"{label}: dezero vs matmuls", dezero_ms, "ms", floor,
                            None if torch is not None else "torch not installed", check))
    return rows


def bench_cnn(torch: Any, iters: int, repeat: int) -> list[dict]:
    """Workload 3: the two-conv CNN, dezero against torch."""
    x, t, params = nets.cnn_arrays(CNN_BATCH)
    c1, c2 = CNN_CHANNELS
    label = f"cnn conv{c1}-pool-conv{c2}-pool-linear b{CNN_BATCH} train iter"
    dezero_result = _one_step(DezeroNet(params, "cnn"), x, t)
    net = DezeroNet(params, "cnn")
    if torch is None:
        dezero_ms = _per_iteration(lambda: net.step(x, t), iters, repeat)
        return [row(f"{label}: dezero", dezero_ms, "ms", note="torch not installed: no baseline")]
    # The reference is PyTorch's step on its default threads; its one-thread step is checked
    # against it too.
    reference = _one_step(TorchNet(torch, params, "cnn"), torch.from_numpy(x), torch.from_numpy(t))
    timings = _time_torch(torch, params, "cnn", x, t, iters, repeat, reference)
    dezero = _dezero_at([n for n, _, _ in timings], lambda: net.step(x, t), iters, repeat)
    return _torch_rows(label, torch, timings, None, dezero,
                       _agreement("dezero (vs torch)", dezero_result, reference),
                       "target ≤ 1.3× torch; DeZero 0.0.13: 41 ms")


def run(quick: bool = False) -> list[dict]:
    """Rows of ms per training iteration; ``quick`` times fewer iterations for a smoke run."""
    torch = optional_import("torch")
    repeat = 3 if quick else 7
    rows = bench_small_mlp(torch, 10 if quick else 100, repeat)
    rows += bench_large_mlp(torch, 2 if quick else 10, repeat)
    rows += bench_cnn(torch, 2 if quick else 10, repeat)
    return rows


if __name__ == "__main__":
    for result in run(quick="--quick" in sys.argv):
        print(result)
