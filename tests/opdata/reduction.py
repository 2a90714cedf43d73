"""OpSpecs for dezero.functions.reduction."""
import numpy as np
from opinfo import OpSpec, strict_int

import dezero.functions as F


def _distinct(rng, shapes):
    """Values with no ties, so max/min are differentiable under finite differences."""
    return [rng.permutation(int(np.prod(s))).reshape(s) * 0.1 + 0.01 for s in shapes]


def _tied(rng, shapes):
    return [np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])]


def _mean(x, axis=None, keepdims=False):
    """np.mean, except that a 0-d input takes axis 0 or -1 as np.sum and np.max do."""
    if x.ndim == 0 and axis is not None:
        np.sum(x, axis=axis)  # raises where np.sum would
        axis = ()
    return np.mean(x, axis=axis, keepdims=keepdims)


SHAPES = [((),), ((3,),), ((2, 3),), ((2, 3, 4),)]

SPECS = [
    OpSpec("sum", F.sum, np.sum, SHAPES, fuzz_shapes="any",
           fuzz_args={"axis": "axes", "keepdims": "bool"}, fuzz_ref=np.sum),
    OpSpec("sum", lambda x: F.sum(x, axis=0), lambda x: x.sum(0), [((2, 3),)], label="sum-0"),
    OpSpec("sum", lambda x: F.sum(x, axis=(0, -1), keepdims=True),
           lambda x: x.sum((0, -1), keepdims=True), [((2, 3, 4),)], label="sum-tuple-keep"),
    OpSpec("average", F.average, np.mean, SHAPES, fuzz_shapes="any",
           fuzz_args={"axis": "axes", "keepdims": "bool"}, fuzz_ref=_mean),
    OpSpec("average", lambda x: F.mean(x, axis=-1), lambda x: x.mean(-1), [((2, 3),)],
           label="mean-neg"),
    OpSpec("max", F.max, np.max, [((3,),), ((2, 3),)], make=_distinct, fuzz_shapes="any",
           fuzz_args={"axis": "axes", "keepdims": "bool"}, fuzz_ref=np.max),
    OpSpec("max", lambda x: F.max(x, axis=-1, keepdims=True),
           lambda x: x.max(-1, keepdims=True), [((2, 3, 4),)], make=_distinct, label="max-neg"),
    OpSpec("min", lambda x: F.min(x, axis=(0, 2)), lambda x: x.min((0, 2)), [((2, 3, 4),)],
           make=_distinct, fuzz_shapes="any", fuzz_args={"axis": "axes", "keepdims": "bool"},
           fuzz_ref=np.min),
    # ties: forward only here; the even split of the gradient is tested in test_functions.py
    OpSpec("max", lambda x: F.max(x, axis=1), lambda x: x.max(1), [((2, 3),)], make=_tied,
           order=0, label="max-ties"),
]


def _zero_d(x, axis):
    """A 0-d input takes axis 0 or -1 (reducing over nothing), as np.sum does."""
    if x.ndim == 0 and axis is not None:
        np.sum(x, axis=axis)  # raises where np.sum would
        return ()
    return axis


def _var(x, axis=None, keepdims=False, ddof=0):
    return np.var(x, axis=_zero_d(x, axis), keepdims=keepdims, ddof=ddof)


def _std(x, axis=None, keepdims=False, ddof=0):
    return np.std(x, axis=_zero_d(x, axis), keepdims=keepdims, ddof=ddof)


def _logsumexp(x, axis=None, keepdims=False):
    """log Σ exp(x) by the max-shift, in NumPy."""
    axis = _zero_d(x, axis)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    m = np.max(x, axis=axis, keepdims=True, initial=-np.inf)
    m = np.where(np.isfinite(m), m, 0).astype(x.dtype)
    y = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return y if keepdims else np.sum(y, axis=axis)  # a sum over size-1 axes drops them


SPECS += [
    OpSpec("cumsum", F.cumsum, np.cumsum, [((),), ((3,),), ((2, 3),)], fuzz_shapes="any",
           fuzz_args={"axis": "axis"}, fuzz_ref=lambda x, axis: np.cumsum(
               x, axis=None if axis is None else strict_int(axis))),
    OpSpec("cumsum", lambda x: F.cumsum(x, axis=-1), lambda x: np.cumsum(x, -1),
           [((2, 3, 4),), ((3,),)], label="cumsum-neg"),
    OpSpec("cumsum", lambda x: F.cumsum(x, axis=0), lambda x: np.cumsum(x, 0), [((3, 2),), ((),)],
           label="cumsum-0"),
    OpSpec("var", F.var, np.var, SHAPES, fuzz_shapes="any",
           fuzz_args={"axis": "axes", "keepdims": "bool"}, fuzz_ref=_var),
    OpSpec("var", lambda x: F.var(x, axis=(0, -1), keepdims=True, ddof=1),
           lambda x: np.var(x, axis=(0, -1), keepdims=True, ddof=1), [((2, 3, 4),)],
           label="var-ddof"),
    OpSpec("std", F.std, np.std, [((3,),), ((2, 3),), ((2, 3, 4),)], fuzz_shapes="any",
           fuzz_args={"axis": "axes", "keepdims": "bool"}, fuzz_ref=_std),
    OpSpec("std", lambda x: F.std(x, axis=-1, ddof=1), lambda x: np.std(x, axis=-1, ddof=1),
           [((2, 3),), ((4, 2, 3),)], label="std-neg-ddof"),
    OpSpec("logsumexp", F.logsumexp, _logsumexp, SHAPES, fuzz_shapes="any",
           fuzz_args={"axis": "axes", "keepdims": "bool"}, fuzz_ref=_logsumexp),
    OpSpec("logsumexp", lambda x: F.logsumexp(x, axis=-1, keepdims=True),
           lambda x: _logsumexp(x, axis=-1, keepdims=True), [((2, 3),), ((2, 3, 4),)],
           label="logsumexp-neg-keep"),
    OpSpec("logsumexp", lambda x: F.logsumexp(x, axis=(0, 2)),
           lambda x: _logsumexp(x, axis=(0, 2)), [((2, 3, 4),)], label="logsumexp-tuple"),
]
