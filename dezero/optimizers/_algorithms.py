"""The optimization methods: SGD, MomentumSGD, AdaGrad, AdaDelta, Adam, AdamW.

Every update happens in place on ``param.data`` and in the parameter's own
dtype: gradients are cast to it first, so float32 parameters never see float64
temporaries.  Per-parameter state (momentum, squared-gradient averages) is kept
per Parameter object and follows it to the GPU and back.
"""
from __future__ import annotations

import math
from typing import Any

from dezero import cuda
from dezero.core import Parameter
from dezero.optimizers._base import (Optimizer, _beta, _epsilon, _Hyperparameter,
                                     _learning_rate, subtract_scaled)


class SGD(Optimizer):
    """Stochastic gradient descent: param ← param − lr · grad (``lr`` ≥ 0; ``base_lr`` is ``lr``)."""

    lr = _learning_rate()
    """The learning rate (≥ 0), checked whenever it is assigned."""

    def __init__(self, lr: float = 0.01) -> None:
        super().__init__()
        self.lr = lr

    def update_one(self, param: Parameter) -> None:
        """param ← param − lr · grad."""
        subtract_scaled(param.data, self.lr, self._grad(param, cast=False))


class MomentumSGD(Optimizer):
    """SGD with momentum: v ← momentum · v − lr · grad; param ← param + v (both ≥ 0).

    ``base_lr`` is ``lr``; the state holds each parameter's velocity ``v``.
    """

    _state_names = ("v",)

    lr = _learning_rate()
    """The learning rate (≥ 0), checked whenever it is assigned."""
    momentum = _Hyperparameter("momentum value")
    """The momentum (≥ 0), checked whenever it is assigned."""

    def __init__(self, lr: float = 0.01, momentum: float = 0.9) -> None:
        super().__init__()
        self.lr = lr
        self.momentum = momentum

    def update_one(self, param: Parameter) -> None:
        """One momentum step on ``param``."""
        (v,) = self._state(param, "v")
        v *= self.momentum
        subtract_scaled(v, self.lr, self._grad(param, cast=False))
        param.data += v


class AdaGrad(Optimizer):
    """AdaGrad: h ← h + grad²; param ← param − lr · grad / (√h + eps); lr ≥ 0, eps > 0.

    ``base_lr`` is ``lr``; the state holds each parameter's sum of squares ``h``.
    """

    _state_names = ("h",)

    lr = _learning_rate()
    """The learning rate (≥ 0), checked whenever it is assigned."""
    eps = _epsilon()
    """The term added to the denominator (> 0), checked whenever it is assigned."""

    def __init__(self, lr: float = 0.001, eps: float = 1e-8) -> None:
        super().__init__()
        self.lr = lr
        self.eps = eps

    def update_one(self, param: Parameter) -> None:
        """One AdaGrad step on ``param``."""
        xp = cuda.get_array_module(param.data)
        grad = self._grad(param)
        (h,) = self._state(param, "h")
        h += grad * grad
        param.data -= self.lr * grad / (xp.sqrt(h) + self.eps)


class AdaDelta(Optimizer):
    """AdaDelta (Zeiler 2012): dx = √((E[dx²] + eps) / (E[g²] + eps)) · grad, decay ``rho``.

    param ← param − lr · dx, where E[dx²] averages the unscaled ``dx`` (as PyTorch's
    ``Adadelta``).  ``lr`` (≥ 0, default 1.0) is ``base_lr``, what a scheduler sets;
    the default 1.0 gives DeZero's AdaDelta, which has no rate, exactly.  ``rho`` is
    in [0, 1] and ``eps`` > 0.  The state holds ``msg`` (E[g²]) and ``msdx`` (E[dx²]).
    """

    _state_names = ("msg", "msdx")
    lr = _learning_rate()
    """The factor of each step (≥ 0, default 1.0), checked whenever it is assigned."""
    rho = _Hyperparameter("rho value", maximum=1.0)
    """The decay of the running averages (in [0, 1]), checked whenever it is assigned."""
    eps = _epsilon()
    """The term added to the denominator (> 0), checked whenever it is assigned."""

    def __init__(self, rho: float = 0.95, eps: float = 1e-6, lr: float = 1.0) -> None:
        super().__init__()
        self.rho = rho
        self.eps = eps
        self.lr = lr

    def update_one(self, param: Parameter) -> None:
        """One AdaDelta step on ``param``."""
        xp = cuda.get_array_module(param.data)
        grad = self._grad(param)
        msg, msdx = self._state(param, "msg", "msdx")
        rho, eps = self.rho, self.eps
        msg *= rho
        msg += (1 - rho) * grad * grad
        dx = xp.sqrt((msdx + eps) / (msg + eps)) * grad
        msdx *= rho
        msdx += (1 - rho) * dx * dx
        if self.lr != 1:  # 1 leaves dx as it is (DeZero's AdaDelta, bit for bit)
            dx *= xp.asarray(self.lr, dtype=dx.dtype)
        param.data -= dx


