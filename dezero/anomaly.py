"""``detect_anomaly()``: stop at the first NaN/inf, and at arrays changed in place under a graph.

Inside the mode (a context manager and decorator; per thread/context):

* every Function's forward outputs and every backward's gradients are checked for
  NaN and inf; the first one found raises :class:`AnomalyError` naming the
  Function, the pass, the shapes and the line of user code that called it;
* every recorded Function keeps the place it was called from (the first frame
  outside the dezero package) and a fingerprint (CRC-32 of the bytes; a copy for
  GPU arrays) of each of its input and output arrays; before its backward runs,
  the fingerprints are compared with the arrays as they are now, so that
  ``x.data[0] = 5`` or ``x.data += 1`` between the forward and the backward pass
  (which would silently give wrong gradients) raises instead.

Outside the mode nothing is captured and nothing costs: see :mod:`dezero._modes`.
"""
from __future__ import annotations

import contextlib
import linecache
import os
import sys
import zlib
from typing import Any, NamedTuple

import numpy as np

from dezero import _modes, cuda
from dezero._config import enable_backprop_var
from dezero.core import _ARRAY_TYPES

# Frames whose file lies in this folder are library code: a call site is the first frame
# outside it (the folder as imported, and as an absolute path).
_HERE = os.path.dirname(__file__)
_PACKAGE_DIRS = tuple({os.path.join(_HERE, ""), os.path.join(os.path.abspath(_HERE), "")})


class AnomalyError(RuntimeError):
    """Raised under :func:`detect_anomaly` at the first NaN/inf or in-place change it finds.

    The first line of the message names the Function, the pass and the problem;
    the next ones say where user code called that Function.  The same facts are
    attributes: ``function`` (the Function's class name), ``phase``
    (``"forward"``, ``"backward"`` or ``"in-place"``), ``filename`` and
    ``lineno`` (None when the Function was recorded outside the mode).
    """

    def __init__(self, message: str, function: str | None = None, phase: str | None = None,
                 filename: str | None = None, lineno: int | None = None) -> None:
        super().__init__(message)
        self.function = function
        self.phase = phase
        self.filename = filename
        self.lineno = lineno

    def __reduce__(self) -> tuple:  # pickled with its attributes (multiprocessing workers)
        return (type(self), (str(self), self.function, self.phase, self.filename, self.lineno))


class detect_anomaly(contextlib.ContextDecorator):
    """Context manager (and decorator) that turns silent numerical faults into errors.

    Inside the block, in this thread or asyncio task only:

    * a NaN or inf in the output of a Function's forward, or in a gradient its
      backward returns, raises :class:`AnomalyError` naming the Function, the pass
      (forward or backward), the input and output shapes, and the file and line of
      user code that called the Function;
    * an array that a recorded Function still needs (its inputs and outputs)
      changed in place between the forward and the backward pass (``x.data[0] = 5``,
      ``x.data += 1``) raises :class:`AnomalyError` naming the Function and the
      line that called it, instead of giving wrong gradients.

    The checks cost time (each output is scanned, each recorded array is
    checksummed, each call site is looked up): use the mode to find a fault, not
    while training.  Outside it nothing is recorded or checked.  Only Functions
    recorded inside the block are checked for in-place changes, and only
    backward passes run inside it are checked.  Within a backward the Functions
    it calls are not checked one by one: a NaN they produce is reported as that
    backward's gradient.

    Example::

        with dezero.detect_anomaly():
            loss = model(x)
            loss.backward()
    """

    def __init__(self) -> None:
        self._tokens: list = []

    def _recreate_cm(self) -> "detect_anomaly":
        return type(self)()  # each decorated call gets its own block

    def __enter__(self) -> "detect_anomaly":
        self._tokens.append(_modes.enter(anomaly=True))
        return self

    def __exit__(self, *exc: Any) -> None:
        _modes.leave(self._tokens.pop())


class CallSite(NamedTuple):
    """Where user code called a Function: the first stack frame outside the dezero package."""

    filename: str
    lineno: int
    function: str


class _Record(NamedTuple):
    """What detect_anomaly keeps on a recorded Function (as ``f._anomaly``)."""

    site: CallSite | None
    inputs: tuple
    outputs: tuple


