"""OpSpecs for dezero.functions.activation."""
import numpy as np
from opinfo import OpSpec, strict_real

import dezero.functions as F


def _away_from_zero(rng, shapes):
    return [rng.choice([-1.0, 1.0], size=s) * rng.uniform(0.1, 2.0, size=s) for s in shapes]


def _softmax(x, axis=1):
    if x.size == 0:  # the contract: softmax of nothing is nothing (NumPy's max would raise)
        np.max(np.empty((1,) * x.ndim), axis=axis)  # ... once the axis is valid
        return np.exp(x)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


SPECS = [
    OpSpec("sigmoid", F.sigmoid, lambda x: 1 / (1 + np.exp(-x)), fuzz_shapes="any"),
    OpSpec("relu", F.relu, lambda x: np.maximum(x, 0), make=_away_from_zero, fuzz_shapes="any"),
    OpSpec("leaky_relu", F.leaky_relu, lambda x: np.where(x > 0, x, 0.2 * x),
           make=_away_from_zero, fuzz_shapes="any", fuzz_args={"slope": "real"},
           fuzz_ref=lambda x, slope: np.where(x > 0, x, x * strict_real(slope))),
    OpSpec("leaky_relu", lambda x: F.leaky_relu(x, slope=0.01),
           lambda x: np.where(x > 0, x, 0.01 * x), make=_away_from_zero, label="leaky_relu-0.01"),
    OpSpec("softmax", F.softmax, _softmax, [((2, 3),), ((2, 3, 4),)], fuzz_shapes="any",
           fuzz_args={"axis": "axes"}, fuzz_ref=lambda x, axis: _softmax(x, axis)),
    OpSpec("softmax", lambda x: F.softmax(x, axis=-1), lambda x: _softmax(x, -1),
           [((3,),), ((2, 3),)], label="softmax-last"),
    OpSpec("log_softmax", F.log_softmax, lambda x: np.log(_softmax(x)), [((2, 3),)],
           fuzz_shapes="any", fuzz_args={"axis": "axes"},
           fuzz_ref=lambda x, axis: np.log(_softmax(x, axis))),
    OpSpec("log_softmax", lambda x: F.log_softmax(x, axis=(0, 1)),
           lambda x: np.log(_softmax(x, (0, 1))), [((2, 3),)], label="log_softmax-tuple"),
    # test mode: dropout is the identity (the train-mode mask is tested in test_functions.py)
    OpSpec("dropout", lambda x: _test_mode(F.dropout, x), lambda x: x, fuzz_shapes="any",
           fuzz_args={"dropout_ratio": "ratio"},
           fuzz_ref=lambda x, dropout_ratio: (strict_real(dropout_ratio, 0, 1, True), x)[1]),
]


def _test_mode(f, x):
    import dezero
    with dezero.test_mode():
        return f(x)
