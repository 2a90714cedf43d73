"""OpSpecs for dezero.functions.shape."""
import numpy as np
from opinfo import OpSpec, strict_int

import dezero.functions as F

def _sum_to(x, shape):
    """Sum x down to ``shape`` (ints by NumPy's rules) that broadcasts to x.shape."""
    shape = (strict_int(shape),) if not isinstance(shape, (tuple, list)) else tuple(
        strict_int(s) for s in shape)
    lead = x.ndim - len(shape)
    if lead < 0 or min(shape, default=0) < 0 or any(
            s not in (1, d) for s, d in zip(shape, x.shape[lead:])):
        raise ValueError(f"cannot sum {x.shape} to {shape}")
    axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape)
                                      if s == 1 and x.shape[lead + i] != 1)
    return x.sum(axis=axes, keepdims=True).reshape(shape)


def _reshape(x, shape):
    """np.reshape, without NumPy 2's reading of shape=None as "unchanged" and of any
    negative entry (not only -1) as the unknown one."""
    if shape is None:
        raise TypeError("shape None")
    if min(np.reshape(shape, -1), default=0) < -1:
        raise ValueError("negative entry")
    return np.reshape(x, shape)


def _flatten(x):
    return x.reshape(x.shape[0], int(np.prod(x.shape[1:])))


SPECS = [
    OpSpec("reshape", lambda x: F.reshape(x, (3, 2)), lambda x: x.reshape(3, 2), [((2, 3),)],
           fuzz_shapes="any", fuzz_args={"shape": "reshape"}, fuzz_ref=_reshape),
    OpSpec("reshape", lambda x: F.reshape(x, (-1,)), lambda x: x.reshape(-1),
           [((2, 3),), ((),)], label="reshape-flat"),
    OpSpec("transpose", F.transpose, np.transpose, [((2, 3),), ((2, 3, 4),), ((),)],
           fuzz_shapes="any", fuzz_args={"axes": "perm"}, fuzz_ref=np.transpose),
    OpSpec("transpose", lambda x: F.transpose(x, (1, 2, 0)), lambda x: x.transpose(1, 2, 0),
           [((2, 3, 4),)], label="transpose-axes"),
    OpSpec("get_item", lambda x: F.get_item(x, 1), lambda x: x[1], [((3, 4),)],
           fuzz_shapes="any", fuzz_args={"slices": "index"},
           fuzz_ref=lambda x, slices: x[np.asarray(slices) if isinstance(slices, list)
                                        else slices]),
    OpSpec("get_item", lambda x: F.get_item(x, (slice(None), slice(1, 3))),
           lambda x: x[:, 1:3], [((3, 4),)], label="get_item-slice"),
    OpSpec("get_item", lambda x: F.get_item(x, np.array([0, 2, 0])),
           lambda x: x[np.array([0, 2, 0])], [((3, 4),)], label="get_item-repeated"),
    OpSpec("get_item", lambda x: F.get_item(x, (np.arange(3), np.array([1, 0, 3]))),
           lambda x: x[np.arange(3), np.array([1, 0, 3])], [((3, 4),)], label="get_item-pairs"),
    OpSpec("expand_dims", lambda x: F.expand_dims(x, -1), lambda x: np.expand_dims(x, -1),
           [((2, 3),), ((),)], fuzz_shapes="any", fuzz_args={"axis": "newaxis"},
           fuzz_ref=lambda x, axis: np.expand_dims(x, strict_int(axis))),
    OpSpec("expand_dims", lambda x: F.expand_dims(x, 1), lambda x: np.expand_dims(x, 1),
           [((2, 3),)], label="expand_dims-1"),
    OpSpec("flatten", F.flatten, _flatten, [((2, 3, 4),)], fuzz_shapes="any"),
    OpSpec("broadcast_to", lambda x: F.broadcast_to(x, (2, 3)),
           lambda x: np.broadcast_to(x, (2, 3)), [((3,),), ((),), ((2, 1),)],
           fuzz_shapes="any", fuzz_args={"shape": "bshape"}, fuzz_ref=np.broadcast_to),
    OpSpec("sum_to", lambda x: F.sum_to(x, (1, 3)), lambda x: _sum_to(x, (1, 3)),
           [((2, 3),)], fuzz_shapes="any", fuzz_args={"shape": "sshape"}, fuzz_ref=_sum_to),
    OpSpec("sum_to", lambda x: F.sum_to(x, (3,)), lambda x: _sum_to(x, (3,)),
           [((2, 3),)], label="sum_to-lead"),
    OpSpec("sum_to", lambda x: F.sum_to(x, ()), lambda x: x.sum(),
           [((2, 3),)], label="sum_to-scalar"),
]


