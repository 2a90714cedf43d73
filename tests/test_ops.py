"""Runs every OpSpec in tests/opdata/ through the same checks (see tests/opinfo.py)."""
from __future__ import annotations

import inspect

import numpy as np
import pytest
from opinfo import all_specs, case_id, cases

import dezero.functions as F
from dezero import Variable
from dezero.gradcheck import gradcheck

CASES = cases()
WITH_REFERENCE = [c for c in CASES if c[0].ref is not None]
DIFFERENTIABLE = [c for c in CASES if c[0].order > 0]


def _outputs(y):
    return list(y) if isinstance(y, (list, tuple)) else [y]


@pytest.mark.parametrize("item", WITH_REFERENCE, ids=[case_id(c) for c in WITH_REFERENCE])
def test_forward_matches_numpy(item):
    spec, case = item
    xs = spec.inputs(case)
    got = _outputs(spec.fn(*[Variable(x) for x in xs]))
    want = _outputs(spec.ref(*xs))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        w = np.asarray(w)
        assert g.shape == w.shape, f"{spec.id}: shape {g.shape} != reference {w.shape}"
        np.testing.assert_allclose(g.data, w, rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("item", DIFFERENTIABLE, ids=[case_id(c) for c in DIFFERENTIABLE])
def test_gradients(item):
    spec, case = item
    assert gradcheck(spec.fn, *spec.inputs(case), order=spec.order,
                     rtol=spec.rtol, atol=spec.atol)


@pytest.mark.parametrize("item", CASES, ids=[case_id(c) for c in CASES])
def test_float32_stays_float32(item):
    spec, case = item
    xs = [x.astype(np.float32) if x.dtype.kind == "f" else x for x in spec.inputs(case)]
    vs = [Variable(x) for x in xs]
    ys = _outputs(spec.fn(*vs))
    for y in ys:
        assert y.dtype == np.float32, f"{spec.id}: float32 inputs gave a {y.dtype} output"
    if spec.order == 0:
        return
    total = sum((y.sum() for y in ys[1:]), ys[0].sum())
    total.backward()
    for v in vs:
        if v.dtype.kind == "f" and v.grad is not None:
            assert v.grad.dtype == np.float32, f"{spec.id}: gradient dtype {v.grad.dtype}"


def _public_functions():
    modules = [F]
    names = {}
    for mod in modules:
        for name, obj in vars(mod).items():
            if not name.startswith("_") and inspect.isfunction(obj) and \
                    obj.__module__.startswith("dezero."):
                names[name] = obj
    return names


def test_every_public_function_has_an_entry():
    covered = {s.name for s in all_specs()}
    public = _public_functions()
    # An alias (mean = average, *_simple) is covered by the entry of the function it names.
    covered_objs = {public[n] for n in covered if n in public}
    missing = sorted(n for n, f in public.items() if n not in covered and f not in covered_objs)
    assert not missing, f"public functions without an OpSpec in tests/opdata/: {missing}"
