"""Optional GPU support through CuPy; every function works (on the CPU) without it."""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["gpu_enable", "get_array_module", "as_numpy", "as_cupy"]

try:  # CuPy is an optional extra; nothing else in dezero imports it directly.
    import cupy as cp  # type: ignore[import-not-found]
    gpu_enable = True
    """True when CuPy imported and found a CUDA driver: GPU methods (to_gpu) can be used."""
except Exception:  # ImportError, or a CuPy that finds no CUDA driver
    cp = None
    gpu_enable = False


def get_array_module(x: Any):
    """Return ``cupy`` when ``x`` (a Variable or array) lives on the GPU, else ``numpy``."""
    # exact type: an ndarray subclass may be a device array type (a stand-in for CuPy in
    # tests/test_array_module.py), so it is asked about below
    if cp is None or type(x) is np.ndarray or isinstance(x, np.generic):
        return np
    if not isinstance(x, (cp.ndarray, np.ndarray)):
        # a Variable: ask about its array.  Never an array's own ``data`` attribute, which
        # is a buffer (a memoryview, a CuPy MemoryPointer) that no array module claims.
        x = getattr(x, "data", x)
    return cp.get_array_module(x)


def as_numpy(x: Any) -> np.ndarray:
    """Return ``x`` (a Variable, scalar or array) as a NumPy array, copying from the GPU if needed."""
    from dezero.core import Variable  # local: core imports this module
    if isinstance(x, Variable):
        x = x.data
    if np.isscalar(x):
        return np.array(x)
    if isinstance(x, np.ndarray) and not (cp is not None and isinstance(x, cp.ndarray)):
        return x
    return cp.asnumpy(x)


def as_cupy(x: Any):
    """Return ``x`` (a Variable or array) as a CuPy array; raises if CuPy is not installed."""
    from dezero.core import Variable
    if isinstance(x, Variable):
        x = x.data
    if not gpu_enable:
        raise RuntimeError(
            "dezero.cuda.as_cupy: CuPy is not available. Install a CuPy build matching "
            "your CUDA version (for example `pip install cupy-cuda12x`).")
    return cp.asarray(x)
