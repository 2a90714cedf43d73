"""OpSpecs for dezero.functions.normalization (batch_norm, layer_norm, embed_id)."""
import math

import numpy as np
from opinfo import OpSpec, strict_real

import dezero
import dezero.functions as F

EPS = 2e-5


def batch_norm_ref(x, gamma, beta, mean=None, var=None, eps=EPS):
    """Per channel (axis 1): loops over channels, statistics from the batch unless given."""
    y = np.empty(x.shape, dtype=x.dtype if x.dtype.kind == "f" else np.float64)
    for c in range(x.shape[1]):
        xc = x[:, c]
        mu = xc.mean() if mean is None else mean[c]
        sigma2 = ((xc - xc.mean()) ** 2).mean() if var is None else var[c]
        y[:, c] = gamma[c] * (xc - mu) / np.sqrt(sigma2 + eps) + beta[c]
    return y


def _train(x, gamma, beta):
    c = x.shape[1] if x.ndim > 1 else 1  # (the fuzzer also passes x of other ranks)
    # Fresh running statistics per call: the harness calls this many times.
    return F.batch_norm(x, gamma, beta, np.zeros(c), np.ones(c))


# Fixed running statistics for the test-mode rows (constants, not checked inputs).
_RUNNING = np.random.default_rng(7)
RUNNING_MEAN = _RUNNING.uniform(-1, 1, size=3)
RUNNING_VAR = _RUNNING.uniform(0.5, 2, size=3)


def _test(x, gamma, beta):
    with dezero.test_mode():
        return F.batch_norm(x, gamma, beta, RUNNING_MEAN.copy(), RUNNING_VAR.copy())


def _ids_and_table(rng, shapes):
    ids_shape, table_shape = shapes
    return [rng.integers(0, table_shape[0], size=ids_shape), rng.uniform(-2, 2, size=table_shape)]


def _train_ref(x, gamma, beta, decay, eps):
    """batch_norm's contract: decay in [0, 1], eps ≥ 0 (the running statistics are not read)."""
    strict_real(decay, 0, 1)
    return batch_norm_ref(x, gamma, beta, eps=strict_real(eps, 0))


BN_SHAPES = [((4, 3), (3,), (3,)), ((2, 3, 2, 2), (3,), (3,))]

SPECS = [
    OpSpec("batch_norm", _train, batch_norm_ref, BN_SHAPES,
           fuzz_args={"decay": "real", "eps": "real"}, fuzz_ref=_train_ref),
    OpSpec("batch_norm", _test,
           lambda x, g, b: batch_norm_ref(x, g, b, RUNNING_MEAN, RUNNING_VAR), BN_SHAPES,
           label="batch_norm-test-mode"),
    OpSpec("embed_id", F.embed_id, lambda ids, W: W[ids],
           [((2, 3), (5, 4)), ((4,), (3, 2))], make=_ids_and_table),
]


def layer_norm_ref(x, gamma, beta, eps=1e-5):
    """Over the trailing gamma.ndim axes, by flattening them (a loop over the rows)."""
    x = np.asarray(x, dtype=np.result_type(x.dtype, np.float16))
    k = gamma.ndim
    if k == 0 or beta.shape != gamma.shape or x.shape[x.ndim - k:] != gamma.shape:
        raise ValueError("layer_norm: shapes")
    rows = x.reshape((-1, gamma.size)).astype(np.float64)
    y = np.empty_like(rows)
    for i, row in enumerate(rows):
        y[i] = (row - row.mean()) / np.sqrt(((row - row.mean()) ** 2).mean() + eps)
    return y.reshape(x.shape) * gamma + beta


def _layer_norm_eps_ref(x, gamma, beta, eps):
    """layer_norm's contract: eps a finite real number ≥ 0."""
    e = strict_real(eps, 0)
    if not math.isfinite(e):
        raise ValueError(f"eps {e} is not finite")
    return layer_norm_ref(x, gamma, beta, e)


SPECS += [
    OpSpec("layer_norm", F.layer_norm, layer_norm_ref,
           [((4, 3), (3,), (3,)), ((2, 3, 4), (3, 4), (3, 4)), ((5,), (5,), (5,)),
            ((2, 1, 3), (3,), (3,))],
           fuzz_args={"eps": "real"}, fuzz_ref=_layer_norm_eps_ref),
    OpSpec("layer_norm", lambda x, g, b: F.layer_norm(x, g, b, eps=0.1),
           lambda x, g, b: layer_norm_ref(x, g, b, 0.1), [((3, 4), (4,), (4,))],
           label="layer_norm-eps"),
]
