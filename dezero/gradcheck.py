"""Gradient checking by central finite differences: the one place they live.

``gradcheck(f, *inputs, order=1|2)`` compares the backward of ``f`` with central
differences in float64, on every floating-point input, with a random upstream
gradient (an all-ones one would let a backward that ignores its incoming
gradient pass).  With ``order=2`` it also checks the gradient of the gradient,
with respect to the inputs and to the upstream gradient (a backward that detaches
its incoming gradient from the graph fails there).
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from dezero import cuda
from dezero.core import Variable


class GradcheckError(AssertionError):
    """Raised when an analytic gradient disagrees with finite differences."""


def _outputs(y: Any) -> list[Variable]:
    return list(y) if isinstance(y, (list, tuple)) else [y]


def _name(f: Callable) -> str:
    return getattr(f, "__qualname__", None) or type(f).__name__


def finite_difference(fn: Callable[[], float], x: np.ndarray, eps: float) -> np.ndarray:
    """d fn / d x by central differences, perturbing ``x`` (a float64 array) in place and restoring it."""
    grad = np.zeros_like(x)
    flat_x, flat_g = x.reshape(-1), grad.reshape(-1)
    for i in range(flat_x.size):
        orig = flat_x[i]
        flat_x[i] = orig + eps
        f_plus = fn()
        flat_x[i] = orig - eps
        f_minus = fn()
        flat_x[i] = orig
        flat_g[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def _scalar(ys: list[Variable], gys: list[np.ndarray]) -> float:
    """<y, gy> summed over outputs, in float64: the scalar whose gradient is checked."""
    return float(sum(np.sum(cuda.as_numpy(y.data).astype(np.float64) * gy) for y, gy in zip(ys, gys)))


def _analytic(f: Callable, xs: list[Variable], gys: list[np.ndarray],
              create_graph: bool = False) -> list[Variable | None]:
    """Gradients of <f(xs), gys> w.r.t. xs through dezero's backward."""
    ys = _outputs(f(*xs))
    for x in xs:  # after f: a second-order f leaves first-order grads on xs
        x.cleargrad()
    if len(ys) != len(gys):
        raise ValueError("gradcheck: f returned a different number of outputs than before")
    # Seed every output and walk back from a sum of <y, gy> so that several
    # outputs (possibly from different Functions) are covered in one pass.
    total = None
    for y, gy in zip(ys, gys):
        term = (y * Variable(gy.astype(y.dtype))).sum()
        total = term if total is None else total + term
    total.backward(create_graph=create_graph)
    return [x.grad for x in xs]


def _check(name: str, order: int, label: str, x: np.ndarray, analytic: np.ndarray,
           numeric: np.ndarray, rtol: float, atol: float) -> None:
    if analytic.shape != numeric.shape:
        raise GradcheckError(
            f"gradcheck({name}, order={order}): {label} of shape {x.shape} got an "
            f"analytic gradient of shape {analytic.shape}")
    err = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
    if err.size and (np.max(err) > 0 or not np.all(np.isfinite(analytic))):
        worst = np.unravel_index(np.argmax(np.where(np.isfinite(err), err, np.inf)), err.shape)
        raise GradcheckError(
            f"gradcheck({name}, order={order}): gradient w.r.t. {label} (shape {x.shape}) "
            f"is wrong; worst element {tuple(int(w) for w in worst)}: "
            f"analytic {float(analytic[worst])!r}, numeric {float(numeric[worst])!r} "
            f"(rtol={rtol}, atol={atol})")


def gradcheck(f: Callable, *inputs: Any, order: int = 1, eps: float = 1e-6,
              rtol: float = 1e-4, atol: float = 1e-6, seed: int = 0,
              wrt: Sequence[int] | None = None) -> bool:
    """Check the gradients of ``f(*inputs)`` (and with ``order=2`` their gradients) numerically.

    Floating-point inputs are copied to float64 and checked (or those listed in
    ``wrt``); other inputs (integer labels) pass through unchanged.  Raises
    :class:`GradcheckError` naming the function, input, shapes and worst element;
    returns True when every check passes.
    """
    if order not in (1, 2):
        raise ValueError(f"gradcheck: order must be 1 or 2, got {order}")
    name = _name(f)
    arrays = [cuda.as_numpy(x.data if isinstance(x, Variable) else np.asarray(x)) for x in inputs]
    if wrt is None:
        wrt = [i for i, a in enumerate(arrays) if a.dtype.kind == "f"]
    arrays = [a.astype(np.float64) if i in wrt else a for i, a in enumerate(arrays)]
    rng = np.random.default_rng(seed)

    def call(*xs: Variable) -> Any:
        return f(*xs)

    probe = _outputs(call(*[Variable(a.copy()) for a in arrays]))
    makers = sorted({type(y.creator).__name__ for y in probe if y.creator is not None})
    if makers:  # a lambda's name says little; the Function that made the output does
        name = f"{name} -> {', '.join(makers)}"
    labels = {i: f"input {i}" for i in wrt}
    _check_order1(name, call, arrays, list(wrt), rng, eps, rtol, atol, 1, labels)
    if order == 2:
        _check_order2(name, call, arrays, list(wrt), probe, rng, eps, rtol, atol, labels)
    return True


