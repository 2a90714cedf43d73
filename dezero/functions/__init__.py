"""Differentiable functions (imported as ``F``), grouped by family in submodules."""
from dezero.functions.activation import (dropout, leaky_relu, log_softmax, relu, sigmoid,
                                         sigmoid_simple, softmax, softmax_simple)
from dezero.functions.arithmetic import add, copy, div, mul, neg, pow, rdiv, rpow, rsub, sub
from dezero.functions.elementwise import clip, cos, exp, log, sin, tanh
from dezero.functions.linalg import linear, linear_simple, matmul
from dezero.functions.loss import (accuracy, binary_cross_entropy, mean_squared_error,
                                   mean_squared_error_simple, sigmoid_cross_entropy,
                                   softmax_cross_entropy, softmax_cross_entropy_simple)
from dezero.functions.reduction import average, max, mean, min, sum
from dezero.functions.shape import (broadcast_to, expand_dims, flatten, get_item, reshape,
                                    sum_to, transpose)
from dezero.functions.conv import col2im, conv2d, conv2d_simple, deconv2d, im2col
from dezero.functions.normalization import batch_norm, batch_nrom, embed_id
from dezero.functions.pool import average_pooling, pooling, pooling_simple
