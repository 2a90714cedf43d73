"""Step 63: Newton's method in many variables with Hessian-vector products (Newton-CG).

Docs: docs/tutorial/11-beyond-backward.md
Run: .venv/bin/python steps/step63_newton_cg_hvp.py  (check its output: make step N=63)

Step 33 ran Newton's method on a function of one variable: x <- x - f'(x) /
f''(x).  With n variables the step p solves H p = -g, H the n x n Hessian
and g the gradient.  Forming H costs n backward passes and n^2 numbers;
solving with it, n^3 operations.  Conjugate gradients (CG) solve H p = -g
while touching H only through products H v, and ``dezero.func.hvp(f, x, v)``
computes H v with two backward passes whatever n is: the gradient of
<grad f(x), v> with respect to x (step 36's double backprop).  So H is never
formed.

The function is convex, a quadratic plus a quartic in n = 50 variables:

    f(x) = 1/2 x^T A x - b^T x + c/4 sum x_i^4,

A the second-difference matrix (2 on the diagonal, -1 beside it), b = 0.01
in every entry, c = 0.001.  A's eigenvalues run from 0.004 to 4, so the
valleys of f are long and narrow: gradient descent with a safe fixed step
needs about 3,200 iterations, Newton-CG 5, which use some 120 H v products
between them (one H v costs about two gradients).  The script prints the
loss per Newton iteration, the number of CG iterations (= hvp calls) each
took, gradient descent's loss at a few iterations, both methods' totals,
and checks one hvp against the full Hessian of ``dezero.func.hessian``.
"""
from __future__ import annotations

import argparse
from typing import Callable, Sequence

import numpy as np

import dezero.functions as F
from dezero import Variable
from dezero.func import hessian, hvp, value_and_grad


def make_problem(n: int, b: float = 0.01, c: float = 0.001) -> Callable[[Variable], Variable]:
    """f(x) = 1/2 x^T A x - b^T x + c/4 sum x^4, A = tridiag(-1, 2, -1) of size n."""
    A = 2 * np.eye(n) - np.eye(n, k=1) - np.eye(n, k=-1)
    bvec = np.full(n, b)

    def f(x: Variable) -> Variable:
        return 0.5 * F.sum(x * F.matmul(x, A)) - F.sum(bvec * x) + c / 4 * F.sum(x ** 4)

    return f


def conjugate_gradient(hess_vec: Callable[[np.ndarray], np.ndarray], rhs: np.ndarray,
                       tol: float, max_iter: int) -> tuple[np.ndarray, int]:
    """Solve H p = rhs for symmetric positive definite H given only v -> H v; returns
    (p, the number of H v products used).  Stops when |H p - rhs| <= tol."""
    p = np.zeros_like(rhs)
    r = rhs.copy()          # the residual rhs - H p
    d = r.copy()            # the search direction
    rr = r @ r
    for k in range(max_iter):
        if np.sqrt(rr) <= tol:
            return p, k
        Hd = hess_vec(d)
        alpha = rr / (d @ Hd)
        p += alpha * d
        r -= alpha * Hd
        rr, rr_old = r @ r, rr
        d = r + (rr / rr_old) * d
    return p, max_iter


def newton_cg(f: Callable, x: np.ndarray, gtol: float, verbose: bool
              ) -> tuple[np.ndarray, int, int, int]:
    """Newton's method with H p = -g solved by CG on hvp; a backtracking line search keeps
    every step downhill.  Returns (x, Newton iterations, hvp calls, gradient calls)."""
    value_and_gradient = value_and_grad(f)
    hvps = grads = 0
    for it in range(100):
        value, g = value_and_gradient(x)
        grads += 1
        g = g.data
        gnorm = float(np.linalg.norm(g))
        if gnorm <= gtol:
            if verbose:
                print(f"newton {it:2d}: loss {float(value.data):.10f}  |g| below {gtol:.0e}")
            return x, it, hvps, grads
        tol = min(0.5, np.sqrt(gnorm)) * gnorm   # solve roughly far away, exactly near the end
        p, used = conjugate_gradient(lambda v: hvp(f, x, v)[1].data, -g, tol, 10 * x.size)
        hvps += used
        if verbose:
            print(f"newton {it:2d}: loss {float(value.data):.10f}  |g| {gnorm:.1e}  "
                  f"CG iterations (hvp calls) {used}")
        step = 1.0
        while float(f(Variable(x + step * p)).data) > float(value.data) + 1e-4 * step * (g @ p):
            step /= 2
        x = x + step * p
    raise RuntimeError("Newton-CG did not converge in 100 iterations")


def gradient_descent(f: Callable, x: np.ndarray, lr: float, gtol: float, max_iter: int,
                     report: Sequence[int] = ()) -> tuple[np.ndarray, int, float]:
    """x <- x - lr grad f(x) until |grad f| <= gtol; returns (x, iterations, last loss).
    Prints the loss at the iterations in ``report``."""
    value_and_gradient = value_and_grad(f)
    for it in range(max_iter):
        value, g = value_and_gradient(x)
        if it in report:
            print(f"gradient descent {it:4d}: loss {float(value.data):.10f}")
        if np.linalg.norm(g.data) <= gtol:
            return x, it, float(value.data)
        x = x - lr * g.data
    return x, max_iter, float(value.data)


def main(argv: Sequence[str] | None = None) -> None:
    """Run this step's demonstration; ``argv`` defaults to the command line (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50, help="number of variables (default 50)")
    parser.add_argument("--gtol", type=float, default=1e-8,
                        help="stop when the gradient's norm is below this (default 1e-8)")
    parser.add_argument("--max-gd", type=int, default=20000,
                        help="most gradient-descent iterations (default 20000)")
    args = parser.parse_args(argv)
    n = args.n
    f = make_problem(n)
    x0 = np.zeros(n)

    rng = np.random.default_rng(0)
    x_test, v_test = rng.standard_normal(n), rng.standard_normal(n)
    _, Hv = hvp(f, x_test, v_test)
    H = hessian(f)(x_test).data
    print(f"hvp(f, x, v) equals hessian(f)(x) @ v: {np.allclose(Hv.data, H @ v_test)} "
          f"(H is {n} x {n}; Newton-CG below never forms it)")

    print(f"\nNewton-CG on f: R^{n} -> R from x = 0")
    x_newton, iters, hvps, grads = newton_cg(f, x0, args.gtol, verbose=True)
    print(f"Newton-CG: {iters} iterations, {grads} gradients and {hvps} hvp calls")

    # The largest safe fixed step is 2 / L, L the largest eigenvalue of H (about 4.0 here).
    lr = 0.45
    print()
    x_gd, gd_iters, gd_loss = gradient_descent(f, x0, lr, args.gtol, args.max_gd,
                                               report=(5, 100, 1000))
    print(f"gradient descent (lr {lr}): {gd_iters} iterations (= gradients), "
          f"loss {gd_loss:.10f}")
    print("both reach the same minimum (max |difference| < 1e-6):",
          bool(np.abs(x_newton - x_gd).max() < 1e-6))
    print(f"min f = {float(f(Variable(x_newton)).data):.10f} at x_0 = {x_newton[0]:.6f}, "
          f"x_{n // 2} = {x_newton[n // 2]:.6f}")


if __name__ == "__main__":
    main()
