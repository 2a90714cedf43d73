"""Function transforms: derivatives of Python functions, as functions (JAX's ``grad`` family).

For ``f`` taking Variables x₁ … xₙ and returning y = f(x₁, …, xₙ):

- ``grad(f)(x)`` is ∇f(x) = ∂y/∂x for a scalar y; ``value_and_grad`` returns (y, ∇f(x)).
- ``vjp(f, *xs)`` returns y and ``vjp_fn``, with ``vjp_fn(u)`` = (uᵀ ∂y/∂x₁, …, uᵀ ∂y/∂xₙ).
- ``jvp(f, xs, ts)`` returns y and Σᵢ (∂y/∂xᵢ) tᵢ, the derivative of y along t.
- ``jacobian(f)(x)`` is J = ∂y/∂x, of shape ``y.shape + x.shape``; ``hessian(f)(x)`` is
  H = ∂²y/∂x², of shape ``x.shape + x.shape``; ``hvp(f, xs, ts)`` returns y and H t.

Everything is built on reverse mode (``backward(create_graph=True)``), so every result is a
Variable with a graph and the transforms compose: ``grad(grad(f))``, ``jacobian(grad(f))``.

How results stay connected and the caller's gradients stay untouched: each differentiated
argument x is replaced by x' = ``F.copy(x)`` (a fresh leaf for an array).  A backward pass
runs from y while x' is temporarily unchained from its creator, so that the pass stops at x'
and its gradient is read from ``x'.grad``.  The pass visits only the Functions that depend
on some x' (a Variable that does not, such as a Parameter or an outer Variable that ``f``
closes over, is unchained for the pass too), and every Variable it can touch has its
``grad`` saved before and restored after.  Chaining x' back to ``copy(x)`` afterwards links
the recorded gradient graph to x: the results are differentiable with respect to whatever x
was computed from, and no Variable of the caller is left with a new ``grad``.

Forward mode (``jvp``, ``jacobian(mode='forward')``) uses the double-vjp construction:
g(u) = Jᵀu is linear in the cotangent u, so J t = ∂⟨g(u), t⟩/∂u, one more backward pass
(see docs/howto/transforms.md for its cost).  Inside ``dezero.no_grad()`` the transforms do
not record the last backward pass: the results are then constants (cheaper, not
differentiable again).  While a transform runs, the graph it differentiates is briefly
rewired (creators unchained, then restored): do not backpropagate through the same graph
from another thread at the same time.
"""
from __future__ import annotations

from typing import Any, Callable

import dezero.functions as F
from dezero._config import Config, using_config
from dezero.core import Variable
from dezero.func._arguments import (as_args, as_direction, as_output, as_outputs,
                                     basis_vector, call_recording, check_argnums,
                                     check_tangents, cotangent_leaf, inner_product,
                                     name_transform, or_zeros, prepare, resolve_argnums,
                                     scalar_output, seeded_root, zeros, zeros_like)
from dezero.func._pullback import Pullback, pullback
from dezero.utils.checks import check_callable, describe

__all__ = ["grad", "value_and_grad", "vjp", "jvp", "jacobian", "hessian", "hvp"]


# -- the transforms ----------------------------------------------------------------------
def value_and_grad(f: Callable[..., Any], argnums: Any = 0) -> Callable[..., tuple[Variable, Any]]:
    """A function returning (f(x), ∇f(x)) for scalar-valued ``f``.

    ``value_and_grad(f, argnums)(*args)`` returns ``(y, g)`` with y = f(*args) and
    gᵢ = ∂y/∂xᵢ, shaped like xᵢ, for the argument ``argnums`` names (an int: g is one
    Variable; a tuple: g is a tuple, one per entry).  Differentiated arguments must be
    floating point (Variables, arrays or floats); the others are passed through unchanged.
    ``f`` must return one element (a ValueError otherwise).  The gradients are recorded
    (differentiable again) unless called inside ``dezero.no_grad()``.
    """
    check_callable(f, "value_and_grad", "f")
    checked = check_argnums("value_and_grad", argnums)
    return name_transform(_value_and_grad(f, checked, "value_and_grad"), "value_and_grad", f)


