"""Run by tests/test_distributed.py as ``mpirun -n 2 python check_training.py OUT_DIR``.

Every check runs on every rank; a failed assertion aborts the job (the communicator's
excepthook), so the test sees a non-zero exit and the traceback.  Each rank prints
``rank R OK`` at the end.
"""
from __future__ import annotations

import os
import sys

import numpy as np

import dezero
import dezero.distributed as dist
import dezero.functions as F
import dezero.layers as L
from dezero import DataLoader, optimizers
from dezero.models import Model

comm = dist.create_communicator(bucket_mb=0.0002)  # ~210-byte buckets: several per dtype
out_dir = sys.argv[1]
assert comm.size == 2, comm.size
R, N = comm.rank, comm.size

# -- allreduce of numbers and arrays -------------------------------------------------------------
assert comm.allreduce(R + 1.0) == 1.5
assert comm.allreduce(R + 1, op="sum") == 3 and isinstance(comm.allreduce(R + 1, op="sum"), int)
a = comm.allreduce(np.full((2, 3), R, np.float32))
assert a.dtype == np.float32 and a.shape == (2, 3) and np.all(a == 0.5)
assert np.all(comm.allreduce(dezero.Variable(np.arange(4.0) * R), op="sum") == np.arange(4.0))
try:
    comm.allreduce(1.0, op="max")
except ValueError:
    pass
else:
    raise AssertionError("op='max' was accepted")


class Net(Model):
    def __init__(self) -> None:
        super().__init__()
        self.l1 = L.Linear(16)                       # lazily sized
        self.l2 = L.Linear(3, in_size=16)
        self.extra = L.Linear(3, in_size=16, dtype=np.float64)  # used by rank 0 only below
        self.unused = L.Linear(2, in_size=2)        # no gradient on any rank

    def forward(self, x):
        return self.l2(F.tanh(self.l1(x)))


X64 = np.linspace(-1, 1, 32).reshape(2, 16)


def loss_of(model, x, t):
    return F.mean_squared_error(model(x), t)


def extra_loss(model):
    """A float64 term that only rank 0 adds: 'extra' has a gradient on one rank only."""
    return F.sum(model.extra(X64) ** 2) * 0.01


rng = np.random.RandomState(0)                 # the same data on every rank
X = rng.randn(8, 5).astype(np.float32)
T = rng.randn(8, 3).astype(np.float32)
half = slice(R * 4, (R + 1) * 4)

# -- bcast_params: lazily initialised weights -----------------------------------------------------
np.random.seed(100 + R)                        # different initial weights on each rank
model = Net()
try:
    comm.bcast_params(model)
except RuntimeError as e:
    assert "l1.W" in str(e) and "forward pass" in str(e), e
else:
    raise AssertionError("bcast_params accepted an uninitialised Linear")
model(X[:1])
comm.bcast_params(model)
gathered = comm.mpi_comm.allgather([p.data.copy() for p in model.params()])
for p0, p1 in zip(*gathered):
    assert np.array_equal(p0, p1)

# -- allreduce_grads equals the gradient of the combined batch ------------------------------------
# Loss on rank r: mean over its 4 rows (rank 0 also adds the float64 'extra' term).  The mean of the
# two ranks' gradients is the gradient of (loss_0 + loss_1) / 2, computed here in one process.
reference = Net()
for (name, p), q in zip(model.named_params(), reference.params()):
    q.data = p.data.copy()
reference.cleargrads()
total = (loss_of(reference, X[0:4], T[0:4]) + loss_of(reference, X[4:8], T[4:8])) / 2
total.backward()
(extra_loss(reference) / 2).backward()

model.cleargrads()
loss_of(model, X[half], T[half]).backward()
if R == 0:
    extra_loss(model).backward()
assert (model.extra.W.grad is None) == (R == 1)
comm.allreduce_grads(model)
calls = comm.allreduce_calls
assert calls >= 4, calls                       # float32 split into buckets, plus float64
for (name, p), q in zip(model.named_params(), reference.params()):
    if q.grad is None:
        assert p.grad is None, name            # 'unused': no gradient anywhere stays None
        continue
    assert p.grad is not None, name
    assert p.grad.data.dtype == p.data.dtype, name
    np.testing.assert_allclose(p.grad.data, q.grad.data, rtol=1e-5, atol=1e-7, err_msg=name)