def _check_order2(name: str, f: Callable, arrays: list[np.ndarray], wrt: list[int],
                  probe: list[Variable], rng: np.random.Generator, eps: float, rtol: float,
                  atol: float, labels: dict[int, str]) -> None:
    """Check the gradient of the backward itself, as PyTorch's ``gradgradcheck`` does.

    The backward maps (xs, gys) to gxs, and is linear in the upstream gradients gys,
    so both are its inputs: differentiating gxs only with respect to xs (with a
    constant gy) would let a backward that detaches gy from the graph pass.
    """
    n = len(arrays)

    def grads_of(*xs_and_gys: Variable) -> list[Variable]:
        xs, gys = xs_and_gys[:n], xs_and_gys[n:]
        ys = _outputs(f(*xs))
        for v in xs_and_gys:
            v.cleargrad()
        total = None
        for y, gy in zip(ys, gys):
            term = (y * gy).sum()
            total = term if total is None else total + term
        total.backward(create_graph=True)
        out = []
        for i in wrt:
            gx = xs[i].grad
            # A gradient that does not depend on anything (None) is a differentiable zero.
            out.append(gx if gx is not None else Variable(np.zeros_like(xs[i].data)) * xs[i])
        return out

    gys = [rng.standard_normal(y.shape) for y in probe]
    labels = {**labels, **{n + k: f"the upstream gradient of output {k}" for k in range(len(gys))}}
    _check_order1(name, grads_of, arrays + gys, list(wrt) + [n + k for k in range(len(gys))],
                  rng, eps, rtol, atol, 2, labels)


def _check_order1(name: str, f: Callable, arrays: list[np.ndarray], wrt: list[int],
                  rng: np.random.Generator, eps: float, rtol: float, atol: float,
                  order: int, labels: dict[int, str]) -> None:
    xs = [Variable(a.copy()) for a in arrays]
    ys = _outputs(f(*xs))
    gys = [rng.standard_normal(y.shape) for y in ys]
    grads = _analytic(f, xs, gys)
    work = [a.copy() for a in arrays]
    for i in wrt:
        def fn() -> float:
            return _scalar(_outputs(f(*[Variable(w) for w in work])), gys)
        numeric = finite_difference(fn, work[i], eps)
        gx = grads[i]
        analytic = np.zeros_like(work[i]) if gx is None else cuda.as_numpy(gx.data)
        _check(name, order, labels[i], work[i], analytic.astype(np.float64), numeric, rtol, atol)


def numerical_grad(f: Callable, x: Any, *args: Any, eps: float = 1e-4, **kwargs: Any) -> np.ndarray:
    """Gradient of sum(f(x, *args, **kwargs)) w.r.t. ``x`` by central differences (DeZero's helper).

    Works on a float64 copy: the caller's array is never changed.
    """
    work = cuda.as_numpy(x.data if isinstance(x, Variable) else np.asarray(x)).astype(np.float64)

    def fn() -> float:
        y = f(Variable(work), *args, **kwargs)
        return float(np.sum(cuda.as_numpy(y.data if isinstance(y, Variable) else y)))

    return finite_difference(fn, work, eps)


def gradient_check(f: Callable, x: Any, *args: Any, rtol: float = 1e-4, atol: float = 1e-5,
                   **kwargs: Any) -> bool:
    """DeZero's checker, made sound: True when the gradient of f w.r.t. ``x`` matches numerically.

    Unlike the original it uses a random upstream gradient and never converts the
    caller's array; it prints the worst mismatch and returns False on failure.
    """
    try:
        return gradcheck(lambda v: f(v, *args, **kwargs), x, rtol=rtol, atol=atol, eps=1e-4,
                         wrt=[0])
    except GradcheckError as e:
        print(e)
        return False
