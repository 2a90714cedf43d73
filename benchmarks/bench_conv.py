"""Convolution benchmark: conv2d (16 3×3 filters, pad 1) + 2×2 max pooling on an MNIST-sized batch.

float32 on the CPU, in training mode on every side: the forward pass records what the
backward pass needs (dezero's graph; torch's autograd graph, its inputs requiring
gradients; the NumPy floor keeps its columns and the convolution's and pooling's outputs), and forward +
backward then takes the gradients of sum(output) with respect to x, W and b.

- ``numpy floor``: im2col and one GEMM for the convolution, a max over each 2×2 block
  for the pooling, and both backward passes (routing to each block's arg-max, two GEMMs,
  col2im), written out by hand in this file.
- ``dezero``: ``F.conv2d`` + ``F.pooling``.
- ``torch`` (when importable): ``conv2d`` + ``max_pool2d`` on one thread: NumPy runs
  these ops on one core, and a multi-threaded torch timing swings by 100× when other
  processes share the machine.

Ratios are value / floor; the ``dezero vs torch`` rows give dezero / torch.  Every side's
output and gradients are checked against the floor's (and dezero's against torch's) at a
float32 tolerance; a disagreement makes the row ``ok`` False.

Per layer: each layer of ``bench_nn.py``'s CNN on its own (conv 1→16 3×3 pad 1 on 28×28,
2×2 max pooling, conv 16→32 3×3 pad 1 on 14×14, 2×2 max pooling; batch 32, float32), its
forward (graph recorded) and its backward (from a given output gradient; the forward runs
before the clock starts) timed separately, dezero against torch on one thread and on its
default number of threads.  The pooling layers get ReLU outputs, as in the CNN (so windows
with tied maxima occur), and the first convolution's input needs no gradient, as in the CNN.
dezero's outputs and gradients are checked against torch's.
"""
from __future__ import annotations

import sys
from typing import Any, Callable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from common import checked_row, mismatch, optional_import, row, time_call

import dezero.functions as F
from dezero import Variable

BATCH = (32, 1, 28, 28)
FILTERS = (16, 1, 3, 3)
PAD = 1
POOL = 2
# float32 sums taken in different orders: each array may differ from the reference by
# RTOL relative to its own entries plus RTOL times the reference's largest magnitude.
RTOL = 1e-4
RESULT_NAMES = ("output", "gx", "gW", "gb")


def _inputs() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The batch x, the filters W and the bias b (float32, fixed seed)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(BATCH).astype(np.float32)
    W = (rng.standard_normal(FILTERS) * 0.3).astype(np.float32)
    b = (rng.standard_normal(FILTERS[0]) * 0.1).astype(np.float32)
    return x, W, b


# -- the NumPy floor -------------------------------------------------------------------
def numpy_conv_pool_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, tuple]:
    """(max_pool(conv2d(x, W, b, pad=PAD)), what the backward pass needs), by im2col + GEMM.

    The convolution is one matrix product per sample of its columns (one row per output
    pixel, one column per (channel, kernel row, kernel column)) with the flattened filters,
    giving an (N, OH, OW, OC) result that is pooled in that layout; the output is returned
    as an (N, OC, PH, PW) view.  Per-sample products keep OpenBLAS on one thread, as
    dezero's batched products are: one large product would be threaded, and a threaded
    product stalls for a whole time slice when another process holds the other core.  Kept for backward: the columns, the convolution's output
    and the pooled output (the arg-maxes are found from the last two when needed).
    """
    n, c, h, w = x.shape
    oc, _, kh, kw = W.shape
    padded = np.pad(x, ((0, 0), (0, 0), (PAD, PAD), (PAD, PAD)))
    oh, ow = h + 2 * PAD - kh + 1, w + 2 * PAD - kw + 1
    if oh % POOL or ow % POOL:
        raise ValueError(f"numpy_conv_pool_forward: a {oh}×{ow} map does not split into "
                         f"{POOL}×{POOL} blocks")
    windows = sliding_window_view(padded, (kh, kw), axis=(2, 3))  # (N, C, OH, OW, KH, KW)
    columns = windows.transpose(0, 2, 3, 1, 4, 5).reshape(n, oh * ow, c * kh * kw)
    conv = columns @ W.reshape(oc, c * kh * kw).T  # (N, OH·OW, OC)
    conv += b
    # Max pooling as a maximum of whole planes (a reduction over a tiny axis is slow in
    # NumPy): the plane at offset (i, j) holds every block's entry at that offset.
    ph, pw = oh // POOL, ow // POOL
    conv = conv.reshape(n, ph, POOL, pw, POOL, oc)
    pooled = conv[:, :, 0, :, 0, :].copy()
    for i in range(POOL):
        for j in range(POOL):
            if i or j:
                np.maximum(pooled, conv[:, :, i, :, j, :], out=pooled)
    return pooled.transpose(0, 3, 1, 2), (x.shape, W, columns, conv, pooled)


