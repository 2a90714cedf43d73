"""The per-op test harness: every differentiable function is a row of data (an OpSpec).

For each sample case of each spec, tests/test_ops.py checks
  * forward against a NumPy reference (float64),
  * first- and (where smooth) second-order gradients with dezero.gradcheck, the
    second order also with respect to the upstream gradient,
  * float32 in -> float32 out, with values and gradients close to float64's,
  * every floating input gets a gradient unless the row lists it in ``nondiff``.
Adding an op means adding one OpSpec line to the family's file in tests/opdata/; the
guard finds a public function without a row by running the rows and recording which
public callables they call.
"""
from __future__ import annotations

import contextlib
import dataclasses
import importlib
import importlib.util
import numbers
import operator
import pkgutil
import types
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np

Shapes = Sequence[tuple[int, ...]]

# Shapes shared by many specs: 0-d, vectors, matrices, and broadcasting pairs.
UNARY: list[Shapes] = [((),), ((3,),), ((2, 3),)]
BINARY: list[Shapes] = [((), ()), ((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 3), ()),
                        ((3,), (2, 3)), ((2, 1), (1, 3)), ((1,), (3,))]


@dataclasses.dataclass
class OpSpec:
    """One differentiable function under test.

    name   -- the public name in dezero.functions (or functions_conv) it covers
    fn     -- called with Variables (wrap extra arguments in a lambda)
    ref    -- NumPy reference called with arrays, or None when no closed form is handy
    shapes -- sample cases: the shapes of the inputs for each case
    domain -- (low, high) of the uniform draw for floating inputs (keep away from kinks)
    order  -- highest gradient order checked: 2, 1, or 0 (forward only)
    make   -- optional make(rng, shapes) -> list of arrays, replacing the uniform draw
              (integer inputs such as labels stay integer and are not differentiated)
    nondiff -- indices of floating inputs that are not differentiable (a target the
              function treats as a constant); every other floating input must get a gradient
    rtol32, atol32 -- how close float32 outputs and gradients must be to float64's
    dtype32 -- the dtype of the outputs for float32 inputs (float32 unless documented)

    For the property-based fuzzer (tests/test_fuzz.py):
    fuzz_shapes -- "any": the one input may take any shape (0-d and empty included);
              "broadcast": the two inputs take any pair of shapes, broadcastable or not;
              "" (default): only the rows' shapes are used
    fuzz_args -- keyword arguments of the public function ``name`` that the fuzzer draws,
              {argument: kind}; kinds are listed in tests/test_fuzz.py (axes, axis, shape ...)
    fuzz_ref -- NumPy reference called as fuzz_ref(*arrays, **drawn arguments); it raises
              exactly where the contract rejects the arguments (see strict_int, strict_real)
    """

    name: str
    fn: Callable[..., Any]
    ref: Callable[..., Any] | None
    shapes: list[Shapes] = dataclasses.field(default_factory=lambda: list(UNARY))
    domain: tuple[float, float] = (-2.0, 2.0)
    order: int = 2
    make: Callable[[np.random.Generator, Shapes], list[np.ndarray]] | None = None
    rtol: float = 1e-4
    atol: float = 1e-6
    label: str = ""
    nondiff: tuple[int, ...] = ()
    rtol32: float = 1e-4
    atol32: float = 1e-5
    dtype32: Any = np.float32
    fuzz_shapes: str = ""
    fuzz_args: dict[str, str] = dataclasses.field(default_factory=dict)
    fuzz_ref: Callable[..., Any] | None = None

    def inputs(self, case: int, seed: int = 0) -> list[np.ndarray]:
        """The float64 (and integer) input arrays of sample case ``case``."""
        rng = np.random.default_rng(seed + case)
        shapes = self.shapes[case]
        if self.make is not None:
            return self.make(rng, shapes)
        lo, hi = self.domain
        return [np.asarray(rng.uniform(lo, hi, size=s)) for s in shapes]

    @property
    def id(self) -> str:
        return self.label or self.name


    def differentiable(self, xs: Sequence[np.ndarray]) -> list[int]:
        """Indices of the inputs whose gradients are checked: floating, not in ``nondiff``."""
        return [i for i, x in enumerate(xs) if x.dtype.kind == "f" and i not in self.nondiff]


def strict_int(value: Any) -> int:
    """The contract's integer argument, written independently of dezero.utils.checks:
    ints, NumPy integers and ``__index__`` objects; TypeError for bools, floats, strings."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"bool {value!r} is not an integer argument")
    return operator.index(value)


def strict_real(value: Any, low: float | None = None, high: float | None = None,
                high_open: bool = False) -> float:
    """A real-number argument (no bools, strings or None) in [low, high] / [low, high)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{value!r} is not a real number")
    v = float(value)
    if v != v or (low is not None and v < low) or (
            high is not None and (v >= high if high_open else v > high)):
        raise ValueError(f"{v} out of range")
    return v


