"""Classify the three-armed spiral with a small MLP trained by plain SGD (the book's step 48).

Run ``python examples/spiral.py`` (options: ``--help``). The network is 2-10-3 with sigmoid
activations, trained for 300 epochs with batches of 30 and learning rate 1.0, as in the book.
Prints one line per epoch, then the final training and test accuracy (the test set is
``Spiral(train=False)``, the same arms with other noise); writes ``<out>/curves.png`` and
``<out>/decision_boundary.png`` (the class the model predicts over the plane, with the points).
"""
from __future__ import annotations

import os

import _common
import numpy as np

import dezero
import dezero.functions as F
from dezero import DataLoader, optimizers
from dezero.datasets import Spiral
from dezero.models import MLP

GRID_STEPS = 300  # resolution of the decision-boundary picture along each axis


def save_decision_boundary(model: MLP, points: np.ndarray, labels: np.ndarray,
                           path: str) -> str | None:
    """PNG of the predicted class over the plane around ``points``, with the points on top."""
    plt = _common.pyplot()
    if plt is None:
        return None
    low, high = points.min(axis=0) - 0.1, points.max(axis=0) + 0.1
    xs = np.linspace(low[0], high[0], GRID_STEPS, dtype=np.float32)
    ys = np.linspace(low[1], high[1], GRID_STEPS, dtype=np.float32)
    grid_x, grid_y = np.meshgrid(xs, ys)
    plane = np.stack([grid_x.ravel(), grid_y.ravel()], axis=1)
    with dezero.test_mode(), dezero.no_grad():
        predicted = model(plane).data.argmax(axis=1).reshape(grid_x.shape)
    fig, ax = plt.subplots(figsize=(5, 5))
    n_class = int(labels.max()) + 1
    ax.contourf(grid_x, grid_y, predicted, levels=np.arange(n_class + 1) - 0.5, cmap="Pastel1",
                alpha=0.8)
    for c, marker in zip(range(n_class), "ox^sv"):
        chosen = labels == c
        ax.scatter(points[chosen, 0], points[chosen, 1], marker=marker, s=18, label=f"class {c}")
    ax.set_xlim(low[0], high[0])
    ax.set_ylim(low[1], high[1])
    ax.set_aspect("equal")
    ax.legend(loc="upper right", fontsize="small")
    ax.set_title("Spiral: decision boundary of the MLP")
    return _common.save_figure(fig, path)


def main(argv: list[str] | None = None) -> float:
    """Train and evaluate; return the final test accuracy."""
    parser = _common.make_parser("spiral", __doc__.splitlines()[0], epochs=300, batch_size=30,
                                 lr=1.0)
    parser.add_argument("--hidden", type=_common.positive_int, default=10,
                        help="size of the hidden layer")
    args = parser.parse_args(argv)

    # Spiral reseeds NumPy's global generator (as the book's get_spiral does): seed afterwards.
    train_set = _common.take_first(Spiral(train=True), args.train_size)
    test_set = _common.take_first(Spiral(train=False), args.test_size)
    _common.seed(args.seed)
    model = MLP((args.hidden, 3), activation=F.sigmoid)
    optimizer = optimizers.SGD(lr=args.lr).setup(model)
    print(f"MLP 2-{args.hidden}-3 (sigmoid), SGD lr {args.lr}, batch {args.batch_size}; "
          f"{len(train_set)} training / {len(test_set)} test points")
    history = _common.train_classifier(
        model, optimizer, DataLoader(train_set, args.batch_size),
        DataLoader(test_set, len(test_set), shuffle=False), args.epochs, args.progress,
        print_every=max(args.epochs // 20, 1))
    accuracy = history["test_acc"][-1]
    print(f"final train accuracy: {history['train_acc'][-1]:.4f}")
    print(f"final test accuracy: {accuracy:.4f}")
    _common.report_time(history)
    _common.save_curves(history, os.path.join(args.out, "curves.png"), "MLP on the spiral")
    save_decision_boundary(model, train_set.data, np.asarray(train_set.label),
                           os.path.join(args.out, "decision_boundary.png"))
    return accuracy


if __name__ == "__main__":
    main()
