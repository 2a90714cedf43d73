"""Computation graphs as DOT text (Graphviz's language); no dependency at all.

:func:`get_dot_graph` walks the graph behind one or more Variables and returns
DOT text; :func:`dezero.utils.plot_dot_graph` (in :mod:`dezero.utils.render`)
turns it into a picture.  Differences from DeZero 0.0.13, where it was wrong:

* a leaf Variable (no creator) gives a one-node graph instead of failing;
* labels are escaped (quotes, backslashes, newlines, ``&``, control characters),
  so any Unicode name (emoji, combining marks, right-to-left text) is drawn as
  written; the DOT text is UTF-8;
* a Variable reached along several paths is drawn once (the original repeated
  its node statement for every consumer);
* node ids are numbered in graph order, not ``id()``: the same program gives
  byte-identical DOT text on every run;
* the walk is iterative, so graphs of 100k nodes work, and ``max_nodes`` keeps
  Graphviz from being handed a graph it would lay out for minutes.
"""
from __future__ import annotations

import collections
import functools
import inspect
import warnings
from typing import Any, Sequence

import numpy as np

RANKDIRS = ("TB", "LR", "BT", "RL")
LAYER_STYLES = ("cluster", "collapse", "flat")
DEFAULT_MAX_NODES = 2000
_SHOW_VALUES_DEFAULT_SIZE = 10  # show_values=True draws arrays of at most this many elements
_ARG_TEXT_MAX = 40  # a function argument longer than this is cut with "…"

# Node styles.  Orange ellipses and blue boxes are the book's colours.
_STYLE_VARIABLE = 'shape=ellipse, style=filled, fillcolor=orange'
_STYLE_OUTPUT = 'shape=ellipse, style=filled, fillcolor=orange, penwidth=2.5'
_STYLE_PARAMETER = 'shape=ellipse, style=filled, fillcolor=palegreen, peripheries=2'
_STYLE_CONSTANT = 'shape=ellipse, style=filled, fillcolor=gray90, fontsize=9'
_STYLE_FUNCTION = 'shape=box, style=filled, fillcolor=lightblue'
_STYLE_LAYER = 'shape=box3d, style=filled, fillcolor=lightsteelblue'
_STYLE_ELIDED = 'shape=note, style=dashed, fontcolor=gray30'

# Characters that must be written differently inside a double-quoted DOT label: Graphviz reads
# backslash escapes (\N is the node name, \n a line break) and HTML entities (&amp;) in labels.
_ESCAPES = {ord("\\"): "\\\\", ord('"'): '\\"', ord("\n"): "\\n", ord("&"): "&amp;",
            ord("\r"): "", ord("\t"): " "}
# Other control characters (C0, DEL, C1) would be invisible or break the layout: show them.
_ESCAPES.update({c: f"\\\\x{c:02x}" for c in [*range(32), *range(127, 160)]
                 if c not in _ESCAPES})
# A lone surrogate (from a file name decoded with 'surrogateescape') cannot be written as UTF-8.
_ESCAPES.update({c: f"\\\\u{c:04x}" for c in range(0xD800, 0xE000)})


def quote(text: str) -> str:
    """``text`` as a double-quoted DOT string that Graphviz draws exactly as written.

    Backslashes and quotes are escaped, a newline becomes a line break, ``&``
    becomes ``&amp;``, other control characters are shown as ``\\xNN``.  Every
    other character is kept as it is: the DOT text is UTF-8 (Graphviz's default
    charset).  (Numeric entities such as ``&#128512;`` are not used: Graphviz
    2.x writes characters outside the BMP given that way as invalid UTF-8.)
    """
    return '"' + text.translate(_ESCAPES) + '"'


# -- labels -------------------------------------------------------------------
def _format_value(value: Any) -> str | None:
    """Short text for a function argument, or None when it is not worth drawing."""
    if value is None or isinstance(value, (bool, int, str)):
        return repr(value)
    if isinstance(value, float):
        return format(value, ".6g")
    if isinstance(value, np.generic):
        return _format_value(value.item())
    if value is Ellipsis:
        return "..."
    if isinstance(value, slice):
        parts = ["" if p is None else _format_value(p) for p in (value.start, value.stop)]
        if value.step is not None:
            parts.append(_format_value(value.step))
        return ":".join(p or "" for p in parts)
    if isinstance(value, np.ndarray) and value.size <= 4:
        return np.array2string(value, separator=", ")
    if isinstance(value, (tuple, list)):
        items = [_format_value(v) for v in value[:8]]
        if any(item is None for item in items):
            return None
        text = ", ".join(items) + (", …" if len(value) > 8 else "")
        if isinstance(value, list) or any(isinstance(v, slice) or v is Ellipsis for v in value):
            return f"[{text}]"  # a list, or an index written as it is in x[...]
        return f"({text},)" if len(value) == 1 else f"({text})"
    return None  # arrays, Variables, callables, other objects: nothing short to say


