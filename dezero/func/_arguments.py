"""Arguments, outputs, tangents and results of the transforms of :mod:`dezero.func`."""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

import dezero.functions as F
from dezero import cuda
from dezero._config import using_config
from dezero.core import Variable
from dezero.utils.checks import as_int, describe


def check_argnums(who: str, argnums: Any) -> tuple[int, ...] | int:
    """``argnums`` checked for type: an int, or a non-empty tuple (or list) of ints."""
    if isinstance(argnums, (tuple, list)):
        if not argnums:
            raise ValueError(f"{who}: argnums is an empty tuple; pass an int or a tuple "
                             "naming at least one positional argument, e.g. argnums=(0, 1)")
        return tuple(as_int(a, who, "each entry of argnums", "an int") for a in argnums)
    return as_int(argnums, who, "argnums", "an int or a tuple of ints")


def resolve_argnums(who: str, argnums: tuple[int, ...] | int, n_args: int) -> tuple[int, ...]:
    """Positions (non-negative, distinct) of the differentiated arguments of a call."""
    indices = argnums if isinstance(argnums, tuple) else (argnums,)
    resolved = []
    for a in indices:
        if not -n_args <= a < n_args:
            raise ValueError(f"{who}: argnums {a} is out of range for a call with {n_args} "
                             f"positional argument(s); pass an index in [{-n_args}, {n_args})")
        resolved.append(a % n_args)
    if len(set(resolved)) != len(resolved):
        raise ValueError(f"{who}: argnums={argnums!r} names an argument twice; name each once")
    return tuple(resolved)


def as_primal(who: str, x: Any, label: str) -> Variable:
    """A fresh Variable x' equal to ``x``: ``F.copy(x)`` for a Variable (x' stays connected to
    x's graph), a new leaf for an array or number; floating point only."""
    if isinstance(x, Variable):
        data = x.data
    elif isinstance(x, (int, float, np.generic)) and not isinstance(x, bool):
        data = np.asarray(x)
    elif isinstance(x, np.ndarray) or (cuda.cp is not None and isinstance(x, cuda.cp.ndarray)):
        data = x
    else:
        raise TypeError(f"{who}: {label} must be a Variable, a floating-point array or a float, "
                        f"got {describe(x)}")
    if data is None or data.dtype.kind != "f":
        got = "no data" if data is None else f"dtype {data.dtype}"
        raise TypeError(f"{who}: {label} has {got} and cannot be differentiated; pass a "
                        "floating-point array, e.g. np.asarray(x, dtype=np.float64)")
    return F.copy(x) if isinstance(x, Variable) else Variable(data)


def as_output(who: str, y: Any, label: str = "f's result") -> Variable:
    """``f``'s result as a Variable (an array or number is wrapped)."""
    if isinstance(y, (tuple, list)):
        raise TypeError(f"{who}: f must return one Variable, got a {type(y).__name__} of "
                        f"{len(y)}; transform a function of each output separately (vjp and "
                        "jvp accept several outputs)")
    if isinstance(y, Variable):
        if y.data is None:
            raise TypeError(f"{who}: {label} is a Variable that holds no data")
        return y
    try:
        return Variable(np.asarray(y) if np.isscalar(y) else y)
    except TypeError:
        raise TypeError(f"{who}: {label} must be a Variable (or an array), got "
                        f"{describe(y)}") from None


def scalar_output(who: str, y: Any) -> Variable:
    """``f``'s result as a Variable that must have one element (a ValueError otherwise)."""
    y = as_output(who, y)
    if y.size != 1:
        raise ValueError(f"{who}: f must return a scalar (a Variable with one element) to be "
                         f"differentiated, got shape {tuple(y.shape)}; reduce it first (e.g. "
                         "y.sum()), or use jacobian or vjp for a non-scalar f")
    return y


def as_outputs(who: str, y: Any) -> tuple[list[Variable], bool]:
    """(``f``'s results as Variables, whether f returned a tuple or list of them)."""
    if isinstance(y, (tuple, list)):
        return [as_output(who, v, f"f's result {i}") for i, v in enumerate(y)], True
    return [as_output(who, y)], False


def float_dtype(v: Variable) -> Any:
    """``v``'s dtype if floating point, else float64 (the dtype of its derivatives)."""
    return v.dtype if v.dtype.kind == "f" else np.float64


def zeros(shape: tuple[int, ...], like: Variable) -> Variable:
    """Zeros of ``shape`` on ``like``'s device, in its float dtype."""
    xp = cuda.get_array_module(like.data)
    return Variable(xp.zeros(shape, dtype=float_dtype(like)))


