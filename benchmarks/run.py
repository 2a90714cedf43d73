"""Run the benchmarks and print one table: figures, floors and ratios.

Usage (from the repository root)::

    python benchmarks/run.py               # every benchmarks/bench_*.py
    python benchmarks/run.py core dot      # only bench_core.py and bench_dot.py
    python benchmarks/run.py --quick       # small sizes: a smoke run in seconds
    python benchmarks/run.py --json out.json   # also write the rows as JSON

Each ``bench_<name>.py`` defines ``run(quick: bool = False) -> list[dict]``
returning rows ``{name, value, unit, baseline?, ratio?, ok?, note?}``; ``baseline``
is the floor's figure measured in the same run, ``ratio`` is value / baseline and
``ok`` says whether the row's result agreed with its reference (absent: not
checked).  The exit status is 1 when a benchmark raised or any row has ``ok``
False: a figure measured on a wrong result is no figure.
Modules are loaded from their files, so nothing needs to be on ``sys.path``.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent
COLUMNS = ("benchmark", "value", "unit", "floor", "ratio", "check", "note")


def load_module(path: Path, name: str) -> ModuleType:
    """Import the file ``path`` as module ``name`` (registered in ``sys.modules``)."""
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"run.py: cannot load {path} as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def discover(folder: Path = HERE) -> dict[str, Path]:
    """{short name: path} of every ``bench_<short name>.py`` in ``folder``, sorted by name."""
    return {p.stem[len("bench_"):]: p for p in sorted(folder.glob("bench_*.py"))}


def select(available: dict[str, Path], wanted: list[str]) -> dict[str, Path]:
    """The benchmarks named in ``wanted`` ("core" or "bench_core"); all when it is empty."""
    if not wanted:
        return available
    chosen = {}
    for name in wanted:
        short = name[len("bench_"):] if name.startswith("bench_") else name
        short = short[:-3] if short.endswith(".py") else short
        if short not in available:
            known = ", ".join(available) or "none"
            raise SystemExit(f"run.py: no benchmark named {name!r}; available: {known}")
        chosen[short] = available[short]
    return chosen


def _fmt(value: object) -> str:
    """A figure with about four significant digits; '' for missing values."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        if math.isinf(value):
            return "inf"
        if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-3):
            return f"{value:.3e}"
        return f"{value:.4g}" if abs(value) < 1e4 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _check_cell(result_row: dict) -> str:
    """'ok' or 'WRONG' for a row whose result was checked; '' for one that was not."""
    if "ok" not in result_row:
        return ""
    return "ok" if result_row["ok"] else "WRONG"


def wrong_rows(rows: list[dict]) -> list[dict]:
    """The rows whose result was checked and disagreed with its reference (``ok`` False)."""
    return [r for r in rows if r.get("ok") is False]


def format_table(rows: list[dict]) -> str:
    """Rows as an aligned text table; numbers right-aligned, text left-aligned."""
    cells = [COLUMNS] + [
        (r["name"], _fmt(r["value"]), r["unit"], _fmt(r.get("baseline")),
         _fmt(r["ratio"]) + "×" if r.get("ratio") is not None else "", _check_cell(r),
         r.get("note") or "")
        for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(COLUMNS))]
    right = {1, 3, 4}
    lines = []
    for k, c in enumerate(cells):
        parts = [c[i].rjust(widths[i]) if i in right and k else c[i].ljust(widths[i])
                 for i in range(len(COLUMNS))]
        lines.append("  ".join(parts).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _write_json(path: Path, rows: list[dict]) -> None:
    """Write ``rows`` to ``path`` atomically (a temp file in the same folder, then replace)."""
    path = path.resolve()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(rows, f, indent=1, default=str, allow_nan=True)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def main(argv: list[str] | None = None) -> int:
    """Run the selected benchmarks, print the table; exit status 1 if one of them raised or
    any row reports a wrong result."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="benchmarks to run (core, dot, nn ...); all by default")
    parser.add_argument("--quick", action="store_true", help="small sizes for a fast smoke run")
    parser.add_argument("--json", type=Path, help="also write the rows to this JSON file")
    args = parser.parse_args(argv)

    chosen = select(discover(), args.names)
    load_module(HERE / "common.py", "common")
    all_rows: list[dict] = []
    failed = False
    for short, path in chosen.items():
        start = time.perf_counter()
        try:
            rows = load_module(path, path.stem).run(quick=args.quick)
        except Exception as e:  # report it and go on with the other benchmarks
            failed = True
            traceback.print_exc()
            print(f"run.py: benchmark {short} failed: {type(e).__name__}: {e}", file=sys.stderr)
            continue
        for r in rows:
            r["name"] = f"{short}: {r['name']}"
        all_rows += rows
        print(f"[{short}: {len(rows)} rows in {time.perf_counter() - start:.1f} s]",
              file=sys.stderr, flush=True)
    print(format_table(all_rows))
    if args.json is not None:
        _write_json(args.json, all_rows)
    wrong = wrong_rows(all_rows)
    for r in wrong:
        print(f"run.py: wrong result in {r['name']}: {r.get('note') or 'no note'}",
              file=sys.stderr)
    return 1 if failed or wrong else 0


if __name__ == "__main__":
    sys.exit(main())
