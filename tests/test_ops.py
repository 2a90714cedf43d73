"""Runs every OpSpec in tests/opdata/ through the same checks (see tests/opinfo.py)."""
from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pytest
from opinfo import OpSpec, all_specs, case_id, cases, uncovered_callables

import dezero
import dezero.functions as F
import dezero.functions_conv
from dezero import Function, Variable
from dezero.gradcheck import GradcheckError, gradcheck

CASES = cases()
WITH_REFERENCE = [c for c in CASES if c[0].ref is not None]
DIFFERENTIABLE = [c for c in CASES if c[0].order > 0]
GUARDED = [F, dezero.functions_conv]


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
    xs = spec.inputs(case)
    assert gradcheck(spec.fn, *xs, order=spec.order, rtol=spec.rtol, atol=spec.atol,
                     wrt=spec.differentiable(xs))


def _weighted_gradients(spec, xs, gys_seed=0):
    """Outputs of spec.fn on ``xs`` and the gradients of sum <y, gy> (random gy, float64
    draw cast to each output's dtype) with respect to every input."""
    vs = [Variable(x) for x in xs]
    ys = _outputs(spec.fn(*vs))
    rng = np.random.default_rng(gys_seed)
    total = None
    for y in ys:
        term = (y * Variable(rng.standard_normal(y.shape).astype(y.dtype))).sum()
        total = term if total is None else total + term
    total.backward()
    return ys, [v.grad for v in vs]


@pytest.mark.parametrize("item", CASES, ids=[case_id(c) for c in CASES])
def test_float32_matches_float64(item):
    """float32 in -> float32 out and gradients, with values close to float64's on the same
    numbers; every differentiable floating input gets a gradient."""
    spec, case = item
    xs32 = [x.astype(np.float32) if x.dtype.kind == "f" else x for x in spec.inputs(case)]
    xs64 = [x.astype(np.float64) if x.dtype.kind == "f" else x for x in xs32]
    if spec.order == 0:
        ys32, ys64 = _outputs(spec.fn(*map(Variable, xs32))), _outputs(spec.fn(*map(Variable, xs64)))
        grads32 = grads64 = []
    else:
        ys32, grads32 = _weighted_gradients(spec, xs32)
        ys64, grads64 = _weighted_gradients(spec, xs64)
    tol = dict(rtol=spec.rtol32, atol=spec.atol32)
    want = [y.data for y in ys64] if spec.ref is None else _outputs(spec.ref(*xs64))
    for y32, y64 in zip(ys32, want):
        assert y32.dtype == spec.dtype32, f"{spec.id}: float32 inputs gave a {y32.dtype} output"
        np.testing.assert_allclose(y32.data, y64, **tol,
                                   err_msg=f"{spec.id}: float32 output far from float64's")
    for i in spec.differentiable(xs32) if spec.order else []:
        g32, g64 = grads32[i], grads64[i]
        assert g32 is not None, (
            f"{spec.id}: floating input {i} got no gradient; if it is not differentiable, "
            "list it in the row's nondiff")
        assert g32.dtype == np.float32, f"{spec.id}: input {i} gradient dtype {g32.dtype}"
        np.testing.assert_allclose(g32.data, g64.data, **tol,
                                   err_msg=f"{spec.id}: float32 gradient of input {i} far "
                                           "from float64's")


class _HalfPrecisionSin(Function):
    """sin whose float32 path goes through float16: right dtype, wrong values."""

    def forward(self, x):
        return np.sin(x.astype(np.float16) if x.dtype == np.float32 else x).astype(x.dtype)

    def backward(self, gy):
        return gy * F.cos(self.inputs[0])


class _HalfPrecisionSinGrad(Function):
    """sin whose float32 gradient goes through float16."""

    def forward(self, x):
        return np.sin(x)

    def backward(self, gy):
        (x,) = self.inputs
        cos = np.cos(x.data.astype(np.float16) if x.dtype == np.float32 else x.data)
        return gy * cos.astype(x.dtype)


class _ForgetsSecondInput(Function):
    """x0 * x1 whose backward gives x1 no gradient."""

    def forward(self, x0, x1):
        return x0 * x1

    def backward(self, gy):
        return gy * self.inputs[1], None


