"""Atomic file writes: the one place that writes files readers may see half-done."""
from __future__ import annotations

import contextlib
import os
import tempfile
from typing import IO, Iterator


@contextlib.contextmanager
def atomic_output(path: str, mode: str = "wb") -> Iterator[IO]:
    """Open a temporary file next to ``path`` for writing; rename it onto ``path`` on success.

    Readers see the old file or the complete new one, never a half-written one;
    on any exception (KeyboardInterrupt included) the temporary file is removed
    and ``path`` keeps its old content.  Two writers never share a temporary
    name.  Missing parent folders are created; an existing file's permissions are kept.
    """
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    try:
        permissions = os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        permissions = 0o644
    fd, tmp_path = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".",
                                    suffix=".part")
    try:
        with os.fdopen(fd, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp_path, permissions)
        os.replace(tmp_path, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp_path)
        raise


def write_atomic(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_output`)."""
    with atomic_output(path) as f:
        f.write(data)
