"""The one backward traversal: iterative, ordered by a heap on generation.

Each Function is run once, after every Function that consumes its outputs
(higher generation first), so gradients arriving along several paths are summed
before they are passed further back.  No recursion: a chain of a million ops
backpropagates in constant stack depth.
"""
from __future__ import annotations

import heapq
import threading

from dezero import cuda
from dezero._config import enable_backprop_var

from dezero.core import Function, Variable, _data_epoch, as_variable


# Guards the accumulation into gradients that persist after backward (see below).
_kept_grad_lock = threading.Lock()


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
        if gy is None:
            shape, dtype = f._output_meta[i] if hasattr(f, "_output_meta") else (
                y._data.shape, y._data.dtype)
            xp = cuda.get_array_module(f.inputs[0]._data)
            dtype = dtype if dtype.kind in "fc" else xp.float64
            gy = Variable(xp.zeros(shape, dtype=dtype))
        gys.append(gy)
    return gys


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
    if y.creator is None:
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
    kept: set = {id(y.grad)}
    token = enable_backprop_var.set(create_graph)
    try:
        while heap:
            f = heappop(heap)[2]
            if _data_epoch[0] != f._epoch:
                _check_version(f)
            outputs = f.outputs
            out = outputs[0]() if len(outputs) == 1 else None
            gys = (out.grad,) if out is not None and out.grad is not None else _output_grads(f)
            gxs = f.backward(*gys)
            if not isinstance(gxs, tuple):
                gxs = (gxs,)
            inputs = f.inputs
            if len(gxs) > len(inputs):
                raise ValueError(
                    f"{type(f).__name__}.backward returned {len(gxs)} gradients "
                    f"for {len(inputs)} inputs")
            for i, gx in enumerate(gxs):
                if gx is None:
                    continue
                x = inputs[i]
                if not isinstance(gx, Variable):
                    gx = as_variable(gx)
                if gx._data.shape != x._data.shape:
                    raise ValueError(
                        f"{type(f).__name__}.backward returned a gradient of shape "
                        f"{gx._data.shape} for input {i} of shape {x._data.shape}; a "
                        "backward must return one gradient per input, shaped like it "
                        "(reduce broadcast gradients with sum_to)")
                if x.creator is None or retain_grad:
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
    finally:
        enable_backprop_var.reset(token)


def _copy(gx: "Variable") -> "Variable":
    """A distinct gradient Variable equal to ``gx`` (differentiable when recording)."""
    from dezero.functions.arithmetic import copy
    return copy(gx)
