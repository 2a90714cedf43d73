"""Step 61: forward mode -- derivatives carried along with the values, by dual numbers.

Docs: docs/tutorial/11-beyond-backward.md
Run: .venv/bin/python steps/step61_dual_numbers.py  (check its output: make step N=61)

Backpropagation (steps 7 to 60) first runs the function and then walks its
graph backwards.  Forward mode needs no graph at all: every number carries
its derivative with it.  A *dual number* is a pair (value, tangent), and
each operation computes the value as usual and the tangent by the chain
rule, on the spot:

    (a, a') + (b, b') = (a + b, a' + b')
    (a, a') * (b, b') = (a b, a' b + a b')
    sin((a, a'))      = (sin a, cos(a) a')
    exp((a, a'))      = (exp a, exp(a) a')

Call f on (x, 1) and the result is (f(x), f'(x)): one pass gives both.  The
``Dual`` class below has just these four operations; the script compares
its derivative of f(x) = sin(x) exp(x) + 3 x x with dezero's backward and
with ``dezero.func.jvp``, and with the derivative worked out by hand.

Then it counts passes.  A tangent is a direction in the *input* space: one
forward pass gives the derivative along one input direction, so the
gradient of f: R^n -> R takes n forward passes but one backward pass.  A
cotangent is a direction in the *output* space: one backward pass gives the
derivative of one output, so the Jacobian of g: R -> R^m takes one forward
pass but m backward passes.  Reverse mode wins for losses (many inputs, one
output); forward mode for few inputs and many outputs.
"""
from __future__ import annotations

import argparse
import math
from typing import Sequence

import numpy as np

import dezero.functions as F
from dezero import Variable
from dezero.func import jvp, vjp


class Dual:
    """A value and its tangent (derivative along one input direction)."""

    def __init__(self, value: float, tangent: float = 0.0) -> None:
        self.value = value
        self.tangent = tangent

    def __add__(self, other: Dual | float) -> Dual:
        other = as_dual(other)
        return Dual(self.value + other.value, self.tangent + other.tangent)

    __radd__ = __add__

    def __mul__(self, other: Dual | float) -> Dual:
        other = as_dual(other)
        return Dual(self.value * other.value,
                    self.tangent * other.value + self.value * other.tangent)

    __rmul__ = __mul__

    def __repr__(self) -> str:
        return f"Dual({self.value:.6f}, {self.tangent:.6f})"


def as_dual(x: Dual | float) -> Dual:
    """A constant is a dual number whose tangent is 0."""
    return x if isinstance(x, Dual) else Dual(float(x), 0.0)


def sin(x: Dual) -> Dual:
    return Dual(math.sin(x.value), math.cos(x.value) * x.tangent)


def exp(x: Dual) -> Dual:
    e = math.exp(x.value)
    return Dual(e, e * x.tangent)


def f(x, sin=sin, exp=exp):
    """sin(x) exp(x) + 3 x x, written once for Duals and (with F.sin, F.exp) for Variables."""
    return sin(x) * exp(x) + 3 * x * x


PASSES = {"forward": 0}


def h(xs: list[Dual]) -> Dual:
    """R^n -> R: sum of x_i sin(x_i); each call is one forward pass."""
    PASSES["forward"] += 1
    total = Dual(0.0)
    for x in xs:
        total = total + x * sin(x)
    return total


def curve(t: Dual) -> list[Dual]:
    """R -> R^m: the point (sin t, exp t, t t, 2 t) of a curve; one forward pass per call."""
    PASSES["forward"] += 1
    return [sin(t), exp(t), t * t, 2 * t]


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--x", type=float, default=0.5, help="where to differentiate f "
                                                               "(default 0.5)")
    parser.add_argument("--n", type=int, default=5, help="inputs of h: R^n -> R (default 5)")
    args = parser.parse_args(argv)
    x0 = args.x

    # -- one derivative, three ways --------------------------------------------------------
    y = f(Dual(x0, 1.0))
    print(f"f(Dual({x0}, 1)) = {y}")
    by_hand = math.cos(x0) * math.exp(x0) + math.sin(x0) * math.exp(x0) + 6 * x0
    print(f"by hand: f'(x) = (cos x + sin x) exp x + 6 x = {by_hand:.6f}")

    x = Variable(np.array(x0))
    f(x, F.sin, F.exp).backward()
    print(f"dezero backward:  {float(x.grad.data):.6f}")
    _, dot = jvp(lambda v: f(v, F.sin, F.exp), (np.array(x0),), (np.array(1.0),))
    print(f"dezero.func.jvp:  {float(dot.data):.6f}")
    print("all four agree to 1e-12:",
          all(abs(v - by_hand) < 1e-12
              for v in (y.tangent, float(x.grad.data), float(dot.data))))

    # -- R^n -> R: a gradient costs n forward passes, one backward pass --------------------
    n = args.n
    point = [round(0.1 * (i + 1), 1) for i in range(n)]
    print(f"\nh: R^{n} -> R, h(x) = sum x_i sin x_i, at x = {point}")
    PASSES["forward"] = 0
    forward_grad = []
    for i in range(n):  # seed the tangent with the i-th basis vector
        out = h([Dual(v, 1.0 if j == i else 0.0) for j, v in enumerate(point)])
        forward_grad.append(out.tangent)
    print(f"forward mode: {PASSES['forward']} passes, gradient",
          np.round(forward_grad, 6).tolist())
    xv = Variable(np.array(point))
    backward_passes = 0
    hv = F.sum(xv * F.sin(xv))
    hv.backward()
    backward_passes += 1
    print(f"reverse mode: 1 forward + {backward_passes} backward pass, gradient",
          np.round(xv.grad.data, 6).tolist())
    print("same gradient:", np.allclose(forward_grad, xv.grad.data, rtol=0, atol=1e-12))

    # -- R -> R^m: the Jacobian (a column) costs one forward pass, m backward passes --------
    t0 = 0.5
    PASSES["forward"] = 0
    column = [c.tangent for c in curve(Dual(t0, 1.0))]
    m = len(column)
    print(f"\ncurve: R -> R^{m}, c(t) = (sin t, exp t, t t, 2 t), at t = {t0}")
    print(f"forward mode: {PASSES['forward']} pass, dc/dt =", np.round(column, 6).tolist())

    backward_passes = 0
    _, pullback = vjp(lambda t: F.stack([F.sin(t), F.exp(t), t * t, 2 * t]), np.array(t0))
    rows = []
    for i in range(m):  # one backward pass per output: u = the i-th basis vector
        (g,) = pullback(np.eye(m)[i])
        backward_passes += 1
        rows.append(float(g.data))
    print(f"reverse mode: 1 forward + {backward_passes} backward passes, dc/dt =",
          np.round(rows, 6).tolist())
    print("same column:", np.allclose(column, rows, rtol=0, atol=1e-12))
    print("\npasses for the whole Jacobian of R^n -> R^m: forward mode n, reverse mode m")
    print("  (dezero.func.jacobian picks the mode with fewer passes: min(n, m))")


if __name__ == "__main__":
    main()
