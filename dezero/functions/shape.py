"""Shape functions: reshape, transpose, indexing, expand_dims, flatten, broadcast_to, sum_to.

``broadcast_to`` and ``sum_to`` are each other's backward; ``sum_to`` is how every
broadcasting op reduces its gradients (see :func:`dezero.utils.sum_to` for the arrays).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from dezero import cuda, utils
from dezero.core import Function, Variable, as_variable
from dezero.utils.checks import as_axes, as_axis, as_int, as_shape


class Reshape(Function):
    """y = x laid out in ``shape``; the Function behind :func:`reshape`."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    def forward(self, x):
        self.x_shape = x.shape
        return x.reshape(self.shape)

    def backward(self, gy):
        return reshape(gy, self.x_shape)


class Transpose(Function):
    """y = x with its axes permuted (reversed when None); the Function behind :func:`transpose`."""

    def __init__(self, axes: tuple[int, ...] | None = None) -> None:
        self.axes = axes

    def forward(self, x):
        return x.transpose(self.axes)

    def backward(self, gy):
        if self.axes is None:
            return transpose(gy)
        return transpose(gy, tuple(np.argsort(self.axes)))


class GetItem(Function):
    """y = x[slices]; the Function behind :func:`get_item` and ``x[...]``."""

    def __init__(self, slices: Any) -> None:
        self.slices = slices

    def forward(self, x):
        return x[self.slices]

    def backward(self, gy):
        (x,) = self.inputs
        return GetItemGrad(self.slices, x.shape)(gy)


class GetItemGrad(Function):
    """Scatter-add ``gy`` into zeros of the input's shape (repeated indices accumulate)."""

    def __init__(self, slices: Any, in_shape: tuple[int, ...]) -> None:
        self.slices = slices
        self.in_shape = in_shape

    def forward(self, gy):
        xp = cuda.get_array_module(gy)
        gx = xp.zeros(self.in_shape, dtype=gy.dtype)
        xp.add.at(gx, self.slices, gy)
        return gx

    def backward(self, ggx):
        return get_item(ggx, self.slices)


class BroadcastTo(Function):
    """y = x broadcast to ``shape``; the Function behind :func:`broadcast_to`."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    def forward(self, x):
        xp = cuda.get_array_module(x)
        # A read-only view would surprise callers who write into results.
        return xp.broadcast_to(x, self.shape).copy()

    def backward(self, gy):
        (x,) = self.inputs
        return sum_to(gy, x.shape)


class SumTo(Function):
    """y = x summed down to ``shape`` (undoes broadcasting); the Function behind :func:`sum_to`."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    def forward(self, x):
        return utils.sum_to(x, self.shape)

    def backward(self, gy):
        (x,) = self.inputs
        return broadcast_to(gy, x.shape)


def reshape(x: Any, shape: Any) -> Variable:
    """y = x with its elements laid out in ``shape`` (one entry may be -1)."""
    shape = as_shape(shape, "reshape", unknown=True)
    x = as_variable(x, "reshape")
    if x.shape == shape:
        return x
    size = x.size
    known = math.prod(s for s in shape if s != -1)
    if (-1 in shape and (known == 0 or size % known)) or (-1 not in shape and known != size):
        raise ValueError(f"reshape: cannot reshape an input of shape {tuple(x.shape)} "
                         f"({size} elements) into shape {shape}; the sizes must match")
    return Reshape(shape)(x)


def transpose(x: Any, axes: Any = None) -> Variable:
    """y = x with its axes permuted by ``axes`` (reversed when None)."""
    x = as_variable(x, "transpose")
    if axes is not None:
        ndim = x.ndim
        perm = as_axes(axes, ndim, "transpose", "axes", sort=False)
        if len(perm) != ndim:
            raise ValueError(f"transpose: axes {axes!r} are not a permutation of the "
                             f"{ndim} axes of an input of shape {tuple(x.shape)}; pass "
                             f"{ndim} distinct axes or None")
        axes = perm
    return Transpose(axes)(x)


def _index_error(x: Variable, slices: Any, e: Exception) -> IndexError:
    text = repr(slices)
    if len(text) > 80:
        text = text[:77] + "..."
    return IndexError(f"get_item: cannot index an input of shape {tuple(x.shape)} with {text}: "
                      f"{e}; pass integers, slices, None, Ellipsis or integer/boolean arrays "
                      f"within the shape")


