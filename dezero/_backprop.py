"""The one backward traversal: iterative, ordered by a heap on generation.

Each Function is run once, after every Function that consumes its outputs
(higher generation first), so gradients arriving along several paths are summed
before they are passed further back.  No recursion: a chain of a million ops
backpropagates in constant stack depth.

Gradient hooks (:meth:`dezero.Variable.register_hook`) are run here too: an
intermediate Variable's just before its creator's backward (its gradient is
then complete), a leaf's once the traversal has ended.  A backward pays for
them only while some Variable has a hook.

The debugging modes (:func:`dezero.detect_anomaly`, :func:`dezero.profile`) run
each Function's backward through :data:`_mode_backward` instead, read once per
call: set by :mod:`dezero._modes` only while a mode is active somewhere.

When nobody will differentiate the backward (no ``create_graph``, no
``retain_grad``, no hooks, no debugging mode), the traversal runs on arrays
(:func:`_backward_on_arrays`): the same backward methods, written once on
Variables, receive arrays, and every Function they call returns its forward's
arrays (``ARRAY_MODE``), so gradient arithmetic builds no Variable or Function
objects.  Only the leaves' final gradients become Variables.
"""
from __future__ import annotations

import heapq
import itertools
import threading
import weakref
from typing import Any, Callable

from dezero import cuda
from dezero._config import ARRAY_MODE, enable_backprop_var

from dezero.core import Function, Variable, _data_epoch, _output_variable, as_variable
from dezero.utils.checks import check_callable, describe


# Guards the accumulation into gradients that persist after backward (see below).
_kept_grad_lock = threading.Lock()

# The Variables that have at least one gradient hook (id -> weak reference; keyed by
# id so that Variable needs no __hash__): a backward looks for hooks only while this
# is not empty.
_hooked_variables: dict[int, weakref.ref] = {}
_hook_keys = itertools.count()

# dezero._modes.backward while detect_anomaly() or profile() is active in some context,
# else None: backward() reads it once and then calls f.backward directly.
_mode_backward: Callable[["Function", list], Any] | None = None


class HookHandle:
    """A registered hook; :meth:`remove` unregisters it.

    Returned by :meth:`dezero.Variable.register_hook`,
    :meth:`dezero.layers.Layer.register_forward_hook` and
    :meth:`dezero.layers.Layer.register_forward_pre_hook`.  Also a context
    manager: the hook is removed when the ``with`` block ends.
    """

    __slots__ = ("_hooks", "_key", "_on_remove")

    def __init__(self, hooks: dict, fn: Callable,
                 on_remove: Callable[[], None] | None = None) -> None:
        self._hooks = hooks
        self._key = next(_hook_keys)
        self._on_remove = on_remove
        hooks[self._key] = fn

    def remove(self) -> None:
        """Unregister the hook (removing it again does nothing)."""
        if self._hooks.pop(self._key, None) is not None and self._on_remove is not None:
            self._on_remove()

    def __enter__(self) -> "HookHandle":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


def register_hook(var: "Variable", fn: Callable) -> HookHandle:
    """Add the gradient hook ``fn`` to ``var``; see :meth:`dezero.Variable.register_hook`."""
    check_callable(fn, "Variable.register_hook", "fn")
    hooks = var.__dict__.get("_grad_hooks")
    if hooks is None:
        hooks = var._grad_hooks = {}
    key = id(var)
    ref = _hooked_variables.get(key)
    if ref is None or ref() is not var:
        ref = _hooked_variables[key] = weakref.ref(var, lambda dead: _forget(key, dead))

    def forget() -> None:  # called on remove(): with no hooks left, backward skips the checks
        current = _hooked_variables.get(key)
        if not hooks and current is not None and current() is ref():
            del _hooked_variables[key]

    return HookHandle(hooks, fn, forget)


def _forget(key: int, ref: weakref.ref) -> None:
    """Drop ``key`` from the hooked Variables if it still stands for ``ref`` (now dead)."""
    if _hooked_variables.get(key) is ref:
        del _hooked_variables[key]


