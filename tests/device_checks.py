"""Checks that dezero computes on another array module what it computes on NumPy, with every
result staying an array of that module: the helpers of tests/test_gpu.py (CuPy on a GPU) and
tests/test_array_module.py (a stand-in device module on the CPU), and that stand-in:
``DeviceArray`` and ``StandInDevice`` (tests/conftest.py's ``device`` fixture installs one as
``dezero.cuda.cp``).

Every helper takes the array module ``xp`` as a parameter, so that the same code computes
the NumPy reference and the device result.
"""
from __future__ import annotations

import functools
import types
from typing import Any, Callable

import numpy as np
from opinfo import OpSpec, cases

import dezero.functions as F
import dezero.layers as L
from dezero import Variable, cuda
from dezero.models import MLP, Model

RTOL, ATOL = 1e-10, 1e-12  # float64; ATOL is scaled by the largest magnitude compared


def to_host(a: Any) -> np.ndarray:
    """A NumPy copy of a NumPy or CuPy array."""
    return cuda.as_numpy(a)


def assert_close(got: Any, want: Any, what: str, rtol: float = RTOL, atol: float = ATOL
                  ) -> None:
    """``got`` (any device) equals ``want`` within rtol, and atol times max(1, max |want|)."""
    want = to_host(want)
    scale = max(1.0, float(np.max(np.abs(want)))) if want.size else 1.0
    np.testing.assert_allclose(to_host(got), want, rtol=rtol, atol=atol * scale,
                               err_msg=what)


# -- (a) every per-op row on the GPU ------------------------------------------------------------

def _outputs(y: Any) -> list:
    return list(y) if isinstance(y, (list, tuple)) else [y]


def _batch_norm_on(xp: Any) -> Callable[..., Variable]:
    """The training-mode batch_norm row with its running statistics on ``xp``'s device."""
    def fn(x, gamma, beta):
        c = x.shape[1]
        return F.batch_norm(x, gamma, beta, xp.zeros(c), xp.ones(c))
    return fn


# Rows whose function builds host (NumPy) arrays that the op writes into: on the GPU they run
# as this replacement, made for the array module (both sides run the replacement).
DEVICE_VARIANTS: dict[str, Callable[[Any], Callable[..., Any]]] = {
    # The row passes np.zeros/np.ones running statistics, which training-mode batch_norm
    # updates in place with the batch statistics: a NumPy array cannot take CuPy values.
    "batch_norm": _batch_norm_on,
}

# Rows that cannot run on CuPy at all, with the reason (none so far: keep this list short).
EXCLUDED: dict[str, str] = {}

DEVICE_CASES = [c for c in cases() if c[0].id not in EXCLUDED]
UPSTREAM_SEED = 1234


def run_row(spec: OpSpec, case: int, xp: Any) -> tuple[list[Variable], list | None]:
    """Outputs of one sample case with its inputs on ``xp`` (numpy or cupy), and the
    gradients of Σ <y, gy> for a fixed random gy (None for a forward-only row)."""
    fn = DEVICE_VARIANTS[spec.id](xp) if spec.id in DEVICE_VARIANTS else spec.fn
    vs = [Variable(xp.asarray(x)) for x in spec.inputs(case)]
    ys = _outputs(fn(*vs))
    if spec.order == 0:
        return ys, None
    rng = np.random.default_rng(UPSTREAM_SEED)
    total = None
    for y in ys:
        gy = xp.asarray(rng.standard_normal(y.shape).astype(y.dtype))
        term = F.sum(y * Variable(gy))
        total = term if total is None else total + term
    total.backward()
    return ys, [v.grad for v in vs]


def compare_row(spec: OpSpec, case: int, xp: Any) -> None:
    """Run a sample case on NumPy and on ``xp``; assert equal values, dtypes, shapes and
    gradients, with every result of the ``xp`` run an ``xp.ndarray``."""
    want_ys, want_gs = run_row(spec, case, np)
    got_ys, got_gs = run_row(spec, case, xp)
    name = f"{spec.id} case {case}"
    assert len(got_ys) == len(want_ys), f"{name}: {len(got_ys)} outputs, want {len(want_ys)}"
    for i, (g, w) in enumerate(zip(got_ys, want_ys)):
        assert isinstance(g.data, xp.ndarray), f"{name}: output {i} is a {type(g.data)}"
        assert g.dtype == w.dtype and g.shape == w.shape, (
            f"{name}: output {i} is {g.dtype}{g.shape}, want {w.dtype}{w.shape}")
        assert_close(g.data, w.data, f"{name}: output {i}")
    if want_gs is None:
        return
    for i, (g, w) in enumerate(zip(got_gs, want_gs)):
        assert (g is None) == (w is None), f"{name}: input {i} got a gradient on one side only"
        if w is not None:
            assert isinstance(g.data, xp.ndarray), f"{name}: gradient {i} is a {type(g.data)}"
            assert g.dtype == w.dtype and g.shape == w.shape, (
                f"{name}: gradient {i} is {g.dtype}{g.shape}, want {w.dtype}{w.shape}")
            assert_close(g.data, w.data, f"{name}: gradient of input {i}")


# -- (b) training a small MLP and a small CNN -----------------------------------------------------

