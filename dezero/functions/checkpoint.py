"""``forget(fn, *xs)``: gradient checkpointing (Chainer's name), trading time for memory.

The forward pass runs ``fn`` without recording, so none of its intermediate
arrays are kept; its outputs are recorded as made by one Function, :class:`Forget`,
whose backward runs ``fn`` again with recording on and backpropagates through
that fresh graph.  Peak memory of a deep stack drops from every layer's
activations to the checkpointed segments' outputs plus one segment's
activations, for about one extra forward pass of time.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from dezero._config import enable_backprop_var, train_var
from dezero.core import Function, Variable, _as_input
from dezero.utils.checks import check_callable, describe


class Forget(Function):
    """The Function recorded by :func:`forget`: ``fn`` run without a graph, re-run in backward."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self._tuple = False  # whether fn returned a tuple or list of Variables

    def _outputs(self, result: Any) -> tuple[Variable, ...]:
        """``fn``'s result as a tuple of Variables, or a TypeError that says what fn returned."""
        self._tuple = isinstance(result, (tuple, list))
        outs = tuple(result) if self._tuple else (result,)
        if not outs or not all(isinstance(y, Variable) for y in outs):
            raise TypeError(f"forget: fn must return a Variable or a tuple of Variables, got "
                            f"{describe(result)}")
        return outs

    def forward(self, *xs: Any) -> Any:
        # The settings the re-run must see again: training mode and NumPy's random state
        # (dropout draws its masks from it), so that the recomputation is the same graph.
        self._train = train_var.get()
        self._rng_state = np.random.get_state()
        token = enable_backprop_var.set(False)
        try:
            outs = self._outputs(self.fn(*[Variable(x) for x in xs]))
        finally:
            enable_backprop_var.reset(token)
        ys = tuple(y.data for y in outs)
        return ys if self._tuple else ys[0]

    def backward(self, *gys: Variable) -> tuple[Variable | None, ...]:
        # The traversal runs this with recording set to its create_graph flag.
        create_graph = enable_backprop_var.get()
        if create_graph:
            # Inputs connected to the outer graph (identity Functions), so that the gradients
            # computed below can be differentiated again with respect to the inputs; they
            # are leaves (no creator) while the inner backward runs, so it stops at them.
            from dezero.functions.arithmetic import copy
            xs = [copy(x) for x in self.inputs]
            creators = [x.creator for x in xs]
            for x in xs:
                x.creator = None
        else:
            xs = [Variable(x.data) for x in self.inputs]
        saved_rng = np.random.get_state()
        np.random.set_state(self._rng_state)
        token = enable_backprop_var.set(True)
        train_token = train_var.set(self._train)
        try:
            outs = self._outputs(self.fn(*xs))
            # One root for all outputs: its backward hands each output its gradient.
            _Seed(gys)(*outs).backward(create_graph=create_graph)
        finally:
            train_var.reset(train_token)
            enable_backprop_var.reset(token)
            np.random.set_state(saved_rng)
        gxs = tuple(x.grad for x in xs)
        for x in xs:
            # Unlike a leaf's, these gradients must not stay: were ``xs`` differentiated
            # again (create_graph), the traversal would add them to the new ones.
            x.grad = None
        if create_graph:
            for x, creator in zip(xs, creators):
                x.creator = creator
        return gxs


class _Seed(Function):
    """A scalar made from ``forget``'s re-run outputs whose backward returns ``gys``, the
    gradients of the Forget outputs: one backward() call then seeds every output."""

    def __init__(self, gys: tuple[Variable, ...]) -> None:
        self.gys = gys

    def forward(self, *ys: Any) -> Any:
        return np.zeros(())

    def backward(self, gy: Variable) -> tuple[Variable, ...]:
        return self.gys


def forget(fn: Callable[..., Any], *xs: Any) -> Any:
    """``fn(*xs)`` without keeping its intermediate arrays: gradient checkpointing.

    ``fn`` takes Variables and returns a Variable or a tuple of Variables.  It
    runs without recording a graph; its outputs are recorded as made by one
    Function whose backward runs ``fn`` again, recording, and backpropagates
    through it.  The gradients are those of ``fn(*xs)``, with respect to ``xs``
    and to the Parameters ``fn`` uses (such as a Layer's, which get theirs once
    per backward); ``backward(create_graph=True)`` works, so the result can be
    differentiated again.  The memory of the intermediate results is needed
    only while one ``forget`` segment is being backpropagated, at the cost of
    running ``fn`` twice.

    ``fn`` must compute the same thing when run again: dropout's masks are
    reproduced (NumPy's global random state and the train/test setting of the
    first run are restored for the re-run), but Parameters changed between the
    forward and the backward pass would give gradients of the changed function,
    and so would a ``lambda`` that reads a loop variable (bind it as a default
    argument, as below: ``fn`` runs again after the loop has moved on).
    Returns a Variable, or a tuple of Variables when ``fn`` returns a tuple or
    list.

    Example: checkpoint every four layers of a deep MLP::

        h = x
        for i in range(0, len(layers), 4):
            h = F.forget(lambda t, seg=layers[i:i + 4]: run(seg, t), h)
    """
    check_callable(fn, "forget", "fn")
    if not xs:
        raise TypeError("forget: pass at least one input after fn: forget(fn, x, ...); a "
                        "function of Parameters only can take a dummy input")
    inputs = [_as_input("forget", x) for x in xs]
    f = Forget(fn)
    outs = f(*inputs)
    return tuple(outs) if f._tuple else outs
