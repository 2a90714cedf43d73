"""The scalar-chain and wide-graph workloads of ``bench_core.py``, in this process or a child's.

Each framework (the NumPy floor, dezero, PyTorch, micrograd) can be timed here
in the calling process or in a fresh child process that imports only NumPy and
that framework (``time_in_child``).  The child matters because the cyclic
garbage collector's cost grows with every object the *whole process* tracks:
importing torch adds about 160,000 of them, which a pure-Python graph (dezero,
micrograd) pays to scan on each collection while libtorch's C++ graph does not.
A row measured next to an imported torch is therefore slower than the same
workload in a dezero user's process; bench_core reports both.

This file is not a ``bench_*.py``, so ``run.py`` does not run it on its own; run
as a script it is the child::

    python benchmarks/core_workloads.py --time chain|wide ENGINE N[,N...] REPEAT

which prints one JSON line ``{"seconds": [best per size], "tracked": objects,
"problems": [note or null per size]}`` and exits 2 when a result disagreed with
its reference (1 when it failed outright).  It imports nothing from dezero
unless ENGINE is dezero.
"""
from __future__ import annotations

import gc
import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import numpy as np

from common import mismatch, time_call

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
WIDE_RTOL = 1e-12
FLOOR = "numpy floor"
ENGINES = (FLOOR, "dezero", "torch", "micrograd")  # the floor first: the others' baseline


def import_engine(engine: str) -> Any:
    """The module a workload of ``engine`` needs (None for the NumPy floor), imported now."""
    if engine == FLOOR:
        return None
    if engine == "dezero":
        import dezero
        import dezero.functions  # noqa: F401  (dezero.functions is used as an attribute)
        return dezero
    if engine == "torch":
        import torch
        return torch
    if engine == "micrograd":
        import micrograd.engine
        return micrograd.engine
    raise ValueError(f"import_engine: unknown engine {engine!r}; known: {', '.join(ENGINES)}")


