"""Benchmarks of the core engine: graph recording, backward, higher-order gradients, memory.

Five workloads, each next to a floor measured in the same run (the same
arithmetic in plain NumPy with no graph) and, where importable, PyTorch (CPU)
and micrograd, every framework running exactly the same maths:

1. ``chain``: a chain of scalar ops, forward + backward, in µs per op.
2. ``wide``: n squared leaves summed by a balanced tree of adds, forward +
   backward, in seconds, with the growth exponent between sizes.
3. ``tanh6``: the 6th derivative of tanh at 1.0 by repeated
   ``backward(create_graph=True)`` (the book's step 35 loop), in ms.
4. ``chain memory``: tracemalloc peak while building a long chain, in bytes per op.
5. ``mlp memory``: bytes retained after many training iterations of a tiny MLP
   compared with after a few (should not grow).

Each workload checks that every framework computed what the floor computed
(values and gradients); a row that disagrees gets ``ok`` False and a ``WRONG``
note, and ``run.py`` then exits 1.
"""
from __future__ import annotations

import gc
import math
import subprocess
import sys
import tracemalloc
from pathlib import Path
from typing import Any, Callable

import numpy as np

from common import (checked_row, growth_exponent, mismatch, optional_import, row, rss_bytes,
                    time_call, traced_peak)

import dezero
import dezero.functions as F

# The scalar chain repeats a 4-op cycle built from ops every compared framework has
# (micrograd has only +, *, ** and relu): a constant multiply, a constant add, a unary op
# and a binary op fed twice by the same value (so gradients accumulate).  One cycle maps y
# to relu(1.5 - 0.5·y)², whose fixed point y = 1 is neutral (slope -1): y stays bounded
# and the gradient through thousands of cycles neither underflows nor overflows (≈ 1e-2
# after 500 cycles, 5e-4 after 5,000), so a wrong derivative anywhere shows.  Every op is
# exactly rounded in IEEE arithmetic, so all frameworks should agree to the last bit.
CHAIN_SCALE = -0.5
CHAIN_SHIFT = 1.5
CHAIN_CYCLE = f"y*{CHAIN_SCALE}, y+{CHAIN_SHIFT}, relu(y), y*y"
CHAIN_START = 0.5
CHAIN_RTOL = 1e-12  # float64, same operations in the same order: any real difference is a bug
TANH_ORDER = 6
TANH_AT = 1.0


# -- 1. scalar chain -----------------------------------------------------------
def _chain(x: Any, n_ops: int, relu: Callable[[Any], Any]) -> Any:
    """y after ``n_ops`` ops of :data:`CHAIN_CYCLE` applied to ``x`` (any scalar-like type)."""
    y = x
    for _ in range(n_ops // 4):
        y = relu(y * CHAIN_SCALE + CHAIN_SHIFT)
        y = y * y
    return y


def _numpy_chain(n_ops: int) -> tuple[float, float]:
    """(y, dy/dx) of the chain by hand in NumPy: the forward values, then the chain rule."""
    y = np.array(CHAIN_START)
    kept = []  # the input and output of each relu: all that the backward pass needs
    for _ in range(n_ops // 4):
        s = y * CHAIN_SCALE + CHAIN_SHIFT
        r = np.maximum(s, 0.0)
        kept.append((s, r))
        y = r * r
    g = np.array(1.0)
    for s, r in reversed(kept):
        g = g * (2.0 * r)  # y*y; equal to the sum g*r + g*r that autodiff accumulates
        g = g * (s > 0)
        g = g * CHAIN_SCALE
    return float(y), float(g)


def _dezero_chain(n_ops: int) -> tuple[float, float]:
    x = dezero.Variable(np.array(CHAIN_START))
    y = _chain(x, n_ops, F.relu)
    y.backward()
    return float(y.data), float(x.grad.data)


def _torch_chain(torch: Any, n_ops: int) -> tuple[float, float]:
    x = torch.tensor(CHAIN_START, dtype=torch.float64, requires_grad=True)
    y = _chain(x, n_ops, torch.relu)
    y.backward()
    return float(y.detach()), float(x.grad)


def _micrograd_relu(value: Any) -> Any:
    return value.relu()


def _micrograd_chain(engine: Any, n_ops: int) -> tuple[float, float]:
    x = engine.Value(CHAIN_START)
    y = _chain(x, n_ops, _micrograd_relu)
    # micrograd sorts the graph recursively: one Python frame per node.
    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old_limit, 2 * n_ops + 1000))
    try:
        y.backward()
    finally:
        sys.setrecursionlimit(old_limit)
    return float(y.data), float(x.grad)


