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

Workloads 1 and 2 are timed twice: ``(shared process)``, every framework in this
process (which has imported all of them, torch included), and ``(own process)``,
each framework in a fresh child process that imports only NumPy and it
(``core_workloads.time_in_child``): the garbage collector's cost grows with the
objects the whole process tracks, which a pure-Python graph pays for and
libtorch's C++ graph does not.  ``dezero vs torch`` rows give dezero / torch.

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
from typing import Any

import numpy as np

from common import (checked_row, growth_exponent, join_notes, load_sibling, mismatch,
                    optional_import, row, rss_bytes, time_call, traced_peak)

cw = load_sibling("core_workloads")
FLOOR = cw.FLOOR
CHAIN_START = cw.CHAIN_START

import dezero  # noqa: E402  (after the sibling module, which must not need it)
import dezero.functions as F  # noqa: E402

TANH_ORDER = 6
TANH_AT = 1.0
SHARED = " (shared process)"  # every framework timed in this process, torch imported
OWN = " (own process)"  # each framework timed in a fresh process of its own
CHAIN_TARGET = "target ≤ 0.55× torch"
WIDE_TARGET = "target ≤ 0.35× torch at n=16000"
GROWTH_TARGET = "target ≤ 1.15"


def _objects_note(tracked: dict[str, int | None], own: bool) -> str:
    """How many objects the garbage collector tracked where each engine was timed."""
    def k(n: int | None) -> str:
        return "?" if n is None else f"{n / 1000:.0f}k"
    if own:
        return "GC-tracked objects: " + ", ".join(f"{e} {k(n)}" for e, n in tracked.items())
    return f"{k(max(n or 0 for n in tracked.values()))} GC-tracked objects in this process"


def _vs_torch_row(label: str, problems: dict[str, str | None], dezero_value: float,
                  torch_value: float, unit: str, notes: str | None) -> dict:
    """The ``dezero vs torch`` row: ratio dezero / torch, wrong when either side's result was
    (``problems`` maps each engine to None or its WRONG note)."""
    problem = join_notes(problems["dezero"], problems["torch"])
    return checked_row(f"{label}: dezero vs torch", dezero_value, unit, torch_value, notes,
                       problem)


# -- 1. scalar chain -----------------------------------------------------------
def bench_chain(n_ops: int, repeat: int, modules: dict[str, Any], own: bool = False,
                extra_note: str | None = None) -> list[dict]:
    """Workload 1: µs per op of the scalar chain, forward + backward, value and gradient checked.

    ``modules`` maps each engine (the floor first) to its module; ``own`` times
    each one in a child process of its own instead of in this process.
    """
    results, tracked = {}, {}
    for name, module in modules.items():
        if own:
            (results[name],), tracked[name] = cw.time_in_child("chain", name, [n_ops], repeat)
        else:
            tracked[name] = cw.tracked_objects()
            results[name] = cw.time_chain(cw.chain_runner(name, module), n_ops, repeat)
    label = f"chain {n_ops} ops fwd+bwd{OWN if own else SHARED}"
    per_op = {name: seconds / n_ops * 1e6 for name, (seconds, _) in results.items()}
    problems = {name: problem for name, (_, problem) in results.items()}
    floor = per_op[FLOOR]
    context = join_notes(_objects_note(tracked, own), extra_note)
    rows = [checked_row(f"{label}: {FLOOR}", floor, "µs/op", None, cw.CHAIN_CYCLE,
                        problems[FLOOR]) if problems[FLOOR] else
            row(f"{label}: {FLOOR}", floor, "µs/op", note=cw.CHAIN_CYCLE)]
    for name in modules:
        if name != FLOOR:
            note = context if name == "dezero" and "torch" not in modules else None
            rows.append(checked_row(f"{label}: {name}", per_op[name], "µs/op", floor, note,
                                    problems[name]))
    if "dezero" in modules and "torch" in modules:
        rows.append(_vs_torch_row(label, problems, per_op["dezero"], per_op["torch"], "µs/op",
                                  join_notes(CHAIN_TARGET, context)))
    return rows


