"""Learning-rate schedulers: they set an optimizer's ``base_lr`` step by step.

Create the scheduler after the optimizer, then call :meth:`LRScheduler.step` once per epoch or
once per iteration (your choice: a "step" is whatever you count).  Creating a scheduler sets the
rate of step 0; each ``step()`` moves to the next step and sets its rate.  The rates follow
PyTorch's closed-form formulas (``_get_closed_form_lr``), computed from the step number, so a
schedule restarted from :meth:`LRScheduler.load_state_dict` continues exactly:

    optimizer = optimizers.Adam(alpha=1e-3).setup(model)
    scheduler = schedulers.LinearWarmup(optimizer, 5,
                                        after=schedulers.CosineAnnealingLR(optimizer, T_max=95))
    for epoch in range(100):
        ...  # train one epoch with optimizer.update()
        scheduler.step()
"""
from __future__ import annotations

import math
from typing import Any, Callable, Mapping

from dezero.optimizers._base import Optimizer, _check_keys
from dezero.utils.checks import as_int, as_size, check_real, describe


class LRScheduler:
    """Base class: sets ``optimizer.base_lr`` to :meth:`lr_at` of the current step.

    ``base_lr`` is the optimizer's rate when the scheduler was created (the rate the
    schedule starts from); ``last_epoch`` counts the calls of :meth:`step` (0 after
    creation).  Subclasses implement :meth:`lr_at` and list their settings in
    ``_settings`` (name → check) so that they are saved by :meth:`state_dict`.
    """

    _settings: dict[str, Callable[[Any, str], Any]] = {}

    def __init__(self, optimizer: Optimizer) -> None:
        who = type(self).__name__
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{who}: optimizer must be a dezero Optimizer (with base_lr), got "
                            f"{describe(optimizer)}")
        self.optimizer = optimizer
        self.base_lr = optimizer.base_lr
        self.last_epoch = 0
        optimizer.base_lr = self.get_lr()

    def lr_at(self, epoch: int) -> float:
        """The rate of step ``epoch`` (0 is the step before the first :meth:`step`)."""
        raise NotImplementedError(f"{type(self).__name__}.lr_at is not implemented")

    def get_lr(self) -> float:
        """The rate of the current step (``lr_at(last_epoch)``), the one the optimizer has."""
        return self.lr_at(self.last_epoch)

    def step(self) -> None:
        """Move to the next step and set the optimizer's ``base_lr`` to its rate."""
        self.last_epoch += 1
        self.optimizer.base_lr = self.get_lr()

    def state_dict(self) -> dict[str, Any]:
        """The scheduler's state as numbers: ``last_epoch``, ``base_lr`` and its settings."""
        d = {"last_epoch": self.last_epoch, "base_lr": self.base_lr}
        d.update({name: getattr(self, name) for name in self._settings})
        return d

    def load_state_dict(self, d: Mapping[str, Any]) -> None:
        """Restore a state saved by :meth:`state_dict` (checked first, then all assigned).

        The optimizer is not changed: its own state holds its rate (as in PyTorch);
        the next :meth:`step` sets the rate that follows.
        """
        self._prepare_state(d)()

    def _prepare_state(self, d: Any) -> Callable[[], None]:
        who = f"{type(self).__name__}.load_state_dict"
        _check_keys(who, "the state", d, ["last_epoch", "base_lr", *self._settings])
        last_epoch = as_int(d["last_epoch"], who, "last_epoch")
        if last_epoch < 0:
            raise ValueError(f"{who}: last_epoch must be at least 0, got {last_epoch}")
        base_lr = check_real(d["base_lr"], who, "base_lr", minimum=0.0)
        settings = {name: check(d[name], who) for name, check in self._settings.items()}

        def apply() -> None:
            self.last_epoch, self.base_lr = last_epoch, base_lr
            for name, value in settings.items():
                setattr(self, name, value)
        return apply


def _positive_int(name: str) -> Callable[[Any, str], int]:
    return lambda value, who: as_size(value, who, name)


def _non_negative(name: str) -> Callable[[Any, str], Any]:
    return lambda value, who: check_real(value, who, name, minimum=0.0)


