"""Train the Fashion-MNIST MLP data-parallel over MPI processes (dezero.distributed).

Run ``mpirun -n 2 python examples/distributed_mlp.py`` (options: ``--help``; as root add
``--allow-run-as-root``).  Every process trains a copy of the model on its own shard of the
training set; after each backward pass the gradients are averaged over the processes
(``MultiNodeOptimizer``), so the copies stay identical and the effective batch is
``--batch-size`` times the number of processes.  Rank 0 prints one line per epoch (the loss and
accuracy averaged over all processes), the final test accuracy and the samples per second, and
writes ``--checkpoint`` when given.  Without ``mpirun`` it runs as a single process.
Needs the optional extra ``mpi`` (mpi4py) and an MPI library such as Open MPI.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import _common

import dezero.distributed as dist
import dezero.functions as F
import dezero.layers as L
from dezero import DataLoader, optimizers
from dezero.datasets import FashionMNIST
from dezero.models import Sequential


def build_model(hidden_sizes: list[int]) -> Sequential:
    """Linear -> ReLU for each hidden size, then a Linear layer to the 10 classes."""
    layers: list = []
    for size in hidden_sizes:
        layers += [L.Linear(size), F.relu]
    return Sequential(*layers, L.Linear(10))


def main(argv: list[str] | None = None) -> float:
    """Train and evaluate; return the final test accuracy (the same on every rank)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--epochs", type=int, default=5, help="training epochs")
    parser.add_argument("--batch-size", type=int, default=100, help="examples per batch and "
                        "process (the global batch is this times the number of processes)")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam's alpha")
    parser.add_argument("--hidden", type=int, nargs="+", default=[512, 256],
                        help="sizes of the hidden layers")
    parser.add_argument("--seed", type=int, default=0, help="seed of the weights and shuffling")
    parser.add_argument("--train-size", type=int, default=None,
                        help="use only the first N training images")
    parser.add_argument("--data-dir", default=None, help="folder holding the IDX files")
    parser.add_argument("--checkpoint", default=None,
                        help="write the final checkpoint here (rank 0 only)")
    args = parser.parse_args(argv)

    comm = dist.create_communicator()
    train_set = FashionMNIST(train=True, data_dir=args.data_dir)
    test_set = FashionMNIST(train=False, data_dir=args.data_dir)
    if args.train_size is not None:
        train_set.data = train_set.data[:args.train_size]
        train_set.label = train_set.label[:args.train_size]
    shard = dist.scatter_dataset(train_set, comm, shuffle=True, seed=args.seed)
    # Every rank shuffles its own shard; a different seed per rank gives different orders.
    np.random.seed(args.seed + comm.rank)
    model = build_model(args.hidden)
    model(np.zeros((1, 784), np.float32))  # size the lazily initialised Linear layers
    comm.bcast_params(model)               # then start every rank from rank 0's weights
    optimizer = dist.MultiNodeOptimizer(optimizers.Adam(alpha=args.lr), comm).setup(model)
    processes = f"{comm.size} process{'es' if comm.size > 1 else ''}"
    comm.print(f"MLP 784-{'-'.join(map(str, args.hidden))}-10 on {processes}, "
               f"{len(shard)} training images each, global batch {args.batch_size * comm.size}")

    loader = DataLoader(shard, args.batch_size)
    start = time.perf_counter()
    for epoch in range(args.epochs):
        total_loss = total_correct = count = 0.0
        for x, t in loader:
            batch_loss, batch_correct = _common.train_step(model, optimizer, x, t)
            total_loss += batch_loss
            total_correct += batch_correct
            count += len(t)
        # Sums over all ranks: the figures of the whole epoch, not of rank 0's shard.
        total_loss, total_correct, count = (comm.allreduce(v, op="sum")
                                            for v in (total_loss, total_correct, count))
        comm.print(f"epoch {epoch + 1:3d}/{args.epochs}  train loss {total_loss / count:.4f} "
                   f"acc {total_correct / count:.4f}")
    seconds = time.perf_counter() - start
    samples = comm.allreduce(len(shard) * args.epochs, op="sum")

    # every rank evaluates the whole test set (the models are identical)
    _, accuracy = _common.evaluate(model, DataLoader(test_set, 1000, shuffle=False))
    comm.print(f"final test accuracy: {accuracy:.4f}")
    comm.print(f"{samples / seconds:.0f} samples/s on {processes}")
    if args.checkpoint:
        comm.save_checkpoint(args.checkpoint, model=model, optimizer=optimizer.actual_optimizer,
                             epochs=args.epochs)
    return accuracy


if __name__ == "__main__":
    main()
