"""Step 58: a representative CNN -- VGG16.

Docs: docs/tutorial/10-cnn-and-rnn.md
Run: .venv/bin/python steps/step58.py  (check its output: make step N=58)

VGG16 (Simonyan and Zisserman, 2014) is 13 convolutions and 3 fully
connected layers, all with ReLU, built by one rule: 3x3 convolutions with
padding 1 (they keep the size), in five stages of 2, 2, 3, 3, 3 layers with
64, 128, 256, 512, 512 channels, each stage ended by 2x2 max pooling (which
halves the size).  A 224x224 image leaves the last stage as 512 maps of
7x7; ``fc6`` and ``fc7`` (4096 units, with dropout) and ``fc8`` (1000
ImageNet classes) follow.

``dezero.models.VGG16()`` builds it with the layer names of Chainer and
DeZero (``conv1_1`` ... ``conv5_3``, ``fc6`` ... ``fc8``), so the book's
pretrained file loads into it; ``VGG16(pretrained=True)`` downloads that
file (about 530 MB) and ``VGG16.preprocess(pil_image)`` prepares a picture.
This script downloads nothing: it uses random weights and, to stay quick,
a small input (``--size``, default 32; 224 is the real size), walks the
stages printing each layer's output shape, and counts the parameters the
real 224x224 network has: 138,357,544, of which fc6 alone holds 102.8M.
"""
from __future__ import annotations

import argparse
from typing import Sequence

import numpy as np

import dezero
import dezero.functions as F
from dezero.models import VGG16

STAGES = ((1, 2), (2, 2), (3, 3), (4, 3), (5, 3))  # (stage, convolutions in it)


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=32,
                        help="input height and width, a multiple of 32 (default 32; real: 224)")
    args = parser.parse_args(argv)
    if args.size < 32 or args.size % 32:
        parser.error("--size must be a positive multiple of 32 (five poolings halve it)")

    np.random.seed(0)
    model = VGG16()
    x = np.random.rand(1, 3, args.size, args.size).astype(np.float32)
    print("input", x.shape, x.dtype)

    h = x
    with dezero.test_mode(), dezero.no_grad():
        for stage, count in STAGES:
            for i in range(1, count + 1):
                name = f"conv{stage}_{i}"
                h = F.relu(getattr(model, name)(h))
                print(f"  {name:8s} W {str(getattr(model, name).W.shape):18s} -> {h.shape}")
            h = F.pooling(h, 2, 2)
            print(f"  pool{stage}    {'':20s} -> {h.shape}")
        h = F.reshape(h, (h.shape[0], -1))
        for name in ("fc6", "fc7", "fc8"):
            h = getattr(model, name)(h)
            if name != "fc8":
                h = F.relu(h)
            print(f"  {name:8s} W {str(getattr(model, name).W.shape):18s} -> {h.shape}")

        y = model(x)
        print("model(x):", y.shape, y.dtype, "; the walk above computed the same scores:",
              bool(np.allclose(y.data, h.data, rtol=1e-5, atol=1e-6)))
        print("test mode: two forward passes agree:", np.array_equal(model(x).data, y.data))
    with dezero.no_grad():
        print("training mode (dropout on): two forward passes differ:",
              not np.array_equal(model(x).data, model(x).data))

    here = sum(p.size for p in model.params())
    fc6_inputs_224 = 512 * 7 * 7
    conv_and_later = here - model.fc6.W.size
    real = conv_and_later + fc6_inputs_224 * 4096
    print(f"parameters here: {here:,}; at 224x224 fc6.W is ({fc6_inputs_224}, 4096), "
          f"and the total is {real:,}")


if __name__ == "__main__":
    main()
