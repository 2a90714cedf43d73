"""The dezero demo: gradients, Newton's method, tensors with broadcasting, and a graph picture.

Run with ``make demo`` (or ``python examples/demo.py --out DIR``). Needs no network.
"""
from __future__ import annotations

import argparse
import os

import numpy as np

import dezero.functions as F
from dezero import Variable
from dezero.utils import get_dot_graph


def gradients() -> None:
    print("== Gradients of a few functions at x = 0.5 ==")
    for name, f in [("sin(x)", F.sin), ("tanh(x)", F.tanh), ("exp(x) * x", lambda x: F.exp(x) * x),
                    ("x ** 3 / (1 + x)", lambda x: x ** 3 / (1 + x))]:
        x = Variable(np.array(0.5))
        y = f(x)
        y.backward()
        print(f"  {name:<18} y = {float(y.data):.6f}   dy/dx = {float(x.grad.data):.6f}")


def newton() -> None:
    print("== Newton's method on f(x) = x^4 - 2x^2 from x = 2 (second derivative by double backprop) ==")
    x = Variable(np.array(2.0))
    for i in range(10):
        y = x ** 4 - 2 * x ** 2
        x.cleargrad()
        y.backward(create_graph=True)
        gx = x.grad
        x.cleargrad()
        gx.backward()
        gx2 = x.grad
        print(f"  iteration {i}: x = {float(x.data):.10f}")
        if abs(float(gx.data)) < 1e-12:
            break
        x.data = x.data - gx.data / gx2.data


def tensors() -> None:
    print("== Tensors and broadcasting ==")
    x = Variable(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), name="x")
    b = Variable(np.array([10.0, 20.0, 30.0]), name="b")
    y = F.sum(F.tanh(x * 0.1) + b, axis=0)        # b is broadcast over the rows
    loss = F.sum(y * y)
    loss.backward()
    print(f"  y = {y.data}")
    print(f"  x.grad has shape {x.grad.shape}, b.grad = {b.grad.data} (summed back to (3,))")
    return loss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default=os.path.join("out", "demo"), help="folder for pictures")
    args = parser.parse_args()
    gradients()
    newton()
    loss = tensors()
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "tensor_graph.dot")
    with open(path, "w", encoding="utf-8") as f:
        f.write(get_dot_graph(loss, verbose=True))
    print(f"== Graph of the tensor example written to {path} ==")
    try:
        from dezero.utils import plot_dot_graph
        picture = plot_dot_graph(loss, verbose=True, to_file=os.path.join(args.out, "tensor_graph.png"))
        print(f"   and rendered to {picture.path}")
    except RuntimeError as e:  # Graphviz not installed: the DOT text above is still there
        print(f"   (not rendered: {str(e).splitlines()[0]})")


if __name__ == "__main__":
    main()
