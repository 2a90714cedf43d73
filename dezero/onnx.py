"""Export a traced dezero function to ONNX (optional extra ``onnx``: ``pip install dezero[onnx]``).

:func:`export` traces ``fn`` with :func:`dezero.trace` and writes the program as an
ONNX model: each recorded Function becomes one or a few ONNX nodes, Parameters
become initializers named by their layer paths (``l1.W``), other captured arrays
initializers named ``c0``, ``c1`` ...  The ``onnx`` package is imported only when
:func:`export` runs, so ``import dezero`` needs NumPy only.

Supported Functions: Linear, MatMul, Add, Sub, Mul, Div, Neg, Pow, the ``*Const``
arithmetic forms, ReLU, LeakyReLU, Sigmoid, Tanh, Exp, Log, Sin, Cos, Abs, Sqrt,
Square, Clip, Softmax, LogSoftmax, Reshape, Transpose, BroadcastTo, Sum (and so
mean), GetItem with ints and step-1 slices, Concat, Copy, Conv2d, Deconv2d,
MaxPooling, AveragePooling (test-mode batch norm and dropout are traced as
arithmetic and as nothing).  Any other Function raises :class:`UnsupportedOperatorError`.
"""
from __future__ import annotations

import os
from typing import Any, Callable, Sequence

import numpy as np

from dezero._trace import Program, trace

__all__ = ["export", "to_model", "UnsupportedOperatorError", "SUPPORTED_FUNCTIONS"]


class UnsupportedOperatorError(NotImplementedError):
    """A traced Function has no ONNX mapping; the message names its class."""


class _Builder:
    """Collects ONNX nodes and initializers while the program's operations are mapped."""

    def __init__(self, onnx: Any, program: Program, dynamic_batch: bool) -> None:
        self.onnx, self.program, self.dynamic_batch = onnx, program, dynamic_batch
        self.nodes: list = []
        self.initializers: list = []
        self.n_temp = 0

    def const(self, value: Any, dtype: Any = None, hint: str = "k") -> str:
        """A new initializer holding ``value``; returns its name."""
        name = f"_{hint}{len(self.initializers)}"
        array = np.asarray(value, dtype=dtype)
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def ints(self, values: Sequence[int]) -> str:
        return self.const(np.asarray(list(values), dtype=np.int64), hint="shape")

    def node(self, op_type: str, inputs: Sequence[str], output: str | None = None,
             **attrs: Any) -> str:
        if output is None:
            self.n_temp += 1
            output = f"_t{self.n_temp}"
        self.nodes.append(self.onnx.helper.make_node(op_type, list(inputs), [output], **attrs))
        return output


def _dtype(b: _Builder, slot: int) -> np.dtype:
    return b.program.slot_types[slot][1]


def _shape(b: _Builder, slot: int) -> tuple[int, ...]:
    return b.program.slot_types[slot][0]


def _unary(op_type: str) -> Callable:
    def convert(b, f, op, x, y):
        b.node(op_type, x, y)
    return convert


def _const_op(op_type: str, reverse: bool = False) -> Callable:
    def convert(b, f, op, x, y):
        c = b.const(f.c, _dtype(b, op.outputs[0]))
        b.node(op_type, [c, x[0]] if reverse else [x[0], c], y)
    return convert


def _linear(b, f, op, x, y):
    if len(x) == 2:
        b.node("MatMul", x, y)
    else:
        b.node("Add", [b.node("MatMul", x[:2]), x[2]], y)


def _softmax(op_type: str) -> Callable:
    def convert(b, f, op, x, y):
        axis = f.axis
        if isinstance(axis, (tuple, list)):
            if len(axis) != 1:
                raise UnsupportedOperatorError(f"{type(f).__name__} over several axes {axis} "
                                               "has no ONNX mapping (one axis only)")
            axis = axis[0]
        b.node(op_type, x, y, axis=int(axis))
    return convert


def _reshape(b, f, op, x, y):
    shape = list(_shape(b, op.outputs[0]))
    in_shape = _shape(b, op.inputs[0])
    if b.dynamic_batch and shape and in_shape and shape[0] == in_shape[0]:
        shape[0] = 0  # ONNX: copy the (dynamic) batch size from the input
    b.node("Reshape", [x[0], b.ints(shape)], y)


def _transpose(b, f, op, x, y):
    ndim = len(_shape(b, op.inputs[0]))
    axes = f.axes if f.axes is not None else tuple(reversed(range(ndim)))
    b.node("Transpose", x, y, perm=[int(a) % ndim for a in axes])


def _sum(b, f, op, x, y):
    axis = f.axis
    ndim = len(_shape(b, op.inputs[0]))
    if axis is None:
        axes = list(range(ndim))
    else:
        axes = [int(a) % ndim for a in (axis if isinstance(axis, (tuple, list)) else (axis,))]
    if not axes:
        b.node("Identity", x, y)
        return
    b.node("ReduceSum", [x[0], b.ints(axes)], y, keepdims=int(bool(f.keepdims)))


