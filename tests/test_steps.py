"""The tutorial scripts in steps/: each runs with its default arguments and prints exactly its
expected output.

Every ``steps/step*.py`` is run the way ``make step N=...`` runs it, through
``steps/check.py`` (``run_step``: this Python, the repository on PYTHONPATH, one
BLAS thread), in an empty temporary working folder, with no arguments; its
standard output is compared with ``steps/expected/<name>.txt`` by the same
``compare`` that prints "step08: output matches ..." or a diff for a learner.
The test also checks that the script wrote exactly the files it announces
(under out/<step>/ of its working folder), and that stderr is empty except for
the picture notes of the steps that draw graphs: "drew out/...png" where
Graphviz's ``dot`` is installed, what to install where it is not (that path is
tested with ``dot`` removed from PATH).

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
and gradients of the same expressions; step22 (and steps/check.py) are loaded
by file path with ``importlib.util.spec_from_file_location`` (no ``sys.path``
change).
"""
from __future__ import annotations

import gzip
import importlib.util
import os
import shutil
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from optional import require

import dezero
import dezero.functions as F
from dezero.gradcheck import finite_difference

STEPS_DIR = Path(__file__).resolve().parent.parent / "steps"


def load_by_path(name: str, path: Path):
    """The module in ``path``, loaded under ``name`` (its main() does not run)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check = load_by_path("dezero_steps_check", STEPS_DIR / "check.py")
EXPECTED_DIR = check.EXPECTED_DIR
REGENERATE = os.environ.get("DEZERO_REGEN_STEPS", "") not in ("", "0")
STEP_FILES = check.step_files()
HAVE_DOT = shutil.which("dot") is not None

# Graphs each step draws with its defaults: <name>.dot always, <name>.png where dot exists.
GRAPHS = {
    "step25.py": ["sample"],
    "step26.py": ["goldstein"],
    "step27.py": ["my_sin_1e-04", "my_sin_1e-150"],
    "step35.py": ["tanh_order3"],
    "step45.py": ["two_layer_net"],
    "step62_jvp_vjp_graphs.py": ["softmax", "softmax_vjp", "softmax_jvp"],
}
# Other files each step writes with its defaults, relative to its working folder.
FILES = {
    "step34.py": {"out/step34/sin_derivatives.png"},
    "step53.py": {"out/step53/spiral_mlp.npz"},
}
NEEDS = {"step34.py": "matplotlib"}
# Steps whose expected output is the CPU-only run (they say whether CuPy is there).
CPU_ONLY = {"step52.py"}
# Each step must finish within this many seconds with its defaults (measured ones take
# under 5 s on a loaded 2-core machine; the limit leaves room for a slower one).
SECONDS = 30


def run_step(name: str, args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """Run steps/<name> with args in cwd and return the finished process (steps/check.py)."""
    return check.run_step(name, args, cwd=cwd)


def files_under(folder: Path) -> set[str]:
    """The files below ``folder``, as paths relative to it with forward slashes."""
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def picture_format(name: str) -> str:
    """The picture format a drawing step uses by default (step 27's large graph: svg)."""
    return "svg" if name == "step27.py" else "png"


def expected_graph_files(name: str, have_dot: bool) -> set[str]:
    stem = Path(name).stem
    suffixes = [".dot", "." + picture_format(name)] if have_dot else [".dot"]
    return {f"out/{stem}/{g}{s}" for g in GRAPHS.get(name, []) for s in suffixes}


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
    cwd = tmp_path / "cwd"
    start = time.perf_counter()
    proc = run_step(name, [], cwd)
    seconds = time.perf_counter() - start
    assert proc.returncode == 0, f"{name} failed:\n{proc.stderr}"
    stderr = [line for line in proc.stderr.splitlines() if "font cache" not in line]
    stem = Path(name).stem
    if HAVE_DOT:
        drawn = [f"{stem}: drew out/{stem}/{g}.{picture_format(name)}"
                 for g in GRAPHS.get(name, [])]
        assert stderr == drawn, (
            f"{name} wrote to stderr:\n{proc.stderr}")
    else:
        assert len(stderr) == 4 * len(GRAPHS.get(name, [])), proc.stderr
    assert files_under(cwd) == FILES.get(name, set()) | expected_graph_files(name, HAVE_DOT)
    assert all(p.stat().st_size > 0 for p in cwd.rglob("*") if p.is_file())
    assert seconds < SECONDS, f"{name} took {seconds:.1f} s with its defaults"

    if REGENERATE:
        EXPECTED_DIR.mkdir(exist_ok=True)
        check.expected_file(name).write_text(proc.stdout, encoding="utf-8")
        return
    ok, message = check.compare(name, proc.stdout)
    assert ok, message + ("\nafter a deliberate change, regenerate with DEZERO_REGEN_STEPS=1 "
                          "(see the top of this file)")


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_graph_steps_without_graphviz_say_what_to_install(name: str, tmp_path: Path) -> None:
    """With no `dot` on PATH, a drawing step prints the same lines, writes the DOT text and
    says on stderr what to install and where the text is; it does not fail."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    env = dict(check.step_env(), PATH=str(empty))
    cwd = tmp_path / "cwd"
    proc = check.run_step(name, [], cwd=cwd, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    ok, message = check.compare(name, proc.stdout)
    assert ok, message
    assert files_under(cwd) == expected_graph_files(name, have_dot=False)
    for graph in GRAPHS[name]:
        dot_file = f"out/{Path(name).stem}/{graph}.dot"
        picture = f"{graph}.{picture_format(name)}"
        assert f"{picture} not drawn: Graphviz's `dot` program is not installed" in proc.stderr
        assert f"The graph is saved as DOT text in {dot_file}" in proc.stderr
        assert "apt-get install graphviz" in proc.stderr


def test_graph_steps_write_dot_text_that_names_the_variables(tmp_path: Path) -> None:
    proc = run_step("step26.py", ["--out", str(tmp_path / "out"), "--format", "dot"],
                    tmp_path / "cwd")
    assert proc.returncode == 0, proc.stderr
    assert files_under(tmp_path / "out") == {"goldstein.dot"}
    text = (tmp_path / "out" / "goldstein.dot").read_text(encoding="utf-8")
    assert text.lstrip().startswith("digraph")
    assert text.count("->") > 38  # 38 Functions, each with at least one edge in and out


# -- steps/check.py: what `make step N=...` runs ------------------------------

def test_check_names_steps_by_number_or_file_name():
    assert check.resolve("8") == check.resolve("08") == check.resolve("step08") == "step08.py"
    assert check.resolve("steps/step08.py") == "step08.py"
    assert check.resolve("00a") == "step00a_mul_add_layers.py"
    for wrong in ["65", "00z", "", "x"]:
        with pytest.raises(ValueError, match="no step"):
            check.resolve(wrong)


def test_check_compare_reports_a_unified_diff(tmp_path: Path) -> None:
    expected = tmp_path / "step99.txt"
    expected.write_text("a = 1\nb = 2\n", encoding="utf-8")
    assert check.compare("step99.py", "a = 1\nb = 2\n", expected) == (
        True, f"step99: output matches {expected}")
    ok, message = check.compare("step99.py", "a = 1\nb = 3\n", expected)
    assert not ok
    assert message.splitlines()[0] == f"step99: output differs from {expected}:"
    assert "-b = 2" in message.splitlines() and "+b = 3" in message.splitlines()
    assert check.compare("step99.py", "", tmp_path / "missing.txt")[0] is False


def test_check_command_line_matches_and_mismatches(tmp_path: Path) -> None:
    """`python steps/check.py 1` says the output matches (exit 0); against a wrong expected
    file it prints the diff and exits 1."""
    proc = subprocess.run([sys.executable, str(STEPS_DIR / "check.py"), "1"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1] == "step01: output matches steps/expected/step01.txt"
    assert proc.stdout.splitlines()[0] == "x.data: 1.0"  # the step's own output comes first

    wrong = tmp_path / "expected"
    wrong.mkdir()
    (wrong / "step01.txt").write_text("x.data: 2.0\n", encoding="utf-8")
    check_py = str(STEPS_DIR / "check.py")
    script = ("import importlib.util, sys\n"
              f"spec = importlib.util.spec_from_file_location('c', {check_py!r})\n"
              "c = importlib.util.module_from_spec(spec); spec.loader.exec_module(c)\n"
              f"c.EXPECTED_DIR = c.Path({str(wrong)!r})\n"
              "sys.exit(c.main(['1']))\n")
    proc = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"step01: output differs from {wrong / 'step01.txt'}:" in proc.stdout
    assert "-x.data: 2.0" in proc.stdout.splitlines()
    assert "+x.data: 1.0" in proc.stdout.splitlines()

    proc = subprocess.run([sys.executable, str(STEPS_DIR / "check.py"), "65"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "no step '65'" in proc.stderr


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
    return load_by_path("dezero_tutorial_step22", STEPS_DIR / "step22.py")


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