def bench_chain(n_ops: int, repeat: int, torch: Any, micrograd: Any) -> list[dict]:
    """Workload 1: µs per op of the scalar chain, forward + backward, value and gradient checked."""
    label = f"chain {n_ops} ops fwd+bwd"
    floor_s, _ = time_call(lambda: _numpy_chain(n_ops), repeat)
    floor = floor_s / n_ops * 1e6
    reference = _numpy_chain(n_ops)
    rows = [row(f"{label}: numpy floor", floor, "µs/op", note=CHAIN_CYCLE)]
    engines: dict[str, tuple[Callable[[], tuple[float, float]], str | None]] = {
        "dezero": (lambda: _dezero_chain(n_ops), "target ≤ 5")}
    if torch is not None:
        engines["torch"] = (lambda: _torch_chain(torch, n_ops), None)
    if micrograd is not None:
        engines["micrograd"] = (lambda: _micrograd_chain(micrograd, n_ops), None)
    for name, (work, note) in engines.items():
        best, _ = time_call(work, repeat)
        problem = mismatch("y, dy/dx", work(), reference, CHAIN_RTOL)
        rows.append(checked_row(f"{label}: {name}", best / n_ops * 1e6, "µs/op", floor, note,
                                problem))
    return rows


# -- 2. wide graph ---------------------------------------------------------------
def _tree_sum(terms: list) -> Any:
    """Sum of ``terms`` by a balanced binary tree of ``+`` (depth log2 n)."""
    while len(terms) > 1:
        paired = [terms[i] + terms[i + 1] for i in range(0, len(terms) - 1, 2)]
        if len(terms) % 2:
            paired.append(terms[-1])
        terms = paired
    return terms[0]


def _wide_values(n: int) -> np.ndarray:
    return np.linspace(-1.0, 1.0, n)


def _numpy_wide(leaves: list) -> list:
    """The floor: squares, tree sum and the leaves' gradients 2x, all on 0-d arrays."""
    _tree_sum([x ** 2 for x in leaves])
    one = np.array(1.0)  # the gradient every tree add passes down unchanged
    return [2.0 * x * one for x in leaves]


def _graph_wide(leaves: list) -> None:
    """dezero, torch and micrograd: the same expression, then backward."""
    _tree_sum([x ** 2 for x in leaves]).backward()


# {name: (leaves from the values, the timed work on the leaves, the gradients it left)}
WideEngine = tuple[Callable[[np.ndarray], list], Callable[[list], Any],
                   Callable[[list, Any], list]]


def _wide_engines(torch: Any, micrograd: Any) -> dict[str, WideEngine]:
    """Every side of the wide workload; all of them make their leaves before the clock starts."""
    engines: dict[str, WideEngine] = {
        "numpy floor": (lambda vals: [np.array(v) for v in vals], _numpy_wide,
                        lambda leaves, grads: [float(g) for g in grads]),
        "dezero": (lambda vals: [dezero.Variable(np.array(v)) for v in vals], _graph_wide,
                   lambda leaves, _: [float(x.grad.data) for x in leaves]),
    }
    if torch is not None:
        engines["torch"] = (
            lambda vals: [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in vals],
            _graph_wide, lambda leaves, _: [float(x.grad) for x in leaves])
    if micrograd is not None:
        engines["micrograd"] = (lambda vals: [micrograd.Value(float(v)) for v in vals],
                                _graph_wide, lambda leaves, _: [float(x.grad) for x in leaves])
    return engines


