"""Prologue C: the Affine layer and the Softmax-with-cross-entropy loss layer.

Docs: docs/tutorial/00-backprop-with-layers.md
Run: .venv/bin/python steps/step00c_affine_softmax_layers.py  (check its output: make step N=00c)

An Affine layer computes its output Y = X @ W + b for a whole batch X of
shape (N, D), with weights W of shape (D, M) and a bias b of shape (M,); Y has
shape (N, M).  L is the scalar loss that the layers after it compute from Y,
and dL/dY, of shape (N, M), is what their backward hands to this one: the
derivative of L with respect to each entry of Y (``dout`` in the code).  The
Affine backward follows from the multiply rule of prologue A written for
matrices, with the transposes that make the shapes fit:

* dL/dX = dL/dY @ W.T          (N, D)
* dL/dW = X.T @ dL/dY          (D, M)  -- shaped like W, as every gradient is
* dL/db = sum of dL/dY over the batch axis  (M,)  -- b was broadcast to every row

The output layer turns scores into probabilities with softmax and measures
them with the cross-entropy error against the true class.  Taken together,
the two have the tidy backward ``(y - t) / N``: probability minus one-hot
target, averaged over the batch.  (Softmax subtracts each row's maximum first
so that ``exp`` cannot overflow; the result is unchanged.)

Every analytic gradient is compared with a numerical one, computed by nudging
each entry of W, b and X by +-h and re-running the forward pass.
"""
from __future__ import annotations

import argparse
from typing import Callable, Sequence

import numpy as np


def softmax(x: np.ndarray) -> np.ndarray:
    """Row-wise softmax of a (N, C) score array, shifted by the row maximum for stability."""
    shifted = x - x.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def cross_entropy_error(y: np.ndarray, t: np.ndarray) -> float:
    """Mean over the batch of -log(probability given to the true class); t is one-hot (N, C)."""
    n = y.shape[0]
    # Clip at the smallest positive float rather than add the book's 1e-7: a
    # constant added inside the log would make (y - t) / N slightly inexact.
    return float(-np.sum(t * np.log(np.maximum(y, np.finfo(y.dtype).tiny))) / n)


class Affine:
    """Fully connected layer ``x @ W + b``; keeps x and stores dW, db on backward."""

    def __init__(self, W: np.ndarray, b: np.ndarray) -> None:
        self.W = W
        self.b = b
        self.x: np.ndarray | None = None
        self.dW: np.ndarray | None = None
        self.db: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Return x @ W + b."""
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Store dW = x.T @ dout and db = dout summed over the batch; return dout @ W.T."""
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return dout @ self.W.T


class SoftmaxWithLoss:
    """Softmax followed by cross-entropy error; backward is (y - t) / N."""

    def __init__(self) -> None:
        self.y: np.ndarray | None = None
        self.t: np.ndarray | None = None
        self.loss: float | None = None

    def forward(self, x: np.ndarray, t: np.ndarray) -> float:
        """Return the mean cross-entropy of softmax(x) against one-hot targets t."""
        self.t = t
        self.y = softmax(x)
        self.loss = cross_entropy_error(self.y, t)
        return self.loss

    def backward(self, dout: float = 1.0) -> np.ndarray:
        """Return dout * (y - t) / N, the gradient of the mean loss with respect to the scores."""
        n = self.t.shape[0]
        return dout * (self.y - self.t) / n


def numerical_gradient(f: Callable[[], float], a: np.ndarray, h: float = 1e-4) -> np.ndarray:
    """Gradient of the scalar f() with respect to array a, by central differences on each entry.

    ``a`` is changed in place and restored, so f must read it (not a copy).
    """
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


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = parser.parse_args(argv)
    np.set_printoptions(precision=4, suppress=True)
    rng = np.random.default_rng(args.seed)

    print("== softmax of one row of scores ==")
    scores = np.array([[0.3, 2.9, 4.0]])
    probs = softmax(scores)
    print("scores:", scores[0], " probabilities:", probs[0], " sum:", f"{probs.sum():.4f}")
    big = scores + 1000.0  # exp(1000) overflows; the max shift makes it harmless
    print("same after adding 1000 to every score:", bool(np.allclose(softmax(big), probs)))

    print()
    print("== Affine (3 -> 4) then SoftmaxWithLoss, batch of 2 ==")
    x = rng.standard_normal((2, 3))
    W = rng.standard_normal((3, 4))
    b = rng.standard_normal(4)
    t = np.eye(4)[[1, 3]]  # true classes 1 and 3, one-hot
    affine, last = Affine(W, b), SoftmaxWithLoss()

    def loss() -> float:
        return last.forward(affine.forward(x), t)

    print("loss:", f"{loss():.6f}")
    dscores = last.backward()
    dx = affine.backward(dscores)
    print("y - t over N:\n", dscores)
    print("shapes  dx", dx.shape, " dW", affine.dW.shape, " db", affine.db.shape)
    for name, analytic, array in [("x", dx, x), ("W", affine.dW, W), ("b", affine.db, b)]:
        numeric = numerical_gradient(loss, array)
        diff = np.max(np.abs(analytic - numeric))
        print(f"d{name}: max |backprop - numerical| < 1e-8: {bool(diff < 1e-8)}")
    print("db equals the batch sum of y - t:", bool(np.allclose(affine.db, dscores.sum(axis=0))))


if __name__ == "__main__":
    main()
