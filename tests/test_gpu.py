"""GPU tests: dezero on CuPy computes what it computes on NumPy, and keeps its data on the GPU.

* every sample case of every per-op row in tests/opdata/ (see tests/opinfo.py): forward
  values and first-order gradients (for a fixed random upstream gradient) on CuPy equal the
  NumPy results (float64, rtol 1e-10), and every output and gradient is a CuPy array;
* a small MLP (``dezero.models.MLP``) and a small CNN (``Conv2d`` + ``F.pooling`` +
  ``Linear``) trained 3 steps by SGD and by Adam give the CPU's losses and parameters;
* ``DataLoader.to_gpu`` gives CuPy batches, ``F.softmax_cross_entropy`` / ``F.accuracy`` and
  ``Variable.to_gpu`` / ``to_cpu`` work on the GPU.
(Saving a GPU model and loading it onto the GPU is tested in tests/test_save_load.py.)

The whole module is skipped when CuPy is not installed or finds no usable GPU. It uses a plain
``pytest.skip``, not ``tests/optional.py``'s ``unavailable()`` (which fails under CI): CI machines
have no GPU, so there a missing GPU is expected, not a broken install. Run it on a GPU machine:
``python -m pytest -q tests/test_gpu.py`` (``benchmarks/gpu_check.sh`` runs it with the rest of
the GPU checks).

The checks live in tests/device_checks.py and take the array module ``xp`` as a parameter, so
that the same code computes the CPU reference and the GPU result; tests/test_array_module.py
runs them on the CPU with a stand-in device module.
"""
from __future__ import annotations

import numpy as np
import pytest

import dezero
import dezero.functions as F
from dezero import Variable, cuda, optimizers
from dezero.dataloaders import DataLoader


def _gpu_problem() -> str | None:
    """None when CuPy imports and can run a kernel on a CUDA device, else why it cannot."""
    if not cuda.gpu_enable:
        return "CuPy is not installed (pip install cupy-cuda12x or cupy-cuda13x)"
    try:
        count = cuda.cp.cuda.runtime.getDeviceCount()
        if count < 1:
            return "CuPy finds no CUDA device"
        float((cuda.cp.arange(3.0) * 2).sum())  # a kernel launch and a copy back
    except Exception as e:  # no driver, a driver too old for this CuPy build ...
        return f"CuPy cannot use a GPU ({type(e).__name__}: {e})"
    return None


_PROBLEM = _gpu_problem()
if _PROBLEM is not None:
    # Deliberately not optional.unavailable(): CI has no GPU, so this must not fail there.
    pytest.skip(f"GPU tests need CuPy and a GPU: {_PROBLEM}", allow_module_level=True)

import cupy as cp  # noqa: E402  (only once the GPU is known to be usable)
from device_checks import (DEVICE_CASES, DEVICE_VARIANTS, EXCLUDED, assert_close,  # noqa: E402
                           compare_row, compare_training, loss_and_accuracy)
from opinfo import case_id, cases  # noqa: E402


@pytest.mark.parametrize("item", DEVICE_CASES, ids=[case_id(c) for c in DEVICE_CASES])
def test_op_on_gpu_matches_numpy(item):
    spec, case = item
    compare_row(spec, case, cp)


def test_excluded_rows_exist():
    """Every exclusion and device variant names a row that exists (no stale entries)."""
    ids = {spec.id for spec, _ in cases()}
    assert set(EXCLUDED) <= ids and set(DEVICE_VARIANTS) <= ids


# -- (b) training a small MLP and a small CNN -----------------------------------------------------

@pytest.mark.parametrize("kind", ["mlp", "cnn"])
@pytest.mark.parametrize("make_optimizer", [lambda: optimizers.SGD(lr=0.1),
                                            lambda: optimizers.Adam(alpha=0.01)],
                         ids=["SGD", "Adam"])
def test_training_on_gpu_matches_cpu(kind, make_optimizer):
    compare_training(kind, make_optimizer, cp)


# -- (c) data loading, losses and moving data -----------------------------------------------------

def test_data_loader_to_gpu_gives_cupy_batches():
    items = [(np.array([i, -i], dtype=np.float32), i % 3) for i in range(10)]
    for dataset in (items, dezero.datasets.Spiral(train=True)):  # stacked / Dataset.batch
        cpu = list(DataLoader(dataset, batch_size=4, shuffle=False))
        loader = DataLoader(dataset, batch_size=4, shuffle=False)
        loader.to_gpu()
        gpu = list(loader)
        assert len(gpu) == len(cpu)
        for (gx, gt), (x, t) in zip(gpu, cpu):
            assert isinstance(gx, cp.ndarray) and isinstance(gt, cp.ndarray)
            np.testing.assert_array_equal(cp.asnumpy(gx), x)
            np.testing.assert_array_equal(cp.asnumpy(gt), t)
        loader.to_cpu()
        assert isinstance(next(iter(loader))[0], np.ndarray)
    gpu_loader = DataLoader(items, batch_size=5, gpu=True)
    assert all(isinstance(x, cp.ndarray) for x, _ in gpu_loader)


def test_softmax_cross_entropy_and_accuracy_on_gpu():
    want_loss, want_acc, want_grad = loss_and_accuracy(np)
    loss, acc, grad = loss_and_accuracy(cp)
    for v in (loss, acc, grad):
        assert isinstance(v.data, cp.ndarray)
    assert_close(loss.data, want_loss.data, "softmax_cross_entropy")
    assert_close(grad.data, want_grad.data, "softmax_cross_entropy gradient")
    assert acc.dtype == want_acc.dtype and float(acc.data) == float(want_acc.data)


def test_variable_moves_between_devices():
    x = Variable(np.arange(6.0).reshape(2, 3))
    x.to_gpu()
    assert isinstance(x.data, cp.ndarray) and cuda.get_array_module(x) is cp
    y = F.sum(x * x)
    y.backward()
    assert isinstance(x.grad.data, cp.ndarray)
    x.to_cpu()
    assert isinstance(x.data, np.ndarray)
    np.testing.assert_array_equal(x.data, np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(cuda.as_numpy(cuda.as_cupy(x.data)), x.data)
