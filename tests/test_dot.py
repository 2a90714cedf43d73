"""get_dot_graph: DOT text of computation graphs, checked by Graphviz itself (dot -Tcanon)."""
import html
import os
import re
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import dezero.functions as F
from dezero import Function, Parameter, Variable
from dezero.utils import get_dot_graph

NODE = re.compile(r'^(\w+) \[label="((?:[^"\\]|\\.)*)"(.*)\]$')
EDGE = re.compile(r"^(\w+) -> (\w+)$")


def canon(dot_program, text):
    """Graphviz's canonical form of ``text``; fails the test when Graphviz rejects it."""
    done = subprocess.run([dot_program, "-Tcanon"], input=text.encode("utf-8"),
                          capture_output=True)
    assert done.returncode == 0 and not done.stderr, done.stderr.decode()
    return done.stdout.decode("utf-8")


def parse(text):
    """(nodes {id: (label, attributes)}, edges [(tail, head)]) of get_dot_graph's output."""
    nodes, edges = {}, []
    for line in text.splitlines():
        if m := NODE.match(line):
            assert m.group(1) not in nodes, f"node {m.group(1)} declared twice"
            nodes[m.group(1)] = (m.group(2), m.group(3))
        elif m := EDGE.match(line):
            edges.append((m.group(1), m.group(2)))
    for tail, head in edges:
        assert tail in nodes and head in nodes
    return nodes, edges


def labels(nodes):
    return sorted(label for label, _ in nodes.values())


def goldstein(x, y):
    return ((1 + (x + y + 1) ** 2 * (19 - 14 * x + 3 * x ** 2 - 14 * y + 6 * x * y + 3 * y ** 2))
            * (30 + (2 * x - 3 * y) ** 2
               * (18 - 32 * x + 12 * x ** 2 + 48 * y - 36 * x * y + 27 * y ** 2)))


def count_graph(output):
    """Variables and Functions behind ``output``, counted here independently of dezero.utils."""
    variables, functions, todo = {id(output): output}, {}, [output]
    while todo:
        f = todo.pop().creator
        if f is None or id(f) in functions:
            continue
        functions[id(f)] = f
        for v in list(f.inputs) + [r() for r in f.outputs if r() is not None]:
            if id(v) not in variables:
                variables[id(v)] = v
                todo.append(v)
    return len(variables), len(functions)


def test_leaf_variable_is_one_node(dot_program):
    x = Variable(np.ones((2, 3), dtype=np.float32), name="x")
    nodes, edges = parse(get_dot_graph(x))
    assert labels(nodes) == ["x\\n(2, 3) float32"] and edges == []
    assert labels(parse(get_dot_graph(x, verbose=False))[0]) == ["x"]
    canon(dot_program, get_dot_graph(x))
    canon(dot_program, get_dot_graph(Variable(None)))


def test_variable_reached_by_several_paths_appears_once(dot_program):
    x = Variable(np.array(3.0), name="x")
    y = x * x + x  # x feeds Mul twice and Add once
    y.name = "y"
    nodes, edges = parse(get_dot_graph(y, verbose=False))
    assert labels(nodes) == ["", "Add", "Mul", "x", "y"]
    ids = {label: node for node, (label, _) in nodes.items()}
    assert edges.count((ids["x"], ids["Mul"])) == 2  # one edge per use
    assert (ids["x"], ids["Add"]) in edges and len(edges) == 6
    canon(dot_program, get_dot_graph(y))


def test_goldstein_counts_and_constants(dot_program):
    x, y = Variable(np.array(1.0), name="x"), Variable(np.array(1.0), name="y")
    z = goldstein(x, y)
    z.name = "z"
    text = get_dot_graph(z)
    nodes, edges = parse(text)
    n_vars, n_funcs = count_graph(z)
    assert len(nodes) == n_vars + n_funcs
    assert len(edges) == sum(len(f.inputs) + 1 for f in _functions(z))
    # The formula's literals (not the exponents) are drawn either as constant nodes or as
    # the argument c of a Function taking a constant (MulConst, RSubConst, ...).
    literals = [float(label.split()[0]) for label, attrs in nodes.values() if "gray90" in attrs]
    literals += [float(label.split("c=")[1]) for label in labels(nodes)
                 if "c=" in label and not label.startswith("PowConst")]
    assert sorted(literals) == sorted(
        [1, 1, 19, 14, 3, 14, 6, 3, 30, 2, 3, 18, 32, 12, 48, 36, 27])
    assert "PowConst\\nc=2" in labels(nodes)
    canon(dot_program, text)


