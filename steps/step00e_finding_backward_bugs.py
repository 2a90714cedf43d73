"""Prologue E: a network that does not learn, and the gradient check that finds why.

Docs: docs/tutorial/00-backprop-with-layers.md
Run: .venv/bin/python steps/step00e_finding_backward_bugs.py  (check its output: make step N=00e)

One of the study notes this prologue follows trained its two-layer network for
10,000 iterations and printed the same accuracy, about 10 %, at every
checkpoint: with ten classes, that is guessing.  Its Affine layer computed the
bias gradient from the bias itself, ``np.sum(self.b, axis=0)``, instead of from
the incoming derivative.  This script plants that slip together with a second
classic one -- a loss layer whose backward forgets to divide by the batch size
-- and reproduces the symptom: the loss stops moving and test accuracy sits at
chance.

Staring at the training curve says *that* something is wrong, not *what*.
The gradient check of prologue D says more:

1. On the whole network, every parameter disagrees with its numerical
   gradient.  W1 and W2 are off by exactly the batch size (the signature of a
   missing ``/ N``), while the backprop gradients of b1 and b2 are zero.
2. Checking each layer on its own (project its output onto a random direction
   r, so f = sum(r * layer(x)) is a scalar whose gradient is backward(r))
   points at exactly two places: SoftmaxWithLoss's dx and Affine's db.  ReLU
   and the rest of Affine pass.

With the two lines fixed the check passes everywhere and the same training run
learns.  (Why it was stuck: the gradient N times too large is a learning rate N
times too large, which drives every hidden ReLU negative -- once off, a ReLU
passes no gradient and never comes back -- while the frozen zero biases cannot
help.  All scores become equal and argmax always answers class 0.)
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
    """Affine -> ReLU -> Affine -> SoftmaxWithLoss with parameters W1, b1, W2, b2.

    ``affine`` and ``last_layer`` choose the layer classes, so the buggy and the
    fixed layers can be swapped in and out.
    """

    def __init__(self, input_size: int, hidden_size: int, output_size: int,
                 rng: np.random.Generator, weight_init_std: float = 0.01,
                 affine: type = Affine, last_layer: type = SoftmaxWithLoss) -> None:
        self.params = {
            "W1": weight_init_std * rng.standard_normal((input_size, hidden_size)),
            "b1": np.zeros(hidden_size),
            "W2": weight_init_std * rng.standard_normal((hidden_size, output_size)),
            "b2": np.zeros(output_size),
        }
        # The layers hold the very arrays in self.params, so updating a
        # parameter in place is seen by its layer.
        self.layers = OrderedDict()
        self.layers["Affine1"] = affine(self.params["W1"], self.params["b1"])
        self.layers["Relu1"] = Relu()
        self.layers["Affine2"] = affine(self.params["W2"], self.params["b2"])
        self.last_layer = last_layer()

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


class BuggyAffine(Affine):
    """Affine with the study note's slip: db summed from the bias, not from dout."""

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Like Affine.backward, but db = sum(b) -- always 0 for a zero-initialised bias."""
        self.dW = self.x.T @ dout
        self.db = np.sum(self.b, axis=0) * np.ones_like(self.b)  # BUG: should be dout.sum(axis=0)
        return dout @ self.W.T


class BuggySoftmaxWithLoss(SoftmaxWithLoss):
    """SoftmaxWithLoss whose backward forgets that the loss is a mean over the batch."""

    def backward(self, dout: float = 1.0) -> np.ndarray:
        """Returns dout * (y - t) -- N times too large."""
        return dout * (self.y - self.t)  # BUG: should be divided by N = self.t.shape[0]


def train(net: TwoLayerNet, x_train, t_train, x_test, t_test, epochs: int, batch_size: int,
          lr: float, rng: np.random.Generator) -> None:
    """Plain mini-batch SGD; prints the last batch loss and the test accuracy after each epoch."""
    n = len(x_train)
    for epoch in range(1, epochs + 1):
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            grads = net.gradient(x_train[idx], t_train[idx])
            for key, grad in grads.items():
                net.params[key] -= lr * grad  # in place: the layers share these arrays
        loss = net.loss(x_train[idx], t_train[idx])
        print(f"  epoch {epoch}: loss {loss:.4f}, test accuracy {net.accuracy(x_test, t_test):.3f}")


def check_network(net: TwoLayerNet, x: np.ndarray, t: np.ndarray) -> None:
    """Whole-network gradient check: which parameters disagree, and by what ratio."""
    numerical = net.numerical_gradient(x, t)
    backprop = net.gradient(x, t)
    for key in net.params:
        diff = float(np.mean(np.abs(backprop[key] - numerical[key])))
        if diff < 1e-6:
            print(f"  {key}: agrees (mean difference below 1e-6)")
            continue
        ratio = float(np.sum(backprop[key] * numerical[key]) / np.sum(numerical[key] ** 2))
        print(f"  {key}: DISAGREES, mean difference {diff:.3e}, "
              f"backprop is {ratio:.3f} x numerical")


def numerical_gradient(f, a: np.ndarray, h: float = 1e-4) -> np.ndarray:
    """Central-difference gradient of the scalar f() with respect to a (changed and restored)."""
    grad = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        saved = a[idx]
        a[idx] = saved + h
        f_plus = f()
        a[idx] = saved - h
        f_minus = f()
        a[idx] = saved
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad


def report(name: str, analytic: np.ndarray, numeric: np.ndarray) -> None:
    """Print whether one layer gradient matches its numerical value."""
    ok = float(np.max(np.abs(analytic - numeric))) < 1e-6
    print(f"  {name}: {'ok' if ok else 'WRONG'}")


def check_layers(affine_cls: type, loss_cls: type, rng: np.random.Generator) -> None:
    """Gradient check of each layer on its own, on small random inputs."""
    x = rng.standard_normal((4, 3))
    W, b = rng.standard_normal((3, 5)), rng.standard_normal(5)
    r = rng.standard_normal((4, 5))  # random upstream derivative

    affine = affine_cls(W, b)
    f = lambda: float(np.sum(r * affine.forward(x)))  # noqa: E731
    f()
    dx = affine.backward(r)
    dW, db = affine.dW, affine.db
    report("Affine dx", dx, numerical_gradient(f, x))
    report("Affine dW", dW, numerical_gradient(f, W))
    report("Affine db", db, numerical_gradient(f, b))

    relu = Relu()
    z = rng.standard_normal((4, 5))
    z[np.abs(z) < 1e-3] = 0.5  # keep clear of the kink, where the derivative jumps
    g = lambda: float(np.sum(r * relu.forward(z)))  # noqa: E731
    g()
    report("Relu dx", relu.backward(r), numerical_gradient(g, z))

    last = loss_cls()
    t = np.eye(5)[rng.integers(0, 5, 4)]
    h = lambda: last.forward(z, t)  # noqa: E731
    h()
    report("SoftmaxWithLoss dx", last.backward(1.0), numerical_gradient(h, z))


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--epochs", type=int, default=5, help="training epochs per run (default 5)")
    parser.add_argument("--lr", type=float, default=0.1, help="learning rate (default 0.1)")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    x_train, t_train, x_test, t_test = make_dataset(rng, n_train=2000, n_test=500)
    batch_size = 100
    init_seed = args.seed + 1  # both runs start from the same weights and shuffles

    print("== 1. training with the two planted bugs ==")
    buggy = TwoLayerNet(64, 50, 10, np.random.default_rng(init_seed), weight_init_std=0.1,
                        affine=BuggyAffine, last_layer=BuggySoftmaxWithLoss)
    train(buggy, x_train, t_train, x_test, t_test, args.epochs, batch_size, args.lr,
          np.random.default_rng(init_seed))
    scores = buggy.predict(x_test)
    print("  distinct predicted classes on the test set:", len(np.unique(scores.argmax(axis=1))))

    print()
    print("== 2. gradient check of the whole (freshly initialised) buggy network ==")
    check_rng = np.random.default_rng(init_seed)
    net = TwoLayerNet(64, 16, 10, check_rng, weight_init_std=0.1,
                      affine=BuggyAffine, last_layer=BuggySoftmaxWithLoss)
    check_network(net, x_train[:10], t_train[:10])

    print()
    print("== 3. gradient check layer by layer (buggy layers) ==")
    check_layers(BuggyAffine, BuggySoftmaxWithLoss, np.random.default_rng(init_seed))

    print()
    print("== 4. the fixed layers ==")
    check_layers(Affine, SoftmaxWithLoss, np.random.default_rng(init_seed))
    check_rng = np.random.default_rng(init_seed)
    net = TwoLayerNet(64, 16, 10, check_rng, weight_init_std=0.1)
    check_network(net, x_train[:10], t_train[:10])

    print()
    print("== 5. the same training run with the fixed layers ==")
    fixed = TwoLayerNet(64, 50, 10, np.random.default_rng(init_seed), weight_init_std=0.1)
    train(fixed, x_train, t_train, x_test, t_test, args.epochs, batch_size, args.lr,
          np.random.default_rng(init_seed))


if __name__ == "__main__":
    main()
