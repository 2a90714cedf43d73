"""Atomic file writes: the one place that writes files readers may see half-done.

Every file dezero creates (weights, checkpoints, cached downloads, pictures) goes through
:func:`atomic_output`, so each of them gets the same guarantees: readers see the old file or the
complete new one, a new file gets the permissions ``open()`` would give it (``0o666`` less the
process umask), and a path that cannot be written raises an error naming that path (never the
hidden temporary file) and saying what to do.
"""
from __future__ import annotations

import contextlib
import errno
import os
import secrets
from typing import IO, Any, Iterator

# Longest file name (in bytes) used for the temporary file: most file systems allow 255, and the
# temporary name adds a prefix and a random suffix to the user's file name.
_TEMP_NAME_MAX = 200


def _fail(error: OSError, message: str) -> OSError:
    """An OSError of ``error``'s class and errno with ``message`` (which names the user's path).

    (``filename`` is left unset: Python would append it to a message that already names it.)
    """
    return type(error)(error.errno, message)


def prepare_folder(folder: str, path: str, who: str = "prepare_folder") -> None:
    """Create ``folder`` (and its parents) for writing ``path``, or raise an error naming ``path``.

    A file standing where a folder is needed raises NotADirectoryError, a folder that may not be
    created PermissionError; both name ``path`` and say what to do.
    """
    try:
        os.makedirs(folder, exist_ok=True)
    except FileExistsError:  # ``folder`` itself is a file (makedirs says "exists")
        raise NotADirectoryError(errno.ENOTDIR, f"{who}: cannot write {path!r}: {folder!r} is a "
                                 "file, not a folder; choose another path or move that file "
                                 "away") from None
    except NotADirectoryError as e:
        raise _fail(e, f"{who}: cannot write {path!r}: a part of {folder!r} is a file, not a "
                       "folder; choose another path or move that file away") from None
    except PermissionError as e:
        raise _fail(e, f"{who}: cannot write {path!r}: no permission to create the folder "
                       f"{folder!r}; create it yourself or choose another path") from None
    except OSError as e:
        raise _fail(e, f"{who}: cannot write {path!r}: cannot create the folder {folder!r} "
                       f"({e.strerror or e})") from None


def _create_temporary(folder: str, name: str) -> tuple[int, str]:
    """Create a new, uniquely named file next to ``name`` in ``folder``; return (fd, its path)."""
    stem = name
    while len(os.fsencode(stem)) > _TEMP_NAME_MAX:  # cut whole characters, never a UTF-8 byte
        stem = stem[:-1]
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    flags |= getattr(os, "O_CLOEXEC", 0)
    while True:
        temp = os.path.join(folder, f".{stem}.{secrets.token_hex(6)}.part")
        try:
            # Mode 0o666 as open() uses: the kernel applies the umask (and any default ACL), so
            # the file gets exactly the permissions a plain open(path, 'w') would give it.
            return os.open(temp, flags, 0o666), temp
        except FileExistsError:
            continue


def _resolve(path: Any) -> str:
    """``path`` as an absolute string, through a symlink to its target as ``open()`` writes."""
    path = os.path.abspath(os.fspath(path))
    if os.path.islink(path):
        path = os.path.realpath(path)
    return path


@contextlib.contextmanager
def atomic_output(path: Any, mode: str = "wb", who: str = "atomic_output") -> Iterator[IO]:
    """Open a temporary file next to ``path`` for writing; rename it onto ``path`` on success.

    Readers see the old file or the complete new one, never a half-written one;
    on any exception (KeyboardInterrupt included) the temporary file is removed
    and ``path`` keeps its old content.  Two writers never share a temporary
    name.  Missing parent folders are created.  A new file gets ``0o666`` less
    the umask (as ``open()`` gives); an existing file's permissions are kept.
    ``mode`` is ``'wb'`` or ``'w'`` (text, UTF-8).  ``who`` (the dezero function
    writing) starts the messages of errors: a ``path`` that is a folder raises
    IsADirectoryError, a parent that is a file NotADirectoryError, a folder
    that may not be written PermissionError, each naming ``path``.
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_output: mode must be 'wb' or 'w', got {mode!r}")
    user_path = os.fspath(path)
    if isinstance(user_path, bytes):
        user_path = os.fsdecode(user_path)
    if user_path.endswith(("/", os.sep)) or os.path.isdir(user_path):
        raise IsADirectoryError(errno.EISDIR, f"{who}: cannot write {user_path!r}: it names a "
                                "folder; give a file name (e.g. a path inside that folder)")
    target = _resolve(user_path)
    folder, name = os.path.split(target)
    prepare_folder(folder, user_path, who)
    try:
        permissions = os.stat(target).st_mode & 0o777
    except OSError:
        permissions = None  # a new file: keep what os.open gave it
    try:
        fd, temp = _create_temporary(folder, name)
    except PermissionError as e:
        raise _fail(e, f"{who}: cannot write {user_path!r}: no permission to create files in "
                       f"{folder!r} (a file there is written whole, then renamed into place); "
                       "choose a folder you can write to") from None
    except OSError as e:
        raise _fail(e, f"{who}: cannot write {user_path!r}: cannot create a file in {folder!r} "
                       f"({e.strerror or e})") from None
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as f:
            yield f
            _finish(f, temp, permissions, user_path, who)
        _replace(temp, target, user_path, who)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temp)
        raise


def _finish(f: IO, temp: str, permissions: int | None, user_path: str, who: str) -> None:
    """Flush ``f`` to disk and give it its final permissions, naming ``user_path`` on failure."""
    try:
        f.flush()
        os.fsync(f.fileno())
        if permissions is not None:
            os.chmod(temp, permissions)
    except OSError as e:
        raise _fail(e, f"{who}: cannot write {user_path!r}: {e.strerror or e} (the previous "
                       "file, if any, is unchanged)") from None


def _replace(temp: str, target: str, user_path: str, who: str) -> None:
    """Rename ``temp`` onto ``target``; errors name ``user_path`` and say what to do."""
    try:
        os.replace(temp, target)
    except IsADirectoryError as e:  # a folder appeared at the path meanwhile
        raise _fail(e, f"{who}: cannot write {user_path!r}: it is a folder; give a file name"
                    ) from None
    except OSError as e:
        raise _fail(e, f"{who}: cannot write {user_path!r}: {e.strerror or e} (the previous "
                       "file, if any, is unchanged)") from None
    if hasattr(os, "O_DIRECTORY"):  # make the rename itself survive a crash (POSIX)
        with contextlib.suppress(OSError):
            dir_fd = os.open(os.path.dirname(target), os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)


def write_atomic(path: Any, data: bytes, who: str = "write_atomic") -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_output`)."""
    with atomic_output(path, who=who) as f:
        f.write(data)


def read_text(path: Any, who: str = "read_text") -> str:
    """The UTF-8 text of ``path``; a file that is not UTF-8 text (a damaged download) is a
    ValueError naming ``who`` and the path, never a bare UnicodeDecodeError."""
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except UnicodeDecodeError as e:
        raise ValueError(f"{who}: {os.fsdecode(path)} is not UTF-8 text (byte {e.start}: "
                         f"{e.reason}); delete it so that it is downloaded again") from None