def bench_wide(sizes: list[int], repeat: int, torch: Any, micrograd: Any) -> list[dict]:
    """Workload 2: seconds for the wide graph at each size, and the growth exponents.

    The leaves (0-d arrays, Variables, tensors, Values) are inputs, not part of the
    workload: every side, the floor included, makes them before the clock starts.
    """
    rows = []
    times: dict[str, list[float]] = {}
    for n in sizes:
        values = _wide_values(n)
        floor = math.nan
        for name, (make_leaves, work, gradients) in _wide_engines(torch, micrograd).items():
            best, _ = time_call(work, repeat, setup=lambda: make_leaves(values))
            times.setdefault(name, []).append(best)
            leaves = make_leaves(values)
            problem = mismatch("gradients", gradients(leaves, work(leaves)), 2.0 * values, 1e-12)
            label = f"wide n={n} fwd+bwd: {name}"
            if name == "numpy floor":  # the first engine: the others' baseline
                floor = best
                rows.append(checked_row(label, best, "s", None, "leaves made untimed", problem))
                continue
            target = "target n=16000 ≤ 0.13 s" if name == "dezero" and n == 16000 else None
            rows.append(checked_row(label, best, "s", floor, target, problem))
    for name, ts in times.items():
        for i in range(1, len(sizes)):
            k = growth_exponent(sizes[i - 1], ts[i - 1], sizes[i], ts[i])
            note = "target ≤ n log n (k ≈ 1.1)" if name == "dezero" else None
            rows.append(row(f"wide growth n={sizes[i - 1]}→{sizes[i]}: {name}", k, "exponent",
                            note=note))
    return rows


# -- 3. 6th derivative of tanh -----------------------------------------------------
def _numpy_tanh_derivative(order: int, at: float) -> float:
    """d^order tanh/dx^order at ``at`` in closed form: P_{k+1}(t) = P_k'(t)(1 - t²), t = tanh x."""
    poly = np.polynomial.Polynomial([0.0, 1.0])  # P_0(t) = t
    one_minus_t2 = np.polynomial.Polynomial([1.0, 0.0, -1.0])
    for _ in range(order):
        poly = poly.deriv() * one_minus_t2
    return float(poly(np.tanh(at)))


def _dezero_tanh_derivative(order: int, at: float) -> float:
    x = dezero.Variable(np.array(at))
    F.tanh(x).backward(create_graph=True)
    for _ in range(order - 1):
        gx = x.grad
        x.cleargrad()
        gx.backward(create_graph=True)
    return float(x.grad.data)


def _torch_tanh_derivative(torch: Any, order: int, at: float) -> float:
    x = torch.tensor(at, dtype=torch.float64, requires_grad=True)
    y = torch.tanh(x)
    for _ in range(order):
        (y,) = torch.autograd.grad(y, x, create_graph=True)
    return float(y.detach())


def bench_tanh(repeat: int, torch: Any) -> list[dict]:
    """Workload 3: ms for the 6th derivative of tanh by repeated create_graph backward."""
    reference = _numpy_tanh_derivative(TANH_ORDER, TANH_AT)
    label = f"tanh d{TANH_ORDER}/dx{TANH_ORDER} at {TANH_AT}"
    floor, _ = time_call(lambda: _numpy_tanh_derivative(TANH_ORDER, TANH_AT), repeat)
    rows = [row(f"{label}: numpy floor", floor * 1e3, "ms", note="closed-form polynomial in tanh")]
    best, _ = time_call(lambda: _dezero_tanh_derivative(TANH_ORDER, TANH_AT), repeat)
    value = _dezero_tanh_derivative(TANH_ORDER, TANH_AT)
    rows.append(checked_row(f"{label}: dezero", best * 1e3, "ms", floor * 1e3, "target ≤ torch",
                            mismatch("derivative", value, reference, 1e-9)))
    if torch is not None:
        best, _ = time_call(lambda: _torch_tanh_derivative(torch, TANH_ORDER, TANH_AT), repeat)
        value = _torch_tanh_derivative(torch, TANH_ORDER, TANH_AT)
        rows.append(checked_row(f"{label}: torch", best * 1e3, "ms", floor * 1e3, None,
                                mismatch("derivative", value, reference, 1e-9)))
    return rows


