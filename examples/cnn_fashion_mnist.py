"""Classify Fashion-MNIST clothing images with a small convolutional network (two conv + pooling).

Run ``python examples/cnn_fashion_mnist.py`` (options: ``--help``). The network is
conv 3x3 (16) -> ReLU -> 2x2 max pool -> conv 3x3 (32) -> ReLU -> 2x2 max pool -> Linear (128)
-> ReLU -> dropout -> Linear (10), trained by Adam with a cosine learning-rate decay. The data are
read from ``--data-dir`` or the places listed in :class:`dezero.datasets.FashionMNIST`. Prints one
line per epoch, the final test accuracy and the training time per epoch; writes the loss and
accuracy curves to ``<out>/curves.png``.
"""
from __future__ import annotations

import functools
import os

import _common

import dezero.functions as F
import dezero.layers as L
from dezero import DataLoader, optimizers
from dezero.datasets import FashionMNIST
from dezero.models import Sequential
from dezero.transforms import Compose, Normalize, ToFloat


def build_model(channels: list[int], hidden: int, dropout: float) -> Sequential:
    """Two conv -> ReLU -> max-pool stages, then Linear -> ReLU -> dropout -> Linear(10)."""
    pool = functools.partial(F.pooling, kernel_size=2, stride=2)
    c1, c2 = channels
    return Sequential(L.Conv2d(c1, 3, pad=1), F.relu, pool,
                      L.Conv2d(c2, 3, pad=1), F.relu, pool,
                      F.flatten, L.Linear(hidden), F.relu,
                      functools.partial(F.dropout, dropout_ratio=dropout), L.Linear(10))


def main(argv: list[str] | None = None) -> float:
    """Train and evaluate; return the final test accuracy."""
    parser = _common.make_parser("cnn_fashion_mnist", __doc__.splitlines()[0], epochs=10,
                                 batch_size=100, lr=1e-3, data_dir=True)
    parser.add_argument("--channels", type=_common.positive_int, nargs=2, default=[16, 32],
                        metavar=("C1", "C2"), help="output channels of the two conv layers")
    parser.add_argument("--hidden", type=_common.positive_int, default=128,
                        help="size of the hidden Linear layer")
    parser.add_argument("--dropout", type=float, default=0.3,
                        help="dropout ratio before the last layer (0 for none)")
    args = parser.parse_args(argv)
    if not 0 <= args.dropout < 1:
        parser.error(f"--dropout must be in [0, 1), got {args.dropout}")

    # Images stay (1, 28, 28) for the convolutions: float32 in [0, 1], not flattened.
    image = Compose([ToFloat(), Normalize(0.0, 255.0)])
    train_set = _common.take_first(
        FashionMNIST(train=True, transform=image, data_dir=args.data_dir), args.train_size)
    test_set = _common.take_first(
        FashionMNIST(train=False, transform=image, data_dir=args.data_dir), args.test_size)
    _common.seed(args.seed)
    model = build_model(args.channels, args.hidden, args.dropout)
    optimizer = optimizers.Adam(alpha=args.lr).setup(model)
    c1, c2 = args.channels
    print(f"CNN conv{c1}-pool-conv{c2}-pool-{args.hidden}-10, dropout {args.dropout}, Adam "
          f"(alpha {args.lr}, cosine decay), batch {args.batch_size}; "
          f"{len(train_set)} training / {len(test_set)} test images")
    history = _common.train_classifier(
        model, optimizer, DataLoader(train_set, args.batch_size),
        DataLoader(test_set, 500, shuffle=False), args.epochs, args.progress,
        before_epoch=_common.cosine_schedule(optimizer, args.lr, args.epochs))
    accuracy = history["test_acc"][-1]
    print(f"final test accuracy: {accuracy:.4f}")
    _common.report_time(history)
    _common.save_curves(history, os.path.join(args.out, "curves.png"),
                        "CNN on Fashion-MNIST")
    return accuracy


if __name__ == "__main__":
    main()
