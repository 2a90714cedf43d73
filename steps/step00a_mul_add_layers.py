"""Prologue A: backpropagation by hand with a multiply layer and an add layer.

Docs: docs/tutorial/00-backprop-with-layers.md
Run: .venv/bin/python steps/step00a_mul_add_layers.py  (check its output: make step N=00a)

Before there is any framework, a computation can be split into small
"layers" that each know two things: how to compute their output from their
inputs (``forward``) and how to turn the derivative of the final result with
respect to their output into derivatives with respect to their inputs
(``backward``).  That is the chain rule applied one node at a time:

* an add node ``z = x + y`` passes the incoming derivative through unchanged
  to both inputs (dz/dx = dz/dy = 1);
* a multiply node ``z = x * y`` sends each input the incoming derivative
  times the *other* input (dz/dx = y, dz/dy = x), so it must remember both.

The example is the shopping bill: 2 apples at 100 each, plus 10 % tax, costs
220.  Running the layers backwards from d(price)/d(price) = 1 tells how much
the bill moves per unit change of every input: 2.2 per unit of apple price,
110 per extra apple, 200 per unit of tax rate.  With 3 oranges at 150 the
bill is 715 and the derivatives are 650 (tax), 3.3 (orange price),
165 (orange count), 2.2 (apple price) and 110 (apple count).

Each result is then checked against a numerical derivative (central
difference), which needs no backward code at all: the same check, grown up,
is the gradient check of prologue D.  Plain Python floats only.
"""
from __future__ import annotations

import argparse
from typing import Callable, Sequence


class MulLayer:
    """Multiply node ``out = x * y``; remembers both inputs for the backward pass."""

    def __init__(self) -> None:
        self.x: float | None = None
        self.y: float | None = None

    def forward(self, x: float, y: float) -> float:
        """Return ``x * y`` and keep the inputs."""
        self.x, self.y = x, y
        return x * y

    def backward(self, dout: float) -> tuple[float, float]:
        """Return (dL/dx, dL/dy) = (dout * y, dout * x): each input gets the other one."""
        return dout * self.y, dout * self.x


class AddLayer:
    """Add node ``out = x + y``; needs to remember nothing."""

    def forward(self, x: float, y: float) -> float:
        """Return ``x + y``."""
        return x + y

    def backward(self, dout: float) -> tuple[float, float]:
        """Return (dL/dx, dL/dy) = (dout, dout): addition passes the derivative through."""
        return dout, dout


def apple_bill(apple: float, apple_num: float, tax: float) -> float:
    """The apple-only bill computed with plain arithmetic (for the numerical check)."""
    return apple * apple_num * tax


def fruit_bill(apple: float, apple_num: float, orange: float, orange_num: float,
               tax: float) -> float:
    """The apples-and-oranges bill computed with plain arithmetic."""
    return (apple * apple_num + orange * orange_num) * tax


def numerical_partials(f: Callable[..., float], args: Sequence[float],
                       h: float = 1e-4) -> list[float]:
    """Central differences (f(a+h) - f(a-h)) / 2h for each argument in turn."""
    partials = []
    for i in range(len(args)):
        plus = list(args)
        minus = list(args)
        plus[i] += h
        minus[i] -= h
        partials.append((f(*plus) - f(*minus)) / (2 * h))
    return partials


def fmt(value: float) -> str:
    """Format an amount or derivative without float noise (220.00000000000003 -> 220)."""
    return f"{value:.6g}"


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)

    print("== 2 apples at 100, tax 1.1 ==")
    apple, apple_num, tax = 100.0, 2.0, 1.1
    mul_apple, mul_tax = MulLayer(), MulLayer()
    apple_price = mul_apple.forward(apple, apple_num)
    price = mul_tax.forward(apple_price, tax)
    print("price:", fmt(price))

    dprice = 1.0
    dapple_price, dtax = mul_tax.backward(dprice)
    dapple, dapple_num = mul_apple.backward(dapple_price)
    print(f"dapple: {fmt(dapple)}  dapple_num: {fmt(dapple_num)}  dtax: {fmt(dtax)}")
    numeric = numerical_partials(apple_bill, [apple, apple_num, tax])
    print("numerical:", "  ".join(fmt(v) for v in numeric))

    print()
    print("== plus 3 oranges at 150 ==")
    orange, orange_num = 150.0, 3.0
    mul_apple, mul_orange = MulLayer(), MulLayer()
    add_fruit, mul_tax = AddLayer(), MulLayer()
    apple_price = mul_apple.forward(apple, apple_num)
    orange_price = mul_orange.forward(orange, orange_num)
    all_price = add_fruit.forward(apple_price, orange_price)
    price = mul_tax.forward(all_price, tax)
    print("price:", fmt(price))

    # Backward visits the layers in exactly the reverse order of forward.
    dall_price, dtax = mul_tax.backward(1.0)
    dapple_price, dorange_price = add_fruit.backward(dall_price)
    dorange, dorange_num = mul_orange.backward(dorange_price)
    dapple, dapple_num = mul_apple.backward(dapple_price)
    print(f"dtax: {fmt(dtax)}  dorange: {fmt(dorange)}  dorange_num: {fmt(dorange_num)}  "
          f"dapple: {fmt(dapple)}  dapple_num: {fmt(dapple_num)}")
    numeric = numerical_partials(fruit_bill, [apple, apple_num, orange, orange_num, tax])
    by_name = dict(zip(["apple", "apple_num", "orange", "orange_num", "tax"], numeric))
    order = ["tax", "orange", "orange_num", "apple", "apple_num"]
    print("numerical:", "  ".join(fmt(by_name[k]) for k in order))


if __name__ == "__main__":
    main()
