"""OpSpecs for dezero.functions.activation."""
import math

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


_erfc = np.vectorize(math.erfc, otypes=[np.float64])  # exact, slow: fine for a reference


def _gelu(x):
    return x * 0.5 * _erfc(-np.asarray(x, dtype=np.float64) / math.sqrt(2))


def _gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def _elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def _finite_real(value):
    """elu's alpha: a finite real number (nan and ±inf are refused)."""
    v = strict_real(value)
    if not math.isfinite(v):
        raise ValueError(f"{v} is not finite")
    return v


SPECS += [
    OpSpec("softplus", F.softplus, lambda x: np.logaddexp(0, x), fuzz_shapes="any"),
    OpSpec("softplus", F.softplus, lambda x: np.logaddexp(0, x), [((4,),), ((2, 3),)],
           domain=(-30.0, 30.0), label="softplus-wide"),
    OpSpec("silu", F.silu, lambda x: x / (1 + np.exp(-x)), fuzz_shapes="any"),
    OpSpec("gelu", F.gelu, _gelu, fuzz_shapes="any"),
    OpSpec("gelu", F.gelu, _gelu, [((4,),), ((2, 3),)], domain=(-6.0, 6.0), label="gelu-wide"),
    OpSpec("gelu", lambda x: F.gelu(x, approximate="tanh"), _gelu_tanh, label="gelu-tanh"),
    OpSpec("elu", F.elu, _elu, make=_away_from_zero, fuzz_shapes="any",
           fuzz_args={"alpha": "real"},
           fuzz_ref=lambda x, alpha: _elu(x, _finite_real(alpha))),
    OpSpec("elu", lambda x: F.elu(x, alpha=0.5), lambda x: _elu(x, 0.5), make=_away_from_zero,
           label="elu-0.5"),
]


def _test_mode(f, x):
    import dezero
    with dezero.test_mode():
        return f(x)
