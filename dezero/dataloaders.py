"""Mini-batch iteration over a dataset: ``DataLoader`` (shuffled) and ``SeqDataLoader`` (for BPTT).

A batch is a pair ``(x, t)`` of arrays stacked from the items' x and t (NumPy, or CuPy with
``gpu=True``).

Every ``iter(loader)`` (so every ``for`` loop) returns a new :class:`EpochIterator` with its own
position and its own order, as PyTorch's loaders do: nested loops over one loader, or two live
iterators, do not disturb each other, and a loop left with ``break`` leaves nothing behind.
DeZero's protocol is kept as well: ``next(loader)`` / ``loader.next()`` give the batches of one
epoch at a time (the loader keeps one iterator for that), raise ``StopIteration`` once at the end
of the epoch, then start the next one; ``loader.reset()`` starts a new epoch.

Shuffled orders come from NumPy's global generator, drawn exactly when DeZero 0.0.13 draws them
(one when the loader is made, one at each ``reset()`` and one at the end of each epoch), so
``np.random.seed`` fixes the order and the random stream of a DeZero program is unchanged. An
iterator started while the order drawn in advance is already in use (a nested loop, a loop after
``break``) draws its own.

Where DeZero 0.0.13 was wrong: breaking out of a ``for`` loop made the next loop resume mid-epoch;
a batch size of 0 divided by zero; a ``SeqDataLoader`` with more rows than steps silently gave
rows that repeat the same steps; ragged items gave an unhelpful NumPy error. Each of these is now a
clear TypeError or ValueError naming the loader, the argument and what to pass.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from dezero import cuda
from dezero.datasets.base import Dataset
from dezero.utils.checks import as_size

# EpochIterator is what iter(loader) returns; programs never need to name it.
__all__ = ["DataLoader", "SeqDataLoader"]


def _dataset_size(dataset: Any, who: str) -> int:
    """``len(dataset)``, or a TypeError saying what kind of dataset a loader needs."""
    if not hasattr(type(dataset), "__getitem__"):
        raise TypeError(f"{who}: dataset must support len() and indexing (dataset[i] giving an "
                        f"(x, t) pair), got {type(dataset).__name__}; pass a dezero Dataset or "
                        "a list of (x, t) pairs (wrap a generator in list(...))")
    try:
        return len(dataset)
    except TypeError:
        raise TypeError(f"{who}: dataset must support len(), got {type(dataset).__name__} "
                        "without __len__; pass a dezero Dataset or a list of (x, t) pairs, or "
                        "give the dataset class a __len__ method") from None


def _check_gpu(gpu: bool, who: str) -> None:
    """Fail early, with the fix, when GPU batches are asked for without CuPy."""
    if gpu and not cuda.gpu_enable:
        raise RuntimeError(f"{who}: gpu=True needs CuPy, which is not available; install a CuPy "
                           "build for your CUDA version or keep the loader on the CPU")


def _stack(values: list, what: str, indices: list[int], who: str) -> np.ndarray:
    """``np.array(values)``, or a ValueError naming the items whose shapes differ."""
    try:
        return np.array(values)
    except ValueError as e:
        shapes = [_shape(v) for v in values]
        for k, shape in enumerate(shapes[1:], 1):
            if shape != shapes[0]:
                raise ValueError(
                    f"{who}: cannot stack a batch: the {what} of dataset[{indices[0]}] has shape "
                    f"{shapes[0]} but that of dataset[{indices[k]}] has shape {shape}; every "
                    f"item's {what} must have the same shape (pad or resize them, e.g. with the "
                    "dataset's transform, or use batch_size=1)") from None
        raise ValueError(f"{who}: cannot stack the {what} of dataset[{indices[0]}] and the rest "
                         f"of its batch into one array ({e}); items must hold arrays or numbers "
                         "of one shape") from None


def _shape(value: Any) -> Any:
    """``np.shape(value)``, or ``'ragged'`` for nested lists of uneven length."""
    try:
        return np.shape(value)
    except ValueError:
        return "ragged"


class EpochIterator:
    """One pass over a loader's dataset: its own order and position (what ``iter(loader)`` gives).

    Attributes: ``index`` (the dataset indices in this epoch's order), ``iteration`` (batches
    given so far), ``max_iter`` (batches in the epoch). Once the epoch is over it keeps raising
    StopIteration, like every Python iterator.
    """

    def __init__(self, loader: "DataLoader", index: np.ndarray) -> None:
        self._loader = loader
        self.index = index
        self.iteration = 0
        # Fixed for this pass, so changing the loader mid-epoch cannot make it run on and on.
        self.batch_size = loader.batch_size
        self.data_size = loader.data_size
        self.max_iter = loader.max_iter
        self._finished = False

    def __iter__(self) -> "EpochIterator":
        return self

    def __next__(self) -> tuple[Any, Any]:
        if self.iteration >= self.max_iter:
            if not self._finished:
                self._finished = True
                self._loader._epoch_finished()
            raise StopIteration
        batch = self._loader._make_batch(self._loader._batch_indices(self))
        self.iteration += 1
        return batch

    def __len__(self) -> int:
        """Batches in this epoch (given or not)."""
        return self.max_iter


class DataLoader:
    """Iterate over ``dataset`` in batches of ``batch_size`` (the last one may be smaller).

    ``dataset`` needs ``len()`` and ``dataset[i]`` giving an ``(x, t)`` pair. ``shuffle`` draws a
    new order for each epoch from NumPy's global generator. Attributes: ``data_size``,
    ``max_iter`` (batches per epoch), ``iteration`` (batches given this epoch by ``next()``).
    """

    def __init__(self, dataset: Any, batch_size: int, shuffle: bool = True, gpu: bool = False):
        who = type(self).__name__
        self.batch_size = as_size(batch_size, who, "batch_size")
        _check_gpu(gpu, who)
        self.data_size = _dataset_size(dataset, who)
        self.dataset = dataset
        self.shuffle = shuffle
        self.gpu = gpu
        self.max_iter = math.ceil(self.data_size / self.batch_size)
        self._current: EpochIterator | None = None  # the iterator next(loader) advances
        self._next_order: np.ndarray | None = None  # drawn in advance, as DeZero does
        self.reset()

    # -- orders and epochs ------------------------------------------------------------------
    def _new_order(self) -> np.ndarray:
        if self.shuffle:
            return np.random.permutation(self.data_size)
        return np.arange(self.data_size)

    def _take_order(self) -> np.ndarray:
        """The order drawn in advance if no iterator uses it yet, else a new one."""
        order = self._next_order if self._next_order is not None else self._new_order()
        self._next_order = None
        return order

    def _epoch_finished(self) -> None:
        # DeZero draws the next epoch's order when an epoch ends; one order in advance is enough.
        if self._next_order is None:
            self._next_order = self._new_order()

    def reset(self) -> None:
        """Start a new epoch for ``next(loader)`` (a new order when shuffling)."""
        self._current = None
        self._next_order = self._new_order()

    @property
    def iteration(self) -> int:
        """Batches given so far in the current epoch of ``next(loader)``."""
        return 0 if self._current is None else self._current.iteration

    @property
    def index(self) -> np.ndarray:
        """Dataset indices in the order ``next(loader)`` gives them this (or the next) epoch."""
        if self._current is not None:
            return self._current.index
        if self._next_order is None:
            self._next_order = self._new_order()
        return self._next_order

    # -- iteration ----------------------------------------------------------------------------
    def __iter__(self) -> EpochIterator:
        """A new, independent pass over the dataset."""
        return EpochIterator(self, self._take_order())

    def __next__(self) -> tuple[Any, Any]:
        """The next batch of this epoch; StopIteration once at its end (DeZero's protocol)."""
        if self._current is None:
            self._current = iter(self)
        try:
            return next(self._current)
        except StopIteration:
            self._current = None
            raise

    def next(self) -> tuple[Any, Any]:
        """The next batch (DeZero spelling of ``next(loader)``)."""
        return self.__next__()

    def __len__(self) -> int:
        """Batches per epoch."""
        return self.max_iter

    def _batch_indices(self, epoch: EpochIterator) -> Any:
        """Dataset indices of the batch number ``epoch.iteration``."""
        start = epoch.iteration * epoch.batch_size
        return epoch.index[start:start + epoch.batch_size]

    def _make_batch(self, indices: Any) -> tuple[Any, Any]:
        """Stack the items at ``indices`` into ``(x, t)`` on the loader's device."""
        who = type(self).__name__
        batch = getattr(self.dataset, "batch", None)
        if callable(batch) and isinstance(self.dataset, Dataset):
            # One NumPy call per transform for the whole batch, when the dataset can
            # (same values as stacking its items one by one)
            stacked = batch(np.asarray(indices))
            if stacked is not None:
                x, t = stacked
                return (cuda.as_cupy(x), cuda.as_cupy(t)) if self.gpu else (x, t)
        indices = [int(i) for i in indices]
        xs, ts = [], []
        for i in indices:
            example = self.dataset[i]
            try:
                x, t = example[0], example[1]
            except (TypeError, IndexError, KeyError):
                raise TypeError(f"{who}: dataset[{i}] is {type(example).__name__} "
                                f"{_short(example)}, not an (x, t) pair; the dataset's items "
                                "must be pairs like (array, label)") from None
            xs.append(x)
            ts.append(t)
        x, t = _stack(xs, "x", indices, who), _stack(ts, "t", indices, who)
        if self.gpu:
            return cuda.as_cupy(x), cuda.as_cupy(t)
        return x, t

    def to_cpu(self) -> None:
        """Give NumPy batches from now on."""
        self.gpu = False

    def to_gpu(self) -> None:
        """Give CuPy batches from now on (needs CuPy)."""
        _check_gpu(True, type(self).__name__)
        self.gpu = True


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


class SeqDataLoader(DataLoader):
    """Batches for truncated backpropagation through time over one long sequence.

    Batch row ``i`` reads the sequence from offset ``i * (data_size // batch_size)``; each batch
    advances every row by one step, so consecutive batches continue each row's sub-sequence.
    An epoch has ``ceil(data_size / batch_size)`` batches, as in DeZero. Never shuffles.
    ``batch_size`` (the number of rows) must not exceed the length of the sequence.
    """

    def __init__(self, dataset: Any, batch_size: int, gpu: bool = False):
        who = type(self).__name__
        size = as_size(batch_size, who, "batch_size")
        steps = _dataset_size(dataset, who)
        if size > steps:
            raise ValueError(
                f"{who}: batch_size={size} is larger than the dataset ({steps} steps); "
                "each of the batch_size rows reads its own part of the sequence, so every row "
                f"needs at least one step: pass batch_size <= {steps}, or a longer sequence")
        super().__init__(dataset=dataset, batch_size=size, shuffle=False, gpu=gpu)

    def _batch_indices(self, epoch: EpochIterator) -> Any:
        # (DeZero took these modulo data_size, but with ceil(N / B) steps per epoch the largest,
        # (B - 1) * (N // B) + ceil(N / B) - 1, is always below N.)
        jump = epoch.data_size // epoch.batch_size
        return [row * jump + epoch.iteration for row in range(epoch.batch_size)]