def _run_hooks(var: "Variable", grad: "Variable") -> "Variable":
    """``grad`` passed through ``var``'s hooks in registration order (each may replace it)."""
    for fn in tuple(var._grad_hooks.values()):
        new = fn(grad)
        if new is None:
            continue
        if not isinstance(new, Variable):
            try:
                new = as_variable(new, "Variable.register_hook")
            except TypeError:
                raise TypeError(f"Variable.register_hook: the hook {fn!r} returned "
                                f"{describe(new)}; a hook returns None, a Variable or an "
                                "array") from None
        if new._data is None or new._data.shape != grad._data.shape:
            got = None if new._data is None else new._data.shape
            raise ValueError(f"Variable.register_hook: the hook {fn!r} returned a gradient of "
                             f"shape {got} for a gradient of shape {grad._data.shape}; a "
                             "replacement must keep the shape")
        grad = new
    return grad


def _hook_outputs(outputs: tuple) -> None:
    """Run the hooks of ``outputs`` (a Function's, by weak reference) on their gradients."""
    for ref in outputs:
        out = ref()
        if out is not None and out._grad_hooks and out.grad is not None:
            out.grad = _run_hooks(out, out.grad)


def _seed(y: "Variable") -> "Variable":
    """The starting gradient: ones of ``y``'s shape, floating point even for integer data."""
    xp = cuda.get_array_module(y._data)
    dtype = y._data.dtype if y._data.dtype.kind in "fc" else xp.float64
    return Variable(xp.ones(y._data.shape, dtype=dtype))


def _check_seed(y: "Variable") -> None:
    """A seed gradient set by the caller (``y.grad = ...``) must be shaped like ``y``."""
    gy = y.grad
    if not isinstance(gy, Variable):
        gy = y.grad = as_variable(gy)  # an array the caller assigned
    if gy._data is None or gy._data.shape != y._data.shape:
        got = None if gy._data is None else gy._data.shape
        raise ValueError(
            f"Variable.backward: the starting gradient y.grad has shape {got} but y has "
            f"shape {y._data.shape}; set y.grad to an array of y's shape, or to None for ones")


def _output_grads(f: "Function") -> list:
    """The gradients of ``f``'s outputs; zeros for an output that is gone or got none."""
    gys = []
    for i, ref in enumerate(f.outputs):
        y = ref()
        gy = None if y is None else y.grad
        gys.append(Variable(_zero_gradient(f, i, y)) if gy is None else gy)
    return gys


def _zero_gradient(f: "Function", i: int, y: "Variable | None") -> Any:
    """Zeros for output ``i`` of ``f`` (``y``, or None once it is gone): its shape, a
    floating dtype."""
    shape, dtype = f._output_meta[i] if hasattr(f, "_output_meta") else (
        y._data.shape, y._data.dtype)
    xp = cuda.get_array_module(f.inputs[0]._data)
    return xp.zeros(shape, dtype=dtype if dtype.kind in "fc" else xp.float64)


def _count_error(f: "Function", gxs: tuple) -> ValueError:
    return ValueError(f"{type(f).__name__}.backward returned {len(gxs)} gradients "
                      f"for {len(f.inputs)} inputs")


def _shape_error(f: "Function", i: int, shape: tuple, x: "Variable") -> ValueError:
    return ValueError(
        f"{type(f).__name__}.backward returned a gradient of shape {shape} for input {i} of "
        f"shape {x._data.shape}; a backward must return one gradient per input, shaped like "
        "it (reduce broadcast gradients with sum_to)")


def _check_version(f: "Function") -> None:
    if any(x._version > f._epoch for x in f.inputs):
        raise RuntimeError(
            f"{type(f).__name__}: an input's data was replaced after the forward pass "
            "(x.data = ...), so its gradient would be wrong. Recompute the forward pass "
            "after changing the data, or change it after calling backward().")


