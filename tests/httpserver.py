"""Test helpers for the data tests: a local HTTP server on 127.0.0.1 and an isolated cache.

Nothing here touches the network beyond the loopback interface or the real home folder.
"""
from __future__ import annotations

import http.server
import os
import socket
import threading
import urllib.parse
from pathlib import Path

#: How long a "hanging" route keeps the client waiting at most (the client times out first).
HANG_SECONDS = 5.0


class LocalServer:
    """An HTTP server in a thread serving in-memory files, on a free port of 127.0.0.1.

    ``add(path, data)`` publishes ``data`` at ``/path``; any other path is a 404.
    ``add_truncated(path, data, claimed)`` announces ``claimed`` bytes but sends only ``data``.
    ``add_hanging(path)`` accepts the request and never answers (until the server stops).
    ``requests`` lists the paths asked for, in order.
    """

    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.truncated: dict[str, tuple[bytes, int]] = {}
        self.hanging: set[str] = set()
        self.requests: list[str] = []
        self._stop = threading.Event()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                path = urllib.parse.urlsplit(self.path).path  # the query string is ignored
                server.requests.append(path)
                if path in server.hanging:
                    server._stop.wait(HANG_SECONDS)
                    return
                if path in server.truncated:
                    data, claimed = server.truncated[path]
                    self.send_response(200)
                    self.send_header("Content-Length", str(claimed))
                    self.end_headers()
                    self.wfile.write(data)
                    self.close_connection = True
                    return
                data = server.files.get(path)
                if data is None:
                    self.send_error(404, "Not Found")
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):  # keep test output clean
                pass

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        # A short poll interval keeps shutdown (and so each test's teardown) fast.
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.02,),
                                        daemon=True)

    def url(self, path: str) -> str:
        """The full URL of ``path`` (which starts with '/')."""
        return self.base_url + path

    def add(self, path: str, data: bytes) -> str:
        """Serve ``data`` at ``path``; returns its URL."""
        self.files[path] = data
        return self.url(path)

    def add_truncated(self, path: str, data: bytes, claimed: int) -> str:
        """Serve a response that claims ``claimed`` bytes but stops after ``data``."""
        self.truncated[path] = (data, claimed)
        return self.url(path)

    def add_hanging(self, path: str) -> str:
        """Serve a route that never answers."""
        self.hanging.add(path)
        return self.url(path)

    def __enter__(self) -> "LocalServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


def dead_url(path: str = "/file.bin") -> str:
    """A URL on 127.0.0.1 where nothing listens (connection refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"


DATA_ENV_VARS = ("DEZERO_CACHE_DIR", "DEZERO_MNIST_DIR", "DEZERO_FASHION_MNIST_DIR")


def isolate_cache(monkeypatch, tmp_path: Path) -> Path:
    """Point the dezero cache (and HOME) into ``tmp_path``; unset the data-location variables.

    Returns the cache folder (not created yet, so tests also see that dezero creates it).
    """
    import dezero.utils.download as download

    for name in DATA_ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    cache = tmp_path / "cache"
    monkeypatch.setattr(download, "cache_dir", str(home / ".dezero"))
    monkeypatch.setenv("DEZERO_CACHE_DIR", str(cache))
    return cache


def files_under(folder: Path) -> list[str]:
    """Every file below ``folder`` (relative paths, sorted); [] if it does not exist."""
    if not folder.exists():
        return []
    return sorted(os.path.relpath(os.path.join(d, f), folder)
                  for d, _, names in os.walk(folder) for f in names)
