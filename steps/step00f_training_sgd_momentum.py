"""Prologue F: training the two-layer network with SGD and with Momentum.

Docs: docs/tutorial/00-backprop-with-layers.md
Run: .venv/bin/python steps/step00f_training_sgd_momentum.py  (check its output: make step N=00f)

Training repeats four steps: draw a mini-batch, compute the gradient by
backpropagation (prologue D showed it is right), update the parameters, and
repeat.  The update rule is the *optimizer*:

* SGD moves each parameter a small step down its gradient: ``W -= lr * dW``.
* Momentum keeps a velocity ``v = momentum * v - lr * dW`` and moves by it,
  ``W += v``: steps along a direction that keeps its sign build up speed, and
  steps that flip sign from batch to batch cancel out, so it usually gets
  further in the same number of updates.

Both runs below start from the same weights and see the same batches, so the
only difference is the optimizer.  Parameters are updated in place
(``params[key] -= ...``): the layers hold those very arrays, and rebinding
``params[key] = params[key] - ...`` would give the dict a new array that the
layers never see -- the network would silently stop learning.

By default the data are generated (8x8 "images" around ten class prototypes),
so the output is reproducible and takes a second.  For the real thing pass
``--data-dir DIR`` with the four Fashion-MNIST IDX files
(``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``, each optionally
``.gz``); ``--data-dir`` alone uses /usr/share/datasets/fashion-mnist.
Nothing is downloaded.
"""
from __future__ import annotations

import argparse
import gzip
import os
from collections import OrderedDict
from typing import Sequence

import numpy as np

FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"
FASHION_MNIST_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "t_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "t_test": "t10k-labels-idx1-ubyte",
}


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
        self.loss_value: float | None = None

    def forward(self, x: np.ndarray, t: np.ndarray) -> float:
        """Return the mean cross-entropy of softmax(x) against t."""
        self.y, self.t = softmax(x), t
        log_y = np.log(np.maximum(self.y, np.finfo(self.y.dtype).tiny))
        self.loss_value = float(-np.sum(t * log_y) / t.shape[0])
        return self.loss_value

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

    def gradient(self, x: np.ndarray, t: np.ndarray) -> dict:
        """Gradients of the loss by backpropagation: one forward, one backward pass."""
        self.loss(x, t)
        dout = self.last_layer.backward(1.0)
        for layer in reversed(self.layers.values()):
            dout = layer.backward(dout)
        return {"W1": self.layers["Affine1"].dW, "b1": self.layers["Affine1"].db,
                "W2": self.layers["Affine2"].dW, "b2": self.layers["Affine2"].db}


def read_idx(path: str) -> np.ndarray:
    """Read an IDX file (the MNIST container format; gzip-compressed if it ends in .gz).

    The header is two zero bytes, a type code (0x08 = unsigned byte), the number
    of dimensions, then each dimension as a big-endian 32-bit integer.
    """
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"read_idx: {path} is not an unsigned-byte IDX file "
                         "(expected the header bytes 00 00 08 <ndim>)")
    ndim = raw[3]
    header_end = 4 + 4 * ndim
    shape = tuple(int(v) for v in np.frombuffer(raw[4:header_end], dtype=">u4"))
    data = np.frombuffer(raw[header_end:], dtype=np.uint8)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"read_idx: {path} holds {data.size} values but its header "
                         f"promises shape {shape}; the file is truncated or corrupt")
    return data.reshape(shape)


def load_fashion_mnist(data_dir: str):
    """Load Fashion-MNIST IDX files from data_dir: inputs (N, 784) in [0, 1], one-hot targets."""
    arrays = {}
    for key, name in FASHION_MNIST_FILES.items():
        candidates = [os.path.join(data_dir, name), os.path.join(data_dir, name + ".gz")]
        path = next((p for p in candidates if os.path.exists(p)), None)
        if path is None:
            raise FileNotFoundError(
                f"load_fashion_mnist: neither {name} nor {name}.gz is in {data_dir}; put the four "
                "Fashion-MNIST IDX files there, or run without --data-dir to use generated data")
        arrays[key] = read_idx(path)
    x_train = arrays["x_train"].reshape(len(arrays["x_train"]), -1) / 255.0
    x_test = arrays["x_test"].reshape(len(arrays["x_test"]), -1) / 255.0
    return x_train, np.eye(10)[arrays["t_train"]], x_test, np.eye(10)[arrays["t_test"]]


class SGD:
    """Stochastic gradient descent: ``param -= lr * grad``."""

    def __init__(self, lr: float = 0.01) -> None:
        self.lr = lr

    def update(self, params: dict, grads: dict) -> None:
        """Update every parameter in place."""
        for key in params:
            params[key] -= self.lr * grads[key]


class Momentum:
    """Momentum SGD: ``v = momentum * v - lr * grad; param += v``."""

    def __init__(self, lr: float = 0.01, momentum: float = 0.9) -> None:
        self.lr = lr
        self.momentum = momentum
        self.v: dict | None = None

    def update(self, params: dict, grads: dict) -> None:
        """Update every parameter in place; velocities start at zero."""
        if self.v is None:
            self.v = {key: np.zeros_like(value) for key, value in params.items()}
        for key in params:
            self.v[key] = self.momentum * self.v[key] - self.lr * grads[key]
            params[key] += self.v[key]


def train(net: TwoLayerNet, optimizer, data, epochs: int, batch_size: int,
          rng: np.random.Generator) -> None:
    """Mini-batch training; prints mean training loss and train/test accuracy per epoch."""
    x_train, t_train, x_test, t_test = data
    n = len(x_train)
    for epoch in range(1, epochs + 1):
        order = rng.permutation(n)
        total_loss, batches = 0.0, 0
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            grads = net.gradient(x_train[idx], t_train[idx])  # also computes this batch's loss
            total_loss += net.last_layer.loss_value
            batches += 1
            optimizer.update(net.params, grads)
        print(f"  epoch {epoch:2d}: loss {total_loss / batches:.4f}  "
              f"train acc {net.accuracy(x_train, t_train):.4f}  "
              f"test acc {net.accuracy(x_test, t_test):.4f}")


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", nargs="?", const=FASHION_MNIST_DIR, default=None,
                        help="folder with the Fashion-MNIST IDX files (alone: "
                             f"{FASHION_MNIST_DIR}); default: generated data")
    parser.add_argument("--epochs", type=int, default=5, help="epochs per optimizer (default 5)")
    parser.add_argument("--batch-size", type=int, default=100, help="mini-batch size (default 100)")
    parser.add_argument("--lr", type=float, default=0.1, help="learning rate (default 0.1)")
    parser.add_argument("--hidden", type=int, default=50, help="hidden units (default 50)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = parser.parse_args(argv)

    if args.data_dir is None:
        data = make_dataset(np.random.default_rng(args.seed), n_train=2000, n_test=500)
        print("data: generated, 2000 training and 500 test examples of 64 values")
    else:
        data = load_fashion_mnist(args.data_dir)
        print(f"data: Fashion-MNIST, {len(data[0])} training and {len(data[2])} test images")
    input_size = data[0].shape[1]

    for name, optimizer in [("SGD", SGD(lr=args.lr)),
                            ("Momentum", Momentum(lr=args.lr, momentum=0.9))]:
        print(f"== {name} (lr {args.lr}) ==")
        rng = np.random.default_rng(args.seed + 1)  # same start and batches for both
        net = TwoLayerNet(input_size, args.hidden, 10, rng, weight_init_std=0.1)
        train(net, optimizer, data, args.epochs, args.batch_size, rng)


if __name__ == "__main__":
    main()
