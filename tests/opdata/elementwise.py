"""OpSpecs for dezero.functions.elementwise."""
import numpy as np
from opinfo import OpSpec

import dezero.functions as F

SPECS = [
    OpSpec("sin", F.sin, np.sin),
    OpSpec("cos", F.cos, np.cos),
    OpSpec("tanh", F.tanh, np.tanh),
    OpSpec("exp", F.exp, np.exp),
    OpSpec("log", F.log, np.log, domain=(0.5, 3.0)),
    # values drawn away from the clip bounds so finite differences never straddle them
    OpSpec("clip", lambda x: F.clip(x, -0.5, 0.5), lambda x: np.clip(x, -0.5, 0.5),
           make=lambda rng, shapes: [rng.choice([-1.5, -0.3, 0.1, 0.4, 1.2], size=s) +
                                     rng.uniform(-0.05, 0.05, size=s) for s in shapes]),
]