def get_item(x: Any, slices: Any) -> Variable:
    """y = x[slices] (basic and advanced indexing; gradients scatter-add back)."""
    x = as_variable(x, "get_item")
    if isinstance(slices, Variable):
        slices = slices.data
    elif isinstance(slices, list):
        try:
            slices = np.asarray(slices)
        except ValueError as e:
            raise _index_error(x, slices, e) from None
        if slices.dtype.kind not in "iub" and slices.size:
            raise _index_error(x, slices, "a list index must hold integers or booleans")
    try:
        return GetItem(slices)(x)
    except (IndexError, TypeError, ValueError) as e:  # NumPy's (Function prefixes ValueErrors)
        raise _index_error(x, slices, e.__cause__ or e) from None


def expand_dims(x: Any, axis: int) -> Variable:
    """y = x with a new axis of length 1 at ``axis`` (negative counts from the end, as NumPy)."""
    x = as_variable(x, "expand_dims")
    axis = as_axis(axis, x.ndim + 1, "expand_dims")
    return reshape(x, x.shape[:axis] + (1,) + x.shape[axis:])


def flatten(x: Any) -> Variable:
    """y = x reshaped to (N, -1): keeps the first axis, flattens the rest."""
    x = as_variable(x, "flatten")
    if x.ndim == 0:
        raise ValueError("flatten: the input must have at least one axis (N, ...), got a 0-d "
                         "array; use reshape(x, (1, 1)) for a scalar")
    n = x.shape[0]
    return reshape(x, (n, x.size // n if n else math.prod(x.shape[1:])))


def broadcast_to(x: Any, shape: Any) -> Variable:
    """y = x repeated to ``shape`` by NumPy broadcasting rules."""
    shape = as_shape(shape, "broadcast_to")
    x = as_variable(x, "broadcast_to")
    if x.shape == shape:
        return x
    try:
        ok = np.broadcast_shapes(x.shape, shape) == shape
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"broadcast_to: cannot broadcast shape {tuple(x.shape)} to {shape}; "
                         "each axis must match or be 1 in the input")
    return BroadcastTo(shape)(x)


def sum_to(x: Any, shape: Any) -> Variable:
    """y = x summed down to ``shape`` (the inverse of broadcast_to)."""
    shape = as_shape(shape, "sum_to")
    x = as_variable(x, "sum_to")
    if x.shape == shape:
        return x
    lead = x.ndim - len(shape)
    if lead < 0 or any(s != 1 and s != d for s, d in zip(shape, x.shape[lead:])):
        raise ValueError(f"sum_to: cannot sum an input of shape {tuple(x.shape)} down to "
                         f"{shape}; the target must broadcast to the input's shape")
    return SumTo(shape)(x)


# -- joining, splitting, selecting and padding -------------------------------------------------


def _variables(xs: Any, who: str) -> list[Variable]:
    """A non-empty list/tuple of arrays or Variables as Variables of one number of axes."""
    if isinstance(xs, (Variable, np.ndarray)) or not isinstance(xs, (list, tuple)):
        raise TypeError(f"{who}: xs must be a list or tuple of arrays or Variables, got "
                        f"{type(xs).__name__}; pass e.g. [a, b]")
    if not xs:
        raise ValueError(f"{who}: xs is empty; pass at least one array")
    return [as_variable(x, who) for x in xs]


class Concat(Function):
    """y = the inputs joined along ``axis``; the Function behind :func:`concat`."""

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, *xs):
        return cuda.get_array_module(xs[0]).concatenate(xs, axis=self.axis)

    def backward(self, gy):
        sizes = [x.shape[self.axis] for x in self.inputs]
        if len(sizes) == 1:
            return gy
        return tuple(Split(list(np.cumsum(sizes)[:-1]), self.axis)(gy))


class Split(Function):
    """The pieces of x between ``indices`` along ``axis``; the Function behind :func:`split`."""

    def __init__(self, indices: list[int], axis: int) -> None:
        self.indices = [int(i) for i in indices]
        self.axis = axis

    def _slices(self, n: int) -> list[tuple[int, int]]:
        bounds = [0] + self.indices + [n]
        return [slice(a, b).indices(n)[:2] for a, b in zip(bounds[:-1], bounds[1:])]

    def forward(self, x):
        xp = cuda.get_array_module(x)
        return tuple(xp.split(x, self.indices, axis=self.axis))

    def backward(self, *gys):
        (x,) = self.inputs
        n = x.shape[self.axis]
        ranges = self._slices(n)
        pos = 0
        tiled = True
        for start, stop in ranges:  # the pieces tile the axis: concat is the adjoint
            if start != pos and stop > start:
                tiled = False
            pos = max(pos, stop)
        if tiled and pos == n:
            return concat(list(gys), self.axis)
        gx = None  # overlapping or unordered indices: scatter-add every piece
        lead = (slice(None),) * self.axis
        for (start, stop), gy in zip(ranges, gys):
            part = GetItemGrad(lead + (slice(start, max(start, stop)),), x.shape)(gy)
            gx = part if gx is None else gx + part
        return gx



