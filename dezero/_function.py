"""The :class:`Function` base class: forward on arrays, recorded as the creator of its outputs.

Part of :mod:`dezero.core`, which imports it (``dezero.core.Function`` is this class), kept
in a module of its own for size.  ``Function.__call__`` is the hot path of the whole
library: it checks its inputs, runs ``forward`` on their arrays, wraps the results and,
when recording, links them into the graph.  During an array-level backward
(``dezero._backprop``) it returns the forward's arrays and records nothing.
"""
from __future__ import annotations

import weakref
from typing import Any, Callable

import numpy as np

from dezero._config import ARRAY_MODE, enable_backprop_var
from dezero.core import _HELD_TYPES, Variable, _as_input, _data_epoch, _output_variable

# The debugging modes' forward hook (dezero._modes.forward), set only while
# detect_anomaly() or profile() is active in some context; None costs one global lookup.
_mode_forward: Callable[["Function", tuple], Any] | None = None

# The modules whose Function classes run their backward on arrays when no graph of the
# backward is wanted (see Function._array_backward).
_ARRAY_BACKWARD_MODULES = frozenset(
    f"dezero.functions.{family}" for family in (
        "activation", "arithmetic", "attention", "conv", "elementwise", "linalg", "loss",
        "normalization", "pool", "reduction", "shape"))


def _as_result(ys: Any) -> Any:
    """An array-mode forward result that is neither an array nor a NumPy scalar: a
    tuple (several outputs) becomes a list, a Python number a 0-d array."""
    if type(ys) is tuple:
        return [y if isinstance(y, _HELD_TYPES) else np.asarray(y) for y in ys]
    return np.asarray(ys)


def _check_not_empty(f: "Function", inputs: tuple) -> None:
    """Raise a clear TypeError if an input of ``f`` is an empty Variable (data None)."""
    for i, x in enumerate(inputs):
        if x._data is None:
            raise TypeError(
                f"{type(f).__name__}: input {i} is a Variable that holds no data (data is "
                "None); assign an array first (x.data = np.array(...))")


class Function:
    """Base class of every differentiable operation.

    Subclasses implement ``forward(*xs)`` on arrays (returning an array or a
    tuple of arrays) and ``backward(*gys)`` on Variables (returning one Variable
    per input, ``None`` for an input that gets no gradient).  Because backward
    is itself built from Functions, every op can be differentiated again.
    """

    # Set only when the call is recorded.  ``inputs`` and ``outputs`` are properties over
    # ``_in`` and ``_out``, which hold a lone input Variable or output weak reference
    # itself (the common case) and a tuple otherwise: a recorded op then allocates no
    # tuple to keep, which saves memory and, above all, objects the cyclic garbage
    # collector would scan while the graph is alive (see docs/design/performance.md).
    generation: int
    _in: "Variable | tuple[Variable, ...]"
    _out: "weakref.ref | tuple[weakref.ref, ...]"
    # Whether a backward without create_graph may hand this Function's backward arrays
    # instead of Variables (dezero._backprop's array-level path).  True for the
    # Functions of dezero.functions, whose backwards the per-op tests run both ways;
    # a Function defined elsewhere gets Variables, as DeZero's always did.
    _array_backward = False

    @property
    def inputs(self) -> tuple[Variable, ...]:
        """The input Variables of the recorded call (held strongly), as a tuple."""
        x = self._in
        return x if type(x) is tuple else (x,)

    @inputs.setter
    def inputs(self, value: Any) -> None:
        value = tuple(value)
        self._in = value[0] if len(value) == 1 else value

    @property
    def outputs(self) -> tuple[weakref.ref, ...]:
        """Weak references to the output Variables of the recorded call, as a tuple."""
        y = self._out
        return y if type(y) is tuple else (y,)

    @outputs.setter
    def outputs(self, value: Any) -> None:
        value = tuple(value)
        self._out = value[0] if len(value) == 1 else value

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._array_backward = cls.__module__ in _ARRAY_BACKWARD_MODULES

    def __call__(self, *inputs: Any) -> Any:
        # The hot path of the whole library: written out for one and two inputs
        # (list comprehensions cost a frame each on Python 3.11).
        record = enable_backprop_var.get()
        if record is ARRAY_MODE:  # gradient arithmetic of an array-level backward
            if len(inputs) == 1:  # most of it is unary (gy * c, -gy ...): no extra call
                x = inputs[0]
                ys = self.forward(x._data if isinstance(x, Variable) else x)
                return ys if isinstance(ys, _HELD_TYPES) else _as_result(ys)
            return self._call_on_arrays(inputs)
        for x in inputs:
            if not isinstance(x, Variable):
                inputs = tuple([_as_input(type(self).__name__, v) for v in inputs])
                break
        n = len(inputs)
        try:
            if _mode_forward is not None:  # detect_anomaly() / profile(): see dezero._modes
                ys = _mode_forward(self, inputs)
            elif n == 1:
                ys = self.forward(inputs[0]._data)
            elif n == 2:
                ys = self.forward(inputs[0]._data, inputs[1]._data)
            else:
                ys = self.forward(*[x._data for x in inputs])
        except ValueError as e:
            _check_not_empty(self, inputs)
            shapes = ", ".join(str(tuple(x.shape)) for x in inputs)
            raise ValueError(f"{type(self).__name__}: {str(e).rstrip()} "
                             f"(input shapes: {shapes})") from e
        except (TypeError, AttributeError):
            _check_not_empty(self, inputs)
            raise

        if type(ys) is not tuple:
            # _output_variable, inlined
            y = Variable.__new__(Variable)
            y._data = ys if isinstance(ys, _HELD_TYPES) else np.asarray(ys)
            y.name = y.grad = y.creator = None
            y._version = 0
            if not record:
                y.generation = 0
                return y
            if n == 1:
                x = inputs[0]
                self._in = x
                generation = x.generation
            else:
                self._in = inputs
                generation = 0
                for x in inputs:
                    if x.generation > generation:
                        generation = x.generation
            self.generation = generation
            y.creator = self
            y.generation = generation + 1
            self._out = weakref.ref(y)
            self._epoch = _data_epoch[0]
            return y

        outputs = [_output_variable(y) for y in ys]
        if record:
            self.generation = max(x.generation for x in inputs)
            for y in outputs:
                y.creator = self
                y.generation = self.generation + 1
            self.inputs = inputs
            self.outputs = [weakref.ref(y) for y in outputs]
            self._epoch = _data_epoch[0]
            # Kept so that an output dropped by the caller gets a zero gradient.
            self._output_meta = [(y._data.shape, y._data.dtype) for y in outputs]
        return outputs

    def _call_on_arrays(self, inputs: tuple) -> Any:
        """The forward's arrays for Variables or arrays ``inputs``: no Variable, no graph.
        Used only while an array-level backward runs (``dezero._backprop``)."""
        ys = self.forward(*[x._data if isinstance(x, Variable) else x for x in inputs])
        return ys if isinstance(ys, _HELD_TYPES) else _as_result(ys)

    def forward(self, *xs: Any) -> Any:
        """Compute the outputs from input arrays."""
        raise NotImplementedError(f"{type(self).__name__}.forward is not implemented")

    def backward(self, *gys: Variable) -> Any:
        """Compute input gradients (Variables) from output gradients (Variables)."""
        raise NotImplementedError(f"{type(self).__name__}.backward is not implemented")
