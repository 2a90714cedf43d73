"""Linear algebra: matmul (like ``np.matmul``: vectors, matrices, batched N-d), linear, einsum."""
from __future__ import annotations

import math
import string
from typing import Any

import numpy as np

from dezero import cuda
from dezero.core import Function, Variable, as_variable
from dezero.functions.shape import broadcast_to, reshape, sum_to, transpose
from dezero.utils.checks import renamed


def _swap_last(x: Variable) -> Variable:
    """x with its last two axes swapped (a batched matrix transpose)."""
    axes = tuple(range(x.ndim - 2)) + (x.ndim - 1, x.ndim - 2)
    return transpose(x, axes)


class MatMul(Function):
    """y = x @ W (batched and matrix·vector as NumPy's matmul); the Function of :func:`matmul`."""

    def forward(self, x, W):
        return x @ W

    def backward(self, gy):
        x, W = self.inputs
        # Treat vectors as 1×k / k×1 matrices, as np.matmul does, then undo it.
        xm = x if x.ndim > 1 else reshape(x, (1,) + x.shape)
        Wm = W if W.ndim > 1 else reshape(W, W.shape + (1,))
        gy_shape = gy.shape
        if x.ndim == 1:
            gy_shape = gy_shape[:-1] + (1,) + gy_shape[-1:] if W.ndim > 1 else gy_shape + (1,)
        if W.ndim == 1:
            gy_shape = gy_shape + (1,)
        gym = reshape(gy, gy_shape)
        gx = sum_to(matmul(gym, _swap_last(Wm)), xm.shape)
        gW = sum_to(matmul(_swap_last(xm), gym), Wm.shape)
        return reshape(gx, x.shape), reshape(gW, W.shape)


class Linear(Function):
    """y = x @ W + b for x of shape (..., in), W (in, out), b (out,) or absent."""

    def __init__(self, x_needs_grad: bool = True) -> None:
        self._x_needs_grad = x_needs_grad

    def forward(self, x, W, b=None):
        y = x @ W
        if b is not None:
            y += b
        return y

    def backward(self, gy):
        x, W = self.inputs[:2]
        gx = matmul(gy, W.T) if self._x_needs_grad else None
        # explicit row counts: -1 is ambiguous when a side is 0
        x2 = reshape(x, (math.prod(x.shape[:-1]), x.shape[-1])) if x.ndim != 2 else x
        gy2 = reshape(gy, (math.prod(gy.shape[:-1]), gy.shape[-1])) if gy.ndim != 2 else gy
        gW = matmul(x2.T, gy2)
        if len(self.inputs) == 2:
            return gx, gW
        gb = sum_to(gy, self.inputs[2].shape)
        return gx, gW, gb


def _check_matmul(who: str, x: Any, W: Any) -> None:
    if x.ndim == 0 or W.ndim == 0:
        raise ValueError(f"{who}: inputs must have at least one dimension, "
                         f"got shapes {tuple(x.shape)} and {tuple(W.shape)}")
    if x.ndim > 2 and W.ndim > 2:
        try:
            np.broadcast_shapes(x.shape[:-2], W.shape[:-2])
        except ValueError:
            raise ValueError(f"{who}: the batch axes of {tuple(x.shape)} and {tuple(W.shape)} "
                             f"(all but the last two) do not broadcast") from None
    k_x = x.shape[-1]
    k_w = W.shape[-2] if W.ndim > 1 else W.shape[0]
    if k_x != k_w:
        raise ValueError(
            f"{who}: shapes {tuple(x.shape)} and {tuple(W.shape)} are not aligned: "
            f"the last axis of the first ({k_x}) must equal the "
            f"{'second-to-last' if W.ndim > 1 else 'only'} axis of the second ({k_w})")


def matmul(x: Any, W: Any) -> Variable:
    """y = x @ W (matrix product; vectors and batched stacks as in np.matmul)."""
    x, W = as_variable(x, "matmul"), as_variable(W, "matmul")
    _check_matmul("matmul", x, W)
    return MatMul()(x, W)


def linear(x: Any, W: Any, b: Any = None) -> Variable:
    """y = x @ W + b (the affine map of a fully connected layer; b optional)."""
    # A raw array's Variable is private to this call: nobody can read its gradient.
    x_needs_grad = isinstance(x, Variable)
    x, W = as_variable(x, "linear"), as_variable(W, "linear")
    if W.ndim != 2:
        raise ValueError(f"linear: W must be 2-d (in, out), got shape {tuple(W.shape)}")
    _check_matmul("linear", x, W)
    if b is None:
        return Linear(x_needs_grad)(x, W)
    b = as_variable(b, "linear")
    out = W.shape[1]
    allowed = [(out,), (1, out)] if x.ndim >= 2 else [(out,)]  # b must not add an axis to y
    if b.shape not in allowed:
        raise ValueError(f"linear: b must have shape ({W.shape[1]},) to match W "
                         f"{tuple(W.shape)}, got {tuple(b.shape)}")
    return Linear(x_needs_grad)(x, W, b)


linear_simple = linear


# -- einsum ------------------------------------------------------------------------------------

_LETTERS = string.ascii_letters


def _einsum_error(subscripts: str, why: str) -> ValueError:
    return ValueError(f"einsum: invalid subscripts {subscripts!r}: {why}")


