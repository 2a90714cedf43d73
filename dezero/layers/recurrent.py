"""Recurrent layers: an Elman RNN, an LSTM and a GRU, each keeping its state between calls."""
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


class GRU(Layer):
    """Gated recurrent unit, one time step per call, with PyTorch's gate conventions.

    r = σ(x W_ir + b_ir + h W_hr + b_hr);  z = σ(x W_iz + b_iz + h W_hz + b_hz);
    n = tanh(x W_in + b_in + r ⊙ (h W_hn + b_hn));  h_t = (1 − z) ⊙ n + z ⊙ h_{t-1};
    with h_0 = 0 (the first step uses the hidden biases b_h· alone).  r is the
    reset gate, z the update gate (z = 1 keeps the old state), n the candidate.
    Sub-layers ``x2r x2z x2n`` hold W_i· (in_size × hidden_size) and b_i·, and
    ``h2r h2z h2n`` hold W_h· (hidden_size × hidden_size) and b_h·: Linear
    layers, so each W is the transpose of PyTorch's block of ``weight_ih_l0`` /
    ``weight_hh_l0`` (gate order r, z, n there).  ``in_size`` may be left None
    (taken from the first input).  :meth:`reset_state` starts a new sequence.
    """

    def __init__(self, hidden_size: int, in_size: int | None = None) -> None:
        super().__init__()
        H = as_size(hidden_size, type(self).__name__, "hidden_size")
        I = as_optional_size(in_size, type(self).__name__, "in_size")
        self.x2r = Linear(H, in_size=I)
        self.x2z = Linear(H, in_size=I)
        self.x2n = Linear(H, in_size=I)
        self.h2r = Linear(H, in_size=H)
        self.h2z = Linear(H, in_size=H)
        self.h2n = Linear(H, in_size=H)
        self.h: Variable | None = None

    def reset_state(self) -> None:
        """Forget the hidden state (the next call starts a new sequence)."""
        self.h = None

    def _hidden(self, layer: Linear) -> Any:
        # h W + b, where h_0 = 0 leaves the bias alone.
        return layer.b if self.h is None else layer(self.h)

    def forward(self, x: Any) -> Variable:
        """One time step: the new hidden state (batch, hidden_size)."""
        _check_step_input(self, x, self.h)
        r = F.sigmoid(self.x2r(x) + self._hidden(self.h2r))
        z = F.sigmoid(self.x2z(x) + self._hidden(self.h2z))
        n = F.tanh(self.x2n(x) + r * self._hidden(self.h2n))
        h_new = (1 - z) * n if self.h is None else (1 - z) * n + z * self.h
        self.h = h_new
        return h_new
