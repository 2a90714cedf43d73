"""Step 47: softmax and the cross-entropy loss -- towards classification.

Docs: docs/tutorial/09-classification-and-data.md
Run: .venv/bin/python steps/step47.py  (check its output: make step N=47)

For classification a network outputs one score per class.  Softmax turns
the scores of each row into probabilities,

    p_k = exp(y_k) / sum_j exp(y_j),

and the cross-entropy loss of a row with true class t is -log p_t, averaged
over the batch.  ``F.softmax_cross_entropy(y, t)`` fuses the two, takes
integer labels t, and computes log-softmax with the log-sum-exp trick (the
largest score is subtracted first, so exp cannot overflow); its gradient is
(softmax(y) - onehot(t)) / N.

Picking p_t out of each row is indexing, so this step also brings
``F.get_item(x, slices)`` (``x[slices]``): its backward scatters the
gradient back to the picked positions, adding up where an index repeats.

The book's numbers, with ``np.random.seed(0)`` and ``MLP((10, 3))``: for the
input [0.2, -0.4] the scores are about [-0.615, -0.428, 0.317], the
probabilities [0.211, 0.254, 0.535], and the loss on the 4-row batch is
1.4967.
"""
from __future__ import annotations

import argparse
from typing import Sequence

import numpy as np

import dezero.functions as F
from dezero import Variable
from dezero.models import MLP


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    np.set_printoptions(precision=6)

    x = Variable(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
    y = F.get_item(x, 1)
    y.backward()
    print("x[1] =", y.data, " x.grad:", x.grad.data.tolist())
    x.cleargrad()
    y = x[[0, 0, 1]]
    y.backward()
    print("x[[0, 0, 1]] has shape", y.shape, "; x.grad (row 0 picked twice):",
          x.grad.data.tolist())

    np.random.seed(0)
    model = MLP((10, 3))
    y = model(np.array([[0.2, -0.4]]))
    p = F.softmax(y)
    print("scores:", y.data, " softmax:", p.data, " sum:", f"{float(p.data.sum()):.6f}")

    x = np.array([[0.2, -0.4], [0.3, 0.5], [1.3, -3.2], [2.1, 0.3]])
    t = np.array([2, 0, 1, 0])
    y = model(x)
    loss = F.softmax_cross_entropy(y, t)
    loss.backward()
    print(f"cross-entropy loss on 4 rows: {float(loss.data):.10f}")

    # The same loss written out: mean of -log p_t, with softmax as defined above.
    p = np.exp(y.data) / np.exp(y.data).sum(axis=1, keepdims=True)
    by_hand = -np.mean(np.log(p[np.arange(len(t)), t]))
    print(f"by hand, -mean(log p[t]):      {by_hand:.10f}")
    onehot = np.eye(3)[t]
    gy = Variable(y.data.copy())
    F.softmax_cross_entropy(gy, t).backward()
    print("gradient is (softmax - onehot) / N:",
          bool(np.allclose(gy.grad.data, (p - onehot) / len(t), rtol=1e-10, atol=0)))

    # Huge scores: the naive formula overflows, the fused one does not.
    big = Variable(np.array([[1000.0, 0.0, -1000.0]]))
    with np.errstate(over="ignore", invalid="ignore"):
        naive = -np.log(np.exp(big.data[0, 0]) / np.exp(big.data).sum())
    print(f"scores [1000, 0, -1000], label 0: naive {naive}, "
          f"F.softmax_cross_entropy {float(F.softmax_cross_entropy(big, np.array([0])).data)}")


if __name__ == "__main__":
    main()
