"""``profile()``: where the time of a block of dezero code goes, per Function type.

Inside ``with dezero.profile() as prof:`` (this thread or asyncio task only)
every Function's forward and every backward the traversal runs are timed with
:func:`time.perf_counter_ns`.  :meth:`Profile.table` sums them per Function type;
:meth:`Profile.write_trace` writes every call as a Chrome trace (open it in
``chrome://tracing`` or https://ui.perfetto.dev).  Outside the block nothing is
timed and nothing costs: see :mod:`dezero._modes`.
"""
from __future__ import annotations

import json
import os
import threading
import time
from typing import Any, NamedTuple

from dezero import _modes


class FunctionStats(NamedTuple):
    """The time one Function type took in a profiled block (times in seconds)."""

    name: str
    """The Function's class name (``Mul``, ``Linear`` ...)."""
    calls: int
    """Forward calls."""
    forward_s: float
    """Total forward time."""
    backward_calls: int
    """Backward calls made by the traversal."""
    backward_s: float
    """Total backward time."""

    @property
    def total_s(self) -> float:
        """Forward plus backward time."""
        return self.forward_s + self.backward_s


class Profile:
    """The timings of a :func:`profile` block: a context manager that yields itself.

    ``events`` holds every timed call as ``(name, phase, start_ns, end_ns, depth,
    thread_id)``; ``phase`` is ``"forward"`` or ``"backward"`` and ``depth`` is 0
    for a call made by user code or by the backward traversal, more for a
    Function run inside another one's forward or backward (a backward is made of
    Functions; :func:`dezero.functions.forget` runs its function inside its
    forward).  The table counts depth-0 calls only, so that no time is counted
    twice; the trace shows all of them, nested.  Where gradients arriving along
    several paths are summed, the traversal's ``Add`` calls appear at depth 0.
    """

    def __init__(self, trace: str | os.PathLike | None = None) -> None:
        self.trace = trace
        self.events: list[tuple[str, str, int, int, int, int]] = []
        self._depth = 0
        self._tokens: list = []
        self._origin_ns: int | None = None

    def __enter__(self) -> "Profile":
        if self._origin_ns is None:
            self._origin_ns = time.perf_counter_ns()
        self._tokens.append(_modes.enter(profiler=self))
        return self

    def __exit__(self, *exc: Any) -> None:
        _modes.leave(self._tokens.pop())
        if self.trace is not None and not self._tokens:
            self.write_trace(self.trace)

    # called by dezero._modes around each timed call
    def _open(self) -> None:
        self._depth += 1

    def _close(self, f: Any, phase: str, start_ns: int, end_ns: int) -> None:
        self._depth -= 1
        self.events.append((type(f).__name__, phase, start_ns, end_ns, self._depth,
                            threading.get_ident()))

    # -- reports ----------------------------------------------------------------------------
    def stats(self) -> list[FunctionStats]:
        """Per Function type: calls and forward/backward time, largest total time first."""
        sums: dict[str, list] = {}
        for name, phase, start, end, depth, _ in self.events:
            if depth:
                continue
            entry = sums.setdefault(name, [0, 0, 0, 0])
            k = 0 if phase == "forward" else 2
            entry[k] += 1
            entry[k + 1] += end - start
        stats = [FunctionStats(name, c, f_ns * 1e-9, bc, b_ns * 1e-9)
                 for name, (c, f_ns, bc, b_ns) in sums.items()]
        stats.sort(key=lambda s: (-s.total_s, s.name))
        return stats

    def table(self, limit: int | None = None) -> str:
        """A printable table of :meth:`stats`: per Function type, forward calls, forward and
        backward time in total (ms) and per call (µs), sorted by total time.  ``limit`` keeps
        the first rows only."""
        stats = self.stats()
        shown = stats if limit is None else stats[:limit]
        header = ("Function", "calls", "forward ms", "µs/call", "backward calls", "backward ms",
                  "µs/call", "total ms")
        rows = [header]
        for s in shown:
            rows.append((s.name, str(s.calls), f"{s.forward_s * 1e3:.3f}",
                         _per_call(s.forward_s, s.calls), str(s.backward_calls),
                         f"{s.backward_s * 1e3:.3f}", _per_call(s.backward_s, s.backward_calls),
                         f"{s.total_s * 1e3:.3f}"))
        total = sum(s.total_s for s in stats)
        rows.append(("total", str(sum(s.calls for s in stats)),
                     f"{sum(s.forward_s for s in stats) * 1e3:.3f}", "",
                     str(sum(s.backward_calls for s in stats)),
                     f"{sum(s.backward_s for s in stats) * 1e3:.3f}", "", f"{total * 1e3:.3f}"))
        widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
        lines = []
        for j, r in enumerate(rows):
            cells = [r[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(r[1:], widths[1:])]
            lines.append("  ".join(cells).rstrip())
            if j == 0:
                lines.append("  ".join("-" * w for w in widths))
        if len(shown) < len(stats):
            lines.insert(-1, f"... {len(stats) - len(shown)} more Function types")
        return "\n".join(lines)

    def trace_events(self) -> dict:
        """The block as a Chrome trace: ``{"traceEvents": [...]}`` with one complete event
        (``"ph": "X"``) per call, ``ts`` and ``dur`` in microseconds from the block's start."""
        origin = self._origin_ns or 0
        pid = os.getpid()
        events = [{"name": name, "cat": phase, "ph": "X", "ts": (start - origin) / 1e3,
                   "dur": (end - start) / 1e3, "pid": pid, "tid": tid,
                   "args": {"phase": phase, "depth": depth}}
                  for name, phase, start, end, depth, tid in self.events]
        return {"traceEvents": events, "displayTimeUnit": "ms"}

    def write_trace(self, path: str | os.PathLike) -> None:
        """Write :meth:`trace_events` to ``path`` as JSON (for chrome://tracing or Perfetto)."""
        with open(path, "w", encoding="utf-8") as out:
            json.dump(self.trace_events(), out)


def _per_call(seconds: float, calls: int) -> str:
    return f"{seconds * 1e6 / calls:.2f}" if calls else "-"


def profile(trace: str | os.PathLike | None = None) -> Profile:
    """Context manager that times every Function run inside it; yields a :class:`Profile`.

    ``prof.table()`` is a printable table listing, per Function type, the calls
    and the forward and backward time (total and per call), sorted by total
    time; ``prof.stats()`` gives the same figures as data.  With ``trace`` (a
    path), a Chrome trace JSON of every call in the block is written when it
    ends (also available as ``prof.write_trace(path)``).  Only this thread (or
    asyncio task) is timed; outside the block nothing is.

    Example::

        with dezero.profile() as prof:
            loss = model(x)
            loss.backward()
        print(prof.table())
    """
    return Profile(trace)