class Adam(Optimizer):
    """Adam (Kingma & Ba): bias-corrected first/second moment estimates of the gradient.

    m ← m + (1 − β1)(g − m); v ← v + (1 − β2)(g² − v);
    param ← param − lr · m / (√v + eps), with lr = α · √(1 − β2ᵗ) / (1 − β1ᵗ).
    ``t`` counts calls of :meth:`update`.  ``alpha`` ≥ 0, β1 and β2 in [0, 1), eps > 0.
    ``base_lr`` is ``alpha`` (``lr`` is the bias-corrected rate of the current step); the
    state holds ``t`` and each parameter's moments ``m`` and ``v``.
    """

    _rate_attribute = "alpha"
    _counters = ("t",)
    _state_names = ("m", "v")

    alpha = _learning_rate()
    """The step size α (≥ 0), checked whenever it is assigned."""
    beta1 = _beta()
    """The decay of the first moment (in [0, 1)), checked whenever it is assigned."""
    beta2 = _beta()
    """The decay of the second moment (in [0, 1)), checked whenever it is assigned."""
    eps = _epsilon()
    """The term added to the denominator (> 0), checked whenever it is assigned."""

    def __init__(self, alpha: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8) -> None:
        super().__init__()
        self.t = 0
        self.alpha = alpha
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps

    def update(self, *args: Any, **kwargs: Any) -> None:
        """Count the step (``t += 1``), then update as :meth:`Optimizer.update`."""
        self.t += 1
        super().update(*args, **kwargs)

    @property
    def lr(self) -> float:
        """The bias-corrected step size at step ``t``: α · √(1 − β2ᵗ) / (1 − β1ᵗ)."""
        if self.t < 1:
            raise RuntimeError(f"{type(self).__name__}.lr is defined from step 1 on (t = "
                               f"{self.t}); call update(), which counts steps, rather than "
                               "update_one() directly")
        fix1 = 1.0 - math.pow(self.beta1, self.t)
        fix2 = 1.0 - math.pow(self.beta2, self.t)
        return self.alpha * math.sqrt(fix2) / fix1

    def update_one(self, param: Parameter) -> None:
        """One Adam step on ``param``."""
        xp = cuda.get_array_module(param.data)
        grad = self._grad(param)
        m, v = self._state(param, "m", "v")
        m += (1 - self.beta1) * (grad - m)
        v += (1 - self.beta2) * (grad * grad - v)
        param.data -= self.lr * m / (xp.sqrt(v) + self.eps)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): param ← param · (1 − α · wd), then Adam.

    Unlike :class:`WeightDecay` with Adam, the decay is not rescaled by the
    adaptive denominator.  ``weight_decay`` ≥ 0.
    """

    weight_decay = _Hyperparameter("weight_decay value")
    """The decoupled weight decay (≥ 0), checked whenever it is assigned."""

    def __init__(self, alpha: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, weight_decay: float = 0.01) -> None:
        super().__init__(alpha, beta1, beta2, eps)
        self.weight_decay = weight_decay

    def update_one(self, param: Parameter) -> None:
        """Decay ``param``, then one Adam step on it."""
        if self.weight_decay:
            param.data *= 1 - self.alpha * self.weight_decay
        super().update_one(param)