def _keep_first_hits(hits: np.ndarray) -> None:
    """Clear, in place, every hit of a (N, PH, POOL, PW, POOL, OC) mask after its block's first."""
    taken = np.zeros(hits[:, :, 0, :, 0, :].shape, dtype=bool)
    for i in range(POOL):
        for j in range(POOL):
            plane = hits[:, :, i, :, j, :]
            plane &= ~taken
            taken |= plane


def numpy_conv_pool_backward(gy: np.ndarray, saved: tuple) -> tuple[np.ndarray, ...]:
    """(gx, gW, gb) from the gradient ``gy`` (N, OC, PH, PW) of the pooled output."""
    (n, c, h, w), W, columns, conv, pooled = saved
    oc, _, kh, kw = W.shape
    ph, pw = pooled.shape[1:3]
    oh, ow = ph * POOL, pw * POOL
    # Max pooling: each block's gradient goes to the entry holding its maximum (the first
    # one on a tie, as dezero and torch pick).
    hits = conv == pooled.reshape(n, ph, 1, pw, 1, oc)
    if np.count_nonzero(hits) != pooled.size:
        _keep_first_hits(hits)
    gy_blocks = np.ascontiguousarray(gy.transpose(0, 2, 3, 1)).reshape(n, ph, 1, pw, 1, oc)
    gconv = np.multiply(hits, gy_blocks).reshape(n, oh * ow, oc)
    # Convolution: per-sample GEMMs, then the columns' gradients summed back into the image.
    gW = (gconv.transpose(0, 2, 1) @ columns).sum(axis=0).reshape(W.shape)
    gb = (np.ones(oh * ow, dtype=gconv.dtype) @ gconv).sum(axis=0)  # column sums by GEMV
    gcolumns = (gconv @ W.reshape(oc, c * kh * kw)).reshape(n, oh, ow, c, kh, kw)
    gpadded = np.zeros((n, c, h + 2 * PAD, w + 2 * PAD), dtype=gy.dtype)
    for i in range(kh):
        for j in range(kw):
            gpadded[:, :, i:i + oh, j:j + ow] += gcolumns[..., i, j].transpose(0, 3, 1, 2)
    return gpadded[:, :, PAD:PAD + h, PAD:PAD + w], gW, gb


def _numpy_step(x: np.ndarray, W: np.ndarray, b: np.ndarray, backward: bool) -> tuple:
    """(output,) or (output, gx, gW, gb) of sum(max_pool(conv2d(x))) by the floor."""
    y, saved = numpy_conv_pool_forward(x, W, b)
    if not backward:
        return (y,)
    y.sum()  # the loss, as the other sides compute it
    return (y,) + numpy_conv_pool_backward(np.ones_like(y), saved)


# -- dezero and torch --------------------------------------------------------------------
def _dezero_step(x: Variable, W: Variable, b: Variable, backward: bool) -> tuple:
    y = F.pooling(F.conv2d(x, W, b, stride=1, pad=PAD), POOL, stride=POOL)
    if not backward:
        return (y.data,)
    for v in (x, W, b):
        v.cleargrad()
    F.sum(y).backward()
    return y.data, x.grad.data, W.grad.data, b.grad.data


def _torch_step(torch: Any, x: Any, W: Any, b: Any, backward: bool) -> tuple:
    tf = torch.nn.functional
    y = tf.max_pool2d(tf.conv2d(x, W, b, stride=1, padding=PAD), POOL, POOL)
    if not backward:
        return (y,)
    for t in (x, W, b):
        t.grad = None
    y.sum().backward()
    return y, x.grad, W.grad, b.grad


def _as_numpy(results: tuple) -> tuple:
    """The results with torch tensors turned into NumPy arrays."""
    return tuple(r.detach().numpy() if hasattr(r, "detach") else r for r in results)


