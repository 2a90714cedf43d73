"""Run by tests/test_distributed.py under ``mpirun -n 2``: rank 1 raises while rank 0 waits in
a collective.  The communicator's excepthook must print rank 1's traceback and abort the job
(non-zero exit) instead of leaving rank 0 waiting forever."""
import numpy as np

import dezero.distributed as dist

comm = dist.create_communicator()
comm.barrier()
if comm.rank == 1:
    raise ValueError("deliberate failure on rank 1")
comm.allreduce(np.ones(3))  # rank 0 waits here for a rank that is gone
print("rank 0 was not aborted", flush=True)