# -- 2. wide graph ---------------------------------------------------------------
def bench_wide(sizes: list[int], repeat: int, modules: dict[str, Any], own: bool = False,
               extra_note: str | None = None) -> list[dict]:
    """Workload 2: seconds for the wide graph at each size, and the growth exponents.

    The leaves (0-d arrays, Variables, tensors, Values) are inputs, not part of the
    workload: every side, the floor included, makes them before the clock starts.
    ``modules`` and ``own`` are as in :func:`bench_chain`.
    """
    results, tracked = {}, {}
    for name, module in modules.items():
        if own:
            results[name], tracked[name] = cw.time_in_child("wide", name, sizes, repeat)
        else:
            tracked[name] = cw.tracked_objects()
            results[name] = cw.time_wide(cw.wide_engine(name, module), sizes, repeat)
    tag = OWN if own else SHARED
    context = join_notes(_objects_note(tracked, own), extra_note)
    rows = []
    for i, n in enumerate(sizes):
        label = f"wide n={n} fwd+bwd{tag}"
        floor = results[FLOOR][i][0]
        for name, per_size in results.items():
            seconds, problem = per_size[i]
            if name == FLOOR:
                rows.append(checked_row(f"{label}: {name}", seconds, "s", None,
                                        "leaves made untimed", problem))
            else:
                note = context if (name == "dezero" and "torch" not in modules
                                   and i == len(sizes) - 1) else None
                rows.append(checked_row(f"{label}: {name}", seconds, "s", floor, note, problem))
    if "dezero" in modules and "torch" in modules:
        last = {name: per_size[-1][1] for name, per_size in results.items()}
        rows.append(_vs_torch_row(f"wide n={sizes[-1]} fwd+bwd{tag}", last,
                                  results["dezero"][-1][0], results["torch"][-1][0], "s",
                                  join_notes(WIDE_TARGET, context)))
    for name, per_size in results.items():
        for i in range(1, len(sizes)):
            k = growth_exponent(sizes[i - 1], per_size[i - 1][0], sizes[i], per_size[i][0])
            rows.append(row(f"wide growth n={sizes[i - 1]}→{sizes[i]}{tag}: {name}", k,
                            "exponent", note=GROWTH_TARGET if name == "dezero" else None))
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
    dezero_ms, dezero_problem = best * 1e3, mismatch("derivative", value, reference, 1e-9)
    rows.append(checked_row(f"{label}: dezero", dezero_ms, "ms", floor * 1e3, None,
                            dezero_problem))
    if torch is not None:
        best, _ = time_call(lambda: _torch_tanh_derivative(torch, TANH_ORDER, TANH_AT), repeat)
        value = _torch_tanh_derivative(torch, TANH_ORDER, TANH_AT)
        torch_problem = mismatch("derivative", value, reference, 1e-9)
        rows.append(checked_row(f"{label}: torch", best * 1e3, "ms", floor * 1e3, None,
                                torch_problem))
        rows.append(_vs_torch_row(label, {"dezero": dezero_problem, "torch": torch_problem},
                                  dezero_ms, best * 1e3, "ms", "target ≤ 1.0× torch"))
    return rows


# -- 4. memory of a long chain -------------------------------------------------------
def _numpy_chain_values(n_ops: int) -> list:
    """The floor: the chain's forward values, every intermediate kept (what a graph must hold)."""
    kept = []
    y = np.array(CHAIN_START)
    for _ in range(n_ops // 4):
        a = y * cw.CHAIN_SCALE
        b = a + cw.CHAIN_SHIFT
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
            return x, cw.chain(x, n, torch.relu)
    elif engine == "dezero":
        def build(n: int) -> Any:
            x = dezero.Variable(np.array(CHAIN_START))
            return x, cw.chain(x, n, F.relu)
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
        return x, cw.chain(x, n_ops, F.relu)

    peak, graph = traced_peak(build_dezero)
    del graph
    rows.append(row(f"{label}: dezero", peak / n_ops, "B/op", floor,
                    "tracemalloc (the target is on the RSS row)"))
    if micrograd is not None:
        peak, graph = traced_peak(
            lambda: cw.chain(micrograd.Value(CHAIN_START), n_ops, cw.micrograd_relu))
        del graph
        rows.append(row(f"{label}: micrograd", peak / n_ops, "B/op", floor, "tracemalloc"))
    # libtorch allocates outside Python's allocator, so compare resident-set growth.
    engines = ["dezero"] + (["torch"] if torch is not None and torch_rss else [])
    for name in engines:
        per_op, problem = _chain_rss(name, n_ops)
        note = join_notes("resident-set growth in a fresh process",
                          "target ≤ 500 B/op" if name == "dezero" else None)
        rows.append(row(f"{label}: {name} (RSS)", math.nan if per_op is None else per_op,
                        "B/op", note=problem or note))
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
    """Run the core-engine workloads; ``quick`` shrinks every size for a smoke run.

    In ``quick`` runs the own-process rows leave out torch (importing it in a
    child takes seconds), as the RSS rows do.
    """
    torch = optional_import("torch")
    engine = optional_import("micrograd.engine")
    modules: dict[str, Any] = {FLOOR: None, "dezero": dezero}
    if torch is not None:
        modules["torch"] = torch
    if engine is not None:
        modules["micrograd"] = engine
    own = {name: m for name, m in modules.items() if name != "torch" or not quick}
    own_note = "torch child skipped in --quick" if quick and torch is not None else None
    n_chain, chain_repeat = (2_000, 3) if quick else (20_000, 5)
    sizes = [250, 1_000] if quick else [1_000, 4_000, 16_000]
    rows = bench_chain(n_chain, chain_repeat, modules)
    rows += bench_chain(n_chain, chain_repeat, own, own=True, extra_note=own_note)
    rows += bench_wide(sizes, 3, modules)
    rows += bench_wide(sizes, 3, own, own=True, extra_note=own_note)
    if quick:
        rows += bench_tanh(5, torch)
        rows += bench_chain_memory(20_000, torch, engine, torch_rss=False)
        rows += bench_mlp_memory(200, 50)
    else:
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
