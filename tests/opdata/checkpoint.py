"""OpSpecs for dezero.functions.checkpoint (forget: gradient checkpointing)."""
import numpy as np
from opinfo import BINARY, OpSpec

import dezero.functions as F


def _segment(x):
    """A few ops with intermediates worth forgetting."""
    return F.tanh(x * x + 0.5) * F.sin(x)


SPECS = [
    OpSpec("forget", lambda x: F.forget(_segment, x),
           lambda x: np.tanh(x * x + 0.5) * np.sin(x), label="forget-unary"),
    OpSpec("forget", lambda a, b: F.forget(lambda s, t: F.exp(s * t) - s, a, b),
           lambda a, b: np.exp(a * b) - a, BINARY, domain=(-1.0, 1.0), label="forget-binary"),
    OpSpec("forget", lambda x: F.forget(lambda t: (F.sin(t), t * t), x)[0] *
           F.forget(lambda t: (F.sin(t), t * t), x)[1],
           lambda x: np.sin(x) * x * x, label="forget-two-outputs"),
]