assert model.unused.W.grad is None

# -- MultiNodeOptimizer: K steps equal single-process training on the global batch ----------------
def train(m, opt, xs, ts, steps, distributed):
    for k in range(steps):
        rows = slice(8 * k, 8 * k + 8)
        x, t = xs[rows], ts[rows]
        if distributed:
            x, t = x[R * 4:(R + 1) * 4], t[R * 4:(R + 1) * 4]
        m.cleargrads()
        loss_of(m, x, t).backward()
        opt.update()


K = 5
XS = rng.randn(8 * K, 5).astype(np.float32)
TS = rng.randn(8 * K, 3).astype(np.float32)
for make in (lambda: optimizers.MomentumSGD(lr=0.1), lambda: optimizers.Adam(alpha=0.01)):
    np.random.seed(7 + R)
    m = Net()
    m(X[:1])
    comm.bcast_params(m)
    single = Net()
    for p, q in zip(m.params(), single.params()):
        q.data = p.data.copy()
    inner = make()
    inner.add_hook(optimizers.WeightDecay(1e-2))
    inner.add_hook(optimizers.ClipGrad(0.05))      # clips the *global* gradient norm
    opt = dist.MultiNodeOptimizer(inner, comm).setup(m)
    assert opt.target is m and opt.hooks is inner.hooks
    ref_opt = make()
    ref_opt.add_hook(optimizers.WeightDecay(1e-2))
    ref_opt.add_hook(optimizers.ClipGrad(0.05))
    ref_opt.setup(single)
    train(m, opt, XS, TS, K, True)
    train(single, ref_opt, XS, TS, K, False)
    gathered = comm.mpi_comm.allgather([p.data.copy() for p in m.params()])
    for p0, p1 in zip(*gathered):
        assert np.array_equal(p0, p1), "ranks diverged"
    for (name, p), q in zip(m.named_params(), single.params()):
        np.testing.assert_allclose(p.data, q.data, rtol=1e-5, atol=1e-6, err_msg=name)
    opt.base_lr = opt.base_lr * 0.5                  # reaches the wrapped optimizer
    assert inner.base_lr == opt.base_lr

# -- scatter_dataset ------------------------------------------------------------------------------
class Squares:
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return np.array([i], np.float32), i % 3


for n, shuffle in ((10, False), (11, False), (11, True), (3, True)):
    shard = dist.scatter_dataset(Squares(n), comm, shuffle=shuffle, seed=5)
    items = [int(shard[i][0][0]) for i in range(len(shard))]
    shards = comm.mpi_comm.allgather(items)
    assert len(shards[0]) == len(shards[1]) == -(-n // N), (n, shards)
    assert sorted(set(shards[0]) | set(shards[1])) == list(range(n)), (n, shards)
    if n % N == 0:
        assert not set(shards[0]) & set(shards[1]), (n, shards)
    again = dist.scatter_dataset(Squares(n), comm, shuffle=shuffle, seed=5)
    assert list(again.indices) == list(shard.indices)
    if shuffle and n > 3:
        other = dist.scatter_dataset(Squares(n), comm, shuffle=True, seed=6)
        assert list(other.indices) != list(shard.indices)
batches = list(DataLoader(dist.scatter_dataset(Squares(10), comm), 2, shuffle=False))
assert len(batches) == 3 and batches[0][0].shape == (2, 1)

# -- rank-0 checkpoint and printing --------------------------------------------------------------
path = comm.save_checkpoint(os.path.join(out_dir, "ckpt"), model=model, step=3)
assert (path is not None) == comm.is_root
assert os.path.exists(os.path.join(out_dir, "ckpt.npz"))  # the barrier waited for rank 0
comm.print("printed once")
comm.print(f"rank {R} OK", all_ranks=True)
