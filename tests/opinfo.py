"""The per-op test harness: every differentiable function is a row of data (an OpSpec).

For each sample case of each spec, tests/test_ops.py checks
  * forward against a NumPy reference (float64),
  * first- and (where smooth) second-order gradients with dezero.gradcheck,
  * float32 in -> float32 out, and float32 gradients.
Adding an op means adding one OpSpec line to the family's file in tests/opdata/.
"""
from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from typing import Any, Callable, Sequence

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


def all_specs() -> list[OpSpec]:
    """Every OpSpec listed in the modules of tests/opdata/ (each defines SPECS)."""
    import opdata
    specs: list[OpSpec] = []
    for mod in pkgutil.iter_modules(opdata.__path__):
        specs.extend(importlib.import_module(f"opdata.{mod.name}").SPECS)
    return specs


def cases() -> list[tuple[OpSpec, int]]:
    """(spec, case index) pairs for parametrisation."""
    return [(s, i) for s in all_specs() for i in range(len(s.shapes))]


def case_id(item: tuple[OpSpec, int]) -> str:
    spec, i = item
    return f"{spec.id}-{'x'.join(str(s) for s in spec.shapes[i])}".replace(" ", "")
