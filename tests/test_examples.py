"""The training examples, each run in a subprocess on a tiny configuration.

Every run must exit 0, print its final figure, write valid PNGs into ``--out`` and, where a few
epochs are enough, show that it learned. The Fashion-MNIST examples read small IDX files that the
test writes (written with the library's own ``write_idx``): images with a bright bar whose row
gives the class, so a working network separates them in a few epochs. Nothing is downloaded: the
cache and HOME point into the test's temporary folder.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from optional import require

from dezero.datasets import MNIST, write_idx

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TIMEOUT = 180


def run_example(script: str, *args: str, tmp_path: Path, env: dict | None = None
                ) -> subprocess.CompletedProcess:
    """Run ``examples/<script>`` with ``args``; the cache and HOME are inside ``tmp_path``."""
    environment = dict(os.environ)
    for name in ("DEZERO_MNIST_DIR", "DEZERO_FASHION_MNIST_DIR"):
        environment.pop(name, None)
    environment.update(DEZERO_CACHE_DIR=str(tmp_path / "cache"), HOME=str(tmp_path),
                       MPLCONFIGDIR=str(tmp_path / "mpl"), OPENBLAS_NUM_THREADS="1")
    environment.update(env or {})
    return subprocess.run([sys.executable, str(EXAMPLES / script), *args], capture_output=True,
                          text=True, timeout=TIMEOUT, env=environment, cwd=tmp_path)


def figure(pattern: str, output: str) -> float:
    """The number after ``pattern`` in ``output`` (the test fails if it is not there)."""
    match = re.search(pattern + r"\s*([-+0-9.eE]+)", output)
    assert match, f"no line matching {pattern!r} in:\n{output}"
    return float(match.group(1))


def assert_pngs(folder: Path, *names: str) -> None:
    for name in names:
        path = folder / name
        assert path.is_file(), f"{path} was not written; found {sorted(os.listdir(folder))}"
        data = path.read_bytes()
        assert data[:8] == PNG_SIGNATURE and len(data) > 1000, f"{path} is not a PNG"
    leftovers = [p for p in os.listdir(folder) if p.endswith(".part")]
    assert leftovers == [], f"temporary files left behind: {leftovers}"


def write_bar_images(folder: Path, n_train: int = 300, n_test: int = 100) -> None:
    """IDX files of 28x28 noisy images whose class c is a bright bar on rows 2c+4 and 2c+5."""
    rng = np.random.default_rng(0)
    for train, n in ((True, n_train), (False, n_test)):
        labels = np.arange(n) % 10
        rng.shuffle(labels)
        images = rng.integers(0, 80, (n, 28, 28)).astype(np.uint8)
        for image, c in zip(images, labels):
            image[2 * c + 4:2 * c + 6, 4:24] = 255
        image_name, label_name = MNIST.split_files[train]
        write_idx(folder / image_name, images)
        write_idx(folder / label_name, labels.astype(np.uint8))


@pytest.fixture
def bar_images(tmp_path):
    folder = tmp_path / "data"
    write_bar_images(folder)
    return folder


def test_spiral_learns_and_draws(tmp_path):
    out = tmp_path / "out"
    proc = run_example("spiral.py", "--epochs", "300", "--out", str(out), "--progress", "off",
                       tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr
    # The book's setting separates the three arms well; chance is 1/3.
    assert figure("final test accuracy:", proc.stdout) > 0.9
    assert figure("final train accuracy:", proc.stdout) > 0.9
    assert "time per epoch:" in proc.stdout
    assert_pngs(out, "curves.png", "decision_boundary.png")


@pytest.mark.parametrize("script, epochs, args", [
    ("mlp_fashion_mnist.py", 4, ["--hidden", "64"]),
    ("cnn_fashion_mnist.py", 6, ["--channels", "4", "8", "--hidden", "32", "--lr", "0.003"]),
])
def test_fashion_mnist_examples_learn_from_files_in_data_dir(tmp_path, bar_images, script,
                                                             epochs, args):
    out = tmp_path / "out"
    proc = run_example(script, "--epochs", str(epochs), "--batch-size", "20", *args,
                       "--data-dir", str(bar_images), "--out", str(out), "--progress", "text",
                       tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "300 training / 100 test images" in proc.stdout  # the files of --data-dir were read
    assert figure("final test accuracy:", proc.stdout) >= 0.9
    assert len(re.findall(rf"^epoch\s+\d+/{epochs} ", proc.stdout, re.M)) == epochs
    assert re.search(rf"epoch 1/{epochs} \[#+-*\] \d+/15", proc.stderr), proc.stderr  # text bar
    assert_pngs(out, "curves.png")
    assert not (tmp_path / "cache").exists()  # nothing was downloaded


def test_fashion_mnist_subsets(tmp_path, bar_images):
    proc = run_example("mlp_fashion_mnist.py", "--epochs", "1", "--train-size", "40",
                       "--test-size", "30", "--data-dir", str(bar_images), "--out",
                       str(tmp_path / "out"), "--progress", "off", tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "40 training / 30 test images" in proc.stdout
    assert 0 <= figure("final test accuracy:", proc.stdout) <= 1


def test_fashion_mnist_missing_files_are_reported(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    proc = run_example("mlp_fashion_mnist.py", "--data-dir", str(empty), "--out",
                       str(tmp_path / "out"), tmp_path=tmp_path)
    assert proc.returncode != 0
    assert "train-images-idx3-ubyte.gz" in proc.stderr and str(empty) in proc.stderr
    assert not (tmp_path / "out").exists()


def test_lstm_loss_falls_and_prediction_is_drawn(tmp_path):
    out = tmp_path / "out"
    proc = run_example("lstm_sin.py", "--epochs", "10", "--train-size", "600",
                       "--test-size", "100", "--out", str(out), "--progress", "text",
                       tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr
    first = figure(r"epoch\s+1/10\s+train loss per step", proc.stdout)
    last = figure("final train loss:", proc.stdout)
    assert last < 0.5 * first, proc.stdout
    assert np.isfinite(figure("final test loss:", proc.stdout))
    assert "600 training / 100 test steps" in proc.stdout
    assert_pngs(out, "curves.png", "prediction.png")


def test_runs_without_tqdm_and_matplotlib(tmp_path):
    """Both are optional: a text bar replaces tqdm, and the PNGs are skipped with a note."""
    blocker = tmp_path / "blocked"
    blocker.mkdir()
    for name in ("tqdm", "matplotlib"):
        (blocker / f"{name}.py").write_text(f"raise ImportError('{name} blocked by the test')\n")
    out = tmp_path / "out"
    proc = run_example("spiral.py", "--epochs", "3", "--out", str(out), "--progress", "auto",
                       tmp_path=tmp_path, env={"PYTHONPATH": str(blocker)})
    assert proc.returncode == 0, proc.stderr
    assert "matplotlib is not installed" in proc.stdout
    assert re.search(r"epoch 3/3 \[#+\] 10/10", proc.stderr), proc.stderr
    assert 0 <= figure("final test accuracy:", proc.stdout) <= 1
    assert not out.exists() or not list(out.iterdir())


def test_tqdm_bars(tmp_path):
    require("tqdm")
    proc = run_example("spiral.py", "--epochs", "2", "--out", str(tmp_path / "out"),
                       "--progress", "tqdm", tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"epoch 2/2: +\d+%", proc.stderr), proc.stderr
    # The loss is shown at tqdm's timed redraws, not on a line of its own per batch.
    assert proc.stderr.count("loss=") <= 4, proc.stderr


@pytest.mark.parametrize("args, message", [
    (["--epochs", "0"], "expected a positive integer, got 0"),
    (["--batch-size", "x"], "expected a positive integer, got 'x'"),
    (["--lr", "-1"], "expected a positive number, got -1.0"),
])
def test_bad_options_are_refused(tmp_path, args, message):
    proc = run_example("spiral.py", *args, tmp_path=tmp_path)
    assert proc.returncode == 2
    assert message in proc.stderr


# ----- the character transformer --------------------------------------------------------------

TRANSFORMER = ["--steps", "8", "--context", "12", "--width", "16", "--heads", "2", "--depth", "1",
               "--batch-size", "8", "--warmup", "3", "--val-windows", "6", "--progress", "off",
               "--lr", "0.01"]


def test_char_transformer_learns_resumes_exactly_and_samples(tmp_path):
    text = tmp_path / "corpus.txt"
    text.write_text("the cat sat on the mat. " * 40 + "a dog ran to the log. " * 40,
                    encoding="utf-8")
    full = run_example("char_transformer.py", *TRANSFORMER, "--epochs", "3", "--text", str(text),
                       "--out", str(tmp_path / "full"), "--sample", "40", tmp_path=tmp_path)
    assert full.returncode == 0, full.stderr
    train_losses = [float(v) for v in re.findall(r"train loss ([0-9.]+)", full.stdout)]
    assert len(train_losses) == 3 and train_losses[-1] < train_losses[0]
    final = float(re.search(r"validation loss ([0-9.]+) nats/char", full.stdout).group(1))
    assert final < figure("unigram baseline", full.stdout)
    sampled = full.stdout.split("sample:\n", 1)[1]
    assert len(sampled.rstrip("\n")) >= 41 and set(sampled.strip()) <= set(text.read_text())
    assert_pngs(tmp_path / "full", "loss.png")

    # 1 epoch, stop; a new process resumes for the other 2: the same weights, bit for bit
    part = tmp_path / "part"
    first = run_example("char_transformer.py", *TRANSFORMER, "--epochs", "3", "--stop-after", "1",
                        "--text", str(text), "--out", str(part), "--sample", "0",
                        tmp_path=tmp_path)
    assert first.returncode == 0, first.stderr
    rest = run_example("char_transformer.py", *TRANSFORMER, "--epochs", "3", "--resume",
                       "--text", str(text), "--out", str(part), "--sample", "0",
                       tmp_path=tmp_path)
    assert rest.returncode == 0, rest.stderr
    assert "resumed from" in rest.stdout and "after epoch 1" in rest.stdout
    with np.load(tmp_path / "full" / "checkpoint.npz") as a, \
            np.load(part / "checkpoint.npz") as b:
        names = [n for n in a.files if n.startswith("model/")]
        assert names and names == [n for n in b.files if n.startswith("model/")]
        for name in names:
            np.testing.assert_array_equal(a[name], b[name], err_msg=name)
