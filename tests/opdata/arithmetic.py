"""OpSpecs for dezero.functions.arithmetic (+ - * / ** negation)."""
import numpy as np
from opinfo import BINARY, OpSpec

import dezero.functions as F

SPECS = [
    OpSpec("add", F.add, np.add, BINARY, fuzz_shapes="broadcast"),
    OpSpec("sub", F.sub, np.subtract, BINARY, fuzz_shapes="broadcast"),
    OpSpec("rsub", F.rsub, lambda a, b: b - a, BINARY, fuzz_shapes="broadcast"),
    OpSpec("mul", F.mul, np.multiply, BINARY, fuzz_shapes="broadcast"),
    OpSpec("div", F.div, np.divide, BINARY, domain=(0.5, 2.0), fuzz_shapes="broadcast"),
    OpSpec("rdiv", F.rdiv, lambda a, b: b / a, BINARY, domain=(0.5, 2.0),
           fuzz_shapes="broadcast"),
    OpSpec("neg", F.neg, np.negative, fuzz_shapes="any"),
    OpSpec("copy", F.copy, np.copy, fuzz_shapes="any"),
    OpSpec("pow", lambda x: F.pow(x, 3), lambda x: x ** 3, label="pow-const"),
    OpSpec("pow", lambda x: F.pow(x, 0.5), np.sqrt, domain=(0.5, 2.0), label="pow-sqrt"),
    OpSpec("pow", F.pow, np.power, BINARY, domain=(0.5, 2.0), label="pow-var",
           fuzz_shapes="broadcast"),
    OpSpec("rpow", lambda x: F.rpow(x, 2.0), lambda x: 2.0 ** x),
]

# A Python scalar operand takes the one-input *Const path (no Variable for the constant).
SPECS += [
    OpSpec("add", lambda x: F.add(x, 2.5), lambda x: x + 2.5, label="add-scalar"),
    OpSpec("sub", lambda x: F.sub(x, 2), lambda x: x - 2, label="sub-scalar"),
    OpSpec("rsub", lambda x: F.rsub(x, 2.5), lambda x: 2.5 - x, label="rsub-scalar"),
    OpSpec("mul", lambda x: F.mul(x, -1.5), lambda x: x * -1.5, label="mul-scalar"),
    OpSpec("div", lambda x: F.div(x, 4), lambda x: x / 4, label="div-scalar"),
    OpSpec("rdiv", lambda x: F.rdiv(x, 3.0), lambda x: 3.0 / x, domain=(0.5, 2.0),
           label="rdiv-scalar"),
]
