"""Downloads into the cache ``~/.dezero``: mirrors, SHA-256 checks, progress, atomic writes.

``get_file(url)`` returns the path of ``<cache>/<file name from the URL>``, downloading it first
when it is not there yet, exactly where DeZero 0.0.13 put it, so files placed there by hand are
used as they are. Unlike the original it tries a list of mirrors in turn, checks a SHA-256 digest
when one is given, never leaves a half-written file in the cache (the download goes to a temporary
file in the same folder and is renamed into place only when complete and verified), gives every
network operation a timeout, and when every mirror fails raises ``DownloadError`` naming each URL,
why it failed, and where to put the file by hand.

The cache folder is ``~/.dezero``, or the folder named by the environment variable
``DEZERO_CACHE_DIR`` (read each time a file is looked up, so it can be set at run time).
"""
from __future__ import annotations

import errno
import hashlib
import http.client
import os
import socket
import sys
import urllib.error
import urllib.parse
import urllib.request
from typing import Sequence

from dezero.utils.files import atomic_output, prepare_folder  # atomic_output: re-used by datasets

#: Environment variable that, when set, replaces ``~/.dezero`` as the cache folder.
CACHE_ENV_VAR = "DEZERO_CACHE_DIR"

#: The cache folder as it was when dezero was imported (DeZero programs read this name).
cache_dir: str = os.environ.get(CACHE_ENV_VAR) or os.path.join(os.path.expanduser("~"), ".dezero")
"""Folder where get_file caches downloads: ~/.dezero unless $DEZERO_CACHE_DIR is set."""

_CHUNK_SIZE = 1 << 16


class DownloadError(OSError):
    """Raised by ``get_file`` when no mirror delivered the file; ``attempts``: (url, reason)."""

    def __init__(self, message: str, attempts: Sequence[tuple[str, str]]):
        super().__init__(message)
        self.attempts = list(attempts)


def get_cache_dir() -> str:
    """The cache folder now: ``$DEZERO_CACHE_DIR`` if set, else this module's ``cache_dir``."""
    return os.environ.get(CACHE_ENV_VAR) or cache_dir


def file_sha256(path: str) -> str:
    """Hex SHA-256 digest of the file at ``path``, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK_SIZE), b""):
            digest.update(chunk)
    return digest.hexdigest()


class _TextProgress:
    """Plain-text progress bar on stderr, used when tqdm is not installed."""

    def __init__(self, total: int | None, desc: str):
        self.total, self.done, self.desc, self._last = total, 0, desc, -1

    def update(self, n: int) -> None:
        self.done += n
        if self.total:
            percent = min(100, self.done * 100 // self.total)
            if percent != self._last:  # redraw only when the figure changes
                self._last = percent
                bar = "#" * (percent // 5)
                sys.stderr.write(f"\r{self.desc} [{bar:<20}] {percent:3d}%")
        else:
            sys.stderr.write(f"\r{self.desc} {self.done / 1e6:.1f} MB")
        sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write(" Done\n")
        sys.stderr.flush()


def _progress_bar(total: int | None, desc: str):
    """A tqdm bar when tqdm is installed, else the plain-text one."""
    try:
        from tqdm import tqdm  # optional dependency, imported only when downloading
    except ImportError:
        return _TextProgress(total, desc)
    return tqdm(total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024,
                file=sys.stderr)


class _MirrorFailed(Exception):
    """Internal: one URL did not deliver the file (``reason`` says why); try the next one."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _download_one(url: str, path: str, sha256: str | None, quiet: bool, timeout: float) -> None:
    """Fetch ``url`` into ``path`` atomically.

    A failure of the network or of the server's data raises :class:`_MirrorFailed`; a failure to
    write the cache (a local problem no other mirror can fix) raises the OSError naming ``path``.
    """
    try:
        response = urllib.request.urlopen(url, timeout=timeout)
    except (OSError, ValueError, http.client.HTTPException) as error:
        raise _MirrorFailed(_reason(error)) from error
    with response, atomic_output(path, who="get_file") as out:
        length_header = response.headers.get("Content-Length")
        total = int(length_header) if length_header and length_header.isdigit() else None
        digest = hashlib.sha256()
        received = 0
        bar = None if quiet else _progress_bar(total, os.path.basename(path))
        try:
            while True:
                try:
                    chunk = response.read(_CHUNK_SIZE)
                except (OSError, ValueError, http.client.HTTPException) as error:
                    raise _MirrorFailed(_reason(error)) from error
                if not chunk:
                    break
                out.write(chunk)
                digest.update(chunk)
                received += len(chunk)
                if bar is not None:
                    bar.update(len(chunk))
        finally:
            if bar is not None:
                bar.close()
        if total is not None and received != total:
            raise _MirrorFailed(f"truncated: received {received} of {total} bytes")
        if sha256 is not None and digest.hexdigest() != sha256.lower():
            raise _MirrorFailed(f"SHA-256 mismatch: expected {sha256.lower()}, "
                                f"got {digest.hexdigest()}")


