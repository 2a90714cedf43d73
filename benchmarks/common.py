"""Shared helpers of the benchmarks: timing, memory, growth exponents, result checks and rows.

Every ``bench_*.py`` module imports these with ``from common import ...``.
``benchmarks/run.py`` registers this file under the module name ``common`` before
it loads the bench modules, and running a bench file directly works too because
Python puts the script's own folder first on ``sys.path``.
"""
from __future__ import annotations

import contextlib
import gc
import importlib
import importlib.util
import math
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np


def load_sibling(name: str) -> Any:
    """Import ``benchmarks/<name>.py`` (a helper module shared by bench files): by name when
    this folder is on ``sys.path`` (run.py, or a bench file run as a script), else from its
    file, as run.py loads ``common``."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as e:
        if e.name != name:
            raise
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def optional_import(name: str) -> Any:
    """Return the module ``name``, or None when it is not installed (torch, micrograd ...)."""
    try:
        return importlib.import_module(name)
    except Exception:  # ImportError, or a broken install that fails while importing
        return None


def time_call(fn: Callable[[], Any], repeat: int = 5, setup: Callable[[], Any] | None = None,
              ) -> tuple[float, float]:
    """(best, median) wall time in seconds of ``fn()`` over ``repeat`` runs.

    ``setup()``, when given, runs before each timed call (untimed) and its result
    is passed to ``fn``.  The collector runs before each call so that garbage
    from an earlier run is not collected on this run's clock; it stays enabled
    during the call because real programs run with it.
    """
    if repeat < 1:
        raise ValueError(f"time_call: repeat must be at least 1, got {repeat}")
    times = []
    for _ in range(repeat):
        arg = setup() if setup is not None else None
        gc.collect()
        start = time.perf_counter()
        if setup is not None:
            fn(arg)
        else:
            fn()
        times.append(time.perf_counter() - start)
        del arg
    return min(times), statistics.median(times)


def traced_peak(fn: Callable[[], Any]) -> tuple[int, Any]:
    """(peak bytes allocated above the starting level while ``fn()`` ran, its result).

    Measured with :mod:`tracemalloc`, which sees Python objects and NumPy array
    buffers but not memory that C++ libraries (libtorch) allocate themselves.
    The result is returned so that whatever it keeps alive stays alive until
    the peak has been read.
    """
    gc.collect()
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        result = fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        if not was_tracing:
            tracemalloc.stop()
    return peak - base, result


def rss_bytes() -> int | None:
    """Resident set size of this process in bytes (Linux /proc), or None where unavailable."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    import os
    return pages * os.sysconf("SC_PAGE_SIZE")


def growth_exponent(n_small: float, t_small: float, n_large: float, t_large: float) -> float:
    """The k in t ∝ n^k fitted through two points (log-log slope)."""
    if min(n_small, t_small, n_large, t_large) <= 0 or n_small == n_large:
        raise ValueError("growth_exponent: sizes and times must be positive and the sizes "
                         f"distinct, got n={n_small}, {n_large} and t={t_small}, {t_large}")
    return math.log(t_large / t_small) / math.log(n_large / n_small)


def mismatch(what: str, got: Any, want: Any, rtol: float, atol: float = 0.0) -> str | None:
    """None when ``got`` matches ``want`` elementwise (``np.allclose``), else a note saying how not.

    The note starts with ``WRONG`` and names ``what`` was compared, the shapes when
    they differ, or the largest absolute difference.  NaNs compare equal to NaNs.
    """
    got_array = np.asarray(got, dtype=np.float64)
    want_array = np.asarray(want, dtype=np.float64)
    if got_array.shape != want_array.shape:
        return f"WRONG {what}: shape {got_array.shape} != {want_array.shape}"
    if np.allclose(got_array, want_array, rtol=rtol, atol=atol, equal_nan=True):
        return None
    if got_array.ndim == 0:
        return f"WRONG {what}: {float(got_array)!r} != {float(want_array)!r}"
    worst = float(np.nanmax(np.abs(got_array - want_array)))
    return f"WRONG {what}: differs by up to {worst:.3g}"


def join_notes(*notes: str | None) -> str | None:
    """The notes that are not None or empty, joined by '; ' (None when there are none)."""
    return "; ".join(n for n in notes if n) or None


def row(name: str, value: float, unit: str, baseline: float | None = None,
        note: str | None = None, ok: bool | None = None) -> dict:
    """One result row; ``ratio`` is value / baseline when a baseline (the floor) is given.

    ``ok`` says whether the workload's result was checked and agreed with its
    reference (True), was checked and disagreed (False), or was not checked
    (None, the key is left out).  ``run.py`` exits 1 when any row has ``ok`` False.
    """
    result: dict = {"name": name, "value": value, "unit": unit}
    if baseline is not None:
        result["baseline"] = baseline
        result["ratio"] = value / baseline if baseline else math.inf
    if ok is not None:
        result["ok"] = bool(ok)
    if note:
        result["note"] = note
    return result


def checked_row(name: str, value: float, unit: str, baseline: float | None = None,
                note: str | None = None, problem: str | None = None) -> dict:
    """A :func:`row` whose result was checked: ``problem`` is None when it agreed, else the
    mismatch note (appended to ``note``; the row gets ``ok`` False)."""
    return row(name, value, unit, baseline, join_notes(note, problem), ok=problem is None)


@contextlib.contextmanager
def torch_threads(torch: Any, n: int) -> Iterator[None]:
    """Run the ``with`` block with PyTorch on ``n`` intra-op threads, then restore its count."""
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


@contextlib.contextmanager
def blas_threads(n: int) -> Iterator[bool]:
    """Run the ``with`` block with NumPy's BLAS on ``n`` threads (threadpoolctl), then restore
    them; yields False, changing nothing, when threadpoolctl is not installed."""
    threadpoolctl = optional_import("threadpoolctl")
    if threadpoolctl is None:
        yield False
        return
    with threadpoolctl.threadpool_limits(limits=n, user_api="blas"):
        yield True


def numpy_blas_note() -> str:
    """Which BLAS NumPy calls and on how many threads, e.g. 'numpy BLAS scipy-openblas 0.3.31,
    2 threads'; the threads come from threadpoolctl when it is installed, else from the
    environment variables that set them, else they are 'unknown'."""
    try:  # NumPy 2: the build configuration as a dict, without printing it
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        name = f"{blas.get('name', 'unknown')} {blas.get('version', '')}".strip()
    except Exception:  # NumPy 1 has no mode argument; an odd build may lack the keys
        name = "unknown"
    threadpoolctl = optional_import("threadpoolctl")
    threads = None
    if threadpoolctl is not None:
        counts = [p["num_threads"] for p in threadpoolctl.threadpool_info()
                  if p.get("user_api") == "blas"]
        threads = f"{max(counts)} threads" if counts else None
    if threads is None:
        for var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
            if os.environ.get(var):
                threads = f"{os.environ[var]} threads (${var})"
                break
    if threads is None:
        threads = f"unknown threads (no threadpoolctl; {os.cpu_count()} CPUs)"
    return f"numpy BLAS {name}, {threads}"
