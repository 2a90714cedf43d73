"""Step 57: conv2d and pooling as Functions -- im2col turns convolution into a matrix product.

Docs: docs/tutorial/10-cnn-and-rnn.md
Run: .venv/bin/python steps/step57.py  (check its output: make step N=57)

Step 56's loops are far too slow.  ``im2col`` ("image to columns") copies
every window the filter visits into one row of a matrix: for x (N, C, H, W)
and a KH x KW kernel it is (N*OH*OW, C*KH*KW).  The filters, reshaped to
(OC, C*KH*KW), then convolve every window at once in a single matrix
product -- the operation linear-algebra libraries do fastest.  The price is
memory: every pixel is copied up to KH*KW times.

* ``F.im2col(x, kernel_size, stride, pad, to_matrix=True)`` is a Function;
  its backward is ``col2im``, which adds the gradients of the copies back
  into their pixel (as sum_to does for broadcast copies, step 40).
* ``F.conv2d_simple`` is the book's convolution written from those pieces:
  im2col, ``F.linear``, reshape and transpose.  ``F.conv2d`` computes the
  same with a dedicated Function whose backward is itself differentiable.
* ``F.pooling(x, kernel_size, stride, pad)`` (max) and
  ``F.average_pooling`` take windows the same way.
* ``L.Conv2d(out_channels, kernel_size, stride, pad)`` is the layer: it owns
  W (OC, C, KH, KW), drawn on the first call, and b.

The book's shapes: im2col of a (1, 3, 7, 7) input with a 5x5 kernel is
(9, 75), of ten such images (90, 75); conv2d_simple of a (1, 5, 15, 15)
input with eight 3x3 filters and pad 1 is (1, 8, 15, 15).
"""
from __future__ import annotations

import argparse
from typing import Sequence

import numpy as np

import dezero.functions as F
import dezero.layers as L
from dezero import Variable
from dezero.gradcheck import gradcheck


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    np.random.seed(0)

    x1 = np.random.rand(1, 3, 7, 7)
    col1 = F.im2col(x1, kernel_size=5, stride=1, pad=0, to_matrix=True)
    x2 = np.random.rand(10, 3, 7, 7)
    col2 = F.im2col(x2, kernel_size=(5, 5), stride=(1, 1), pad=(0, 0), to_matrix=True)
    print("im2col (1, 3, 7, 7), 5x5 kernel:", col1.shape, "; (10, 3, 7, 7):", col2.shape)
    print("row 0 is the top-left window, flattened:",
          np.array_equal(col1.data[0], x1[0, :, :5, :5].ravel()))

    # Each pixel appears in as many windows as cover it; col2im's sum counts them.
    x = Variable(np.ones((1, 1, 4, 4)))
    F.sum(F.im2col(x, kernel_size=3)).backward()
    print("backward of im2col (4x4 input, 3x3 kernel): windows covering each pixel")
    print(x.grad.data[0, 0].astype(int))

    N, C, H, W = 1, 5, 15, 15
    OC, (KH, KW) = 8, (3, 3)
    x = Variable(np.random.randn(N, C, H, W))
    Wt = np.random.randn(OC, C, KH, KW)
    y = F.conv2d_simple(x, Wt, b=None, stride=1, pad=1)
    y.backward()
    print("conv2d_simple:", y.shape, " x.grad:", x.grad.shape)
    print("conv2d gives the same values:",
          np.allclose(F.conv2d(x, Wt, None, 1, 1).data, y.data, rtol=1e-12, atol=1e-12))
    print("im2col @ reshaped filters gives the same values:",
          np.allclose((F.im2col(x, 3, 1, 1).data @ Wt.reshape(OC, -1).T)
                      .reshape(N, H, W, OC).transpose(0, 3, 1, 2), y.data, rtol=1e-12))

    rng = np.random.default_rng(0)
    xs = rng.standard_normal((2, 3, 5, 5))
    ws = rng.standard_normal((4, 3, 3, 3))
    bs = rng.standard_normal(4)
    print("gradients agree with finite differences:",
          "conv2d", gradcheck(lambda a, w, b: F.conv2d(a, w, b, stride=2, pad=1), xs, ws, bs),
          "| conv2d 2nd order", gradcheck(lambda a, w: F.conv2d(a, w, pad=1), xs, ws, order=2),
          "| pooling", gradcheck(lambda a: F.pooling(a, 2, 2), xs[:, :, :4, :4]),
          "| average_pooling", gradcheck(lambda a: F.average_pooling(a, 2, 2), xs))

    z = np.random.rand(1, 3, 8, 8)
    print("pooling (1, 3, 8, 8), 2x2 stride 2:", F.pooling(z, 2, 2).shape,
          "; 3x3 stride 2 pad 1:", F.pooling(z, 3, 2, pad=1).shape)

    conv = L.Conv2d(16, kernel_size=3, stride=1, pad=1)
    print("L.Conv2d(16, 3, pad=1): W before the first call:", conv.W.data)
    out = conv(np.random.rand(2, 3, 8, 8).astype(np.float32))
    print("after a (2, 3, 8, 8) float32 input: W", conv.W.shape, conv.W.dtype, ", b", conv.b.shape,
          ", output", out.shape, out.dtype)


if __name__ == "__main__":
    main()
