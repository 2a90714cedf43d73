"""Generate the tutorial's Jupyter notebooks from its pages: one source of truth.

Each page docs/tutorial/NN-*.md (every page there but index.md, whatever pages exist) becomes
notebooks/NN-*.ipynb, without outputs:

- its prose becomes markdown cells; links to other pages are rewritten so that they work from
  notebooks/ (a tutorial page's link goes to its notebook, any other to the file under docs/);
  ``!!! kind "Title"`` / ``??? kind "Title"`` admonitions become block quotes;
- each ```python block becomes a code cell, in order. A block marked
  ``<!-- docs-test: skip reason="..." -->`` (which tests/test_docs.py compiles but does not run,
  e.g. one that needs a GPU) is kept, tagged ``skip-execution`` (nbclient and the tests skip it;
  a reader may still run it) and introduced by its reason;
- the ```text block that shows a python block's expected output is dropped: the notebook shows
  the real output when it runs;
- a picture ``![alt](../images/NAME)`` is drawn by the page's own code (tests/test_docs.py
  checks that). When the code cell before it ends with ``plot_dot_graph(..., to_file="NAME")``
  that call's GraphPicture shows inline; otherwise a cell that displays the file NAME follows.
  Either cell carries ``metadata.dezero.picture = NAME``, and the alt text stays as a caption.

The output is deterministic (sorted pages, cell ids made of the page name and an index, JSON as
nbformat writes it), so regenerating unchanged pages gives byte-identical files; notebooks/README.md
lists them. Needs only the standard library.

    python notebooks/make_notebooks.py            # (re)write notebooks/ (what `make notebooks` runs)
    python notebooks/make_notebooks.py --check    # exit 1 and name the stale files if any
    python notebooks/make_notebooks.py --out DIR  # write into DIR instead
"""
from __future__ import annotations

import argparse
import ast
import json
import posixpath
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES_DIR = "docs/tutorial"  # relative to the repository root, POSIX style
OUT_DIR = "notebooks"
GENERATOR = "notebooks/make_notebooks.py"

FENCE = re.compile(r"^```\s*([\w+-]*)[^\n]*$")
SKIP = re.compile(r'<!--\s*docs-test:\s*skip\s+reason="([^"]+)"\s*-->\s*\Z')
PICTURE = re.compile(r"!\[([^\]]*)\]\((?:\.\./)*images/([^)\s]+)\)(\{[^}\n]*\})?")
LINK = re.compile(r"(?<!!)\[([^\]]*)\]\(([^)\s]+)\)")
ADMONITION = re.compile(r'^(?:!!!|\?\?\?\+?)\s+([\w-]+)(?:\s+"([^"]*)")?\s*$')
DISPLAY = {".svg": "SVG", ".png": "Image", ".jpg": "Image", ".jpeg": "Image", ".gif": "Image"}
MIME = {".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg",
        ".jpeg": "image/jpeg", ".gif": "image/gif"}


def tutorial_pages(root: Path = ROOT) -> list[Path]:
    """The pages that get a notebook: docs/tutorial/*.md but the index, sorted by name."""
    return sorted(p for p in (root / PAGES_DIR).glob("*.md") if p.name != "index.md")


# -- reading a page ------------------------------------------------------------------------


def parse(text: str) -> list[tuple]:
    """The page as a list of parts, in order:
    ("prose", text)                  markdown (fences other than python included, verbatim);
    ("code", source, skip reason)    a ```python block, skip reason None unless marked;
    ("picture", alt, NAME)           a picture of docs/images/NAME.
    A ```text block right after a python block (its expected output) is left out."""
    parts: list[tuple] = []
    prose: list[str] = []

    def flush() -> None:
        if prose:
            parts.extend(split_pictures("".join(prose)))
            prose.clear()

    lines = text.splitlines(keepends=True)
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i].rstrip("\n"))
        if not m:
            prose.append(lines[i])
            i += 1
            continue
        end = i + 1
        while end < len(lines) and lines[end].rstrip() != "```":
            end += 1
        body = "".join(lines[i + 1:end])
        if m.group(1) != "python":
            prose.extend(lines[i:end + 1])  # another fence (sh, text...): shown, not run
            i = end + 1
            continue
        before = "".join(prose)
        skip = SKIP.search(before)
        if skip:
            prose[:] = [before[:skip.start()]]
        flush()
        parts.append(("code", body, skip.group(1) if skip else None))
        i = end + 1
        j = i
        while j < len(lines) and not lines[j].strip():
            j += 1
        m = FENCE.match(lines[j].rstrip("\n")) if j < len(lines) else None
        if m and m.group(1) == "text":  # the expected output: the notebook shows the real one
            i = j + 1
            while i < len(lines) and lines[i].rstrip() != "```":
                i += 1
            i += 1
    flush()
    return parts