def _einsum_parse(subscripts: Any, shapes: list[tuple[int, ...]]) -> tuple[list[str], str]:
    """``subscripts`` as one explicit term per operand and an explicit output, with each
    ellipsis replaced by letters of its own (right-aligned, as NumPy broadcasts them)."""
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum: subscripts must be a string such as 'ij,jk->ik', got "
                        f"{type(subscripts).__name__} (the sublist form is not supported)")
    s = subscripts.replace(" ", "")
    lhs, arrow, out = s.partition("->")
    if "->" in out or "-" in lhs or ">" in lhs:
        raise _einsum_error(subscripts, "'->' may appear once, between inputs and output")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: subscripts {subscripts!r} name {len(terms)} operand(s) but "
                         f"{len(shapes)} were given")
    for term in terms + ([out] if arrow else []):
        rest = term.replace("...", "", 1)
        bad = [c for c in rest if c not in _LETTERS]
        if bad:
            raise _einsum_error(subscripts, f"{bad[0]!r} is not a letter (use a-z, A-Z and "
                                "one '...' per term)")
    used = set(c for c in s if c in _LETTERS)
    ell_dims = []
    for term, shape in zip(terms, shapes):
        letters = len(term.replace("...", ""))
        if "..." in term:
            if letters > len(shape):
                raise _einsum_error(subscripts, f"{term!r} has more letters than the {len(shape)} "
                                    "axes of its operand")
            ell_dims.append(len(shape) - letters)
        else:
            if letters != len(shape):
                raise _einsum_error(subscripts, f"{term!r} has {letters} letter(s) for an "
                                    f"operand of shape {tuple(shape)}")
            ell_dims.append(0)
    n_ell = max(ell_dims, default=0)
    free = [c for c in _LETTERS if c not in used]
    if len(free) < n_ell:
        raise _einsum_error(subscripts, "too many axes under '...'")
    ell = "".join(free[:n_ell])
    ins = [t.replace("...", ell[n_ell - k:]) for t, k in zip(terms, ell_dims)]
    if not arrow:
        counts: dict[str, int] = {}
        for t in terms:
            for c in t.replace("...", ""):
                counts[c] = counts.get(c, 0) + 1
        return ins, ell + "".join(sorted(c for c, k in counts.items() if k == 1))
    if "..." in out:
        out = out.replace("...", ell)
    elif n_ell:
        raise _einsum_error(subscripts, "the operands have axes under '...' but the output "
                            "has no '...'")
    if len(set(out)) != len(out):
        raise _einsum_error(subscripts, "the output repeats a letter")
    missing = [c for c in out if c not in "".join(ins)]
    if missing:
        raise _einsum_error(subscripts, f"the output letter {missing[0]!r} is in no input")
    return ins, out


class Einsum(Function):
    """y = np.einsum of the operands by explicit subscripts; the Function behind :func:`einsum`.

    Operands whose positions are in ``constants`` (identity and ones tensors made by a
    backward) get no gradient.
    """

    def __init__(self, ins: list[str], out: str, constants: frozenset = frozenset()) -> None:
        self.ins = list(ins)
        self.out = out
        self.constants = constants

    def forward(self, *xs):
        xp = cuda.get_array_module(xs[0])
        y = xp.einsum(",".join(self.ins) + "->" + self.out, *xs, optimize=True)
        if isinstance(y, np.ndarray) and not y.flags.writeable:
            y = y.copy()
        return y

    def backward(self, gy):
        from dezero.functions.reduction import sum as _sum
        xs = self.inputs
        xp = cuda.get_array_module(gy)  # gy: a Variable, or an array in an array-level backward
        used = set("".join(self.ins) + self.out)
        free = [c for c in _LETTERS if c not in used]
        grads = []
        for i, (term, x) in enumerate(zip(self.ins, xs)):
            if i in self.constants:
                grads.append(None)
                continue
            others = [j for j in range(len(xs)) if j != i]
            terms = [self.out] + [self.ins[j] for j in others]
            ops = [gy] + [xs[j] for j in others]
            constants = {k + 1 for k, j in enumerate(others) if j in self.constants}
            fresh = iter(free)
            target = []
            for pos, c in enumerate(term):
                if c in target or c in term[:pos]:
                    # a repeated letter (a diagonal): a new letter tied to c by an identity
                    f = next(fresh, None)
                    if f is None:
                        raise ValueError("einsum: too many repeated letters to differentiate")
                    target.append(f)
                    constants.add(len(ops))
                    terms.append(c + f)
                    ops.append(Variable(xp.eye(x.shape[pos], dtype=gy.dtype)))
                else:
                    target.append(c)
            available = set("".join(terms))
            missing = [(c, x.shape[pos]) for pos, c in enumerate(term)
                       if c not in available and c not in term[:pos]]
            if missing:  # summed away and only in this operand: the gradient broadcasts over it
                constants.add(len(ops))
                terms.append("".join(c for c, _ in missing))
                ops.append(Variable(xp.ones(tuple(n for _, n in missing), dtype=gy.dtype)))
            g = Einsum(terms, "".join(target), frozenset(constants))(*ops)
            if g.shape != x.shape:  # axes of size 1 in x broadcast against the others
                axes = tuple(k for k, (a, b) in enumerate(zip(g.shape, x.shape))
                             if b == 1 and a != 1)
                if axes:
                    g = _sum(g, axis=axes, keepdims=True)
                if g.shape != x.shape:
                    g = broadcast_to(g, x.shape)
            grads.append(g)
        return tuple(grads)


def einsum(subscripts: str, *operands: Any) -> Variable:
    """y = np.einsum(subscripts, *operands): sums of products over the letters not in the output."""
    if not operands:
        raise ValueError("einsum: pass at least one operand after the subscripts")
    xs = [as_variable(x, "einsum") for x in operands]
    ins, out = _einsum_parse(subscripts, [x.shape for x in xs])
    try:
        return Einsum(ins, out)(*xs)
    except (TypeError, ValueError) as e:
        raise renamed("einsum", e) from None
