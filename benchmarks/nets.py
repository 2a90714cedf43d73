"""The networks and data that bench_nn.py (CPU) and bench_gpu.py (CuPy vs PyTorch CUDA) train.

One definition of each: the MLP and CNN as dezero functions over Parameters (``DezeroNet``, on
NumPy or CuPy), the same networks in PyTorch (``TorchNet``, on any device), and the float32
batches and initial weights both start from. Every framework uses the same layout (W of a
linear layer is (in, out), conv W is (OC, C, KH, KW)), softmax cross-entropy averaged over the
batch and plain SGD with learning rate ``LR``. ``step`` returns the loss as an array or tensor
on its device (no synchronization); ``float()`` it to read it.
"""
from __future__ import annotations

from typing import Any

import numpy as np

import dezero.functions as F
from dezero import Parameter, cuda, optimizers

LR = 0.1
N_CLASSES = 10
CNN_CHANNELS = (16, 32)


def mlp_arrays(sizes: tuple[int, ...], batch: int, seed: int = 0) -> tuple[Any, Any, list]:
    """A float32 batch in [0, 1), integer labels and [W1, b1, W2, b2, ...] (W scaled 1/sqrt(in))."""
    rng = np.random.default_rng(seed)
    x = rng.random((batch, sizes[0]), dtype=np.float32)
    t = rng.integers(0, sizes[-1], batch)
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        params.append((rng.standard_normal((n_in, n_out)) / np.sqrt(n_in)).astype(np.float32))
        params.append(np.zeros(n_out, dtype=np.float32))
    return x, t, params


def cnn_arrays(batch: int = 32, seed: int = 0) -> tuple[Any, Any, list]:
    """A (batch, 1, 28, 28) float32 batch, labels and [conv1 W, b, conv2 W, b, linear W, b]."""
    rng = np.random.default_rng(seed)
    x = rng.random((batch, 1, 28, 28), dtype=np.float32)
    t = rng.integers(0, N_CLASSES, batch)
    c1, c2 = CNN_CHANNELS
    shapes = [(c1, 1, 3, 3), (c1,), (c2, c1, 3, 3), (c2,), (c2 * 7 * 7, N_CLASSES), (N_CLASSES,)]
    params = []
    for shape in shapes:
        fan_in = int(np.prod(shape[1:])) if len(shape) == 4 else shape[0]
        scale = np.sqrt(2.0 / fan_in) if len(shape) > 1 else 0.0
        params.append((rng.standard_normal(shape) * scale).astype(np.float32))
    return x, t, params


class DezeroNet:
    """An MLP ("sigmoid"/"relu") or the CNN ("cnn") as dezero Parameters on ``xp`` (NumPy or
    CuPy), trained by ``optimizers.SGD``."""

    def __init__(self, params: list[np.ndarray], kind: str, xp: Any = np):
        self.weights = [Parameter(xp.asarray(p.copy())) for p in params]
        self.kind = kind
        self.optimizer = optimizers.SGD(lr=LR).setup(self)

    def params(self) -> list[Parameter]:
        """The Parameters, in order (what an Optimizer asks its target for)."""
        return self.weights

    def forward(self, x: Any) -> Any:
        """The logits for the batch ``x``."""
        p = self.weights
        if self.kind == "cnn":
            h = F.pooling(F.relu(F.conv2d(x, p[0], p[1], pad=1)), 2, stride=2)
            h = F.pooling(F.relu(F.conv2d(h, p[2], p[3], pad=1)), 2, stride=2)
            return F.linear(F.reshape(h, (len(x), -1)), p[4], p[5])
        act = F.sigmoid if self.kind == "sigmoid" else F.relu
        h = x
        for i in range(0, len(p) - 2, 2):
            h = act(F.linear(h, p[i], p[i + 1]))
        return F.linear(h, p[-2], p[-1])

    def step(self, x: Any, t: Any) -> Any:
        """One training iteration; returns the loss before the update (on its device)."""
        loss = F.softmax_cross_entropy(self.forward(x), t)
        for p in self.weights:
            p.cleargrad()
        loss.backward()
        self.optimizer.update()
        return loss.data

    def first_weight(self) -> np.ndarray:
        """The first layer's weight, on the host."""
        return cuda.as_numpy(self.weights[0].data)


class TorchNet:
    """The same network in PyTorch on ``device`` (CPU by default), with torch.optim.SGD."""

    def __init__(self, torch: Any, params: list[np.ndarray], kind: str, device: str = "cpu"):
        self.torch = torch
        self.params = [torch.tensor(p, device=device, requires_grad=True) for p in params]
        self.kind = kind
        self.optimizer = torch.optim.SGD(self.params, lr=LR)

    def forward(self, x: Any) -> Any:
        """The logits for the batch ``x``."""
        tf, p = self.torch.nn.functional, self.params
        if self.kind == "cnn":
            h = tf.max_pool2d(tf.relu(tf.conv2d(x, p[0], p[1], padding=1)), 2, 2)
            h = tf.max_pool2d(tf.relu(tf.conv2d(h, p[2], p[3], padding=1)), 2, 2)
            return h.reshape(len(x), -1) @ p[4] + p[5]
        act = self.torch.sigmoid if self.kind == "sigmoid" else tf.relu
        h = x
        for i in range(0, len(p) - 2, 2):
            h = act(h @ p[i] + p[i + 1])
        return h @ p[-2] + p[-1]

    def step(self, x: Any, t: Any) -> Any:
        """One training iteration; returns the loss before the update (a detached tensor)."""
        loss = self.torch.nn.functional.cross_entropy(self.forward(x), t)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return loss.detach()

    def first_weight(self) -> np.ndarray:
        """The first layer's weight, on the host."""
        return self.params[0].detach().cpu().numpy()
