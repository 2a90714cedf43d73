"""Convolution benchmark: conv2d (16 3×3 filters) + 2×2 max pooling on an MNIST-sized batch.

Times the forward pass alone and forward + backward, in float32 on the CPU, and
when PyTorch is installed compares with its CPU conv2d/max_pool2d in the same run
(the baseline column; ratio = dezero / torch).  Torch runs on one thread: NumPy runs
these ops on one core, and a multi-threaded torch timing swings by 100× when other
processes share the machine.
"""
from __future__ import annotations

import numpy as np
from common import optional_import, row, time_call

import dezero.functions as F
from dezero import Variable

BATCH = (32, 1, 28, 28)
FILTERS = (16, 1, 3, 3)


def _dezero_step(x: Variable, W: Variable, b: Variable, backward: bool) -> None:
    y = F.pooling(F.conv2d(x, W, b, stride=1, pad=1), 2, stride=2)
    if backward:
        for v in (x, W, b):
            v.cleargrad()
        F.sum(y).backward()


def _torch_step(torch, x, W, b, backward: bool) -> None:
    tf = torch.nn.functional
    if backward:
        for t in (x, W, b):
            t.grad = None
        tf.max_pool2d(tf.conv2d(x, W, b, stride=1, padding=1), 2, 2).sum().backward()
    else:
        with torch.no_grad():
            tf.max_pool2d(tf.conv2d(x, W, b, stride=1, padding=1), 2, 2)


def run(quick: bool = False) -> list[dict]:
    """Rows of timings (milliseconds per batch) for dezero and, if present, torch."""
    repeat = 3 if quick else 20
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal(BATCH).astype(np.float32)
    W_np = (rng.standard_normal(FILTERS) * 0.3).astype(np.float32)
    b_np = np.zeros(FILTERS[0], dtype=np.float32)

    torch = optional_import("torch")
    threads = torch.get_num_threads() if torch is not None else None
    if torch is not None:
        torch.set_num_threads(1)
    try:
        return _rows(torch, x_np, W_np, b_np, repeat)
    finally:
        if torch is not None:
            torch.set_num_threads(threads)


def _rows(torch, x_np, W_np, b_np, repeat: int) -> list[dict]:
    x, W, b = Variable(x_np), Variable(W_np), Variable(b_np)
    rows = []
    for backward, label in ((False, "forward"), (True, "forward+backward")):
        _dezero_step(x, W, b, backward)  # warm-up
        best, _ = time_call(lambda: _dezero_step(x, W, b, backward), repeat=repeat)
        baseline, note = None, "torch not installed"
        if torch is not None:
            tx, tW, tb = (torch.from_numpy(a.copy()).requires_grad_(True)
                          for a in (x_np, W_np, b_np))
            _torch_step(torch, tx, tW, tb, backward)
            baseline, _ = time_call(lambda: _torch_step(torch, tx, tW, tb, backward),
                                    repeat=repeat)
            baseline *= 1e3
            note = f"baseline: torch {torch.__version__} CPU, 1 thread"
        rows.append(row(f"conv2d 16x3x3 + maxpool 2x2, {label}, batch {BATCH}", best * 1e3,
                        "ms", baseline=baseline, note=note))
    return rows


if __name__ == "__main__":
    for r in run():
        print(r)
