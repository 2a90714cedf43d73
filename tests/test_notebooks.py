"""The tutorial notebooks: generated from the pages, committed up to date, and they run.

notebooks/*.ipynb are made from docs/tutorial/*.md by notebooks/make_notebooks.py (``make notebooks``):
one source of truth. These tests check that

1. the committed notebooks/ is exactly what the generator makes from the pages now (a page
   edited without ``make notebooks`` fails here), that generating twice gives the same bytes,
   and that the notebooks are valid nbformat 4.5 that Jupyter would save unchanged;
2. the conversion keeps prose and code in order, drops the expected-output blocks, tags the
   skipped blocks, shows each picture (inline from plot_dot_graph, or from its file) and
   rewrites links;
3. every notebook runs with nbclient on the ``python3`` kernel of this environment (ipykernel in
   .venv), one test per notebook (pytest-xdist runs them in parallel), in a temporary working
   folder with MPLBACKEND=Agg and a per-cell timeout: no cell fails, and each cell that shows
   a picture outputs it (image/svg+xml for an SVG). Without nbclient/ipykernel, or without
   Graphviz for a notebook that draws, these skip locally and fail in CI.
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from optional import require, require_program

ROOT = Path(__file__).resolve().parent.parent
GENERATOR = ROOT / "notebooks" / "make_notebooks.py"
NOTEBOOKS = ROOT / "notebooks"
CELL_TIMEOUT = 120  # seconds for one cell; a whole notebook takes a few seconds


def load_generator():
    spec = importlib.util.spec_from_file_location("make_notebooks", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen = load_generator()
PAGES = gen.tutorial_pages()


# -- 1. up to date, deterministic, valid ----------------------------------------------------


def test_every_tutorial_page_has_a_notebook():
    assert len(PAGES) >= 11
    names = [p.stem + ".ipynb" for p in PAGES]
    assert set(names) | {"README.md"} == set(gen.build())


def test_committed_notebooks_are_up_to_date():
    stale = gen.stale(gen.build(), NOTEBOOKS)
    assert not stale, (
        f"notebooks/ is not what the tutorial pages make now ({', '.join(stale)}): run "
        "`make notebooks` and commit notebooks/ (never edit the notebooks by hand)")


def test_generation_is_deterministic(tmp_path):
    """The command writes the same bytes as the module, run after run."""
    first = gen.build()
    assert gen.build() == first
    done = subprocess.run([sys.executable, str(GENERATOR), "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == first
    check = subprocess.run([sys.executable, str(GENERATOR), "--out", str(tmp_path), "--check"],
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stderr
    (tmp_path / "01-by-hand.ipynb").write_text("{}")
    (tmp_path / "99-gone.ipynb").write_text("{}")
    check = subprocess.run([sys.executable, str(GENERATOR), "--out", str(tmp_path), "--check"],
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 1 and "01-by-hand.ipynb, 99-gone.ipynb" in check.stderr


@pytest.mark.parametrize("name", [p.stem + ".ipynb" for p in PAGES])
def test_notebook_is_valid(name):
    nbformat = require("nbformat")
    data = gen.build()[name].decode("utf-8")
    nb = nbformat.reads(data, as_version=4)
    nbformat.validate(nb)
    assert (nb.nbformat, nb.nbformat_minor) == (4, 5)  # cell ids
    assert nbformat.writes(nb) + "\n" == data  # Jupyter saves it unchanged
    assert all(not c.get("outputs") and c.get("execution_count") is None
               for c in nb.cells if c.cell_type == "code")


# -- 2. the conversion ----------------------------------------------------------------------


PAGE = '''# 1. A page

Some prose, a [link to part 2](02-next.md#a-heading), to a [how-to](../howto/x.md) and to
[the web](https://example.org).

```python
x = 6 * 7
print(x)
```

```text
42
```

!!! note "Remember"
    Indented *admonition* text.

```python
from dezero.utils import plot_dot_graph
plot_dot_graph(y, to_file="one.svg")  # shown inline
```

![The first picture, x ** 2](../images/one.svg)

```python
plot_dot_graph(y, to_file="two.svg")
plot_dot_graph(y, to_file="three.svg")  # shown after two.svg
```

![Two](../images/two.svg)
![Three](../images/three.svg)

<!-- docs-test: skip reason="needs a GPU and CuPy" -->
```python
import cupy
```

```sh
make step N=1
```
'''


def convert(tmp_path) -> list[dict]:
    pages = tmp_path / "docs" / "tutorial"
    pages.mkdir(parents=True)
    (pages / "01-page.md").write_text(PAGE, encoding="utf-8")
    (pages / "02-next.md").write_text("# 2. Next\n", encoding="utf-8")
    (pages / "index.md").write_text("# Index\n", encoding="utf-8")
    files = gen.build(tmp_path)
    assert sorted(files) == ["01-page.ipynb", "02-next.ipynb", "README.md"]
    return json.loads(files["01-page.ipynb"])["cells"]


def test_conversion(tmp_path):
    cells = convert(tmp_path)
    kinds = [c["cell_type"] for c in cells]
    sources = ["".join(c["source"]) for c in cells]
    assert [c["id"] for c in cells] == [f"01-page-{i:03d}" for i in range(len(cells))]
    assert "01-page.md" in sources[0] and "edit the page" in sources[0]  # where it comes from
    # prose, with links that work from notebooks/
    assert sources[1].startswith("# 1. A page")
    assert "[link to part 2](02-next.ipynb#a-heading)" in sources[1]
    assert "[how-to](../docs/howto/x.md)" in sources[1]
    assert "[the web](https://example.org)" in sources[1]
    # the code, without the ```text block
    assert (kinds[2], sources[2]) == ("code", "x = 6 * 7\nprint(x)")
    assert "42" not in "".join(sources[3:])
    assert sources[3] == "> **Remember**\n>\n> Indented *admonition* text."
    # a cell that ends with plot_dot_graph shows its picture itself; the alt text is a caption
    assert cells[4]["metadata"] == {"dezero": {"picture": "one.svg"}}
    assert sources[5] == r"*The first picture, x \*\* 2*"
    # a picture not shown last: the call is quietened and each picture displayed in order
    assert sources[6].endswith('plot_dot_graph(y, to_file="three.svg");  # shown after two.svg')
    assert cells[6]["metadata"] == {}
    for cell, name in [(cells[7], "two.svg"), (cells[9], "three.svg")]:
        assert cell["metadata"] == {"dezero": {"picture": name}}
        assert "".join(cell["source"]) == (
            f"from IPython.display import SVG\n\nSVG(filename='{name}')")
    assert sources[8] == "*Two*" and sources[10] == "*Three*"
    # a skipped block is kept, tagged and explained; the marker itself is gone
    assert "needs a GPU and CuPy" in sources[11] and "docs-test" not in "".join(sources)
    assert (sources[12], cells[12]["metadata"]) == ("import cupy", {"tags": ["skip-execution"]})
    assert sources[13] == "```sh\nmake step N=1\n```"
    assert len(cells) == 14


# -- 3. every notebook runs -----------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_notebook_runs(page, tmp_path, monkeypatch):
    nbformat = require("nbformat")
    nbclient = require("nbclient")
    require("ipykernel")
    nb = nbformat.reads(gen.build()[page.stem + ".ipynb"].decode("utf-8"), as_version=4)
    pictures = {c.id: c.metadata.dezero.picture for c in nb.cells if "dezero" in c.metadata}
    if pictures:
        require_program("dot", "apt-get install graphviz")
    monkeypatch.setenv("MPLBACKEND", "Agg")  # inherited by the kernel: no windows
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    # This environment's kernelspec first, before any user-wide "python3" of another Python.
    monkeypatch.setenv("JUPYTER_PATH", os.path.join(sys.prefix, "share", "jupyter"))
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    # First, which Python the kernel runs: that of this environment, where dezero is installed.
    probe = nbformat.v4.new_code_cell("import sys; print(sys.prefix, end='')", id="probe")
    nb.cells.insert(0, probe)
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=CELL_TIMEOUT,
                                     resources={"metadata": {"path": str(tmp_path)}})
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as error:
        pytest.fail(f"notebooks/{page.stem}.ipynb (from {page.relative_to(ROOT)}): a cell "
                    f"failed:\n{error}", pytrace=False)
    assert nb.cells[0].outputs[0].text == sys.prefix, "the kernel is not this environment's"
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        skipped = "skip-execution" in cell.metadata.get("tags", [])
        assert (cell.execution_count is None) == skipped, cell.id
        assert not [o for o in cell.outputs if o.output_type == "error"], cell.id
        if cell.id in pictures:
            name = pictures[cell.id]
            mime = gen.MIME.get(os.path.splitext(name)[1].lower(), "image/png")
            shown = [o for o in cell.outputs
                     if o.output_type in ("display_data", "execute_result") and mime in o.data]
            assert len(shown) == 1, (
                f"cell {cell.id} of notebooks/{page.stem}.ipynb should show {name} as {mime}; "
                f"it output {[dict(o) for o in cell.outputs]}")
            assert (tmp_path / name).is_file()
