"""Run a tutorial step with its default arguments and compare its output with steps/expected/.

    .venv/bin/python steps/check.py 8        # steps/step08.py  (make step N=8 does the same)
    .venv/bin/python steps/check.py 00a      # steps/step00a_mul_add_layers.py
    .venv/bin/python steps/check.py 61       # steps/step61_dual_numbers.py
    .venv/bin/python steps/check.py all      # every step, one verdict line each

The step runs as a separate program (this Python, the repository on PYTHONPATH so
that ``import dezero`` finds the package, one BLAS thread so that the numbers and
the run time do not depend on the machine's cores), in the current folder: steps
that draw or save write into out/<step>/ as they do when run directly.  It prints
what the step printed, then either

    step08: output matches steps/expected/step08.txt

or a unified diff of the expected and the printed lines, and exits with status 1.
tests/test_steps.py runs every step through the same functions (run_step, compare).
"""
from __future__ import annotations

import difflib
import os
import subprocess
import sys
from pathlib import Path
from typing import Sequence

STEPS_DIR = Path(__file__).resolve().parent
ROOT = STEPS_DIR.parent
EXPECTED_DIR = STEPS_DIR / "expected"
# One thread for each BLAS library NumPy may use: with several processes on few cores,
# threads that wait for each other make a step many times slower, not faster.
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def step_files() -> list[str]:
    """The file names of all steps, in order: the prologue (step00a ...) first, then 01 to 60,
    then the steps beyond the book (step61_dual_numbers.py ...)."""
    return sorted(p.name for p in STEPS_DIR.glob("step*.py"))


def resolve(step: str) -> str:
    """The file name of a step given as 8, 08, 00a, step08, step08.py or steps/step08.py."""
    stem = Path(step).name.removesuffix(".py").removeprefix("step")
    if stem.isdigit():
        stem = f"{int(stem):02d}"
    matches = [name for name in step_files()
               if name == f"step{stem}.py" or name.startswith(f"step{stem}_")]
    if len(matches) != 1:
        raise ValueError(f"no step {step!r} in {STEPS_DIR} (try a number from 1 to 64, "
                         "or 00a to 00f for the prologue)")
    return matches[0]


def step_env() -> dict[str, str]:
    """The environment a step runs in: this one, plus PYTHONPATH, no plot windows, UTF-8."""
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONIOENCODING="utf-8", **ONE_THREAD)
    env["PYTHONPATH"] = os.pathsep.join(p for p in [str(ROOT), env.get("PYTHONPATH", "")] if p)
    return env


def run_step(name: str, args: Sequence[str] = (), cwd: str | os.PathLike | None = None,
             env: dict[str, str] | None = None,
             timeout: float = 120) -> subprocess.CompletedProcess:
    """Run steps/<name> with ``args`` in ``cwd`` (default: the current folder); return the
    finished process, its stdout and stderr captured as text."""
    if cwd is not None:
        Path(cwd).mkdir(parents=True, exist_ok=True)
    return subprocess.run([sys.executable, str(STEPS_DIR / name), *args], cwd=cwd,
                          env=step_env() if env is None else env, capture_output=True,
                          text=True, encoding="utf-8", timeout=timeout)


def expected_file(name: str) -> Path:
    """steps/expected/<stem>.txt: what steps/<name> prints with its default arguments."""
    return EXPECTED_DIR / (Path(name).stem + ".txt")


def compare(name: str, stdout: str, expected: Path | None = None) -> tuple[bool, str]:
    """(True, "<step>: output matches ...") when ``stdout`` has exactly the lines of the
    expected file, else (False, a message with the unified diff, expected -> printed)."""
    expected = expected_file(name) if expected is None else expected
    stem = Path(name).stem.split("_")[0]
    try:
        shown = expected.relative_to(ROOT).as_posix()
    except ValueError:
        shown = str(expected)
    if not expected.exists():
        return False, f"{stem}: there is no {shown} to compare with"
    want = expected.read_text(encoding="utf-8").splitlines()
    got = stdout.splitlines()
    if got == want:
        return True, f"{stem}: output matches {shown}"
    diff = difflib.unified_diff(want, got, fromfile=shown, tofile=f"output of steps/{name}",
                                lineterm="")
    return False, f"{stem}: output differs from {shown}:\n" + "\n".join(diff)


def check(name: str, echo: bool = True) -> bool:
    """Run one step in the current folder, print its output (when ``echo``) and the verdict."""
    proc = run_step(name, timeout=None)
    if echo:
        sys.stdout.write(proc.stdout)
        sys.stderr.write(proc.stderr)
        sys.stderr.flush()
    if proc.returncode != 0:
        if not echo:
            sys.stderr.write(proc.stderr)
        print(f"{Path(name).stem.split('_')[0]}: steps/{name} failed (exit status "
              f"{proc.returncode})")
        return False
    ok, message = compare(name, proc.stdout)
    print(message)
    return ok


def main(argv: Sequence[str] | None = None) -> int:
    """Check the steps named on the command line ('all' for every step); 0 if all match."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else 2
    try:
        names = step_files() if argv == ["all"] else [resolve(a) for a in argv]
    except ValueError as error:
        print(f"check.py: {error}", file=sys.stderr)
        return 2
    results = [check(name, echo=argv != ["all"]) for name in names]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