# -- the scalar chain ----------------------------------------------------------
def chain(x: Any, n_ops: int, relu: Callable[[Any], Any]) -> Any:
    """y after ``n_ops`` ops of :data:`CHAIN_CYCLE` applied to ``x`` (any scalar-like type)."""
    y = x
    for _ in range(n_ops // 4):
        y = relu(y * CHAIN_SCALE + CHAIN_SHIFT)
        y = y * y
    return y


def numpy_chain(n_ops: int) -> tuple[float, float]:
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


def micrograd_relu(value: Any) -> Any:
    """micrograd's relu as a function (it only has the method)."""
    return value.relu()


def chain_runner(engine: str, module: Any) -> Callable[[int], tuple[float, float]]:
    """A function n_ops -> (y, dy/dx) running the chain forward and backward with ``engine``."""
    if engine == FLOOR:
        return numpy_chain
    if engine == "dezero":
        relu = module.functions.relu

        def run_dezero(n_ops: int) -> tuple[float, float]:
            x = module.Variable(np.array(CHAIN_START))
            y = chain(x, n_ops, relu)
            y.backward()
            return float(y.data), float(x.grad.data)
        return run_dezero
    if engine == "torch":
        def run_torch(n_ops: int) -> tuple[float, float]:
            x = module.tensor(CHAIN_START, dtype=module.float64, requires_grad=True)
            y = chain(x, n_ops, module.relu)
            y.backward()
            return float(y.detach()), float(x.grad)
        return run_torch
    if engine == "micrograd":
        def run_micrograd(n_ops: int) -> tuple[float, float]:
            x = module.Value(CHAIN_START)
            y = chain(x, n_ops, micrograd_relu)
            # micrograd sorts the graph recursively: one Python frame per node.
            old_limit = sys.getrecursionlimit()
            sys.setrecursionlimit(max(old_limit, 2 * n_ops + 1000))
            try:
                y.backward()
            finally:
                sys.setrecursionlimit(old_limit)
            return float(y.data), float(x.grad)
        return run_micrograd
    raise ValueError(f"chain_runner: unknown engine {engine!r}")


def time_chain(run: Callable[[int], tuple[float, float]], n_ops: int, repeat: int,
               ) -> tuple[float, str | None]:
    """(best seconds of ``run(n_ops)``, None or the WRONG note of its value and gradient)."""
    best, _ = time_call(lambda: run(n_ops), repeat)
    return best, mismatch("y, dy/dx", run(n_ops), numpy_chain(n_ops), CHAIN_RTOL)


# -- the wide graph ---------------------------------------------------------------
def tree_sum(terms: list) -> Any:
    """Sum of ``terms`` by a balanced binary tree of ``+`` (depth log2 n)."""
    while len(terms) > 1:
        paired = [terms[i] + terms[i + 1] for i in range(0, len(terms) - 1, 2)]
        if len(terms) % 2:
            paired.append(terms[-1])
        terms = paired
    return terms[0]


def wide_values(n: int) -> np.ndarray:
    """The n leaf values of the wide workload."""
    return np.linspace(-1.0, 1.0, n)


def _numpy_wide(leaves: list) -> list:
    """The floor: squares, tree sum and the leaves' gradients 2x, all on 0-d arrays."""
    tree_sum([x ** 2 for x in leaves])
    one = np.array(1.0)  # the gradient every tree add passes down unchanged
    return [2.0 * x * one for x in leaves]


def _graph_wide(leaves: list) -> None:
    """dezero, torch and micrograd: the same expression, then backward."""
    tree_sum([x ** 2 for x in leaves]).backward()


# (leaves from the values, the timed work on the leaves, the gradients it left as floats)
WideEngine = tuple[Callable[[np.ndarray], list], Callable[[list], Any],
                   Callable[[list, Any], list]]


def wide_engine(engine: str, module: Any) -> WideEngine:
    """One side of the wide workload; every side makes its leaves before the clock starts."""
    if engine == FLOOR:
        return (lambda vals: [np.array(v) for v in vals], _numpy_wide,
                lambda leaves, grads: [float(g) for g in grads])
    if engine == "dezero":
        return (lambda vals: [module.Variable(np.array(v)) for v in vals], _graph_wide,
                lambda leaves, _: [float(x.grad.data) for x in leaves])
    if engine == "torch":
        return (lambda vals: [module.tensor(v, dtype=module.float64, requires_grad=True)
                              for v in vals],
                _graph_wide, lambda leaves, _: [float(x.grad) for x in leaves])
    if engine == "micrograd":
        return (lambda vals: [module.Value(float(v)) for v in vals], _graph_wide,
                lambda leaves, _: [float(x.grad) for x in leaves])
    raise ValueError(f"wide_engine: unknown engine {engine!r}")


def time_wide(side: WideEngine, sizes: list[int], repeat: int,
              ) -> list[tuple[float, str | None]]:
    """[(best seconds, None or the WRONG note of the gradients)] of ``side`` at each size."""
    make_leaves, work, gradients = side
    results = []
    for n in sizes:
        values = wide_values(n)
        best, _ = time_call(work, repeat, setup=lambda: make_leaves(values))
        leaves = make_leaves(values)
        problem = mismatch("gradients", gradients(leaves, work(leaves)), 2.0 * values, WIDE_RTOL)
        results.append((best, problem))
    return results


def tracked_objects() -> int:
    """How many objects the cyclic garbage collector tracks in this process (after a collection)."""
    gc.collect()
    return len(gc.get_objects())


# -- the child process ----------------------------------------------------------------
def _child(workload: str, engine: str, sizes: list[int], repeat: int) -> int:
    """Time ``workload`` with ``engine`` here, print the JSON line; 2 when a result was wrong."""
    module = import_engine(engine)
    tracked = tracked_objects()
    if workload == "chain":
        run = chain_runner(engine, module)
        results = [time_chain(run, n, repeat) for n in sizes]
    elif workload == "wide":
        results = time_wide(wide_engine(engine, module), sizes, repeat)
    else:
        raise ValueError(f"core_workloads: workload must be 'chain' or 'wide', got {workload!r}")
    problems = [p for _, p in results]
    print(json.dumps({"seconds": [s for s, _ in results], "tracked": tracked,
                      "problems": problems}))
    return 2 if any(problems) else 0


def time_in_child(workload: str, engine: str, sizes: list[int], repeat: int,
                  timeout: float = 600) -> tuple[list[tuple[float, str | None]], int | None]:
    """Time ``workload`` with ``engine`` in a fresh interpreter that imports only NumPy and it.

    Returns ([(best seconds, None or a problem note)] per size, the child's
    GC-tracked object count or None).  A child that failed, timed out or
    printed nothing readable gives NaN seconds and a ``WRONG`` note for every
    size, so the rows built from it are not taken as checked.
    """
    cmd = [sys.executable, str(Path(__file__).resolve()), "--time", workload, engine,
           ",".join(map(str, sizes)), str(repeat)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        note = f"WRONG child process timed out after {timeout:.0f} s"
        return [(math.nan, note)] * len(sizes), None
    try:
        report = json.loads(proc.stdout.strip().splitlines()[-1])
        results = list(zip(report["seconds"], report["problems"]))
        tracked = report["tracked"]
    except (IndexError, KeyError, TypeError, ValueError):
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return [(math.nan, f"WRONG child process failed (exit {proc.returncode}): {last}")
                ] * len(sizes), None
    if proc.returncode != 0 and not any(p for _, p in results):
        results = [(s, f"WRONG child process exited {proc.returncode}") for s, _ in results]
    return results, tracked


if __name__ == "__main__":
    if len(sys.argv) != 6 or sys.argv[1] != "--time":
        sys.exit("usage: core_workloads.py --time chain|wide ENGINE N[,N...] REPEAT")
    sys.exit(_child(sys.argv[2], sys.argv[3], [int(n) for n in sys.argv[4].split(",")],
                    int(sys.argv[5])))