def _reason(error: BaseException) -> str:
    """A one-line description of why one mirror failed."""
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        reason = error.reason
        if isinstance(reason, (socket.timeout, TimeoutError)):
            return "timed out"
        return f"cannot connect: {reason}"
    if isinstance(error, (socket.timeout, TimeoutError)):
        return "timed out"
    return f"{type(error).__name__}: {error}"


def get_file(url: str | Sequence[str], file_name: str | None = None, *,
             sha256: str | None = None, subdir: str | None = None, quiet: bool = False,
             timeout: float = 30.0, hint: str | None = None) -> str:
    """Return the local path of a file, downloading it into the cache if it is not there.

    ``url`` is one URL or a sequence of mirror URLs, tried in order. The file is stored as
    ``<cache>/[subdir/]<file_name>`` where ``file_name`` defaults to the last part of the first
    URL's path (DeZero's layout). A file already in the cache is returned as it is (it may have
    been put there by hand; its digest is not checked). A download whose SHA-256 digest differs
    from ``sha256`` counts as a failed mirror. ``quiet`` turns the progress bar off; ``timeout``
    (seconds) bounds each network wait; ``hint`` is appended to the error raised when every
    mirror fails.
    """
    urls = [url] if isinstance(url, str) else list(url)
    if not urls:
        raise ValueError("get_file: no URL given")
    if file_name is None:
        file_name = urllib.parse.urlsplit(urls[0]).path.rstrip("/").rsplit("/", 1)[-1]
    if not file_name or os.path.basename(file_name) != file_name:
        raise ValueError(f"get_file: file_name must be a plain file name, got {file_name!r}")
    folder = get_cache_dir() if subdir is None else os.path.join(get_cache_dir(), subdir)
    path = os.path.join(folder, file_name)
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, f"get_file: the cache path {path!r} is a folder, "
                                "not the file; remove or rename that folder and call again")
    if os.path.exists(path):
        return path

    # A cache that cannot be written is reported before any download, naming the path.
    prepare_folder(folder, path, "get_file")
    attempts: list[tuple[str, str]] = []
    for candidate in urls:
        if not quiet:
            sys.stderr.write(f"Downloading: {file_name} from {candidate}\n")
        try:
            _download_one(candidate, path, sha256, quiet, timeout)
            return path
        except _MirrorFailed as failure:  # note why and try the next mirror
            attempts.append((candidate, failure.reason))
    tried = "\n".join(f"  - {u}: {why}" for u, why in attempts)
    message = (f"get_file: could not download {file_name!r}; every URL failed:\n{tried}\n"
               f"Download it by hand from one of these URLs and place it at {path}")
    if hint:
        message += f"\n{hint}"
    raise DownloadError(message, attempts)
