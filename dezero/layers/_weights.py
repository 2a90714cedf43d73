"""Reading and writing weights files: atomic writes, pickle-free, bounded reads.

The default format is NumPy's ``.npz`` (a zip of ``.npy`` members) with DeZero's key
format (``'l1/W'``), so files written by DeZero 0.0.13 load here and the other way round.
A path ending in ``.safetensors`` is written and read in the safetensors format instead
(same keys; needs the optional ``safetensors`` package, ``pip install 'dezero[safetensors]'``).

Reading never goes through ``np.load``: :class:`NpzReader` parses each member's ``.npy``
header from the zip stream (``numpy.lib.format``'s public header readers), so the caller can
check every member's name, shape and dtype against the model before any data is read. Data is
then read in chunks, exactly the declared number of bytes: memory grows only with bytes really
in the file (a tiny file declaring a huge array costs nothing), a short member is reported as
truncated, and an object (pickled) member is refused from its header, never unpickled.
"""
from __future__ import annotations

import importlib
import json
import math
import os
import struct
import zipfile
import zlib
from typing import Any, Iterable, Mapping, NamedTuple

import numpy as np

from dezero import cuda
from dezero.utils.files import atomic_output, write_atomic

_CHUNK = 1 << 20  # bytes read from a member at a time
_NPY_MAGIC = b"\x93NUMPY"
_NUMERIC_KINDS = "biuf"  # bool, signed and unsigned int, float: what weights are made of
# What a damaged or cut-off zip raises while it is being read.
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError)


def npz_path(path: Any) -> str:
    """``path`` as a string ending in ``.npz``, as ``np.savez`` names the files it writes."""
    path = os.fspath(path)
    return path if path.endswith(".npz") else path + ".npz"


