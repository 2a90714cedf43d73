"""Step 41: the matrix product and its gradients.

Docs: docs/tutorial/07-tensors.md
Run: .venv/bin/python steps/step41.py  (check its output: make step N=41)

For y = x W with x (N, D) and W (D, H), and any scalar loss L downstream:

    dL/dx = dL/dy W^T      (N, H) (H, D) -> (N, D)
    dL/dW = x^T dL/dy      (D, N) (N, H) -> (D, H)

The shapes alone pin the formulas down: each gradient must have the shape of
its variable, and there is only one way to multiply the available matrices
to get it.  ``F.matmul(x, W)``, ``x.matmul(W)``, ``x.dot(W)`` and ``x @ W``
are the same Function.  The script checks both formulas against central
differences, element by element.
"""
from __future__ import annotations

import argparse
from typing import Callable, Sequence

import numpy as np

import dezero.functions as F
from dezero import Variable


def numerical_grad(f: Callable[[], float], a: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of the scalar function f at the array a."""
    grad = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        old = a[idx]
        a[idx] = old + h
        plus = f()
        a[idx] = old - h
        minus = f()
        a[idx] = old
        grad[idx] = (plus - minus) / (2 * h)
    return grad


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)

    rng = np.random.default_rng(0)
    x_data = rng.standard_normal((2, 3))
    W_data = rng.standard_normal((3, 4))
    x = Variable(x_data.copy())
    W = Variable(W_data.copy())
    y = F.matmul(x, W)
    y.backward()
    print("x", x.shape, "@ W", W.shape, "->", y.shape)
    print("x.grad shape:", x.grad.shape, "  W.grad shape:", W.grad.shape)

    # A loss that weights every output differently, so gy is not all ones.
    weights = rng.standard_normal((2, 4))
    x.cleargrad()
    W.cleargrad()
    F.sum((x @ W) * weights).backward()
    print("dL/dx = gy W^T:", np.allclose(x.grad.data, weights @ W_data.T),
          "  dL/dW = x^T gy:", np.allclose(W.grad.data, x_data.T @ weights))

    def loss() -> float:
        return float(np.sum((x_data @ W_data) * weights))
    print("agree with central differences:",
          np.allclose(x.grad.data, numerical_grad(loss, x_data), atol=1e-6),
          np.allclose(W.grad.data, numerical_grad(loss, W_data), atol=1e-6))
    print("F.matmul, x.matmul, x.dot and @ agree:",
          all(np.array_equal(v.data, y.data) for v in (x.matmul(W), x.dot(W), x @ W)))


if __name__ == "__main__":
    main()
