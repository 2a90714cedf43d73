"""Reading and writing IDX files, the format of MNIST and Fashion-MNIST (optionally gzipped).

An IDX file is: two zero bytes, a type code byte, a byte giving the number of dimensions ``d``,
``d`` big-endian uint32 sizes, then the values in C order, big-endian. Type codes:
0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64.
"""
from __future__ import annotations

import gzip
import os
import zlib

import numpy as np

from dezero.utils.download import atomic_output

_CODE_TO_DTYPE = {0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"),
                  0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_KIND_TO_CODE = {("u", 1): 0x08, ("i", 1): 0x09, ("i", 2): 0x0B, ("i", 4): 0x0C,
                 ("f", 4): 0x0D, ("f", 8): 0x0E}
_GZIP_MAGIC = b"\x1f\x8b"


class IDXFormatError(ValueError):
    """Raised when a file is not a well-formed IDX file (bad header, wrong length, bad gzip)."""


def parse_idx(raw: bytes, source: str = "<bytes>") -> np.ndarray:
    """Decode the bytes of an (uncompressed) IDX file into a native-endian array.

    ``source`` names the file in error messages.
    """
    def fail(problem: str) -> IDXFormatError:
        return IDXFormatError(f"read_idx: {source} is not a valid IDX file: {problem}. "
                              "Delete it (it may be a partial or wrong download) and try again.")

    if len(raw) < 4:
        raise fail(f"only {len(raw)} bytes, shorter than the 4-byte magic number")
    if raw[0] != 0 or raw[1] != 0:
        raise fail(f"magic number starts with {raw[:2].hex()}, expected 0000")
    code, ndim = raw[2], raw[3]
    if code not in _CODE_TO_DTYPE:
        raise fail(f"unknown type code 0x{code:02X} (known: "
                   + ", ".join(f"0x{c:02X}" for c in _CODE_TO_DTYPE) + ")")
    if ndim == 0:
        raise fail("the header declares 0 dimensions")
    header_len = 4 + 4 * ndim
    if len(raw) < header_len:
        raise fail(f"header declares {ndim} dimensions but the file ends after {len(raw)} bytes")
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = _CODE_TO_DTYPE[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    actual = len(raw) - header_len
    if actual != expected:
        state = "truncated" if actual < expected else "has trailing bytes"
        raise fail(f"{state}: shape {shape} of {dtype.name} needs {expected} data bytes, "
                   f"found {actual}")
    data = np.frombuffer(raw, dtype=dtype, offset=header_len).reshape(shape)
    return data.astype(dtype.newbyteorder("="), copy=True)


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file, gzipped or not (detected from its first bytes), into an array."""
    path = os.fspath(path)
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == _GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as error:
            raise IDXFormatError(f"read_idx: {path} is a damaged gzip file ({error}). Delete it "
                                 "(it may be a partial or wrong download) and try again.") from None
    return parse_idx(raw, path)


def write_idx(path: str | os.PathLike, array: np.ndarray, compress: bool | None = None) -> None:
    """Write ``array`` as an IDX file (gzipped when ``compress``, default: path ends in .gz).

    The file is written atomically (temporary file, then rename).
    """
    path = os.fspath(path)
    array = np.asarray(array)
    key = (array.dtype.kind, array.dtype.itemsize)
    if key not in _KIND_TO_CODE:
        raise TypeError(f"write_idx: dtype {array.dtype} has no IDX type code; use uint8, int8, "
                        "int16, int32, float32 or float64")
    if not 1 <= array.ndim <= 255:
        raise ValueError(f"write_idx: IDX holds 1 to 255 dimensions, got shape {array.shape}")
    code = _KIND_TO_CODE[key]
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    payload = header + np.ascontiguousarray(array, dtype=_CODE_TO_DTYPE[code]).tobytes()
    if compress is None:
        compress = path.endswith(".gz")
    if compress:
        payload = gzip.compress(payload, mtime=0)
    with atomic_output(path, who="write_idx") as f:
        f.write(payload)