def backward(y: "Variable", retain_grad: bool = False, create_graph: bool = False) -> None:
    """Backpropagate from ``y``; see :meth:`dezero.Variable.backward`."""
    if y.grad is None:
        y.grad = _seed(y)
    else:
        _check_seed(y)
    hooked = bool(_hooked_variables)
    mode = _mode_backward
    if y.creator is None:
        if hooked and y._grad_hooks:
            token = enable_backprop_var.set(create_graph)
            try:
                y.grad = _run_hooks(y, y.grad)
            finally:
                enable_backprop_var.reset(token)
        return

    if not (create_graph or retain_grad or hooked or mode is not None):
        _backward_on_arrays(y)
        return

    # Entries are (-generation, insertion count, function): the count breaks ties
    # so functions themselves are never compared.
    heap: list = [(-y.creator.generation, 0, y.creator)]
    seen: set = {y.creator}
    counter = 1
    heappush, heappop = heapq.heappush, heapq.heappop
    # ids of the gradients stored on Variables that keep them after this call
    # (leaves; every Variable with retain_grad).  A backward may hand one
    # gradient object to several inputs (Add returns gy twice) or pass it
    # through (AddConst), possibly across several functions, so a gradient about
    # to be kept is copied if it is already kept elsewhere: an in-place update of
    # one (gradient clipping) must not change another.  Intermediate gradients
    # are dropped once their creator has run and may share freely.  A stale id
    # (its object freed and the id reused) can only cause a needless copy.
    seed = y.grad  # held until the end: its id in ``kept`` must not be reused meanwhile
    kept: set = {id(seed)}
    # Leaves with hooks reached by this call: id -> (leaf, its gradient before this call).
    # Their gradient is summed from None, passed through the hooks at the end, and only
    # then added to what they held before.
    hooked_leaves: dict = {}
    token = enable_backprop_var.set(create_graph)
    try:
        while heap:
            f = heappop(heap)[2]
            if _data_epoch[0] != f._epoch:
                _check_version(f)
            outputs = f.outputs
            if hooked:
                _hook_outputs(outputs)
            out = outputs[0]() if len(outputs) == 1 else None
            gys = (out.grad,) if out is not None and out.grad is not None else _output_grads(f)
            gxs = f.backward(*gys) if mode is None else mode(f, gys)
            if type(gxs) is not tuple:
                gxs = (gxs,)
            inputs = f.inputs
            if len(gxs) > len(inputs):
                raise _count_error(f, gxs)
            for i, gx in enumerate(gxs):
                if gx is None:
                    continue
                x = inputs[i]
                if not isinstance(gx, Variable):
                    gx = as_variable(gx)
                if gx._data.shape != x._data.shape:
                    raise _shape_error(f, i, gx._data.shape, x)
                if x.creator is None or retain_grad:
                    if hooked and x._grad_hooks and x.creator is None and \
                            id(x) not in hooked_leaves:
                        hooked_leaves[id(x)] = (x, x.grad)
                        x.grad = None
                    # A gradient that outlives this call (a leaf's, a parameter's) may
                    # be accumulated by backward passes in other threads at once: the
                    # read-add-store must not interleave, or updates are lost.
                    with _kept_grad_lock:
                        if x.grad is None:
                            if id(gx) in kept:
                                gx = _copy(gx)
                            kept.add(id(gx))
                            x.grad = gx
                        else:
                            x.grad = x.grad + gx
                elif x.grad is None:
                    x.grad = gx
                else:
                    x.grad = x.grad + gx
                creator = x.creator
                if creator is not None and creator not in seen:
                    seen.add(creator)
                    counter += 1
                    heappush(heap, (-creator.generation, counter, creator))
            if not retain_grad:
                for ref in outputs:
                    out = ref()
                    if out is not None:
                        out.grad = None
        for key in list(hooked_leaves):
            x, before = hooked_leaves[key]
            gx = _run_hooks(x, x.grad)
            with _kept_grad_lock:
                if before is not None:
                    gx = before + gx
                elif gx is not x.grad and id(gx) in kept:
                    gx = _copy(gx)
                x.grad = gx
            del hooked_leaves[key]
    except BaseException:
        # As without hooks, a failed call leaves what it had summed so far, on top of
        # the gradients the leaves held before it.
        for x, before in hooked_leaves.values():
            if before is not None:
                x.grad = before if x.grad is None else before + x.grad
        raise
    finally:
        enable_backprop_var.reset(token)


