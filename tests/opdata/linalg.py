"""OpSpecs for dezero.functions.linalg."""
import numpy as np
from opinfo import OpSpec

import dezero.functions as F

MATMUL = [((2, 3), (3, 4)), ((3,), (3, 4)), ((2, 3), (3,)), ((3,), (3,)),
          ((5, 2, 3), (3, 4)), ((5, 2, 3), (5, 3, 4)), ((2, 1, 2, 3), (5, 3, 4)),
          ((4,), (2, 4, 3)), ((2, 3, 4), (4,))]

SPECS = [
    OpSpec("matmul", F.matmul, np.matmul, MATMUL, fuzz_shapes="matmul"),
    OpSpec("linear", F.linear, lambda x, W, b: x @ W + b,
           [((4, 3), (3, 2), (2,)), ((3,), (3, 2), (2,)), ((5, 4, 3), (3, 2), (2,))]),
    OpSpec("linear", F.linear, np.matmul, [((4, 3), (3, 2))], label="linear-nobias"),
]
