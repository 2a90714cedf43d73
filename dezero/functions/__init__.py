"""Differentiable functions (imported as ``F``), grouped by family in submodules.

The Function classes that DeZero 0.0.13 defines in this module (``F.Sin``, ``F.Reshape``,
``F.ReLU`` ...) are here too, for programs that use or subclass them.
"""
from dezero.functions.activation import (LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, dropout,
                                         leaky_relu, log_softmax, relu, sigmoid, sigmoid_simple,
                                         softmax, softmax_simple)
from dezero.functions.arithmetic import add, copy, div, mul, neg, pow, rdiv, rpow, rsub, sub
from dezero.functions.elementwise import (Clip, Cos, Exp, Log, Sin, Tanh, clip, cos, exp, log, sin,
                                          tanh)
from dezero.functions.linalg import Linear, MatMul, linear, linear_simple, matmul
from dezero.functions.loss import (MeanSquaredError, SoftmaxCrossEntropy, accuracy,
                                   binary_cross_entropy, mean_squared_error,
                                   mean_squared_error_simple, sigmoid_cross_entropy,
                                   softmax_cross_entropy, softmax_cross_entropy_simple)
from dezero.functions.reduction import Max, Min, Sum, average, max, mean, min, sum
from dezero.functions.shape import (BroadcastTo, GetItem, GetItemGrad, Reshape, SumTo, Transpose,
                                    broadcast_to, expand_dims, flatten, get_item, reshape, sum_to,
                                    transpose)
from dezero.functions.conv import col2im, conv2d, conv2d_simple, deconv2d, im2col
from dezero.functions.normalization import BatchNorm, batch_norm, batch_nrom, embed_id
from dezero.functions.pool import average_pooling, pooling, pooling_simple
from dezero.functions.shape import concat, concatenate, pad, split, stack, where
from dezero.functions.elementwise import abs, absolute, maximum, minimum, sqrt, square
from dezero.functions.reduction import cumsum, logsumexp, std, var
from dezero.functions.linalg import einsum
from dezero.functions.activation import elu, gelu, silu, softplus
from dezero.functions.normalization import layer_norm
from dezero.functions.attention import scaled_dot_product_attention
from dezero.functions.loss import huber_loss, mean_absolute_error
from dezero.functions.checkpoint import forget