# -- 4. memory of a long chain -------------------------------------------------------
def _numpy_chain_values(n_ops: int) -> list:
    """The floor: the chain's forward values, every intermediate kept (what a graph must hold)."""
    kept = []
    y = np.array(CHAIN_START)
    for _ in range(n_ops // 4):
        a = y * CHAIN_SCALE
        b = a + CHAIN_SHIFT
        c = np.maximum(b, 0.0)
        y = c * c
        kept += (a, b, c, y)
    return kept


def _child_chain_rss(engine: str, n_ops: int) -> float:
    """Resident-set growth per op of building the chain with ``engine`` (dezero or torch).

    Runs inside a fresh interpreter (see :func:`_chain_rss`): the library is
    imported and warmed up first, so only the graph's own memory is counted.
    """
    if engine == "torch":
        import torch

        def build(n: int) -> Any:
            x = torch.tensor(CHAIN_START, dtype=torch.float64, requires_grad=True)
            return x, _chain(x, n, torch.relu)
    elif engine == "dezero":
        def build(n: int) -> Any:
            x = dezero.Variable(np.array(CHAIN_START))
            return x, _chain(x, n, F.relu)
    else:
        raise ValueError(f"_child_chain_rss: engine must be 'dezero' or 'torch', got {engine!r}")
    build(1_000)  # warm-up: lazy initialisation is not the graph's memory
    gc.collect()
    before = rss_bytes()
    graph = build(n_ops)
    after = rss_bytes()
    del graph
    if before is None or after is None:
        raise RuntimeError("_child_chain_rss: this platform has no /proc/self/statm")
    return (after - before) / n_ops


def _chain_rss(engine: str, n_ops: int) -> tuple[float | None, str | None]:
    """(bytes/op of resident-set growth measured in a child process, or None; a note on failure).

    A child process starts with no freed memory to reuse, which a measurement
    in this process (after the other workloads) would not.
    """
    cmd = [sys.executable, str(Path(__file__).resolve()), "--chain-rss", engine, str(n_ops)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired:
        return None, "child process timed out"
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return None, f"child process failed: {last}"
    return float(proc.stdout.split()[-1]), None


def bench_chain_memory(n_ops: int, torch: Any, micrograd: Any, torch_rss: bool = True,
                       ) -> list[dict]:
    """Workload 4: tracemalloc peak per op while building a chain whose graph stays alive.

    ``torch_rss=False`` skips the PyTorch child process (importing torch there
    takes seconds, too long for a smoke run).
    """
    label = f"chain {n_ops} ops peak memory"
    floor_peak, kept = traced_peak(lambda: _numpy_chain_values(n_ops))
    del kept
    floor = floor_peak / n_ops
    rows = [row(f"{label}: numpy floor", floor, "B/op", note="tracemalloc; all values kept")]

    def build_dezero() -> Any:
        x = dezero.Variable(np.array(CHAIN_START))
        return x, _chain(x, n_ops, F.relu)

    peak, graph = traced_peak(build_dezero)
    del graph
    rows.append(row(f"{label}: dezero", peak / n_ops, "B/op", floor,
                    "tracemalloc; target ≤ 600"))
    if micrograd is not None:
        peak, graph = traced_peak(
            lambda: _chain(micrograd.Value(CHAIN_START), n_ops, _micrograd_relu))
        del graph
        rows.append(row(f"{label}: micrograd", peak / n_ops, "B/op", floor, "tracemalloc"))
    # libtorch allocates outside Python's allocator, so compare resident-set growth.
    engines = ["dezero"] + (["torch"] if torch is not None and torch_rss else [])
    for name in engines:
        per_op, problem = _chain_rss(name, n_ops)
        rows.append(row(f"{label}: {name} (RSS)", math.nan if per_op is None else per_op,
                        "B/op", note=problem or "resident-set growth in a fresh process"))
    return rows


# -- 5. memory growth of a training loop ----------------------------------------------
def _mlp_data() -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """The book's sine-regression problem and an initial 1-10-1 MLP (fixed seed)."""
    rng = np.random.default_rng(0)
    x = rng.random((100, 1))
    t = np.sin(2 * np.pi * x) + rng.random((100, 1))
    params = [0.01 * rng.standard_normal((1, 10)), np.zeros(10),
              0.01 * rng.standard_normal((10, 1)), np.zeros(1)]
    return x, t, params


def _checkpoint_flags(iters: int, checkpoints: tuple[int, ...]) -> list[bool]:
    """One flag per iteration, True after the iterations in ``checkpoints`` (1-based)."""
    return [i + 1 in checkpoints for i in range(iters)]


def _dezero_mlp_steps(iters: int, checkpoints: tuple[int, ...], lr: float = 0.2,
                      ) -> tuple[dict, list]:
    """Run the training loop; return ({iteration: traced bytes after it} at ``checkpoints``,
    the final parameter arrays)."""
    x, t, arrays = _mlp_data()
    W1, b1, W2, b2 = params = [dezero.Parameter(a.copy()) for a in arrays]
    act = getattr(F, "sigmoid", F.tanh)
    mse = getattr(F, "mean_squared_error", None)
    # Filled in place: a stored Python int would itself be memory kept since the first checkpoint.
    retained = np.zeros(len(checkpoints), dtype=np.int64)
    done = 0  # checkpoints passed; a small int, unlike an iteration counter (cached ints ≤ 256)
    for is_checkpoint in _checkpoint_flags(iters, checkpoints):
        y = F.linear(act(F.linear(x, W1, b1)), W2, b2)
        loss = mse(y, t) if mse is not None else ((y - t) ** 2).sum() / len(t)
        for p in params:
            p.cleargrad()
        loss.backward()
        for p in params:
            p.data -= lr * p.grad.data
        if is_checkpoint:
            del y, loss
            gc.collect()
            retained[done] = tracemalloc.get_traced_memory()[0]
            done += 1
    return dict(zip(checkpoints, retained.tolist())), [p.data for p in params]


def _numpy_mlp_steps(iters: int, checkpoints: tuple[int, ...], lr: float = 0.2,
                     ) -> tuple[dict, list]:
    """The floor: the same loop with the gradients written out by hand."""
    x, t, (W1, b1, W2, b2) = _mlp_data()
    sig = hasattr(F, "sigmoid")
    retained = np.zeros(len(checkpoints), dtype=np.int64)
    done = 0  # checkpoints passed; a small int, unlike an iteration counter (cached ints ≤ 256)
    for is_checkpoint in _checkpoint_flags(iters, checkpoints):
        a = x @ W1 + b1
        h = 1 / (1 + np.exp(-a)) if sig else np.tanh(a)
        y = h @ W2 + b2
        gy = 2 * (y - t) / len(t)
        gW2, gb2 = h.T @ gy, gy.sum(axis=0)
        gh = gy @ W2.T
        ga = gh * (h * (1 - h) if sig else 1 - h * h)
        gW1, gb1 = x.T @ ga, ga.sum(axis=0)
        W1 -= lr * gW1
        b1 -= lr * gb1
        W2 -= lr * gW2
        b2 -= lr * gb2
        if is_checkpoint:
            del a, h, y, gy, gh, ga
            gc.collect()
            retained[done] = tracemalloc.get_traced_memory()[0]
            done += 1
    return dict(zip(checkpoints, retained.tolist())), [W1, b1, W2, b2]


def bench_mlp_memory(iters: int, early: int) -> list[dict]:
    """Workload 5: bytes retained after ``iters`` training iterations minus after ``early``.

    Also reports the difference from the midpoint: a leak grows with the number
    of iterations, while a constant offset (ints leaving the small-int cache)
    shows in the first difference only.  The dezero rows also check that its loop
    trained to the floor's final parameters.
    """
    rows = []
    mid = (early + iters) // 2
    reference = None
    for name, steps in (("numpy floor", _numpy_mlp_steps), ("dezero", _dezero_mlp_steps)):
        gc.collect()
        tracemalloc.start()
        try:
            retained, params = steps(iters, (early, mid, iters))
        finally:
            tracemalloc.stop()
        flat = np.concatenate([p.ravel() for p in params])
        for start in (early, mid):
            label = f"mlp train bytes kept it{iters}−it{start}: {name}"
            if reference is None:
                rows.append(row(label, retained[iters] - retained[start], "B"))
            else:
                rows.append(checked_row(label, retained[iters] - retained[start], "B", None,
                                        "target 0 (no growth)",
                                        mismatch("final parameters", flat, reference, 1e-7, 1e-9)))
        reference = flat
    return rows


def run(quick: bool = False) -> list[dict]:
    """Run the core-engine workloads; ``quick`` shrinks every size for a smoke run."""
    torch = optional_import("torch")
    engine = optional_import("micrograd.engine")
    rows = []
    if quick:
        rows += bench_chain(2_000, 3, torch, engine)
        rows += bench_wide([250, 1_000], 3, torch, engine)
        rows += bench_tanh(5, torch)
        rows += bench_chain_memory(20_000, torch, engine, torch_rss=False)
        rows += bench_mlp_memory(200, 50)
    else:
        rows += bench_chain(20_000, 5, torch, engine)
        rows += bench_wide([1_000, 4_000, 16_000], 3, torch, engine)
        rows += bench_tanh(20, torch)
        rows += bench_chain_memory(200_000, torch, engine)
        rows += bench_mlp_memory(500, 50)
    if torch is None:
        rows.append(row("torch", math.nan, "-", note="not installed: no PyTorch comparison"))
    return rows


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--chain-rss":  # the child of _chain_rss
        print(_child_chain_rss(sys.argv[2], int(sys.argv[3])))
    else:
        for r in run(quick="--quick" in sys.argv):
            print(r)
