"""OpSpecs for dezero.functions.elementwise."""
import numpy as np
from opinfo import BINARY, OpSpec, strict_real

import dezero.functions as F

def _bound(b):
    """clip's contract: None (no bound) or a real number."""
    return None if b is None else strict_real(b)


SPECS = [
    OpSpec("sin", F.sin, np.sin, fuzz_shapes="any"),
    OpSpec("cos", F.cos, np.cos, fuzz_shapes="any"),
    OpSpec("tanh", F.tanh, np.tanh, fuzz_shapes="any"),
    OpSpec("exp", F.exp, np.exp, fuzz_shapes="any"),
    OpSpec("log", F.log, np.log, domain=(0.5, 3.0), fuzz_shapes="any"),
    # values drawn away from the clip bounds so finite differences never straddle them
    OpSpec("clip", lambda x: F.clip(x, -0.5, 0.5), lambda x: np.clip(x, -0.5, 0.5),
           make=lambda rng, shapes: [rng.choice([-1.5, -0.3, 0.1, 0.4, 1.2], size=s) +
                                     rng.uniform(-0.05, 0.05, size=s) for s in shapes],
           fuzz_shapes="any", fuzz_args={"x_min": "bound", "x_max": "bound"},
           fuzz_ref=lambda x, x_min, x_max: np.clip(x, _bound(x_min), _bound(x_max))),
]


def _off_zero(rng, shapes):
    """Values at least 0.2 from the kink of abs at 0."""
    return [np.asarray(rng.choice([-1.0, 1.0], size=s) * rng.uniform(0.2, 2.0, size=s))
            for s in shapes]


def _apart(rng, shapes):
    """Two operands whose values are at least 0.4 apart: no ties for maximum/minimum."""
    a, b = shapes
    return [np.asarray(rng.choice([-1.5, -0.5, 0.5, 1.5], size=a) + rng.uniform(-.05, .05, a)),
            np.asarray(rng.choice([-1.0, 0.0, 1.0], size=b) + rng.uniform(-.05, .05, b))]


SPECS += [
    # the kink at 0 (gradient 0 there) is tested in tests/test_functions_more.py
    OpSpec("abs", F.abs, np.abs, make=_off_zero, fuzz_shapes="any"),
    OpSpec("abs", F.absolute, np.absolute, [((2, 3),)], make=_off_zero, label="absolute"),
    OpSpec("sqrt", F.sqrt, np.sqrt, domain=(0.5, 3.0), fuzz_shapes="any"),
    OpSpec("square", F.square, np.square, fuzz_shapes="any"),
    # ties (each input gets half the gradient) are tested in tests/test_functions_more.py
    OpSpec("maximum", F.maximum, np.maximum, BINARY, make=_apart, fuzz_shapes="broadcast"),
    OpSpec("minimum", F.minimum, np.minimum, BINARY, make=_apart, fuzz_shapes="broadcast"),
    OpSpec("maximum", lambda x: F.maximum(x, 0.0), lambda x: np.maximum(x, 0.0),
           make=_off_zero, label="maximum-scalar"),
    OpSpec("minimum", lambda x: F.minimum(1.0, x), lambda x: np.minimum(1.0, x),
           make=lambda rng, s: [v * 0.4 for v in _off_zero(rng, s)], label="minimum-scalar"),
]
