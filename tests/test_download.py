"""get_file: cache layout, mirrors, SHA-256 checks, progress, atomic writes (local server)."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import pytest
from httpserver import LocalServer, dead_url, files_under, isolate_cache
from optional import require

import dezero
from dezero.utils import download
from dezero.utils.download import DownloadError, atomic_output, get_cache_dir, get_file

PAYLOAD = bytes(range(256)) * 1000  # 256 kB: several chunks
PAYLOAD_SHA = hashlib.sha256(PAYLOAD).hexdigest()


@pytest.fixture
def cache(monkeypatch, tmp_path):
    return isolate_cache(monkeypatch, tmp_path)


@pytest.fixture
def server():
    with LocalServer() as srv:
        yield srv


def test_public_names():
    assert dezero.utils.get_file is get_file
    assert dezero.utils.cache_dir is download.cache_dir


@pytest.mark.parametrize("override", [False, True])
def test_cache_dir_is_home_dezero_unless_overridden(tmp_path, override):
    env = {k: v for k, v in os.environ.items() if k != "DEZERO_CACHE_DIR"}
    env["HOME"] = str(tmp_path)
    if override:
        env["DEZERO_CACHE_DIR"] = str(tmp_path / "elsewhere")
    out = subprocess.run([sys.executable, "-c", "import dezero; print(dezero.utils.cache_dir)"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    expected = tmp_path / ("elsewhere" if override else ".dezero")
    assert out.stdout.strip() == str(expected)
    assert not expected.exists()  # importing creates nothing


def test_downloads_into_cache_quietly_and_reuses_it(cache, server, capsys):
    url = server.add("/data/payload.bin", PAYLOAD)
    path = get_file(url, sha256=PAYLOAD_SHA, quiet=True)
    assert path == os.path.join(str(cache), "payload.bin")
    with open(path, "rb") as f:
        assert f.read() == PAYLOAD
    assert capsys.readouterr().err == ""
    # Second call: served from the cache, the server is not asked again.
    assert get_file(url, sha256=PAYLOAD_SHA, quiet=True) == path
    assert server.requests == ["/data/payload.bin"]
    assert files_under(cache) == ["payload.bin"]


def test_file_name_and_subdir(cache, server):
    url = server.add("/x/original-name.gz", b"abc")
    path = get_file(url, "renamed.txt", subdir="sub", quiet=True)
    assert path == os.path.join(str(cache), "sub", "renamed.txt")
    assert files_under(cache) == [os.path.join("sub", "renamed.txt")]
    server.add("/y/name.txt", b"q")
    assert get_file(server.url("/y/name.txt?raw=true"), quiet=True) == str(cache / "name.txt")


def test_file_already_in_cache_needs_no_network(cache):
    cache.mkdir()
    (cache / "placed.txt").write_bytes(b"by hand")
    assert get_file(dead_url("/placed.txt"), quiet=True) == str(cache / "placed.txt")


def test_sha_mismatch_moves_to_next_mirror(cache, server):
    bad = server.add("/m1/payload.bin", PAYLOAD[:-1] + b"X")
    good = server.add("/m2/payload.bin", PAYLOAD)
    path = get_file([bad, good], sha256=PAYLOAD_SHA, quiet=True)
    assert open(path, "rb").read() == PAYLOAD
    assert server.requests == ["/m1/payload.bin", "/m2/payload.bin"]
    assert files_under(cache) == ["payload.bin"]  # no temporary file left behind


@pytest.mark.parametrize("failure", ["refused", "404", "timeout", "truncated"])
def test_broken_mirror_then_good_one(cache, server, failure):
    if failure == "refused":
        first = dead_url("/payload.bin")
    elif failure == "404":
        first = server.url("/missing/payload.bin")
    elif failure == "timeout":
        first = server.add_hanging("/slow/payload.bin")
    else:
        first = server.add_truncated("/cut/payload.bin", PAYLOAD[:1000], len(PAYLOAD))
    good = server.add("/ok/payload.bin", PAYLOAD)
    path = get_file([first, good], sha256=PAYLOAD_SHA, quiet=True, timeout=0.5)
    assert open(path, "rb").read() == PAYLOAD
    assert files_under(cache) == ["payload.bin"]


def test_all_mirrors_fail_names_every_url_and_leaves_nothing(cache, server):
    refused = dead_url("/payload.bin")
    missing = server.url("/none/payload.bin")
    corrupt = server.add("/bad/payload.bin", b"not the payload")
    cut = server.add_truncated("/cut/payload.bin", PAYLOAD[:10], len(PAYLOAD))
    with pytest.raises(DownloadError) as info:
        get_file([refused, missing, corrupt, cut], sha256=PAYLOAD_SHA, quiet=True, timeout=2,
                 hint="Extra advice here.")
    message = str(info.value)
    for url in (refused, missing, corrupt, cut):
        assert url in message
    assert "cannot connect" in message
    assert "HTTP 404" in message
    assert "SHA-256 mismatch" in message
    assert "truncated" in message or "IncompleteRead" in message
    assert f"place it at {os.path.join(str(cache), 'payload.bin')}" in message
    assert message.rstrip().endswith("Extra advice here.")
    assert [u for u, _ in info.value.attempts] == [refused, missing, corrupt, cut]
    assert files_under(cache) == []
    assert isinstance(info.value, OSError)


def test_plain_text_progress_when_tqdm_is_missing(cache, server, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # makes `from tqdm import tqdm` fail
    url = server.add("/p/payload.bin", PAYLOAD)
    get_file(url, quiet=False)
    err = capsys.readouterr().err
    assert "Downloading: payload.bin" in err
    assert "100%" in err and "Done" in err


def test_tqdm_progress_when_installed(cache, server, capsys):
    require("tqdm")
    url = server.add("/p/payload.bin", PAYLOAD)
    get_file(url, quiet=False)
    err = capsys.readouterr().err
    assert "payload.bin" in err
    assert "100%" in err  # tqdm's final refresh shows the full bar


def test_cache_dir_env_var_is_read_at_call_time(cache, monkeypatch, tmp_path, server):
    other = tmp_path / "other-cache"
    monkeypatch.setenv("DEZERO_CACHE_DIR", str(other))
    assert get_cache_dir() == str(other)
    path = get_file(server.add("/f.txt", b"x"), quiet=True)
    assert path == str(other / "f.txt")
    monkeypatch.delenv("DEZERO_CACHE_DIR")
    assert get_cache_dir() == download.cache_dir  # falls back to ~/.dezero (patched to tmp)


def test_bad_arguments():
    with pytest.raises(ValueError, match="no URL"):
        get_file([])
    with pytest.raises(ValueError, match="plain file name"):
        get_file("http://127.0.0.1:9/x", "../escape.txt")


def test_atomic_output_keeps_old_content_on_failure(tmp_path):
    target = tmp_path / "weights.bin"
    target.write_bytes(b"old")
    for error in (RuntimeError("boom"), KeyboardInterrupt()):
        with pytest.raises(type(error)):
            with atomic_output(str(target)) as f:
                f.write(b"new, half written")
                raise error
        assert target.read_bytes() == b"old"
        assert sorted(os.listdir(tmp_path)) == ["weights.bin"]
    with atomic_output(str(target)) as f:
        f.write(b"new")
    assert target.read_bytes() == b"new"
    assert sorted(os.listdir(tmp_path)) == ["weights.bin"]