def compare_results(got: tuple, want: tuple) -> str | None:
    """None when every array of ``got`` matches ``want`` at the float32 tolerance, else a note."""
    for name, g, w in zip(RESULT_NAMES, _as_numpy(got), _as_numpy(want)):
        problem = mismatch(name, g, w, RTOL, RTOL * float(np.max(np.abs(w))))
        if problem:
            return problem
    return None


def run(quick: bool = False) -> list[dict]:
    """Rows of milliseconds per batch: the NumPy floor, dezero and, if present, torch."""
    torch = optional_import("torch")
    threads = torch.get_num_threads() if torch is not None else None
    if torch is not None:
        torch.set_num_threads(1)
    try:
        rows = _rows(torch, _inputs(), repeat=3 if quick else 20)
        return rows + _layer_rows(torch, threads, repeat=3 if quick else 7)
    finally:
        if torch is not None:
            torch.set_num_threads(threads)


# -- per layer ---------------------------------------------------------------------------------
# (name, input shape, conv W shape or None for 2x2 max pooling, whether x needs a gradient)
LAYERS = (("conv1 1->16 3x3 pad 1, 28x28", (32, 1, 28, 28), (16, 1, 3, 3), False),
          ("maxpool1 2x2, 16x28x28", (32, 16, 28, 28), None, True),
          ("conv2 16->32 3x3 pad 1, 14x14", (32, 16, 14, 14), (32, 16, 3, 3), True),
          ("maxpool2 2x2, 32x14x14", (32, 32, 14, 14), None, True))
CALLS = 5  # layer calls per timed repetition: one call is too short to time alone


def _layer_arrays(x_shape: tuple, w_shape: tuple | None) -> tuple[np.ndarray, ...]:
    """(x, W, b, gy) for conv layers, (x, gy) for pooling (float32, fixed seed).  Pooling
    inputs are ReLU outputs, as in the CNN: windows of zeros tie, and both sides must pick
    the same (first) maximum."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal(x_shape).astype(np.float32)
    if w_shape is None:
        out = x_shape[:2] + (x_shape[2] // POOL, x_shape[3] // POOL)
        return np.maximum(x, 0), rng.standard_normal(out).astype(np.float32)
    W = (rng.standard_normal(w_shape) * 0.3).astype(np.float32)
    b = (rng.standard_normal(w_shape[0]) * 0.1).astype(np.float32)
    gy = rng.standard_normal((x_shape[0], w_shape[0]) + x_shape[2:]).astype(np.float32)
    return x, W, b, gy


def _layer_side(lib: Any, arrays: tuple, x_grad: bool) -> tuple[Callable, Callable, Callable]:
    """(forward, backward, results) of one layer in dezero (``lib`` None) or torch.

    ``forward()`` records the graph and returns the output; ``backward(y)`` backpropagates
    the fixed output gradient from it; ``results(y)`` gives the output and the gradients."""
    conv = len(arrays) == 4
    if lib is None:
        leaves = [Variable(a) for a in arrays[:-1]]
        seed = Variable(arrays[-1])
        x_in = leaves[0] if x_grad else arrays[0]  # as in the CNN: no gradient for the batch

        def forward():
            if conv:
                return F.conv2d(x_in, leaves[1], leaves[2], stride=1, pad=PAD)
            return F.pooling(x_in, POOL, stride=POOL)

        needs_grad = leaves if x_grad else leaves[1:]

        def backward(y):
            for v in needs_grad:  # as a training step does: no accumulation into old grads
                v.cleargrad()
            y.grad = seed
            y.backward()
        return forward, backward, lambda y: (y.data, *[v.grad.data for v in needs_grad])
    tf = lib.nn.functional
    leaves = [lib.from_numpy(a.copy()) for a in arrays[:-1]]
    for t in leaves[1:] + (leaves[:1] if x_grad else []):
        t.requires_grad_(True)
    seed = lib.from_numpy(arrays[-1].copy())

    def forward():
        if conv:
            return tf.conv2d(leaves[0], leaves[1], leaves[2], stride=1, padding=PAD)
        return tf.max_pool2d(leaves[0], POOL, POOL)

    needs_grad = [t for t in leaves if t.requires_grad]

    def backward(y):
        for t in needs_grad:
            t.grad = None
        y.backward(seed)
    return forward, backward, lambda y: _as_numpy((y, *[t.grad for t in needs_grad]))


def _time_layer(forward: Callable, backward: Callable, repeat: int) -> tuple[float, float]:
    """(forward ms, backward ms) per call: best of ``repeat`` runs of CALLS calls each."""
    def forwards():
        for _ in range(CALLS):
            forward()

    def backwards(outputs):
        for y in outputs:
            backward(y)

    forward_s, _ = time_call(forwards, repeat)
    backward_s, _ = time_call(backwards, repeat, setup=lambda: [forward() for _ in range(CALLS)])
    return forward_s / CALLS * 1e3, backward_s / CALLS * 1e3


def _check_layer(got: tuple, want: tuple) -> str | None:
    """None when dezero's output and gradients match torch's at the float32 tolerance."""
    names = ("output", "gx", "gW", "gb") if len(got) != 3 else ("output", "gW", "gb")
    for name, g, w in zip(names, got, want):
        problem = mismatch(name, g, w, RTOL, RTOL * float(np.max(np.abs(w))))
        if problem:
            return problem
    return None


def _layer_rows(torch: Any, threads: int | None, repeat: int) -> list[dict]:
    """Per-layer rows: forward and backward of each CNN layer, dezero against torch on one
    thread and on ``threads`` (its default); torch's thread count is left at 1."""
    rows = []
    for name, x_shape, w_shape, x_grad in LAYERS:
        arrays = _layer_arrays(x_shape, w_shape)
        forward, backward, results = _layer_side(None, arrays, x_grad)
        y = forward()
        backward(y)  # also the warm-up
        dezero_result = results(y)
        times = {"dezero": _time_layer(forward, backward, repeat)}
        problem = None
        if torch is not None:
            t_forward, t_backward, t_results = _layer_side(torch, arrays, x_grad)
            y = t_forward()
            t_backward(y)
            problem = _check_layer(dezero_result, t_results(y))
            for n_threads in (1, threads):
                torch.set_num_threads(n_threads)
                times[n_threads] = _time_layer(t_forward, t_backward, repeat)
            torch.set_num_threads(1)
        for k, mode in enumerate(("forward (graph recorded)", "backward")):
            label = f"layer {name}, {mode}, batch 32"
            if torch is None:
                rows.append(row(f"{label}: dezero", times["dezero"][k], "ms",
                                note="torch not installed: not checked"))
                continue
            for n_threads in (1, threads):
                rows.append(row(f"{label}: torch {n_threads} thread(s)", times[n_threads][k],
                                "ms", note=f"torch {torch.__version__} CPU"))
            for n_threads in (1, threads):
                rows.append(checked_row(f"{label}: dezero vs torch {n_threads} thread(s)",
                                        times["dezero"][k], "ms", times[n_threads][k],
                                        None, problem))
    return rows


