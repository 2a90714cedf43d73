"""The :class:`Optimizer` base class, checked hyperparameters, and saving/loading their state.

An optimizer's state (:meth:`Optimizer.state_dict`) holds numbers and NumPy arrays only, so a
checkpoint can store it without pickle: the hyperparameters, step counters such as Adam's ``t``,
per-parameter arrays keyed by the parameter's attribute path (``'l1.W'``), and the settings of
hooks that have some (:class:`~dezero.optimizers.WeightDecay`,
:class:`~dezero.optimizers.ClipGrad`).
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np

from dezero import cuda
from dezero.core import Parameter
from dezero.utils.checks import as_int, check_callable, check_real, describe


# Elements per block of an in-place update (256 KiB of float32): small enough to stay in
# the cache and to need no parameter-sized temporary.
_BLOCK = 1 << 16


def subtract_scaled(target: Any, scale: float, grad: Any) -> None:
    """``target -= scale * grad`` in place, rounded as that expression is.

    A NumPy parameter of four blocks or more is updated block by block through one
    block-sized buffer (below that, the loop costs more than it saves): ``scale * grad``
    written whole would allocate (and, for multi-megabyte parameters, fault in) a
    temporary as large as the parameter on every step; this way the update costs about
    0.6 of the time (1000×1000 float32: 0.62 -> 0.36 ms) and no extra memory.  Other
    arrays (CuPy, non-contiguous views) take the plain expression.
    """
    size = target.size
    if (size < 4 * _BLOCK or type(target) is not np.ndarray or type(grad) is not np.ndarray
            or not (target.flags.c_contiguous and grad.flags.c_contiguous)
            or grad.shape != target.shape):
        target -= scale * grad
        return
    flat, gflat = target.reshape(-1), grad.reshape(-1)
    buffer = np.empty(_BLOCK, dtype=np.result_type(grad.dtype, scale))
    for start in range(0, size, _BLOCK):
        stop = min(start + _BLOCK, size)
        part = buffer[:stop - start]
        np.multiply(gflat[start:stop], scale, out=part)
        np.subtract(flat[start:stop], part, out=flat[start:stop])


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

    def check(self, obj: Any, value: Any) -> Any:
        """``value`` if it is allowed for this setting of ``obj``; raise otherwise."""
        return check_real(value, type(obj).__name__, self.name, what=self.what, **self.bounds)

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__[self.name] = self.check(obj, value)


def _learning_rate() -> _Hyperparameter:
    return _Hyperparameter("learning rate")


def _epsilon() -> _Hyperparameter:
    return _Hyperparameter("epsilon value", min_open=True)


def _beta() -> _Hyperparameter:
    return _Hyperparameter("beta parameter", maximum=1.0, max_open=True)


def _hyperparameters(cls: type) -> dict[str, _Hyperparameter]:
    """The checked settings of ``cls`` and its bases, in definition order (bases first)."""
    found: dict[str, _Hyperparameter] = {}
    for klass in reversed(cls.__mro__):
        for name, value in vars(klass).items():
            if isinstance(value, _Hyperparameter):
                found[name] = value
    return found


def _check_keys(who: str, arg: str, d: Any, expected: list[str]) -> None:
    """Refuse ``d`` unless it is a mapping with exactly the keys ``expected``."""
    if not isinstance(d, Mapping):
        raise TypeError(f"{who}: {arg} must be a dict (from state_dict()), got {describe(d)}")
    missing = [k for k in expected if k not in d]
    extra = [k for k in d if k not in expected]
    if missing or extra:
        raise ValueError(f"{who}: {arg} does not match (missing: {missing or 'none'}; "
                         f"unexpected: {extra or 'none'}); it was saved from another kind "
                         "of object")


def _settings_state(obj: Any) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in _hyperparameters(type(obj))}


def _prepare_settings(obj: Any, d: Any, arg: str) -> Callable[[], None]:
    """Check the settings ``d`` for ``obj``; return the function that assigns them."""
    who = f"{type(obj).__name__}.load_state_dict"
    settings = _hyperparameters(type(obj))
    _check_keys(who, arg, d, list(settings))
    values = {name: descriptor.check(obj, d[name]) for name, descriptor in settings.items()}

    def apply() -> None:
        for name, value in values.items():
            setattr(obj, name, value)
    return apply


class HookSettings:
    """Mixin for optimizer hooks whose settings are saved with the optimizer's state."""

    def state_dict(self) -> dict[str, Any]:
        """The hook's settings (numbers), e.g. ``{'rate': 1e-4}``."""
        return _settings_state(self)

    def load_state_dict(self, d: Mapping[str, Any]) -> None:
        """Restore settings saved by :meth:`state_dict` (checked first, then all assigned)."""
        _prepare_settings(self, d, "d")()