def concat(xs: Any, axis: int = 0) -> Variable:
    """y = the arrays of xs joined along an existing ``axis`` (np.concatenate)."""
    xs = _variables(xs, "concat")
    ndim = xs[0].ndim
    if ndim == 0:
        raise ValueError("concat: 0-d inputs cannot be concatenated; use stack, or reshape "
                         "them to (1,)")
    axis = as_axis(axis, ndim, "concat")
    for x in xs[1:]:
        if x.ndim != ndim or any(a != b for i, (a, b) in enumerate(zip(x.shape, xs[0].shape))
                                 if i != axis):
            shapes = ", ".join(str(tuple(v.shape)) for v in xs)
            raise ValueError(f"concat: the shapes {shapes} must have the same number of axes "
                             f"and match on every axis but axis {axis}")
    return Concat(axis)(*xs)


concatenate = concat


def stack(xs: Any, axis: int = 0) -> Variable:
    """y = the arrays of xs (all one shape) joined along a new ``axis`` (np.stack)."""
    xs = _variables(xs, "stack")
    shape = xs[0].shape
    if any(x.shape != shape for x in xs[1:]):
        shapes = ", ".join(str(tuple(v.shape)) for v in xs)
        raise ValueError(f"stack: all inputs must have the same shape, got {shapes}")
    axis = as_axis(axis, len(shape) + 1, "stack")
    new = shape[:axis] + (1,) + shape[axis:]
    return concat([reshape(x, new) for x in xs], axis)


def split(x: Any, indices_or_sections: Any, axis: int = 0) -> tuple[Variable, ...]:
    """(y₀, y₁, …) = x cut along ``axis`` into equal sections or at the indices (np.split)."""
    x = as_variable(x, "split")
    if x.ndim == 0:
        raise ValueError("split: the input must have at least one axis, got a 0-d array")
    axis = as_axis(axis, x.ndim, "split")
    n = x.shape[axis]
    spec = indices_or_sections
    if isinstance(spec, Variable):
        spec = spec.data
    if isinstance(spec, (list, tuple)) or (isinstance(spec, np.ndarray) and spec.ndim == 1):
        if isinstance(spec, np.ndarray) and spec.dtype.kind not in "iu" and spec.size:
            raise TypeError(f"split: indices_or_sections must hold integers, got an array of "
                            f"dtype {spec.dtype}")
        indices = [as_int(i, "split", "each index of indices_or_sections", "an int")
                   for i in spec]
    else:
        try:
            sections = as_int(spec, "split", "indices_or_sections",
                              "an int or a list of ints")
        except TypeError:
            raise TypeError(f"split: indices_or_sections must be an int (equal sections) or a "
                            f"list of ints (split points), got {type(spec).__name__}") from None
        if sections <= 0:
            raise ValueError(f"split: the number of sections must be positive, got {sections}")
        if n % sections:
            raise ValueError(f"split: an axis of length {n} does not divide into {sections} "
                             f"equal sections; pass a divisor of {n} or a list of indices")
        step = n // sections
        indices = [step * i for i in range(1, sections)]
    return tuple(Split(indices, axis)(x))


class Where(Function):
    """y = x where condition, else y (broadcasting); the Function behind :func:`where`."""

    def __init__(self, condition: Any) -> None:
        self.condition = condition

    def forward(self, x, y):
        xp = cuda.get_array_module(x)
        return xp.where(xp.asarray(self.condition), x, y)

    def backward(self, gy):
        x, y = self.inputs
        zero = 0.0
        gx = Where(self.condition)(gy, _const(gy, zero))
        gy_ = Where(self.condition)(_const(gy, zero), gy)
        return sum_to(gx, x.shape), sum_to(gy_, y.shape)


def _const(like: Variable, value: float) -> Variable:
    xp = cuda.get_array_module(like)  # like: a Variable, or an array (array-level backward)
    return Variable(xp.asarray(value, dtype=like.dtype))