def _value_and_grad(f: Callable, argnums: Any, who: str) -> Callable:
    def transformed(*args: Any) -> tuple[Variable, Any]:
        record = Config.enable_backprop
        positions = resolve_argnums(who, argnums, len(args))
        call_args, primals = prepare(who, args, positions)
        y = scalar_output(who, call_recording(f, call_args))
        with using_config("enable_backprop", True):
            grads = pullback(y, None, primals, create_graph=record)
        grads = [or_zeros(g, x) for g, x in zip(grads, primals)]
        return y, tuple(grads) if isinstance(argnums, tuple) else grads[0]
    return transformed


def grad(f: Callable[..., Any], argnums: Any = 0) -> Callable[..., Any]:
    """The gradient of scalar-valued ``f``, as a function: ``grad(f)(x)`` = ∇f(x) = ∂f/∂x.

    ``argnums`` (an int or a tuple of ints) names the arguments to differentiate; a tuple
    gives a tuple of gradients.  Each gradient has its argument's shape and dtype.  ``f``
    must return one element (a ValueError naming ``grad`` otherwise).  Composable:
    ``grad(grad(F.sin))(x)`` = −sin x.  See :func:`value_and_grad` for the details.
    """
    check_callable(f, "grad", "f")
    checked = check_argnums("grad", argnums)
    inner = _value_and_grad(f, checked, "grad")

    def transformed(*args: Any) -> Any:
        return inner(*args)[1]
    return name_transform(transformed, "grad", f)


def vjp(f: Callable[..., Any], *primals: Any) -> tuple[Any, Callable[[Any], tuple]]:
    """Reverse mode at ``primals``: returns ``(y, vjp_fn)`` with y = f(*primals) and
    ``vjp_fn(u)`` = (uᵀ ∂y/∂x₁, …, uᵀ ∂y/∂xₙ), the vector-Jacobian products.

    Every primal is differentiated (floating point: Variables, arrays or floats).  ``u``
    (the cotangent) has y's shape; when ``f`` returns a tuple, ``u`` is a tuple with one
    entry per output and the products are summed over outputs.  ``vjp_fn`` always returns
    a tuple, one Variable per primal, and may be called many times.
    """
    check_callable(f, "vjp", "f")
    call_args, xs = prepare("vjp", primals, range(len(primals)))
    ys, is_tuple = as_outputs("vjp", call_recording(f, call_args))

    def vjp_fn(cotangents: Any) -> tuple[Variable, ...]:
        """The products uᵀ ∂y/∂xᵢ, one per primal, for the cotangent ``u``."""
        record = Config.enable_backprop
        if is_tuple:
            if not isinstance(cotangents, (tuple, list)) or len(cotangents) != len(ys):
                raise TypeError(f"vjp_fn: f returned {len(ys)} outputs, so pass a tuple of "
                                f"{len(ys)} cotangents, got {describe(cotangents)}")
        else:
            cotangents = (cotangents,)
        us = [as_direction("vjp_fn", u, y, f"cotangent {i}")
              for i, (u, y) in enumerate(zip(cotangents, ys))]
        with using_config("enable_backprop", True):
            root, seed = seeded_root(ys, us)
            grads = pullback(root, seed, xs, create_graph=record)
        return tuple(or_zeros(g, x) for g, x in zip(grads, xs))

    return (tuple(ys) if is_tuple else ys[0]), vjp_fn


