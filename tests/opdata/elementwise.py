"""OpSpecs for dezero.functions.elementwise."""
import numpy as np
from opinfo import OpSpec, strict_real

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