def split_pictures(prose: str) -> list[tuple]:
    """Prose cut at its pictures, outside fenced blocks."""
    parts: list[tuple] = []
    pos = 0
    fenced = fenced_spans(prose)
    for m in PICTURE.finditer(prose):
        if any(a <= m.start() < b for a, b in fenced):
            continue
        parts.append(("prose", prose[pos:m.start()]))
        parts.append(("picture", m.group(1), m.group(2)))
        pos = m.end()
    parts.append(("prose", prose[pos:]))
    return parts


def fenced_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the fenced blocks in ``text``."""
    spans, start, pos = [], None, 0
    for line in text.splitlines(keepends=True):
        if start is None and FENCE.match(line.rstrip("\n")):
            start = pos
        elif start is not None and line.rstrip() == "```":
            spans.append((start, pos + len(line)))
            start = None
        pos += len(line)
    if start is not None:
        spans.append((start, len(text)))
    return spans


# -- writing a notebook --------------------------------------------------------------------


def rewrite_prose(prose: str, page: str, notebooks: dict[str, str]) -> str:
    """Prose as a notebook shows it: links that work from notebooks/, admonitions as quotes,
    no docs-test markers; fenced blocks are left as they are."""
    out, pos = [], 0
    for a, b in fenced_spans(prose):
        out.append(_rewrite_text(prose[pos:a], page, notebooks))
        out.append(prose[a:b])
        pos = b
    out.append(_rewrite_text(prose[pos:], page, notebooks))
    return "".join(out).strip("\n")


def _rewrite_text(text: str, page: str, notebooks: dict[str, str]) -> str:
    text = re.sub(r"<!--\s*docs-test:.*?-->[ \t]*\n?", "", text, flags=re.S)

    def link(m: re.Match) -> str:
        target = m.group(2)
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith(("#", "/")):
            return m.group(0)  # a URL, an anchor on the same page, or an absolute path
        path, _, anchor = target.partition("#")
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(page), path))
        if resolved in notebooks:
            new = notebooks[resolved]
        else:
            new = posixpath.relpath(resolved, OUT_DIR) + ("/" if path.endswith("/") else "")
        return f"[{m.group(1)}]({new}{'#' + anchor if anchor else ''})"

    return admonitions_as_quotes(LINK.sub(link, text))


def admonitions_as_quotes(text: str) -> str:
    """``!!! note "Title"`` (or ``???``) and its indented body, as a block quote that Jupyter
    renders."""
    lines = text.split("\n")
    out, i = [], 0
    while i < len(lines):
        m = ADMONITION.match(lines[i])
        if not m:
            out.append(lines[i])
            i += 1
            continue
        out.append(f"> **{m.group(2) or m.group(1).capitalize()}**")
        i += 1
        body = []
        while i < len(lines) and (lines[i].startswith("    ") or not lines[i].strip()):
            body.append(lines[i][4:])
            i += 1
        while body and not body[-1].strip():
            body.pop()
            i -= 1  # leave the blank lines after the body to the prose
        out.append(">")
        out.extend(f"> {b}".rstrip() for b in body)
    return "\n".join(out)


def trailing_picture(source: str) -> tuple[str, int, int] | None:
    """When ``source``'s last statement is ``plot_dot_graph(..., to_file="...NAME")``, whose
    GraphPicture Jupyter shows inline: (NAME, line, column where the call ends); else None."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return None
    if not body or not isinstance(body[-1], ast.Expr) or not isinstance(body[-1].value, ast.Call):
        return None
    call = body[-1].value
    func = call.func
    called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    if called != "plot_dot_graph":
        return None
    to_file = next((k.value for k in call.keywords if k.arg == "to_file"),
                   call.args[2] if len(call.args) > 2 else None)
    if not (isinstance(to_file, ast.Constant) and isinstance(to_file.value, str)):
        return None
    return posixpath.basename(to_file.value), call.end_lineno, call.end_col_offset


def quiet(source: str, line: int, column: int) -> str:
    """``source`` with a ';' after the expression that ends at (line, column): IPython then
    shows nothing for it."""
    lines = source.split("\n")
    text = lines[line - 1].encode("utf-8")  # ast's columns count UTF-8 bytes
    lines[line - 1] = (text[:column] + b";" + text[column:]).decode("utf-8")
    return "\n".join(lines)


