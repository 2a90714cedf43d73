"""Prologue B: activation layers ReLU and Sigmoid, forward and backward on arrays.

Docs: docs/tutorial/00-backprop-with-layers.md
Run: .venv/bin/python steps/step00b_relu_sigmoid_layers.py  (check its output: make step N=00b)

ReLU keeps positive inputs and zeroes the rest; its derivative is 1 where the
input was positive and 0 elsewhere, so the layer remembers a boolean mask of
the inputs it switched off and blocks the derivative there.  (Unlike the
book's version, ``backward`` here does not write into ``dout``: the caller may
still need that array.)

Sigmoid ``y = 1 / (1 + exp(-x))`` is shown twice.  First as a chain of four
elementary nodes (multiply by -1, exp, add 1, reciprocal), backpropagated one
node at a time exactly like the shopping bill of prologue A; then as one layer
whose backward uses the simplified closed form dy/dx = y (1 - y), which needs
only the remembered output.  Both agree, and both agree with a numerical
derivative.
"""
from __future__ import annotations

import argparse
from typing import Sequence

import numpy as np


class Relu:
    """ReLU layer ``max(0, x)`` elementwise; remembers where the input was <= 0."""

    def __init__(self) -> None:
        self.mask: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Return x with every non-positive entry replaced by 0."""
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Return dout with the entries of switched-off inputs set to 0 (a new array)."""
        dx = dout.copy()
        dx[self.mask] = 0
        return dx


class Sigmoid:
    """Sigmoid layer ``1 / (1 + exp(-x))``; backward needs only the output y."""

    def __init__(self) -> None:
        self.out: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Return the sigmoid of x and keep it."""
        self.out = 1 / (1 + np.exp(-x))
        return self.out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Return dout * y * (1 - y)."""
        return dout * self.out * (1.0 - self.out)


def sigmoid_node_by_node(x: np.ndarray, dout: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sigmoid as four elementary nodes; returns (y, dL/dx), each local derivative spelled out."""
    # forward: a = -x, b = exp(a), c = 1 + b, y = 1 / c
    a = -1 * x
    b = np.exp(a)
    c = 1 + b
    y = 1 / c
    # backward, last node first
    dc = dout * (-1 / c**2)   # d(1/c)/dc = -1/c^2 = -y^2
    db = dc * 1               # the add node passes it through
    da = db * b               # d(exp a)/da = exp a, i.e. the node's own output
    dx = da * -1              # the multiply node sends the other input, -1
    return y, dx


def numerical_derivative(f, x: np.ndarray, h: float = 1e-4) -> np.ndarray:
    """Elementwise central difference of an elementwise function f."""
    return (f(x + h) - f(x - h)) / (2 * h)


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    np.set_printoptions(precision=6, suppress=True)

    print("== ReLU ==")
    x = np.array([[1.0, -0.5], [-2.0, 3.0]])
    relu = Relu()
    print("x:\n", x)
    print("forward:\n", relu.forward(x))
    print("mask (x <= 0):\n", relu.mask)
    dout = np.array([[10.0, 20.0], [30.0, 40.0]])
    print("backward of", dout.tolist(), ":\n", relu.backward(dout))
    print("dout left unchanged:", dout.tolist() == [[10.0, 20.0], [30.0, 40.0]])

    print()
    print("== Sigmoid ==")
    x = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    dout = np.ones_like(x)
    sigmoid = Sigmoid()
    y = sigmoid.forward(x)
    dx_layer = sigmoid.backward(dout)
    y_nodes, dx_nodes = sigmoid_node_by_node(x, dout)
    dx_numeric = numerical_derivative(lambda v: 1 / (1 + np.exp(-v)), x)
    print("x:              ", x)
    print("y:              ", y)
    print("y(1-y) layer:   ", dx_layer)
    print("node by node:   ", dx_nodes)
    print("numerical:      ", dx_numeric)
    print("layer == nodes (to 1e-12):", bool(np.allclose(dx_layer, dx_nodes, rtol=0, atol=1e-12)))
    print("max |layer - numerical| < 1e-8:", bool(np.max(np.abs(dx_layer - dx_numeric)) < 1e-8))
    print("steepest at x = 0, slope", f"{dx_layer[2]:.4f}")


if __name__ == "__main__":
    main()
