"""Define-and-run: record a define-by-run function once, replay it on arrays.

:func:`trace` runs ``fn`` once on Variables (in test mode, with the graph recorded),
walks the graph from the outputs back to the inputs and keeps the Functions it
finds as a :class:`Program`: a list of operations over numbered array slots.
Calling the program replays each recorded Function's ``forward`` on arrays, with
no Variable and no graph.

Python control flow is *frozen*: a branch or loop that depends on values (or on
shapes) is recorded as it went for the example inputs.  While ``fn`` runs, reading a
Variable's value into Python (``x.data``, from code outside the dezero package) warns
with a :class:`TracerWarning`: whatever Python computes from it is a constant of the
program.  (``float(x)``/``int(x)`` on a Variable raise ``TypeError``, traced or not.)
So trace only functions whose sequence of operations does not depend on the input's
values.
"""
from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
import warnings
from typing import Any, Callable, Sequence

import numpy as np

from dezero._config import test_mode
from dezero.core import Function, Parameter, Variable

__all__ = ["trace", "Program", "Operation", "TracerWarning"]


class TracerWarning(UserWarning):
    """A traced function read a Variable's value into Python (``x.data``): the value,
    and any branch taken on it, is frozen into the program as it was for the examples."""


# The plain ``Variable.data`` property, and the one :func:`trace` puts on the class while
# ``fn`` runs (and takes off after): reading data costs nothing extra outside tracing.
_PLAIN_DATA = Variable.__dict__["data"]
_tracing_depth = 0


def _traced_data(self: Variable) -> Any:
    name = sys._getframe(1).f_globals.get("__name__") or ""
    if name != "dezero" and not name.startswith("dezero."):  # dezero's own reads are normal
        warnings.warn("trace: reading a Variable's value (.data) into Python while tracing; "
                      "the value, and any Python control flow depending on it, is frozen into "
                      "the program as it was for the example inputs", TracerWarning,
                      stacklevel=2)
    return _PLAIN_DATA.fget(self)


_TRACING_DATA = property(_traced_data, _PLAIN_DATA.fset, _PLAIN_DATA.fdel, _PLAIN_DATA.__doc__)


@contextlib.contextmanager
def _watching_value_reads():
    """Swap in the warning ``data`` property for the duration (nested traces share it)."""
    global _tracing_depth
    if _tracing_depth == 0:
        Variable.data = _TRACING_DATA
    _tracing_depth += 1
    try:
        yield
    finally:
        _tracing_depth -= 1
        if _tracing_depth == 0:
            Variable.data = _PLAIN_DATA


@dataclasses.dataclass
class Operation:
    """One recorded call: ``function`` read slots ``inputs`` and wrote slots ``outputs``
    (``None`` for an output the traced function dropped)."""

    function: Function
    inputs: tuple[int, ...]
    outputs: tuple[int | None, ...]

    @property
    def name(self) -> str:
        """The recorded Function's class name (``'Linear'``, ``'ReLU'`` ...)."""
        return type(self.function).__name__


def _attributes(f: Function) -> str:
    """The Function's public scalar settings, as ``axis=1, keepdims=False``."""
    parts = []
    for key, value in vars(f).items():
        if key.startswith("_") or key in ("inputs", "outputs", "generation"):
            continue
        if value is None or isinstance(value, (bool, int, float, str)) or (
                isinstance(value, tuple) and all(isinstance(v, (int, float)) for v in value)):
            parts.append(f"{key}={value!r}")
    return ", ".join(parts)


def _type_text(shape: tuple[int, ...], dtype: np.dtype) -> str:
    return f"{np.dtype(dtype).name}[{', '.join(str(n) for n in shape)}]"