def _broadcast_to(b, f, op, x, y):
    b.node("Expand", [x[0], b.ints(_shape(b, op.outputs[0]))], y)


def _clip(b, f, op, x, y):
    dtype = _dtype(b, op.outputs[0])
    b.node("Clip", [x[0], b.const(f.x_min, dtype), b.const(f.x_max, dtype)], y)


def _square(b, f, op, x, y):
    b.node("Mul", [x[0], x[0]], y)


def _concat(b, f, op, x, y):
    b.node("Concat", x, y, axis=int(f.axis))


def _get_item(b, f, op, x, y):
    slices = f.slices if isinstance(f.slices, tuple) else (f.slices,)
    shape = _shape(b, op.inputs[0])
    starts, ends, axes, squeeze = [], [], [], []
    if len(slices) > len(shape) or not all(
            isinstance(s, (int, np.integer)) or (isinstance(s, slice) and s.step in (None, 1))
            for s in slices):
        raise UnsupportedOperatorError(f"GetItem with index {f.slices!r} has no ONNX mapping "
                                       "(ints and step-1 slices only)")
    for axis, s in enumerate(slices):
        if isinstance(s, slice):
            start, stop, _ = s.indices(shape[axis])
            if (start, stop) == (0, shape[axis]):
                continue
        else:
            start = int(s) % shape[axis]
            stop = start + 1
            squeeze.append(axis)
        starts.append(start)
        ends.append(stop)
        axes.append(axis)
    if not axes:
        b.node("Identity", x, y)
        return
    sliced = b.node("Slice", [x[0], b.ints(starts), b.ints(ends), b.ints(axes)],
                    None if squeeze else y)
    if squeeze:
        b.node("Squeeze", [sliced, b.ints(squeeze)], y)


def _conv(b, f, op, x, y):
    (sy, sx), (ph, pw) = f.stride, f.pad
    kh, kw = _shape(b, op.inputs[1])[2:]
    b.node("Conv", x, y, kernel_shape=[kh, kw], strides=[sy, sx], pads=[ph, pw, ph, pw])


def _deconv(b, f, op, x, y):
    (sy, sx), (ph, pw) = f.stride, f.pad
    kh, kw = _shape(b, op.inputs[1])[2:]
    h, w = _shape(b, op.inputs[0])[2:]
    oh, ow = _shape(b, op.outputs[0])[2:]
    extra = [oh - (sy * (h - 1) + kh - 2 * ph), ow - (sx * (w - 1) + kw - 2 * pw)]
    b.node("ConvTranspose", x, y, kernel_shape=[kh, kw], strides=[sy, sx],
           pads=[ph, pw, ph, pw], output_padding=extra)


def _pool(op_type: str) -> Callable:
    def convert(b, f, op, x, y):
        w = f.windows
        (kh, kw), (sy, sx), (ph, pw) = w.kernel_size, w.stride, w.pad
        attrs = {"count_include_pad": 1} if op_type == "AveragePool" else {}
        b.node(op_type, x, y, kernel_shape=[kh, kw], strides=[sy, sx], pads=[ph, pw, ph, pw],
               **attrs)
    return convert


_CONVERTERS: dict[str, Callable] = {
    "Linear": _linear, "MatMul": _unary("MatMul"), "Add": _unary("Add"), "Sub": _unary("Sub"),
    "Mul": _unary("Mul"), "Div": _unary("Div"), "Neg": _unary("Neg"), "Pow": _unary("Pow"),
    "AddConst": _const_op("Add"), "MulConst": _const_op("Mul"), "DivConst": _const_op("Div"),
    "RSubConst": _const_op("Sub", reverse=True), "RDivConst": _const_op("Div", reverse=True),
    "PowConst": _const_op("Pow"), "Copy": _unary("Identity"),
    "ReLU": _unary("Relu"), "Sigmoid": _unary("Sigmoid"), "Tanh": _unary("Tanh"),
    "Exp": _unary("Exp"), "Log": _unary("Log"), "Sin": _unary("Sin"), "Cos": _unary("Cos"),
    "Abs": _unary("Abs"), "Sqrt": _unary("Sqrt"), "Square": _square, "Clip": _clip,
    "LeakyReLU": lambda b, f, op, x, y: b.node("LeakyRelu", x, y, alpha=float(f.slope)),
    "Softmax": _softmax("Softmax"), "LogSoftmax": _softmax("LogSoftmax"),
    "Reshape": _reshape, "Transpose": _transpose, "BroadcastTo": _broadcast_to, "Sum": _sum,
    "GetItem": _get_item, "Concat": _concat,
    "Conv2d": _conv, "Deconv2d": _deconv,
    "MaxPooling": _pool("MaxPool"), "AveragePooling": _pool("AveragePool"),
}
SUPPORTED_FUNCTIONS = tuple(sorted(_CONVERTERS))
"""The names of the Function classes :func:`export` maps to ONNX."""


