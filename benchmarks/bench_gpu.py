"""GPU benchmarks: one training iteration (forward, backward, SGD update) of dezero on CuPy
against PyTorch on CUDA, float32, in ms per iteration.

Workloads (the shapes of bench_nn.py): the 784-100-10 sigmoid MLP at batch 100, the
784-1000-1000-10 ReLU MLP at batch 100 and at batch 1000, and the CNN conv 3×3 1→16, ReLU,
2×2 max pool, conv 3×3 16→32, ReLU, 2×2 max pool, Linear 1568→10 at batch 32. Both sides
start from the same weights and batch, use softmax cross-entropy averaged over the batch and
plain SGD (lr 0.1); TF32 is switched off in PyTorch (CuPy does not use it unless CUPY_TF32=1).
Each side is warmed up, then timed over many iterations with the device synchronized before
the clock stops (``cupy.cuda.Device().synchronize()``, ``torch.cuda.synchronize()``).

Check: three steps from the same start must give the same losses and the same first-layer
weights on both sides (rtol 1e-3, float32), and dezero's data must stay CuPy arrays; the
dezero row has ``ok`` False otherwise. Without PyTorch's CUDA, dezero on CuPy is checked
against dezero on NumPy instead. Without CuPy or a GPU the benchmark returns one row noted
"skipped: no CuPy/GPU".
"""
from __future__ import annotations

import sys
from typing import Any, Callable

import numpy as np

from common import (checked_row, join_notes, load_sibling, mismatch, optional_import, row,
                    time_call)

from dezero import cuda

nets = load_sibling("nets")
DezeroNet, TorchNet, CNN_CHANNELS = nets.DezeroNet, nets.TorchNet, nets.CNN_CHANNELS
RTOL, ATOL = 1e-3, 1e-5
CHECK_STEPS = 3
TORCH_DEVICE = "cuda"


def gpu_problem() -> str | None:
    """None when CuPy can run a kernel on a CUDA device, else why it cannot."""
    if not cuda.gpu_enable:
        return "CuPy is not installed"
    try:
        if cuda.cp.cuda.runtime.getDeviceCount() < 1:
            return "CuPy finds no CUDA device"
        float((cuda.cp.arange(3.0) * 2).sum())
    except Exception as e:
        return f"{type(e).__name__}: {e}"
    return None


def torch_cuda() -> Any:
    """The torch module when it is importable and has CUDA, else None; TF32 switched off."""
    torch = optional_import("torch")
    if torch is None or not torch.cuda.is_available():
        return None
    try:  # PyTorch ≥ 2.9 settings; older versions have only the allow_tf32 flags
        torch.backends.cuda.matmul.fp32_precision = "ieee"
        torch.backends.cudnn.conv.fp32_precision = "ieee"
    except Exception:
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    return torch


def trained(net: Any, x: Any, t: Any) -> tuple[list[float], np.ndarray]:
    """(losses of CHECK_STEPS steps, first weight afterwards, on the host) of a fresh ``net``."""
    losses = [float(net.step(x, t)) for _ in range(CHECK_STEPS)]
    return losses, net.first_weight()


def disagreement(what: str, got: tuple, want: tuple) -> str | None:
    """None when the losses and first weights agree within RTOL/ATOL, else a WRONG note."""
    return join_notes(mismatch(f"{what} losses", got[0], want[0], RTOL, ATOL),
                      mismatch(f"{what} first-layer weights", got[1], want[1], RTOL, ATOL))


def ms_per_iteration(step: Callable[[], Any], sync: Callable[[], None], iters: int,
                     repeat: int, warmup: int = 3) -> float:
    """Best time in ms of one ``step()``, each timed run making ``iters`` calls and then
    waiting for the device."""
    def run_iters() -> None:
        for _ in range(iters):
            step()
        sync()

    for _ in range(warmup):  # kernel compilation, allocator pools, cuDNN/cuBLAS handles
        step()
    sync()
    best, _ = time_call(run_iters, repeat)
    return best / iters * 1e3


# -- workloads -------------------------------------------------------------------------------------
def bench(label: str, arrays: tuple, kind: str, torch: Any, iters: int, repeat: int,
          note: str) -> list[dict]:
    """The rows of one workload: torch CUDA (when available) and dezero CuPy (vs torch)."""
    cp = cuda.cp
    x, t, params = arrays
    cx, ct = cp.asarray(x), cp.asarray(t)
    net = DezeroNet(params, kind, cp)
    result = trained(net, cx, ct)
    problem = None
    if not isinstance(net.weights[0].data, cp.ndarray):
        problem = f"WRONG dezero: weights left the GPU ({type(net.weights[0].data).__name__})"
    rows, torch_ms = [], None
    if torch is not None:
        tx = torch.tensor(x, device=TORCH_DEVICE)
        tt = torch.tensor(t, device=TORCH_DEVICE, dtype=torch.int64)
        reference = trained(TorchNet(torch, params, kind, TORCH_DEVICE), tx, tt)
        problem = join_notes(problem, disagreement("dezero vs torch", result, reference))
        tnet = TorchNet(torch, params, kind, TORCH_DEVICE)
        torch_ms = ms_per_iteration(lambda: tnet.step(tx, tt), torch.cuda.synchronize,
                                    iters, repeat)
        rows.append(row(f"{label}: torch cuda", torch_ms, "ms",
                        note=f"torch {torch.__version__}, TF32 off"))
    else:
        reference = trained(DezeroNet(params, kind, np), x, t)
        problem = join_notes(problem, disagreement("dezero cupy vs numpy", result, reference))
        note = join_notes(note, "torch with CUDA not available: checked against dezero on NumPy")
    dezero_net = DezeroNet(params, kind, cp)
    dezero_ms = ms_per_iteration(lambda: dezero_net.step(cx, ct),
                                 cp.cuda.Device().synchronize, iters, repeat)
    rows.append(checked_row(f"{label}: dezero cupy" + (" vs torch" if torch_ms else ""),
                            dezero_ms, "ms", torch_ms, note, problem))
    return rows


def run(quick: bool = False) -> list[dict]:
    """Rows of ms per training iteration on the GPU; one skipped row without CuPy/GPU."""
    problem = gpu_problem()
    if problem is not None:
        return [row("train iterations on the GPU", float("nan"), "ms",
                    note=f"skipped: no CuPy/GPU ({problem})")]
    torch = torch_cuda()
    iters, repeat = (5, 2) if quick else (50, 5)
    c1, c2 = CNN_CHANNELS
    rows = bench("mlp 784-100-10 sigmoid b100 train iter", nets.mlp_arrays((784, 100, 10), 100),
                 "sigmoid", torch, iters, repeat, None)
    rows += bench("mlp 784-1000-1000-10 relu b100 train iter",
                  nets.mlp_arrays((784, 1000, 1000, 10), 100), "relu", torch, iters, repeat, None)
    rows += bench("mlp 784-1000-1000-10 relu b1000 train iter",
                  nets.mlp_arrays((784, 1000, 1000, 10), 1000), "relu", torch, iters, repeat, None)
    rows += bench(f"cnn conv{c1}-pool-conv{c2}-pool-linear b32 train iter", nets.cnn_arrays(32),
                  "cnn", torch, max(iters // 2, 2), repeat, None)
    return rows


if __name__ == "__main__":
    for result in run(quick="--quick" in sys.argv):
        print(result)