def _functions(y):
    seen, todo = {}, [y.creator]
    while todo:
        f = todo.pop()
        if f is not None and id(f) not in seen:
            seen[id(f)] = f
            todo += [x.creator for x in f.inputs]
    return list(seen.values())


def test_labels_are_escaped_and_drawn_as_written(dot_program):
    name = 'say "hi"\\ & <b>{x|y}</b> \N{GREEK SMALL LETTER ALPHA}\N{SNOWMAN} \\N'
    second = "second line\tend"
    x = Variable(np.array(1.0), name=name + "\n" + second)
    y = F.exp(x)
    y.name = "\u00e9t\u00e9"
    text = get_dot_graph(y)
    # UTF-8 with the characters as they are (Graphviz's default charset), no entities.
    assert "\N{GREEK SMALL LETTER ALPHA}\N{SNOWMAN}" in text and "&#" not in text
    canon(dot_program, text)
    svg = subprocess.run([dot_program, "-Tsvg"], input=text.encode(), capture_output=True,
                         check=True).stdout
    drawn = [t.text for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")]
    assert name in drawn and "second line end" in drawn and "\u00e9t\u00e9" in drawn


def test_control_characters_are_visible(dot_program):
    text = get_dot_graph(Variable(np.array(1.0), name="a\x01b"))
    assert "a\\\\x01b" in text
    canon(dot_program, text)


def test_multiple_outputs_share_their_inputs(dot_program):
    x = Variable(np.array([1.0, 2.0]), name="x")
    h = F.sin(x)
    y1, y2 = F.exp(h), h * Variable(np.array(2.0))
    y1.name, y2.name = "y1", "y2"
    text = get_dot_graph([y1, y2, y1], verbose=False)
    nodes, edges = parse(text)
    assert labels(nodes) == ["", "2", "Exp", "Mul", "Sin", "x", "y1", "y2"]
    outputs = sorted(label for label, attrs in nodes.values() if "penwidth" in attrs)
    assert outputs == ["y1", "y2"]
    canon(dot_program, text)


def test_tanh_derivative_graph_after_two_create_graph_backwards(dot_program):
    x = Variable(np.array(1.0), name="x")
    y = F.tanh(x)
    y.name = "y"
    y.backward(create_graph=True)  # first: x.grad is the graph of tanh'(x) = 1 - y**2
    sizes = [count_graph(x.grad)]
    gx = x.grad
    x.cleargrad()
    gx.backward(create_graph=True)  # second: x.grad is the graph of tanh''(x)
    sizes.append(count_graph(x.grad))
    gx = x.grad
    gx.name = "gx2"
    text = get_dot_graph(gx, verbose=False)
    nodes, edges = parse(text)
    assert len(nodes) == sum(sizes[-1])
    assert sizes[1][1] > sizes[0][1]  # each backward grows the graph
    names = labels(nodes)
    assert names.count("x") == 1 and names.count("Tanh") == 1 and "gx2" in names
    (gx_id,) = [n for n, (label, _) in nodes.items() if label == "gx2"]
    assert [head for _, head in edges].count(gx_id) == 1
    canon(dot_program, text)


def test_function_labels_show_non_default_arguments():
    x = Variable(np.arange(6.0).reshape(2, 3), name="x")
    assert labels(parse(get_dot_graph(F.sum(x), verbose=False))[0])[1] == "Sum"
    y = F.sum(x, axis=1, keepdims=True)
    assert "Sum\\naxis=(1,)\\nkeepdims=True" in labels(parse(get_dot_graph(y))[0])
    assert "Reshape\\nshape=(3, 2)" in get_dot_graph(F.reshape(x, (3, 2)))
    assert "GetItem\\nslices=[:, 1]" in get_dot_graph(x[:, 1])
    assert "x_shape" not in get_dot_graph(y)  # set in forward: not an argument

    class Scale(Function):
        def __init__(self, factor=1.0, mode="linear", table=None, strides=1):
            self.factor, self.mode, self.table, self.strides = factor, mode, table, (strides,) * 2
            self.cache = 12  # public, but no argument

        def forward(self, x):
            return x * self.factor

    assert "Scale\"" in get_dot_graph(Scale()(x))
    label = labels(parse(get_dot_graph(Scale(2.5, table=np.zeros(100), strides=2)(x)))[0])
    assert "Scale\\nfactor=2.5\\nstrides=(2, 2)" in label


def test_show_values_draws_data_and_gradients():
    a = Variable(np.array(2.0), name="a")
    b = Variable(np.array(-3.0), name="b")
    c = a * b
    c.name = "c"
    c.backward(retain_grad=True)
    nodes, _ = parse(get_dot_graph(c, verbose=False, show_values=True))
    assert "a\\ndata 2.0000\\ngrad -3.0000" in labels(nodes)
    assert "c\\ndata -6.0000\\ngrad 1.0000" in labels(nodes)
    big = Variable(np.zeros(11), name="big")
    assert "data" not in get_dot_graph(big, show_values=True)
    assert "data" in get_dot_graph(big, show_values=11)


def test_parameters_and_constants_are_styled_apart():
    W = Parameter(np.ones((2, 2)), name="W")
    x = Variable(np.ones((1, 2)), name="x")
    y = F.matmul(x, W) + Variable(np.array(3.0))
    nodes, _ = parse(get_dot_graph(y, verbose=False))
    styles = {label: attrs for label, attrs in nodes.values()}
    assert "palegreen" in styles["W"] and "palegreen" not in styles["x"]
    assert "gray90" in styles["3"] and "gray90" not in styles["x"]


def test_options_are_checked():
    x = Variable(np.array(1.0))
    assert "rankdir=LR" in get_dot_graph(F.exp(x), rankdir="LR")
    with pytest.raises(ValueError, match="rankdir"):
        get_dot_graph(x, rankdir="sideways")
    with pytest.raises(ValueError, match="layers"):
        get_dot_graph(x, layers="boxes")
    with pytest.raises(TypeError, match="get_dot_graph: expected a dezero Variable"):
        get_dot_graph(np.ones(3))
    with pytest.raises(ValueError, match="empty"):
        get_dot_graph([])
    with pytest.raises(TypeError, match="model="):
        get_dot_graph(x, model=object())


def test_max_nodes_draws_the_nearest_nodes_and_a_note(dot_program):
    y = Variable(np.array(0.5), name="x")
    for _ in range(100):
        y = F.sin(y)
    with pytest.warns(UserWarning, match="201 nodes, more than max_nodes=20"):
        text = get_dot_graph(y, max_nodes=20)
    nodes, edges = parse(text)
    drawn = len(nodes) - 1  # the nodes nearest y, and the note
    assert 19 <= drawn <= 20  # a Sin adds two nodes (itself, its input): 1 + 2 * 9
    assert html.unescape(nodes["more"][0]).startswith(f"\u2026 {201 - drawn} more nodes not")
    assert "x" not in labels(nodes)
    assert [tail for tail, _ in edges].count("more") == 1
    canon(dot_program, text)


def test_hundred_thousand_nodes_without_recursion():
    y = Variable(np.array(0.5), name="x")
    for _ in range(50_000):
        y = F.sin(y)
    nodes, edges = parse(get_dot_graph(y, verbose=False, max_nodes=None))
    assert len(nodes) == 100_001 and len(edges) == 100_000


DETERMINISM = textwrap.dedent("""
    import sys
    import numpy as np
    import dezero.functions as F
    from dezero import Parameter, Variable
    from dezero.utils import get_dot_graph
    x, W = Variable(np.ones((2, 3)), name="x"), Parameter(np.ones((3, 2)), name="W")
    h = F.sin(F.matmul(x, W))
    junk = [object() for _ in range(int(sys.argv[1]))]  # shift memory addresses
    y1, y2 = F.sum(h * h, axis=0), F.exp(h) + h
    y1.backward(create_graph=True)
    sys.stdout.write(get_dot_graph([y1, y2, W.grad], show_values=True))
""")


def test_same_program_gives_byte_identical_dot():
    runs = [subprocess.run([sys.executable, "-c", DETERMINISM, str(junk)], capture_output=True,
                           check=True, env={**os.environ, "PYTHONHASHSEED": str(seed)}).stdout
            for junk, seed in ((0, 1), (1000, 2))]
    assert runs[0] == runs[1] and len(runs[0]) > 500
    ids = set(re.findall(rb"^(\w+) \[", runs[0], re.M)) - {b"graph", b"node", b"edge"}
    assert all(re.fullmatch(rb"[vf]\d+", i) for i in ids)  # small numbers, not id()


def clusters(text):
    """{cluster path: (parent path, [labels of the nodes declared directly in it])}."""
    found, stack = {"": (None, [])}, [""]
    for line in text.splitlines():
        if m := re.match(r'^subgraph "cluster_([\w.]+)" \{$', line):
            found[m.group(1)] = (stack[-1], [])
            stack.append(m.group(1))
        elif line == "}":
            stack.pop()
        elif m := NODE.match(line):
            found[stack[-1]][1].append(m.group(2))
    return found


def test_model_layers_as_clusters_and_collapsed(dot_program):
    import dezero.layers as L

    class Block(L.Layer):
        def __init__(self):
            super().__init__()
            self.fc, self.gate = L.Linear(4), L.Linear(4)

        def forward(self, x):
            return F.sigmoid(self.gate(x)) * F.tanh(self.fc(x))

    class Net(L.Layer):
        def __init__(self):
            super().__init__()
            self.l1, self.block, self.l2 = L.Linear(4), Block(), L.Linear(1)

        def forward(self, x):
            return self.l2(self.block(F.relu(self.l1(x))))

    net = Net()
    y = net(np.ones((5, 3), dtype=np.float32))
    y.name = "y"
    text = get_dot_graph(y, verbose=False, model=net)
    found = clusters(text)
    assert {path: parent for path, (parent, _) in found.items()} == {
        "": None, "l1": "", "block": "", "block.gate": "block", "block.fc": "block", "l2": ""}
    assert sorted(found["block.fc"][1]) == ["", "Linear", "block.fc.W", "block.fc.b"]
    assert sorted(found["block"][1]) == ["", "", "", "Mul", "Sigmoid", "Tanh"]
    assert sorted(found[""][1]) == ["", "", "ReLU", "y"]  # input, activation between layers
    assert 'label="block (Block)"' in text
    canon(dot_program, text)

    collapsed = get_dot_graph(y, model=net, layers="collapse")
    nodes, edges = parse(collapsed)
    assert sorted(label.split("\\n")[0] for label, _ in nodes.values()) == [
        "(5, 3) float32", "(5, 4) float32", "ReLU", "block (Block)", "l1 (Linear)",
        "l2 (Linear)", "y"]
    ids = {label.split("\\n")[0]: node for node, (label, _) in nodes.items()}
    assert (ids["block (Block)"], ids["l2 (Linear)"]) in edges and len(edges) == 6
    assert "block.gate.W (4, 4) float32" in collapsed
    canon(dot_program, collapsed)

    flat = get_dot_graph(y, verbose=False, model=net, layers="flat")
    assert "subgraph" not in flat and '"l1.W"' in flat


def test_mlp_graph_names_parameters_by_path(dot_program):
    from dezero.models import MLP
    model = MLP((10, 1))
    text = get_dot_graph(model(np.ones((2, 3))), model=model)
    found = clusters(text)
    assert set(found) == {"", "l0", "l1"}
    assert sorted(label.split("\\n")[0] for label in found["l0"][1]) == [
        "(2, 10) float64", "Linear", "l0.W", "l0.b"]
    canon(dot_program, text)