def _rows(torch: Any, arrays: tuple[np.ndarray, ...], repeat: int) -> list[dict]:
    x, W, b = (Variable(a) for a in arrays)
    if torch is not None:
        tx, tW, tb = (torch.from_numpy(a.copy()).requires_grad_(True) for a in arrays)
    rows = []
    for backward, mode in ((False, "forward (graph recorded)"), (True, "forward+backward")):
        label = f"conv2d 16x3x3 pad 1 + maxpool 2x2, {mode}, batch {BATCH}"
        reference = _numpy_step(*arrays, backward)  # also the floor's warm-up
        floor, _ = time_call(lambda: _numpy_step(*arrays, backward), repeat=repeat)
        floor *= 1e3
        rows.append(row(f"{label}: numpy floor", floor, "ms",
                        note="hand-written im2col + GEMM, max over 2x2 blocks"))
        dezero_result = _dezero_step(x, W, b, backward)  # also the warm-up
        dezero_ms, _ = time_call(lambda: _dezero_step(x, W, b, backward), repeat=repeat)
        dezero_ms *= 1e3
        rows.append(checked_row(f"{label}: dezero", dezero_ms, "ms", floor,
                                None if torch is not None else "torch not installed",
                                compare_results(dezero_result, reference)))
        if torch is None:
            continue
        torch_result = _torch_step(torch, tx, tW, tb, backward)
        torch_ms, _ = time_call(lambda: _torch_step(torch, tx, tW, tb, backward), repeat=repeat)
        torch_ms *= 1e3
        note = f"torch {torch.__version__} CPU, 1 thread"
        rows.append(checked_row(f"{label}: torch", torch_ms, "ms", floor, note,
                                compare_results(torch_result, reference)))
        rows.append(checked_row(f"{label}: dezero vs torch", dezero_ms, "ms", torch_ms, note,
                                compare_results(dezero_result, torch_result)))
    return rows


if __name__ == "__main__":
    for r in run(quick="--quick" in sys.argv):
        print(r)
