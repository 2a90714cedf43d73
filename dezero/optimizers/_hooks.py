"""Gradient hooks run by :meth:`Optimizer.update` before the update: decay, clipping, freezing.

Hooks never modify a gradient array in place: they give the parameter a new gradient Variable,
so a gradient shared by two parameters is never changed twice.  WeightDecay and ClipGrad save
their settings with the optimizer's ``state_dict()``.
"""
from __future__ import annotations

import math
from typing import Any, Iterable

from dezero.core import Parameter, Variable
from dezero.layers import Layer
from dezero.optimizers._base import HookSettings, _Hyperparameter
from dezero.utils.checks import describe


# -- hooks ---------------------------------------------------------------------
class WeightDecay(HookSettings):
    """L2 regularisation hook: grad ← grad + rate · param (``rate`` ≥ 0)."""

    rate = _Hyperparameter("weight decay rate")
    """The decay rate (≥ 0), checked whenever it is assigned."""

    def __init__(self, rate: float) -> None:
        self.rate = rate

    def __call__(self, params: Iterable[Parameter]) -> None:
        for param in params:
            if param.grad is not None:
                param.grad = Variable(param.grad.data + self.rate * param.data)


class ClipGrad(HookSettings):
    """Hook rescaling all gradients together so their global L2 norm is at most ``max_norm``.

    ``max_norm`` is positive; infinity turns clipping off.
    """

    max_norm = _Hyperparameter("max_norm value", min_open=True, allow_inf=True)
    """The largest global gradient norm (> 0; inf for none), checked when assigned."""

    def __init__(self, max_norm: float) -> None:
        self.max_norm = max_norm

    def __call__(self, params: Iterable[Parameter]) -> None:
        params = [p for p in params if p.grad is not None]
        total = math.sqrt(sum(float((p.grad.data.astype(float) ** 2).sum()) for p in params))
        rate = self.max_norm / (total + 1e-6)
        if rate < 1:
            for param in params:
                param.grad = Variable(param.grad.data * param.grad.data.dtype.type(rate))


class FreezeParam:
    """Hook that drops the gradients of the given Parameters or Layers (they stay fixed).

    It holds Parameters, not settings: it is not part of the optimizer's ``state_dict()``;
    add it again (in the same position among the hooks) before ``load_state_dict``.
    """

    def __init__(self, *layers: Any) -> None:
        for i, layer in enumerate(layers):
            if not isinstance(layer, (Parameter, Layer)):
                hint = ("; pass them unpacked: FreezeParam(*items)"
                        if isinstance(layer, (list, tuple)) else "")
                raise TypeError(f"FreezeParam: layers[{i}] must be a Layer or a Parameter, got "
                                f"{describe(layer)}{hint}")
        self.freeze_params: list[Parameter] = []
        for layer in layers:
            if isinstance(layer, Parameter):
                self.freeze_params.append(layer)
            else:
                self.freeze_params.extend(layer.params())

    def __call__(self, params: Iterable[Parameter]) -> None:
        for param in self.freeze_params:
            param.grad = None
