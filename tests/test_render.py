"""plot_dot_graph: pictures through Graphviz (the graphviz package or the dot program)."""
import os
import re
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from optional import require

import dezero.functions as F
from dezero import Variable
from dezero.utils import GraphvizNotFoundError, get_dot_graph, plot_dot_graph
from dezero.utils.render import render_dot

SVG_TEXT = "{http://www.w3.org/2000/svg}text"


@pytest.fixture(params=["graphviz-package", "dot-subprocess"])
def backend(request, monkeypatch, dot_program):
    """Each test runs through the graphviz package and, with it forced off, through dot itself."""
    if request.param == "graphviz-package":
        require("graphviz")
    else:
        monkeypatch.setitem(sys.modules, "graphviz", None)  # makes `import graphviz` fail
    return request.param


@pytest.fixture
def no_graphviz(monkeypatch, tmp_path):
    """A PATH without dot, and the graphviz package forced off."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setitem(sys.modules, "graphviz", None)


def small_graph(name="y"):
    x = Variable(np.array([1.0, 2.0], dtype=np.float32), name="x")
    y = F.tanh(x) * 2.0
    y.name = name
    return y


def png_size(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("extension", ["png", "svg", "pdf"])
def test_formats_have_valid_headers(tmp_path, backend, extension):
    target = tmp_path / f"graph.{extension}"
    picture = plot_dot_graph(small_graph(), to_file=str(target))
    data = target.read_bytes()
    assert picture.path == str(target) and picture.data == data and picture.format == extension
    assert 500 < len(data) < 2_000_000
    if extension == "png":
        width, height = png_size(data)
        assert 50 < width < 2000 and 100 < height < 2000
    elif extension == "svg":
        texts = [t.text for t in ET.fromstring(data).iter(SVG_TEXT)]
        assert "Tanh" in texts and "y" in texts
    else:
        assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert os.listdir(tmp_path) == [target.name]  # no temporary file left behind


def test_space_in_path_and_missing_folders(tmp_path, backend):
    target = tmp_path / "my graphs" / "new folder" / "a graph (1).png"
    picture = plot_dot_graph(small_graph(), to_file=target)
    png_size(target.read_bytes())
    assert os.fspath(picture) == str(target)


def test_dot_extension_needs_no_graphviz(tmp_path, no_graphviz):
    y = small_graph()
    picture = plot_dot_graph(y, verbose=False, to_file=tmp_path / "g.dot", rankdir="LR")
    text = (tmp_path / "g.dot").read_text()
    assert text == get_dot_graph(y, verbose=False, rankdir="LR") == picture.source
    assert picture._repr_mimebundle_()["text/vnd.graphviz"] == text


@pytest.mark.parametrize("package", [True, False])
def test_missing_dot_saves_the_text_and_says_how_to_install(tmp_path, monkeypatch, package):
    if package:
        require("graphviz")  # the package is there, the program is not
    else:
        monkeypatch.setitem(sys.modules, "graphviz", None)
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    target = tmp_path / "out dir" / "graph.png"
    target.parent.mkdir()
    target.write_bytes(b"old picture")
    y = small_graph()
    with pytest.raises(GraphvizNotFoundError) as caught:
        plot_dot_graph(y, to_file=target)
    message = str(caught.value)
    saved = tmp_path / "out dir" / "graph.dot"
    assert isinstance(caught.value, RuntimeError) and caught.value.dot_file == str(saved)
    for needed in ("Graphviz", "apt-get install graphviz", "brew install graphviz",
                   "conda install", "winget install graphviz", str(saved)):
        assert needed in message
    assert saved.read_text() == get_dot_graph(y)
    assert target.read_bytes() == b"old picture"  # the old file is kept untouched
    assert sorted(os.listdir(target.parent)) == ["graph.dot", "graph.png"]


def test_import_dezero_loads_no_graphviz():
    code = "import sys, dezero.utils; print('graphviz' in sys.modules, 'IPython' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True)
    assert done.stdout.split() == [b"False", b"False"]


def test_unknown_extension_writes_nothing(tmp_path):
    for name in ("graph.bmpx", "graph"):
        with pytest.raises(ValueError, match=r"plot_dot_graph: cannot tell the format.*\.png"):
            plot_dot_graph(small_graph(), to_file=tmp_path / name)
    assert os.listdir(tmp_path) == []


def test_graphviz_errors_are_reported(backend):
    with pytest.raises(RuntimeError, match="dot failed.*syntax error"):
        render_dot("digraph g { a -> }", "svg")


def test_jupyter_display_and_script_repr(tmp_path, backend):
    svg = plot_dot_graph(small_graph(), to_file=tmp_path / "g.svg")
    bundle = svg._repr_mimebundle_()
    assert bundle["image/svg+xml"] == svg._repr_svg_() == (tmp_path / "g.svg").read_text()
    assert svg._repr_png_() is None
    png = plot_dot_graph(small_graph(), to_file=tmp_path / "g.png")
    assert png._repr_mimebundle_()["image/png"] == png._repr_png_() == png.data
    assert re.fullmatch(r"GraphPicture\(path='.*g\.png', format='png', size=\d+ bytes\)",
                        repr(png))
    assert png.source == get_dot_graph(small_graph())
    pdf = plot_dot_graph(small_graph(), to_file=tmp_path / "g.pdf")
    assert pdf._repr_mimebundle_()["application/pdf"].startswith(b"%PDF-")


def test_concurrent_plots_do_not_mix(tmp_path, backend):
    """Several renders at once into one folder: each file holds its own graph."""
    names = [f"graph{i}" for i in range(8)]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda n: plot_dot_graph(small_graph(n), to_file=tmp_path / f"{n}.svg"),
                      names))
    for n in names:
        texts = [t.text for t in ET.fromstring((tmp_path / f"{n}.svg").read_bytes()).iter(SVG_TEXT)]
        assert n in texts and not set(names).difference({n}).intersection(texts)
    assert sorted(os.listdir(tmp_path)) == sorted(f"{n}.svg" for n in names)


# -- any Unicode name is drawn as written ---------------------------------------------------------
NAMES = ["x😀", "𝑥₁", "é\u0301", "שלום", 'a"b\\c', "line1\nline2", '<>&{}|"', "&amp; \\N"]


def unicode_graph():
    xs = [Variable(np.array(float(i)), name=name) for i, name in enumerate(NAMES)]
    y = xs[0]
    for x in xs[1:]:
        y = y + x
    y = F.exp(y)
    y.name = "y🚀"
    return y


def drawn_lines():
    """What the SVG must show: every line of every name."""
    return {line for name in NAMES + ["y🚀", "title ✓"] for line in name.split("\n")}


def svg_texts(svg):
    if isinstance(svg, bytes):
        svg = svg.decode("utf-8")
    return {t.text for t in ET.fromstring(svg).iter(SVG_TEXT)}


def test_dot_text_is_utf8_and_survives_a_canon_round_trip(dot_program):
    text = get_dot_graph(unicode_graph(), title="title ✓")
    data = text.encode("utf-8")  # a str without lone surrogates: valid UTF-8
    canon = subprocess.run([dot_program, "-Tcanon"], input=data, capture_output=True)
    assert canon.returncode == 0 and canon.stderr == b"", canon.stderr
    canonical = canon.stdout.decode("utf-8")  # Graphviz wrote valid UTF-8 back
    svg = subprocess.run([dot_program, "-Tsvg"], input=canonical.encode("utf-8"),
                         capture_output=True, check=True)
    assert svg.stderr == b"", svg.stderr
    assert drawn_lines() <= svg_texts(svg.stdout)


def test_lone_surrogates_and_controls_are_shown_not_fatal(dot_program):
    text = get_dot_graph(Variable(np.array(1.0), name="bad\udcff\x07name"), verbose=False)
    done = subprocess.run([dot_program, "-Tsvg"], input=text.encode("utf-8"),
                          capture_output=True, check=True)
    assert svg_texts(done.stdout) == {"bad\\udcff\\x07name"}


@pytest.mark.parametrize("extension", ["svg", "png", "pdf", "dot"])
def test_unicode_names_in_every_format(tmp_path, backend, extension):
    target = tmp_path / f"グラフ {extension}.{extension}"
    picture = plot_dot_graph(unicode_graph(), to_file=target, title="title ✓")
    data = target.read_bytes()
    assert picture.data == data
    if extension == "svg":
        assert drawn_lines() <= svg_texts(data)
        assert picture._repr_svg_() == data.decode("utf-8")
        assert picture._repr_mimebundle_()["image/svg+xml"] == data.decode("utf-8")
    elif extension == "png":
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and picture._repr_png_() == data
    elif extension == "pdf":
        assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    else:
        assert data.decode("utf-8") == picture.source == get_dot_graph(unicode_graph(),
                                                                         title="title ✓")
        assert picture._repr_mimebundle_()["text/vnd.graphviz"] == picture.source
    assert os.listdir(tmp_path) == [target.name]


def test_dot_subprocess_gets_utf8_on_stdin(monkeypatch, dot_program):
    """The bytes handed to dot are the DOT text in UTF-8, whatever the locale says."""
    monkeypatch.setitem(sys.modules, "graphviz", None)
    monkeypatch.setenv("LC_ALL", "C")
    seen = []
    real_run = subprocess.run

    def spy(args, **kwargs):
        seen.append(kwargs["input"])
        return real_run(args, **kwargs)

    monkeypatch.setattr(subprocess, "run", spy)
    source = get_dot_graph(unicode_graph())
    svg = render_dot(source, "svg")
    assert seen == [source.encode("utf-8")]
    assert drawn_lines() - {"title ✓"} <= svg_texts(svg)