def user_site() -> CallSite | None:
    """The innermost frame of the current stack that is not in the dezero package."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIRS):
        frame = frame.f_back
    if frame is None:
        return None
    return CallSite(frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name)


def _error(message: str, function: str, phase: str, site: CallSite | None) -> AnomalyError:
    """An AnomalyError whose message ends with where ``function`` was called."""
    return AnomalyError(message + _describe_site(function, site), function, phase,
                        None if site is None else site.filename,
                        None if site is None else site.lineno)


def _describe_site(function: str, site: CallSite | None) -> str:
    if site is None:
        return (f"\n  {function} was recorded outside detect_anomaly(), so where it was "
                "called is unknown")
    text = f"\n  {function} was called at {site.filename}:{site.lineno}, in {site.function}"
    source = linecache.getline(site.filename, site.lineno).strip()
    return text + (f"\n    {source}" if source else "")


# -- fingerprints of arrays ---------------------------------------------------------------
def _fingerprint(a: Any) -> Any:
    """A value that changes when the contents of ``a`` change: a CRC-32 of a NumPy array's
    bytes, a copy of a GPU array."""
    if isinstance(a, np.generic):  # a 0-d result a Variable keeps as a NumPy scalar
        a = np.asarray(a)
    if isinstance(a, np.ndarray):
        return zlib.crc32(a if a.flags.c_contiguous else np.ascontiguousarray(a))
    return a.copy()


def _unchanged(fingerprint: Any, a: Any) -> bool:
    """Whether ``a`` still holds what it held when ``fingerprint`` was taken."""
    if isinstance(a, (np.ndarray, np.generic)):
        return fingerprint == _fingerprint(a)
    if fingerprint.shape != a.shape or fingerprint.dtype != a.dtype:
        return False
    xp = cuda.get_array_module(a)
    same = (fingerprint == a) | ((fingerprint != fingerprint) & (a != a))  # NaN equals NaN
    return bool(xp.all(same))


# -- the checks ---------------------------------------------------------------------------
def _nonfinite(a: Any) -> str | None:
    """'nan', 'inf' or None: what non-finite values a floating array holds (in words)."""
    if a.dtype.kind not in "fc":
        return None
    xp = np if isinstance(a, np.ndarray) else cuda.get_array_module(a)
    finite = xp.isfinite(a)
    if finite.all():
        return None
    bad = int(a.size - int(finite.sum()))
    what = "nan" if bool(xp.isnan(a).any()) else "inf"
    return f"{what} ({bad} of {a.size} elements not finite)"


def _shapes(arrays: Any) -> str:
    return ", ".join(str(tuple(a.shape)) if a is not None else "None" for a in arrays) or "none"


def after_forward(f: Any, xs: list, ys: Any, check: bool) -> None:
    """Check ``f``'s forward outputs (when ``check``); keep call site and fingerprints when
    the call is being recorded."""
    outs = [y if isinstance(y, _ARRAY_TYPES) else np.asarray(y)  # as the outputs will hold
            for y in (ys if type(ys) is tuple else (ys,))]
    if check:
        for i, y in enumerate(outs):
            bad = _nonfinite(y)
            if bad is not None:
                name = type(f).__name__
                held = [j for j, x in enumerate(xs) if _nonfinite(x) is not None]
                note = (f"; input {held[0]} already held non-finite values" if held else "")
                raise _error(
                    f"{name} forward produced {bad} in output {i}: input shapes "
                    f"{_shapes(xs)}, output shapes {_shapes(outs)}{note}",
                    name, "forward", user_site())
    if enable_backprop_var.get():
        f._anomaly = _Record(user_site(), tuple(_fingerprint(x) for x in xs),
                             tuple(_fingerprint(y) for y in outs))


def before_backward(f: Any) -> None:
    """Raise if an input or output array of ``f`` changed in place since its forward pass."""
    record = f.__dict__.get("_anomaly")
    if record is None:
        return
    changed = None
    for i, (x, fp) in enumerate(zip(f.inputs, record.inputs)):
        if x._data is not None and not _unchanged(fp, x._data):
            changed = f"input {i} (shape {tuple(x._data.shape)})"
            break
    else:
        for i, (ref, fp) in enumerate(zip(f.outputs, record.outputs)):
            y = ref()
            if y is not None and y._data is not None and not _unchanged(fp, y._data):
                changed = f"output {i} (shape {tuple(y._data.shape)})"
                break
    if changed is not None:
        name = type(f).__name__
        raise _error(
            f"{name}: its {changed} was changed in place after the forward pass (such as "
            "x.data[...] = ... or x.data += ...), so the gradients would be wrong; change a "
            "copy, or change the data after calling backward()", name, "in-place", record.site)


def after_backward(f: Any, gys: list, gxs: Any) -> None:
    """Raise if a gradient ``f``'s backward returned holds NaN or inf."""
    grads = gxs if isinstance(gxs, tuple) else (gxs,)
    for i, gx in enumerate(grads):
        if gx is None:
            continue
        data = getattr(gx, "_data", gx)
        data = data if hasattr(data, "dtype") else np.asarray(data)
        bad = _nonfinite(data)
        if bad is None:
            continue
        name = type(f).__name__
        record = f.__dict__.get("_anomaly")
        inputs = [getattr(x, "_data", None) for x in getattr(f, "inputs", ())]
        incoming = [g._data for g in gys]
        held = [j for j, g in enumerate(incoming) if _nonfinite(g) is not None]
        note = (f"; the gradient of output {held[0]} reaching it already held non-finite "
                "values" if held else "")
        raise _error(
            f"{name} backward produced {bad} in the gradient of input {i}: input shapes "
            f"{_shapes(inputs)}, output shapes {_shapes(incoming)}{note}",
            name, "backward", None if record is None else record.site)
