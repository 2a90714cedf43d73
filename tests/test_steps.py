"""The tutorial scripts in steps/: each runs and prints exactly its expected output.

Every ``steps/step*.py`` is run in a subprocess (``sys.executable``, the
current directory an empty temporary folder, pictures sent to a temporary
``--out`` folder and drawn as DOT text so that Graphviz is not needed) and its
standard output is compared, line by line, with ``steps/expected/<name>.txt``.
The test also checks that the script wrote nothing in its current directory,
wrote the files it announces into ``--out``, and printed nothing on stderr.

Regenerating the expected files
-------------------------------
After changing a step on purpose, rewrite its expected output with::

    DEZERO_REGEN_STEPS=1 .venv/bin/python -m pytest tests/test_steps.py -q

(all steps), or add ``-k step27`` for one.  The regenerated tests pass; read
the diff of ``steps/expected/`` before committing it -- the expected files are
only worth something if a person has checked the numbers in them against the
known figures (e.g. 220 for the apple bill, Newton reaching 1 from 2,
Rosenbrock approaching (1, 1); from step 42 on, the book's printed values:
W = 2.11807369, b = 5.46608905 in step 42, losses 0.8473695850 ... in step
43, the loss 1.4967442524 in step 47, 1.13, 1.05, 0.95 for the spiral).

A second group of tests checks that the last from-scratch framework (the one
built inside ``steps/step22.py``) and the ``dezero`` package agree on values
and gradients of the same expressions; step22 is loaded by file path with
``importlib.util.spec_from_file_location`` (no ``sys.path`` change).
"""
from __future__ import annotations

import gzip
import importlib.util
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from optional import require

import dezero
import dezero.functions as F
from dezero.gradcheck import finite_difference

STEPS_DIR = Path(__file__).resolve().parent.parent / "steps"
EXPECTED_DIR = STEPS_DIR / "expected"
REGENERATE = os.environ.get("DEZERO_REGEN_STEPS", "") not in ("", "0")
STEP_FILES = sorted(p.name for p in STEPS_DIR.glob("step*.py"))

# Extra arguments per step; "{out}" becomes the temporary output folder.
ARGS = {
    "step25.py": ["--out", "{out}", "--format", "dot"],
    "step26.py": ["--out", "{out}", "--format", "dot"],
    "step27.py": ["--out", "{out}", "--format", "dot"],
    "step34.py": ["--out", "{out}"],
    "step35.py": ["--out", "{out}", "--format", "dot"],
    "step45.py": ["--out", "{out}", "--format", "dot"],
    "step53.py": ["--out", "{out}"],
}
# Files each step must leave in its output folder.
FILES = {
    "step25.py": {"sample.dot"},
    "step26.py": {"goldstein.dot"},
    "step27.py": {"my_sin_1e-04.dot", "my_sin_1e-150.dot"},
    "step34.py": {"sin_derivatives.png"},
    "step35.py": {"tanh_order3.dot"},
    "step45.py": {"two_layer_net.dot"},
    "step53.py": {"spiral_mlp.npz"},
}
NEEDS = {"step34.py": "matplotlib"}
# Steps whose expected output is the CPU-only run (they say whether CuPy is there).
CPU_ONLY = {"step52.py"}


