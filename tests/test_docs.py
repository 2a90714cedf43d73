"""The documentation site: its examples run, it builds strictly, and it covers the public API.

1. Every ```python block of docs/**/*.md runs. The blocks of one page run in order in one
   namespace, in a temporary working folder. A block may be skipped only when an HTML comment
   ``<!-- docs-test: skip reason="..." -->`` stands right before it; it is still compiled.
   A ```text block right after a python block is its expected output, compared line by line;
   a block that prints must have one.
   Pictures a page shows (``](../images/NAME)``) must be drawn by that page's own code; the
   committed copy in docs/images must exist and draw the same labels.
   ``DEZERO_UPDATE_DOCS_IMAGES=1`` copies the freshly drawn pictures into docs/images.
2. ``mkdocs build --strict`` succeeds (mandatory in CI: a missing mkdocs fails there).
3. Every public name of the public modules has a docstring and an entry on an API page.
"""
from __future__ import annotations

import ast
import contextlib
import importlib
import importlib.util
import inspect
import io
import os
import re
import subprocess
import sys
import types
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from optional import unavailable

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
IMAGES = DOCS / "images"
PAGES = sorted(DOCS.rglob("*.md"))

# A python block, and the ```text block (its expected output) that may follow it.
BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*\n"
                   r"(?:\s*\n)?(?:```text[ \t]*\n(.*?)^```[ \t]*$)?", re.S | re.M)
SKIP = re.compile(r'<!--\s*docs-test:\s*skip\s+reason="([^"]+)"\s*-->\s*\Z')
PICTURE = re.compile(r"!\[[^\]]*\]\((?:\.\./)*images/([^)\s]+)\)")
SVG = "{http://www.w3.org/2000/svg}"

# The modules whose public names make up the API (each needs a page under docs/api).
PUBLIC_MODULES = ["dezero", "dezero.functions", "dezero.functions_conv", "dezero.layers",
                  "dezero.models", "dezero.optimizers", "dezero.datasets", "dezero.dataloaders",
                  "dezero.transforms", "dezero.utils", "dezero.cuda", "dezero.gradcheck",
                  "dezero.optimizers.schedulers", "dezero.func", "dezero.onnx",
                  "dezero.distributed"]


def code_blocks(text: str) -> list[tuple[int, str, str | None, str | None]]:
    """(line of the first code line, code, skip reason or None, expected output or None) of
    each python block."""
    blocks = []
    for m in BLOCK.finditer(text):
        before = text[:m.start()]
        skip = SKIP.search(before)
        blocks.append((before.count("\n") + 2, m.group(1), skip.group(1) if skip else None,
                       m.group(2)))
    return blocks


def page_id(page: Path) -> str:
    return page.relative_to(DOCS).as_posix()


def svg_labels(data: bytes) -> list[str]:
    """The sorted texts an SVG picture draws: what the picture says, whatever the layout."""
    root = ET.fromstring(data)
    assert root.tag == SVG + "svg", "not an SVG picture"
    return sorted(t.text or "" for t in root.iter(SVG + "text"))


def test_block_parser_sees_skips_and_line_numbers():
    text = ("# T\n\n```python\nx = 1\n```\n\ntext\n\n"
            '<!-- docs-test: skip reason="needs a GPU" -->\n```python\ny = 2\n```\n'
            "```sh\nls\n```\n")
    assert code_blocks(text) == [(4, "x = 1\n", None, None), (11, "y = 2\n", "needs a GPU", None)]
    assert code_blocks('<!-- docs-test: skip reason="x" -->\n\ntext\n```python\nz\n```\n') == [
        (5, "z\n", None, None)]  # a marker counts only right before its block
    with_output = "```python\nprint(1)\n```\n\n```text\n1\n```\n```python\nq\n```\n"
    assert code_blocks(with_output) == [(2, "print(1)\n", None, "1\n"), (9, "q\n", None, None)]


