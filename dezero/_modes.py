"""The switch behind the debugging modes :func:`dezero.detect_anomaly` and :func:`dezero.profile`.

Outside the modes nothing is captured and nothing costs: ``Function.__call__``
checks one module global (``dezero._function._mode_forward``) and the backward
traversal reads ``dezero._backprop._mode_backward`` once per ``backward()`` call;
both are None unless some context has a mode active.  Entering a mode installs
:func:`forward` and :func:`backward` there (counted, so nested and concurrent
blocks share them) and records the mode in a :class:`contextvars.ContextVar`:
the hooks act only for the thread (or asyncio task) that entered the mode, and
run the plain forward/backward for everyone else.
"""
from __future__ import annotations

import contextvars
import threading
import time
from typing import Any, NamedTuple

from dezero import _backprop, _function, core


class ModeState(NamedTuple):
    """What is active in one context (immutable: a change is a new ``ContextVar.set``)."""

    anomaly: bool
    """detect_anomaly(): check NaN/inf and in-place changes, record call sites."""
    profilers: tuple
    """The open dezero.profiler.Profile objects, outermost first."""
    in_backward: bool
    """Inside a Function's backward under detect_anomaly: the Functions it calls are
    not checked for NaN themselves, their result is checked as that backward's."""


_NO_MODE = ModeState(False, (), False)

mode_var: contextvars.ContextVar[ModeState | None] = contextvars.ContextVar(
    "dezero.debug_modes", default=None)

_install_lock = threading.Lock()
_users = 0  # mode blocks open in any context; the hooks are installed while it is positive


def enter(*, anomaly: bool = False, profiler: Any = None) -> contextvars.Token:
    """Open a mode block in this context; returns the token that :func:`leave` takes."""
    global _users
    state = mode_var.get() or _NO_MODE
    if anomaly:
        state = state._replace(anomaly=True)
    if profiler is not None:
        state = state._replace(profilers=state.profilers + (profiler,))
    with _install_lock:
        _users += 1
        _function._mode_forward = forward
        _backprop._mode_backward = backward
    return mode_var.set(state)


def leave(token: contextvars.Token) -> None:
    """Close the block opened by :func:`enter`; the last one open anywhere uninstalls the hooks."""
    global _users
    mode_var.reset(token)
    with _install_lock:
        _users -= 1
        if _users == 0:
            _function._mode_forward = None
            _backprop._mode_backward = None


def _run(profilers: Any, f: core.Function, phase: str, method: Any, args: Any) -> Any:
    """``method(*args)``, timed for every open profiler as ``f``'s ``phase``."""
    if not profilers:
        return method(*args)
    for p in profilers:
        p._open()
    start = time.perf_counter_ns()
    try:
        return method(*args)
    finally:
        end = time.perf_counter_ns()
        for p in profilers:
            p._close(f, phase, start, end)


def forward(f: core.Function, inputs: tuple) -> Any:
    """Run ``f.forward`` on the inputs' arrays as the modes of this context ask."""
    state = mode_var.get()
    xs = [x._data for x in inputs]
    if state is None:
        return f.forward(*xs)
    ys = _run(state.profilers, f, "forward", f.forward, xs)
    if state.anomaly:
        _anomaly.after_forward(f, xs, ys, check=not state.in_backward)
    return ys


def backward(f: core.Function, gys: list) -> Any:
    """Run ``f.backward(*gys)`` as the modes of this context ask."""
    state = mode_var.get()
    if state is None:
        return f.backward(*gys)
    token = None
    if state.anomaly:
        _anomaly.before_backward(f)
        if not state.in_backward:
            token = mode_var.set(state._replace(in_backward=True))
    try:
        gxs = _run(state.profilers, f, "backward", f.backward, gys)
    finally:
        if token is not None:
            mode_var.reset(token)
    if state.anomaly:
        _anomaly.after_backward(f, gys, gxs)
    return gxs


# Imported last: dezero.anomaly imports this module.
from dezero import anomaly as _anomaly  # noqa: E402
