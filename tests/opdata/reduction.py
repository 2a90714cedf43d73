"""OpSpecs for dezero.functions.reduction."""
import numpy as np
from opinfo import OpSpec

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