def _backward_on_arrays(y: "Variable") -> None:
    """The traversal of :func:`backward` for a gradient nobody differentiates.

    The order, the summing of gradients and the checks are those of the Variable
    path.  An intermediate Variable's ``grad`` holds a raw array while the traversal
    runs, and is cleared once its creator has used it (as the Variable path clears
    it); only the leaves' gradients are stored as Variables.
    """
    # Arrays y or a leaf holds: a leaf gets a copy of those.  The seed is taken off y once
    # its creator has run, so it is held here: a freed array's id could be reused by a new
    # gradient, which would then be copied for nothing.
    seed = y.grad._data
    kept: set = {id(seed)}
    # The heap on generation holds one entry per generation with Functions waiting, and
    # each generation's Functions wait in a list in the order found: the same order as a
    # heap of (-generation, order found, Function) entries, since every Function found
    # while a generation runs has a lower one, but a push and a pop per generation rather
    # than per Function.
    bucket = [y.creator]  # the generation running now
    waiting: dict = {}  # generation -> the Functions found at it, in the order found
    generations: list = []  # heap of -generation, one entry per key of ``waiting``
    # A Function found while nothing else waits (a chain: one per step) is kept aside
    # rather than put in ``waiting``; it runs next, as the heap would have it.
    lone = None
    seen: set = {y.creator}
    heappush, heappop = heapq.heappush, heapq.heappop
    # No data is replaced while this traversal runs (no hooks, no modes; the backward
    # methods only compute), so the replacement counter is read once.
    epoch = _data_epoch[0]
    token = enable_backprop_var.set(ARRAY_MODE)
    try:
        while True:
            for f in bucket:
                if epoch != f._epoch:
                    _check_version(f)
                out = f._out
                if type(out) is not tuple:  # one output, the common case: written out
                    out = out()
                    gy = None if out is None else out.grad
                    if gy is None:
                        gys = (_zero_gradient(f, 0, out),)
                    else:
                        out.grad = None
                        gys = (gy._data if isinstance(gy, Variable) else gy,)
                else:
                    gys = [_array_gradient(f, i, ref) for i, ref in enumerate(out)]
                # a Function from elsewhere gets Variables, under no_grad
                gxs = f.backward(*gys) if f._array_backward else _backward_on_variables(f, gys)
                inputs = f._in
                if type(gxs) is not tuple:
                    gxs = (gxs,)
                if type(inputs) is not tuple:
                    inputs = (inputs,)
                if len(gxs) > len(inputs):
                    raise _count_error(f, gxs)
                for i, gx in enumerate(gxs):
                    if gx is None:
                        continue
                    x = inputs[i]
                    if isinstance(gx, Variable):
                        gx = gx._data
                    try:
                        shape = gx.shape
                    except AttributeError:  # a number: checked as the Variable path does
                        gx = as_variable(gx)._data
                        shape = gx.shape
                    if shape != x._data.shape:
                        raise _shape_error(f, i, shape, x)
                    creator = x.creator
                    if creator is None:
                        # A leaf keeps its gradient: accumulated under the lock (other threads
                        # may backpropagate into it), never sharing an array held elsewhere.
                        with _kept_grad_lock:
                            old = x.grad
                            if old is None:
                                if id(gx) in kept:
                                    gx = gx.copy()
                                kept.add(id(gx))
                                x.grad = _output_variable(gx)
                            else:
                                x.grad = _output_variable((old._data if isinstance(old, Variable)
                                                           else old) + gx)
                        continue
                    # (a Variable left from an earlier retain_grad call adds up, as on the
                    # Variable path; in ARRAY_MODE the sum is an array)
                    old = x.grad
                    x.grad = gx if old is None else old + gx
                    if creator not in seen:
                        seen.add(creator)
                        if lone is None and not generations:
                            lone = creator
                            continue
                        # a second one found: both wait in their generations
                        for c in (creator,) if lone is None else (lone, creator):
                            found = waiting.get(c.generation)
                            if found is None:
                                waiting[c.generation] = [c]
                                heappush(generations, -c.generation)
                            else:
                                found.append(c)
                        lone = None
            if lone is not None:
                bucket, lone = (lone,), None
            elif generations:
                bucket = waiting.pop(-heappop(generations))
            else:
                break
    except BaseException:
        # An intermediate must not keep a raw array as its grad: clear what is left.
        for g in seen:
            for ref in g.outputs:
                out = ref()
                if out is not None and out.grad is not None and \
                        not isinstance(out.grad, Variable):
                    out.grad = None
        raise
    finally:
        enable_backprop_var.reset(token)


def _array_gradient(f: "Function", i: int, ref: weakref.ref) -> Any:
    """The gradient array of ``f``'s output ``i`` (what reached it, else zeros), taken
    off the output: an intermediate keeps no gradient after its creator has run."""
    out = ref()
    if out is None or out.grad is None:
        return _zero_gradient(f, i, out)
    gy = out.grad
    out.grad = None
    return gy._data if isinstance(gy, Variable) else gy


def _backward_on_variables(f: "Function", gys: list) -> Any:
    """``f.backward`` on Variables without recording, for Functions defined outside
    dezero.functions (their backward may use Variable-only features)."""
    token = enable_backprop_var.set(False)
    try:
        return f.backward(*[Variable(gy) for gy in gys])
    finally:
        enable_backprop_var.reset(token)


def _copy(gx: "Variable") -> "Variable":
    """A distinct gradient Variable equal to ``gx`` (differentiable when recording)."""
    from dezero.functions.arithmetic import copy
    return copy(gx)
