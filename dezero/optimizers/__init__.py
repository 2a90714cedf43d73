"""Optimizers that update a Layer's Parameters from their gradients, gradient hooks, schedulers.

Every update happens in place on ``param.data`` and in the parameter's own dtype.  Every
optimizer has ``base_lr`` (the learning rate a scheduler from
:mod:`dezero.optimizers.schedulers` reads and sets) and ``state_dict()``/``load_state_dict()``
(numbers and arrays only), which :func:`dezero.save_checkpoint` stores.
"""
from dezero.optimizers._base import Optimizer
from dezero.optimizers._hooks import ClipGrad, FreezeParam, WeightDecay
from dezero.optimizers._algorithms import SGD, AdaDelta, AdaGrad, Adam, AdamW, MomentumSGD
from dezero.optimizers import schedulers  # noqa: E402  (a submodule of the public API)


__all__ = ["Optimizer", "SGD", "MomentumSGD", "AdaGrad", "AdaDelta", "Adam", "AdamW",
           "WeightDecay", "ClipGrad", "FreezeParam"]