def test_expected_output_is_compared(tmp_path):
    """A wrong ```text block fails the page; the right one passes."""
    page = tmp_path / "page.md"
    page.write_text("```python\nprint(6 * 7)\n```\n\n```text\n41\n```\n")
    with pytest.raises(AssertionError, match="printed"):
        run_page(page, tmp_path)
    page.write_text("```python\nprint(6 * 7)\n```\n\n```text\n42\n```\n")
    run_page(page, tmp_path)


def test_printing_block_needs_expected_output(tmp_path):
    """A block that prints but has no ```text block fails the page; with one it passes."""
    page = tmp_path / "page.md"
    page.write_text("```python\nx = 6 * 7\n```\n\n```python\nprint(x)\n```\n\nDone.\n")
    with pytest.raises(AssertionError, match=r"(?s)page\.md:6: the block printed.*42.*no ```text"):
        run_page(page, tmp_path)
    page.write_text("```python\nx = 6 * 7\n```\n\n```python\nprint(x)\n```\n\n```text\n42\n```\n")
    run_page(page, tmp_path)  # and a block that prints nothing needs no text block


def test_skipped_block_is_still_compiled(tmp_path):
    page = tmp_path / "page.md"
    marker = '<!-- docs-test: skip reason="needs a GPU" -->\n'
    page.write_text(marker + "```python\nraise SystemExit\n```\n")
    run_page(page, tmp_path)  # skipped: not run
    page.write_text(marker + "```python\nif x\n```\n")
    with pytest.raises(SyntaxError):
        run_page(page, tmp_path)


def test_pages_with_examples_are_found():
    with_code = [page_id(p) for p in PAGES if code_blocks(p.read_text(encoding="utf-8"))]
    for page in ("getting-started.md", "howto/graphs.md", "design/backward.md"):
        assert page in with_code
    assert len(with_code) >= 15


def run_page(page: Path, folder: Path) -> None:
    """Run the python blocks of ``page`` in order, in one namespace, with ``folder`` as the
    working directory; compare each printed output with its ```text block."""
    cwd = os.getcwd()
    random_state = np.random.get_state()  # pages seed NumPy's global generator; restore it
    os.chdir(folder)
    try:
        namespace: dict = {"__name__": "__main__"}
        for line, code, skip, expected in code_blocks(page.read_text(encoding="utf-8")):
            # Pad with blank lines so that tracebacks give the line number in the .md file.
            compiled = compile("\n" * (line - 1) + code, str(page), "exec")
            if skip is not None:
                continue
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed):
                exec(compiled, namespace)
            if expected is None:
                assert not printed.getvalue(), (
                    f"{page}:{line}: the block printed\n{printed.getvalue()}\nbut no ```text "
                    "block follows it: add one with the expected output right after the block "
                    "(a printed result that nothing compares is not checked)")
            else:
                got = [s.rstrip() for s in printed.getvalue().strip("\n").splitlines()]
                assert got == [s.rstrip() for s in expected.strip("\n").splitlines()], (
                    f"{page}:{line}: the block printed\n{printed.getvalue()}\n"
                    f"but the page shows\n{expected}")
    finally:
        os.chdir(cwd)
        np.random.set_state(random_state)


@pytest.mark.parametrize("page", [p for p in PAGES if "```python" in p.read_text("utf-8")],
                         ids=page_id)
def test_page_examples_run(page, tmp_path, monkeypatch):
    """Run the page's examples; check the pictures it shows are its own, valid and committed."""
    from dezero.utils import GraphvizNotFoundError
    monkeypatch.setenv("MPLBACKEND", "Agg")  # pages that plot must not open windows
    try:
        run_page(page, tmp_path)
    except GraphvizNotFoundError:
        unavailable("Graphviz's dot is not installed (apt-get install graphviz)")
    text = page.read_text(encoding="utf-8")
    for name in PICTURE.findall(text):
        drawn = tmp_path / name
        assert drawn.is_file(), (
            f"{page_id(page)} shows images/{name}, but its code does not draw it (the pictures "
            "in the docs are made by the page's own examples)")
        labels = svg_labels(drawn.read_bytes()) if name.endswith(".svg") else None
        committed = IMAGES / name
        if os.environ.get("DEZERO_UPDATE_DOCS_IMAGES"):
            from dezero.utils.render import write_atomic
            write_atomic(str(committed), drawn.read_bytes())
        assert committed.is_file(), (
            f"commit docs/images/{name}: run DEZERO_UPDATE_DOCS_IMAGES=1 "
            f"{sys.executable} -m pytest tests/test_docs.py")
        if labels is not None:
            assert svg_labels(committed.read_bytes()) == labels, (
                f"docs/images/{name} is stale: the page's code now draws other labels; refresh "
                "it with DEZERO_UPDATE_DOCS_IMAGES=1")


