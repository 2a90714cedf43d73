"""dezero.func: every transform against central finite differences in float64, composition,
connection to the caller's graph, untouched gradients, float32, and the errors."""
import numpy as np
import pytest

import dezero
import dezero.functions as F
from dezero import Parameter, Variable
from dezero.func import grad, hessian, hvp, jacobian, jvp, value_and_grad, vjp
from dezero.gradcheck import finite_difference

RTOL, ATOL = 1e-6, 1e-8        # first derivatives, eps 1e-6
RTOL2, ATOL2 = 1e-5, 1e-6      # second derivatives by nested differences, eps 1e-4


# -- functions of 1, 2 and 3 inputs, 0-d, vectors and matrices -------------------------------
def f_scalar(x):                 # () -> ()
    return F.sin(x) * x ** 2


def f_vector(x):                 # (3,) -> (3,)
    return F.sin(x) * F.sum(x ** 2)


def f_matrix(x):                 # (2, 3) -> (2, 2)
    return F.matmul(F.tanh(x), F.transpose(x))


def f_two(x, w):                 # (2, 3), (3,) -> (2,)
    return F.tanh(F.matmul(x, w)) * F.sum(w)


def f_three(a, b, c):            # (), (3,), (2, 3) -> (2, 3)
    return F.sin(c * b) * a + F.exp(b * a)


CASES = [
    ("0-d", f_scalar, [()]),
    ("vector", f_vector, [(3,)]),
    ("matrix", f_matrix, [(2, 3)]),
    ("two inputs", f_two, [(2, 3), (3,)]),
    ("three inputs", f_three, [(), (3,), (2, 3)]),
]
IDS = [c[0] for c in CASES]


