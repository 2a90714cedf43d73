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


def _einsum(subscripts, shapes, label):
    return OpSpec("einsum", lambda *xs: F.einsum(subscripts, *xs),
                  lambda *xs: np.einsum(subscripts, *xs), shapes, label=f"einsum-{label}")


SPECS += [
    _einsum("ij,jk->ik", [((2, 3), (3, 4)), ((1, 3), (3, 1))], "matmul"),
    _einsum("bij,bjk->bik", [((2, 2, 3), (2, 3, 4))], "batched"),
    _einsum("ij->ji", [((2, 3),)], "transpose"),
    _einsum("ii->", [((3, 3),)], "trace"),
    _einsum("ii->i", [((3, 3),)], "diagonal"),
    _einsum("iij->ji", [((2, 2, 3),)], "diagonal-3d"),
    _einsum("ij->", [((2, 3),)], "sum"),
    _einsum("ij->i", [((2, 3),)], "rowsum"),
    _einsum("i,j->ij", [((2,), (3,))], "outer"),
    _einsum("i,j->", [((2,), (3,))], "outer-sum"),
    _einsum("i,i->", [((3,), (3,))], "dot"),
    _einsum("ij,jk", [((2, 3), (3, 4))], "implicit"),
    _einsum("ba,A", [((2, 3), (2,))], "implicit-order"),
    _einsum("...ij,...jk->...ik",
            [((5, 2, 3), (3, 4)), ((2, 1, 2, 3), (5, 3, 4)), ((2, 3), (3, 4))], "ellipsis"),
    _einsum("...i,...i->...", [((2, 3), (1, 3))], "ellipsis-broadcast"),
    _einsum("ij,jk,kl->il", [((2, 3), (3, 4), (4, 2))], "chain"),
    _einsum("bhqd,bhkd->bhqk", [((2, 2, 3, 4), (2, 2, 5, 4))], "attention"),
    _einsum("i,->i", [((3,), ())], "scalar"),
]