def strict_pair(value: Any, minimum: int) -> tuple[int, int]:
    """An int or a pair of ints (tuple or list), each at least ``minimum``."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{value!r} is not a pair")
        pair = (strict_int(value[0]), strict_int(value[1]))
    else:
        pair = (strict_int(value),) * 2
    if min(pair) < minimum:
        raise ValueError(f"{value!r} below {minimum}")
    return pair


OPDATA = Path(__file__).resolve().parent / "opdata"


def all_specs() -> list[OpSpec]:
    """Every OpSpec listed in the modules of tests/opdata/ (each defines SPECS)."""
    import opdata
    specs: list[OpSpec] = []
    for mod in pkgutil.iter_modules(opdata.__path__):
        specs.extend(importlib.import_module(f"opdata.{mod.name}").SPECS)
    return specs


def fresh_specs() -> list[OpSpec]:
    """The OpSpecs of tests/opdata/ from a new execution of its files (not cached in
    sys.modules), so that names bound at import (``F.sin``) see the module as it is now."""
    specs: list[OpSpec] = []
    for path in sorted(OPDATA.glob("[!_]*.py")):
        spec = importlib.util.spec_from_file_location(f"_fresh_opdata_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        specs.extend(module.SPECS)
    return specs


def public_callables(module: types.ModuleType) -> dict[str, Any]:
    """{name: object} of every public callable a module offers: functions, partials,
    callable objects and classes alike (modules excluded)."""
    return {name: obj for name, obj in vars(module).items()
            if not name.startswith("_") and callable(obj)
            and not isinstance(obj, types.ModuleType)}


@contextlib.contextmanager
def recording_calls(modules: Sequence[types.ModuleType]) -> Iterator[set[int]]:
    """Within the block, the public callables of ``modules`` record the id of the object
    they stand for in the yielded set whenever they are called through the module.
    Classes are left as they are (isinstance and subclassing must keep working)."""
    called: set[int] = set()
    saved = []

    def recorder(obj: Any) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            called.add(id(obj))
            return obj(*args, **kwargs)
        return call

    try:
        for module in modules:
            for name, obj in public_callables(module).items():
                if isinstance(obj, type):
                    continue
                saved.append((module, name, obj))
                setattr(module, name, recorder(obj))
        yield called
    finally:
        for module, name, obj in saved:
            setattr(module, name, obj)


def uncovered_callables(modules: Sequence[types.ModuleType]) -> list[str]:
    """Public callables of ``modules`` that no OpSpec exercises, matched by the object, not
    by a row's name: a function (or partial, or callable object) must be called by a row
    through the module (an alias is covered when the object it names is called); a
    Function class must run in a row's graph, forward or (at order 2) backward."""
    public = {f"{m.__name__}.{n}": obj for m in modules for n, obj in public_callables(m).items()}
    ran: set[type] = set()
    with recording_calls(modules) as called:
        for spec in fresh_specs():
            ran |= _functions_run(spec)
    return sorted(name for name, obj in public.items()
                  if id(obj) not in called and obj not in ran)


def _functions_run(spec: OpSpec) -> set[type]:
    """The Function classes in the graph of ``spec`` on its first case, and in the graph of
    its gradients when the row is checked at order 2."""
    import dezero
    xs = [dezero.Variable(x) for x in spec.inputs(0)]
    ys = spec.fn(*xs)
    ys = list(ys) if isinstance(ys, (list, tuple)) else [ys]
    roots = list(ys)
    if spec.order == 2:
        total = sum((y.sum() for y in ys[1:]), ys[0].sum())
        total.backward(create_graph=True)
        roots += [x.grad for x in xs if x.grad is not None]
    ran: set[type] = set()
    stack = [v.creator for v in roots if v.creator is not None]
    seen: set[int] = set()
    while stack:
        f = stack.pop()
        if id(f) in seen:
            continue
        seen.add(id(f))
        ran.add(type(f))
        stack += [x.creator for x in f.inputs if x.creator is not None]
    return ran


def cases() -> list[tuple[OpSpec, int]]:
    """(spec, case index) pairs for parametrisation."""
    return [(s, i) for s in all_specs() for i in range(len(s.shapes))]


def case_id(item: tuple[OpSpec, int]) -> str:
    spec, i = item
    return f"{spec.id}-{'x'.join(str(s) for s in spec.shapes[i])}".replace(" ", "")