def lines_of(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def notebook(page: Path, root: Path = ROOT, notebooks: dict[str, str] | None = None) -> dict:
    """The notebook (a JSON-able dict, nbformat 4.5) of one tutorial page."""
    rel = page.relative_to(root).as_posix()
    if notebooks is None:
        notebooks = {p.relative_to(root).as_posix(): p.stem + ".ipynb"
                     for p in tutorial_pages(root)}
    stem = re.sub(r"[^A-Za-z0-9_-]", "-", page.stem)[:56]
    cells: list[dict] = []

    def add(kind: str, source: str, metadata: dict | None = None) -> None:
        cell = {"cell_type": kind, "id": f"{stem}-{len(cells):03d}",
                "metadata": metadata or {}, "source": lines_of(source)}
        if kind == "code":
            cell.update(execution_count=None, outputs=[])
        cells.append(cell)

    add("markdown", f"*Generated from [{rel}]({posixpath.relpath(rel, OUT_DIR)}) by "
                    f"`make notebooks` ({GENERATOR}): edit the page, not this notebook. Run it "
                    "with the Python of the repository's `.venv` (`make test` installs "
                    "Jupyter's kernel there); the pictures need Graphviz's `dot`.*")
    parts = parse(page.read_text(encoding="utf-8"))
    inline = None  # the picture the last code cell shows itself
    for k, part in enumerate(parts):
        if part[0] == "prose":
            text = rewrite_prose(part[1], rel, notebooks)
            if text.strip():
                add("markdown", text)
        elif part[0] == "code":
            _, source, skip = part
            source = source.rstrip("\n")
            metadata: dict = {}
            if skip is not None:
                add("markdown", f"*Not run when the notebooks are tested: {skip}.*")
                metadata["tags"] = ["skip-execution"]
            following = []  # the pictures shown after this block, before the next one
            for later in parts[k + 1:]:
                if later[0] == "code":
                    break
                if later[0] == "picture":
                    following.append(later[2])
            trailing = trailing_picture(source)
            if trailing and following and following[0] == trailing[0]:
                metadata["dezero"] = {"picture": trailing[0]}  # its GraphPicture shows it
                inline = trailing[0]
            else:
                inline = None
                if trailing and trailing[0] in following:  # shown later, in the page's order
                    source = quiet(source, trailing[1], trailing[2])
            add("code", source, metadata)
        else:
            _, alt, name = part
            if name == inline:
                inline = None  # the code cell above shows it
            else:
                kind = DISPLAY.get(posixpath.splitext(name)[1].lower(), "Image")
                add("code", f"from IPython.display import {kind}\n\n{kind}(filename={name!r})",
                    {"dezero": {"picture": name}})
            caption = re.sub(r"([*_`\\])", r"\\\1", alt.strip())
            if caption:
                add("markdown", f"*{caption}*")
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                           "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def dumps(nb: dict) -> str:
    """JSON text as nbformat.write gives it, so that Jupyter rewrites the same bytes."""
    return json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def title(page: Path) -> str:
    m = re.search(r"^# (.+)$", page.read_text(encoding="utf-8"), re.M)
    return m.group(1).strip() if m else page.stem


def build(root: Path = ROOT) -> dict[str, bytes]:
    """Every generated file of notebooks/: name -> bytes."""
    pages = tutorial_pages(root)
    notebooks = {p.relative_to(root).as_posix(): p.stem + ".ipynb" for p in pages}
    files = {p.stem + ".ipynb": dumps(notebook(p, root, notebooks)).encode("utf-8")
             for p in pages}
    rows = "".join(f"| [{title(p)}]({p.stem}.ipynb) | [{p.name}](../{PAGES_DIR}/{p.name}) |\n"
                   for p in pages)
    files["README.md"] = (
        "# Tutorial notebooks\n\n"
        f"Generated from the tutorial pages in `{PAGES_DIR}/` by `make notebooks` "
        f"(`{GENERATOR}`); do not edit them by hand: edit the page and regenerate. "
        "`tests/test_notebooks.py` checks that they are up to date and runs each of them.\n\n"
        "Open them with Jupyter using the Python of `.venv` (`make test` installs `ipykernel` "
        "there), e.g. `.venv/bin/pip install jupyterlab` then `.venv/bin/jupyter lab notebooks/`. "
        "The graph pictures show inline; they need Graphviz's `dot` (`apt-get install "
        "graphviz`). Files the notebooks write stay beside them, ignored by git.\n\n"
        "| Notebook | Page |\n| --- | --- |\n" + rows).encode("utf-8")
    return files


def stale(files: dict[str, bytes], out: Path) -> list[str]:
    """The names in ``out`` that differ from ``files``, are missing, or are left over."""
    names = sorted(n for n, data in files.items()
                   if not (out / n).is_file() or (out / n).read_bytes() != data)
    extra = sorted(p.name for p in out.glob("*.ipynb") if p.name not in files)
    return names + extra


def write(files: dict[str, bytes], out: Path) -> list[str]:
    """Write ``files`` into ``out`` (only those that changed) and remove left-over notebooks;
    the names touched."""
    touched = stale(files, out)
    out.mkdir(parents=True, exist_ok=True)
    for name in touched:
        if name in files:
            (out / name).write_bytes(files[name])
        else:
            (out / name).unlink()
    return touched


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / OUT_DIR, help="folder to write")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if the folder is not up to date")
    args = parser.parse_args(argv)
    files = build()
    if args.check:
        names = stale(files, args.out)
        if names:
            print(f"stale in {args.out}: {', '.join(names)} -- run `make notebooks`",
                  file=sys.stderr)
            return 1
        print(f"{args.out}: {len(files)} files up to date")
        return 0
    touched = write(files, args.out)
    print(f"{args.out}: {len(files)} files, {len(touched)} written or removed"
          + (f" ({', '.join(touched)})" if touched else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
