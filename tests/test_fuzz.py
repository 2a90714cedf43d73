"""Property-based fuzzing of the public functions, driven by the OpSpec rows of tests/opdata/.

Properties, for every call the fuzzer makes:
  * either it matches the row's NumPy reference (shape and values) and backward runs and
    gives every input gradient the input's shape and a floating dtype (every floating input
    of a differentiable row gets one),
  * or it raises TypeError, ValueError or IndexError whose message names the function;
  * with drawn arguments (axes, shapes, indices, window sizes, ratios, bounds ...) the call
    raises exactly when the row's ``fuzz_ref`` (NumPy's rules, or the contract's) rejects.
Drawn: every row's inputs in every dtype (float32/64, int32/64, bool); any shapes (0-d and
empty included) for rows that take them, broadcastable or not, matmul pairs, and shapes near
each row's own; class labels, binary targets and embedding ids; Variable's methods against
the functions; the layers called on any array.  Strategies: tests/fuzz_strategies.py.

CI runs a fixed sample (the ``ci`` profile, the default: derandomized, about 30 s); a long
random run is one command away:

    DEZERO_FUZZ=long .venv/bin/python -m pytest tests/test_fuzz.py

Failing examples it finds are kept as regression cases in tests/test_arguments.py.
"""
from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
from opinfo import OpSpec, all_specs, strict_int
from optional import require

import dezero
import dezero.functions as F
from dezero import Variable

require("hypothesis", "pip install -e '.[test]'")  # a test dependency; mandatory under CI
from fuzz_strategies import SHAPES, arrays_for, cast, operand_shapes, argument  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

# ci: a fixed sample (derandomized: the same examples on every run, no example database);
# long: many random examples, failures remembered in .hypothesis/ for the next run.
settings.register_profile("ci", max_examples=100, derandomize=True, database=None,
                          deadline=None, suppress_health_check=list(HealthCheck),
                          print_blob=True)
settings.register_profile("long", max_examples=1000, deadline=None,
                          suppress_health_check=list(HealthCheck), print_blob=True)
PROFILE = os.environ.get("DEZERO_FUZZ", "ci")
FUZZ = settings.get_profile(PROFILE)

ERRORS = (TypeError, ValueError, IndexError)
DTYPES = [np.float64, np.float32, np.int64, np.int32, np.bool_]
SPECS = all_specs()


def _ids(specs: list[OpSpec]) -> list[str]:
    return [s.id for s in specs]


def _public(name: str):
    return getattr(F, name)


# -- the properties ------------------------------------------------------------------------


def _folded(text: str) -> str:
    return text.lower().replace("_", "")


def named_error(name: str, call):
    """Run ``call``; an exception must be TypeError/ValueError/IndexError naming ``name``.
    Returns (result, None) or (None, exception)."""
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return call(), None
    except ERRORS as e:
        # The function's name, or the Function class that implements it (Sin for sin,
        # SoftmaxCrossEntropy for softmax_cross_entropy): compared without case and "_".
        assert _folded(name) in _folded(str(e)), f"{type(e).__name__} does not name {name!r}: {e}"
        return None, e
    except Exception as e:  # any other exception is a bug
        raise AssertionError(f"{name}: raised {type(e).__name__}: {e}") from e


def reference(call):
    """(result, None) of a NumPy reference, or (None, the exception it raised)."""
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return call(), None
    except Exception as e:  # NumPy raises many kinds; only whether it raised matters
        return None, e


def _outputs(y):
    return list(y) if isinstance(y, (list, tuple)) else [y]


def _tolerance(dtype: np.dtype) -> dict:
    if dtype == np.float16:
        return dict(rtol=1e-2, atol=1e-2)
    if dtype == np.float32:
        return dict(rtol=1e-4, atol=1e-5)
    return dict(rtol=1e-6, atol=1e-9)


def _looser(*dtypes) -> dict:
    """The tolerance of the least precise floating dtype among ``dtypes`` (ints exact)."""
    tols = [_tolerance(np.dtype(d)) for d in dtypes if np.dtype(d).kind == "f"]
    return max(tols, key=lambda t: t["rtol"], default=_tolerance(np.dtype(np.float64)))


