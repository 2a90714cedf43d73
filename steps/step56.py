"""Step 56: CNN mechanics (2) -- channels, filters, batches, and pooling.

Docs: docs/tutorial/10-cnn-and-rnn.md
Run: .venv/bin/python steps/step56.py  (check its output: make step N=56)

Real images have channels (3 for RGB), and a layer applies many filters:

* input  x: (N, C, H, W)        N images of C channels;
* filter W: (OC, C, KH, KW)     OC filters, each spanning all C channels;
* bias   b: (OC,)               one per filter;
* output y: (N, OC, OH, OW)     one channel per filter.

Each output channel is the sum over the C input channels of step 55's
single-channel convolution, plus its bias.  (The book has no code for this
step; this script writes the definition out as loops and checks
``F.conv2d`` against it.)

Pooling shrinks the height and width: max pooling takes the largest value
in each window (2x2 windows with stride 2 halve each side), average pooling
the mean.  It has no parameters, works on every channel separately, and
makes the output tolerate small shifts of the input.  Max pooling pads
with -infinity, so a padded border never wins the max (the book's version
pads with 0, which is wrong for negative inputs).
"""
from __future__ import annotations

import argparse
from typing import Sequence

import numpy as np

import dezero.functions as F
from dezero.utils import get_conv_outsize


def conv_by_loops(x: np.ndarray, W: np.ndarray, b: np.ndarray, stride: int, pad: int) -> np.ndarray:
    """The definition: y[n, o, i, j] = b[o] + sum over c, di, dj of x_padded * W[o, c]."""
    N, C, H, Wd = x.shape
    OC, _, KH, KW = W.shape
    OH, OW = get_conv_outsize(H, KH, stride, pad), get_conv_outsize(Wd, KW, stride, pad)
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    y = np.zeros((N, OC, OH, OW))
    for n in range(N):
        for o in range(OC):
            for i in range(OH):
                for j in range(OW):
                    patch = xp[n, :, i * stride:i * stride + KH, j * stride:j * stride + KW]
                    y[n, o, i, j] = np.sum(patch * W[o]) + b[o]
    return y


def max_pool_by_loops(x: np.ndarray, k: int, stride: int) -> np.ndarray:
    """Max over each k x k window, per image and channel."""
    N, C, H, W = x.shape
    OH, OW = get_conv_outsize(H, k, stride, 0), get_conv_outsize(W, k, stride, 0)
    y = np.empty((N, C, OH, OW))
    for i in range(OH):
        for j in range(OW):
            window = x[:, :, i * stride:i * stride + k, j * stride:j * stride + k]
            y[:, :, i, j] = window.max(axis=(2, 3))
    return y


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)

    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 7, 7))
    W = rng.standard_normal((4, 3, 3, 3))
    b = rng.standard_normal(4)
    for stride, pad in [(1, 0), (1, 1), (2, 1)]:
        y = F.conv2d(x, W, b, stride=stride, pad=pad)
        same = np.allclose(y.data, conv_by_loops(x, W, b, stride, pad), rtol=1e-12, atol=1e-12)
        print(f"x {x.shape} * W {W.shape}, stride {stride}, pad {pad} -> y {y.shape}; "
              f"matches the loops: {same}")

    # one output channel is the sum of per-channel convolutions
    per_channel = sum(conv_by_loops(x[:, c:c + 1], W[:1, c:c + 1], np.zeros(1), 1, 0)
                      for c in range(3))
    print("output channel 0 = sum over the 3 input channels + b[0]:",
          np.allclose(F.conv2d(x, W, b).data[:, :1], per_channel + b[0], rtol=1e-12))

    image = np.array([[[[1, 2, 1, 0], [0, 1, 2, 3], [3, 0, 1, 2], [2, 4, 0, 1]]]], dtype=float)
    print("max pooling 2x2, stride 2 of")
    print(image[0, 0].astype(int))
    print("->", F.pooling(image, 2, 2).data[0, 0].astype(int).tolist(),
          "  average ->", F.average_pooling(image, 2, 2).data[0, 0].tolist())
    z = rng.standard_normal((2, 3, 6, 6))
    print("F.pooling on (2, 3, 6, 6) matches the loops:",
          np.array_equal(F.pooling(z, 2, 2).data, max_pool_by_loops(z, 2, 2)))
    negative = -np.ones((1, 1, 2, 2))
    pooled = F.pooling(negative, 2, 2, pad=1).data.ravel().tolist()
    print("max pooling of all -1 with pad 1:", pooled, "(padding never wins)")


if __name__ == "__main__":
    main()
