"""Data-parallel training over MPI (the optional extra ``mpi``: ``pip install dezero[mpi]``).

Every process (rank) holds a full copy of the model and trains on its own shard of the
data; after each backward pass the gradients are averaged over the ranks, so every rank
applies the same update and the copies stay identical.  Run a program with
``mpirun -n 2 python train.py``::

    import dezero.distributed as dist

    comm = dist.create_communicator()
    train = dist.scatter_dataset(train, comm, shuffle=True, seed=0)
    model(x_example)                      # size lazily initialised layers
    comm.bcast_params(model)              # every rank starts from rank 0's weights
    optimizer = dist.MultiNodeOptimizer(dezero.optimizers.SGD(0.1).setup(model), comm)
    ...
    loss.backward()
    optimizer.update()                    # allreduce (mean), then the optimizer's update

The names follow ChainerMN.  :mod:`mpi4py` is imported when a communicator is created,
so ``import dezero.distributed`` works without it.
"""
from __future__ import annotations

import math
import sys
import traceback
import zlib
from typing import Any, Iterator

import numpy as np

from dezero import cuda
from dezero.core import Parameter, Variable

__all__ = ["Communicator", "create_communicator", "MultiNodeOptimizer", "scatter_dataset",
           "ScatteredDataset", "install_abort_hook"]

_OPS = ("mean", "sum")


def _mpi() -> Any:
    try:
        from mpi4py import MPI
    except (ImportError, RuntimeError, OSError) as e:  # no mpi4py, or no MPI library
        raise ImportError("dezero.distributed needs mpi4py and an MPI library: "
                          "pip install 'dezero[mpi]' (and e.g. apt-get install openmpi-bin "
                          "libopenmpi-dev)") from e
    return MPI


def install_abort_hook(mpi_comm: Any) -> None:
    """Make an uncaught exception on any rank print its traceback and abort the whole job.

    Without it, the failing rank exits while the others wait for it forever in their next
    collective operation; with it, ``mpirun`` ends every process and exits non-zero.
    """
    previous = sys.excepthook
    if getattr(previous, "_dezero_abort_hook", False):
        return

    def hook(exc_type: type, exc: BaseException, tb: Any) -> None:
        try:
            sys.stdout.flush()
            sys.stderr.write(f"[rank {mpi_comm.Get_rank()}] uncaught exception; aborting "
                             "the MPI job\n")
            traceback.print_exception(exc_type, exc, tb)
            sys.stderr.flush()
        finally:
            mpi_comm.Abort(1)

    hook._dezero_abort_hook = True  # type: ignore[attr-defined]
    sys.excepthook = hook


def _check_op(op: str, who: str) -> str:
    if op not in _OPS:
        raise ValueError(f"{who}: op must be 'mean' or 'sum', got {op!r}")
    return op