def matches(name: str, got, want) -> None:
    got, want = _outputs(got), _outputs(want)
    assert len(got) == len(want), f"{name}: {len(got)} outputs, reference {len(want)}"
    for g, w in zip(got, want):
        w = w.data if isinstance(w, Variable) else np.asarray(w)
        assert isinstance(g, Variable), f"{name}: returned {type(g).__name__}, not a Variable"
        assert g.shape == w.shape, f"{name}: shape {g.shape} != reference {w.shape}"
        if g.size:
            np.testing.assert_allclose(g.data.astype(np.float64), w.astype(np.float64),
                                       equal_nan=True, err_msg=name,
                                       **_looser(g.dtype, w.dtype))


def gradients_ok(spec: OpSpec, vs: list[Variable], ys) -> None:
    """Backward from the first output: each gradient has its input's shape and a floating
    dtype; every floating input of a differentiable row gets one."""
    if spec.order == 0:
        return
    y = _outputs(ys)[0]
    try:  # a forward that succeeded must have a backward that does
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y.backward()
    except Exception as e:
        raise AssertionError(f"{spec.id}: backward raised {type(e).__name__}: {e}") from e
    for i, v in enumerate(vs):
        if v.grad is None:
            assert v.dtype.kind != "f" or i in spec.nondiff, f"{spec.id}: input {i} no grad"
            continue
        assert v.grad.shape == v.shape, f"{spec.id}: grad {v.grad.shape} for input {v.shape}"
        assert v.grad.dtype.kind == "f", f"{spec.id}: grad dtype {v.grad.dtype} (input {i})"


def check(spec: OpSpec, fn, ref, arrays: list[np.ndarray], must_agree: bool) -> None:
    """The property: ``fn`` on Variables of ``arrays`` against ``ref`` on the arrays.

    With ``must_agree`` dezero raises exactly when the reference does; otherwise it may
    raise (a named error) where the reference computes (a dtype it documents rejecting)."""
    vs = [Variable(a) for a in arrays]
    want, ref_error = reference(lambda: ref(*arrays))
    got, error = named_error(spec.name, lambda: fn(*vs))
    if error is None and ref_error is None:
        matches(spec.id, got, want)
        gradients_ok(spec, vs, got)
    elif must_agree:
        assert (error is None) == (ref_error is None), (
            f"{spec.id}: dezero {'accepted' if error is None else 'rejected'} what the "
            f"reference {'rejected' if error is None else 'accepted'} "
            f"(reference: {ref_error!r}; dezero: {error!r})")
    elif error is None:
        gradients_ok(spec, vs, got)


# -- the tests (strategies in tests/fuzz_strategies.py) ------------------------------------

WITH_REF = [s for s in SPECS if s.ref is not None]
RANDOM_SHAPES = [s for s in SPECS if s.fuzz_shapes and s.ref is not None]
WITH_ARGS = [s for s in SPECS if s.fuzz_args]
QUIET = dezero.test_mode  # dropout's drawn ratio is checked in test mode too (no randomness)


@pytest.mark.parametrize("spec", WITH_REF, ids=_ids(WITH_REF))
@FUZZ
@given(data=st.data())
def test_rows_on_any_dtype(spec, data):
    """Every row's own call, its inputs cast to a drawn dtype: matches NumPy or a named error."""
    case = data.draw(st.integers(0, len(spec.shapes) - 1), label="case")
    dtype = data.draw(st.sampled_from(DTYPES), label="dtype")
    arrays = arrays_for(spec, spec.shapes[case], data.draw(st.integers(0, 2 ** 16)), dtype)
    check(spec, spec.fn, spec.ref, arrays, must_agree=np.dtype(dtype).kind == "f")


@pytest.mark.parametrize("spec", RANDOM_SHAPES, ids=_ids(RANDOM_SHAPES))
@FUZZ
@given(data=st.data())
def test_rows_on_any_shape(spec, data):
    """Rows that take any shape (or pair of shapes) raise exactly when NumPy does."""
    shapes = data.draw(operand_shapes(spec.fuzz_shapes), label="shapes")
    dtype = data.draw(st.sampled_from(DTYPES), label="dtype")
    arrays = arrays_for(spec, shapes, data.draw(st.integers(0, 2 ** 16)), dtype)
    floating = np.dtype(dtype).kind == "f"
    check(spec, spec.fn, spec.ref, arrays, must_agree=floating)


