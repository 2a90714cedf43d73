"""The ONNX node(s) for each traced dezero Function: ``_CONVERTERS[name](b, f, op, x, y)``
adds nodes to the builder ``b`` for Function ``f`` (operation ``op``) reading the value
names ``x`` and writing ``y`` (a list of names for a Function with several outputs)."""
from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np

from dezero._trace import Program

class UnsupportedOperatorError(NotImplementedError):
    """A traced Function has no ONNX mapping; the message names its class."""


class _Builder:
    """Collects ONNX nodes and initializers while the program's operations are mapped."""

    def __init__(self, onnx: Any, program: Program, dynamic_batch: bool,
                 opset: int = 17) -> None:
        self.onnx, self.program, self.dynamic_batch = onnx, program, dynamic_batch
        self.opset = opset
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

    def node(self, op_type: str, inputs: Sequence[str], output: Any = None,
             **attrs: Any) -> Any:
        """Add a node; ``output`` is its output's name (a new temporary when None) or a
        list of names for several outputs.  Returns the output name(s)."""
        if output is None:
            self.n_temp += 1
            output = f"_t{self.n_temp}"
        outs = list(output) if isinstance(output, (list, tuple)) else [output]
        self.nodes.append(self.onnx.helper.make_node(op_type, list(inputs), outs, **attrs))
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


def _gather(b, f, op, x, y, slices) -> bool:
    """``x[:, ..., :, index]`` with one integer array index (edge/reflect pads, embed_id) as
    ONNX Gather; False when the index has another form."""
    *lead, index = slices
    if not (isinstance(index, np.ndarray) and index.dtype.kind in "iu"
            and all(isinstance(s, slice) and s == slice(None) for s in lead)):
        return False
    b.node("Gather", [x[0], b.const(index.astype(np.int64), hint="index")], y, axis=len(lead))
    return True


def _get_item(b, f, op, x, y):
    slices = f.slices if isinstance(f.slices, tuple) else (f.slices,)
    shape = _shape(b, op.inputs[0])
    if slices and _gather(b, f, op, x, y, slices):
        return
    starts, ends, axes, squeeze = [], [], [], []
    if len(slices) > len(shape) or not all(
            isinstance(s, (int, np.integer)) or (isinstance(s, slice) and s.step in (None, 1))
            for s in slices):
        raise UnsupportedOperatorError(f"GetItem with index {f.slices!r} has no ONNX mapping "
                                       "(ints and step-1 slices, or one integer array index "
                                       "after full slices)")
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


def _axes_of(b, slot: int, axis: Any) -> list[int]:
    ndim = len(_shape(b, slot))
    if axis is None:
        return list(range(ndim))
    return [int(a) % ndim for a in (axis if isinstance(axis, (tuple, list)) else (axis,))]


def _reduce(op_type: str) -> Callable:
    """ReduceMax/ReduceMin/ReduceLogSumExp: axes an attribute before opset 18, an input after."""
    def convert(b, f, op, x, y):
        axes = _axes_of(b, op.inputs[0], f.axis)
        keepdims = int(bool(f.keepdims))
        if not axes:
            b.node("Identity", x, y)
        elif b.opset >= 18:
            b.node(op_type, [x[0], b.ints(axes)], y, keepdims=keepdims)
        else:
            b.node(op_type, x, y, axes=axes, keepdims=keepdims)
    return convert


def _where(b, f, op, x, y):
    b.node("Where", [b.const(np.asarray(f.condition, dtype=bool), hint="cond"), x[0], x[1]], y)


def _pad(b, f, op, x, y):
    value = np.asarray(f.constant_values)
    if value.size != 1 and not (value == value.flat[0]).all():
        raise UnsupportedOperatorError("Pad with a different constant per axis has no ONNX "
                                       "mapping (one constant_values only)")
    before = [int(w[0]) for w in f.pad_width]
    after = [int(w[1]) for w in f.pad_width]
    b.node("Pad", [x[0], b.ints(before + after),
                   b.const(value.flat[0], _dtype(b, op.outputs[0]))], y, mode="constant")


def _split(b, f, op, x, ys):
    n = _shape(b, op.inputs[0])[f.axis]
    ranges = f._slices(n)
    if all(start == (ranges[i - 1][1] if i else 0) and stop >= start
           for i, (start, stop) in enumerate(ranges)) and ranges[-1][1] == n:
        sizes = [stop - start for start, stop in ranges]
        b.node("Split", [x[0], b.ints(sizes)], ys, axis=int(f.axis))
        return
    for (start, stop), y in zip(ranges, ys):  # overlapping or unordered indices
        b.node("Slice", [x[0], b.ints([start]), b.ints([max(start, stop)]), b.ints([f.axis])], y)


def _gelu(b, f, op, x, y):
    dtype = _dtype(b, op.outputs[0])
    half = b.const(0.5, dtype)
    one = b.const(1.0, dtype)
    if f.approximate == "tanh":
        x3 = b.node("Mul", [b.node("Mul", [x[0], x[0]]), x[0]])
        inner = b.node("Add", [x[0], b.node("Mul", [x3, b.const(f._A, dtype)])])
        t = b.node("Tanh", [b.node("Mul", [inner, b.const(f._C, dtype)])])
    else:
        t = b.node("Erf", [b.node("Div", [x[0], b.const(math.sqrt(2.0), dtype)])])
    b.node("Mul", [x[0], b.node("Mul", [b.node("Add", [t, one]), half])], y)


def _silu(b, f, op, x, y):
    b.node("Mul", [x[0], b.node("Sigmoid", x)], y)


def _cumsum(b, f, op, x, y):
    b.node("CumSum", [x[0], b.const(np.int64(f.axis), hint="axis")], y)


def _einsum(b, f, op, x, y):
    b.node("Einsum", x, y, equation=",".join(f.ins) + "->" + f.out)


def _layer_norm(b, f, op, x, y):
    b.node("LayerNormalization", x, y, axis=-len(f.axes), epsilon=float(f.eps))


def _masked_softmax(b, f, op, x, y):
    """Softmax over the last axis of the kept scores; a fully masked row is 0, as in dezero
    (its softmax of all −inf is nan, which the second Where replaces)."""
    dtype = _dtype(b, op.outputs[0])
    mask = b.const(np.asarray(f.mask, dtype=bool), hint="mask")
    masked = b.node("Where", [mask, x[0], b.const(-np.inf, dtype)])
    b.node("Where", [mask, b.node("Softmax", [masked], axis=-1), b.const(0, dtype)], y)


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
    "Max": _reduce("ReduceMax"), "Min": _reduce("ReduceMin"),
    "LogSumExp": _reduce("ReduceLogSumExp"), "Cumsum": _cumsum,
    "Maximum": _unary("Max"), "Minimum": _unary("Min"), "Where": _where, "Pad": _pad,
    "Split": _split, "Einsum": _einsum, "LayerNorm": _layer_norm,
    "MaskedSoftmax": _masked_softmax, "GELU": _gelu, "SiLU": _silu,
    "Softplus": _unary("Softplus"),
    "ELU": lambda b, f, op, x, y: b.node("Elu", x, y, alpha=float(f.alpha)),
}
_MULTI_OUTPUT = frozenset({"Split"})
"""The Functions with several outputs that have a mapping (their converters take a list)."""
SUPPORTED_FUNCTIONS = tuple(sorted(_CONVERTERS))
"""The names of the Function classes :func:`export` maps to ONNX."""
