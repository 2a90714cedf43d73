"""Argument checks shared by every public function, layer, optimizer and transform:
integers, sizes, shapes, axes, pairs, real numbers, switches, dtypes and class labels.

One place decides what an "integer argument" is, by NumPy's rules: Python ints, NumPy
integer scalars and any object with ``__index__`` are accepted; floats, strings and bools
are not (``np.sum(x, axis=1.0)`` and ``np.reshape(x, (2.0, 3))`` raise TypeError too).
Every error names the dezero function or class (``who``), the argument, the value given
and what to pass instead: TypeError for a value of the wrong kind, ValueError for one out
of range.  ``as_*`` return the value converted (a Python int, a tuple, a float);
``check_*`` return it unchanged, so that a NumPy float32 hyperparameter keeps its type and
the numbers a program computes do not change.
"""
from __future__ import annotations

import math
import numbers
import operator
from typing import Any

import numpy as np


def describe(value: Any) -> str:
    """``value`` for an error message: its repr (shortened) and its type."""
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def _is_bool(value: Any) -> bool:
    return isinstance(value, (bool, np.bool_))


def as_int(value: Any, who: str, arg: str, what: str = "an integer") -> int:
    """``value`` as a Python int if it is an integer by NumPy's rules (not a bool or float)."""
    if type(value) is int:
        return value
    if not _is_bool(value):
        try:
            return operator.index(value)
        except TypeError:
            pass
    raise TypeError(f"{who}: {arg} must be {what}, got {describe(value)}; "
                    "pass a Python or NumPy integer")


def as_size(value: Any, who: str, arg: str, minimum: int = 1) -> int:
    """An int that is at least ``minimum`` (a count, a size, a kernel size, a pad ...)."""
    if _is_bool(value):
        raise TypeError(f"{who}: {arg} must be an integer, got {describe(value)}; "
                        "a boolean is not a size")
    n = as_int(value, who, arg)
    if n < minimum:
        need = "positive" if minimum == 1 else f"at least {minimum}"
        raise ValueError(f"{who}: {arg} must be {need}, got {n}")
    return n


def as_optional_size(value: Any, who: str, arg: str, minimum: int = 1) -> int | None:
    """``None`` (a size inferred later, e.g. on the first call) or :func:`as_size`."""
    return None if value is None else as_size(value, who, arg, minimum)


def _sequence(value: Any) -> bool:
    """True for a tuple, list or 1-d array (the containers NumPy reads as a shape)."""
    if isinstance(value, (tuple, list)):
        return True
    return isinstance(value, np.ndarray) and value.ndim == 1


def as_shape(shape: Any, who: str, arg: str = "shape", unknown: bool = False) -> tuple[int, ...]:
    """``shape`` (an int, or a tuple/list/1-d array of ints) as a tuple of non-negative ints.

    With ``unknown`` one entry may be -1 (as ``np.reshape`` allows).
    """
    if type(shape) is tuple and all(type(s) is int and s >= 0 for s in shape):
        return shape  # the common case, checked cheaply
    if _sequence(shape):
        if isinstance(shape, np.ndarray) and shape.dtype.kind not in "iu" and shape.size:
            raise TypeError(f"{who}: {arg} must hold integers, got an array of dtype "
                            f"{shape.dtype}; pass a tuple of ints")
        dims = tuple(as_int(s, who, f"each entry of {arg}", "an int") for s in shape)
    else:
        try:
            dims = (as_int(shape, who, arg),)
        except TypeError:
            raise TypeError(f"{who}: {arg} must be an int or a tuple of ints, got "
                            f"{describe(shape)}; pass e.g. (2, 3)") from None
    bad = [d for d in dims if d < -1 or (d == -1 and not unknown)]
    if bad or dims.count(-1) > 1:
        allowed = "non-negative (one may be -1)" if unknown else "non-negative"
        raise ValueError(f"{who}: the entries of {arg} must be {allowed}, got {dims}")
    return dims


def as_axis(axis: Any, ndim: int, who: str, arg: str = "axis") -> int:
    """One axis of an ``ndim``-d array (negative counts from the end) as a non-negative int."""
    a = as_int(axis, who, arg, "an int")
    if not -ndim <= a < ndim:
        raise ValueError(f"{who}: {arg} {a} is out of range for {ndim} dimensions; "
                         f"pass an axis in [{-ndim}, {ndim})")
    return a % ndim