class SmallCNN(Model):
    """conv 3×3 1→4, ReLU, 2×2 max pool, conv 3×3 4→8, ReLU, 2×2 max pool, Linear 32→10."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = L.Conv2d(4, 3, pad=1, dtype=np.float64, in_channels=1)
        self.conv2 = L.Conv2d(8, 3, pad=1, dtype=np.float64, in_channels=4)
        self.fc = L.Linear(10, dtype=np.float64, in_size=8 * 2 * 2)

    def forward(self, x: Any) -> Variable:
        h = F.pooling(F.relu(self.conv1(x)), 2, stride=2)
        h = F.pooling(F.relu(self.conv2(h)), 2, stride=2)
        return self.fc(F.reshape(h, (h.shape[0], -1)))


def make_model(kind: str) -> tuple[Model, np.ndarray, np.ndarray]:
    """(model, x, t): a float64 model whose weights are drawn on the CPU from a fixed seed
    (the same numbers on every call), a batch and its labels."""
    np.random.seed(0)
    rng = np.random.default_rng(0)
    if kind == "mlp":
        model = MLP((16, 16, 10))
        model(np.zeros((1, 8)))  # sizes (and draws) W on the CPU
        for p in model.params():
            p.data = p.data.astype(np.float64)
        x = rng.standard_normal((12, 8))
    else:
        model = SmallCNN()
        x = rng.standard_normal((6, 1, 8, 8))
    return model, x, rng.integers(0, 10, size=len(x))


def train(kind: str, optimizer: Any, xp: Any, steps: int = 3) -> tuple[list[float], dict]:
    """Train a fresh ``make_model(kind)`` for ``steps`` steps on ``xp``'s device; return the
    losses and {name: parameter array} (on that device) afterwards."""
    model, x, t = make_model(kind)
    if xp is not np:
        model.to_gpu()
    x, t = xp.asarray(x), xp.asarray(t)
    optimizer.setup(model)
    losses = []
    for _ in range(steps):
        loss = F.softmax_cross_entropy(model(x), t)
        model.cleargrads()
        loss.backward()
        optimizer.update()
        losses.append(float(loss.data))
    return losses, {name: p.data for name, p in model.named_params()}


def compare_training(kind: str, make_optimizer: Callable[[], Any], xp: Any) -> None:
    """Assert that training on ``xp`` gives NumPy's losses and parameters (rtol 1e-8), and
    that the parameters stay ``xp`` arrays."""
    want_losses, want_params = train(kind, make_optimizer(), np)
    got_losses, got_params = train(kind, make_optimizer(), xp)
    np.testing.assert_allclose(got_losses, want_losses, rtol=1e-8)
    assert got_params.keys() == want_params.keys()
    for name, w in want_params.items():
        assert isinstance(got_params[name], xp.ndarray), f"{name} left the device"
        assert_close(got_params[name], w, f"{kind}: parameter {name}", rtol=1e-8)


def loss_and_accuracy(xp: Any) -> tuple[Variable, Variable, Any]:
    """(softmax cross-entropy, accuracy, gradient of the logits) of a fixed batch on ``xp``."""
    rng = np.random.default_rng(3)
    y = Variable(xp.asarray(rng.standard_normal((100, 10))))
    t = xp.asarray(rng.integers(0, 10, size=100))
    loss = F.softmax_cross_entropy(y, t)
    loss.backward()
    return loss, F.accuracy(y, t), y.grad


# -- a stand-in for CuPy on the CPU -----------------------------------------------------------

class DevicePointer:
    """What ``DeviceArray.data`` gives, as CuPy's ``ndarray.data`` gives a MemoryPointer: a
    buffer, not an array, that no array module claims."""


class DeviceArray(np.ndarray):
    """A NumPy array standing for an array in GPU memory."""

    def __array_wrap__(self, arr: Any, context: Any = None, return_scalar: bool = False) -> Any:
        # CuPy returns 0-d arrays, never scalars, from its operations
        return np.asarray(arr).view(DeviceArray)

    @property
    def data(self) -> DevicePointer:  # type: ignore[override]
        """The memory, not an array: code that reads ``.data`` off an array (not a Variable)
        gets something no array module claims, as it would on the GPU."""
        return DevicePointer()


def _on_device(value: Any) -> Any:
    """NumPy results as DeviceArrays (tuples and lists element by element)."""
    if isinstance(value, (np.ndarray, np.generic)):
        return np.asarray(value).view(DeviceArray)
    if isinstance(value, (tuple, list)):
        return type(value)(_on_device(v) for v in value)
    return value


class StandInDevice(types.ModuleType):
    """A stand-in for the ``cupy`` module over DeviceArray."""

    ndarray = DeviceArray

    def __init__(self) -> None:
        super().__init__("device")
        strides = types.SimpleNamespace(
            as_strided=functools.partial(np.lib.stride_tricks.as_strided, subok=True),
            sliding_window_view=functools.partial(np.lib.stride_tricks.sliding_window_view,
                                                  subok=True))
        self.lib = types.SimpleNamespace(stride_tricks=strides)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(np, name)
        if isinstance(attr, (type, np.ufunc, types.ModuleType)) or not callable(attr):
            return attr  # dtypes, ufuncs (they keep DeviceArray), constants, submodules

        @functools.wraps(attr)
        def on_device(*args: Any, **kwargs: Any) -> Any:
            return _on_device(attr(*args, **kwargs))
        return on_device

    def asarray(self, a: Any, dtype: Any = None) -> DeviceArray:
        return np.asarray(a, dtype=dtype).view(DeviceArray)

    def asnumpy(self, a: Any) -> np.ndarray:
        return np.array(a).view(np.ndarray)

    def get_array_module(self, *args: Any) -> Any:
        return self if any(isinstance(a, DeviceArray) for a in args) else np
