"""The :class:`Layer` base class: Parameters, sub-layers and saved state, by attribute."""
from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any, Callable, Iterator

from dezero._backprop import HookHandle
from dezero.core import Parameter, Variable
from dezero.utils.checks import check_callable, describe
from dezero.layers import _weights as weights_file

if TYPE_CHECKING:
    from dezero.layers._summary import LayerSummary


def scaled_randn(xp: Any, shape: tuple[int, ...], scale: float, dtype: Any) -> Any:
    """``randn(*shape) * scale`` in ``dtype``: the initial weights of Linear/Conv layers.

    Draws exactly the numbers DeZero draws (``randn`` then cast), and scales in
    ``dtype`` itself: a NumPy float64 scale would promote float32 weights to
    float64 under NumPy 2 rules, as happens in DeZero 0.0.13.
    """
    w = xp.random.randn(*shape).astype(dtype)
    w *= xp.asarray(scale, dtype=w.dtype)
    return w


def _weak(obj: Any) -> Any:
    """A weak reference to ``obj``, or a callable returning None for objects that refuse one."""
    try:
        return weakref.ref(obj)
    except TypeError:  # Python ints/floats cannot be weakly referenced
        return lambda: None


def input_shape(x: Any, who: str) -> tuple[int, ...]:
    """The shape of a layer's input ``x`` (a Variable or an array), checked to be one.

    Raises TypeError naming ``who`` for lists, Python numbers, None and the like,
    which DeZero 0.0.13 met with a bare AttributeError.
    """
    data = x.data if isinstance(x, Variable) else x
    if data is None or not (hasattr(data, "shape") and hasattr(data, "ndim")):
        got = "a Variable holding None" if isinstance(x, Variable) else describe(x)
        raise TypeError(f"{who}: the input must be a Variable or an array, got {got}; "
                        "convert data with np.asarray(...) first")
    return tuple(data.shape)


def check_weight(layer: "Layer", name: str) -> None:
    """Refuse to run ``layer`` whose weight attribute ``name`` is no longer a Variable.

    (A plain Variable is allowed: gradient checks substitute one for the Parameter.)
    """
    value = layer.__dict__.get(name)
    if not isinstance(value, Variable):
        raise TypeError(f"{type(layer).__name__}: its weight {name!r} is {describe(value)}, "
                        f"not a Parameter; assign a dezero.Parameter to {name!r} (Parameter(None) "
                        "to size it from the next input)")


_RESERVED = ("_params", "_states", "_forward_hooks", "_forward_pre_hooks", "_has_forward_hooks")