def save_npz(path: Any, arrays: Mapping[str, np.ndarray], compress: bool = True,
             who: str = "save_weights", texts: Mapping[str, str] | None = None) -> str:
    """Write ``arrays`` to ``path`` (``.npz`` appended if missing) atomically; return the path.

    The archive goes to a temporary file in the same folder that replaces
    ``path`` only once complete (``dezero.utils.files.atomic_output``): an
    error or a crash part-way leaves any previous file untouched.  Members are
    written with ``allow_pickle=False``.  ``who`` names the caller in errors.
    ``texts`` adds UTF-8 text members under the names given (a checkpoint's JSON).
    """
    path = npz_path(path)
    compression = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with atomic_output(path, who=who) as f:
        # Writing the zip directly (rather than np.savez(**arrays)) lets any key be
        # used, including ones that clash with np.savez's own argument names.
        with zipfile.ZipFile(f, mode="w", compression=compression, allowZip64=True) as zf:
            for key, array in arrays.items():
                with zf.open(key + ".npy", "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)
            for name, text in (texts or {}).items():
                zf.writestr(name, text.encode("utf-8"))
    return path


class MemberHeader(NamedTuple):
    """What a member's ``.npy`` header declares (read before any of its data)."""

    shape: tuple[int, ...]
    dtype: np.dtype
    fortran_order: bool
    nbytes: int  # bytes of array data the header announces


class NpzReader:
    """An ``.npz`` weights file opened for checked reading; use it as a context manager.

    ``keys`` lists the entries (member names without ``.npy``). :meth:`header` reads and
    checks one member's header (numeric dtype, no objects); :meth:`read` reads its data.
    Errors are ValueError (FileNotFoundError for a missing file) naming the file and entry;
    ``who`` starts their messages.
    """

    def __init__(self, path: Any, who: str = "load_weights") -> None:
        path = os.fspath(path)
        if not os.path.exists(path) and os.path.exists(npz_path(path)):
            path = npz_path(path)
        self.path, self.who = path, who
        if not os.path.exists(path):
            raise FileNotFoundError(f"{who}: no weights file at {path!r}")
        if os.path.isdir(path):
            raise IsADirectoryError(f"{who}: {path!r} is a folder, not a weights file; pass "
                                    "the path of the .npz file save_weights wrote")
        with open(path, "rb") as f:
            start = f.read(len(_NPY_MAGIC))
        if start == _NPY_MAGIC:
            raise ValueError(f"{who}: {path!r} holds a single array (.npy), not an .npz archive "
                             "of named weights; write weights files with Layer.save_weights")
        try:
            self._zip = zipfile.ZipFile(path)
        except (*_ZIP_ERRORS, ValueError) as e:
            raise ValueError(
                f"{who}: {path!r} is not an .npz weights file, or it is truncated or damaged "
                f"(it is not a complete zip archive: {e}); nothing is unpickled here") from None
        self._members: dict[str, zipfile.ZipInfo] = {}
        for info in self._zip.infolist():
            key = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
            if key in self._members:
                self.close()
                raise ValueError(f"{who}: entry {key!r} appears twice in {path!r}; the file is "
                                 "damaged or was not written by save_weights")
            self._members[key] = info
        self._headers: dict[str, MemberHeader] = {}

    @property
    def keys(self) -> list[str]:
        """The entries of the file, in file order."""
        return list(self._members)

    def _where(self, key: str) -> str:
        return f"{self.who}: entry {key!r} of {self.path!r}"

    def text(self, key: str, limit: int = 1 << 26) -> str:
        """The UTF-8 text of member ``key`` (a JSON member), refused if over ``limit`` bytes."""
        info = self._members.get(key)
        if info is None:
            raise ValueError(f"{self.who}: {self.path!r} has no entry {key!r}; it was not "
                             "written by dezero.save_checkpoint")
        if info.file_size > limit:
            raise ValueError(f"{self._where(key)} declares {info.file_size} bytes, more than "
                             f"the {limit} allowed; the file is damaged")
        try:
            with self._zip.open(info) as member:
                data = member.read(limit + 1)
            return data.decode("utf-8")
        except (*_ZIP_ERRORS, UnicodeDecodeError) as e:
            raise ValueError(f"{self._where(key)} is damaged or truncated ({e})") from None

    def _read_header(self, member: Any, key: str) -> MemberHeader:
        fmt = np.lib.format
        try:
            version = fmt.read_magic(member)
            if version == (1, 0):
                shape, fortran_order, dtype = fmt.read_array_header_1_0(member)
            elif version in ((2, 0), (3, 0)):
                # 3.0 differs from 2.0 only in allowing UTF-8 field names, which numeric
                # (unstructured) dtypes never have.
                shape, fortran_order, dtype = fmt.read_array_header_2_0(member)
            else:
                raise ValueError(f"unknown .npy format version {version}")
        except ValueError as e:
            if "EOF" in str(e):
                raise ValueError(f"{self._where(key)} is truncated: its .npy header is cut "
                                 f"off ({e})") from None
            raise ValueError(f"{self._where(key)} is not a valid .npy array: {e}") from None
        if dtype.hasobject:
            raise ValueError(
                f"{self._where(key)} holds Python objects (dtype {dtype}), which only "
                "unpickling could read, and that is never done (it could run arbitrary code); "
                "weights files hold numeric arrays only")
        if dtype.kind not in _NUMERIC_KINDS or dtype.fields is not None or dtype.subdtype:
            raise ValueError(f"{self._where(key)} has dtype {dtype}; weights must be numeric "
                             "arrays (bool, int or float)")
        if any(n < 0 for n in shape):
            raise ValueError(f"{self._where(key)} declares the invalid shape {shape}")
        return MemberHeader(tuple(shape), dtype, bool(fortran_order),
                            math.prod(shape) * dtype.itemsize)

    def header(self, key: str) -> MemberHeader:
        """The checked ``.npy`` header of entry ``key``; reads no array data."""
        if key not in self._headers:
            try:
                with self._zip.open(self._members[key]) as member:
                    self._headers[key] = self._read_header(member, key)
            except _ZIP_ERRORS as e:
                raise ValueError(f"{self._where(key)} is damaged or truncated ({e})") from None
        return self._headers[key]

    def read(self, key: str) -> np.ndarray:
        """The array of entry ``key``: exactly the bytes its header declares, read in chunks."""
        header = self.header(key)
        info = self._members[key]
        try:
            with self._zip.open(info) as member:
                self._read_header(member, key)
                available = info.file_size - member.tell()
                if header.nbytes > available:  # the zip's own size record says it is short
                    raise ValueError(
                        f"{self._where(key)} is truncated: its header declares shape "
                        f"{header.shape} {header.dtype} ({header.nbytes} bytes) but the member "
                        f"holds {max(available, 0)} bytes of data")
                data = bytearray()
                while len(data) < header.nbytes:  # memory grows with the bytes really there
                    chunk = member.read(min(_CHUNK, header.nbytes - len(data)))
                    if not chunk:
                        raise ValueError(
                            f"{self._where(key)} is truncated: its header declares "
                            f"{header.nbytes} bytes of data, the member ends after {len(data)}")
                    data += chunk
                if member.read(1):  # also reaches the end, where zipfile checks the CRC
                    raise ValueError(f"{self._where(key)} holds more data than its header "
                                     f"declares ({header.shape} {header.dtype}); the file is "
                                     "damaged")
        except _ZIP_ERRORS as e:
            raise ValueError(f"{self._where(key)} is damaged or truncated ({e})") from None
        if header.nbytes == 0:
            flat = np.empty(0, dtype=header.dtype)
        else:
            flat = np.frombuffer(data, dtype=header.dtype)
        if header.fortran_order:
            return flat.reshape(header.shape[::-1]).transpose()
        return flat.reshape(header.shape)

    def close(self) -> None:
        """Close the file."""
        self._zip.close()

    def __enter__(self) -> "NpzReader":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def load_npz(path: Any, keys: Iterable[str] | None = None,
             who: str = "load_weights") -> dict[str, np.ndarray]:
    """The arrays of the ``.npz`` file at ``path`` (all, or those in ``keys``), never unpickled.

    ``path`` without the ``.npz`` suffix also finds ``path + '.npz'``.  Every
    header is checked before any data is read.  Raises FileNotFoundError when
    there is no file, and ValueError naming the file (and entry) when it is not
    an ``.npz`` archive of numeric arrays, or is truncated.
    """
    with NpzReader(path, who) as reader:
        wanted = reader.keys if keys is None else list(keys)
        for key in wanted:
            if key not in reader.keys:
                raise ValueError(f"{who}: {reader.path!r} has no entry {key!r}")
            reader.header(key)
        return {key: reader.read(key) for key in wanted}


def _listing(keys: list[str], limit: int = 10) -> str:
    """``keys`` joined by commas, cut after ``limit`` names with a count of the rest."""
    shown = ", ".join(keys[:limit])
    return shown if len(keys) <= limit else f"{shown}, … and {len(keys) - limit} more"


def check_entries(reader: Any, expected: Mapping[str, tuple[tuple | None, Any]], owner: str,
                  prefix: str = "") -> None:
    """Compare the entries of an open ``reader`` under ``prefix`` with ``expected``; read no data.

    ``expected`` maps each key (``'l1/W'``) to the ``(shape, dtype)`` the model holds; ``None``
    for the shape, or ``None`` entries in it, are not checked (lazily sized layers).  The
    headers of the expected entries are read first (refusing object and non-numeric dtypes),
    then missing and extra entries are named, then every shape is compared.  ``owner`` (the
    model's class name) appears in the messages.  Raises ValueError.
    """
    who, keys = reader.who, [k[len(prefix):] for k in reader.keys if k.startswith(prefix)]
    for key in expected:  # an unreadable or non-numeric entry is the first thing to report
        if key in keys:
            reader.header(prefix + key)
    missing = [k for k in expected if k not in keys]
    extra = [k for k in keys if k not in expected]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing from the file: {_listing(missing)}")
        if extra:
            parts.append(f"in the file but not in the {owner}: {_listing(extra)}")
        raise ValueError(f"{who}: {reader.path} does not match the layer's weights ("
                         + "; ".join(parts) + ")")
    for key, (shape, _) in expected.items():
        header = reader.header(prefix + key)
        if shape is not None and (
                len(shape) != len(header.shape)
                or any(s is not None and s != a for s, a in zip(shape, header.shape))):
            want = "(" + ", ".join("?" if s is None else str(s) for s in shape) + \
                (",)" if len(shape) == 1 else ")")
            raise ValueError(f"{who}: {key!r} in {reader.path} has shape {header.shape}, "
                             f"but the layer expects {want}")


def load_checked(path: Any, expected: Mapping[str, tuple[tuple | None, Any]],
                 owner: str, who: str = "load_weights") -> dict[str, np.ndarray]:
    """Read the arrays ``expected`` names from the weights file at ``path``, checking first.

    ``.safetensors`` paths are read with :class:`SafetensorsReader`, others as ``.npz``.
    Every entry is checked by :func:`check_entries` (names, shapes, numeric dtypes) before
    any data is read.  Raises ValueError (FileNotFoundError for no file; ImportError naming
    the ``safetensors`` extra when a ``.safetensors`` file is read without that package).
    """
    opener = SafetensorsReader if is_safetensors(path) else NpzReader
    with opener(path, who) as reader:
        check_entries(reader, expected, owner)
        return {key: reader.read(key) for key in expected}


# -- safetensors ---------------------------------------------------------------------------------
_SAFETENSORS_DTYPES = {"BOOL": "|b1", "U8": "|u1", "I8": "|i1", "U16": "<u2", "I16": "<i2",
                       "U32": "<u4", "I32": "<i4", "U64": "<u8", "I64": "<i8", "F16": "<f2",
                       "F32": "<f4", "F64": "<f8"}
_SAFETENSORS_HEADER_MAX = 100_000_000  # bytes of JSON header (the safetensors library's limit)


def is_safetensors(path: Any) -> bool:
    """True when ``path`` names a ``.safetensors`` file (by its suffix)."""
    return os.fsdecode(os.fspath(path)).endswith(".safetensors")


def _safetensors_numpy(who: str, path: Any) -> Any:
    """The ``safetensors.numpy`` module, or an ImportError saying how to install it."""
    try:
        return importlib.import_module("safetensors.numpy")
    except ImportError:
        raise ImportError(
            f"{who}: {os.fsdecode(os.fspath(path))!r} is a .safetensors file, which needs the "
            "optional 'safetensors' package: pip install 'dezero[safetensors]' (or pip install "
            "safetensors); use a .npz path to do without it") from None


def save_safetensors(path: Any, arrays: Mapping[str, np.ndarray],
                     who: str = "save_weights") -> str:
    """Write ``arrays`` to the ``.safetensors`` file ``path`` atomically; return the path."""
    st = _safetensors_numpy(who, path)
    data = st.save({key: np.ascontiguousarray(a) for key, a in arrays.items()})
    write_atomic(path, data, who=who)
    return os.fsdecode(os.fspath(path))


class SafetensorsReader:
    """A ``.safetensors`` weights file opened for checked reading, like :class:`NpzReader`.

    The JSON header is parsed and every entry's dtype, shape and byte range checked against the
    file's size on opening; :meth:`read` then reads one entry's data with the safetensors
    package.  Errors are ValueError naming the file (and entry), starting with ``who``.
    """

    def __init__(self, path: Any, who: str = "load_weights") -> None:
        self.path, self.who = os.fsdecode(os.fspath(path)), who
        self._st = _safetensors_numpy(who, path)
        if not os.path.exists(self.path):
            raise FileNotFoundError(f"{who}: no weights file at {self.path!r}")
        if os.path.isdir(self.path):
            raise IsADirectoryError(f"{who}: {self.path!r} is a folder, not a weights file")
        size = os.path.getsize(self.path)
        with open(self.path, "rb") as f:
            start = f.read(8)
            n = struct.unpack("<Q", start)[0] if len(start) == 8 else -1
            if not 0 < n <= min(_SAFETENSORS_HEADER_MAX, size - 8):
                raise ValueError(f"{who}: {self.path!r} is not a .safetensors file, or it is "
                                 "truncated (its header length is missing or impossible)")
            try:
                header = json.loads(f.read(n).decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as e:
                raise ValueError(f"{who}: {self.path!r} has a damaged .safetensors header "
                                 f"({e})") from None
        if not isinstance(header, dict):
            raise ValueError(f"{who}: {self.path!r} has a damaged .safetensors header")
        header.pop("__metadata__", None)
        self._headers = {key: self._check(key, entry, size - 8 - n)
                         for key, entry in header.items()}

    def _check(self, key: str, entry: Any, data_size: int) -> MemberHeader:
        where = f"{self.who}: entry {key!r} of {self.path!r}"
        try:
            dtype_name, shape, (begin, end) = entry["dtype"], entry["shape"], entry["data_offsets"]
            shape = tuple(int(n) for n in shape)
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"{where} has a damaged header entry {entry!r}") from None
        if dtype_name not in _SAFETENSORS_DTYPES:
            raise ValueError(f"{where} has dtype {dtype_name}, which NumPy cannot hold; weights "
                             f"files hold {', '.join(_SAFETENSORS_DTYPES)} arrays")
        dtype = np.dtype(_SAFETENSORS_DTYPES[dtype_name])
        if any(s < 0 for s in shape):
            raise ValueError(f"{where} declares the invalid shape {shape}")
        nbytes = math.prod(shape) * dtype.itemsize
        if not (isinstance(begin, int) and isinstance(end, int)
                and 0 <= begin <= end <= data_size and end - begin == nbytes):
            raise ValueError(f"{where} is truncated or damaged: it declares shape {shape} "
                             f"{dtype} ({nbytes} bytes) at bytes {begin}..{end} of "
                             f"{data_size} bytes of data")
        return MemberHeader(shape, dtype.newbyteorder("="), False, nbytes)

    @property
    def keys(self) -> list[str]:
        """The entries of the file, in file order."""
        return list(self._headers)

    def header(self, key: str) -> MemberHeader:
        """The checked header of entry ``key``; reads no array data."""
        return self._headers[key]

    def read(self, key: str) -> np.ndarray:
        """The array of entry ``key``, read by the safetensors package."""
        try:
            with self._st.safe_open(self.path, framework="numpy") as f:
                array = f.get_tensor(key)
        except Exception as e:  # SafetensorError and OSError: the file changed or is damaged
            raise ValueError(f"{self.who}: entry {key!r} of {self.path!r} cannot be read "
                             f"({e})") from None
        header = self._headers[key]
        if array.shape != header.shape or array.dtype != header.dtype:
            raise ValueError(f"{self.who}: entry {key!r} of {self.path!r} changed while it "
                             "was read")
        return array

    def close(self) -> None:
        """Nothing to release (kept for the same interface as :class:`NpzReader`)."""

    def __enter__(self) -> "SafetensorsReader":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


# -- a Layer's weights -----------------------------------------------------------------------------
def layer_arrays(layer: Any, who: str = "save_weights") -> dict[str, np.ndarray]:
    """The NumPy arrays of ``layer``'s Parameters and states, by file key (``'l1/W'``)."""
    arrays = {}
    for key, (var, _, _) in layer._weights().items():
        if var.data is None:
            raise ValueError(
                f"{who}: {key!r} has no data yet (its size is inferred on the "
                "first call); run a forward pass first, or give the layer its input size")
        arrays[key] = cuda.as_numpy(var.data)
    return arrays


def layer_expectations(layer: Any) -> tuple[dict[str, Any], dict[str, tuple]]:
    """(file key → Variable, file key → expected (shape, dtype)) for loading into ``layer``."""
    targets = {key: var for key, (var, _, _) in layer._weights().items()}
    expected = {key: (var.data.shape, var.data.dtype) if var.data is not None
                else owner._weight_spec(name)
                for key, (var, owner, name) in layer._weights().items()}
    return targets, expected


def assign_weights(targets: Mapping[str, Any], expected: Mapping[str, tuple],
                   arrays: Mapping[str, np.ndarray]) -> None:
    """Give each Variable in ``targets`` its array: converted first, then all assigned.

    Arrays take the expected dtype (when known) and the device of the data they replace.
    """
    ready = []
    for key, var in targets.items():
        array, dtype = arrays[key], expected[key][1]
        if dtype is not None:
            array = array.astype(dtype, copy=False)
        if var.data is not None and cuda.get_array_module(var.data) is not np:
            array = cuda.as_cupy(array)
        ready.append((var, array))
    for var, array in ready:
        var.data = array