def _is_default(value: Any, default: Any) -> bool:
    """True when ``value`` equals ``default``, also as a tuple repeating it (``pair(1)``)."""
    if isinstance(value, tuple) and value and not isinstance(default, tuple):
        return all(_is_default(v, default) for v in value)
    if type(value) is bool or type(default) is bool:  # keep True apart from 1
        return value is default
    try:
        return bool(value == default)
    except (TypeError, ValueError):  # arrays and other objects without a plain ==
        return False


@functools.lru_cache(maxsize=None)
def _init_arguments(cls: type) -> tuple[tuple[str, Any], ...]:
    """(name, default) of the named arguments of ``cls.__init__`` (default ``empty`` if none)."""
    try:
        signature = inspect.signature(cls.__init__)
    except (TypeError, ValueError):
        return ()
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return tuple((p.name, p.default) for p in list(signature.parameters.values())[1:]
                 if p.kind in kinds and not p.name.startswith("_"))


def function_arguments(f: Any) -> list[str]:
    """``name=value`` texts for the constructor arguments of Function ``f`` worth drawing.

    Generic for every Function: an argument of ``type(f).__init__`` is shown when
    the instance keeps it as a public attribute of the same name, its value is
    short (a scalar, a tuple, a slice, a tiny array) and it differs from the
    declared default (``None`` and ``False`` count as defaults when none is
    declared).  Attributes set during forward (``x_shape``) are not arguments.
    """
    texts = []
    for name, default in _init_arguments(type(f)):
        value = getattr(f, name, inspect.Parameter.empty)
        if value is inspect.Parameter.empty:
            continue
        if default is inspect.Parameter.empty:
            if value is None or value is False:
                continue
        elif _is_default(value, default):
            continue
        text = _format_value(value)
        if text is not None:
            if len(text) > _ARG_TEXT_MAX:
                text = text[:_ARG_TEXT_MAX - 1] + "…"
            texts.append(f"{name}={text}")
    return texts


def _format_array(data: Any) -> str:
    data = np.asarray(data)  # cupy arrays come back to the host for drawing
    if data.dtype.kind == "f":
        return np.array2string(data, precision=4, floatmode="fixed", separator=", ")
    return np.array2string(data, separator=", ")


def _variable_label(v: Any, name: str | None, verbose: bool, show_values: int) -> str:
    lines = [name] if name else []
    data = v.data
    if name is None and v.creator is None and data is not None and data.size == 1:
        # An unnamed one-element constant (the 14 of 14 * x) is best labelled by its value.
        value = _format_value(np.asarray(data).reshape(()).item())
        if not verbose:
            return value
        return f"{value} {data.dtype}" if data.ndim == 0 else f"{value}\n{data.shape} {data.dtype}"
    if verbose:
        lines.append("None" if data is None else f"{data.shape} {data.dtype}")
    if show_values and data is not None and data.size <= show_values:
        lines.append("data " + _format_array(data))
        grad = v.grad
        if grad is not None and grad.data is not None:
            lines.append("grad " + _format_array(grad.data))
    return "\n".join(lines)


# -- the walk -------------------------------------------------------------------
class _Walk:
    """Every Variable and Function behind ``outputs``, breadth first (nearest first)."""

    def __init__(self, outputs: Sequence[Any]) -> None:
        self.variables: list[Any] = []
        self.var_index: dict[int, int] = {}  # id(variable) -> position; the list keeps it alive
        self.functions: list[Any] = []
        self.func_index: dict[int, int] = {}
        queue: collections.deque = collections.deque()
        for y in outputs:
            self._see_variable(y)
            if y.creator is not None and id(y.creator) not in self.func_index:
                self._see_function(y.creator, queue)
        while queue:  # no recursion: depth is unbounded
            f = queue.popleft()
            for x in f.inputs:
                self._see_variable(x)
                if x.creator is not None and id(x.creator) not in self.func_index:
                    self._see_function(x.creator, queue)
            for y in _live_outputs(f):
                self._see_variable(y)

    def _see_variable(self, v: Any) -> None:
        if id(v) not in self.var_index:
            self.var_index[id(v)] = len(self.variables)
            self.variables.append(v)

    def _see_function(self, f: Any, queue: collections.deque) -> None:
        self.func_index[id(f)] = len(self.functions)
        self.functions.append(f)
        queue.append(f)