@st.composite
def _perturbed(draw, shapes):
    """The row's shapes with a few sides changed (-1 / +1 / 0) or an axis added or dropped."""
    out = []
    for shape in shapes:
        shape = list(shape)
        for _ in range(draw(st.integers(0, 2))):
            how = draw(st.sampled_from(["side", "side", "add", "drop"]))
            if how == "side" and shape:
                i = draw(st.integers(0, len(shape) - 1))
                shape[i] = max(0, shape[i] + draw(st.sampled_from([-1, 1, -shape[i]])))
            elif how == "add" and len(shape) < 5:
                shape.insert(draw(st.integers(0, len(shape))), draw(st.integers(1, 3)))
            elif how == "drop" and shape:
                shape.pop(draw(st.integers(0, len(shape) - 1)))
        out.append(tuple(shape))
    return tuple(out)


WITHOUT_MAKE = [s for s in WITH_REF if s.make is None]


@pytest.mark.parametrize("spec", WITHOUT_MAKE, ids=_ids(WITHOUT_MAKE))
@FUZZ
@given(data=st.data())
def test_rows_on_perturbed_shapes(spec, data):
    """Every row on shapes near its own (mismatched channels, batch, features, kernels ...):
    matches NumPy, or a named error (the loop references may accept what dezero refuses)."""
    case = data.draw(st.integers(0, len(spec.shapes) - 1), label="case")
    shapes = data.draw(_perturbed(spec.shapes[case]), label="shapes")
    arrays = arrays_for(spec, shapes, data.draw(st.integers(0, 2 ** 16)), np.float64)
    check(spec, spec.fn, spec.ref, arrays, must_agree=False)


@pytest.mark.parametrize("spec", WITH_ARGS, ids=_ids(WITH_ARGS))
@FUZZ
@given(data=st.data())
def test_drawn_arguments(spec, data):
    """The public function with drawn arguments: rejected exactly where fuzz_ref rejects."""
    if spec.fuzz_shapes == "any":
        shapes = (data.draw(SHAPES, label="shape"),)
    else:
        shapes = spec.shapes[data.draw(st.integers(0, len(spec.shapes) - 1), label="case")]
    arrays = arrays_for(spec, shapes, data.draw(st.integers(0, 2 ** 16)), np.float64)
    kwargs = {k: data.draw(argument(kind, arrays[0]), label=k)
              for k, kind in spec.fuzz_args.items()}
    fn = _public(spec.name)

    def call(*vs):
        if spec.name == "dropout":
            with QUIET():
                return fn(*vs, **kwargs)
        if spec.name == "batch_norm":  # fresh running statistics, as the row's own call
            c = vs[0].shape[1]
            return fn(*vs, np.zeros(c), np.ones(c), **kwargs)
        return fn(*vs, **kwargs)

    check(spec, call, lambda *xs: spec.fuzz_ref(*xs, **kwargs), arrays, must_agree=True)


# -- labels, targets and ids: the array arguments that are not differentiated -----------------


def _labels_ref(ref, n_class, whole_floats):
    """The rule for labels: an integer dtype (or, for accuracy as in DeZero, floats that are
    whole numbers), one per row, each in [0, n_class)."""
    def call(x, t):
        if whole_floats and t.dtype.kind == "f" and np.all(t == np.floor(t)):
            t = t.astype(np.int64)
        if t.dtype.kind not in "iu" or t.size != x.shape[0] or (
                t.size and (t.min() < 0 or t.max() >= n_class)):
            raise ValueError("bad labels")
        return ref(x, t.reshape(-1))
    return call


