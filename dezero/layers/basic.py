"""Fully connected, embedding, batch-normalisation and dropout layers."""
from __future__ import annotations

from typing import Any

import numpy as np

import dezero.functions as F
from dezero import cuda
from dezero.core import Parameter, Variable
from dezero.utils.checks import as_flag, as_optional_size, as_size, check_dtype, check_real
from dezero.layers.base import Layer, check_weight, input_shape, scaled_randn


class Linear(Layer):
    """Fully connected layer: y = x @ W + b, W of shape (in_size, out_size).

    ``in_size`` may be left ``None``: it is then taken from the last axis of the
    first input, and W is drawn then.  W ~ N(0, 1) · sqrt(1 / in_size), in
    ``dtype`` (float32 stays float32 under NumPy 2 promotion rules).
    """

    def __init__(self, out_size: int, nobias: bool = False, dtype: Any = np.float32,
                 in_size: int | None = None) -> None:
        super().__init__()
        who = type(self).__name__
        out_size = as_size(out_size, who, "out_size")
        in_size = as_optional_size(in_size, who, "in_size")
        nobias = as_flag(nobias, who, "nobias")
        dtype = check_dtype(dtype, who, "dtype")
        self.in_size = in_size
        self.out_size = out_size
        self.dtype = dtype
        self.W = Parameter(None, name="W")
        if in_size is not None:
            self._init_W()
        self.b = None if nobias else Parameter(np.zeros(out_size, dtype=dtype), name="b")

    def _init_W(self, xp: Any = np) -> None:
        self.W.data = scaled_randn(xp, (self.in_size, self.out_size),
                                   np.sqrt(1 / self.in_size), self.dtype)

    def _weight_spec(self, name: str) -> tuple[tuple | None, Any]:
        if name == "W":
            return (self.in_size, self.out_size), self.dtype
        return super()._weight_spec(name)

    def forward(self, x: Any) -> Variable:
        """y = x @ W + b for x of shape (..., in_size)."""
        who = type(self).__name__
        shape = input_shape(x, who)
        check_weight(self, "W")
        if not shape:
            raise ValueError(f"{who}: the input must have at least one axis (the features), "
                             f"got shape {shape}")
        if self.W.data is None:
            if shape[-1] == 0:
                raise ValueError(f"{who}: the input has no features (last axis of shape "
                                 f"{shape} is 0); W cannot be sized from it")
            self.in_size = shape[-1]
            self._init_W(cuda.get_array_module(x))
        elif shape[-1] != self.W.shape[0]:
            raise ValueError(f"{who}: the input has {shape[-1]} features (last axis of shape "
                             f"{shape}), but the layer expects in_size={self.W.shape[0]} "
                             f"(W has shape {self.W.shape}); pass inputs of shape "
                             f"(..., {self.W.shape[0]}) or use a new layer")
        return F.linear(x, self.W, self.b)


class EmbedID(Layer):
    """Embedding lookup: row ``x`` of W (in_size × out_size) for each integer id in ``x``.

    W ~ N(0, 1) in ``dtype`` (float32 by default; DeZero 0.0.13 makes it
    float64, which promotes every layer after it to float64).
    """

    def __init__(self, in_size: int, out_size: int, dtype: Any = np.float32) -> None:
        super().__init__()
        who = type(self).__name__
        in_size = as_size(in_size, who, "in_size")
        out_size = as_size(out_size, who, "out_size")
        dtype = check_dtype(dtype, who, "dtype")
        self.W = Parameter(np.random.randn(in_size, out_size).astype(dtype), name="W")

    def forward(self, x: Any) -> Variable:
        """The embeddings ``W[x]`` (shape ``x.shape + (out_size,)``)."""
        return F.embed_id(x, self.W)


class BatchNorm(Layer):
    """Batch normalisation over axis 1: y = gamma · (x − mean) / sqrt(var + eps) + beta.

    ``gamma``/``beta`` are Parameters; the running averages ``avg_mean`` and
    ``avg_var`` are non-trainable state (see :meth:`Layer.add_state`), updated
    in training mode with ``decay`` and used in test mode, and saved with the
    weights under DeZero's keys (``'bn/avg_mean'``, ``'bn/avg_var'``).  All
    four are created on the first call, sized by ``x.shape[1]`` in ``x``'s dtype.
    """

    def __init__(self, decay: float = 0.9, eps: float = 2e-5) -> None:
        super().__init__()
        who = type(self).__name__
        self.decay = check_real(decay, who, "decay", minimum=0, maximum=1)
        self.eps = check_real(eps, who, "eps", minimum=0, min_open=True)
        self.add_state("avg_mean")
        self.add_state("avg_var")
        self.gamma = Parameter(None, name="gamma")
        self.beta = Parameter(None, name="beta")

    def _weight_spec(self, name: str) -> tuple[tuple | None, Any]:
        return (None,), None

    def _init_params(self, x: Any) -> None:
        xp = cuda.get_array_module(x)
        size, dtype = x.shape[1], x.dtype
        if self.avg_mean.data is None:
            self.avg_mean.data = xp.zeros(size, dtype=dtype)
        if self.avg_var.data is None:
            self.avg_var.data = xp.ones(size, dtype=dtype)
        if self.gamma.data is None:
            self.gamma.data = xp.ones(size, dtype=dtype)
        if self.beta.data is None:
            self.beta.data = xp.zeros(size, dtype=dtype)

    def forward(self, x: Any) -> Variable:
        """Normalise ``x`` (N, C) or (N, C, H, W) per channel."""
        shape = input_shape(x, type(self).__name__)
        if len(shape) < 2:
            raise ValueError(f"BatchNorm: input must have a batch and a channel axis, "
                             f"got shape {shape}")
        self._init_params(x)
        if self.gamma.shape[0] != x.shape[1]:
            raise ValueError(f"BatchNorm: input has {x.shape[1]} channels (axis 1), but the "
                             f"layer was set up for {self.gamma.shape[0]}")
        return F.batch_norm(x, self.gamma, self.beta, self.avg_mean.data, self.avg_var.data,
                            decay=self.decay, eps=self.eps)


class Dropout(Layer):
    """Dropout: :func:`dezero.functions.dropout` with ``ratio`` in training, identity in test mode.

    In training each element is zeroed with probability ``ratio`` and the rest
    are scaled by 1 / (1 − ratio); under :func:`dezero.test_mode` the input
    passes unchanged.  ``ratio`` must be in [0, 1).  No parameters.
    """

    def __init__(self, ratio: float = 0.5) -> None:
        super().__init__()
        self.ratio = check_real(ratio, type(self).__name__, "ratio", minimum=0, maximum=1,
                                max_open=True)

    def forward(self, x: Any) -> Variable:
        """``F.dropout(x, ratio)`` (the same shape as ``x``)."""
        input_shape(x, type(self).__name__)
        return F.dropout(x, self.ratio)
