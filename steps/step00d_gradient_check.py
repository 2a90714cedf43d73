"""Prologue D: a two-layer network built from layers, and the gradient check.

Docs: docs/tutorial/00-backprop-with-layers.md
Run: .venv/bin/python steps/step00d_gradient_check.py  (check its output: make step N=00d)

The layers of prologues B and C snap together into a network
Affine -> ReLU -> Affine -> SoftmaxWithLoss, kept in an ordered dict so that
the forward pass walks them in order and the backward pass walks them in
reverse.  Backpropagation then gives the gradient of the loss with respect to
every parameter (W1, b1, W2, b2) for the price of about one more forward pass.

Numerical differentiation gives the same gradients far more slowly (two
forward passes per parameter entry) but with no backward code to get wrong.
That makes it the referee: the *gradient check* compares the two, parameter by
parameter, and the mean absolute difference should be tiny (here below 1e-6;
what remains is the truncation and rounding error of the finite difference).

The data are generated: 8x8 "images" (64 values in [0, 1]) drawn around ten
random class prototypes, so the script runs anywhere in well under a second.
"""
from __future__ import annotations

import argparse
from collections import OrderedDict
from typing import Sequence

import numpy as np


def make_dataset(rng: np.random.Generator, n_train: int, n_test: int, noise: float = 0.5,
                 n_classes: int = 10, size: int = 64):
    """Noisy copies of ``n_classes`` random prototypes; returns (x_train, t_train, x_test, t_test).

    Targets are one-hot (N, n_classes); inputs are clipped to [0, 1] like pixel values.
    """
    prototypes = rng.random((n_classes, size))

    def draw(n: int):
        labels = rng.integers(0, n_classes, n)
        x = prototypes[labels] + noise * rng.standard_normal((n, size))
        return np.clip(x, 0.0, 1.0), np.eye(n_classes)[labels]

    x_train, t_train = draw(n_train)
    x_test, t_test = draw(n_test)
    return x_train, t_train, x_test, t_test


def softmax(x: np.ndarray) -> np.ndarray:
    """Row-wise softmax, shifted by the row maximum so exp cannot overflow."""
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class Affine:
    """``x @ W + b``; backward stores dW and db and returns dx."""

    def __init__(self, W: np.ndarray, b: np.ndarray) -> None:
        self.W, self.b = W, b
        self.x = self.dW = self.db = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Return x @ W + b."""
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """dW = x.T @ dout, db = batch sum of dout; returns dout @ W.T."""
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return dout @ self.W.T


class Relu:
    """``max(0, x)``; backward blocks the derivative where the input was <= 0."""

    def __init__(self) -> None:
        self.mask = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Return x with non-positive entries set to 0."""
        self.mask = x <= 0
        return np.where(self.mask, 0.0, x)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Return dout with the switched-off entries set to 0."""
        return np.where(self.mask, 0.0, dout)


class SoftmaxWithLoss:
    """Softmax then mean cross-entropy against one-hot targets; backward (y - t) / N."""

    def __init__(self) -> None:
        self.y = self.t = None

    def forward(self, x: np.ndarray, t: np.ndarray) -> float:
        """Return the mean cross-entropy of softmax(x) against t."""
        self.y, self.t = softmax(x), t
        log_y = np.log(np.maximum(self.y, np.finfo(self.y.dtype).tiny))
        return float(-np.sum(t * log_y) / t.shape[0])

    def backward(self, dout: float = 1.0) -> np.ndarray:
        """Return dout * (y - t) / N."""
        return dout * (self.y - self.t) / self.t.shape[0]


class TwoLayerNet:
    """Affine -> ReLU -> Affine -> SoftmaxWithLoss with parameters W1, b1, W2, b2."""

    def __init__(self, input_size: int, hidden_size: int, output_size: int,
                 rng: np.random.Generator, weight_init_std: float = 0.01) -> None:
        self.params = {
            "W1": weight_init_std * rng.standard_normal((input_size, hidden_size)),
            "b1": np.zeros(hidden_size),
            "W2": weight_init_std * rng.standard_normal((hidden_size, output_size)),
            "b2": np.zeros(output_size),
        }
        # The layers hold the very arrays in self.params, so updating a
        # parameter in place is seen by its layer.
        self.layers = OrderedDict()
        self.layers["Affine1"] = Affine(self.params["W1"], self.params["b1"])
        self.layers["Relu1"] = Relu()
        self.layers["Affine2"] = Affine(self.params["W2"], self.params["b2"])
        self.last_layer = SoftmaxWithLoss()

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Class scores (before softmax) for a batch."""
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss(self, x: np.ndarray, t: np.ndarray) -> float:
        """Mean cross-entropy loss on a batch."""
        return self.last_layer.forward(self.predict(x), t)

    def accuracy(self, x: np.ndarray, t: np.ndarray) -> float:
        """Fraction of the batch whose highest score is the true class."""
        return float(np.mean(self.predict(x).argmax(axis=1) == t.argmax(axis=1)))

    def numerical_gradient(self, x: np.ndarray, t: np.ndarray, h: float = 1e-4) -> dict:
        """Gradients of the loss by central differences, entry by entry (slow; the referee)."""
        grads = {}
        for key, param in self.params.items():
            grad = np.zeros_like(param)
            for idx in np.ndindex(param.shape):
                saved = param[idx]
                param[idx] = saved + h
                loss_plus = self.loss(x, t)
                param[idx] = saved - h
                loss_minus = self.loss(x, t)
                param[idx] = saved
                grad[idx] = (loss_plus - loss_minus) / (2 * h)
            grads[key] = grad
        return grads

    def gradient(self, x: np.ndarray, t: np.ndarray) -> dict:
        """Gradients of the loss by backpropagation: one forward, one backward pass."""
        self.loss(x, t)
        dout = self.last_layer.backward(1.0)
        for layer in reversed(self.layers.values()):
            dout = layer.backward(dout)
        return {"W1": self.layers["Affine1"].dW, "b1": self.layers["Affine1"].db,
                "W2": self.layers["Affine2"].dW, "b2": self.layers["Affine2"].db}


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--batch", type=int, default=10, help="examples in the checked batch")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)

    x_train, t_train, _, _ = make_dataset(rng, n_train=100, n_test=1)
    # A larger initial scale than for training, so every gradient is clearly non-zero.
    net = TwoLayerNet(input_size=64, hidden_size=16, output_size=10, rng=rng,
                      weight_init_std=0.1)
    x_batch, t_batch = x_train[:args.batch], t_train[:args.batch]
    print(f"network 64 -> 16 -> 10, {sum(p.size for p in net.params.values())} parameters, "
          f"batch of {len(x_batch)}")
    print(f"loss: {net.loss(x_batch, t_batch):.6f}")

    grad_numerical = net.numerical_gradient(x_batch, t_batch)
    grad_backprop = net.gradient(x_batch, t_batch)
    print("gradient check (mean |backprop - numerical| per parameter):")
    worst = 0.0
    for key in net.params:
        diff = float(np.mean(np.abs(grad_backprop[key] - grad_numerical[key])))
        scale = float(np.mean(np.abs(grad_numerical[key])))
        worst = max(worst, diff)
        print(f"  {key}: mean |grad| = {scale:.3e}, difference below 1e-6: {diff < 1e-6}")
    print("all parameters agree:", worst < 1e-6)


if __name__ == "__main__":
    main()