class StepLR(LRScheduler):
    """Decay the rate by ``gamma`` every ``step_size`` steps.

    Rate of step n: ``base_lr · gamma ** (n // step_size)`` (PyTorch's ``StepLR``).
    ``step_size`` is a positive integer, ``gamma`` ≥ 0.
    """

    _settings = {"step_size": _positive_int("step_size"), "gamma": _non_negative("gamma")}

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = as_size(step_size, "StepLR", "step_size")
        self.gamma = check_real(gamma, "StepLR", "gamma", minimum=0.0)
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        """``base_lr · gamma ** (epoch // step_size)``."""
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class CosineAnnealingLR(LRScheduler):
    """Anneal the rate from ``base_lr`` to ``eta_min`` along half a cosine over ``T_max`` steps.

    Rate of step n: ``eta_min + (base_lr − eta_min) · (1 + cos(π · n / T_max)) / 2``
    (PyTorch's closed form; past ``T_max`` the cosine goes on, rising again).
    ``T_max`` is a positive integer, ``eta_min`` ≥ 0.
    """

    _settings = {"T_max": _positive_int("T_max"), "eta_min": _non_negative("eta_min")}

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        self.T_max = as_size(T_max, "CosineAnnealingLR", "T_max")
        self.eta_min = check_real(eta_min, "CosineAnnealingLR", "eta_min", minimum=0.0)
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        """``eta_min + (base_lr − eta_min) · (1 + cos(π · epoch / T_max)) / 2``."""
        return self.eta_min + (self.base_lr - self.eta_min) * (
            1 + math.cos(math.pi * epoch / self.T_max)) / 2


class LinearWarmup(LRScheduler):
    """Raise the rate linearly to ``base_lr`` over ``warmup_steps`` steps, then hand over.

    Rate of step n < ``warmup_steps``: ``base_lr · (n + 1) / warmup_steps``, so step 0
    already trains (at ``base_lr / warmup_steps``) and step ``warmup_steps − 1`` reaches
    ``base_lr``.  From step ``warmup_steps`` on the rate is ``base_lr`` or, with ``after``
    (another scheduler of the same optimizer, created first), ``after``'s rate of step
    n − ``warmup_steps``: ``after`` runs its whole schedule from its own start, as in
    PyTorch's ``SequentialLR``.  Step only the LinearWarmup; it keeps ``after.last_epoch``
    in line.  ``base_lr`` is ``after.base_lr`` when ``after`` is given.
    """

    _settings = {"warmup_steps": _positive_int("warmup_steps")}

    def __init__(self, optimizer: Optimizer, warmup_steps: int,
                 after: LRScheduler | None = None) -> None:
        self.warmup_steps = as_size(warmup_steps, "LinearWarmup", "warmup_steps")
        if after is not None:
            if not isinstance(after, LRScheduler):
                raise TypeError(f"LinearWarmup: after must be a scheduler or None, got "
                                f"{describe(after)}")
            if after.optimizer is not optimizer:
                raise ValueError("LinearWarmup: after schedules another optimizer; create it "
                                 "on the same optimizer as the warm-up")
        self.after = after
        super().__init__(optimizer)
        if after is not None:
            self.base_lr = after.base_lr
            optimizer.base_lr = self.get_lr()

    def lr_at(self, epoch: int) -> float:
        """The warm-up rate before ``warmup_steps``, then ``after``'s rate (or ``base_lr``)."""
        if epoch < self.warmup_steps:
            return self.base_lr * (epoch + 1) / self.warmup_steps
        if self.after is not None:
            return self.after.lr_at(epoch - self.warmup_steps)
        return self.base_lr

    def step(self) -> None:
        """Move to the next step, keep ``after`` in line, and set the optimizer's rate."""
        self.last_epoch += 1
        if self.after is not None:
            self.after.last_epoch = max(0, self.last_epoch - self.warmup_steps)
        self.optimizer.base_lr = self.get_lr()

    def state_dict(self) -> dict[str, Any]:
        """As :meth:`LRScheduler.state_dict`, with ``after``'s state under ``'after'``."""
        d = super().state_dict()
        if self.after is not None:
            d["after"] = self.after.state_dict()
        return d

    def _prepare_state(self, d: Any) -> Callable[[], None]:
        who = "LinearWarmup.load_state_dict"
        if isinstance(d, Mapping) and ("after" in d) != (self.after is not None):
            raise ValueError(f"{who}: the state was saved {'with' if 'after' in d else 'without'}"
                             f" a scheduler after the warm-up, but this LinearWarmup has "
                             f"{'one' if self.after is not None else 'none'}")
        apply_own = super()._prepare_state(
            {k: v for k, v in d.items() if k != "after"} if isinstance(d, Mapping) else d)
        if self.after is None:
            return apply_own
        apply_after = self.after._prepare_state(d["after"])

        def apply() -> None:
            apply_own()
            apply_after()
        return apply
