"""Per-context configuration: whether graphs are recorded, and train/test mode.

Each setting lives in a :class:`contextvars.ContextVar`, so ``no_grad()`` in one
thread (or asyncio task) never changes what another thread records.  The
``Config`` class keeps the old DeZero spelling ``dezero.Config.enable_backprop``
readable and assignable; assignment sets the value for the current context only.
"""
from __future__ import annotations

import contextlib
import contextvars
from typing import Any, Iterator

import numpy as np

# Read directly by the hot path in ``Function.__call__`` (dezero._function).
enable_backprop_var: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "dezero.enable_backprop", default=True)
train_var: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "dezero.train", default=True)



class _ArrayMode:
    """The value of ``enable_backprop_var`` while backward runs on arrays (see
    :mod:`dezero._backprop`): false like ``no_grad()``, and in addition every Function
    call returns its forward's raw arrays instead of Variables."""

    __slots__ = ()

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "ARRAY_MODE"


ARRAY_MODE = _ArrayMode()
"""The array-level backward's value of the enable_backprop setting (reads as False)."""

_SETTINGS: dict[str, contextvars.ContextVar] = {
    "enable_backprop": enable_backprop_var,
    "train": train_var,
}


def _setting(name: str) -> contextvars.ContextVar:
    """The context variable of the setting ``name``; AttributeError listing the known names.

    DeZero 0.0.13's ``using_config`` reads the old value with ``getattr(Config, name)``
    first, so an unknown name was an AttributeError there too.
    """
    if not isinstance(name, str):
        raise TypeError(f"using_config: name must be a string naming a setting "
                        f"({', '.join(sorted(_SETTINGS))}), got {name!r} "
                        f"({type(name).__name__})")
    try:
        return _SETTINGS[name]
    except KeyError:
        known = ", ".join(sorted(_SETTINGS))
        raise AttributeError(
            f"dezero.Config has no setting {name!r}; known settings: {known}") from None


def _flag(value: Any, subject: str) -> bool:
    """``value`` as a Python bool: True/False or a NumPy bool; anything else is a TypeError."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{subject} must be True or False, got {value!r} "
                        f"({type(value).__name__})")
    return bool(value)


class _ConfigMeta(type):
    """Turns class attribute access on ``Config`` into context-variable reads."""

    def __getattr__(cls, name: str) -> Any:
        return bool(_setting(name).get())

    def __setattr__(cls, name: str, value: Any) -> None:
        var = _setting(name)
        var.set(_flag(value, f"dezero.Config.{name}"))

    def __delattr__(cls, name: str) -> None:
        _setting(name)
        raise AttributeError(f"dezero.Config.{name} cannot be deleted; assign True or False, "
                             f"or use using_config({name!r}, value) for a block")


class Config(metaclass=_ConfigMeta):
    """Settings of the current context: ``Config.enable_backprop``, ``Config.train``.

    Reading gives the value in force for this thread/context; assigning changes
    it for this context only.  Prefer the scoped forms :func:`using_config`,
    :func:`no_grad` and :func:`test_mode`.
    """


@contextlib.contextmanager
def using_config(name: str, value: Any) -> Iterator[None]:
    """Set the setting ``name`` to ``value`` inside a ``with`` block, in this context only.

    ``value`` must be True or False (a NumPy bool is read as one); an unknown
    ``name`` is an AttributeError listing the known settings.
    """
    var = _setting(name)
    token = var.set(_flag(value, f"using_config: the setting {name!r}"))
    try:
        yield
    finally:
        var.reset(token)


def no_grad() -> contextlib.AbstractContextManager:
    """Context manager that stops graph recording (``enable_backprop=False``)."""
    return using_config("enable_backprop", False)


def test_mode() -> contextlib.AbstractContextManager:
    """Context manager that switches layers such as dropout to test behaviour (``train=False``)."""
    return using_config("train", False)


# pytest would otherwise try to collect ``test_mode`` when a test module imports it.
test_mode.__test__ = False  # type: ignore[attr-defined]