class Communicator:
    """The processes of one MPI job, with the collective operations training needs.

    Made by :func:`create_communicator`.  :attr:`rank` is this process's number (0 to
    ``size - 1``), :attr:`size` the number of processes, :attr:`is_root` true on rank 0.
    Every collective method must be called by every rank, in the same order.
    """

    def __init__(self, mpi_comm: Any, bucket_mb: float = 25.0) -> None:
        self.mpi_comm = mpi_comm
        self.rank: int = mpi_comm.Get_rank()
        self.size: int = mpi_comm.Get_size()
        if not bucket_mb > 0:
            raise ValueError(f"Communicator: bucket_mb must be positive, got {bucket_mb!r}")
        self.bucket_bytes = int(bucket_mb * 2 ** 20)
        self.allreduce_calls = 0  # Allreduce operations issued by allreduce_grads

    def __repr__(self) -> str:
        return f"<dezero.distributed.Communicator rank {self.rank} of {self.size}>"

    @property
    def is_root(self) -> bool:
        """True on rank 0, the rank that prints and saves."""
        return self.rank == 0

    # -- conveniences --------------------------------------------------------------------------
    def print(self, *args: Any, all_ranks: bool = False, **kwargs: Any) -> None:
        """``print`` on rank 0 only (on every rank, prefixed by its number, with
        ``all_ranks=True``).  Not a collective: the other ranks just return."""
        if all_ranks:
            print(f"[rank {self.rank}]", *args, **{"flush": True, **kwargs})
        elif self.is_root:
            print(*args, **{"flush": True, **kwargs})

    def barrier(self) -> None:
        """Wait until every rank has reached this point."""
        self.mpi_comm.Barrier()

    def bcast_obj(self, obj: Any, root: int = 0) -> Any:
        """Rank ``root``'s ``obj`` (any picklable object) on every rank."""
        return self.mpi_comm.bcast(obj, root=root)

    def save_checkpoint(self, path: Any, *args: Any, **kwargs: Any) -> str | None:
        """:func:`dezero.save_checkpoint` on rank 0 only, then a barrier (collective).

        Returns the path written on rank 0 and None elsewhere.  The ranks hold identical
        weights, so one copy is enough; the barrier makes every rank wait until it exists.
        """
        from dezero.checkpoint import save_checkpoint
        written = None
        raised: BaseException | None = None
        if self.is_root:
            try:
                written = save_checkpoint(path, *args, **kwargs)
            except Exception as e:  # reported on every rank, not only on rank 0
                raised = e
        error = self.mpi_comm.bcast(None if raised is None else
                                    f"{type(raised).__name__}: {raised}", root=0)
        if raised is not None:
            raise raised
        if error is not None:
            raise RuntimeError(f"save_checkpoint failed on rank 0: {error}")
        return written

    # -- collectives ---------------------------------------------------------------------------
    def allreduce(self, x: Any, op: str = "mean") -> Any:
        """The mean (``op='mean'``) or sum (``'sum'``) of ``x`` over the ranks.

        ``x`` is a number (a Python float or int comes back; the mean is a float), a NumPy
        or CuPy array, or a Variable (its data is used; an array comes back, of ``x``'s
        dtype and device).  Every rank must pass the same shape and dtype.
        """
        who = "Communicator.allreduce"
        _check_op(op, who)
        MPI = _mpi()
        if isinstance(x, Variable):
            x = x.data
        if isinstance(x, (bool, np.bool_)) or x is None or isinstance(x, str):
            raise TypeError(f"{who}: expected a number or an array, got {type(x).__name__}")
        if isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, np.ndarray):
            total = self.mpi_comm.allreduce(x, op=MPI.SUM)
            return total / self.size if op == "mean" else total
        on_gpu = cuda.get_array_module(x) is not np
        host = np.ascontiguousarray(cuda.as_numpy(x))
        if host.dtype.kind not in "biuf":
            raise TypeError(f"{who}: arrays of dtype {host.dtype} cannot be reduced")
        out = np.empty_like(host)
        self.mpi_comm.Allreduce(host, out, op=MPI.SUM)
        if op == "mean":
            out = out / self.size if out.dtype.kind != "f" else out / out.dtype.type(self.size)
        return cuda.as_cupy(out) if on_gpu else out

    def allreduce_grads(self, model: Any) -> None:
        """Replace every Parameter's gradient by its mean over the ranks (collective).

        The gradients are packed, per dtype, into contiguous buckets of at most
        ``bucket_mb`` MiB (a parameter larger than that gets a bucket of its own), with
        one ``Allreduce`` per bucket.  A Parameter that has a gradient on some ranks only
        counts as a zero gradient on the others (it then gets the mean there too); one
        with a gradient on no rank keeps ``grad = None`` everywhere.  Every rank must have
        the same Parameters with the same shapes (checked: a mismatch raises on every rank).
        """
        MPI = _mpi()
        params = list(model.params())
        # One small reduction carries the "has a gradient" flags and a checksum of the
        # Parameters' shapes and dtypes (as +crc and -crc, so MAX gives both the largest and
        # the smallest): a mismatch raises on every rank instead of corrupting the sum.
        crc = zlib.crc32(repr([(tuple(p.data.shape), str(p.data.dtype))
                               if p.data is not None else None for p in params]).encode())
        local = np.array([len(params), -len(params), crc, -crc] +
                         [p.grad is not None for p in params], dtype=np.int64)
        result = np.empty_like(local)
        self.mpi_comm.Allreduce(local, result, op=MPI.MAX)
        if result[0] != -result[1] or result[2] != -result[3]:
            raise RuntimeError("allreduce_grads: the ranks' models differ (number, shapes or "
                               "dtypes of Parameters); every rank must build the same model "
                               "and size lazily initialised layers with the same input shape")
        anyhas = result[4:]
        todo = [p for p, flag in zip(params, anyhas) if flag]
        by_dtype: dict[np.dtype, list[Parameter]] = {}
        for p in todo:
            by_dtype.setdefault(np.dtype(p.data.dtype), []).append(p)
        for dtype, group in by_dtype.items():
            for bucket in self._buckets(group, dtype):
                self._reduce_bucket(bucket, dtype, MPI)

    def _buckets(self, group: list[Parameter], dtype: np.dtype) -> Iterator[list[Parameter]]:
        bucket: list[Parameter] = []
        nbytes = 0
        for p in group:
            size = int(p.data.size) * dtype.itemsize
            if bucket and nbytes + size > self.bucket_bytes:
                yield bucket
                bucket, nbytes = [], 0
            bucket.append(p)
            nbytes += size
        if bucket:
            yield bucket

    def _reduce_bucket(self, bucket: list[Parameter], dtype: np.dtype, MPI: Any) -> None:
        total = sum(int(p.data.size) for p in bucket)
        buf = np.empty(total, dtype=dtype)
        offset = 0
        for p in bucket:
            n = int(p.data.size)
            if p.grad is None:
                buf[offset:offset + n] = 0
            else:
                buf[offset:offset + n] = cuda.as_numpy(p.grad.data).reshape(-1)
            offset += n
        self.mpi_comm.Allreduce(MPI.IN_PLACE, buf, op=MPI.SUM)
        self.allreduce_calls += 1
        buf /= dtype.type(self.size) if dtype.kind == "f" else self.size
        offset = 0
        for p in bucket:
            n = int(p.data.size)
            g = buf[offset:offset + n].reshape(p.data.shape).copy()
            if cuda.get_array_module(p.data) is not np:
                g = cuda.as_cupy(g)
            p.grad = Variable(g)
            offset += n

    def bcast_params(self, model: Any, root: int = 0) -> None:
        """Copy rank ``root``'s Parameters (and saved states such as BatchNorm's running
        statistics) to every rank, in place (collective).

        Lazily initialised weights (``Linear(out_size)`` without ``in_size``) have no
        data until the first forward pass: call this after one forward pass (the same
        input shape on every rank), or give ``in_size``.  A weight still uninitialised on
        any rank raises ``RuntimeError`` on every rank, naming it.
        """
        MPI = _mpi()
        if not 0 <= root < self.size:
            raise ValueError(f"bcast_params: root must be in [0, {self.size}), got {root!r}")
        named = list(model.named_params()) if hasattr(model, "named_params") else \
            [(str(i), p) for i, p in enumerate(model.params())]
        if hasattr(model, "named_states"):
            named += [(name, v) for name, v in model.named_states() if v is not None]
        missing = [name for name, v in named if v.data is None]
        all_missing = self.mpi_comm.allgather(missing)
        if any(all_missing):
            where = "; ".join(f"rank {r}: {', '.join(m)}" for r, m in enumerate(all_missing) if m)
            raise RuntimeError("bcast_params: some weights are not initialised yet (" + where +
                               "); run one forward pass on every rank first (lazily sized "
                               "layers such as Linear(out_size) get their weights then), "
                               "or give in_size")
        specs = [(name, tuple(v.data.shape), str(v.data.dtype)) for name, v in named]
        root_specs = self.mpi_comm.bcast(specs, root=root)
        bad = [a for a, b in zip(specs, root_specs) if a != b]
        if len(specs) != len(root_specs):
            bad = [("count", len(specs), len(root_specs))]
        any_bad = self.mpi_comm.allreduce(bool(bad), op=MPI.LOR)
        if any_bad:
            raise RuntimeError(f"bcast_params: the ranks' models differ from rank {root}'s "
                               f"(here: {bad[:3] or 'same'}); build the same model everywhere")
        for name, v in named:
            on_gpu = cuda.get_array_module(v.data) is not np
            host = np.ascontiguousarray(cuda.as_numpy(v.data))
            self.mpi_comm.Bcast(host, root=root)
            if self.rank != root:
                if on_gpu:
                    v.data = cuda.as_cupy(host)
                elif host is v.data:
                    pass  # received in place
                else:
                    v.data[...] = host


