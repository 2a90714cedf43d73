"""Optimizers that update a Layer's Parameters from their gradients, and gradient hooks.

Every update happens in place on ``param.data`` and in the parameter's own
dtype: gradients are cast to it first, so float32 parameters never see float64
temporaries.  Per-parameter state (momentum, squared-gradient averages) is kept
per Parameter object and follows it to the GPU and back.  Hooks never modify a
gradient array in place: they give the parameter a new gradient Variable, so a
gradient shared by two parameters is never changed twice.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Iterable

from dezero import cuda
from dezero.core import Parameter, Variable
from dezero.layers import Layer
from dezero.utils.checks import check_callable, check_real, describe


class _Hyperparameter:
    """A real-valued setting of an optimizer or hook, checked whenever it is assigned.

    Bounds follow PyTorch's optimizers (``ValueError: ... Invalid learning rate``);
    NaN, infinity (unless ``allow_inf``), booleans, strings and None are refused.
    The value is stored as given, so a NumPy float32 rate stays one.
    """

    def __init__(self, what: str, minimum: float = 0.0, maximum: float | None = None,
                 min_open: bool = False, max_open: bool = False,
                 allow_inf: bool = False) -> None:
        self.what = what
        self.bounds = dict(minimum=minimum, maximum=maximum, min_open=min_open,
                           max_open=max_open, allow_inf=allow_inf)
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        try:
            return obj.__dict__[self.name]
        except KeyError:
            raise AttributeError(f"{type(obj).__name__}.{self.name} has not been set; call "
                                 f"{type(obj).__name__}.__init__ from the subclass") from None

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__[self.name] = check_real(value, type(obj).__name__, self.name,
                                             what=self.what, **self.bounds)


def _learning_rate() -> _Hyperparameter:
    return _Hyperparameter("learning rate")


def _epsilon() -> _Hyperparameter:
    return _Hyperparameter("epsilon value", min_open=True)


def _beta() -> _Hyperparameter:
    return _Hyperparameter("beta parameter", maximum=1.0, max_open=True)


class Optimizer:
    """Base class: ``setup(target)`` then ``update()`` after each backward pass.

    ``update()`` collects the target's Parameters that have a gradient, runs
    the hooks on that list (they may change or drop gradients), then calls
    ``update_one`` on every Parameter that still has one.
    """

    def __init__(self) -> None:
        self.target: Any = None
        self.hooks: list[Callable[[list[Parameter]], Any]] = []
        self._states: dict[int, tuple[Parameter, dict[str, Any]]] = {}

    def setup(self, target: Any) -> "Optimizer":
        """Attach the Layer/Model whose Parameters are updated; return self (for chaining)."""
        if isinstance(target, type):
            raise TypeError(f"{type(self).__name__}.setup: got the class {target.__name__}, "
                            f"not a model; pass an instance such as {target.__name__}(...)")
        if not callable(getattr(target, "params", None)):
            raise TypeError(f"{type(self).__name__}.setup: expected a Layer or Model (something "
                            f"with params()), got {type(target).__name__}")
        self.target = target
        return self

    def update(self) -> None:
        """Apply the hooks, then one update step to every Parameter that has a gradient."""
        if self.target is None:
            raise RuntimeError(f"{type(self).__name__}.update: no target; call "
                               "optimizer.setup(model) first")
        params = [p for p in self.target.params() if p.grad is not None]
        for hook in self.hooks:
            hook(params)
        for param in params:
            # A hook such as FreezeParam may have removed the gradient.
            if param.grad is not None:
                self.update_one(param)

    def update_one(self, param: Parameter) -> None:
        """Update one Parameter in place from its gradient (subclasses implement this)."""
        raise NotImplementedError(f"{type(self).__name__}.update_one is not implemented")

    def add_hook(self, f: Callable[[list[Parameter]], Any]) -> None:
        """Register ``f(params)``, called before each update with the Parameters to update."""
        self.hooks.append(check_callable(f, f"{type(self).__name__}.add_hook", "hook"))

    # -- helpers for subclasses -------------------------------------------------
    def _grad(self, param: Parameter, cast: bool = True) -> Any:
        """The gradient array of ``param`` checked against its shape, in its dtype if ``cast``.

        SGD and MomentumSGD pass ``cast=False``: ``lr · grad`` is then computed in the
        gradient's precision and rounded once by the in-place update, as in DeZero, so
        programs from the book print the same numbers.
        """
        who = f"{type(self).__name__}.update_one"
        if not isinstance(param, Parameter):
            raise TypeError(f"{who}: expected a Parameter, got {type(param).__name__}")
        label = repr(param.name or "(unnamed)")
        if param.data is None:
            raise ValueError(f"{who}: parameter {label} has no data yet (layers size their "
                             "weights on the first forward pass)")
        if param.grad is None or param.grad.data is None:
            raise ValueError(f"{who}: parameter {label} has no gradient; call backward() on "
                             "the loss first (update() skips such parameters)")
        grad = param.grad.data
        if grad.shape != param.data.shape:
            raise ValueError(f"{type(self).__name__}: the gradient of parameter "
                             f"{param.name or '(unnamed)'} has shape {grad.shape}, but the "
                             f"parameter has shape {param.data.shape}")
        return grad.astype(param.data.dtype, copy=False) if cast else grad

    def _state(self, param: Parameter, *names: str) -> list[Any]:
        """This parameter's state arrays ``names`` (zeros at first), on its device."""
        entry = self._states.get(id(param))
        if entry is None or entry[0] is not param:
            # The Parameter is stored with its state: its id cannot be reused meanwhile.
            entry = (param, {})
            self._states[id(param)] = entry
        state = entry[1]
        xp = cuda.get_array_module(param.data)
        out = []
        for name in names:
            s = state.get(name)
            if s is None or s.shape != param.data.shape:
                s = state[name] = xp.zeros_like(param.data)
            elif cuda.get_array_module(s) is not xp:
                s = state[name] = cuda.as_numpy(s) if xp is not cuda.cp else cuda.as_cupy(s)
            out.append(s)
        return out


