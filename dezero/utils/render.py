"""Drawing computation graphs with Graphviz: :func:`plot_dot_graph` and the picture it returns.

Differences from DeZero 0.0.13, where it was wrong: no shell (``dot`` gets a
list of arguments and the DOT text on stdin), so paths with spaces work and
nothing is written to a shared temporary file (the original used
``~/.dezero/tmp_graph.dot``, so two programs plotting at once overwrote each
other); the picture is written atomically (with the permissions ``open()`` would give, and
errors naming ``to_file``); DOT text goes to Graphviz and to files as UTF-8, so any Unicode
name is drawn as written; a missing Graphviz raises
:class:`GraphvizNotFoundError` saying how to install it, after saving the DOT
text, instead of returning ``None`` silently.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from typing import Any

from dezero.utils.files import write_atomic
from dezero.utils.dot import get_dot_graph

# File extension -> MIME type of the picture.  'dot'/'gv' are DOT text: no Graphviz needed.
FORMATS = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf",
           "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif",
           "dot": "text/vnd.graphviz", "gv": "text/vnd.graphviz"}
_TEXT_FORMATS = ("dot", "gv")

INSTALL_HELP = (
    "Install Graphviz (the program, not only the Python package):\n"
    "  Debian/Ubuntu: sudo apt-get install graphviz\n"
    "  macOS (Homebrew): brew install graphviz\n"
    "  conda: conda install -c conda-forge graphviz\n"
    "  Windows: winget install graphviz, or the installer from "
    "https://graphviz.org/download/ (then add its bin folder to PATH)\n"
    "and check that `dot -V` works in a new terminal.")


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's ``dot`` program is not installed; ``dot_file`` is where the DOT text was saved."""

    def __init__(self, message: str, dot_file: str | None = None) -> None:
        super().__init__(message)
        self.dot_file = dot_file


class GraphPicture:
    """A drawn graph: inline in Jupyter, plain in a script (``path``, ``source``, ``data``)."""

    def __init__(self, path: str, source: str, format: str, data: bytes) -> None:
        self.path = path  # absolute path of the written file
        self.source = source  # the DOT text
        self.format = format  # 'png', 'svg', 'pdf', 'dot', ...
        self.data = data  # the file's bytes

    def __repr__(self) -> str:
        return (f"GraphPicture(path={self.path!r}, format={self.format!r}, "
                f"size={len(self.data)} bytes)")

    def __fspath__(self) -> str:
        return self.path

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """What Jupyter displays: the picture itself, and this repr as text."""
        bundle: dict[str, Any] = {"text/plain": repr(self)}
        if self.format == "svg":
            bundle["image/svg+xml"] = self.data.decode("utf-8")
        elif self.format in _TEXT_FORMATS:
            bundle["text/vnd.graphviz"] = self.source
        else:
            bundle[FORMATS[self.format]] = self.data
        return bundle

    def _repr_svg_(self) -> str | None:
        return self.data.decode("utf-8") if self.format == "svg" else None

    def _repr_png_(self) -> bytes | None:
        return self.data if self.format == "png" else None

    def _repr_jpeg_(self) -> bytes | None:
        return self.data if self.format in ("jpg", "jpeg") else None


class _DotMissing(Exception):
    """Internal: neither the graphviz package nor a ``dot`` on PATH could run Graphviz."""


def render_dot(source: str, format: str) -> bytes:
    """The picture Graphviz's ``dot`` draws from DOT text ``source``, as bytes of ``format``.

    Uses the ``graphviz`` Python package when it is importable, else runs the
    ``dot`` program directly; both pass the text on stdin (no shell, no
    temporary file).  Raises :class:`GraphvizNotFoundError` when ``dot`` is
    missing, RuntimeError with Graphviz's message when it fails.
    """
    try:
        return _render(source, format)
    except _DotMissing:
        raise GraphvizNotFoundError(
            f"render_dot: Graphviz's `dot` program was not found on PATH.\n{INSTALL_HELP}"
        ) from None


def _render(source: str, format: str) -> bytes:
    data = source.encode("utf-8")
    try:
        import graphviz
    except ImportError:
        graphviz = None
    if graphviz is not None:
        try:
            return graphviz.pipe("dot", format, data, quiet=True)
        except graphviz.ExecutableNotFound:
            raise _DotMissing() from None
        except graphviz.CalledProcessError as e:
            raise _dot_failed(e.returncode, e.stderr) from None
    dot = shutil.which("dot")
    if dot is None:
        raise _DotMissing()
    try:
        done = subprocess.run([dot, f"-T{format}"], input=data, capture_output=True)
    except OSError:  # found but not runnable (broken install, wrong architecture)
        raise _DotMissing() from None
    if done.returncode != 0:
        raise _dot_failed(done.returncode, done.stderr)
    return done.stdout


def _dot_failed(returncode: int, stderr: Any) -> RuntimeError:
    if isinstance(stderr, bytes):
        stderr = stderr.decode("utf-8", "replace")
    return RuntimeError(f"plot_dot_graph: Graphviz's dot failed (exit status {returncode}): "
                        f"{(stderr or '').strip()}")


def plot_dot_graph(output: Any, verbose: bool = True, to_file: str | os.PathLike = "graph.png",
                   **options: Any) -> GraphPicture:
    """Draw the graph behind ``output`` into ``to_file``; the format follows its extension.

    ``.png``, ``.svg``, ``.pdf`` (also ``.jpg``, ``.gif``) need Graphviz; ``.dot``
    writes the DOT text alone.  ``options`` go to :func:`get_dot_graph`
    (show_values, model, layers, rankdir, max_nodes, title).  Returns a
    :class:`GraphPicture`, which Jupyter displays inline.  Without Graphviz the
    DOT text is saved beside ``to_file`` (``graph.png`` -> ``graph.dot``) and
    :class:`GraphvizNotFoundError` says how to install it.
    """
    path = os.path.abspath(os.path.expanduser(os.fspath(to_file)))
    stem, extension = os.path.splitext(path)
    format = extension[1:].lower()
    if format not in FORMATS:
        raise ValueError(f"plot_dot_graph: cannot tell the format of to_file={os.fspath(to_file)!r}"
                         f"; end it with one of {', '.join('.' + f for f in FORMATS)}")
    source = get_dot_graph(output, verbose, **options)
    if format in _TEXT_FORMATS:
        data = source.encode("utf-8")
    else:
        try:
            data = _render(source, format)
        except _DotMissing:
            dot_file = stem + ".dot"
            write_atomic(dot_file, source.encode("utf-8"), who="plot_dot_graph")
            raise GraphvizNotFoundError(
                f"plot_dot_graph: cannot draw {path!r}: Graphviz's `dot` program was not found "
                f"on PATH. The DOT text was saved to {dot_file!r} (render it later with "
                f"`dot -T{format} -o <picture> <that file>`, or pass to_file='....dot').\n"
                f"{INSTALL_HELP}", dot_file) from None
    write_atomic(path, data, who="plot_dot_graph")
    return GraphPicture(path, source, format, data)
