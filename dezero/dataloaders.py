"""Mini-batch iteration over a dataset: ``DataLoader`` (shuffled) and ``SeqDataLoader`` (for BPTT).

A batch is a pair ``(x, t)`` of arrays stacked from the items' x and t (NumPy, or CuPy with
``gpu=True``). The loaders keep DeZero's protocol: ``next(loader)`` gives batches until the end of
the epoch, then raises ``StopIteration`` once and starts the next epoch (reshuffling with NumPy's
global generator, so ``np.random.seed`` fixes the order and the random stream matches DeZero's).

Where DeZero 0.0.13 was wrong: a ``for`` loop that was left with ``break`` made the next ``for``
loop resume mid-epoch; here every ``for`` loop over a loader that is mid-epoch starts a fresh epoch
(``iter(loader)`` resets it). A batch size that is not a positive int raises ValueError (the
original divided by zero or looped forever).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from dezero import cuda


def _check_batch_size(batch_size: Any, who: str) -> int:
    """``batch_size`` as an int, or a ValueError saying why it is not usable."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise ValueError(f"{who}: batch_size must be a positive int, got "
                         f"{type(batch_size).__name__} {batch_size!r}")
    if batch_size <= 0:
        raise ValueError(f"{who}: batch_size must be a positive int, got {batch_size}")
    return int(batch_size)


def _check_gpu(gpu: bool, who: str) -> None:
    """Fail early, with the fix, when GPU batches are asked for without CuPy."""
    if gpu and not cuda.gpu_enable:
        raise RuntimeError(f"{who}: gpu=True needs CuPy, which is not available; install a CuPy "
                           "build for your CUDA version or keep the loader on the CPU")


class DataLoader:
    """Iterate over ``dataset`` in batches of ``batch_size`` (the last one may be smaller).

    ``shuffle`` draws a new order each epoch from NumPy's global generator. Attributes:
    ``data_size``, ``max_iter`` (batches per epoch), ``iteration`` (batches given this epoch).
    """

    def __init__(self, dataset: Any, batch_size: int, shuffle: bool = True, gpu: bool = False):
        self.batch_size = _check_batch_size(batch_size, type(self).__name__)
        _check_gpu(gpu, type(self).__name__)
        self.dataset = dataset
        self.shuffle = shuffle
        self.gpu = gpu
        self.data_size = len(dataset)
        self.max_iter = math.ceil(self.data_size / self.batch_size)
        self.reset()

    def reset(self) -> None:
        """Start a new epoch (a new order when shuffling)."""
        self.iteration = 0
        if self.shuffle:
            self.index = np.random.permutation(self.data_size)
        else:
            self.index = np.arange(self.data_size)

    def __iter__(self) -> "DataLoader":
        # A loop must not inherit a half-used epoch from a loop that was left early. A loader at
        # the start of an epoch keeps its order, so the random stream matches DeZero's.
        if self.iteration > 0:
            self.reset()
        return self

    def _batch_indices(self) -> Any:
        """Dataset indices of the batch number ``self.iteration``."""
        start = self.iteration * self.batch_size
        return self.index[start:start + self.batch_size]

    def __next__(self) -> tuple[Any, Any]:
        if self.iteration >= self.max_iter:
            self.reset()
            raise StopIteration
        batch = [self.dataset[int(i)] for i in self._batch_indices()]
        x = np.array([example[0] for example in batch])
        t = np.array([example[1] for example in batch])
        self.iteration += 1
        if self.gpu:
            return cuda.as_cupy(x), cuda.as_cupy(t)
        return x, t

    def next(self) -> tuple[Any, Any]:
        """The next batch (DeZero spelling of ``next(loader)``)."""
        return self.__next__()

    def __len__(self) -> int:
        """Batches per epoch."""
        return self.max_iter

    def to_cpu(self) -> None:
        """Give NumPy batches from now on."""
        self.gpu = False

    def to_gpu(self) -> None:
        """Give CuPy batches from now on (needs CuPy)."""
        _check_gpu(True, type(self).__name__)
        self.gpu = True


class SeqDataLoader(DataLoader):
    """Batches for truncated backpropagation through time over one long sequence.

    Batch row ``i`` reads the sequence from offset ``i * (data_size // batch_size)``; each batch
    advances every row by one step, so consecutive batches continue each row's sub-sequence.
    An epoch has ``ceil(data_size / batch_size)`` batches, as in DeZero. Never shuffles.
    """

    def __init__(self, dataset: Any, batch_size: int, gpu: bool = False):
        super().__init__(dataset=dataset, batch_size=batch_size, shuffle=False, gpu=gpu)

    def _batch_indices(self) -> Any:
        # (DeZero took these modulo data_size, but with ceil(N / B) steps per epoch the largest,
        # (B - 1) * (N // B) + ceil(N / B) - 1, is always below N.)
        jump = self.data_size // self.batch_size
        return [row * jump + self.iteration for row in range(self.batch_size)]
