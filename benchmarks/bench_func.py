"""Benchmarks of dezero.func: jvp (double vjp) against vjp, and jacobian in both modes.

One function, y = tanh(W x), on two shapes of Jacobian J = diag(1 − y²) W:

- ``tall``: x has 10 elements, y 1,000 (``--quick``: 200), J is 1,000 × 10;
- ``wide``: x has 1,000 elements (``--quick``: 200), y 10, J is 10 × 1,000.

Rows, in ms, each next to a floor (the same maths by hand in NumPy, no graph) and checked
against it to 1e-10:

1. ``vjp``: ``vjp(f, x)`` then ``vjp_fn(u)`` = uᵀJ (one forward, one backward pass);
2. ``jvp``: ``jvp(f, x, t)`` = J t by the double vjp (one forward, one recorded backward
   pass, one backward pass of that backward), and its cost relative to ``vjp``;
3. ``jacobian forward`` / ``jacobian reverse``: the whole J column by column (one pass per
   element of x) or row by row (one pass per element of y);
4. ``hvp``: H t for s(x) = Σ tanh(W x)² on the wide shape, by ``hvp`` (reverse over reverse)
   and by ``jvp(grad(s), x, t)`` (forward over reverse, the double vjp of the gradient).

Every transform runs in its default, composable form: its backward passes are recorded.
"""
from __future__ import annotations

import sys

import numpy as np

from common import checked_row, mismatch, row, time_call

import dezero.functions as F
from dezero.func import grad, hvp, jacobian, jvp, vjp

RTOL = 1e-10


def _problem(n_in: int, n_out: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((n_out, n_in)) / np.sqrt(n_in)
    x = rng.standard_normal(n_in)
    y = np.tanh(W @ x)
    return {"W": W, "x": x, "t": rng.standard_normal(n_in), "u": rng.standard_normal(n_out),
            "J": (1 - y * y)[:, None] * W}


def _floor_vjp(p: dict) -> np.ndarray:
    y = np.tanh(p["W"] @ p["x"])
    return p["W"].T @ (p["u"] * (1 - y * y))


def _floor_jvp(p: dict) -> np.ndarray:
    y = np.tanh(p["W"] @ p["x"])
    return (1 - y * y) * (p["W"] @ p["t"])


def _floor_jacobian(p: dict) -> np.ndarray:
    y = np.tanh(p["W"] @ p["x"])
    return (1 - y * y)[:, None] * p["W"]


def bench_shape(label: str, n_in: int, n_out: int, repeat: int) -> list[dict]:
    """The rows of one Jacobian shape: vjp, jvp, their ratio, jacobian in both modes."""
    p = _problem(n_in, n_out)
    W = p["W"]

    def f(v):
        return F.tanh(F.matmul(W, v))

    def run_vjp():
        _, vjp_fn = vjp(f, p["x"])
        return vjp_fn(p["u"])[0].data

    def run_jvp():
        return jvp(f, p["x"], p["t"])[1].data

    shape = f"{label} ({n_in}→{n_out})"
    rows = []
    times = {}
    for name, fn, floor, want in (
            ("vjp uᵀJ", run_vjp, _floor_vjp, p["J"].T @ p["u"]),
            ("jvp J·t", run_jvp, _floor_jvp, p["J"] @ p["t"])):
        problem = mismatch(name, fn(), want, RTOL)
        floor_s = time_call(lambda: floor(p), repeat=repeat)[0]
        times[name] = time_call(fn, repeat=repeat)[0]
        rows.append(checked_row(f"{name} {shape}", times[name] * 1e3, "ms", floor_s * 1e3,
                                problem=problem))
    rows.append(row(f"jvp / vjp time {shape}", times["jvp J·t"] / times["vjp uᵀJ"], "×",
                    note="the cost of forward mode by double vjp"))
    floor_s = time_call(lambda: _floor_jacobian(p), repeat=repeat)[0]
    for mode, passes in (("forward", n_in), ("reverse", n_out)):
        fn = jacobian(f, mode=mode)
        problem = mismatch(f"jacobian {mode}", fn(p["x"]).data, p["J"], RTOL)
        seconds = time_call(lambda: fn(p["x"]), repeat=max(1, repeat // 3))[0]
        rows.append(checked_row(f"jacobian {mode} {shape}", seconds * 1e3, "ms",
                                floor_s * 1e3, note=f"{passes} passes", problem=problem))
    return rows


def bench_hvp(n_in: int, n_out: int, repeat: int) -> list[dict]:
    """H t of s(x) = Σ tanh(W x)², reverse over reverse (hvp) and forward over reverse."""
    p = _problem(n_in, n_out)
    W = p["W"]

    def s(v):
        return F.sum(F.tanh(F.matmul(W, v)) ** 2)

    y = np.tanh(W @ p["x"])
    want = W.T @ (2 * (1 - 3 * y * y) * (1 - y * y) * (W @ p["t"]))  # Wᵀ s''(z) W t

    def floor():
        y = np.tanh(W @ p["x"])
        return W.T @ (2 * (1 - 3 * y * y) * (1 - y * y) * (W @ p["t"]))

    floor_s = time_call(floor, repeat=repeat)[0]
    rows = []
    for name, fn in (("hvp H·t reverse over reverse", lambda: hvp(s, p["x"], p["t"])[1].data),
                     ("jvp(grad) H·t forward over reverse",
                      lambda: jvp(grad(s), p["x"], p["t"])[1].data)):
        problem = mismatch(name, fn(), want, RTOL)
        seconds = time_call(fn, repeat=repeat)[0]
        rows.append(checked_row(f"{name} ({n_in}→1)", seconds * 1e3, "ms", floor_s * 1e3,
                                problem=problem))
    return rows


def run(quick: bool = False) -> list[dict]:
    """vjp, jvp and jacobian (both modes) on a tall and a wide Jacobian; hvp two ways."""
    big = 200 if quick else 1_000
    repeat = 3 if quick else 9
    return (bench_shape("tall", 10, big, repeat) + bench_shape("wide", big, 10, repeat)
            + bench_hvp(big, 10, repeat))


if __name__ == "__main__":
    for r in run(quick="--quick" in sys.argv):
        print(r)
