"""Differentiable functions (imported as ``F``), grouped by family in submodules."""
from dezero.functions.arithmetic import add, copy, div, mul, neg, pow, rdiv, rpow, rsub, sub
from dezero.functions.elementwise import clip, cos, exp, log, sin, tanh
from dezero.functions.linalg import linear, matmul
from dezero.functions.reduction import average, max, mean, min, sum
from dezero.functions.shape import (broadcast_to, expand_dims, flatten, get_item, reshape,
                                    sum_to, transpose)