def test_float32_check_catches_wrong_values_and_missing_gradients():
    for ref in (np.sin, None):  # against the NumPy reference, or else the float64 run
        spec = OpSpec("sin16", lambda x: _HalfPrecisionSin()(x), ref)
        with pytest.raises(AssertionError, match="float32 output far"):
            test_float32_matches_float64((spec, 2))
    spec = OpSpec("sin16", lambda x: _HalfPrecisionSinGrad()(x), np.sin)
    with pytest.raises(AssertionError, match="float32 gradient of input 0 far"):
        test_float32_matches_float64((spec, 2))
    forgets = OpSpec("mul", lambda a, b: _ForgetsSecondInput()(a, b), None, [((3,), (3,))])
    with pytest.raises(AssertionError, match="input 1 got no gradient"):
        test_float32_matches_float64((forgets, 0))
    # Listing the input as not differentiable is the documented way out.
    test_float32_matches_float64((dataclasses.replace(forgets, nondiff=(1,)), 0))


# -- the harness catches a backward that detaches its upstream gradient ----------------------


def _detaching(backward):
    """``backward`` with every incoming gradient cut out of the graph: the values stay right,
    so only a check of d(gx)/d(gy) can see it."""
    def planted(self, *gys):
        # (on the array-level path, used without create_graph, gy is an array: no graph)
        return backward(self, *[Variable(gy.data) if isinstance(gy, Variable) else gy
                                for gy in gys])
    return planted


def _rows_made_by(cls):
    """(spec, case) pairs of order 2 whose output is made by Function class ``cls``."""
    rows = []
    for spec, case in DIFFERENTIABLE:
        if spec.order == 2:
            ys = _outputs(spec.fn(*[Variable(x) for x in spec.inputs(case)]))
            if any(type(y.creator) is cls for y in ys):
                rows.append((spec, case))
    return rows


@pytest.mark.parametrize("cls", [dezero.functions.activation.ReLU,
                                 dezero.functions.elementwise.Sin,
                                 dezero.functions.reduction.Sum,
                                 dezero.functions.linalg.MatMul,
                                 dezero.functions.shape.Reshape],
                         ids=lambda c: c.__name__)
def test_rows_catch_a_detached_upstream_gradient(cls, monkeypatch):
    rows = _rows_made_by(cls)
    assert rows, f"no order-2 row makes a {cls.__name__}"
    spec, case = rows[0]
    xs = spec.inputs(case)
    assert gradcheck(spec.fn, *xs, order=2, wrt=spec.differentiable(xs))
    monkeypatch.setattr(cls, "backward", _detaching(cls.backward))
    with pytest.raises(GradcheckError, match="order=2"):
        gradcheck(spec.fn, *xs, order=2, rtol=spec.rtol, atol=spec.atol,
                  wrt=spec.differentiable(xs))


# -- the guard: every public callable has a row -----------------------------------------------


def test_every_public_function_has_an_entry():
    missing = uncovered_callables(GUARDED)
    assert not missing, f"public callables that no OpSpec in tests/opdata/ calls: {missing}"


def test_guard_catches_a_planted_partial_and_callable_object(monkeypatch):
    class Halve:
        def __call__(self, x):
            return x * 0.5

    class Square(Function):
        def forward(self, x):
            return x * x

    monkeypatch.setattr(F, "sum_rows", functools.partial(F.sum, axis=1), raising=False)
    monkeypatch.setattr(F, "halve", Halve(), raising=False)
    monkeypatch.setattr(F, "Square", Square, raising=False)  # a Function class no row runs
    missing = uncovered_callables(GUARDED)
    assert {"dezero.functions.sum_rows", "dezero.functions.halve",
            "dezero.functions.Square"} <= set(missing)
    assert "dezero.functions.Sin" not in missing  # run by the sin rows
    # A row naming a covered function does not cover a new alias-by-name: only calls count.
    assert "dezero.functions.sum" not in missing


def test_guard_sees_aliases_as_the_object_they_name():
    public = {**vars(F)}
    assert public["mean"] is public["average"]
    assert not any(name.endswith((".mean", ".average")) for name in uncovered_callables(GUARDED))


def test_all_specs_are_found():
    assert len(all_specs()) >= 60


# -- the array-level backward (no create_graph) runs the same backward maths -------------------