def _live_outputs(f: Any) -> list[Any]:
    """Outputs of ``f`` still alive (the graph holds them by weak reference)."""
    return [y for y in (ref() for ref in f.outputs) if y is not None]


def _as_outputs(output: Any) -> list[Any]:
    from dezero.core import Variable
    outputs = list(output) if isinstance(output, (list, tuple)) else [output]
    if not outputs:
        raise ValueError("get_dot_graph: got an empty list of outputs; pass a Variable "
                         "or a list of Variables")
    for y in outputs:
        if not isinstance(y, Variable):
            raise TypeError(f"get_dot_graph: expected a dezero Variable (or a list of them), "
                            f"got {type(y).__name__}; draw the result of a dezero computation")
    unique: dict[int, Any] = {}
    for y in outputs:
        unique.setdefault(id(y), y)
    return list(unique.values())


# -- layers -------------------------------------------------------------------
class _Layers:
    """Where each Parameter (and saved state) of ``model`` lives, by dotted attribute path."""

    def __init__(self, model: Any) -> None:
        if not hasattr(model, "named_params"):
            raise TypeError(f"get_dot_graph: model= must be a dezero Layer or Model (with "
                            f"named_params()), got {type(model).__name__}")
        self.param_name: dict[int, str] = {}
        self.param_layer: dict[int, str] = {}
        self.params_of: dict[str, list[tuple[str, Any]]] = collections.defaultdict(list)
        named_states = getattr(model, "named_states", None)
        for path, p in list(model.named_params()) + list(named_states() if named_states else []):
            self.param_name.setdefault(id(p), path)
            layer = path.rpartition(".")[0]
            self.param_layer.setdefault(id(p), layer)
            self.params_of[layer.partition(".")[0]].append((path, p))
        named_layers = getattr(model, "named_layers", None)
        self.layers = list(named_layers()) if named_layers else []
        self.layer_class = {path: type(layer).__name__ for path, layer in self.layers}

    def title(self, path: str) -> str:
        cls = self.layer_class.get(path)
        return f"{path} ({cls})" if cls else path

    def function_layers(self, walk: _Walk) -> dict[int, str]:
        """The (deepest) layer path of each Function, '' for the model's own code.

        A Function taking a layer's Parameter belongs to that layer.  So does every
        Function between a layer's last recorded call inputs and outputs
        (``Layer.inputs``/``outputs``, weak references kept by ``Layer.__call__``),
        which places the activations inside a composite layer (LSTM gates) in it;
        a Function of another layer ends that region.
        """
        found: dict[int, str] = {}
        for f in walk.functions:
            for x in f.inputs:
                if self.param_layer.get(id(x)):
                    found[id(f)] = self.param_layer[id(x)]
                    break
        for path, layer in sorted(self.layers, key=lambda item: item[0].count(".")):
            ends = {id(r()) for r in getattr(layer, "inputs", None) or () if r() is not None}
            todo = [getattr(r(), "creator", None) for r in getattr(layer, "outputs", None) or ()]
            seen: set[int] = set()
            while todo:  # from the outputs back to the inputs, shallow layers first
                f = todo.pop()
                if f is None or id(f) in seen or id(f) not in walk.func_index:
                    continue
                seen.add(id(f))
                owner = found.get(id(f), "")
                if owner and not _within(path, owner):
                    if not _within(owner, path):
                        continue  # another layer's Function: this region ends here
                else:
                    found[id(f)] = path
                todo += [x.creator for x in f.inputs if id(x) not in ends]
        return found


def _within(inner: str, outer: str) -> bool:
    """True when layer path ``inner`` is ``outer`` or one of its sub-layers."""
    return inner == outer or inner.startswith(outer + ".")