def zeros_like(v: Variable) -> Variable:
    """Zeros shaped like ``v``, in its float dtype (float64 for an integer ``v``)."""
    return zeros(v.shape, v)


def cotangent_leaf(y: Variable) -> Variable:
    """A zero cotangent u for ``y``, a leaf for the double vjp (its value does not matter).

    It gets ``y``'s generation, so that a pass stopping at u does not search the graph
    older than ``y`` (nothing there can depend on u).
    """
    u = zeros_like(y)
    u.generation = y.generation
    return u


def or_zeros(g: Variable | None, like: Variable) -> Variable:
    """``g``, or zeros shaped like ``like`` where no gradient reached it (None)."""
    return zeros_like(like) if g is None else g


def basis_vector(like: Variable, k: int) -> Variable:
    """The k-th basis array (one 1 in row-major order) of ``like``'s shape and float dtype."""
    xp = cuda.get_array_module(like.data)
    e = xp.zeros(like.size, dtype=float_dtype(like))
    e[k] = 1
    return Variable(e.reshape(like.shape))


def as_direction(who: str, t: Any, like: Variable, label: str) -> Variable:
    """A tangent or cotangent ``t`` checked against ``like``: same shape; arrays take its dtype."""
    if not isinstance(t, Variable):
        try:
            t = Variable(np.asarray(t) if np.isscalar(t) else t)
        except TypeError:
            raise TypeError(f"{who}: {label} must be a Variable or an array, got "
                            f"{describe(t)}") from None
        if t.dtype != float_dtype(like):
            t = Variable(t.data.astype(float_dtype(like)))
    if t.shape != like.shape:
        raise ValueError(f"{who}: {label} has shape {tuple(t.shape)} but must have shape "
                         f"{tuple(like.shape)}; pass an array of that shape")
    return t


def call_recording(f: Callable, args: Sequence[Any]) -> Any:
    """``f(*args)`` with graph recording on (a transform needs the graph even in no_grad)."""
    with using_config("enable_backprop", True):
        return f(*args)


def prepare(who: str, args: tuple, positions: Sequence[int]) -> tuple[list, list[Variable]]:
    """(the call's arguments with each differentiated one replaced by x', the x')."""
    call_args = list(args)
    primals = []
    for i in positions:
        call_args[i] = as_primal(who, args[i], f"argument {i}")
        primals.append(call_args[i])
    return call_args, primals


def name_transform(transform: Callable, kind: str, f: Callable) -> Callable:
    """``transform`` renamed ``kind(name of f)``, e.g. ``grad(sin)``."""
    name = getattr(f, "__name__", type(f).__name__)
    transform.__name__ = transform.__qualname__ = f"{kind}({name})"
    return transform


def seeded_root(ys: list[Variable], us: list[Variable]) -> tuple[Variable, Variable | None]:
    """(root, seed) whose backward pass gives Σₖ ∂⟨yₖ, uₖ⟩/∂x: y seeded with u for one output."""
    if len(ys) == 1:
        return ys[0], us[0]
    total = None
    for y, u in zip(ys, us):
        term = (y * u).sum()
        total = term if total is None else total + term
    return total, None


def as_args(values: Any) -> tuple[tuple, bool]:
    """(``values`` as a tuple of arguments, whether they were given as a tuple or list)."""
    if isinstance(values, (tuple, list)):
        return tuple(values), True
    return (values,), False


def check_tangents(who: str, tangents: Any, primals: list[Variable],
                   is_tuple: bool) -> list[Variable]:
    """``tangents`` as Variables, one per primal and shaped like it, given in the same
    structure as the primals (a tuple or list of them, or one value)."""
    ts, t_tuple = as_args(tangents)
    if t_tuple != is_tuple or len(ts) != len(primals):
        wanted = f"a tuple of {len(primals)}" if is_tuple else "one array"
        raise ValueError(f"{who}: tangents must match primals ({wanted}), got "
                         f"{describe(tangents)}; pass one tangent per primal, shaped like it")
    return [as_direction(who, t, x, f"tangent {i}") for i, (t, x) in enumerate(zip(ts, primals))]


def inner_product(gs: Sequence[Variable | None], ts: Sequence[Variable]) -> Variable | None:
    """Σᵢ sum(gᵢ · tᵢ) over the gᵢ that are not None (None when all are)."""
    total = None
    for g, t in zip(gs, ts):
        if g is not None:
            term = (g * t).sum()
            total = term if total is None else total + term
    return total
