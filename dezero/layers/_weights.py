"""Reading and writing ``.npz`` weights files: atomic writes, pickle-free reads.

The file format is NumPy's ``.npz`` (a zip of ``.npy`` members) with DeZero's key
format (``'l1/W'``), so files written by DeZero 0.0.13 load here and the other way round.
"""
from __future__ import annotations

import os
import zipfile
import zlib
from typing import Any, Mapping

import numpy as np

from dezero.utils.files import atomic_output


def npz_path(path: Any) -> str:
    """``path`` as a string ending in ``.npz``, as ``np.savez`` names the files it writes."""
    path = os.fspath(path)
    return path if path.endswith(".npz") else path + ".npz"


def save_npz(path: Any, arrays: Mapping[str, np.ndarray], compress: bool = True) -> str:
    """Write ``arrays`` to ``path`` (``.npz`` appended if missing) atomically; return the path.

    The archive goes to a temporary file in the same folder that replaces
    ``path`` only once complete (``dezero.utils.files.atomic_output``): an
    error or a crash part-way leaves any previous file untouched.  Members are
    written with ``allow_pickle=False``.
    """
    path = npz_path(path)
    compression = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with atomic_output(path) as f:
        # Writing the zip directly (rather than np.savez(**arrays)) lets any key be
        # used, including ones that clash with np.savez's own argument names.
        with zipfile.ZipFile(f, mode="w", compression=compression, allowZip64=True) as zf:
            for key, array in arrays.items():
                with zf.open(key + ".npy", "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)
    return path


def load_npz(path: Any) -> dict[str, np.ndarray]:
    """Read every array of the ``.npz`` file at ``path`` into memory, never unpickling.

    ``path`` without the ``.npz`` suffix also finds ``path + '.npz'`` (the name
    ``np.savez`` gives such a file).  Raises FileNotFoundError when there is no
    file, and ValueError naming the file (and entry) when it is not an ``.npz``
    archive of numeric arrays.
    """
    path = os.fspath(path)
    if not os.path.exists(path) and os.path.exists(npz_path(path)):
        path = npz_path(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"load_weights: no weights file at {path!r}")
    try:
        loaded = np.load(path, allow_pickle=False)
    except (ValueError, zipfile.BadZipFile, zlib.error, EOFError) as e:
        raise ValueError(
            f"load_weights: {path!r} is not an .npz weights file (NumPy could not read it "
            f"without unpickling, which is never done here: {e})") from e
    if not isinstance(loaded, np.lib.npyio.NpzFile):
        raise ValueError(
            f"load_weights: {path!r} holds a single array (.npy), not an .npz archive "
            "of named weights; write weights files with Layer.save_weights")
    arrays = {}
    with loaded:
        for entry in loaded.files:
            try:
                array = loaded[entry]
            except ValueError as e:
                raise ValueError(
                    f"load_weights: entry {entry!r} of {path!r} cannot be read without "
                    "unpickling Python objects, which is never done (it could run arbitrary "
                    f"code); weights files hold numeric arrays only ({e})") from e
            except (zipfile.BadZipFile, zlib.error, EOFError) as e:
                raise ValueError(
                    f"load_weights: entry {entry!r} of {path!r} is damaged or truncated "
                    f"({e})") from e
            if array.dtype.kind not in "biuf":
                raise ValueError(
                    f"load_weights: entry {entry!r} of {path!r} has dtype {array.dtype}; "
                    "weights must be numeric arrays")
            arrays[entry] = array
    return arrays