# -- DOT text -------------------------------------------------------------------
def get_dot_graph(output: Any, verbose: bool = True, *, show_values: bool | int = False,
                  model: Any = None, layers: str = "cluster", rankdir: str = "TB",
                  max_nodes: int | None = DEFAULT_MAX_NODES, title: str | None = None) -> str:
    """DOT text drawing the computation graph behind ``output`` (a Variable or a list of them).

    Variables are orange ellipses (graph outputs with a thick border), Parameters
    green double ellipses, unnamed leaf constants small grey ellipses, Functions
    blue boxes labelled with their class and non-default arguments.

    verbose: add each Variable's shape and dtype.  show_values: add the data and
    gradient of arrays with at most 10 elements (or this many, if an int).
    model: a Layer/Model whose Parameters are then named by attribute path
    (``l1.W``); with ``layers='cluster'`` each sub-layer is drawn as a box around
    its nodes, with ``'collapse'`` each top-level sub-layer becomes one node,
    ``'flat'`` only names.  rankdir: 'TB' (top to bottom) or 'LR' (left to right).
    max_nodes: draw at most this many nodes, nearest the outputs first, and one
    note counting the rest (with a warning); None draws everything.
    """
    outputs = _as_outputs(output)
    if rankdir not in RANKDIRS:
        raise ValueError(f"get_dot_graph: rankdir={rankdir!r}; use one of {RANKDIRS}")
    if layers not in LAYER_STYLES:
        raise ValueError(f"get_dot_graph: layers={layers!r}; use one of {LAYER_STYLES}")
    if max_nodes is not None and max_nodes < 1:
        raise ValueError(f"get_dot_graph: max_nodes={max_nodes}; use a positive int or None")
    show_values = _SHOW_VALUES_DEFAULT_SIZE if show_values is True else int(show_values)
    return _DotWriter(outputs, verbose, show_values, None if model is None else _Layers(model),
                      layers, max_nodes).text(rankdir, title)


