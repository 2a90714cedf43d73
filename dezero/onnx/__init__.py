"""Export a traced dezero function to ONNX (optional extra ``onnx``: ``pip install dezero[onnx]``).

:func:`export` traces ``fn`` with :func:`dezero.trace` and writes the program as an
ONNX model: each recorded Function becomes one or a few ONNX nodes, Parameters
become initializers named by their layer paths (``l1.W``), other captured arrays
initializers named ``c0``, ``c1`` ...  The ``onnx`` package is imported only when
:func:`export` runs, so ``import dezero`` needs NumPy only.

Supported Functions (``SUPPORTED_FUNCTIONS``): Linear, MatMul, Einsum, Add, Sub,
Mul, Div, Neg, Pow, the ``*Const`` arithmetic forms, Maximum, Minimum, ReLU, LeakyReLU,
ELU, GELU (erf and tanh forms), SiLU, Softplus, Sigmoid, Tanh, Exp, Log, Sin, Cos, Abs,
Sqrt, Square, Clip, Where, Softmax, LogSoftmax, LayerNorm, MaskedSoftmax (so
scaled_dot_product_attention and MultiHeadAttention, masks and causal included; a fully
masked row gives 0 as in dezero), Sum, Max, Min, LogSumExp, Cumsum (so mean, var, std),
Reshape, Transpose, BroadcastTo, GetItem (ints, step-1 slices, one integer array index:
embed_id, edge/reflect pads), Pad (constant), Split, Concat, Copy, Conv2d, Deconv2d,
MaxPooling, AveragePooling.  RNN, LSTM and GRU layers trace to these (unrolled over the
steps the traced function takes); test-mode batch norm and dropout are traced as
arithmetic and as nothing.  Any other Function raises :class:`UnsupportedOperatorError`.
"""
from __future__ import annotations

import os
from typing import Any, Callable, Sequence

import numpy as np

from dezero._trace import Program, trace
from dezero.onnx._mappings import (_CONVERTERS, _MULTI_OUTPUT, SUPPORTED_FUNCTIONS,
                                   UnsupportedOperatorError, _Builder)

__all__ = ["export", "to_model", "UnsupportedOperatorError", "SUPPORTED_FUNCTIONS"]


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
    b = _Builder(onnx, program, dynamic_batch, opset_version)
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
        if len(op.outputs) != 1 and op.name not in _MULTI_OUTPUT:
            raise UnsupportedOperatorError(f"export: Function {op.name} with several outputs "
                                           "has no ONNX mapping")
        ys = []
        for slot in op.outputs:
            if slot is None:  # an output the traced function dropped
                b.n_temp += 1
                ys.append(f"_t{b.n_temp}")
                continue
            names[slot] = final.get(slot, program.slot_name(slot))
            ys.append(names[slot])
        convert(b, op.function, op, [names[i] for i in op.inputs],
                ys if op.name in _MULTI_OUTPUT else ys[0])
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
