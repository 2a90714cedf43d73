"""OpSpecs for dezero.functions.shape."""
import numpy as np
from opinfo import OpSpec

import dezero.functions as F

SPECS = [
    OpSpec("reshape", lambda x: F.reshape(x, (3, 2)), lambda x: x.reshape(3, 2), [((2, 3),)]),
    OpSpec("reshape", lambda x: F.reshape(x, (-1,)), lambda x: x.reshape(-1),
           [((2, 3),), ((),)], label="reshape-flat"),
    OpSpec("transpose", F.transpose, np.transpose, [((2, 3),), ((2, 3, 4),), ((),)]),
    OpSpec("transpose", lambda x: F.transpose(x, (1, 2, 0)), lambda x: x.transpose(1, 2, 0),
           [((2, 3, 4),)], label="transpose-axes"),
    OpSpec("get_item", lambda x: F.get_item(x, 1), lambda x: x[1], [((3, 4),)]),
    OpSpec("get_item", lambda x: F.get_item(x, (slice(None), slice(1, 3))),
           lambda x: x[:, 1:3], [((3, 4),)], label="get_item-slice"),
    OpSpec("get_item", lambda x: F.get_item(x, np.array([0, 2, 0])),
           lambda x: x[np.array([0, 2, 0])], [((3, 4),)], label="get_item-repeated"),
    OpSpec("get_item", lambda x: F.get_item(x, (np.arange(3), np.array([1, 0, 3]))),
           lambda x: x[np.arange(3), np.array([1, 0, 3])], [((3, 4),)], label="get_item-pairs"),
    OpSpec("expand_dims", lambda x: F.expand_dims(x, -1), lambda x: np.expand_dims(x, -1),
           [((2, 3),), ((),)]),
    OpSpec("expand_dims", lambda x: F.expand_dims(x, 1), lambda x: np.expand_dims(x, 1),
           [((2, 3),)], label="expand_dims-1"),
    OpSpec("flatten", F.flatten, lambda x: x.reshape(x.shape[0], -1), [((2, 3, 4),)]),
    OpSpec("broadcast_to", lambda x: F.broadcast_to(x, (2, 3)),
           lambda x: np.broadcast_to(x, (2, 3)), [((3,),), ((),), ((2, 1),)]),
    OpSpec("sum_to", lambda x: F.sum_to(x, (1, 3)), lambda x: x.sum(0, keepdims=True),
           [((2, 3),)]),
    OpSpec("sum_to", lambda x: F.sum_to(x, (3,)), lambda x: x.sum(0),
           [((2, 3),)], label="sum_to-lead"),
    OpSpec("sum_to", lambda x: F.sum_to(x, ()), lambda x: x.sum(),
           [((2, 3),)], label="sum_to-scalar"),
]