def _import_onnx() -> Any:
    try:
        import onnx
        import onnx.numpy_helper  # noqa: F401
    except ImportError:
        raise ImportError("dezero.onnx needs the onnx package: pip install 'dezero[onnx]' "
                          "(or pip install onnx)") from None
    return onnx


def _names(given: Sequence[str] | None, n: int, stem: str, who: str) -> list[str]:
    if given is None:
        return [stem] if n == 1 else [f"{stem}{i}" for i in range(n)]
    given = list(given)
    if len(given) != n:
        raise ValueError(f"export: {who} has {len(given)} name(s) but the program has {n}")
    return given


def to_model(program: Program, input_names: Sequence[str] | None = None,
             output_names: Sequence[str] | None = None, opset_version: int = 17,
             dynamic_batch: bool = False) -> Any:
    """The ``onnx.ModelProto`` of a traced :class:`~dezero.trace` program."""
    onnx = _import_onnx()
    if opset_version < 13:
        raise ValueError(f"export: opset_version must be 13 or newer, got {opset_version}")
    b = _Builder(onnx, program, dynamic_batch)
    ins = _names(input_names, program.n_inputs, "input", "input_names")
    outs = _names(output_names, len(program.outputs), "output", "output_names")
    names = {i: ins[i] for i in range(program.n_inputs)}
    for k, c in enumerate(program.constants):
        slot = program.n_inputs + k
        names[slot] = program.constant_names[k]
        b.initializers.append(onnx.numpy_helper.from_array(np.asarray(c.data), names[slot]))
    final = {}
    for j, slot in enumerate(program.outputs):
        final.setdefault(slot, outs[j])
    for op in program.operations:
        convert = _CONVERTERS.get(op.name)
        if convert is None:
            raise UnsupportedOperatorError(
                f"export: Function {op.name} has no ONNX mapping (supported: "
                f"{', '.join(SUPPORTED_FUNCTIONS)})")
        if any(j is None for j in op.outputs) or len(op.outputs) != 1:
            raise UnsupportedOperatorError(f"export: Function {op.name} with several outputs "
                                           "has no ONNX mapping")
        slot = op.outputs[0]
        names[slot] = final.get(slot, program.slot_name(slot))
        convert(b, op.function, op, [names[i] for i in op.inputs], names[slot])
    for j, slot in enumerate(program.outputs):
        if names[slot] != outs[j]:  # an output that is an input, a constant or repeated
            b.node("Identity", [names[slot]], outs[j])

    def value_info(name: str, slot: int) -> Any:
        shape, dtype = program.slot_types[slot]
        dims: list = list(shape)
        if dynamic_batch and dims:
            dims[0] = "batch"
        return onnx.helper.make_tensor_value_info(
            name, onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype)), dims)

    graph = onnx.helper.make_graph(
        b.nodes, "dezero", [value_info(ins[i], i) for i in range(program.n_inputs)],
        [value_info(outs[j], s) for j, s in enumerate(program.outputs)], b.initializers)
    model = onnx.helper.make_model(graph, producer_name="dezero",
                                   opset_imports=[onnx.helper.make_opsetid("", opset_version)])
    model.ir_version = min(model.ir_version, 8)  # readable by older runtimes too
    return model


def export(fn: Callable[..., Any], example_inputs: Any, path: str | os.PathLike,
           input_names: Sequence[str] | None = None, output_names: Sequence[str] | None = None,
           opset_version: int = 17, dynamic_batch: bool = False) -> Any:
    """Trace ``fn(*example_inputs)`` (see :func:`dezero.trace`) and write it to ``path``
    as an ONNX model; returns the ``onnx.ModelProto``.

    ``example_inputs`` is one array or a tuple of arrays.  Inputs are named ``input``
    (``input0``, ``input1`` ... for several) and outputs ``output`` unless
    ``input_names``/``output_names`` say otherwise.  ``dynamic_batch=True`` makes the
    first axis of every input and output a symbolic ``batch`` dimension (the
    traced reshapes then keep the batch size they are given).  A Function with no
    mapping raises :class:`UnsupportedOperatorError` naming it.
    """
    if not isinstance(example_inputs, (tuple, list)):
        example_inputs = (example_inputs,)
    program = trace(fn, *example_inputs)
    model = to_model(program, input_names, output_names, opset_version, dynamic_batch)
    onnx = _import_onnx()
    onnx.save(model, os.fspath(path))
    return model