class Optimizer:
    """Base class: ``setup(target)`` then ``update()`` after each backward pass.

    ``update()`` collects the target's Parameters that have a gradient, runs
    the hooks on that list (they may change or drop gradients), then calls
    ``update_one`` on every Parameter that still has one.  :attr:`base_lr` is the
    learning rate a scheduler reads and sets; :meth:`state_dict` and
    :meth:`load_state_dict` save and restore the optimizer between processes.
    """

    _rate_attribute = "lr"  # the attribute base_lr stands for
    _counters: tuple[str, ...] = ()  # integer step counters saved with the state
    _state_names: tuple[str, ...] = ()  # names of the per-parameter arrays

    def __init__(self) -> None:
        self.target: Any = None
        self.hooks: list[Callable[[list[Parameter]], Any]] = []
        self._states: dict[int, tuple[Parameter, dict[str, Any]]] = {}

    @property
    def base_lr(self) -> Any:
        """The learning rate schedulers read and set (``lr``; ``alpha`` for Adam and AdamW)."""
        name = self._rate_attribute
        if not hasattr(self, name):
            raise AttributeError(f"{type(self).__name__}.base_lr: the optimizer has no "
                                 f"attribute {name!r}; set the class attribute _rate_attribute "
                                 "to the name of its learning rate")
        return getattr(self, name)

    @base_lr.setter
    def base_lr(self, value: Any) -> None:
        setattr(self, self._rate_attribute, value)

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

    # -- saving and restoring ------------------------------------------------------------------
    def _named_params(self) -> list[tuple[str, Parameter]]:
        """The target's Parameters by attribute path (``'l1.W'``), or by index as a string."""
        if self.target is None:
            return []
        named = getattr(self.target, "named_params", None)
        if callable(named):
            return list(named())
        return [(str(i), p) for i, p in enumerate(self.target.params())]

    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state, as numbers and NumPy arrays (copies) in nested dicts.

        ``{'hyperparameters': {'alpha': 0.001, ...}, 't': 5, 'state': {'l1.W': {'m': array,
        'v': array}, ...}, 'hooks': {'0': {'rate': 1e-4}}}``: ``t`` only for optimizers
        that count steps (Adam, AdamW); ``state`` has the per-parameter arrays keyed by
        the parameter's attribute path in the target (its index in ``params()`` for a
        target without ``named_params``); ``hooks`` the settings of the hooks that have
        ``state_dict`` (WeightDecay, ClipGrad), keyed by their position in ``hooks``.
        Other hooks (FreezeParam, functions) are code: add them again before loading.
        """
        state: dict[str, Any] = {}
        for path, param in self._named_params():
            entry = self._states.get(id(param))
            if entry is not None and entry[0] is param and entry[1]:
                state[path] = {name: cuda.as_numpy(array).copy()
                               for name, array in entry[1].items()}
        d: dict[str, Any] = {"hyperparameters": _settings_state(self)}
        d.update({name: getattr(self, name) for name in self._counters})
        d["state"] = state
        d["hooks"] = {str(i): hook.state_dict() for i, hook in enumerate(self.hooks)
                      if callable(getattr(hook, "state_dict", None))}
        return d

    def load_state_dict(self, d: Mapping[str, Any]) -> None:
        """Restore a state saved by :meth:`state_dict`, to continue training exactly.

        Call it after ``setup(model)`` on a model holding its weights (loaded, or sized
        by a forward pass), with the same hooks added in the same order.  Everything is
        checked before anything changes: keys, hyperparameter values, parameter paths,
        array names and shapes.  Arrays take their parameter's dtype and device.
        """
        self._prepare_state(d)()

    def _prepare_state(self, d: Any, shapes: Mapping[int, tuple] | None = None
                       ) -> Callable[[], None]:
        """Check ``d``; return the function that loads it.  ``shapes`` maps ``id(param)`` to
        the shape of a Parameter whose data is still to be loaded (a checkpoint's model)."""
        who = f"{type(self).__name__}.load_state_dict"
        _check_keys(who, "the state", d, ["hyperparameters", *self._counters, "state", "hooks"])
        apply_settings = _prepare_settings(self, d["hyperparameters"], "'hyperparameters'")
        counters = {}
        for name in self._counters:
            counters[name] = as_int(d[name], who, name)
            if counters[name] < 0:
                raise ValueError(f"{who}: {name} must be at least 0, got {counters[name]}")
        states = self._prepare_arrays(who, d["state"], shapes or {})
        hook_loads = self._prepare_hooks(who, d["hooks"])

        def apply() -> None:
            apply_settings()
            for name, value in counters.items():
                setattr(self, name, value)
            self._states = {}
            for param, arrays in states:
                on_gpu = cuda.get_array_module(param.data) is not np
                copies = {name: a.astype(param.data.dtype, copy=True)
                          for name, a in arrays.items()}
                self._states[id(param)] = (param, {
                    name: cuda.as_cupy(a) if on_gpu else a for name, a in copies.items()})
            for load in hook_loads:
                load()
        return apply

    def _prepare_arrays(self, who: str, state: Any, shapes: Mapping[int, tuple]) -> list:
        if not isinstance(state, Mapping):
            raise TypeError(f"{who}: 'state' must be a dict, got {describe(state)}")
        if state and self.target is None:
            raise RuntimeError(f"{who}: the state has per-parameter arrays but the optimizer "
                               "has no target; call optimizer.setup(model) first")
        params = dict(self._named_params())
        unknown = [path for path in state if path not in params]
        if unknown:
            raise ValueError(f"{who}: the state has arrays for parameters the target does not "
                             f"have: {unknown[:10]}; set up the optimizer on a model of the "
                             "same structure")
        prepared = []
        for path, arrays in state.items():
            param = params[path]
            if not isinstance(arrays, Mapping):
                raise TypeError(f"{who}: state[{path!r}] must be a dict of arrays, got "
                                f"{describe(arrays)}")
            shape = param.data.shape if param.data is not None else shapes.get(id(param))
            if shape is None:
                raise ValueError(f"{who}: parameter {path!r} has no data yet; load the model's "
                                 "weights (or run a forward pass) before the optimizer state")
            checked = {}
            for name, a in arrays.items():
                if name not in self._state_names:
                    raise ValueError(f"{who}: state[{path!r}] has the array {name!r}; "
                                     f"{type(self).__name__} keeps {list(self._state_names)}")
                if not isinstance(a, np.ndarray) or a.dtype.kind not in "biuf":
                    raise TypeError(f"{who}: state[{path!r}][{name!r}] must be a numeric NumPy "
                                    f"array, got {describe(a)}")
                if a.shape != tuple(shape):
                    raise ValueError(f"{who}: state[{path!r}][{name!r}] has shape {a.shape}, "
                                     f"but the parameter has shape {tuple(shape)}")
                checked[name] = a
            prepared.append((param, checked))
        return prepared

    def _prepare_hooks(self, who: str, hooks: Any) -> list[Callable[[], None]]:
        if not isinstance(hooks, Mapping):
            raise TypeError(f"{who}: 'hooks' must be a dict, got {describe(hooks)}")
        saving = [str(i) for i, hook in enumerate(self.hooks)
                  if callable(getattr(hook, "load_state_dict", None))]
        if sorted(hooks) != sorted(saving):
            raise ValueError(f"{who}: the state has settings for the hooks at positions "
                             f"{sorted(hooks)}, but this optimizer's hooks with settings are at "
                             f"{sorted(saving)}; add the same hooks in the same order first")
        return [_prepare_settings(self.hooks[int(i)], hooks[i], f"hooks[{i!r}]")
                for i in saving]

    # -- helpers for subclasses -------------------------------------------------
    def _grad(self, param: Parameter, cast: bool = True) -> Any:
        """The gradient array of ``param`` checked against its shape, in its dtype if ``cast``.

        SGD and MomentumSGD pass ``cast=False``: ``lr · grad`` is then computed in the
        gradient's precision and rounded once by the in-place update, as in DeZero, so
        programs from the book print the same numbers.
        """
        # the common case first: a Parameter whose gradient fits passes these two lines
        data = param._data if isinstance(param, Parameter) else None
        grad = None if data is None else getattr(param.grad, "_data", None)
        if grad is None or data is None or grad.shape != data.shape:
            self._bad_gradient(param)
        if isinstance(grad, np.generic):
            grad = np.asarray(grad)  # a 0-d gradient kept as a NumPy scalar
        return grad.astype(data.dtype, copy=False) if cast else grad

    def _bad_gradient(self, param: Any) -> None:
        """Raise the error that says what is wrong with ``param`` or its gradient."""
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
        raise ValueError(f"{type(self).__name__}: the gradient of parameter "
                         f"{param.name or '(unnamed)'} has shape {param.grad.data.shape}, but "
                         f"the parameter has shape {param.data.shape}")

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