@st.composite
def _labels(draw):
    n, c = draw(st.integers(0, 4)), draw(st.integers(0, 4))
    count = draw(st.sampled_from([n, n, n, n + 1, max(n - 1, 0)]))
    dtype = draw(st.sampled_from([np.int64, np.int32, np.uint8, np.float64, np.bool_]))
    t = np.array(draw(st.lists(st.integers(-1, c), min_size=count, max_size=count)))
    t = t.astype(dtype) if dtype is not np.uint8 else np.abs(t).astype(dtype)
    return (n, c), t.reshape(-1, 1) if draw(st.booleans()) and t.size else t


LABELLED = [s for s in SPECS if s.name in ("softmax_cross_entropy", "accuracy")]


@pytest.mark.parametrize("spec", LABELLED, ids=_ids(LABELLED))
@FUZZ
@given(drawn=_labels(), seed=st.integers(0, 2 ** 16),
       wrap=st.sampled_from([np.asarray, list, Variable]))
def test_class_labels(spec, drawn, seed, wrap):
    """Labels: integer dtype (accuracy: whole floats too), one per row, each in [0, C);
    anything else a named error."""
    (n, c), t = drawn
    x = np.random.default_rng(seed).uniform(-2, 2, size=(n, c))
    ref = _labels_ref(spec.ref, c, whole_floats=spec.name == "accuracy")
    for name in {spec.name, spec.name + "_simple"} & set(vars(F)):
        fn = _public(name)
        label = t.tolist() if wrap is list else wrap(t)
        # an empty list holds no floats: it counts as integer labels
        t_ref = t.astype(np.int64) if wrap is list and not t.size else t
        check(spec, lambda v: fn(v, label), lambda a: ref(a, t_ref), [x], must_agree=True)


TARGETED = [s for s in SPECS if s.name in ("sigmoid_cross_entropy", "binary_cross_entropy")]


@pytest.mark.parametrize("spec", TARGETED, ids=_ids(TARGETED))
@FUZZ
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3),
       how=st.sampled_from(["same", "flat", "column", "other"]), seed=st.integers(0, 2 ** 16))
def test_binary_targets(spec, shape, how, seed):
    """Targets with x's number of elements in any layout work (DeZero 0.0.13's GAN passes
    t (N,) for x (N, 1)); another number of elements is a named error."""
    size = int(np.prod(shape))
    t_shape = {"same": shape, "flat": (size,), "column": (size, 1), "other": (size + 1,)}[how]
    x, t = spec.make(np.random.default_rng(seed), (shape, t_shape))

    def ref(a, b):
        if b.size != a.size:
            raise ValueError("size mismatch")
        return spec.ref(a, b.reshape(a.shape))
    check(spec, lambda v: _public(spec.name)(v, t), lambda a: ref(a, t), [x], must_agree=True)


EMBED = [s for s in SPECS if s.name == "embed_id"]


@pytest.mark.parametrize("spec", EMBED, ids=_ids(EMBED))
@FUZZ
@given(ids=hnp.arrays(np.int64, hnp.array_shapes(min_dims=0, max_dims=2, min_side=0,
                                                 max_side=3), elements=st.integers(-2, 5)),
       dtype=st.sampled_from([np.int64, np.int32, np.float64, np.bool_]),
       vocab=st.integers(0, 4), wrap=st.sampled_from([np.asarray, Variable, list]))
def test_embedding_ids(spec, ids, dtype, vocab, wrap):
    """ids: integers in [0, V) (negative ids rejected); W[ids] otherwise a named error."""
    ids = ids.astype(dtype)
    W = np.random.default_rng(0).uniform(-1, 1, size=(vocab, 2))

    def ref(w):
        if ids.dtype.kind not in "iu" or (ids.size and (ids.min() < 0 or ids.max() >= vocab)):
            raise IndexError("bad ids")
        return w[ids]
    given_ids = ids.tolist() if wrap is list else wrap(ids)
    if wrap is list:  # what the list says: an empty one holds no floats, and has no shape
        ids = np.array(given_ids, dtype=None if ids.size else np.int64)
    check(spec, lambda w: F.embed_id(given_ids, w), ref, [W], must_agree=True)


