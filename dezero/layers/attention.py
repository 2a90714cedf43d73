"""Multi-head attention."""
from __future__ import annotations

from typing import Any

import dezero.functions as F
from dezero.core import Variable
from dezero.layers.base import Layer, input_shape
from dezero.layers.basic import Linear
from dezero.utils.checks import as_flag, as_size, describe


class MultiHeadAttention(Layer):
    """Multi-head scaled dot-product attention over inputs of shape (N, L, embed_dim).

    Called as ``mha(q, k=None, v=None, mask=None, causal=False)``: q (N, L, E) attends to
    k (N, S, E) with values v (N, S, E); ``k`` defaults to ``q`` (self-attention) and ``v``
    to ``k``.  q, k and v go through their own :class:`Linear` projections (``q_proj``,
    ``k_proj``, ``v_proj``), are split into ``num_heads`` heads of embed_dim / num_heads
    features, attend per head with :func:`dezero.functions.scaled_dot_product_attention`, and
    the merged heads go through ``out_proj``.  ``mask`` is boolean, True = attend, shaped
    (L, S), (N, L, S) or (N, 1, L, S) (also (N, num_heads, L, S)); ``causal`` hides key
    j > i from query i.  A query that may attend to no key gets the output bias only
    (its attention is 0).  The result is (N, L, E).
    """

    def __init__(self, embed_dim: int, num_heads: int) -> None:
        super().__init__()
        who = type(self).__name__
        embed_dim = as_size(embed_dim, who, "embed_dim")
        num_heads = as_size(num_heads, who, "num_heads")
        if embed_dim % num_heads:
            raise ValueError(f"{who}: embed_dim ({embed_dim}) must be divisible by num_heads "
                             f"({num_heads}); each head gets embed_dim / num_heads features")
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.head_dim = embed_dim // num_heads
        self.q_proj = Linear(embed_dim, in_size=embed_dim)
        self.k_proj = Linear(embed_dim, in_size=embed_dim)
        self.v_proj = Linear(embed_dim, in_size=embed_dim)
        self.out_proj = Linear(embed_dim, in_size=embed_dim)

    def __call__(self, q: Any, k: Any = None, v: Any = None, mask: Any = None,
                 causal: bool = False) -> Variable:
        # Layer.__call__ passes positional inputs only: the keywords are spelled out here.
        return super().__call__(q, k, v, mask, causal)

    def _check(self, x: Any, name: str) -> tuple[int, ...]:
        who = type(self).__name__
        shape = input_shape(x, who)
        if len(shape) != 3 or shape[-1] != self.embed_dim:
            raise ValueError(f"{who}: {name} must have shape (N, length, {self.embed_dim}) "
                             f"(embed_dim={self.embed_dim}), got {shape}")
        return shape

    def _heads(self, x: Variable) -> Variable:
        """(N, L, E) → (N, H, L, E/H)."""
        n, length, _ = x.shape
        return F.transpose(F.reshape(x, (n, length, self.num_heads, self.head_dim)),
                           (0, 2, 1, 3))

    def forward(self, q: Any, k: Any = None, v: Any = None, mask: Any = None,
                causal: bool = False) -> Variable:
        """Attend from ``q`` to ``k``/``v`` (see the class); returns (N, L, embed_dim)."""
        who = type(self).__name__
        causal = as_flag(causal, who, "causal")
        k = q if k is None else k
        v = k if v is None else v
        (n, length, _), (nk, s, _), (nv, sv, _) = (self._check(a, name) for a, name in
                                                   ((q, "q"), (k, "k"), (v, "v")))
        if not n == nk == nv or s != sv:
            raise ValueError(f"{who}: q (N, L, E), k and v (N, S, E) must share N, and k and v "
                             f"S; got q {(n, length)}, k {(nk, s)}, v {(nv, sv)} (N, length)")
        if mask is not None:
            data = mask.data if isinstance(mask, Variable) else mask
            ndim = getattr(data, "ndim", None)
            if ndim == 3:  # (N, L, S): the same mask for every head
                mask = data[:, None]
            elif ndim not in (2, 4):
                raise ValueError(f"{who}: mask must be (L, S), (N, L, S) or (N, 1, L, S), got "
                                 f"{describe(mask) if ndim is None else tuple(data.shape)}")
        heads = F.scaled_dot_product_attention(self._heads(self.q_proj(q)),
                                               self._heads(self.k_proj(k)),
                                               self._heads(self.v_proj(v)), mask=mask,
                                               causal=causal)
        merged = F.reshape(F.transpose(heads, (0, 2, 1, 3)), (n, length, self.embed_dim))
        return self.out_proj(merged)