def create_communicator(mpi_comm: Any = None, bucket_mb: float = 25.0,
                        abort_on_error: bool = True) -> Communicator:
    """A :class:`Communicator` over ``mpi_comm`` (default ``MPI.COMM_WORLD``).

    ``bucket_mb`` is the largest buffer (MiB) :meth:`Communicator.allreduce_grads` packs
    gradients into.  With ``abort_on_error`` (the default), an uncaught exception on any
    rank prints its traceback and aborts the whole job (see :func:`install_abort_hook`),
    so no rank waits forever for a failed one.
    """
    MPI = _mpi()
    comm = MPI.COMM_WORLD if mpi_comm is None else mpi_comm
    if abort_on_error:
        install_abort_hook(comm)
    return Communicator(comm, bucket_mb=bucket_mb)


class MultiNodeOptimizer:
    """Wrap an optimizer: ``update()`` averages the gradients over the ranks, then runs
    the wrapped optimizer's ``update()`` (its hooks included).

    So hooks such as :class:`~dezero.optimizers.WeightDecay` and
    :class:`~dezero.optimizers.ClipGrad` see the global mean gradient, exactly as in a
    single process training on the combined batch.  Other attributes (``lr``,
    ``base_lr``, ``add_hook``, ``state_dict``, ...) are the wrapped optimizer's; give a
    scheduler the wrapped optimizer (``opt.actual_optimizer``).
    """

    def __init__(self, optimizer: Any, comm: Communicator) -> None:
        if not callable(getattr(optimizer, "update", None)):
            raise TypeError("MultiNodeOptimizer: expected a dezero optimizer, got "
                            f"{type(optimizer).__name__}")
        if not isinstance(comm, Communicator):
            raise TypeError("MultiNodeOptimizer: comm must come from create_communicator(), "
                            f"got {type(comm).__name__}")
        self.__dict__["actual_optimizer"] = optimizer
        self.__dict__["comm"] = comm

    def setup(self, target: Any) -> "MultiNodeOptimizer":
        """Attach the model (as the wrapped optimizer's ``setup``); return self."""
        self.actual_optimizer.setup(target)
        return self

    def update(self) -> None:
        """``comm.allreduce_grads(target)``, then the wrapped optimizer's ``update()``."""
        target = self.actual_optimizer.target
        if target is None:
            raise RuntimeError("MultiNodeOptimizer.update: no target; call setup(model) first")
        self.comm.allreduce_grads(target)
        self.actual_optimizer.update()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__dict__["actual_optimizer"], name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self.actual_optimizer, name, value)