class Program:
    """A traced function: call it with arrays of the traced shapes and dtypes.

    Slots ``0 .. n_inputs-1`` hold the inputs, then come the constants (Parameters
    and captured arrays, read from :attr:`constants` at each call so that a layer's
    updated weights are used), then each operation's outputs.  ``str(program)`` lists
    the operations; :meth:`to_dot` draws them.
    """

    def __init__(self, n_inputs: int, constants: list[Variable], constant_names: list[str],
                 operations: list[Operation], outputs: tuple[int, ...], single_output: bool,
                 slot_types: list[tuple[tuple[int, ...], np.dtype]],
                 example_inputs: Sequence[Any] | None = None) -> None:
        self.n_inputs = n_inputs
        self.constants = constants
        self.constant_names = constant_names
        self.operations = operations
        self.outputs = outputs
        self.single_output = single_output
        self.slot_types = slot_types
        self.input_signature = tuple(slot_types[:n_inputs])
        self._run = self._compile(example_inputs)

    # -- replay -----------------------------------------------------------------
    def _check(self, arrays: tuple) -> list:
        if len(arrays) != self.n_inputs:
            raise TypeError(f"traced program takes {self.n_inputs} input(s) "
                            f"{self._signature_text(self.input_signature)}, got {len(arrays)}")
        checked = []
        for i, (a, (shape, dtype)) in enumerate(zip(arrays, self.input_signature)):
            if isinstance(a, Variable):
                a = a.data
            elif not hasattr(a, "dtype"):
                a = np.asarray(a)
            if a.shape != shape or a.dtype != dtype:
                got = [(np.shape(x), getattr(x, "dtype", np.asarray(x).dtype)) for x in arrays]
                raise ValueError(
                    f"traced program expects inputs {self._signature_text(self.input_signature)}"
                    f" but received {self._signature_text(got)} (input {i} differs); "
                    "trace again with examples of the new shape or dtype")
            checked.append(a)
        return checked

    def _interpret(self, arrays: list) -> tuple[list, list]:
        """Run the operations one by one: (the slots, for each operation whether its
        forward returned a tuple).  Used once, on the example inputs, by :meth:`_compile`."""
        slots = list(arrays) + [c.data for c in self.constants]
        slots.extend([None] * (len(self.slot_types) - len(slots)))
        tuples = []
        for op in self.operations:
            ys = op.function.forward(*[slots[i] for i in op.inputs])
            tuples.append(type(ys) is tuple)
            for j, y in zip(op.outputs, ys if type(ys) is tuple else (ys,)):
                if j is not None:
                    slots[j] = y
        return slots, tuples

    def _compile(self, example_inputs: Sequence[Any] | None) -> Callable[..., Any]:
        """The replay as one generated Python function: a line per operation, no loop, so
        that a call costs little more than the forwards themselves."""
        n_const = len(self.constants)
        if example_inputs is None:
            example_inputs = [np.ones(s, d) for s, d in self.input_signature]
        try:
            with np.errstate(all="ignore"):
                slots, tuples = self._interpret(list(example_inputs))
        except Exception:  # a forward that cannot take zeros (an index array): plain calls
            slots, tuples = [None] * len(self.slot_types), [True] * len(self.operations)
        scope: dict[str, Any] = {"_asarray": np.asarray}
        args = [f"s{i}" for i in range(self.n_inputs)]
        lines = [f"def _replay({', '.join(args)}):"]
        for k, c in enumerate(self.constants):
            scope[f"k{k}"] = c
            lines.append(f"    s{self.n_inputs + k} = k{k}.data")
        for k, (op, is_tuple) in enumerate(zip(self.operations, tuples)):
            scope[f"f{k}"] = op.function.forward
            call = f"f{k}({', '.join(f's{i}' for i in op.inputs)})"
            targets = ", ".join("_" if j is None else f"s{j}" for j in op.outputs)
            lines.append(f"    {targets}{',' if is_tuple else ''} = {call}")
        results = []
        for i in self.outputs:
            wrap = slots[i] is None or type(slots[i]) is not np.ndarray
            results.append(f"_asarray(s{i})" if wrap and i >= self.n_inputs + n_const
                           else f"s{i}")
        lines.append(f"    return {results[0] if self.single_output else '(' + ', '.join(results) + ',)'}")
        exec(compile("\n".join(lines), "<dezero.trace program>", "exec"), scope)
        return scope["_replay"]

    def __call__(self, *arrays: Any) -> Any:
        return self._run(*self._check(arrays))

    # -- display ------------------------------------------------------------------
    @staticmethod
    def _signature_text(signature: Sequence) -> str:
        return "(" + ", ".join(_type_text(s, d) for s, d in signature) + ")"

    def slot_name(self, i: int) -> str:
        """The name the text and the picture give slot ``i``: ``x0``, a parameter path or
        ``c0``, ``v0`` ..."""
        n_const = len(self.constants)
        if i < self.n_inputs:
            return f"x{i}"
        if i < self.n_inputs + n_const:
            return self.constant_names[i - self.n_inputs]
        return f"v{i - self.n_inputs - n_const}"

    def __str__(self) -> str:
        inputs = ", ".join(f"x{i}: {_type_text(*self.slot_types[i])}"
                           for i in range(self.n_inputs))
        lines = [f"program({inputs}):"]
        for k, c in enumerate(self.constants):
            slot = self.n_inputs + k
            kind = "param" if isinstance(c, Parameter) else "const"
            lines.append(f"  {self.slot_name(slot)} = {kind} {_type_text(*self.slot_types[slot])}")
        for op in self.operations:
            outs = ", ".join("_" if j is None else self.slot_name(j) for j in op.outputs)
            args = ", ".join(self.slot_name(i) for i in op.inputs)
            attrs = _attributes(op.function)
            call = f"{op.name}({args}{'; ' + attrs if attrs else ''})"
            types = ", ".join(_type_text(*self.slot_types[j]) for j in op.outputs if j is not None)
            lines.append(f"  {outs} = {call}  # {types}")
        lines.append("  return " + ", ".join(self.slot_name(i) for i in self.outputs))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"<Program: {self.n_inputs} input(s), {len(self.constants)} constant(s), "
                f"{len(self.operations)} operation(s)>")

    def to_dot(self) -> str:
        """DOT text (Graphviz's language) of the program, in dezero.utils' colours:
        orange values, green parameters, grey constants, blue operations."""
        def q(text: str) -> str:
            return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
        lines = ["digraph g {"]
        used = {i for op in self.operations for i in op.inputs} | set(self.outputs)
        for i, (shape, dtype) in enumerate(self.slot_types):
            if i not in used and not any(i in op.outputs for op in self.operations):
                continue
            label = f"{self.slot_name(i)}\\n{_type_text(shape, dtype)}"
            if self.n_inputs <= i < self.n_inputs + len(self.constants):
                style = ('fillcolor=palegreen, peripheries=2'
                         if isinstance(self.constants[i - self.n_inputs], Parameter)
                         else 'fillcolor=gray90')
            else:
                style = 'fillcolor=orange' + (', penwidth=2.5' if i in self.outputs else '')
            lines.append(f'  s{i} [label="{label}", shape=ellipse, style=filled, {style}]')
        for k, op in enumerate(self.operations):
            lines.append(f'  f{k} [label={q(op.name)}, shape=box, style=filled, '
                         'fillcolor=lightblue]')
            lines.extend(f"  s{i} -> f{k}" for i in op.inputs)
            lines.extend(f"  f{k} -> s{j}" for j in op.outputs if j is not None)
        lines.append("}")
        return "\n".join(lines) + "\n"

    def plot(self, to_file: str | os.PathLike = "program.png") -> str:
        """Draw :meth:`to_dot` with Graphviz into ``to_file`` (its extension picks the
        format: ``.png``, ``.svg``, ``.pdf`` ..., or ``.dot`` for the text alone, which
        needs no Graphviz); returns the file's absolute path."""
        from dezero.utils.render import render_dot  # Graphviz only when drawing
        path = os.path.abspath(os.fspath(to_file))
        extension = os.path.splitext(path)[1].lstrip(".").lower()
        if not extension:
            raise ValueError(f"Program.plot: to_file {to_file!r} has no extension to pick "
                             "the format from (.png, .svg, .pdf, .dot ...)")
        source = self.to_dot()
        data = source.encode("utf-8") if extension == "dot" else render_dot(source, extension)
        with open(path, "wb") as f:
            f.write(data)
        return path


