"""Model (a Layer that can draw itself), Sequential and MLP."""
from __future__ import annotations

from typing import Any, Callable, Sequence

import dezero.functions as F
import dezero.layers as L
from dezero.core import Variable
from dezero.layers import Layer
from dezero.utils.checks import as_size, check_callable, describe


class Model(Layer):
    """A top-level Layer; adds :meth:`plot` to draw its computational graph."""

    def plot(self, *inputs: Any, to_file: str = "model.png", **options: Any) -> Any:
        """Run ``forward(*inputs)`` and draw the graph of the result to ``to_file`` (Graphviz).

        Parameters are labelled with their attribute paths (``model=self``);
        ``options`` are passed on to :func:`dezero.utils.plot_dot_graph`.
        """
        from dezero.utils import plot_dot_graph
        return plot_dot_graph(self.forward(*inputs), verbose=True, to_file=to_file, model=self,
                              **options)


class Sequential(Model):
    """Applies ``layers`` in order; they are registered as ``l0``, ``l1``, … (plain callables
    such as ``F.relu`` are allowed and hold no parameters)."""

    def __init__(self, *layers: Callable[[Any], Any]) -> None:
        super().__init__()
        for i, layer in enumerate(layers):
            check_callable(layer, type(self).__name__, f"layers[{i}]")
        self.layers = []
        for i, layer in enumerate(layers):
            setattr(self, f"l{i}", layer)
            self.layers.append(layer)

    def forward(self, x: Any) -> Any:
        """``layers[-1](… layers[0](x))``."""
        for layer in self.layers:
            x = layer(x)
        return x


class MLP(Model):
    """Multi-layer perceptron: Linear layers ``l0, l1, …`` with ``activation`` between them.

    ``fc_output_sizes`` (a sequence of positive integers, such as ``(10, 1)``)
    gives each layer's output size; input sizes are inferred on the first call.
    No activation follows the last layer.
    """

    def __init__(self, fc_output_sizes: Sequence[int],
                 activation: Callable[[Any], Variable] = F.sigmoid) -> None:
        super().__init__()
        who = type(self).__name__
        if isinstance(fc_output_sizes, (str, bytes)) or not hasattr(fc_output_sizes, "__iter__"):
            raise TypeError(f"{who}: fc_output_sizes must be a sequence of layer sizes such as "
                            f"(10, 1), got {describe(fc_output_sizes)}; for one layer write "
                            "(size,)")
        sizes = [as_size(size, who, f"fc_output_sizes[{i}]")
                 for i, size in enumerate(fc_output_sizes)]
        if not sizes:
            raise ValueError(f"{who}: fc_output_sizes must name at least one layer size, got "
                             f"{describe(fc_output_sizes)}")
        self.activation = check_callable(activation, who, "activation")
        self.layers = []
        for i, out_size in enumerate(sizes):
            layer = L.Linear(out_size)
            setattr(self, f"l{i}", layer)
            self.layers.append(layer)

    def forward(self, x: Any) -> Variable:
        """activation(… activation(l0(x)) …) followed by the last Linear layer."""
        for layer in self.layers[:-1]:
            x = self.activation(layer(x))
        return self.layers[-1](x)


def load_pretrained(model: Layer, url: str) -> None:
    """Fetch the weights file at ``url`` (cached by ``dezero.utils.get_file``) into ``model``."""
    from dezero import utils
    model.load_weights(utils.get_file(url))