class Layer:
    """A trainable block: attributes holding a Parameter or a Layer are registered.

    Registration follows assignment order (a dict, never a set), so
    :meth:`params` yields the same order in every process — DeZero 0.0.13 keeps
    a set of names and its order changes from run to run.  Assigning anything
    else (``None`` included) to a registered name unregisters it.
    Non-trainable arrays that must be saved with the weights (BatchNorm's
    running statistics) are declared with :meth:`add_state`.

    :meth:`summary` returns a printable table of the layers, their output shapes
    and parameter counts; :meth:`register_forward_pre_hook` and
    :meth:`register_forward_hook` add functions that see (and may replace) a
    call's inputs and outputs.
    """

    # The forward hooks ({key: fn}); set on the instance when the first one is registered,
    # and then _has_forward_hooks too (the one attribute a call without hooks reads).
    _forward_pre_hooks: dict | None = None
    _forward_hooks: dict | None = None
    _has_forward_hooks = False

    def __init__(self) -> None:
        object.__setattr__(self, "_params", {})
        object.__setattr__(self, "_states", {})

    def _registries(self) -> tuple[dict, dict]:
        # Created on demand so a subclass that forgot super().__init__() still works.
        d = self.__dict__
        if "_params" not in d:
            object.__setattr__(self, "_params", {})
            object.__setattr__(self, "_states", {})
        return d["_params"], d["_states"]

    def _check_name(self, name: str, kind: str | None) -> None:
        """Refuse, before anything changes, a name that would break the registries.

        ``kind`` says what is being registered (``'Parameter'``, a layer class
        name, ``'state'``), or is None for a plain attribute.
        """
        who = type(self).__name__
        if not isinstance(name, str):
            raise TypeError(f"{who}: attribute names are strings, got {describe(name)}")
        if name in _RESERVED:
            raise ValueError(f"{who}: {name!r} is reserved for dezero.Layer's registries of "
                             "Parameters, sub-layers, states and hooks; use another attribute "
                             "name")
        if kind is None:
            return
        if not name.isidentifier():
            raise ValueError(f"{who}: cannot register a {kind} as {name!r}: the name must be "
                             "a Python identifier (weight files join names with '/' and '.')")
        attr = getattr(type(self), name, None)
        if callable(attr) or isinstance(attr, property):
            raise ValueError(f"{who}: cannot register a {kind} as {name!r}: that name is the "
                             f"method or property {who}.{name}; choose another attribute name")

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, (Parameter, Layer)):
            self._check_name(name, "Parameter" if isinstance(value, Parameter)
                             else type(value).__name__)
            if value is self:
                raise ValueError(f"{type(self).__name__}: cannot register the layer as its "
                                 f"own sub-layer {name!r}")
        else:
            self._check_name(name, None)
        params, states = self._registries()
        if isinstance(value, (Parameter, Layer)):
            params[name] = None
            states.pop(name, None)
        else:
            params.pop(name, None)
            if not isinstance(value, Variable):
                states.pop(name, None)
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        self._check_name(name, None)
        params, states = self._registries()
        params.pop(name, None)
        states.pop(name, None)
        object.__delattr__(self, name)

    def add_state(self, name: str, data: Any = None) -> Variable:
        """Register a non-trainable array (held in a Variable) saved with the weights.

        States are not yielded by :meth:`params` (optimizers never touch them)
        but :meth:`save_weights`, :meth:`load_weights`, :meth:`to_cpu` and
        :meth:`to_gpu` handle them like parameters.
        """
        self._check_name(name, "state")
        var = Variable(data, name=name)
        _, states = self._registries()
        states[name] = None
        object.__setattr__(self, name, var)
        self._params.pop(name, None)
        return var

    # -- calling ----------------------------------------------------------------
    def __call__(self, *inputs: Any) -> Any:
        if self._has_forward_hooks:
            inputs, outputs = self._forward_with_hooks(inputs)
        else:
            outputs = self.forward(*inputs)
        if not isinstance(outputs, tuple):
            outputs = (outputs,)
        # Plain attributes (never Parameters or Layers): stored without __setattr__'s
        # registry bookkeeping, which would cost more than the rest of a small layer's call.
        d = self.__dict__
        registered = (*d.get("_params", ()), *d.get("_states", ()))
        if "inputs" not in registered and "outputs" not in registered:
            d["inputs"] = [_weak(x) for x in inputs]
            d["outputs"] = [_weak(y) for y in outputs]
        else:
            self.inputs = [_weak(x) for x in inputs]
            self.outputs = [_weak(y) for y in outputs]
        return outputs if len(outputs) > 1 else outputs[0]

    def forward(self, *inputs: Any) -> Any:
        """Compute the layer's output from its inputs (subclasses implement this)."""
        raise NotImplementedError(f"{type(self).__name__}.forward is not implemented")

    def _forward_with_hooks(self, inputs: tuple) -> tuple[tuple, Any]:
        """(inputs, outputs) of :meth:`forward` with the pre-hooks and hooks applied."""
        for fn in tuple((self._forward_pre_hooks or {}).values()):
            result = fn(self, inputs)
            if result is not None:
                inputs = result if isinstance(result, tuple) else (result,)
        outputs = self.forward(*inputs)
        for fn in tuple((self._forward_hooks or {}).values()):
            result = fn(self, inputs, outputs)
            if result is not None:
                outputs = result
        return inputs, outputs

    def _add_hook(self, kind: str, fn: Any) -> HookHandle:
        check_callable(fn, f"{type(self).__name__}.register_{kind[1:-1]}", "fn")
        hooks = self.__dict__.get(kind)
        if hooks is None:
            hooks = {}
            object.__setattr__(self, kind, hooks)
        object.__setattr__(self, "_has_forward_hooks", True)
        return HookHandle(hooks, fn)

    def register_forward_pre_hook(self, fn: Callable[["Layer", tuple], Any]) -> HookHandle:
        """Call ``fn(layer, inputs)`` before every :meth:`forward` of this layer.

        ``inputs`` is the tuple of positional arguments.  A return value other
        than None replaces them: a tuple is the new arguments, anything else
        the single new argument.  Hooks run in registration order, each seeing
        the previous one's result.  Returns a handle whose ``remove()``
        unregisters the hook (also a context manager).
        """
        return self._add_hook("_forward_pre_hooks", fn)

    def register_forward_hook(self, fn: Callable[["Layer", tuple, Any], Any]) -> HookHandle:
        """Call ``fn(layer, inputs, outputs)`` after every :meth:`forward` of this layer.

        ``inputs`` is the tuple of arguments forward received, ``outputs`` what
        it returned (a Variable, or a tuple for several outputs).  A return
        value other than None replaces the output the caller gets.  Hooks run
        in registration order, each seeing the previous one's result.  Returns
        a handle whose ``remove()`` unregisters the hook (also a context manager).
        A layer without hooks pays one attribute check per call.
        """
        return self._add_hook("_forward_hooks", fn)

    def summary(self, *example_inputs: Any) -> "LayerSummary":
        """A table of this layer and its sub-layers, computed by calling it on ``example_inputs``.

        One row per layer (this one first, then its sub-layers depth first in
        attribute order): attribute path, type, output shape of its first call
        (``--`` if it was not called) and the number of parameter and state
        elements it holds itself (a shared Parameter is counted once), then the
        totals.  The call runs under :func:`~dezero.no_grad` and
        :func:`~dezero.test_mode` with temporary forward hooks, so lazily sized
        layers (``Linear(out)``) get sized by it; recurrent layers (those with
        ``reset_state``) get their state back afterwards.  ``str()`` (or
        ``print``) gives the table; the result also has ``rows`` (path, type,
        output_shape, params), ``total_params`` and ``trainable_params``
        (Parameters only: state such as BatchNorm's running averages is not
        trainable).
        """
        from dezero.layers._summary import summarize
        return summarize(self, example_inputs)

    # -- traversal ----------------------------------------------------------------
    def _entries(self, prefix: tuple[str, ...] = (),
                 ancestors: frozenset = frozenset()) -> Iterator[tuple]:
        """Yield ``(path, kind, obj, owner)`` for every registered entry, depth first.

        ``kind`` is ``'param'``, ``'layer'`` or ``'state'``; shared objects appear
        once per path.
        """
        params, states = self._registries()
        ancestors = ancestors | {id(self)}
        for name in params:
            obj = self.__dict__[name]
            path = prefix + (name,)
            if isinstance(obj, Layer):
                if id(obj) in ancestors:
                    raise ValueError(
                        f"{type(self).__name__}: layer {'.'.join(path)!r} contains itself; "
                        "layers must form a tree (sharing a sub-layer is fine, cycles are not)")
                yield path, "layer", obj, self
                yield from obj._entries(path, ancestors)
            else:
                yield path, "param", obj, self
        for name in states:
            yield prefix + (name,), "state", self.__dict__[name], self

    def _unique(self, *kinds: str) -> Iterator[tuple[str, Any]]:
        seen: set[int] = set()
        for path, kind, obj, _ in self._entries():
            if kind in kinds and id(obj) not in seen:
                seen.add(id(obj))
                yield ".".join(path), obj

    def params(self) -> Iterator[Parameter]:
        """Yield every Parameter of this layer and its sub-layers (each once, in order)."""
        for _, param in self._unique("param"):
            yield param

    def named_params(self) -> Iterator[tuple[str, Parameter]]:
        """Yield ``('l1.W', param)`` pairs: dotted attribute path and Parameter (each once)."""
        return self._unique("param")

    def named_layers(self) -> Iterator[tuple[str, "Layer"]]:
        """Yield ``('l1', layer)`` pairs for every sub-layer, recursively (each once)."""
        return self._unique("layer")

    def named_states(self) -> Iterator[tuple[str, Variable]]:
        """Yield ``('bn1.avg_mean', variable)`` pairs for the non-trainable saved state."""
        return self._unique("state")

    def cleargrads(self) -> None:
        """Set the gradient of every Parameter to None."""
        for param in self.params():
            param.cleargrad()

    def to_cpu(self) -> None:
        """Move every Parameter and state array to host memory (NumPy)."""
        for _, var in self._unique("param", "state"):
            var.to_cpu()

    def to_gpu(self) -> None:
        """Move every Parameter and state array to the GPU (CuPy)."""
        for _, var in self._unique("param", "state"):
            var.to_gpu()

    # -- weights files ----------------------------------------------------------
    def _weights(self) -> dict[str, tuple[Variable, "Layer", str]]:
        """Map DeZero file keys (``'l1/W'``) to (variable, owning layer, attribute name)."""
        return {"/".join(path): (obj, owner, path[-1])
                for path, kind, obj, owner in self._entries() if kind != "layer"}

    def _weight_spec(self, name: str) -> tuple[tuple | None, Any]:
        """Expected (shape, dtype) of the still-uninitialised weight ``name``.

        Layers that create weights lazily override this so that loading a file
        into a fresh layer still checks what can be known: ``None`` entries in
        the shape (or a ``None`` shape/dtype) are not checked.
        """
        return None, None

    def save_weights(self, path: Any) -> str:
        """Save Parameters and state to ``path`` (keys like ``'l1/W'``); return the path.

        The format is ``.npz``, with ``'.npz'`` appended to a path without it (as
        ``np.savez`` does), unless the path ends in ``.safetensors``: that file is
        written in the safetensors format, with the same keys (this needs the optional
        ``safetensors`` package, ``pip install 'dezero[safetensors]'``).  The write is
        atomic: a temporary file in the same folder replaces ``path`` only once
        complete, so a failure never destroys an existing file.  Unlike DeZero 0.0.13
        the model stays on its device (no ``to_cpu()``).
        """
        arrays = weights_file.layer_arrays(self, "save_weights")
        if weights_file.is_safetensors(path):
            return weights_file.save_safetensors(path, arrays)
        return weights_file.save_npz(path, arrays)

    def load_weights(self, path: Any) -> None:
        """Load Parameters and state saved by :meth:`save_weights` (or by DeZero 0.0.13).

        A path ending in ``.safetensors`` is read as a safetensors file (which needs
        the optional ``safetensors`` package), any other as ``.npz``.  Nothing is ever
        unpickled.  Every entry's name and header (shape, dtype) is checked before any
        data is read, and all data before anything is assigned: a missing, extra,
        wrongly shaped, non-numeric or truncated entry raises ValueError naming it and
        leaves the layer unchanged.  Arrays take the dtype and device of the parameter
        they replace.
        """
        targets, expected = weights_file.layer_expectations(self)
        # Names, shapes and dtypes are checked from the entries' headers before any data is read.
        arrays = weights_file.load_checked(path, expected, type(self).__name__)
        weights_file.assign_weights(targets, expected, arrays)
