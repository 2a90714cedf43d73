"""``Layer.summary``: a table of a model's layers, output shapes and parameter counts."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from dezero._config import no_grad, test_mode
from dezero.core import Parameter

if TYPE_CHECKING:
    from dezero.layers.base import Layer


class SummaryRow(NamedTuple):
    """One layer of a :class:`LayerSummary`."""

    path: str
    """Dotted attribute path from the model (``''`` for the model itself)."""
    type: str
    """The layer's class name."""
    output_shape: Any
    """Shape of the output of its first call (a tuple of shapes for several outputs);
    None if it was not called."""
    params: int
    """Elements of the Parameters and states the layer holds itself (not its sub-layers')."""


class LayerSummary:
    """The table :meth:`dezero.layers.Layer.summary` returns; ``str()`` renders it."""

    def __init__(self, rows: list[SummaryRow], total_params: int, trainable_params: int) -> None:
        self.rows = rows
        self.total_params = total_params
        self.trainable_params = trainable_params

    def __str__(self) -> str:
        header = ("Layer (path)", "Type", "Output shape", "Params")
        cells = [(row.path or "(model)", row.type, _shape_text(row.output_shape),
                  f"{row.params:,}") for row in self.rows]
        widths = [max(len(line[i]) for line in [header, *cells]) for i in range(4)]

        def line(values: tuple[str, ...]) -> str:
            left = [v.ljust(w) for v, w in zip(values[:3], widths)]
            return "  ".join([*left, values[3].rjust(widths[3])])

        rule = "-" * len(line(header))
        return "\n".join([
            line(header), rule, *(line(c) for c in cells), rule,
            f"Total params: {self.total_params:,}",
            f"Trainable params: {self.trainable_params:,}",
            f"Non-trainable params: {self.total_params - self.trainable_params:,}"])

    __repr__ = __str__


def _shape_text(shape: Any) -> str:
    return "--" if shape is None else str(shape)


def _shape_of(y: Any) -> Any:
    """The shape of a layer's output: a tuple, a tuple of shapes, or None."""
    if isinstance(y, (tuple, list)):
        return tuple(_shape_of(v) for v in y)
    shape = getattr(y, "shape", None)
    return None if shape is None else tuple(shape)


def summarize(model: "Layer", example_inputs: tuple) -> LayerSummary:
    """Run ``model`` once on ``example_inputs`` with forward hooks and tabulate its layers."""
    layers = [("", model), *model.named_layers()]
    shapes: dict[int, Any] = {}

    def record(layer: "Layer", inputs: tuple, outputs: Any) -> None:
        shapes.setdefault(id(layer), _shape_of(outputs))

    # Recurrent layers keep their state in plain attributes; give it back afterwards.
    saved = [(layer, {k: v for k, v in vars(layer).items()
                      if k not in layer._registries()[0] and k not in layer._registries()[1]})
             for _, layer in layers if callable(getattr(layer, "reset_state", None))]
    handles = [layer.register_forward_hook(record) for _, layer in layers]
    try:
        with no_grad(), test_mode():
            model(*example_inputs)
    finally:
        for handle in handles:
            handle.remove()
        for layer, state in saved:
            for key, value in state.items():
                object.__setattr__(layer, key, value)

    rows, seen = [], set()
    total = trainable = 0
    for path, layer in layers:
        params, states = layer._registries()
        own = 0
        for name in [*params, *states]:
            var = layer.__dict__[name]
            if name in params and not isinstance(var, Parameter):
                continue  # a sub-layer: it has a row of its own
            if id(var) in seen or var.data is None:
                continue
            seen.add(id(var))
            own += var.data.size
            if name in params:
                trainable += var.data.size
        total += own
        rows.append(SummaryRow(path, type(layer).__name__, shapes.get(id(layer)), own))
    return LayerSummary(rows, total, trainable)