def _graph_functions(outputs: list[Variable]) -> list[Function]:
    """The Functions behind ``outputs``, each once, in an order where every Function
    comes after the Functions that made its inputs."""
    order: list[Function] = []
    seen: set[int] = set()
    for y in outputs:
        if y.creator is None or id(y.creator) in seen:
            continue
        stack = [(y.creator, False)]
        while stack:
            f, expanded = stack.pop()
            if expanded:
                order.append(f)
                continue
            if id(f) in seen:
                continue
            seen.add(id(f))
            stack.append((f, True))
            for x in reversed(f.inputs):
                if x.creator is not None and id(x.creator) not in seen:
                    stack.append((x.creator, False))
    return order


def trace(fn: Callable[..., Any], *example_inputs: Any) -> Program:
    """Record ``fn(*example_inputs)`` once and return it as a :class:`Program`.

    ``fn`` takes Variables and returns a Variable or a tuple of Variables; it may be a
    :class:`~dezero.Layer` (its parameters are named by their attribute paths, such as
    ``l1.W``).  It runs in test mode (dropout off, batch norm on its running statistics).
    The program, called with arrays of the example inputs' shapes and dtypes, replays
    the recorded operations and returns arrays; other shapes or dtypes raise a
    ``ValueError`` naming the expected and the received signature.  Control flow that
    depends on values is frozen as it went for the examples; ``fn`` reading ``x.data``
    warns with a :class:`TracerWarning`.
    """
    if not callable(fn):
        raise TypeError(f"trace: fn must be callable (a function or a Layer), got "
                        f"{type(fn).__name__}")
    if not example_inputs:
        raise TypeError("trace: give at least one example input (an array of the shape "
                        "and dtype the program will be called with)")
    inputs = []
    for i, a in enumerate(example_inputs):
        a = a.data if isinstance(a, Variable) else a
        if not hasattr(a, "shape") or not hasattr(a, "dtype"):
            a = np.asarray(a)
        inputs.append(Variable(a))
    with test_mode(), _watching_value_reads():
        result = fn(*inputs)
    single = isinstance(result, Variable)
    outputs = [result] if single else list(result) if isinstance(result, (tuple, list)) else None
    if outputs is None or not all(isinstance(y, Variable) for y in outputs):
        raise TypeError(f"trace: fn must return a Variable or a tuple of Variables, got "
                        f"{type(result).__name__}")

    names: dict[int, str] = {}
    if hasattr(fn, "named_params"):
        names = {id(p): path for path, p in fn.named_params()}
    slot: dict[int, int] = {id(x): i for i, x in enumerate(inputs)}
    slot_types = [(tuple(x.shape), x.dtype) for x in inputs]
    functions = _graph_functions(outputs)
    constants: list[Variable] = []
    constant_names: list[str] = []

    def leaf(v: Variable) -> None:
        if id(v) in slot:
            return
        slot[id(v)] = len(slot_types)
        slot_types.append((tuple(v.shape), v.dtype))
        constants.append(v if isinstance(v, Parameter) else Variable(v.data))
        constant_names.append(names.get(id(v)) or f"c{len(constants) - 1}")

    for f in functions:  # constants first: they take the slots after the inputs
        for x in f.inputs:
            if x.creator is None:
                leaf(x)
    for y in outputs:
        if y.creator is None:
            leaf(y)
    keep = []  # the output Variables stay alive while slots are keyed by id()
    operations = []
    for f in functions:
        outs = []
        for ref in f.outputs:
            y = ref()
            if y is None:
                outs.append(None)
                continue
            keep.append(y)
            slot[id(y)] = len(slot_types)
            slot_types.append((tuple(y.shape), y.dtype))
            outs.append(slot[id(y)])
        operations.append(Operation(f, tuple(slot[id(x)] for x in f.inputs), tuple(outs)))
    return Program(len(inputs), constants, constant_names, operations,
                   tuple(slot[id(y)] for y in outputs), single, slot_types,
                   [x.data for x in inputs])
