"""Helpers shared by the tests of the original DeZero examples' usage patterns
(tests/test_compat_examples*.py)."""
from __future__ import annotations

import numpy as np

import dezero


def tiny_mnist_class(n: int = 20, size: int = 28, seed: int = 0):
    """A ``dezero.datasets.MNIST`` subclass whose ``prepare`` makes ``n`` random images of
    ``size`` x ``size`` (uint8, (N, 1, H, W)) and uint8 labels 0..9, instead of downloading."""

    class TinyMNIST(dezero.datasets.MNIST):
        def prepare(self):
            rng = np.random.RandomState(seed + (0 if self.train else 1))
            self.data = rng.randint(0, 256, (n, 1, size, size)).astype(np.uint8)
            self.label = (np.arange(n) % 10).astype(np.uint8)

    return TinyMNIST


def params_snapshot(layer):
    return [p.data.copy() for p in layer.params()]


def changed(before, layer):
    return [not np.array_equal(b, p.data) for b, p in zip(before, layer.params())]


def np_sigmoid(x):
    return 1 / (1 + np.exp(-x))
