"""The convolution and pooling functions, under the module name DeZero programs import.

Only re-exports: the implementations live in :mod:`dezero.functions.conv`
(im2col, col2im, conv2d, deconv2d) and :mod:`dezero.functions.pool` (pooling).
"""
from dezero.functions.conv import col2im, conv2d, conv2d_simple, deconv2d, im2col
from dezero.functions.pool import average_pooling, pooling, pooling_simple

__all__ = ["conv2d", "deconv2d", "conv2d_simple", "pooling", "pooling_simple",
           "average_pooling", "im2col", "col2im"]
