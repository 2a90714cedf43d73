"""The define-by-run graph: :class:`Variable`, :class:`Parameter` and :class:`Function`.

A Function call records itself as the ``creator`` of its outputs.  A Function
holds its inputs strongly and its outputs by weak reference, so dropping the
last output of a computation frees the whole graph behind it.  :class:`Function`
itself is written in :mod:`dezero._function` and imported here; the backward traversal
lives in :mod:`dezero._backprop`.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from dezero import cuda

try:  # the array types a Variable may hold
    _ARRAY_TYPES: tuple[type, ...] = (np.ndarray, cuda.cp.ndarray)  # type: ignore[union-attr]
except AttributeError:
    _ARRAY_TYPES = (np.ndarray,)
# What a Variable's ``_data`` may hold: an array, or a NumPy scalar standing for the 0-d
# array it equals.  NumPy returns scalars from 0-d arithmetic, and arithmetic on them
# is about ten times faster than on 0-d arrays, so results are kept as they come and
# turned into a 0-d array only when ``data`` is read (see Variable.data).
_HELD_TYPES = _ARRAY_TYPES + (np.generic,)


# Counts replacements of Variable.data.  A Function remembers the count at its
# forward pass; backward checks its inputs only when the count has moved since.
_data_epoch = [0]


def _check_array(data: Any, who: str) -> Any:
    """Return ``data`` as an accepted array, or raise a TypeError that says what to pass."""
    if isinstance(data, _ARRAY_TYPES):
        if data.dtype.kind not in "biufc":
            raise TypeError(
                f"{who}: arrays of dtype {data.dtype} cannot be differentiated; "
                "pass a numeric (float, int or bool) array")
        if type(data) is not np.ndarray and isinstance(data, (np.matrix, np.ma.MaskedArray)):
            # np.matrix turns * into a matrix product, a masked array drops or
            # keeps its mask depending on the op: both would silently change results.
            raise TypeError(
                f"{who}: {type(data).__module__}.{type(data).__name__} is not supported "
                "(its operators do not follow ndarray semantics); pass np.asarray(data)")
        return data
    if isinstance(data, np.generic) and data.dtype.kind in "biufc":
        return np.asarray(data)  # a NumPy scalar becomes the equivalent 0-d array
    raise TypeError(
        f"{who}: data must be a numpy.ndarray (or cupy.ndarray) or None, "
        f"got {type(data).__name__}; wrap it first, e.g. Variable(np.array(...))")


def as_array(x: Any, array_module: Any = np) -> Any:
    """Return ``x`` as an array: scalars become 0-d arrays, arrays pass through."""
    if np.isscalar(x):
        return array_module.array(x)
    return x


def as_variable(obj: Any, who: str | None = None) -> "Variable":
    """Return ``obj`` if it is a Variable, else wrap it (an array or scalar) in one.

    With ``who`` (the dezero function asking), anything that is not an array or a number,
    None included, is a TypeError that names ``who``.
    """
    if isinstance(obj, Variable):
        return obj
    if who is None:
        return Variable(as_array(obj))
    return _as_input(who, obj)


def _constant_like(value: Any, like: "Variable") -> "Variable":
    """Wrap a Python/NumPy scalar or array used beside ``like`` as a constant Variable.

    A Python scalar takes the dtype NumPy's promotion gives it next to ``like``
    (weak scalars), so ``float32 * 2.0`` stays float32.
    """
    if isinstance(value, Variable):
        return value
    data = like._data
    if isinstance(value, _ARRAY_TYPES):
        return Variable(value)
    xp = cuda.get_array_module(data)
    if isinstance(value, (bool, int, float, complex)):
        return Variable(xp.asarray(value, dtype=np.result_type(data.dtype, value)))
    return Variable(_check_array(value if isinstance(value, np.generic) else np.asarray(value),
                                 "dezero: operand"))


def _output_variable(y: Any) -> "Variable":
    """Wrap a forward result; NumPy scalars (from 0-d arithmetic) become 0-d arrays.

    Skips ``Variable.__init__``'s validation: the array came from our own forward.
    """
    v = Variable.__new__(Variable)
    v._data = y if isinstance(y, _HELD_TYPES) else np.asarray(y)
    v.name = None
    v.grad = None
    v.creator = None
    v.generation = 0
    v._version = 0
    return v


def _empty_error(v: "Variable", what: str) -> TypeError:
    name = f" {v.name!r}" if v.name else ""
    return TypeError(
        f"Variable{name} holds no data (data is None) and {what} needs an array; "
        "assign one first (x.data = np.array(...))")


def _as_input(who: str, value: Any) -> "Variable":
    """``value`` as a Variable (arrays and numbers are wrapped), or a TypeError naming
    ``who``: None, strings, lists and other objects are not arrays."""
    if isinstance(value, Variable):
        return value
    array = isinstance(value, _ARRAY_TYPES)  # the common case: no np.isscalar, no as_array
    if array or (value is not None and np.isscalar(value)):
        try:
            return Variable(value if array else as_array(value))
        except TypeError as e:
            raise TypeError(f"{who}: {e}") from None
    text = repr(value)
    text = text if len(text) <= 40 else text[:37] + "..."
    raise TypeError(
        f"{who}: inputs must be Variables, numeric arrays or numbers, got {text} "
        f"({type(value).__name__}); wrap lists with np.array(...)")


class Variable:
    """A node of the graph holding an array, its gradient and the Function that made it.

    :meth:`register_hook` adds a function that sees (and may replace) this
    Variable's gradient once it is complete during :meth:`backward`.
    """

    __slots__ = ("_data", "name", "grad", "creator", "generation", "_version", "__weakref__",
                 "__dict__")
    # NumPy defers to our reflected operators (``ndarray + Variable`` -> Variable).
    __array_priority__ = 200
    # The gradient hooks ({key: fn}); set on the instance by register_hook.
    _grad_hooks: dict | None = None

    def __init__(self, data: Any, name: str | None = None) -> None:
        if data is not None:
            data = _check_array(data, "Variable")
        self._data = data
        self.name = name
        self.grad: Variable | None = None
        self.creator: Function | None = None
        self.generation = 0
        self._version = 0

    # -- data and its version -------------------------------------------------
    @property
    def data(self) -> Any:
        """The array this Variable holds (``None`` for an empty Variable)."""
        data = self._data
        if isinstance(data, np.generic):  # a 0-d result kept as a scalar: see _HELD_TYPES
            data = self._data = np.asarray(data)
        return data

    @data.setter
    def data(self, value: Any) -> None:
        if value is self._data:
            return  # ``x.data = x.data`` changes nothing a graph depends on
        if isinstance(value, Variable):
            # DeZero programs written for core_simple, whose gradients were arrays,
            # update with ``x.data -= lr * x.grad``: NumPy hands that to Variable's
            # reflected operator, and the result arrives here. Store its array.
            value = value._data
        # Graphs record each input's version; replacing data after a forward
        # pass is detected when that graph is backpropagated.
        self._data = None if value is None else _check_array(value, "Variable.data")
        _data_epoch[0] += 1
        self._version = _data_epoch[0]

    # -- array-like properties ------------------------------------------------
    # An empty Variable (data None) has none of these: the except clauses turn
    # NoneType's AttributeError into an error that says so, at no cost otherwise.
    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of the data."""
        try:
            return self._data.shape
        except AttributeError:
            raise _empty_error(self, "shape") from None

    @property
    def ndim(self) -> int:
        """Number of dimensions of the data."""
        try:
            return self._data.ndim
        except AttributeError:
            raise _empty_error(self, "ndim") from None

    @property
    def size(self) -> int:
        """Number of elements of the data."""
        try:
            return self._data.size
        except AttributeError:
            raise _empty_error(self, "size") from None

    @property
    def dtype(self) -> np.dtype:
        """dtype of the data."""
        try:
            return self._data.dtype
        except AttributeError:
            raise _empty_error(self, "dtype") from None

    def __len__(self) -> int:
        if self._data is None:
            raise _empty_error(self, "len()")
        return len(self.data)

    def __repr__(self) -> str:
        if self._data is None:
            return "variable(None)"
        body = str(self._data).replace("\n", "\n" + " " * 9)
        return f"variable({body})"

    # -- graph ----------------------------------------------------------------
    def set_creator(self, func: "Function") -> None:
        """Record ``func`` as the Function that produced this Variable."""
        self.creator = func
        self.generation = func.generation + 1

    def cleargrad(self) -> None:
        """Forget the gradient (set ``grad`` to ``None``)."""
        self.grad = None

    def unchain(self) -> None:
        """Cut this Variable from the Function that created it."""
        self.creator = None

    def unchain_backward(self) -> None:
        """Cut every creator link in the graph behind this Variable (iteratively)."""
        stack = [self.creator] if self.creator is not None else []
        seen = set()
        while stack:
            f = stack.pop()
            for x in f.inputs:
                creator = x.creator
                if creator is not None:
                    x.unchain()
                    if creator not in seen:
                        seen.add(creator)
                        stack.append(creator)

    def backward(self, retain_grad: bool = False, create_graph: bool = False) -> None:
        """Backpropagate from this Variable, accumulating ``grad`` on every Variable behind it.

        The seed gradient is ``grad`` if set, else ones (floating point even for
        integer data).  ``retain_grad`` keeps the gradients of intermediate
        Variables; ``create_graph`` records the backward computation itself so
        the gradients can be differentiated again.
        """
        if self._data is None:
            raise _empty_error(self, "backward()")
        _backprop.backward(self, retain_grad=retain_grad, create_graph=create_graph)

    def register_hook(self, fn: Callable[["Variable"], Any]) -> "_backprop.HookHandle":
        """Call ``fn(grad)`` with this Variable's gradient once it is complete in a backward.

        The gradient is complete when every contribution has been summed: for a
        Variable made by a Function, just before that Function's backward runs;
        for a leaf (an input, a Parameter), when the traversal ends — ``fn``
        then sees this call's gradient, before it is added to the ``grad`` kept
        from earlier calls.  ``fn`` is called once per backward, hooks in
        registration order, each seeing the previous one's result.  A return
        value other than None (a Variable or an array of the same shape)
        replaces the gradient: it is what is stored and propagated further.
        With ``create_graph=True`` ``grad`` has a graph, and what the hook
        computes from it is recorded.  Returns a handle whose ``remove()``
        unregisters the hook (also a context manager).  A backward pays for
        hooks only while some Variable has one.
        """
        return _backprop.register_hook(self, fn)

    # -- array methods (differentiable) ---------------------------------------
    def reshape(self, *shape: Any) -> "Variable":
        """``F.reshape``: accepts a tuple, a list or unpacked ints."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list, np.ndarray)):
            shape = shape[0]
        return _shape.reshape(self, tuple(shape))

    def transpose(self, *axes: Any) -> "Variable":
        """``F.transpose``: no axes (reverse), ``None``, a tuple, a list or unpacked ints."""
        if len(axes) == 0:
            axes = None
        elif len(axes) == 1 and (axes[0] is None or
                                 isinstance(axes[0], (tuple, list, np.ndarray))):
            axes = axes[0]
        return _shape.transpose(self, axes)

    @property
    def T(self) -> "Variable":
        """Transpose with the axes reversed."""
        return _shape.transpose(self, None)

    def sum(self, axis: Any = None, keepdims: bool = False) -> "Variable":
        """``F.sum`` over ``axis`` (None, an int or a tuple)."""
        return _reduction.sum(self, axis, keepdims)

    def max(self, axis: Any = None, keepdims: bool = False) -> "Variable":
        """``F.max`` over ``axis``."""
        return _reduction.max(self, axis, keepdims)

    def min(self, axis: Any = None, keepdims: bool = False) -> "Variable":
        """``F.min`` over ``axis``."""
        return _reduction.min(self, axis, keepdims)

    def matmul(self, other: Any) -> "Variable":
        """``F.matmul(self, other)``."""
        return _linalg.matmul(self, other)

    dot = matmul

    def to_cpu(self) -> None:
        """Move the data to host memory (NumPy)."""
        if self._data is not None:
            self._data = cuda.as_numpy(self._data)

    def to_gpu(self) -> None:
        """Move the data to GPU memory (CuPy)."""
        if self._data is not None:
            self._data = cuda.as_cupy(self._data)

    # -- operators: defined here, computed by dezero.functions.arithmetic -----
    def __add__(self, other: Any) -> "Variable":
        return _arith.add(self, other)

    def __radd__(self, other: Any) -> "Variable":
        return _arith.add(self, other)

    def __sub__(self, other: Any) -> "Variable":
        return _arith.sub(self, other)

    def __rsub__(self, other: Any) -> "Variable":
        return _arith.rsub(self, other)

    def __mul__(self, other: Any) -> "Variable":
        return _arith.mul(self, other)

    def __rmul__(self, other: Any) -> "Variable":
        return _arith.mul(self, other)

    def __truediv__(self, other: Any) -> "Variable":
        return _arith.div(self, other)

    def __rtruediv__(self, other: Any) -> "Variable":
        return _arith.rdiv(self, other)

    def __neg__(self) -> "Variable":
        return _arith.neg(self)

    def __pos__(self) -> "Variable":
        return self

    def __pow__(self, other: Any) -> "Variable":
        return _arith.pow(self, other)

    def __rpow__(self, other: Any) -> "Variable":
        return _arith.rpow(self, other)

    def __matmul__(self, other: Any) -> "Variable":
        return _linalg.matmul(self, other)

    def __rmatmul__(self, other: Any) -> "Variable":
        return _linalg.matmul(other, self)

    def __getitem__(self, slices: Any) -> "Variable":
        return _shape.get_item(self, slices)


class Parameter(Variable):
    """A Variable that a :class:`~dezero.layers.Layer` trains."""

    __slots__ = ()


def setup_variable() -> None:
    """Kept for DeZero programs: operators are defined on Variable itself, so nothing to do."""


# Imported last: these modules need Variable (defined above), and the functions modules
# define Functions.
from dezero._function import Function  # noqa: E402
from dezero import _backprop  # noqa: E402
from dezero.functions import arithmetic as _arith  # noqa: E402
from dezero.functions import linalg as _linalg  # noqa: E402
from dezero.functions import reduction as _reduction  # noqa: E402
from dezero.functions import shape as _shape  # noqa: E402