# -- hooks ---------------------------------------------------------------------
class WeightDecay:
    """L2 regularisation hook: grad ← grad + rate · param (``rate`` ≥ 0)."""

    rate = _Hyperparameter("weight decay rate")
    """The decay rate (≥ 0), checked whenever it is assigned."""

    def __init__(self, rate: float) -> None:
        self.rate = rate

    def __call__(self, params: Iterable[Parameter]) -> None:
        for param in params:
            if param.grad is not None:
                param.grad = Variable(param.grad.data + self.rate * param.data)


class ClipGrad:
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
    """Hook that drops the gradients of the given Parameters or Layers (they stay fixed)."""

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


# -- optimizers ----------------------------------------------------------------
class SGD(Optimizer):
    """Stochastic gradient descent: param ← param − lr · grad (``lr`` ≥ 0)."""

    lr = _learning_rate()
    """The learning rate (≥ 0), checked whenever it is assigned."""

    def __init__(self, lr: float = 0.01) -> None:
        super().__init__()
        self.lr = lr

    def update_one(self, param: Parameter) -> None:
        """param ← param − lr · grad."""
        param.data -= self.lr * self._grad(param, cast=False)


class MomentumSGD(Optimizer):
    """SGD with momentum: v ← momentum · v − lr · grad; param ← param + v (both ≥ 0)."""

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
        v -= self.lr * self._grad(param, cast=False)
        param.data += v


class AdaGrad(Optimizer):
    """AdaGrad: h ← h + grad²; param ← param − lr · grad / (√h + eps); lr ≥ 0, eps > 0."""

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
    """AdaDelta (Zeiler 2012): step = √((E[dx²] + eps) / (E[g²] + eps)) · grad, decay ``rho``.

    ``rho`` is in [0, 1] and ``eps`` > 0.
    """

    rho = _Hyperparameter("rho value", maximum=1.0)
    """The decay of the running averages (in [0, 1]), checked whenever it is assigned."""
    eps = _epsilon()
    """The term added to the denominator (> 0), checked whenever it is assigned."""

    def __init__(self, rho: float = 0.95, eps: float = 1e-6) -> None:
        super().__init__()
        self.rho = rho
        self.eps = eps

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
        param.data -= dx


class Adam(Optimizer):
    """Adam (Kingma & Ba): bias-corrected first/second moment estimates of the gradient.

    m ← m + (1 − β1)(g − m); v ← v + (1 − β2)(g² − v);
    param ← param − lr · m / (√v + eps), with lr = α · √(1 − β2ᵗ) / (1 − β1ᵗ).
    ``t`` counts calls of :meth:`update`.  ``alpha`` ≥ 0, β1 and β2 in [0, 1), eps > 0.
    """

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
