"""Step 52: GPU support -- the same code on NumPy or on CuPy.

Docs: docs/tutorial/09-classification-and-data.md
Run: .venv/bin/python steps/step52.py  (check its output: make step N=52)

CuPy is a NumPy look-alike whose arrays live on an NVIDIA GPU.  dezero never
calls NumPy directly where an array could be either: it asks
``dezero.cuda.get_array_module(x)`` for the module that owns ``x`` (numpy or
cupy) and calls that.  So one model runs on either device;
``model.to_gpu()`` and ``loader.to_gpu()`` (or ``DataLoader(..., gpu=True)``)
move parameters and batches, ``to_cpu()`` moves them back, and
``cuda.as_numpy`` / ``cuda.as_cupy`` convert single arrays.

CuPy is optional.  When it is not installed, or finds no CUDA driver,
``dezero.cuda.gpu_enable`` is False, every GPU method raises a RuntimeError
that says what to install, and this script says so and trains on the CPU.
``--device gpu`` insists on the GPU (and stops if there is none),
``--device cpu`` never uses it; the default uses it when it is there.

The model is step 50's spiral classifier; ``--epochs`` sets the length,
``--timing`` adds the seconds per epoch (where a GPU pays off only for big
arrays: on a problem this small the CPU is usually faster).
"""
from __future__ import annotations

import argparse
import sys
import time
from typing import Sequence

import numpy as np

import dezero
import dezero.functions as F
from dezero import DataLoader, cuda, optimizers
from dezero.models import MLP


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=["auto", "cpu", "gpu"], default="auto",
                        help="where to train (default auto: the GPU when CuPy is available)")
    parser.add_argument("--epochs", type=int, default=30, help="epochs (default 30)")
    parser.add_argument("--timing", action="store_true", help="also print seconds per epoch")
    args = parser.parse_args(argv)

    x = np.arange(3.0)
    print("get_array_module of a NumPy array:", cuda.get_array_module(x).__name__)
    if cuda.gpu_enable:
        print("CuPy is available: dezero.cuda.gpu_enable is True")
    else:
        print("CuPy is not available (dezero.cuda.gpu_enable is False)")
        try:
            cuda.as_cupy(x)
        except RuntimeError as error:
            print("  cuda.as_cupy raises RuntimeError:", error)
        if args.device == "gpu":
            sys.exit("step52: --device gpu needs CuPy and a CUDA GPU; install CuPy or use "
                     "--device auto / cpu")
    use_gpu = cuda.gpu_enable and args.device != "cpu"
    print("training on the", "GPU (CuPy)" if use_gpu else "CPU (NumPy)")

    train_loader = DataLoader(dezero.datasets.Spiral(train=True), batch_size=30)
    model = MLP((10, 3))
    optimizer = optimizers.SGD(lr=1.0).setup(model)
    if use_gpu:
        train_loader.to_gpu()
        model.to_gpu()

    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        sum_loss = 0.0
        for x, t in train_loader:
            loss = F.softmax_cross_entropy(model(x), t)
            model.cleargrads()
            loss.backward()
            optimizer.update()
            sum_loss += float(loss.data) * len(t)
        seconds = f"  ({time.perf_counter() - start:.3f} s)" if args.timing else ""
        if epoch % 10 == 0 or epoch == 1:
            print(f"epoch {epoch:3d}, loss {sum_loss / train_loader.data_size:.2f}{seconds}")

    W = model.l0.W
    print("parameters live in:", cuda.get_array_module(W).__name__,
          "; as NumPy for printing:", type(cuda.as_numpy(W)).__name__, cuda.as_numpy(W).shape)
    model.to_cpu()
    print("after model.to_cpu():", cuda.get_array_module(model.l0.W).__name__)


if __name__ == "__main__":
    main()