def jvp(f: Callable[..., Any], primals: Any, tangents: Any) -> tuple[Any, Any]:
    """Forward mode at ``primals`` along ``tangents``: returns ``(y, ẏ)`` with y = f(*primals)
    and ẏ = Σᵢ (∂y/∂xᵢ) tᵢ, the Jacobian-vector product (a tuple when ``f`` returns one).

    ``primals`` is a tuple (or list) of arguments, or one argument; ``tangents`` has the same
    structure, each tangent shaped like its primal.  Computed by the double-vjp construction:
    g(u) = Σᵢ ⟨uᵀ ∂y/∂xᵢ, tᵢ⟩ is linear in the cotangent u, and ∂g/∂u = J t — one forward,
    one recorded backward of f and one backward of that backward.
    """
    check_callable(f, "jvp", "f")
    record = Config.enable_backprop
    args, is_tuple = as_args(primals)
    call_args, xs = prepare("jvp", args, range(len(args)))
    ts = check_tangents("jvp", tangents, xs, is_tuple)
    ys, out_tuple = as_outputs("jvp", call_recording(f, call_args))
    with using_config("enable_backprop", True):
        us = [cotangent_leaf(y) for y in ys]
        root, seed = seeded_root(ys, us)
        grads = pullback(root, seed, xs, create_graph=True)
        total = inner_product(grads, ts)
        dots = [None] * len(ys) if total is None else pullback(total, None, us, record)
    dots = [or_zeros(d, y) for d, y in zip(dots, ys)]
    if out_tuple:
        return tuple(ys), tuple(dots)
    return ys[0], dots[0]


def jacobian(f: Callable[..., Any], argnums: Any = 0, mode: str | None = None
             ) -> Callable[..., Any]:
    """The Jacobian of ``f``, as a function: ``jacobian(f)(x)`` = J with J[i…, j…] = ∂yᵢ/∂xⱼ,
    of shape ``y.shape + x.shape`` (a tuple of them for a tuple ``argnums``).

    ``mode='reverse'`` builds J row by row, one backward pass (vjp) per element of y;
    ``mode='forward'`` column by column, one double-vjp jvp per element of x (after one
    shared backward pass).  ``mode=None`` picks forward when x has fewer elements than y,
    else reverse.  ``f`` returns one Variable.  Composable: ``jacobian(grad(f))`` is the
    Hessian.
    """
    who = "jacobian"
    check_callable(f, who, "f")
    checked = check_argnums(who, argnums)
    if mode not in (None, "forward", "reverse"):
        raise ValueError(f"{who}: mode must be None (chosen by shape), 'forward' or "
                         f"'reverse', got {describe(mode)}")

    def transformed(*args: Any) -> Any:
        record = Config.enable_backprop
        positions = resolve_argnums(who, checked, len(args))
        call_args, xs = prepare(who, args, positions)
        y = as_output(who, call_recording(f, call_args))
        forward = [mode == "forward" or (mode is None and x.size < y.size) for x in xs]
        result: list[Variable | None] = [None] * len(xs)
        with using_config("enable_backprop", True):
            rev = [i for i, fw in enumerate(forward) if not fw]
            for i, jac in zip(rev, _jacobian_reverse(y, [xs[i] for i in rev], record)):
                result[i] = jac
            fwd = [i for i, fw in enumerate(forward) if fw]
            for i, jac in zip(fwd, _jacobian_forward(y, [xs[i] for i in fwd], record)):
                result[i] = jac
        return tuple(result) if isinstance(checked, tuple) else result[0]
    return name_transform(transformed, "jacobian", f)


def _assemble(parts: list[Variable], shape: tuple[int, ...], axis: int, like: Variable,
              record: bool) -> Variable:
    """The slices ``parts`` stacked along a new ``axis`` and reshaped to ``shape``."""
    if not parts:  # an empty x or y
        return zeros(shape, like)
    with using_config("enable_backprop", record):
        return F.reshape(F.stack(parts, axis=axis), shape)