def as_axes(axis: Any, ndim: int, who: str, arg: str = "axis", sort: bool = True,
            reduction: bool = False) -> tuple[int, ...] | None:
    """``axis`` (None, an int, or a tuple/list of ints) as a tuple of distinct non-negative
    axes of an ``ndim``-d array, sorted unless ``sort`` is False; None stays None.

    With ``reduction`` a 0-d input accepts axis 0 or -1 and reduces over nothing, as NumPy's
    reductions do (``np.sum(np.float64(1), axis=0)``).
    """
    if axis is None:
        return None
    if reduction and ndim == 0 and not isinstance(axis, (tuple, list)):
        as_axis(axis, 1, who, arg)  # an int, 0 or -1
        return ()
    if type(axis) is int:
        return (as_axis(axis, ndim, who, arg),)
    if _sequence(axis):
        axes = tuple(as_axis(a, ndim, who, arg) for a in axis)
    else:
        try:
            axes = (as_axis(axis, ndim, who, arg),)
        except TypeError:
            raise TypeError(f"{who}: {arg} must be None, an int or a tuple of ints, got "
                            f"{describe(axis)}") from None
    if len(set(axes)) != len(axes):
        raise ValueError(f"{who}: repeated axis in {arg}={axis!r}; pass each axis once")
    return tuple(sorted(axes)) if sort else axes


def as_pair(value: Any, who: str, arg: str, minimum: int | None = 0) -> tuple[int, int]:
    """An int ``n`` as ``(n, n)``, or a pair (tuple/list of two ints) as a tuple; each at
    least ``minimum`` (unchecked when None).  Errors name the element at fault."""
    what = "an int or a pair of ints (height, width)"
    if isinstance(value, (tuple, list)) or (isinstance(value, np.ndarray) and value.ndim == 1):
        if len(value) != 2:
            raise ValueError(f"{who}: {arg} must be {what}, got {describe(value)}")
        items = [(f"{arg}[{i}]", v) for i, v in enumerate(value)]
    else:
        items = [(arg, value)]
    ints = []
    for name, v in items:
        n = as_int(v, who, name, what)
        if minimum is not None and n < minimum:
            need = "positive" if minimum == 1 else f"at least {minimum}"
            raise ValueError(f"{who}: {name} must be {need}, got {n}")
        ints.append(n)
    return (ints[0], ints[-1])


def _range_text(minimum: float | None, maximum: float | None, min_open: bool,
                max_open: bool) -> str:
    if minimum is not None and maximum is not None:
        return f"in {'(' if min_open else '['}{minimum}, {maximum}{')' if max_open else ']'}"
    if minimum is not None:
        return f"{'>' if min_open else '>='} {minimum}"
    if maximum is not None:
        return f"{'<' if max_open else '<='} {maximum}"
    return "finite"


