"""Helpers: array utilities, gradient checking, graph pictures, downloads."""
from dezero.utils.arrays import (array_allclose, array_equal, get_conv_outsize,
                                 get_deconv_outsize, logsumexp, max_backward_shape, pair,
                                 reshape_sum_backward, sum_to)
from dezero.gradcheck import gradient_check, numerical_grad
from dezero.utils.render import GraphPicture, GraphvizNotFoundError, get_dot_graph, plot_dot_graph
from dezero.utils.download import cache_dir, get_file