def where(condition: Any, x: Any, y: Any) -> Variable:
    """out = x where condition, else y (all three broadcast; condition gets no gradient)."""
    from dezero.core import _constant_like
    cond = condition.data if isinstance(condition, Variable) else condition
    if not hasattr(cond, "dtype"):
        try:
            cond = np.asarray(cond)
        except (TypeError, ValueError):
            cond = None
    if cond is None or cond.dtype.kind not in "biuf":
        raise TypeError(f"where: condition must be a boolean (or numeric) array, got "
                        f"{type(condition).__name__}")
    cond = cond.astype(bool, copy=False)
    if isinstance(x, Variable) or not isinstance(y, Variable):
        x = as_variable(x, "where")
        y = _constant_like(y, x) if not isinstance(y, Variable) else y
    else:
        x = _constant_like(x, y)
    if x.dtype.kind not in "biuf" or y.dtype.kind not in "biuf":
        raise TypeError(f"where: x and y must be numeric, got dtypes {x.dtype} and {y.dtype}")
    try:
        np.broadcast_shapes(cond.shape, x.shape, y.shape)
    except ValueError:
        raise ValueError(f"where: the shapes of condition {tuple(cond.shape)}, x "
                         f"{tuple(x.shape)} and y {tuple(y.shape)} do not broadcast") from None
    return Where(cond)(x, y)


class Pad(Function):
    """y = x padded with a constant; the Function behind :func:`pad` (mode 'constant')."""

    def __init__(self, pad_width: tuple[tuple[int, int], ...], constant_values: Any) -> None:
        self.pad_width = pad_width
        self.constant_values = constant_values

    def forward(self, x):
        xp = cuda.get_array_module(x)
        return xp.pad(x, self.pad_width, mode="constant", constant_values=self.constant_values)

    def backward(self, gy):
        slices = tuple(slice(b, b + n) for (b, _), n in zip(self.pad_width, self.inputs[0].shape))
        return get_item(gy, slices)


_PAD_MODES = ("constant", "edge", "reflect")


def _pad_width(pad_width: Any, ndim: int) -> tuple[tuple[int, int], ...]:
    if isinstance(pad_width, Variable):
        pad_width = pad_width.data
    try:
        arr = np.asarray(pad_width)
    except (TypeError, ValueError):
        arr = None
    if arr is None or arr.dtype.kind not in "iu" or isinstance(pad_width, (bool, np.bool_)):
        raise TypeError(f"pad: pad_width must be an int, a pair (before, after) or one pair per "
                        f"axis, all integers, got {pad_width!r}")
    try:
        arr = np.broadcast_to(arr, (ndim, 2))
    except ValueError:
        raise ValueError(f"pad: pad_width {pad_width!r} does not fit an input of {ndim} axes; "
                         f"pass an int, (before, after) or {ndim} pairs") from None
    if arr.size and arr.min() < 0:
        raise ValueError(f"pad: pad_width must be non-negative, got {pad_width!r}")
    return tuple((int(b), int(a)) for b, a in arr)


def _pad_index(n: int, before: int, after: int, mode: str) -> np.ndarray:
    """Indices into an axis of length n that ``mode`` reads for each padded position."""
    i = np.arange(-before, n + after)
    if mode == "edge":
        return np.clip(i, 0, n - 1)
    if n == 1:
        return np.zeros_like(i)
    period = 2 * (n - 1)
    j = i % period
    return np.where(j >= n, period - j, j)


def pad(x: Any, pad_width: Any, mode: str = "constant", constant_values: Any = 0) -> Variable:
    """y = x padded by ``pad_width`` (np.pad) with a constant, its edge values or its mirror."""
    x = as_variable(x, "pad")
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: mode must be one of {', '.join(map(repr, _PAD_MODES))}, got "
                         f"{mode!r}")
    widths = _pad_width(pad_width, x.ndim)
    if mode == "constant":
        if isinstance(constant_values, Variable):
            constant_values = constant_values.data
        try:
            np.broadcast_to(np.asarray(constant_values, dtype=float), (x.ndim, 2))
        except (TypeError, ValueError):
            raise ValueError(f"pad: constant_values must be a real number or one pair per "
                             f"axis, got {constant_values!r}") from None
        if not any(b or a for b, a in widths):
            return x
        return Pad(widths, constant_values)(x)
    y = x
    for axis, ((before, after), n) in enumerate(zip(widths, x.shape)):
        if not (before or after):
            continue
        if n == 0:
            raise ValueError(f"pad: cannot pad the empty axis {axis} of an input of shape "
                             f"{tuple(x.shape)} with mode {mode!r}; use mode 'constant'")
        index = cuda.get_array_module(x.data).asarray(_pad_index(n, before, after, mode))
        y = get_item(y, (slice(None),) * axis + (index,))
    return y
