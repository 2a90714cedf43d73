"""Step 55: CNN mechanics (1) -- convolution, padding, stride, and the output size.

Docs: docs/tutorial/10-cnn-and-rnn.md
Run: .venv/bin/python steps/step55.py  (check its output: make step N=55)

A convolution slides a small filter (kernel) over an image; at each position
it multiplies the filter with the patch under it, element by element, and
adds up: one output value per position.  Two settings change the positions:

* padding P: a border of P zeros around the input, so the filter can be
  centred on edge pixels too (3x3 with P = 1 keeps the size);
* stride S: the step between positions (S = 2 halves the size).

For input size H, kernel size KH, padding P and stride S the output size is

    OH = (H + 2P - KH) // S + 1,

``dezero.utils.get_conv_outsize(H, KH, S, P)``.  The book's example: a 4x4
input, 3x3 kernel, stride 1, padding 1 gives 4.  The script computes the
classic 4x4 example by hand (output [[15, 16], [6, 15]] without padding)
with plain loops and compares with ``F.conv2d``.
"""
from __future__ import annotations

import argparse
from typing import Sequence

import numpy as np

import dezero.functions as F
from dezero.utils import get_conv_outsize


def convolve(image: np.ndarray, kernel: np.ndarray, stride: int = 1, pad: int = 0) -> np.ndarray:
    """2-D convolution (cross-correlation, as in CNNs) of one image with one kernel, by loops."""
    image = np.pad(image, pad)
    kh, kw = kernel.shape
    oh = get_conv_outsize(image.shape[0], kh, stride, 0)
    ow = get_conv_outsize(image.shape[1], kw, stride, 0)
    out = np.zeros((oh, ow))
    for i in range(oh):
        for j in range(ow):
            patch = image[i * stride:i * stride + kh, j * stride:j * stride + kw]
            out[i, j] = np.sum(patch * kernel)
    return out


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)

    H, W = 4, 4
    KH, KW = 3, 3
    SH, SW = 1, 1
    PH, PW = 1, 1
    print("4x4 input, 3x3 kernel, stride 1, pad 1:",
          get_conv_outsize(H, KH, SH, PH), "x", get_conv_outsize(W, KW, SW, PW))
    for size, k, s, p in [(4, 3, 1, 0), (7, 3, 2, 0), (7, 3, 2, 1), (28, 5, 1, 2), (224, 7, 2, 3)]:
        print(f"  H={size:3d} KH={k} S={s} P={p}: OH = ({size} + {2 * p} - {k}) // {s} + 1 = "
              f"{get_conv_outsize(size, k, s, p)}")

    image = np.array([[1, 2, 3, 0], [0, 1, 2, 3], [3, 0, 1, 2], [2, 3, 0, 1]], dtype=float)
    kernel = np.array([[2, 0, 1], [0, 1, 2], [1, 0, 2]], dtype=float)
    by_hand = convolve(image, kernel)
    print("by loops, no padding:", by_hand.tolist())
    print("with bias 3:", (by_hand + 3).tolist())
    padded = convolve(image, kernel, pad=1)
    print("by loops, pad 1:", padded.astype(int).tolist())
    strided = convolve(image, kernel, stride=2, pad=1)
    print("by loops, pad 1, stride 2:", strided.astype(int).tolist())

    # F.conv2d works on batches of multi-channel images: (N, C, H, W) and (OC, C, KH, KW).
    x = image[np.newaxis, np.newaxis]
    w = kernel[np.newaxis, np.newaxis]
    for pad, stride, expected in [(0, 1, by_hand), (1, 1, padded), (1, 2, strided)]:
        y = F.conv2d(x, w, stride=stride, pad=pad)
        print(f"F.conv2d pad={pad} stride={stride}: shape {y.shape}, equals the loops: "
              f"{np.array_equal(y.data[0, 0], expected)}")


if __name__ == "__main__":
    main()