def test_every_committed_picture_is_shown_by_a_page():
    """docs/images holds only pictures some page shows (and so redraws and checks): a picture
    no page references any more would go stale unnoticed."""
    shown = {name for page in PAGES for name in PICTURE.findall(page.read_text(encoding="utf-8"))}
    orphans = sorted(p.name for p in IMAGES.iterdir() if p.is_file() and p.name not in shown)
    assert not orphans, f"pictures in docs/images that no page shows (delete them): {orphans}"
    assert len(shown) >= 30


def test_pages_named_by_the_steps_exist():
    """Each steps/*.py names its tutorial page ("Docs: docs/tutorial/<page>.md"); it must exist."""
    named = {}
    for script in sorted((ROOT / "steps").glob("*.py")):
        for page in re.findall(r"^Docs: (docs/\S+\.md)$", script.read_text(encoding="utf-8"), re.M):
            named.setdefault(page, []).append(script.name)
    assert len(named) >= 5
    missing = {page: scripts for page, scripts in named.items() if not (ROOT / page).is_file()}
    assert not missing, f"tutorial pages named by steps/ but not written: {missing}"


def test_skipped_blocks_are_rare_and_explained():
    skipped = [(page_id(p), line, reason) for p in PAGES
               for line, _, reason, _ in code_blocks(p.read_text(encoding="utf-8")) if reason]
    assert len(skipped) <= 3, f"too many skipped examples: {skipped}"
    assert all(len(reason) >= 10 for _, _, reason in skipped), skipped


# -- 2. the strict build -------------------------------------------------------------------


def _require(*modules: str) -> None:
    """Skip without the docs tools locally; fail in CI, where they must be installed."""
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        unavailable(f"the docs tools are not installed ({', '.join(missing)}): "
                    "pip install -e '.[docs]'")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site built by ``mkdocs build --strict`` into a temporary folder."""
    _require("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers.python")
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet",
         "-f", str(ROOT / "mkdocs.yml"), "-d", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stdout}\n{done.stderr}"
    return out


def test_strict_build_succeeds(site):
    assert (site / "index.html").is_file()
    for page in PAGES:
        html = site / page.relative_to(DOCS).with_suffix("") / "index.html"
        if page.name == "index.md":
            html = site / page.relative_to(DOCS).parent / "index.html"
        assert html.is_file(), f"{page_id(page)} was not built"


# -- 3. every public name is documented ----------------------------------------------------


def _top_level(body):
    """Module-level statements, including those inside try/if blocks."""
    for node in body:
        yield node
        if isinstance(node, ast.Try):
            for part in (node.body, node.orelse, node.finalbody, *[h.body for h in node.handlers]):
                yield from _top_level(part)
        elif isinstance(node, ast.If):
            yield from _top_level(node.body)
            yield from _top_level(node.orelse)


def public_names(module: types.ModuleType) -> list[str]:
    """The names a module exports: ``__all__`` if it has one, else what it defines (and, for a
    package's ``__init__``, what it re-exports from dezero), minus _private names and modules."""
    if hasattr(module, "__all__"):
        return list(module.__all__)
    is_package = hasattr(module, "__path__")
    names = []
    for node in _top_level(ast.parse(inspect.getsource(module)).body):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.append(node.target.id)
        elif isinstance(node, ast.ImportFrom) and is_package and (
                node.level or (node.module or "").split(".")[0] == "dezero"):
            names += [alias.asname or alias.name for alias in node.names]
    return [n for n in dict.fromkeys(names) if not n.startswith("_")
            and not isinstance(getattr(module, n, None), types.ModuleType)]


def attribute_docstring(module: types.ModuleType, name: str) -> str | None:
    """The docstring of a module-level variable: the string right after its assignment,
    followed through ``from dezero... import name`` to the module that assigns it."""
    body = list(_top_level(ast.parse(inspect.getsource(module)).body))
    for node in body:
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (
                node.module or "").split(".")[0] == "dezero":
            for alias in node.names:
                if (alias.asname or alias.name) == name:
                    return attribute_docstring(importlib.import_module(node.module), alias.name)
    for node, following in zip(body, body[1:]):
        targets = (node.targets if isinstance(node, ast.Assign)
                   else [node.target] if isinstance(node, ast.AnnAssign) else [])
        if (any(isinstance(t, ast.Name) and t.id == name for t in targets)
                and isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)):
            return following.value.value
    return None