def inputs(shapes, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [np.asarray(0.3 + 0.5 * rng.standard_normal(s), dtype=dtype) for s in shapes]


def scalar_of(f):
    """A scalar function made from f: sum of its output squared, plus a cubic term."""
    def s(*xs):
        y = f(*xs)
        return F.sum(y ** 2) + F.sum(y) ** 3 / 10
    return s


def evaluate(f, args):
    return np.asarray(f(*[Variable(a) for a in args]).data, dtype=np.float64)


def numeric_jacobian(f, args, i, eps=1e-6):
    """∂f/∂args[i] by central differences (finite_difference), shape out.shape + in.shape."""
    out_shape = evaluate(f, args).shape
    rows = [finite_difference(lambda: float(evaluate(f, args).reshape(-1)[k]), args[i], eps)
            for k in range(int(np.prod(out_shape)))]
    return np.stack(rows).reshape(out_shape + args[i].shape)


def numeric_hessian(s, args, i, j, eps=1e-4):
    """∂²s/∂args[i]∂args[j] by nested central differences of the scalar s."""
    size = args[i].size
    rows = [finite_difference(
        lambda: float(numeric_jacobian(s, args, i, eps).reshape(-1)[m]), args[j], eps)
        for m in range(size)]
    return np.stack(rows).reshape(args[i].shape + args[j].shape)


def close(got, want, rtol=RTOL, atol=ATOL):
    assert isinstance(got, Variable), f"expected a Variable, got {type(got).__name__}"
    np.testing.assert_allclose(got.data, want, rtol=rtol, atol=atol)


# -- agreement with finite differences --------------------------------------------------------
@pytest.mark.parametrize("name,f,shapes", CASES, ids=IDS)
@pytest.mark.parametrize("mode", [None, "forward", "reverse"])
def test_jacobian_matches_finite_differences(name, f, shapes, mode):
    args = inputs(shapes)
    argnums = tuple(range(len(args)))
    jacs = jacobian(f, argnums, mode=mode)(*args)
    assert isinstance(jacs, tuple) and len(jacs) == len(args)
    for i, jac in enumerate(jacs):
        want = numeric_jacobian(f, args, i)
        assert jac.shape == evaluate(f, args).shape + args[i].shape
        close(jac, want)
        close(jacobian(f, i, mode=mode)(*args), want)  # an int argnums: one result


@pytest.mark.parametrize("name,f,shapes", CASES, ids=IDS)
def test_grad_and_value_and_grad_match_finite_differences(name, f, shapes):
    s = scalar_of(f)
    args = inputs(shapes, seed=1)
    wants = [numeric_jacobian(s, args, i) for i in range(len(args))]
    for i, want in enumerate(wants):
        close(grad(s, argnums=i)(*args), want)
    gs = grad(s, argnums=tuple(range(len(args))))(*args)
    assert isinstance(gs, tuple) and len(gs) == len(args)
    for g, want in zip(gs, wants):
        close(g, want)
    value, g_last = value_and_grad(s, argnums=-1)(*args)
    close(value, evaluate(s, args))
    close(g_last, wants[-1])


@pytest.mark.parametrize("name,f,shapes", CASES, ids=IDS)
def test_vjp_and_jvp_match_finite_differences(name, f, shapes):
    args = inputs(shapes, seed=2)
    rng = np.random.default_rng(3)
    jacs = [numeric_jacobian(f, args, i) for i in range(len(args))]
    out_shape = evaluate(f, args).shape
    u = rng.standard_normal(out_shape)
    y, vjp_fn = vjp(f, *args)
    close(y, evaluate(f, args))
    products = vjp_fn(u)
    assert isinstance(products, tuple) and len(products) == len(args)
    for p, jac, a in zip(products, jacs, args):
        close(p, np.tensordot(u, jac, axes=u.ndim))
    close(vjp_fn(Variable(2 * u))[0], 2 * np.tensordot(u, jacs[0], axes=u.ndim))  # called again

    ts = [rng.standard_normal(a.shape) for a in args]
    y, dy = jvp(f, tuple(args), tuple(ts))
    close(y, evaluate(f, args))
    want = sum(np.tensordot(jac, t, axes=t.ndim) for jac, t in zip(jacs, ts))
    close(dy, want)
    if len(args) == 1:  # one primal may be passed bare
        close(jvp(f, args[0], ts[0])[1], want)


@pytest.mark.parametrize("name,f,shapes", CASES, ids=IDS)
def test_hessian_and_hvp_match_finite_differences(name, f, shapes):
    s = scalar_of(f)
    args = inputs(shapes, seed=4)
    n = len(args)
    want = [[numeric_hessian(s, args, i, j) for j in range(n)] for i in range(n)]
    blocks = hessian(s, argnums=tuple(range(n)))(*args)
    assert isinstance(blocks, tuple) and all(isinstance(b, tuple) and len(b) == n for b in blocks)
    for i in range(n):
        for j in range(n):
            assert blocks[i][j].shape == args[i].shape + args[j].shape
            close(blocks[i][j], want[i][j], RTOL2, ATOL2)
    close(hessian(s, argnums=n - 1)(*args), want[n - 1][n - 1], RTOL2, ATOL2)

    ts = [np.random.default_rng(5).standard_normal(a.shape) for a in args]
    value, products = hvp(s, tuple(args), tuple(ts))
    close(value, evaluate(s, args))
    for i, p in enumerate(products):
        close(p, sum(np.tensordot(want[i][j], ts[j], axes=ts[j].ndim) for j in range(n)),
              RTOL2, ATOL2)


def test_vjp_and_jvp_of_a_function_with_two_outputs():
    def f(x, w):
        return F.sin(x) * w, F.sum(x) * w

    args = inputs([(3,), (3,)], seed=6)
    jac = {(k, i): numeric_jacobian(lambda *a, k=k: f(*a)[k], args, i)
           for k in range(2) for i in range(2)}
    rng = np.random.default_rng(7)
    us = [rng.standard_normal(3), rng.standard_normal(3)]
    ys, vjp_fn = vjp(f, *args)
    assert isinstance(ys, tuple) and len(ys) == 2
    for i, p in enumerate(vjp_fn(tuple(us))):
        close(p, sum(us[k] @ jac[k, i] for k in range(2)))
    ts = [rng.standard_normal(3), rng.standard_normal(3)]
    _, dys = jvp(f, args, ts)
    for k, dy in enumerate(dys):
        close(dy, sum(jac[k, i] @ ts[i] for i in range(2)))


# -- composition --------------------------------------------------------------------------------
def test_grad_of_grad_of_sin_is_minus_sin():
    x = np.linspace(-3, 3, 7)
    for value in x:
        close(grad(grad(F.sin))(value), -np.sin(value), 1e-12, 1e-12)
        close(grad(grad(grad(grad(F.sin))))(Variable(value)), np.sin(value), 1e-12, 1e-12)
    # and a non-trivial one against nested differences: d²/dx² x³ e^(-x) at 0.7
    f = lambda v: v ** 3 * F.exp(-v)  # noqa: E731
    close(grad(grad(f))(0.7), numeric_hessian(f, [np.array(0.7)], 0, 0), RTOL2, ATOL2)


@pytest.mark.parametrize("name,f,shapes", CASES[1:3], ids=IDS[1:3])
def test_jacobian_of_grad_is_the_hessian(name, f, shapes):
    s = scalar_of(f)
    (x,) = inputs(shapes, seed=8)
    h = hessian(s)(x)
    for mode in (None, "forward", "reverse"):
        np.testing.assert_allclose(jacobian(grad(s), mode=mode)(x).data, h.data,
                                   rtol=1e-12, atol=1e-12)
    close(h, numeric_hessian(s, [x], 0, 0), RTOL2, ATOL2)
    # forward over reverse: jvp of the gradient is H t too
    t = np.random.default_rng(9).standard_normal(x.shape)
    np.testing.assert_allclose(jvp(grad(s), x, t)[1].data, hvp(s, x, t)[1].data,
                               rtol=1e-10, atol=1e-12)


def test_results_stay_connected_to_the_callers_graph():
    """z = 3x; g = f'(z) computed by grad; dg/dx = 3 f''(3x) through the caller's graph."""
    x = Variable(np.array(0.4))
    z = 3 * x
    g = grad(lambda v: F.sin(v) * v)(z)
    g.backward()
    want = 3 * (2 * np.cos(1.2) - 1.2 * np.sin(1.2))
    np.testing.assert_allclose(x.grad.data, want, rtol=1e-12)
    # and a jacobian and an hvp, differentiated by the ordinary backward
    x = Variable(np.array([0.1, 0.2, 0.3]))
    J = jacobian(F.sin, mode="forward")(x * 2)       # diag(cos 2x)
    x.cleargrad()
    F.sum(J).backward()
    np.testing.assert_allclose(x.grad.data, -2 * np.sin(2 * x.data), rtol=1e-12)
    x.cleargrad()
    _, p = hvp(lambda v: F.sum(v ** 4), x, np.ones(3))  # 12 x² t
    F.sum(p).backward()
    np.testing.assert_allclose(x.grad.data, 24 * x.data, rtol=1e-12)


# -- the caller's gradients ---------------------------------------------------------------------
TRANSFORMS = {
    "grad": lambda f, x: grad(f)(x),
    "value_and_grad": lambda f, x: value_and_grad(f)(x),
    "vjp": lambda f, x: vjp(f, x)[1](np.array(1.0)),
    "jvp": lambda f, x: jvp(f, x, np.array(1.0)),
    "jacobian forward": lambda f, x: jacobian(f, mode="forward")(x),
    "jacobian reverse": lambda f, x: jacobian(f, mode="reverse")(x),
    "hessian": lambda f, x: hessian(f)(x),
    "hvp": lambda f, x: hvp(f, x, np.array(1.0)),
}


@pytest.mark.parametrize("name", list(TRANSFORMS))
def test_no_gradient_is_left_on_the_callers_variables(name):
    w = Parameter(np.array(2.0))
    w.grad = Variable(np.array(5.0))            # an unrelated gradient that must survive
    before = w.grad
    outer = Variable(np.array(0.5))
    closed = F.exp(outer)                         # an outer intermediate that f closes over
    x0 = Variable(np.array(0.3))
    x = x0 * 1.5                                  # the argument is itself an intermediate
    f = lambda v: F.sin(v) * w * closed + v ** 3  # noqa: E731
    result = TRANSFORMS[name](f, x)
    for v in (x0, x, outer, closed):
        assert v.grad is None, f"{name} left a gradient on a caller's Variable"
    assert w.grad is before
    assert x.creator is not None and closed.creator is not None  # the graph is restored
    flat = result if isinstance(result, tuple) else (result,)
    assert all(isinstance(r, Variable) for r in flat)
    # the caller's graph still backpropagates normally afterwards
    (closed * x).backward()
    np.testing.assert_allclose(outer.grad.data, np.exp(0.5) * 0.45)
    np.testing.assert_allclose(x0.grad.data, np.exp(0.5) * 1.5)


def test_argument_with_a_gradient_keeps_it():
    x = Variable(np.array([1.0, 2.0]))
    x.grad = Variable(np.array([7.0, 7.0]))
    g = grad(lambda v: F.sum(v ** 2))(x)
    np.testing.assert_allclose(g.data, [2.0, 4.0])
    np.testing.assert_allclose(x.grad.data, [7.0, 7.0])


def test_same_variable_passed_twice_gets_separate_gradients():
    x = Variable(np.array(3.0))
    g0, g1 = grad(lambda a, b: a * b ** 2, argnums=(0, 1))(x, x)
    np.testing.assert_allclose([g0.data, g1.data], [9.0, 18.0])
    # a closure over the same Variable is a constant, not the argument
    np.testing.assert_allclose(grad(lambda a: a * x)(x).data, 3.0)


def test_other_arguments_are_passed_through_and_constant_functions_give_zeros():
    g = grad(lambda v, power, label: F.sum(v ** power), argnums=0)(np.ones(3), 3, "any")
    np.testing.assert_allclose(g.data, [3.0, 3.0, 3.0])
    c = Variable(np.array(2.0))
    g = grad(lambda v: c * 1.0)(np.ones(2))
    np.testing.assert_array_equal(g.data, [0.0, 0.0])
    assert c.grad is None
    np.testing.assert_array_equal(jvp(lambda v: c, np.ones(2), np.ones(2))[1].data, 0.0)
    np.testing.assert_array_equal(jacobian(lambda v: np.ones(3))(np.ones(2)).data,
                                  np.zeros((3, 2)))
    np.testing.assert_array_equal(grad(lambda v: v)(np.array(2.0)).data, 1.0)  # identity


def test_no_grad_gives_constant_results():
    x = Variable(np.array([0.5, 1.0]))
    with dezero.no_grad():
        g = grad(lambda v: F.sum(F.sin(v)))(x)
        J = jacobian(F.sin)(x)
        dy = jvp(F.sin, x, np.ones(2))[1]
        s = lambda v: F.sum(F.sin(v) * v ** 2)  # noqa: E731
        H = hessian(s)(x)
        Ht = hvp(s, x, np.ones(2))[1]
    for r in (g, J, dy, H, Ht):
        assert r.creator is None
    np.testing.assert_allclose(g.data, np.cos(x.data))
    np.testing.assert_allclose(dy.data, np.cos(x.data))
    np.testing.assert_allclose(H.data, hessian(s)(x).data, rtol=1e-14)  # nested passes recorded
    np.testing.assert_allclose(Ht.data, H.data.sum(axis=1), rtol=1e-14)


def test_empty_arrays():
    assert jacobian(F.sin)(np.ones(0)).shape == (0, 0)
    assert jacobian(F.sum)(np.ones(0)).shape == (0,)
    assert hessian(F.sum)(np.ones((0, 2))).shape == (0, 2, 0, 2)


# -- float32 -------------------------------------------------------------------------------------
def test_float32_is_preserved():
    x = np.array([0.5, 1.5], dtype=np.float32)
    s = lambda v: F.sum(F.sin(v) * v)  # noqa: E731
    one = np.ones(2, dtype=np.float32)
    results = [grad(s)(x), value_and_grad(s)(x)[0], value_and_grad(s)(x)[1],
               vjp(F.sin, x)[1](one)[0], jvp(F.sin, x, one)[1], jvp(F.sin, x, np.ones(2))[1],
               jacobian(F.sin, mode="forward")(x), jacobian(F.sin, mode="reverse")(x),
               hessian(s)(x), hvp(s, x, one)[1], grad(grad(F.sin))(np.float32(1.0))]
    assert [r.dtype for r in results] == [np.float32] * len(results)


# -- errors ------------------------------------------------------------------------------------
def test_grad_of_a_non_scalar_function_is_a_named_error():
    with pytest.raises(ValueError, match=r"grad: f must return a scalar.*shape \(3,\).*jacobian"):
        grad(F.sin)(np.ones(3))
    with pytest.raises(ValueError, match="value_and_grad: f must return a scalar"):
        value_and_grad(F.sin)(np.ones(3))
    with pytest.raises(ValueError, match="hessian: f must return a scalar"):
        hessian(F.sin)(np.ones(3))
    with pytest.raises(ValueError, match="hvp: f must return a scalar"):
        hvp(F.sin, np.ones(3), np.ones(3))


@pytest.mark.parametrize("transform", [grad, value_and_grad, jacobian, hessian])
def test_bad_argnums(transform):
    name = transform.__name__
    with pytest.raises(TypeError, match=f"{name}: argnums must be an int or a tuple of ints"):
        transform(F.sin, argnums=1.0)
    with pytest.raises(TypeError, match=f"{name}: argnums must be"):
        transform(F.sin, argnums="0")
    with pytest.raises(TypeError, match=f"{name}: each entry of argnums"):
        transform(F.sin, argnums=(0, None))
    with pytest.raises(ValueError, match=f"{name}: argnums is an empty tuple"):
        transform(F.sin, argnums=())
    two = lambda a, b: F.sum(a * b)  # noqa: E731
    with pytest.raises(ValueError, match=rf"{name}: argnums 2 is out of range.*\[-2, 2\)"):
        transform(two, argnums=2)(np.ones(1), np.ones(1))
    with pytest.raises(ValueError, match=f"{name}: argnums=\\(0, -2\\) names an argument twice"):
        transform(two, argnums=(0, -2))(np.ones(1), np.ones(1))


def test_other_errors_name_the_function_and_argument():
    with pytest.raises(TypeError, match="grad: f must be callable"):
        grad(3)
    with pytest.raises(TypeError, match=r"grad: argument 0 has dtype int64.*floating-point"):
        grad(lambda v: v)(np.array(2))
    with pytest.raises(TypeError, match="grad: argument 0 has dtype int64"):
        grad(lambda v: v)(2)
    with pytest.raises(TypeError, match=r"vjp: argument 1 must be a Variable.*list"):
        vjp(lambda a, b: a, np.ones(2), [1.0, 2.0])
    with pytest.raises(ValueError, match="jacobian: mode must be None.*'sideways'"):
        jacobian(F.sin, mode="sideways")
    with pytest.raises(ValueError, match=r"jvp: tangent 0 has shape \(3,\) but must have shape"):
        jvp(F.sin, (np.ones(2),), (np.ones(3),))
    with pytest.raises(ValueError, match="jvp: tangents must match primals"):
        jvp(F.sin, (np.ones(2),), (np.ones(2), np.ones(2)))
    _, vjp_fn = vjp(F.sin, np.ones(2))
    with pytest.raises(ValueError, match=r"vjp_fn: cotangent 0 has shape \(\)"):
        vjp_fn(np.array(1.0))
    _, vjp_fn = vjp(lambda a: (a, a), np.ones(2))
    with pytest.raises(TypeError, match="vjp_fn: f returned 2 outputs"):
        vjp_fn(np.ones(2))
    with pytest.raises(TypeError, match="grad: f's result must be a Variable"):
        grad(lambda v: "text")(1.0)
    with pytest.raises(TypeError, match="jacobian: f must return one Variable, got a tuple"):
        jacobian(lambda v: (v, v))(np.ones(2))


def test_transformed_functions_are_named():
    assert grad(F.sin).__name__ == "grad(sin)"
    assert jacobian(grad(F.sin)).__name__ == "jacobian(grad(sin))"
