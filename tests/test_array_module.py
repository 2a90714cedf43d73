"""The CuPy code paths, checked on the CPU: dezero picks the array module of its data
(``dezero.cuda.get_array_module``) rather than NumPy, so every result stays on the device.

CI has no GPU, so tests/test_gpu.py is skipped there. This module runs the same checks
(tests/device_checks.py) with a stand-in for CuPy, also defined there: ``DeviceArray``, an
ndarray subclass that plays a GPU array (its operations return DeviceArrays, 0-d results
included, as CuPy's do; its ``data`` is a pointer, not an array), and ``StandInDevice``, a
module that plays ``cupy`` (its functions return DeviceArrays, ``asnumpy`` copies back),
installed by tests/conftest.py's ``device`` fixture. A function that builds an array with
``np`` where it should use ``xp`` (a gradient of zeros, a mask, a one-hot matrix), or reads
``.data`` off an array, hands back a plain NumPy array, which the checks catch. What the
stand-in cannot catch: CuPy's own missing functions and different semantics; that needs the
GPU run.
"""
from __future__ import annotations

import types

import numpy as np
import pytest
from device_checks import (DEVICE_CASES, DeviceArray, assert_close, compare_row,
                           compare_training, loss_and_accuracy)
from opinfo import case_id

import dezero.functions as F
from dezero import Variable, cuda, optimizers
from dezero.dataloaders import DataLoader


def test_the_stand_in_keeps_results_on_the_device(device):
    x = device.asarray(np.arange(6.0).reshape(2, 3))
    for y in (x + 1, x.sum(), np.exp(x)[0], device.zeros(3), x.T @ x, x[x > 2]):
        assert type(y) is DeviceArray, type(y)
    assert cuda.get_array_module(x) is device and cuda.get_array_module(Variable(x)) is device
    assert cuda.get_array_module(np.ones(2)) is np
    assert type(cuda.as_numpy(x)) is np.ndarray
    assert cuda.get_array_module(x.data) is np  # a buffer is no array


@pytest.mark.parametrize("item", DEVICE_CASES, ids=[case_id(c) for c in DEVICE_CASES])
def test_op_keeps_its_results_on_the_device(item, device):
    spec, case = item
    compare_row(spec, case, device)


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
@pytest.mark.parametrize("make_optimizer", [lambda: optimizers.SGD(lr=0.1),
                                            lambda: optimizers.MomentumSGD(lr=0.1),
                                            lambda: optimizers.Adam(alpha=0.01)],
                         ids=["SGD", "MomentumSGD", "Adam"])
def test_training_keeps_parameters_on_the_device(kind, make_optimizer, device):
    compare_training(kind, make_optimizer, device)


def test_loss_accuracy_and_moves_between_devices(device):
    want_loss, want_acc, want_grad = loss_and_accuracy(np)
    loss, acc, grad = loss_and_accuracy(device)
    for v in (loss, acc, grad):
        assert type(v.data) is DeviceArray
    assert_close(grad.data, want_grad.data, "softmax_cross_entropy gradient")
    x = Variable(np.arange(6.0).reshape(2, 3))
    x.to_gpu()
    assert type(x.data) is DeviceArray
    F.sum(x * x).backward()
    assert type(x.grad.data) is DeviceArray
    x.to_cpu()
    assert type(x.data) is np.ndarray


def test_data_loader_batches_go_to_the_device(device):
    items = [(np.array([i, -i], dtype=np.float32), i % 3) for i in range(10)]
    loader = DataLoader(items, batch_size=4, shuffle=False)
    loader.to_gpu()
    for x, t in loader:
        assert type(x) is DeviceArray and type(t) is DeviceArray


def test_a_device_array_that_is_no_ndarray_is_asked_about_itself(monkeypatch):
    # CuPy arrays are not ndarrays, and their ``data`` is a MemoryPointer: the module must
    # be asked about the array, not about that attribute (which no module claims).
    class Pointer:
        pass

    class CupyLike:
        data = Pointer()

    fake = types.SimpleNamespace(
        ndarray=CupyLike,
        get_array_module=lambda *args: fake if isinstance(args[0], CupyLike) else np)
    monkeypatch.setattr(cuda, "cp", fake)
    assert cuda.get_array_module(CupyLike()) is fake
    assert cuda.get_array_module(np.zeros(2)) is np and cuda.get_array_module(np.float32(1)) is np