def docstring(module: types.ModuleType, name: str) -> str | None:
    obj = getattr(module, name)
    if inspect.isclass(obj) or inspect.isroutine(obj):
        return obj.__doc__  # the object's own, not one inherited from a base class
    return attribute_docstring(module, name)


def all_public_names() -> list[tuple[str, str]]:
    return [(m, n) for m in PUBLIC_MODULES for n in public_names(importlib.import_module(m))]


def test_public_names_are_found():
    found = all_public_names()
    for expected in [("dezero", "Variable"), ("dezero.functions", "sin"),
                     ("dezero.functions_conv", "conv2d"), ("dezero.utils", "plot_dot_graph"),
                     ("dezero.cuda", "get_array_module"), ("dezero.gradcheck", "gradcheck")]:
        assert expected in found
    assert not [(m, n) for m, n in found if n.startswith("_")]
    assert ("dezero", "functions") not in found  # submodules have pages of their own
    assert len(found) > 150


def test_guard_catches_an_undocumented_name(tmp_path):
    """The docstring check fails on a public name without one (here in a throwaway package)."""
    package = tmp_path / "docguard_probe"
    package.mkdir()
    (package / "__init__.py").write_text(
        "from .impl import helper, Shown\n"
        "LIMIT = 3\n"
        '"""How many."""\n'
        "flag = True\n"
        "_hidden = 1\n")
    (package / "impl.py").write_text(
        "def helper():\n    return 1\n\n"
        'class Shown:\n    """Documented."""\n')
    spec = importlib.util.spec_from_file_location(
        "docguard_probe", package / "__init__.py", submodule_search_locations=[str(package)])
    module = importlib.util.module_from_spec(spec)
    sys.modules["docguard_probe"] = module
    try:
        spec.loader.exec_module(module)
        assert public_names(module) == ["helper", "Shown", "LIMIT", "flag"]
        assert [n for n in public_names(module) if not docstring(module, n)] == ["helper", "flag"]
    finally:
        for name in ("docguard_probe", "docguard_probe.impl"):
            sys.modules.pop(name, None)


def test_every_public_name_has_a_docstring():
    missing = [f"{m}.{n}" for m, n in all_public_names()
               if not (docstring(importlib.import_module(m), n) or "").strip()]
    assert not missing, (
        "public names without a docstring (add one; for a variable, a string literal on the "
        f"line after its assignment): {missing}")


def test_every_public_name_is_on_an_api_page(site):
    anchors = set()
    for html in (site / "api").rglob("*.html"):
        anchors.update(re.findall(r'id="(dezero[\w.]*)"', html.read_text(encoding="utf-8")))
    missing = [f"{m}.{n}" for m, n in all_public_names() if f"{m}.{n}" not in anchors]
    assert not missing, (
        "public names missing from the API reference (add a `::: module.name` line for each "
        f"to its module's page under docs/api/): {missing}")
    assert set(PUBLIC_MODULES) <= anchors  # every module has its page