class _DotWriter:
    """Turns a walked graph into DOT statements (clusters, collapsing, the node cap)."""

    def __init__(self, outputs: list[Any], verbose: bool, show_values: int,
                 model: _Layers | None, layers: str, max_nodes: int | None) -> None:
        from dezero.core import Parameter
        self.is_parameter = lambda v: isinstance(v, Parameter)
        self.walk = _Walk(outputs)
        self.output_ids = {id(y) for y in outputs}
        self.verbose, self.show_values = verbose, show_values
        self.model = model
        self.collapse = model is not None and layers == "collapse"
        self.clusters = model is not None and layers == "cluster"
        self.layer_of_func = {} if model is None else model.function_layers(self.walk)
        self._choose_nodes(outputs, max_nodes)

    # where each node goes: '' is the top level, 'l1.conv' a (nested) layer
    def _layer_of_variable(self, v: Any) -> str:
        if self.model is None or id(v) in self.output_ids:
            return ""  # the graph's outputs stay visible at the top level
        if id(v) in self.model.param_layer:
            return self.model.param_layer[id(v)]
        creator = v.creator
        return "" if creator is None else self.layer_of_func.get(id(creator), "")

    def _key(self, obj: Any, is_function: bool) -> tuple:
        """The drawn node standing for ``obj``: itself, or its collapsed top-level layer."""
        layer = (self.layer_of_func.get(id(obj), "") if is_function
                 else self._layer_of_variable(obj))
        if self.collapse and layer:
            return ("L", layer.partition(".")[0])
        return ("f", id(obj)) if is_function else ("v", id(obj))

    def _choose_nodes(self, outputs: list[Any], max_nodes: int | None) -> None:
        """Keep Functions in walk order (nearest first) while the node count fits."""
        drawn: dict[tuple, None] = {self._key(y, False): None for y in outputs}
        self.kept = []
        for f in self.walk.functions:
            keys = [self._key(f, True)] + [self._key(x, False) for x in f.inputs]
            keys += [self._key(y, False) for y in _live_outputs(f)]
            new = [k for k in dict.fromkeys(keys) if k not in drawn]
            if max_nodes is not None and len(drawn) + len(new) > max_nodes:
                break
            drawn.update(dict.fromkeys(new))
            self.kept.append(f)
        self.node_count = len(drawn)
        self.left_out = 0
        if len(self.kept) < len(self.walk.functions):
            every = {self._key(v, False) for v in self.walk.variables}
            every.update(self._key(f, True) for f in self.walk.functions)
            self.left_out = len(every) - len(drawn)
            warnings.warn(
                f"get_dot_graph: the graph has {len(every)} nodes, more than max_nodes="
                f"{max_nodes}; drawing the {len(drawn)} nearest the output and a note for "
                f"the other {self.left_out}. Pass max_nodes=None to draw all (Graphviz may "
                "take minutes), or draw a smaller computation.", stacklevel=4)
        order = sorted(range(len(self.kept)), key=lambda i: (self.kept[i].generation, i))
        self.kept = [self.kept[i] for i in order]  # forward (input to output) order

    def text(self, rankdir: str, title: str | None) -> str:
        ids: dict[tuple, str] = {}
        by_layer: dict[str, list[str]] = collections.defaultdict(list)
        edges: dict[tuple[str, str], None] = {}

        def node(obj: Any, is_function: bool) -> str:
            key = self._key(obj, is_function)
            if key not in ids:
                if key[0] == "L":
                    ids[key] = f"L{len(ids)}"
                    by_layer[""].append(f"{ids[key]} [label={quote(self._layer_label(key[1]))}, "
                                        f"{_STYLE_LAYER}]")
                else:
                    ids[key] = f"{key[0]}{len(ids)}"
                    layer = (self.layer_of_func.get(id(obj), "") if is_function
                             else self._layer_of_variable(obj))
                    by_layer[layer if self.clusters else ""].append(
                        f"{ids[key]} [{self._node_attributes(obj, is_function)}]")
            return ids[key]

        def edge(tail: str, head: str) -> None:
            if tail != head and (tail, head) not in edges:
                edges[(tail, head)] = None
            elif not self.collapse and tail != head:  # x * x: one edge per use
                edges[(tail, head, len(edges))] = None

        for f in self.kept:
            inputs = [node(x, False) for x in f.inputs]
            me = node(f, True)
            for x_id in inputs:
                edge(x_id, me)
            for y in _live_outputs(f):
                edge(me, node(y, False))
        for y in self.walk.variables:
            if id(y) in self.output_ids:
                node(y, False)
        lines = ["digraph g {", f"graph [rankdir={rankdir}, fontname=Helvetica]",
                 "node [fontname=Helvetica, fontsize=11]", "edge [arrowsize=0.7]"]
        if title:
            lines.append(f"label={quote(title)}\nlabelloc=t")
        lines += by_layer.pop("", [])
        lines += self._cluster_lines(by_layer)
        if self.left_out:
            lines.append(self._elided_lines(ids, edge))
        lines += [f"{e[0]} -> {e[1]}" for e in edges]
        lines.append("}")
        return "\n".join(lines) + "\n"

    def _node_attributes(self, obj: Any, is_function: bool) -> str:
        if is_function:
            label = "\n".join([type(obj).__name__] + function_arguments(obj))
            return f"label={quote(label)}, {_STYLE_FUNCTION}"
        name = obj.name
        if self.model is not None:
            name = self.model.param_name.get(id(obj), name)
        label = _variable_label(obj, name, self.verbose, self.show_values)
        if id(obj) in self.output_ids:
            style = _STYLE_OUTPUT
        elif self.is_parameter(obj):
            style = _STYLE_PARAMETER
        elif obj.creator is None and name is None:
            style = _STYLE_CONSTANT
        else:
            style = _STYLE_VARIABLE
        return f"label={quote(label)}, {style}"

    def _layer_label(self, layer: str) -> str:
        lines = [self.model.title(layer)]
        if self.verbose:
            params = self.model.params_of.get(layer, [])
            lines += [f"{path} {p.shape} {p.dtype}" for path, p in params[:8] if p.data is not None]
            if len(params) > 8:
                lines.append(f"… {len(params) - 8} more parameters")
        return "\n".join(lines)

    def _cluster_lines(self, by_layer: dict[str, list[str]]) -> list[str]:
        """Nested ``subgraph cluster_…`` blocks, one per layer path (parents included)."""
        paths: dict[str, None] = {}  # in order of first drawn node, parents first
        for path in by_layer:
            parts = path.split(".")
            paths.update(dict.fromkeys(".".join(parts[:i]) for i in range(1, len(parts) + 1)))
        children: dict[str, list[str]] = collections.defaultdict(list)
        for path in paths:
            children[path.rpartition(".")[0]].append(path)
        lines: list[str] = []
        stack: list[Any] = [(p, False) for p in reversed(children[""])]
        while stack:  # iterative depth-first: open a cluster, its nodes, children, close
            path, closing = stack.pop()
            if closing:
                lines.append("}")
                continue
            lines.append(f"subgraph {quote('cluster_' + path)} {{")
            lines.append(f"label={quote(self.model.title(path))}\n"
                         "style=\"rounded,dashed\"\ncolor=gray40\nfontcolor=gray20")
            lines += by_layer.get(path, [])
            stack.append((path, True))
            stack += [(c, False) for c in reversed(children[path])]
        return lines

    def _elided_lines(self, ids: dict[tuple, str], edge: Any) -> str:
        """A note counting the nodes left out, with an edge to each cut-off Variable."""
        kept = {id(f) for f in self.kept}
        for v in self.walk.variables:
            key = self._key(v, False)
            if key in ids and v.creator is not None and id(v.creator) not in kept:
                edge("more", ids[key])
        label = f"… {self.left_out} more nodes not drawn\n(max_nodes limit)"
        return f"more [label={quote(label)}, {_STYLE_ELIDED}]"