def _jacobian_reverse(y: Variable, xs: list[Variable], record: bool) -> list[Variable]:
    """∂y/∂x for each x in ``xs``: one backward pass per element of y (rows uᵀJ, u = eₖ)."""
    if not xs:
        return []
    rows: list[list[Variable]] = [[] for _ in xs]
    with Pullback(y, xs) as backprop:
        for k in range(y.size):
            for row, g, x in zip(rows, backprop(basis_vector(y, k), record), xs):
                row.append(or_zeros(g, x))
    return [_assemble(row, y.shape + x.shape, 0, y, record) for row, x in zip(rows, xs)]


def _jacobian_forward(y: Variable, xs: list[Variable], record: bool) -> list[Variable]:
    """∂y/∂x for each x in ``xs``: columns J eⱼ by the double vjp, after one shared pass."""
    if not xs:
        return []
    u = cotangent_leaf(y)
    grads = pullback(y, u, xs, create_graph=True)  # gᵢ = uᵀ ∂y/∂xᵢ, linear in u
    jacobians = []
    for g, x in zip(grads, xs):
        columns = []
        if g is not None:
            with Pullback(g, [u]) as backprop:
                for j in range(x.size):
                    (column,) = backprop(basis_vector(x, j), record)
                    columns.append(or_zeros(column, y))
        else:
            columns = [zeros_like(y) for _ in range(x.size)]
        jacobians.append(_assemble(columns, y.shape + x.shape, y.ndim, y, record))
    return jacobians


def hessian(f: Callable[..., Any], argnums: Any = 0) -> Callable[..., Any]:
    """The Hessian of scalar-valued ``f``, as a function: H = ∂²f/∂x², of shape
    ``x.shape + x.shape``; ``jacobian(grad(f, argnums), argnums)``.

    For a tuple ``argnums`` the result is a tuple of tuples, ``H[i][j]`` = ∂²f/∂xᵢ∂xⱼ of
    shape ``xᵢ.shape + xⱼ.shape``.  Each block costs one recorded backward pass of f and one
    backward pass of that gradient per element of xᵢ (reverse over reverse).
    """
    who = "hessian"
    check_callable(f, who, "f")
    checked = check_argnums(who, argnums)

    def scalar_f(*args: Any) -> Variable:
        return scalar_output(who, f(*args))

    def transformed(*args: Any) -> Any:
        positions = resolve_argnums(who, checked, len(args))
        if not isinstance(checked, tuple):
            return jacobian(grad(scalar_f, positions[0]), positions[0])(*args)
        return tuple(jacobian(grad(scalar_f, i), positions)(*args) for i in positions)
    return name_transform(transformed, "hessian", f)


def hvp(f: Callable[..., Any], primals: Any, tangents: Any) -> tuple[Variable, Any]:
    """The Hessian-vector product of scalar-valued ``f``: returns ``(y, H t)`` with
    y = f(*primals) and (H t)ᵢ = Σⱼ ∂²y/∂xᵢ∂xⱼ tⱼ.

    ``primals`` is a tuple (or list) of arguments, or one argument; ``tangents`` has the same
    structure and so has ``H t``.  Reverse over reverse, using the symmetry of H:
    H t = ∇ₓ⟨∇f(x), t⟩ — one recorded backward pass of f, then one backward pass of
    ⟨∇f(x), t⟩; no Hessian is formed.
    """
    who = "hvp"
    check_callable(f, who, "f")
    record = Config.enable_backprop
    args, is_tuple = as_args(primals)
    call_args, xs = prepare(who, args, range(len(args)))
    ts = check_tangents(who, tangents, xs, is_tuple)
    y = scalar_output(who, call_recording(f, call_args))
    with using_config("enable_backprop", True):
        grads = pullback(y, None, xs, create_graph=True)
        total = inner_product(grads, ts)
        products = [None] * len(xs) if total is None else pullback(total, None, xs, record)
    products = [or_zeros(p, x) for p, x in zip(products, xs)]
    return y, tuple(products) if is_tuple else products[0]