@pytest.mark.parametrize("item", DIFFERENTIABLE, ids=[case_id(c) for c in DIFFERENTIABLE])
def test_array_level_backward_equals_the_variable_backward(item):
    """Without create_graph the traversal hands the built-in backwards arrays; with it,
    Variables. The two must give the same gradients: the maths is written once."""
    spec, case = item
    xs = spec.inputs(case)
    grads = []
    for create_graph in (False, True):
        vs = [Variable(x.copy()) for x in xs]
        ys = _outputs(spec.fn(*vs))
        rng = np.random.default_rng(1)
        total = sum((F.sum(y * rng.standard_normal(y.shape)) for y in ys[1:]),
                    F.sum(ys[0] * rng.standard_normal(ys[0].shape)))
        total.backward(create_graph=create_graph)
        grads.append([None if v.grad is None else v.grad.data for v in vs])
    for i, (a, b) in enumerate(zip(*grads)):
        assert (a is None) == (b is None), f"{spec.id}: input {i} got a gradient one way only"
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14,
                                       err_msg=f"{spec.id}: input {i}")


class _OldStyleSquare(Function):
    """A Function written as DeZero programs write them, using Variable-only ``gy.data``."""

    def forward(self, x):
        return x ** 2

    def backward(self, gy):
        (x,) = self.inputs
        return Variable(2 * x.data * gy.data)


def test_functions_defined_elsewhere_still_get_variables_in_backward():
    assert dezero.functions.elementwise.Sin._array_backward
    assert not _OldStyleSquare._array_backward
    x = Variable(np.array([1.0, -3.0]))
    F.sum(F.sin(_OldStyleSquare()(x))).backward()  # mixed: built-in and user Functions
    np.testing.assert_allclose(x.grad.data, np.cos(x.data ** 2) * 2 * x.data)
    assert isinstance(x.grad, Variable) and x.grad.creator is None


def test_array_level_backward_leaves_no_raw_arrays_behind_when_a_backward_fails():
    class Fails(Function):
        def forward(self, x):
            return x * 1.0

        def backward(self, gy):
            raise RuntimeError("planted failure")

    x = Variable(np.array([1.0, 2.0]))
    p = F.sin(x)
    a = Fails()(p)  # generation 1: runs before cos's Function (generation 0) ...
    q = F.cos(x)
    y = a + q  # ... so q still holds its gradient, an array, when Fails raises
    with pytest.raises(RuntimeError, match="planted failure"):
        F.sum(y).backward()
    for v in (p, a, q, y):
        assert v.grad is None or isinstance(v.grad, Variable)


def _holds_scalar_inputs(spec: OpSpec, case: int) -> bool:
    return any(x.ndim == 0 and x.dtype.kind == "f" for x in spec.inputs(case))


SCALAR_CASES = [c for c in CASES if _holds_scalar_inputs(*c)]


@pytest.mark.parametrize("item", SCALAR_CASES, ids=[case_id(c) for c in SCALAR_CASES])
def test_zero_d_inputs_held_as_numpy_scalars_give_the_same_results(item):
    """A 0-d result is kept as a NumPy scalar until .data is read (dezero.core's
    _HELD_TYPES), so ops receive scalars where a chain feeds them: every op must give the
    same outputs and gradients as with 0-d arrays."""
    spec, case = item
    xs = spec.inputs(case)
    results = []
    for as_scalars in (False, True):
        leaves = [Variable(x.copy()) for x in xs]
        vs = [v * 1.0 if as_scalars and v.ndim == 0 and v.dtype.kind == "f" else v
              for v in leaves]
        assert any(isinstance(v._data, np.generic) for v in vs) == as_scalars
        ys = _outputs(spec.fn(*vs))
        if spec.order > 0:
            rng = np.random.default_rng(2)
            total = sum((F.sum(y * rng.standard_normal(y.shape)) for y in ys[1:]),
                        F.sum(ys[0] * rng.standard_normal(ys[0].shape)))
            total.backward()
        results.append([y.data for y in ys] +
                       [None if v.grad is None else v.grad.data for v in leaves])
    for i, (a, b) in enumerate(zip(*results)):
        assert (a is None) == (b is None), f"{spec.id}: result {i}"
        if a is not None:
            assert type(b) is np.ndarray and a.dtype == b.dtype and a.shape == b.shape
            np.testing.assert_allclose(b, a, rtol=1e-14, atol=0, err_msg=f"{spec.id}: {i}")
