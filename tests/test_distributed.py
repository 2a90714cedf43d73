"""dezero.distributed: data-parallel training over MPI.

The collective behaviour runs in real MPI jobs (``mpirun -n 2`` on the loopback interface) of
the programs in ``tests/mpi_programs/``; they need mpi4py and Open MPI's ``mpirun`` (skipped on
a developer's machine without them, mandatory in CI).  The rest runs in this process.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from optional import require, require_program

import dezero.distributed as dist
from dezero import DataLoader, optimizers
from dezero.models import MLP

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = Path(__file__).resolve().parent / "mpi_programs"
TIMEOUT = 60
INSTALL_MPI = "apt-get install openmpi-bin libopenmpi-dev; pip install -e '.[mpi]'"


def mpirun(n: int, *args: str, tmp_path: Path, timeout: float = TIMEOUT
           ) -> subprocess.CompletedProcess:
    """Run ``mpirun -n n python args...`` on this machine only (loopback), as any user."""
    launcher = require_program("mpirun", INSTALL_MPI)
    require("mpi4py", INSTALL_MPI)  # the package only: importing mpi4py.MPI would start MPI here
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_pml="ob1", OMPI_MCA_btl="self,vader,tcp",
               OMPI_MCA_btl_vader_single_copy_mechanism="none", OMPI_MCA_btl_tcp_if_include="lo",
               OMPI_MCA_oob_tcp_if_include="lo", OMPI_MCA_rmaps_base_oversubscribe="1",
               OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1",
               DEZERO_CACHE_DIR=str(tmp_path / "cache"), MPLCONFIGDIR=str(tmp_path / "mpl"))
    return subprocess.run([launcher, "-n", str(n), sys.executable, *args], capture_output=True,
                          text=True, timeout=timeout, env=env, cwd=tmp_path)


def test_two_ranks_gradients_training_shards_and_checkpoint(tmp_path):
    proc = mpirun(2, str(PROGRAMS / "check_training.py"), str(tmp_path), tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "rank 0 OK" in proc.stdout and "rank 1 OK" in proc.stdout, proc.stdout
    assert proc.stdout.count("printed once") == 1


def test_a_failure_on_one_rank_aborts_the_job(tmp_path):
    proc = mpirun(2, str(PROGRAMS / "fail_one_rank.py"), tmp_path=tmp_path, timeout=30)
    assert proc.returncode != 0
    assert "deliberate failure on rank 1" in proc.stderr, proc.stderr
    assert "rank 0 was not aborted" not in proc.stdout


def test_example_trains_on_two_processes(tmp_path):
    from test_examples import write_bar_images
    write_bar_images(tmp_path / "data", n_train=200, n_test=100)
    proc = mpirun(2, str(ROOT / "examples" / "distributed_mlp.py"), "--data-dir",
                  str(tmp_path / "data"), "--epochs", "3", "--hidden", "32",
                  "--batch-size", "20", "--lr", "0.01",
                  "--checkpoint", str(tmp_path / "ckpt.npz"), tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 processes" in proc.stdout, proc.stdout
    accuracy = float(proc.stdout.split("final test accuracy:")[1].split()[0])
    assert accuracy > 0.5, proc.stdout
    assert proc.stdout.count("final test accuracy") == 1  # printed by rank 0 only
    assert (tmp_path / "ckpt.npz").is_file()


# -- in this process (no MPI) ---------------------------------------------------------------------

class FakeComm:
    def __init__(self, rank: int, size: int) -> None:
        self.rank, self.size = rank, size


class Items:
    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int):
        return np.float32(i), i % 2


@pytest.mark.parametrize("n, size", [(10, 2), (11, 2), (7, 3), (5, 8), (100, 7)])
@pytest.mark.parametrize("shuffle", [False, True])
def test_scatter_dataset_shards_are_equal_cover_the_data_and_repeat_little(n, size, shuffle):
    shards = [dist.scatter_dataset(Items(n), FakeComm(r, size), shuffle=shuffle, seed=3)
              for r in range(size)]
    lengths = {len(s) for s in shards}
    assert lengths == {-(-n // size)}
    everything = np.concatenate([s.indices for s in shards])
    assert sorted(set(everything.tolist())) == list(range(n))
    assert len(everything) - n == (-n) % size  # only the wrap-around repeats
    again = dist.scatter_dataset(Items(n), FakeComm(0, size), shuffle=shuffle, seed=3)
    assert np.array_equal(again.indices, shards[0].indices)


def test_scattered_dataset_indexing_and_dataloader():
    shard = dist.scatter_dataset(Items(10), FakeComm(1, 2))
    assert [float(shard[i][0]) for i in range(5)] == [5, 6, 7, 8, 9]
    assert float(shard[-1][0]) == 9
    with pytest.raises(IndexError):
        shard[5]
    x, t = next(iter(DataLoader(shard, 5, shuffle=False)))
    assert x.tolist() == [5, 6, 7, 8, 9]
    with pytest.raises(ValueError, match="empty"):
        dist.scatter_dataset(Items(0), FakeComm(0, 2))


def test_multinode_optimizer_checks_its_arguments():
    with pytest.raises(TypeError, match="optimizer"):
        dist.MultiNodeOptimizer(MLP((3,)), None)
    with pytest.raises(TypeError, match="create_communicator"):
        dist.MultiNodeOptimizer(optimizers.SGD(), FakeComm(0, 1))


def test_import_does_not_need_mpi4py():
    code = ("import sys; sys.modules['mpi4py'] = None; import dezero\n"
            "assert 'dezero.distributed' not in sys.modules  # a room above: imported on demand\n"
            "import dezero.distributed as d\ntry:\n    d.create_communicator()\n"
            "except ImportError as e:\n"
            "    print('needs', 'mpi4py' in str(e))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "needs True"