class ScatteredDataset:
    """One rank's shard of a dataset (from :func:`scatter_dataset`): ``len`` and indexing."""

    def __init__(self, dataset: Any, indices: np.ndarray) -> None:
        self.dataset = dataset
        self.indices = indices

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, (int, np.integer)):
            n = len(self.indices)
            if not -n <= i < n:
                raise IndexError(f"ScatteredDataset: index {i} out of range for {n} items")
            return self.dataset[int(self.indices[i])]
        raise TypeError(f"ScatteredDataset: index with an int, got {type(i).__name__}")


def scatter_dataset(dataset: Any, comm: Communicator, shuffle: bool = False,
                    seed: int = 0) -> ScatteredDataset:
    """This rank's shard of ``dataset``: ``ceil(len / size)`` items on every rank.

    The index order (``0..n-1``, or a permutation drawn from ``seed`` with ``shuffle``;
    the same on every rank) is cut into ``size`` consecutive pieces; when ``n`` is not a
    multiple of ``size`` the last pieces wrap around to the start (as ChainerMN does), so
    every shard has the same length (and the same number of batches per epoch) and the
    shards together cover the data, repeating at most ``size - 1`` items.  Works with
    :class:`~dezero.dataloaders.DataLoader`.  Not a collective: no data is sent.
    """
    n = len(dataset)
    if n < 1:
        raise ValueError("scatter_dataset: the dataset is empty")
    order = np.random.RandomState(seed).permutation(n) if shuffle else np.arange(n)
    per = math.ceil(n / comm.size)
    idx = order[np.arange(comm.rank * per, (comm.rank + 1) * per) % n]
    return ScatteredDataset(dataset, idx)
