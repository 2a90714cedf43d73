"""Hypothesis strategies for tests/test_fuzz.py: operand shapes and dtypes, and valid or
invalid values for each kind of argument an OpSpec's ``fuzz_args`` names."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from opinfo import OpSpec

SHAPES = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4)


def arrays_for(spec: OpSpec, shapes, seed: int, dtype) -> list[np.ndarray]:
    """The row's inputs for ``shapes`` (its ``make``, else a uniform draw), floating ones
    cast to ``dtype``."""
    rng = np.random.default_rng(seed)
    if spec.make is not None:
        xs = spec.make(rng, shapes)
    else:
        xs = [np.asarray(rng.uniform(*spec.domain, size=s)) for s in shapes]
    return [cast(x, dtype) if x.dtype.kind == "f" else x for x in xs]


def cast(x: np.ndarray, dtype) -> np.ndarray:
    """``x`` as ``dtype``: booleans are x > 0, integers rounded."""
    if np.dtype(dtype).kind == "b":
        return x > 0
    if np.dtype(dtype).kind in "iu":
        return np.round(x).astype(dtype)
    return x.astype(dtype)


@st.composite
def operand_shapes(draw, kind: str):
    """Input shapes for a row's ``fuzz_shapes`` kind: any, broadcast (or not), matmul."""
    if kind == "any":
        return (draw(SHAPES),)
    if kind == "broadcast":
        if draw(st.booleans()):
            return draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=4,
                                                          max_side=4)).input_shapes
        return draw(SHAPES), draw(SHAPES)
    # matmul: (..., n, k) @ (..., k', m), vectors too; k' = k most of the time
    k = draw(st.integers(0, 3))
    k2 = draw(st.sampled_from([k, k, k, k + 1]))
    a = draw(st.lists(st.integers(1, 3), max_size=2)) + [draw(st.integers(0, 3)), k]
    b = draw(st.lists(st.integers(1, 3), max_size=2)) + [k2, draw(st.integers(0, 3))]
    return tuple(a[draw(st.integers(0, len(a) - 1)):]), tuple(b[draw(st.integers(0, len(b) - 1)):])


BAD = [1.5, True, "1", None, object()]


def _bad(*extra):
    return st.sampled_from(BAD + list(extra))


def _axes(ndim: int):
    ax = st.integers(-ndim - 1, ndim)
    return st.one_of(st.none(), ax, ax.map(np.int64), st.tuples(ax),
                     st.tuples(ax, ax), st.tuples(ax, ax, ax), _bad(2.0, (0, 1.0), (True,)))


def _axis(ndim: int):
    ax = st.integers(-ndim - 1, ndim)
    return st.one_of(ax, ax.map(np.int32), _bad((0,), np.float64(0)))


def _perm(ndim: int):
    perm = st.permutations(list(range(ndim))).map(tuple)
    return st.one_of(st.none(), perm, perm.map(lambda p: tuple(a - ndim for a in p)),
                     perm.map(list), st.lists(st.integers(-ndim - 1, ndim), max_size=4).map(tuple),
                     _bad((1.0, 0), (True, False), "01"))


def _new_shapes(shape: tuple[int, ...], size: int):
    dims = st.lists(st.integers(-2, 6), max_size=4).map(tuple)
    valid = [shape, (size,), (-1,), shape[::-1], tuple(np.array(shape, dtype=np.int64)),
             list(shape), np.array(shape, dtype=np.int64), size]
    valid += [shape[:i] + (-1,) + shape[i + 1:] for i in range(len(shape))]
    return st.one_of(st.sampled_from(valid), dims,
                     _bad((2.0, 3), (True,), "23", np.array([1.0]), (size, None)))


def _broadcast_shapes(shape: tuple[int, ...]):
    grown = st.lists(st.integers(0, 3), max_size=2).map(lambda lead: tuple(lead) + shape)
    ones_to_three = tuple(3 if s == 1 else s for s in shape)
    return st.one_of(grown, st.sampled_from([shape, ones_to_three, list(shape), shape[1:]]),
                     st.lists(st.integers(-1, 4), max_size=4).map(tuple),
                     _bad((2.5,), (True,) + shape, "3"))


def _sum_shapes(shape: tuple[int, ...]):
    ones = st.lists(st.booleans(), min_size=len(shape), max_size=len(shape)).map(
        lambda keep: tuple(s if k else 1 for s, k in zip(shape, keep)))
    return st.one_of(ones, ones.map(lambda s: s[1:]), st.just(()),
                     st.lists(st.integers(-1, 4), max_size=4).map(tuple),
                     _bad((1.0,), (True,), "1"))


def _indices(shape: tuple[int, ...]):
    side = shape[0] if shape else 0
    i = st.integers(-side - 1, side)
    one = st.one_of(i, i.map(np.int64), st.slices(max(side, 1)), st.none(), st.just(Ellipsis))
    arrays = st.lists(i, max_size=4).map(lambda v: np.array(v, dtype=np.int64))
    masks = st.just(np.ones(shape, dtype=bool)) if shape else st.just(np.bool_(True))
    return st.one_of(one, st.tuples(one, one), arrays, arrays.map(list), masks,
                     _bad(1.0, "a", [0.5], (0, 1.0)))


def _reals():
    return st.one_of(st.floats(-3, 3), st.integers(-3, 3), st.floats(-3, 3).map(np.float32),
                     st.sampled_from([float("nan"), float("inf"), 0, 1, 2e-5, 0.9]),
                     _bad("0.5", np.array([0.1, 0.2])))


def _ratios():
    return st.one_of(st.floats(-0.5, 1.5), st.sampled_from([0, 0.0, 1, 0.999, 0.5]),
                     _bad("0.5", float("nan")))


def _bounds():
    return st.one_of(st.none(), st.floats(-3, 3), st.integers(-3, 3), _bad("a", float("nan")))


def _pairs(lowest: int):
    n = st.integers(lowest - 1, 4)
    return st.one_of(n, n.map(np.int64), st.tuples(n, n), st.lists(n, min_size=2, max_size=2),
                     st.tuples(n, n, n), _bad(2.0, (1.5, 1), (True, 1), "2"))


def argument(kind: str, x: np.ndarray):
    """The strategy for one argument of ``kind`` given the first input ``x``."""
    table = {
        "axes": lambda: _axes(x.ndim), "axis": lambda: _axis(x.ndim),
        "newaxis": lambda: _axis(x.ndim + 1), "bool": st.booleans, "perm": lambda: _perm(x.ndim),
        "reshape": lambda: _new_shapes(x.shape, x.size),
        "bshape": lambda: _broadcast_shapes(x.shape), "sshape": lambda: _sum_shapes(x.shape),
        "index": lambda: _indices(x.shape), "real": _reals, "ratio": _ratios,
        "bound": _bounds, "pair1": lambda: _pairs(1), "pair0": lambda: _pairs(0),
    }
    return table[kind]()