# -- joining, splitting, selecting and padding -------------------------------------------------

def _where_inputs(rng, shapes):
    """A boolean condition (not differentiated) and two floating operands."""
    c, x, y = shapes
    return [np.asarray(rng.uniform(size=c) > 0.5), np.asarray(rng.uniform(-2, 2, size=x)),
            np.asarray(rng.uniform(-2, 2, size=y))]


SPECS += [
    OpSpec("concat", lambda a, b: F.concat([a, b]), lambda a, b: np.concatenate([a, b]),
           [((2, 3), (4, 3)), ((3,), (2,)), ((2, 3), (0, 3))]),
    OpSpec("concat", lambda a, b, c: F.concat((a, b, c), axis=-1),
           lambda a, b, c: np.concatenate((a, b, c), axis=-1),
           [((2, 3), (2, 1), (2, 2)), ((2, 2, 1), (2, 2, 3), (2, 2, 2))], label="concat-neg"),
    OpSpec("concat", lambda a: F.concatenate([a], axis=1), lambda a: np.concatenate([a], 1),
           [((2, 3),)], label="concatenate-one"),
    OpSpec("stack", lambda a, b: F.stack([a, b]), lambda a, b: np.stack([a, b]),
           [((), ()), ((3,), (3,)), ((2, 3), (2, 3))]),
    OpSpec("stack", lambda a, b, c: F.stack([a, b, c], axis=-1),
           lambda a, b, c: np.stack([a, b, c], axis=-1), [((2, 3),) * 3], label="stack-neg"),
    OpSpec("split", lambda x: F.split(x, 3, axis=1), lambda x: np.split(x, 3, axis=1),
           [((2, 6),), ((2, 3, 4),)]),
    OpSpec("split", lambda x: F.split(x, [1, 3], axis=-1), lambda x: np.split(x, [1, 3], -1),
           [((5,),), ((2, 5),)], label="split-indices"),
    # unordered and out-of-range indices: the pieces overlap or are empty, as in np.split
    OpSpec("split", lambda x: F.split(x, [3, 1, 9]), lambda x: np.split(x, [3, 1, 9]),
           [((5,),), ((5, 2),)], label="split-unordered"),
    # an output left unused gets a zero gradient
    OpSpec("split", lambda x: F.split(x, [2], axis=0)[1], lambda x: np.split(x, [2])[1],
           [((4, 3),)], label="split-dropped"),
    OpSpec("where", F.where, np.where,
           [((2, 3), (2, 3), (2, 3)), ((), (), ()), ((2, 3), (3,), ()), ((2, 1), (1, 3), (2, 3)),
            ((3,), (2, 1), (1,))], make=_where_inputs),
    OpSpec("where", lambda c, x: F.where(c, x, 0.0), lambda c, x: np.where(c, x, 0.0),
           [((2, 3), (2, 3)), ((2, 3), (3,))], make=lambda rng, s: _where_inputs(
               rng, s + ((),))[:2], label="where-scalar"),
    OpSpec("pad", lambda x: F.pad(x, 1), lambda x: np.pad(x, 1), [((3,),), ((2, 3),), ((),)]),
    OpSpec("pad", lambda x: F.pad(x, ((1, 2), (0, 1)), constant_values=1.5),
           lambda x: np.pad(x, ((1, 2), (0, 1)), constant_values=1.5), [((2, 3),)],
           label="pad-pairs"),
    OpSpec("pad", lambda x: F.pad(x, (2, 1), mode="edge"), lambda x: np.pad(x, (2, 1), "edge"),
           [((3,),), ((2, 3),), ((1, 1),)], label="pad-edge"),
    OpSpec("pad", lambda x: F.pad(x, ((1, 3), (2, 2)), mode="reflect"),
           lambda x: np.pad(x, ((1, 3), (2, 2)), "reflect"), [((3, 4),), ((2, 3),)],
           label="pad-reflect"),
    OpSpec("pad", lambda x: F.pad(x, [(5, 4)], mode="reflect"),
           lambda x: np.pad(x, [(5, 4)], "reflect"), [((3,),), ((1,),), ((2,),)],
           label="pad-reflect-wide"),
]
