"""Export the Fashion-MNIST CNN to ONNX and check ONNX Runtime agrees with dezero.

Run ``python examples/export_onnx.py`` (options: ``--help``; needs ``pip install
'dezero[onnx]'``). Builds the network of ``cnn_fashion_mnist.py`` (``--epochs 0``, the
default, keeps its initial weights; ``--epochs N`` trains it briefly with Adam), writes
``<out>/cnn.onnx`` with a dynamic batch dimension, runs the test set through dezero (eager,
test mode) and through ONNX Runtime, and prints both accuracies and the largest difference.
"""
from __future__ import annotations

import os
import sys

import numpy as np

import _common
from cnn_fashion_mnist import build_model

import dezero
import dezero.functions as F
from dezero import DataLoader, optimizers
from dezero.datasets import FashionMNIST
from dezero.transforms import Compose, Normalize, ToFloat


def main(argv: list[str] | None = None) -> tuple[float, float]:
    """Build (and train), export, evaluate both ways; return (dezero, ONNX Runtime) accuracy."""
    parser = _common.make_parser("export_onnx", __doc__.splitlines()[0], epochs=0,
                                 batch_size=100, lr=1e-3, data_dir=True)
    parser.set_defaults(test_size=1000)
    parser.add_argument("--channels", type=_common.positive_int, nargs=2, default=[16, 32],
                        metavar=("C1", "C2"), help="output channels of the two conv layers")
    parser.add_argument("--hidden", type=_common.positive_int, default=128,
                        help="size of the hidden Linear layer")
    args = parser.parse_args(argv)
    try:
        import onnxruntime
    except ImportError:
        sys.exit("export_onnx.py needs onnx and onnxruntime: pip install 'dezero[onnx]'")

    image = Compose([ToFloat(), Normalize(0.0, 255.0)])
    test_set = _common.take_first(
        FashionMNIST(train=False, transform=image, data_dir=args.data_dir), args.test_size)
    _common.seed(args.seed)
    model = build_model(args.channels, args.hidden, dropout=0.3)
    if args.epochs:  # --epochs 0 (the default) is enough to compare the two runtimes
        train_set = _common.take_first(
            FashionMNIST(train=True, transform=image, data_dir=args.data_dir), args.train_size)
        optimizer = optimizers.Adam(alpha=args.lr).setup(model)
        for epoch in range(args.epochs):
            for x, t in DataLoader(train_set, args.batch_size):
                loss = F.softmax_cross_entropy(model(x), t)
                model.cleargrads()
                loss.backward()
                optimizer.update()
            print(f"epoch {epoch + 1}: loss {float(loss.data):.4f}")

    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "cnn.onnx")
    example = np.zeros((1,) + test_set[0][0].shape, dtype=np.float32)
    dezero.onnx.export(model, example, path, dynamic_batch=True)
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")

    correct_dezero = correct_onnx = 0
    largest = 0.0
    for x, t in DataLoader(test_set, 500, shuffle=False):
        with dezero.test_mode(), dezero.no_grad():
            ours = model(x).data
        theirs = session.run(None, {"input": x.astype(np.float32)})[0]
        largest = max(largest, float(np.abs(ours - theirs).max()))
        correct_dezero += int((ours.argmax(axis=1) == t).sum())
        correct_onnx += int((theirs.argmax(axis=1) == t).sum())
    n = len(test_set)
    print(f"dezero test accuracy: {correct_dezero / n:.4f}")
    print(f"ONNX Runtime test accuracy: {correct_onnx / n:.4f}")
    print(f"largest output difference: {largest:.2e}")
    return correct_dezero / n, correct_onnx / n


if __name__ == "__main__":
    main()
