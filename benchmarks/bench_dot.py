"""Benchmark: DOT export (get_dot_graph) of large graphs, time and size of the text.

``run(quick)`` returns rows {name, value, unit, note}; ``python benchmarks/bench_dot.py``
prints them.  Graphviz is not needed (only the DOT text is made).
"""
from __future__ import annotations

import time

import numpy as np

import dezero.functions as F
from dezero import Variable
from dezero.utils import get_dot_graph


def _chain(n_nodes: int) -> Variable:
    """A chain x -> sin -> v -> cos -> v ... with exactly ``n_nodes`` nodes (n_nodes odd)."""
    y = Variable(np.zeros((3, 4), dtype=np.float32), name="x")
    for i in range((n_nodes - 1) // 2):  # each op adds a Function and its output Variable
        y = F.sin(y) if i % 2 == 0 else F.cos(y)
    y.name = "y"
    return y


def _best_time(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def run(quick: bool = False) -> list[dict]:
    """Time (best of several runs) and size of the DOT text for 10,001 and 100,001-node graphs."""
    rows = []
    sizes = [10_001] if quick else [10_001, 100_001]
    for n_nodes in sizes:
        y = _chain(n_nodes)
        text = get_dot_graph(y, verbose=True, max_nodes=None)
        seconds = _best_time(lambda: get_dot_graph(y, verbose=True, max_nodes=None),
                             2 if quick or n_nodes > 50_000 else 5)
        label = f"{n_nodes // 1000}k"
        note = f"chain of sin/cos, {n_nodes} nodes, verbose labels, max_nodes=None"
        rows.append({"name": f"dot_export_{label}_nodes_time", "value": round(seconds * 1e3, 2),
                     "unit": "ms", "note": note})
        rows.append({"name": f"dot_export_{label}_nodes_size", "value": len(text.encode()),
                     "unit": "bytes", "note": note})
        rows.append({"name": f"dot_export_{label}_nodes_per_s", "value": round(n_nodes / seconds),
                     "unit": "nodes/s", "note": note})
    return rows


if __name__ == "__main__":
    for row in run():
        print(f"{row['name']:32s} {row['value']:>14} {row['unit']:8s} {row.get('note', '')}")