def run_step(name: str, args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """Run steps/<name> with args in cwd and return the finished process."""
    cwd.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONIOENCODING="utf-8")
    return subprocess.run([sys.executable, str(STEPS_DIR / name), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_every_step_has_an_expected_output_and_vice_versa():
    assert len(STEP_FILES) >= 66, STEP_FILES  # prologue (6) + steps 1-60
    expected = sorted(p.stem + ".py" for p in EXPECTED_DIR.glob("*.txt"))
    assert expected == STEP_FILES


@pytest.mark.parametrize("name", STEP_FILES)
def test_step_output(name: str, tmp_path: Path) -> None:
    if name in NEEDS:
        require(NEEDS[name])
    if name in CPU_ONLY and dezero.cuda.gpu_enable:
        pytest.skip(f"{name}: the expected output is that of a machine without CuPy")
    out = tmp_path / "out"
    cwd = tmp_path / "cwd"
    args = [a.replace("{out}", str(out)) for a in ARGS.get(name, [])]
    proc = run_step(name, args, cwd)
    assert proc.returncode == 0, f"{name} failed:\n{proc.stderr}"
    stderr = [line for line in proc.stderr.splitlines() if "font cache" not in line]
    assert stderr == [], f"{name} wrote to stderr:\n{proc.stderr}"
    assert list(cwd.iterdir()) == [], f"{name} wrote into its working directory"
    if name in FILES:
        assert {p.name for p in out.iterdir()} == FILES[name]
        assert all((out / f).stat().st_size > 0 for f in FILES[name])
    else:
        assert not out.exists(), f"{name} created an output folder it does not announce"

    expected_file = EXPECTED_DIR / (Path(name).stem + ".txt")
    if REGENERATE:
        EXPECTED_DIR.mkdir(exist_ok=True)
        expected_file.write_text(proc.stdout, encoding="utf-8")
        return
    assert expected_file.exists(), (f"no {expected_file}; create it with "
                                    "DEZERO_REGEN_STEPS=1 (see the top of this file)")
    expected = expected_file.read_text(encoding="utf-8").splitlines()
    assert proc.stdout.splitlines() == expected


def test_graph_steps_write_dot_text_that_names_the_variables(tmp_path: Path) -> None:
    proc = run_step("step26.py", ["--out", str(tmp_path / "out"), "--format", "dot"],
                    tmp_path / "cwd")
    assert proc.returncode == 0, proc.stderr
    text = (tmp_path / "out" / "goldstein.dot").read_text(encoding="utf-8")
    assert text.lstrip().startswith("digraph")
    assert text.count("->") > 38  # 38 Functions, each with at least one edge in and out


def test_steps_default_out_folder_is_relative_to_cwd(tmp_path: Path) -> None:
    proc = run_step("step25.py", ["--format", "dot"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "step25" / "sample.dot").exists()


# -- prologue F on real (here: generated) IDX files ---------------------------

def write_idx(path: Path, array: np.ndarray, compress: bool) -> None:
    """Write a uint8 array in the IDX format (big-endian dimension sizes)."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(struct.pack(">I", n)
                                                        for n in array.shape)
    payload = header + array.astype(np.uint8).tobytes()
    if compress:
        path.with_name(path.name + ".gz").write_bytes(gzip.compress(payload))
    else:
        path.write_bytes(payload)


def write_learnable_idx_files(data: Path, n_train: int = 300, n_test: int = 60) -> None:
    """The four MNIST-format files in data (some gzipped): 28x28 images of a learnable task."""
    rng = np.random.default_rng(0)
    data.mkdir()
    labels_train = rng.integers(0, 10, n_train)
    labels_test = rng.integers(0, 10, n_test)
    # Each class brightens its own band of rows, so the task is learnable.
    def images(labels: np.ndarray) -> np.ndarray:
        x = rng.integers(0, 60, (len(labels), 28, 28))
        for i, c in enumerate(labels):
            x[i, 2 * c + 3: 2 * c + 6] += 180
        return x
    write_idx(data / "train-images-idx3-ubyte", images(labels_train), compress=True)
    write_idx(data / "train-labels-idx1-ubyte", labels_train, compress=False)
    write_idx(data / "t10k-images-idx3-ubyte", images(labels_test), compress=False)
    write_idx(data / "t10k-labels-idx1-ubyte", labels_test, compress=True)


def test_prologue_training_reads_idx_files(tmp_path: Path) -> None:
    data = tmp_path / "fashion"
    write_learnable_idx_files(data)

    proc = run_step("step00f_training_sgd_momentum.py",
                    ["--data-dir", str(data), "--epochs", "3", "--batch-size", "30"],
                    tmp_path / "cwd")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "data: Fashion-MNIST, 300 training and 60 test images"
    test_accuracies = [float(line.rsplit(" ", 1)[1]) for line in lines if "test acc" in line]
    assert len(test_accuracies) == 6  # 3 epochs x 2 optimizers
    assert max(test_accuracies) > 0.5  # chance is 0.1


def test_prologue_training_reports_missing_and_corrupt_idx_files(tmp_path: Path) -> None:
    proc = run_step("step00f_training_sgd_momentum.py", ["--data-dir", str(tmp_path)],
                    tmp_path / "cwd")
    assert proc.returncode != 0
    assert "train-images-idx3-ubyte" in proc.stderr and str(tmp_path) in proc.stderr

    for name in ["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                 "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]:
        (tmp_path / name).write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 9, 1, 2]))  # 9 promised, 2 given
    proc = run_step("step00f_training_sgd_momentum.py", ["--data-dir", str(tmp_path)],
                    tmp_path / "cwd")
    assert proc.returncode != 0
    assert "truncated or corrupt" in proc.stderr


# -- steps 37-60 beyond their default run ----------------------------------

@pytest.mark.parametrize("dataset, title", [("fashion", "Fashion-MNIST"), ("mnist", "MNIST")])
def test_mnist_step_reads_idx_files(tmp_path: Path, dataset: str, title: str) -> None:
    data = tmp_path / "idx"
    write_learnable_idx_files(data)
    proc = run_step("step51.py", ["--data-dir", str(data), "--dataset", dataset, "--epochs", "3",
                                  "--hidden", "100", "--batch-size", "30"], tmp_path / "cwd")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith(f"data: {title}, 300 training and 60 test images; "
                               "an item: x (784,) float32 in [0.0, 0.9]")  # pixels < 240
    test_accuracies = [float(line.rsplit(" ", 1)[1]) for line in lines if "test acc" in line]
    assert len(test_accuracies) == 6  # 3 epochs x 2 models
    assert test_accuracies[-1] > 0.5  # ReLU + Adam; chance is 0.1


def test_mnist_step_reports_missing_files_and_downloads_nothing(tmp_path: Path) -> None:
    proc = run_step("step51.py", ["--data-dir", str(tmp_path)], tmp_path / "cwd")
    assert proc.returncode != 0
    assert "train-images-idx3-ubyte" in proc.stderr and str(tmp_path) in proc.stderr
    assert list((tmp_path / "cwd").iterdir()) == []


def test_save_load_step_resumes_from_its_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = run_step("step53.py", ["--out", str(out), "--epochs", "20"], tmp_path / "cwd")
    assert first.returncode == 0, first.stderr
    assert "resumed" not in first.stdout
    trained = first.stdout.splitlines()[0]
    assert trained.startswith("after 20 epochs: test accuracy ")
    accuracy = trained.rsplit(" ", 1)[1]

    again = run_step("step53.py", ["--out", str(out), "--epochs", "1", "--resume"],
                     tmp_path / "cwd")
    assert again.returncode == 0, again.stderr
    lines = again.stdout.splitlines()
    # the loaded model scores exactly what the saved one did, before any further training
    assert lines[0] == f"resumed from spiral_mlp.npz: test accuracy {accuracy}"
    assert lines[1].startswith("after 1 epoch: test accuracy ")


@pytest.mark.skipif(dezero.cuda.gpu_enable, reason="CuPy is available on this machine")
def test_gpu_step_refuses_device_gpu_without_cupy(tmp_path: Path) -> None:
    proc = run_step("step52.py", ["--device", "gpu"], tmp_path)
    assert proc.returncode != 0
    assert "--device gpu needs CuPy" in proc.stderr
    assert "training on the" not in proc.stdout


def test_vgg_step_rejects_an_input_size_the_poolings_cannot_halve(tmp_path: Path) -> None:
    proc = run_step("step58.py", ["--size", "40"], tmp_path)
    assert proc.returncode == 2
    assert "--size must be a positive multiple of 32" in proc.stderr


PLOTS = [
    ("step42.py", ["--iters", "5"], "linear_regression.png"),
    ("step43.py", ["--iters", "5"], "sin_regression.png"),
    ("step48.py", ["--epochs", "1"], "spiral_regions.png"),
    ("step50.py", ["--epochs", "2"], "accuracy.png"),
    ("step59.py", ["--epochs", "1"], "rnn_cos.png"),
    ("step60.py", ["--epochs", "1"], "lstm_cos.png"),
]


@pytest.mark.parametrize("name, args, picture", PLOTS, ids=[p[0] for p in PLOTS])
def test_plot_option_draws_into_out(tmp_path: Path, name: str, args: list[str],
                                    picture: str) -> None:
    require("matplotlib")
    out = tmp_path / "out"
    proc = run_step(name, [*args, "--plot", "--out", str(out)], tmp_path / "cwd")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == f"wrote {picture}"
    assert [p.name for p in out.iterdir()] == [picture]
    assert (out / picture).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert list((tmp_path / "cwd").iterdir()) == []


# -- the from-scratch framework of step 22 agrees with the package ----------

@pytest.fixture(scope="module")
def simple():
    """steps/step22.py loaded as a module (its main() does not run)."""
    spec = importlib.util.spec_from_file_location("dezero_tutorial_step22",
                                                  STEPS_DIR / "step22.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _sphere(x, y, exp):
    return x ** 2 + y ** 2


def _matyas(x, y, exp):
    return 0.26 * (x ** 2 + y ** 2) - 0.48 * x * y


def _goldstein(x, y, exp):
    return ((1 + (x + y + 1) ** 2 * (19 - 14 * x + 3 * x ** 2 - 14 * y + 6 * x * y + 3 * y ** 2))
            * (30 + (2 * x - 3 * y) ** 2 * (18 - 32 * x + 12 * x ** 2 + 48 * y - 36 * x * y
                                             + 27 * y ** 2)))


def _rational(x, y, exp):
    return x ** 3 + 2 * x / y


def _mixed(x, y, exp):
    return (x - y) / (x + y) ** 2 - 3.0 / x + -y * exp(x * 0.5) - (1.0 - y) * x


def _reuse(x, y, exp):
    a = x * y
    return a * a + a / (a + 2.0) - a


EXPRESSIONS = [_sphere, _matyas, _goldstein, _rational, _mixed, _reuse]


@pytest.mark.parametrize("expr", EXPRESSIONS, ids=lambda f: f.__name__.strip("_"))
def test_step22_framework_agrees_with_package(simple, expr) -> None:
    rng = np.random.default_rng(7)
    for _ in range(5):
        a, b = rng.uniform(0.5, 2.0, 2)
        if rng.random() < 0.5:
            a, b = np.array([a, a + 0.25, a + 0.5]), np.array([b, b - 0.25, b + 0.25])
        else:
            a, b = np.array(a), np.array(b)
        sx, sy = simple.Variable(a.copy()), simple.Variable(b.copy())
        sz = expr(sx, sy, simple.exp)
        sz.backward()
        px, py = dezero.Variable(a.copy()), dezero.Variable(b.copy())
        pz = expr(px, py, F.exp)
        pz.backward()
        np.testing.assert_allclose(sz.data, pz.data, rtol=1e-12)
        np.testing.assert_allclose(sx.grad, px.grad.data, rtol=1e-12)
        np.testing.assert_allclose(sy.grad, py.grad.data, rtol=1e-12)
        # and both agree with central differences in x and y, so they are not wrong together
        wa, wb = a.astype(np.float64), b.astype(np.float64)

        def total() -> float:
            return float(np.sum(expr(wa, wb, np.exp)))

        np.testing.assert_allclose(sx.grad, finite_difference(total, wa, 1e-6),
                                   rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(sy.grad, finite_difference(total, wb, 1e-6),
                                   rtol=1e-5, atol=1e-6)


def test_step22_framework_frees_intermediate_grads_like_package(simple) -> None:
    for mod, get in [(simple, lambda g: g), (dezero, lambda g: g.data)]:
        x = mod.Variable(np.array(3.0))
        t = x * x
        y = t + x
        y.backward()
        assert t.grad is None and y.grad is None
        assert get(x.grad) == 7.0
        x = mod.Variable(np.array(3.0))
        t = x * x
        y = t + x
        y.backward(retain_grad=True)
        assert get(t.grad) == 1.0 and get(y.grad) == 1.0


def test_step22_framework_no_grad_like_package(simple) -> None:
    for mod in (simple, dezero):
        x = mod.Variable(np.array(2.0))
        with mod.no_grad():
            y = x * x
        assert y.creator is None
        assert (x * x).creator is not None
        with mod.using_config("enable_backprop", False):
            assert (x + 1.0).creator is None


def test_step22_framework_keeps_float32(simple) -> None:
    for mod in (simple, dezero):
        x = mod.Variable(np.array([1.0, 2.0], dtype=np.float32))
        y = 2.0 * x - 1.0 / x + x ** 2
        assert y.dtype == np.float32
