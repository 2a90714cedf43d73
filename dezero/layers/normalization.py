"""Layer normalisation (the per-example normalisation of transformers)."""
from __future__ import annotations

from typing import Any

import numpy as np

import dezero.functions as F
from dezero.core import Parameter, Variable
from dezero.layers.base import Layer, check_weight, input_shape
from dezero.utils.checks import as_size, check_real


class LayerNorm(Layer):
    """Layer normalisation: y = gamma · (x − μ) / sqrt(σ² + eps) + beta over the trailing axes.

    ``size`` is the shape of the trailing axes of the input that are normalised (an int for
    the last axis alone, or a tuple); μ and σ² are taken over those axes for each example.
    ``gamma`` (ones) and ``beta`` (zeros) are float32 Parameters of shape ``size``.
    See :func:`dezero.functions.layer_norm`.
    """

    def __init__(self, size: Any, eps: float = 1e-5) -> None:
        super().__init__()
        who = type(self).__name__
        if isinstance(size, (tuple, list)):
            if not size:
                raise ValueError(f"{who}: size must name at least one axis, got {size!r}")
            shape = tuple(as_size(s, who, f"size[{i}]") for i, s in enumerate(size))
        else:
            shape = (as_size(size, who, "size"),)
        self.size = shape
        self.eps = check_real(eps, who, "eps", minimum=0)
        self.gamma = Parameter(np.ones(shape, dtype=np.float32), name="gamma")
        self.beta = Parameter(np.zeros(shape, dtype=np.float32), name="beta")

    def forward(self, x: Any) -> Variable:
        """Normalise ``x`` of shape (..., *size)."""
        who = type(self).__name__
        shape = input_shape(x, who)
        check_weight(self, "gamma")
        check_weight(self, "beta")
        k = len(self.size)
        if shape[len(shape) - k:] != self.size or len(shape) < k:
            raise ValueError(f"{who}: the input's trailing axes must have the shape {self.size} "
                             f"(the normalised shape), got an input of shape {shape}")
        return F.layer_norm(x, self.gamma, self.beta, eps=float(self.eps))
