"""Recurrent layers: an Elman RNN and an LSTM, each keeping its state between calls."""
from __future__ import annotations

from typing import Any

import dezero.functions as F
from dezero.core import Variable
from dezero.utils.checks import as_optional_size, as_size
from dezero.layers.base import Layer, input_shape
from dezero.layers.basic import Linear


def _check_step_input(layer: Layer, x: Any, h: Variable | None) -> None:
    """Refuse an input whose batch differs from the hidden state's, naming ``reset_state``."""
    who = type(layer).__name__
    shape = input_shape(x, who)
    if h is not None and shape[:-1] != h.shape[:-1]:
        raise ValueError(f"{who}: the input of shape {shape} has batch shape {shape[:-1]}, but "
                         f"the hidden state kept from the previous step has batch shape "
                         f"{h.shape[:-1]}; call reset_state() before starting a sequence with "
                         "another batch size")


class RNN(Layer):
    """Elman RNN: h_t = tanh(x_t @ Wx + bx + h_{t-1} @ Wh); h_0 = 0.

    Call it once per time step; :meth:`reset_state` starts a new sequence.
    Sub-layers are ``x2h`` (with bias) and ``h2h`` (no bias).  DeZero 0.0.13
    gives ``h2h`` the input size instead of the hidden size, which breaks when
    ``in_size`` is given and differs from ``hidden_size``; here h2h is H × H.
    """

    def __init__(self, hidden_size: int, in_size: int | None = None) -> None:
        super().__init__()
        hidden_size = as_size(hidden_size, type(self).__name__, "hidden_size")
        in_size = as_optional_size(in_size, type(self).__name__, "in_size")
        self.x2h = Linear(hidden_size, in_size=in_size)
        # Sized at construction only when the input size is: the random numbers
        # are then drawn in the same order as DeZero's.
        self.h2h = Linear(hidden_size, in_size=None if in_size is None else hidden_size,
                          nobias=True)
        self.h: Variable | None = None

    def reset_state(self) -> None:
        """Forget the hidden state (the next call starts a new sequence)."""
        self.h = None

    def forward(self, x: Any) -> Variable:
        """One time step: the new hidden state (batch, hidden_size)."""
        _check_step_input(self, x, self.h)
        if self.h is None:
            h_new = F.tanh(self.x2h(x))
        else:
            h_new = F.tanh(self.x2h(x) + self.h2h(self.h))
        self.h = h_new
        return h_new


class LSTM(Layer):
    """Long short-term memory layer, one time step per call.

    f, i, o = σ(x Wx· + b· + h Wh·); u = tanh(x Wxu + bu + h Whu);
    c_t = f · c_{t-1} + i · u; h_t = o · tanh(c_t); with h_0 = c_0 = 0.
    Sub-layers ``x2f x2i x2o x2u`` (with bias) and ``h2f h2i h2o h2u`` (no bias),
    named as in DeZero so its weight files load.
    """

    def __init__(self, hidden_size: int, in_size: int | None = None) -> None:
        super().__init__()
        H = as_size(hidden_size, type(self).__name__, "hidden_size")
        I = as_optional_size(in_size, type(self).__name__, "in_size")
        self.x2f = Linear(H, in_size=I)
        self.x2i = Linear(H, in_size=I)
        self.x2o = Linear(H, in_size=I)
        self.x2u = Linear(H, in_size=I)
        self.h2f = Linear(H, in_size=H, nobias=True)
        self.h2i = Linear(H, in_size=H, nobias=True)
        self.h2o = Linear(H, in_size=H, nobias=True)
        self.h2u = Linear(H, in_size=H, nobias=True)
        self.reset_state()

    def reset_state(self) -> None:
        """Forget the hidden and cell states (the next call starts a new sequence)."""
        self.h: Variable | None = None
        self.c: Variable | None = None

    def forward(self, x: Any) -> Variable:
        """One time step: the new hidden state (batch, hidden_size)."""
        _check_step_input(self, x, self.h)
        if self.h is None:
            f = F.sigmoid(self.x2f(x))
            i = F.sigmoid(self.x2i(x))
            o = F.sigmoid(self.x2o(x))
            u = F.tanh(self.x2u(x))
        else:
            f = F.sigmoid(self.x2f(x) + self.h2f(self.h))
            i = F.sigmoid(self.x2i(x) + self.h2i(self.h))
            o = F.sigmoid(self.x2o(x) + self.h2o(self.h))
            u = F.tanh(self.x2u(x) + self.h2u(self.h))
        c_new = i * u if self.c is None else f * self.c + i * u
        h_new = o * F.tanh(c_new)
        self.h, self.c = h_new, c_new
        return h_new