def test_strict_int_is_numpys_rule():
    """The fuzzer's own oracle: ints and NumPy ints pass; floats, bools and strings do not."""
    assert strict_int(np.int64(3)) == 3 and strict_int(-2) == -2
    for bad in (2.0, True, np.bool_(False), "2", None):
        with pytest.raises(TypeError):
            strict_int(bad)


# -- Variable's methods call the same functions ------------------------------------------------

METHODS = {  # method name -> (function row name, argument kinds)
    "reshape": ("reshape", ["reshape"]), "transpose": ("transpose", ["perm"]),
    "sum": ("sum", ["axes", "bool"]), "max": ("max", ["axes", "bool"]),
    "min": ("min", ["axes", "bool"]), "__getitem__": ("get_item", ["index"]),
}


@pytest.mark.parametrize("method", sorted(METHODS))
@FUZZ
@given(data=st.data())
def test_methods_match_functions(method, data):
    """``x.method(args)`` behaves as ``F.function(x, args)``: same result or same named error
    (reshape and transpose also take unpacked ints, as in DeZero)."""
    name, kinds = METHODS[method]
    shape = data.draw(SHAPES, label="shape")
    x = np.arange(float(np.prod(shape))).reshape(shape) + 0.5  # distinct values: no ties
    args = [data.draw(argument(kind, x), label=kind) for kind in kinds]
    unpack = method in ("reshape", "transpose") and isinstance(args[0], tuple) and \
        len(args[0]) > 0 and data.draw(st.booleans(), label="unpacked")
    call_args = list(args[0]) if unpack else args
    got, error = named_error(name, lambda: getattr(Variable(x), method)(*call_args))
    want, want_error = named_error(name, lambda: getattr(F, name)(Variable(x), *args))
    assert type(error) is type(want_error), f"x.{method}: {error!r}, F.{name}: {want_error!r}"
    if error is None:
        matches(f"x.{method}", got, want)


# -- inputs that are not arrays ----------------------------------------------------------------

UNARY = [s for s in SPECS if s.fuzz_shapes == "any" and len(s.shapes[0]) == 1]


@FUZZ
@given(spec=st.sampled_from(UNARY), bad=st.sampled_from([None, "abc", [1.0, "a"], {}, object()]))
def test_non_array_inputs_are_named_errors(spec, bad):
    """A value that is no array (None, a string, a dict ...) is a TypeError naming the function."""
    named_error(spec.name, lambda: spec.fn(bad))


# -- layers (another module's code: only called here) -----------------------------------------

LAYERS = {
    "Linear": lambda L: L.Linear(3), "Conv2d": lambda L: L.Conv2d(2, 3, pad=1),
    "Deconv2d": lambda L: L.Deconv2d(2, 3), "EmbedID": lambda L: L.EmbedID(4, 2),
    "BatchNorm": lambda L: L.BatchNorm(), "RNN": lambda L: L.RNN(3), "LSTM": lambda L: L.LSTM(3),
    "GRU": lambda L: L.GRU(3), "Dropout": lambda L: L.Dropout(), "LayerNorm": lambda L: L.LayerNorm(4),
    "MultiHeadAttention": lambda L: L.MultiHeadAttention(4, 2),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
@FUZZ
@given(shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4),
       dtype=st.sampled_from(DTYPES), seed=st.integers(0, 2 ** 16))
def test_layers_on_any_input(name, shape, dtype, seed):
    """A layer called on any array: a result whose backward gives every parameter a gradient
    of its shape, or an error naming the layer (or the dezero function that refused)."""
    import dezero.layers as L
    layer = LAYERS[name](L)
    x = cast(np.random.default_rng(seed).uniform(-2, 4, size=shape), dtype)
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y = layer(x)
            y.backward() if y.size else None
    except ERRORS as e:
        who = str(e).split(":")[0]  # the layer, a layer inside it, or a dezero function
        assert who == name or who in vars(F) or who in vars(L), (
            f"{name}: {type(e).__name__} names {who!r}: {e}")
        return
    except Exception as e:
        raise AssertionError(f"{name}: raised {type(e).__name__}: {e}") from e
    for p in layer.params():
        assert p.grad is None or p.grad.shape == p.shape, f"{name}: grad {p.grad.shape}"