def check_real(value: Any, who: str, name: str, *, minimum: float | None = None,
               maximum: float | None = None, min_open: bool = False, max_open: bool = False,
               allow_inf: bool = False, what: str | None = None) -> Any:
    """``value`` unchanged if it is a real number (not a bool, not NaN) within the bounds.

    Python and NumPy ints and floats, and 0-d real arrays, are real numbers.  ``what``
    words the ValueError as PyTorch's optimizers do (``"Invalid learning rate: lr=-1"``).
    Infinity is refused unless ``allow_inf``.
    """
    is_real = isinstance(value, (int, float, np.integer, np.floating)) or (
        isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf")
    if _is_bool(value) or not is_real:
        hint = (f"pass float({name})" if isinstance(value, numbers.Real) and not _is_bool(value)
                else f"pass e.g. {name}=0.5")
        raise TypeError(f"{who}: {name} must be a real number (an int or a float), got "
                        f"{describe(value)}; {hint}")
    number = float(value)
    if math.isnan(number) or (math.isinf(number) and not allow_inf) or (
            minimum is not None and (number <= minimum if min_open else number < minimum)) or (
            maximum is not None and (number >= maximum if max_open else number > maximum)):
        problem = f"Invalid {what}" if what else "invalid value"
        raise ValueError(f"{who}: {problem}: {name}={value!r}; {name} must be a real number "
                         f"{_range_text(minimum, maximum, min_open, max_open)}")
    return value


def as_int_or_pair(value: Any, who: str, arg: str, minimum: int | None = 0) -> Any:
    """:func:`as_pair`, except that an int stays an int (a layer keeps the form it was given)."""
    checked = as_pair(value, who, arg, minimum)
    return checked if isinstance(value, (tuple, list, np.ndarray)) else checked[0]


def as_real(value: Any, who: str, arg: str, low: float | None = None,
            high: float | None = None, high_open: bool = False) -> float:
    """A real number in [low, high] (or [low, high) with ``high_open``) as a Python float;
    infinities pass where the bounds allow them."""
    return float(check_real(value, who, arg, minimum=low, maximum=high, max_open=high_open,
                            allow_inf=True))


def as_flag(value: Any, who: str, name: str) -> bool:
    """``value`` as a bool; only True/False (Python or NumPy) are accepted."""
    if not _is_bool(value):
        raise TypeError(f"{who}: {name} must be True or False, got {describe(value)}")
    return bool(value)


def check_dtype(value: Any, who: str, name: str, kinds: str = "f") -> Any:
    """``value`` unchanged if NumPy reads it as a dtype of one of ``kinds`` ('f' float, 'i' int ...)."""
    kind_names = {"f": "floating-point", "i": "signed integer", "u": "unsigned integer",
                  "b": "boolean", "c": "complex"}
    wanted = " or ".join(kind_names[k] for k in kinds)
    example = {"f": "np.float32", "i": "np.int64", "u": "np.uint8", "b": "bool",
               "c": "np.complex64"}[kinds[0]]
    try:
        dtype = np.dtype(value)  # None means float64, as in NumPy
    except (TypeError, ValueError):
        raise TypeError(f"{who}: {name} must be a {wanted} dtype such as {example}, "
                        f"got {describe(value)}") from None
    if dtype.kind not in kinds:
        raise TypeError(f"{who}: {name} must be a {wanted} dtype such as {example}, "
                        f"got {dtype}")
    return value


def check_callable(value: Any, who: str, name: str) -> Any:
    """``value`` unchanged if it can be called."""
    if not callable(value):
        raise TypeError(f"{who}: {name} must be callable (a function or a Layer), "
                        f"got {describe(value)}")
    return value


def as_int_array(values: Any, who: str, arg: str, what: str) -> Any:
    """``values`` (an array, a Variable, a list or a scalar) as an array of an integer dtype;
    an empty list counts as integers.  TypeError naming ``who`` and ``arg`` otherwise."""
    from dezero.core import Variable  # here: dezero.core imports this module's users

    data = values.data if isinstance(values, Variable) else values
    if not hasattr(data, "dtype") or not hasattr(data, "shape"):
        try:
            data = np.asarray(data)
        except (ValueError, TypeError):
            raise TypeError(f"{who}: {arg} must be an array of {what}, got "
                            f"{describe(values)}") from None
        if data.size == 0 and data.dtype.kind == "f":  # [] or [[]]: no floats in there
            data = data.astype(np.int64)
    if data.dtype.kind not in "iu":
        raise TypeError(f"{who}: {arg} must hold {what} (an integer dtype, as PyTorch "
                        f"requires), got dtype {data.dtype}; pass {arg}.astype(int)")
    return data


def as_labels(t: Any, who: str, n: int, n_class: int | None,
              whole_floats: bool = False) -> Any:
    """Class labels ``t`` (array, Variable, list or int) as an integer array of ``n`` labels,
    each in [0, n_class) when ``n_class`` is given.  With ``whole_floats`` a floating array
    of whole numbers (1.0, 2.0) is taken as those integers."""
    if whole_floats:
        from dezero.core import Variable  # here: dezero.core imports this module's users
        data = t.data if isinstance(t, Variable) else np.asarray(t) if isinstance(t, list) else t
        if getattr(data, "dtype", None) is not None and data.dtype.kind == "f":
            whole = np.isfinite(data) & (data == np.floor(data))
            if not whole.all():
                raise TypeError(f"{who}: t must hold class labels (whole numbers), got "
                                f"{data[~whole].flat[0]!r}; pass integer labels")
            t = data.astype(np.int64)
    data = as_int_array(t, who, "t", "integer class labels")
    if data.size != n:
        raise ValueError(f"{who}: t has {data.size} labels for a batch of {n} "
                         f"(t shape {tuple(data.shape)}); pass one label per row")
    if n_class is not None and data.size:
        lo, hi = int(data.min()), int(data.max())
        if lo < 0 or hi >= n_class:
            raise ValueError(f"{who}: labels must lie in [0, {n_class}) for {n_class} classes, "
                             f"got values from {lo} to {hi}")
    return data


def renamed(who: str, e: Exception, detail: str = "") -> Exception:
    """A TypeError, ValueError or IndexError like ``e`` (an error from inside NumPy, or a
    Function's, whose cause is NumPy's) whose message starts with ``who``."""
    cause = e.__cause__ if e.__cause__ is not None else e
    msg = f"{who}: {str(cause).rstrip()}{detail}"
    for base in (ValueError, TypeError, IndexError):
        if isinstance(e, base):
            return base(msg)
    return e
