"""OpSpecs for dezero.functions.attention (scaled_dot_product_attention)."""
import math

import numpy as np
from opinfo import OpSpec

import dezero.functions as F


def sdpa_ref(q, k, v, mask=None, causal=False):
    """softmax(q kᵀ/√D) v with the masked scores left out; a query row with every key
    masked has weights 0 (output 0)."""
    q, k, v = (a if a.dtype.kind == "f" else a.astype(np.float64) for a in (q, k, v))
    d = q.shape[-1]
    s = q @ np.swapaxes(k, -1, -2) * (1 / math.sqrt(d) if d else 1.0)
    keep = np.ones(s.shape, dtype=bool)
    if mask is not None:
        keep = keep & mask
    if causal:
        keep = keep & np.tril(np.ones(s.shape[-2:], dtype=bool))
    s = np.broadcast_to(s, keep.shape)
    top = np.where(keep, s, -np.inf).max(axis=-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0)
    e = np.where(keep, np.exp(np.where(keep, s - top, 0)), 0)
    total = e.sum(axis=-1, keepdims=True)
    return (e / np.where(total > 0, total, 1)) @ v


# Query row 1 attends to nothing (fully masked); the others to a few keys each.
MASK = np.array([[True, False, True, True, False],
                 [False, False, False, False, False],
                 [True, True, False, True, True]])
# Per batch element (2, 1, 1, 4): a padding mask over the keys.
PADDING = np.array([[True, True, True, False], [True, True, False, False]])[:, None, None, :]


def _causal(q, k, v):
    return F.scaled_dot_product_attention(q, k, v, causal=True)


SPECS = [
    OpSpec("scaled_dot_product_attention", F.scaled_dot_product_attention, sdpa_ref,
           [((2, 3, 4), (2, 5, 4), (2, 5, 6)), ((3, 2), (4, 2), (4, 3)),
            ((2, 1, 3, 2), (1, 2, 4, 2), (2, 2, 4, 3)), ((3, 4), (2, 5, 4), (5, 2))]),
    OpSpec("scaled_dot_product_attention",
           lambda q, k, v: F.scaled_dot_product_attention(q, k, v, mask=MASK),
           lambda q, k, v: sdpa_ref(q, k, v, mask=MASK),
           [((2, 3, 4), (2, 5, 4), (2, 5, 2)), ((3, 2), (5, 2), (5, 3))],
           label="scaled_dot_product_attention-mask"),
    OpSpec("scaled_dot_product_attention", _causal, lambda q, k, v: sdpa_ref(q, k, v, causal=True),
           [((2, 4, 3), (2, 4, 3), (2, 4, 2)), ((3, 2), (5, 2), (5, 2))],
           label="scaled_dot_product_attention-causal"),
    OpSpec("scaled_dot_product_attention",
           lambda q, k, v: F.scaled_dot_product_attention(q, k, v, mask=PADDING, causal=True),
           lambda q, k, v: sdpa_ref(q, k, v, mask=PADDING, causal=True),
           [((2, 2, 4, 2), (2, 2, 4, 2), (2, 2, 4, 2))],
           label="scaled_dot_product_attention-padding-causal"),
]
