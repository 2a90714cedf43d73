"""Checkpoints: a model's weights, an optimizer's and a scheduler's state and extra values in one file.

A checkpoint is an ``.npz`` archive (read without pickle, like weights files) written atomically:

* ``model/<key>`` members: the model's weights, with :meth:`Layer.save_weights`'s keys
  (``model/l1/W``);
* other ``.npy`` members: the arrays of the optimizer's and scheduler's ``state_dict()``, of the
  extra values, and of NumPy's global random state (``rng/keys``);
* ``checkpoint.json``: the metadata, with the numbers and strings themselves and, for each
  array, the member that holds it.  Each value is a JSON object with one key: ``{"value": 1.5}``
  (None, bool, int, float, str), ``{"array": member}`` (a NumPy array), ``{"scalar": member}``
  (a NumPy scalar, kept with its dtype), ``{"dict": {...}}`` or ``{"list": [...]}``.

Loading checks every member's name, shape and dtype (with the weights reader,
``dezero/layers/_weights.py``) before any data is read, and checks everything before anything
is changed.  Resuming is exact: the same updates follow, bit for bit, in a new process.
"""
from __future__ import annotations

import json
from typing import Any, Mapping

import numpy as np

from dezero import cuda
from dezero.layers import _weights as weights_file
from dezero.layers.base import Layer
from dezero.optimizers import Optimizer
from dezero.optimizers.schedulers import LRScheduler
from dezero.utils.checks import as_flag, describe

_FORMAT = "dezero.checkpoint"
_VERSION = 1
_METADATA = "checkpoint.json"
_NODE_KINDS = ("value", "array", "scalar", "dict", "list")
_MT_KEYS = 624  # words of the Mersenne Twister state (np.random.get_state)


class _Encoder:
    """Turns nested values into JSON nodes, putting arrays into ``arrays`` under unique names."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def _member(self, name: str, array: np.ndarray, label: str) -> str:
        if array.dtype.kind not in "biuf":
            raise TypeError(f"save_checkpoint: {label} is an array of dtype {array.dtype}; "
                            "checkpoints hold numeric arrays (bool, int, float) only")
        unique, n = name, 1
        while unique in self.arrays or unique == _METADATA:
            unique, n = f"{name}#{n}", n + 1
        self.arrays[unique] = array
        return unique

    def encode(self, value: Any, name: str, label: str) -> dict[str, Any]:
        if value is None or type(value) in (bool, int, float, str):
            return {"value": value}
        if isinstance(value, np.generic):
            return {"scalar": self._member(name, np.asarray(value), label)}
        if isinstance(value, np.ndarray) or cuda.get_array_module(value) is not np:
            return {"array": self._member(name, cuda.as_numpy(value), label)}
        if isinstance(value, Mapping):
            bad = [k for k in value if not isinstance(k, str)]
            if bad:
                raise TypeError(f"save_checkpoint: {label} has the key {describe(bad[0])}; "
                                "dict keys must be strings")
            return {"dict": {k: self.encode(v, f"{name}/{k}", f"{label}[{k!r}]")
                             for k, v in value.items()}}
        if isinstance(value, (list, tuple)):
            return {"list": [self.encode(v, f"{name}/{i}", f"{label}[{i}]")
                             for i, v in enumerate(value)]}
        raise TypeError(f"save_checkpoint: {label} is {describe(value)}; checkpoints hold "
                        "numbers, strings, None, NumPy arrays and scalars, and dicts and lists "
                        "of them")


def save_checkpoint(path: Any, model: Layer | None = None, optimizer: Optimizer | None = None,
                    scheduler: LRScheduler | None = None, **extra: Any) -> str:
    """Save a model's weights, an optimizer's and a scheduler's state and ``extra`` to ``path``.

    ``extra`` values are numbers, strings, None, NumPy arrays and scalars (dtype kept), or
    dicts and lists of them (tuples come back as lists).  ``rng=True`` also saves NumPy's
    global random state (``np.random.get_state()``), which :func:`load_checkpoint` restores.
    ``'.npz'`` is appended to a path without it; the file is written atomically (an existing
    one is replaced only once the new one is complete).  Returns the path written.
    """
    who = "save_checkpoint"
    save_rng = as_flag(extra.pop("rng", False), who, "rng")
    encoder = _Encoder()
    meta: dict[str, Any] = {"format": _FORMAT, "version": _VERSION, "model": None,
                            "optimizer": None, "scheduler": None, "extra": {}, "rng": None}
    if model is not None:
        if not isinstance(model, Layer):
            raise TypeError(f"{who}: model must be a dezero Layer or Model, got "
                            f"{describe(model)}")
        weights = weights_file.layer_arrays(model, who)
        meta["model"] = list(weights)
        encoder.arrays.update({"model/" + key: array for key, array in weights.items()})
    for name, obj, kind in (("optimizer", optimizer, Optimizer),
                            ("scheduler", scheduler, LRScheduler)):
        if obj is not None:
            if not isinstance(obj, kind):
                raise TypeError(f"{who}: {name} must be a dezero {kind.__name__}, got "
                                f"{describe(obj)}")
            meta[name] = encoder.encode(obj.state_dict(), name, f"the {name}'s state")
    meta["extra"] = {key: encoder.encode(value, f"extra/{key}", f"extra value {key!r}")
                     for key, value in extra.items()}
    if save_rng:
        algorithm, keys, pos, has_gauss, cached = np.random.get_state()
        meta["rng"] = {"algorithm": algorithm, "keys": encoder._member("rng/keys", keys, "rng"),
                       "pos": int(pos), "has_gauss": int(has_gauss),
                       "cached_gaussian": float(cached)}
    return weights_file.save_npz(path, encoder.arrays, who=who,
                                 texts={_METADATA: json.dumps(meta)})


class _Ref:
    """A placeholder for an array member while the metadata is checked."""

    def __init__(self, member: str, scalar: bool) -> None:
        self.member, self.scalar = member, scalar


class _Decoder:
    """Turns JSON nodes back into values, with :class:`_Ref` for members (checked, not read)."""

    def __init__(self, reader: Any) -> None:
        self.reader = reader
        self.refs: list[_Ref] = []

    def fail(self, where: str, problem: str) -> ValueError:
        return ValueError(f"load_checkpoint: {self.reader.path!r} has damaged metadata "
                          f"({_METADATA}, {where}: {problem})")

    def decode(self, node: Any, where: str) -> Any:
        if not (isinstance(node, dict) and len(node) == 1 and next(iter(node)) in _NODE_KINDS):
            raise self.fail(where, f"expected one of {list(_NODE_KINDS)}, got {node!r:.80}")
        kind, body = next(iter(node.items()))
        if kind == "value":
            if not (body is None or type(body) in (bool, int, float, str)):
                raise self.fail(where, f"{body!r:.80} is not a number or a string")
            return body
        if kind in ("array", "scalar"):
            if body not in self.reader.keys or body == _METADATA:
                raise self.fail(where, f"the member {body!r:.80} is missing")
            header = self.reader.header(body)  # numeric dtype, sane shape: before any data
            if kind == "scalar" and header.shape != ():
                raise self.fail(where, f"the scalar {body!r} has shape {header.shape}")
            self.refs.append(_Ref(body, kind == "scalar"))
            return self.refs[-1]
        if kind == "dict" and isinstance(body, dict):
            return {k: self.decode(v, f"{where}[{k!r}]") for k, v in body.items()}
        if kind == "list" and isinstance(body, list):
            return [self.decode(v, f"{where}[{i}]") for i, v in enumerate(body)]
        raise self.fail(where, f"a {kind} node holds {body!r:.80}")


def _resolve(value: Any, arrays: Mapping[str, np.ndarray]) -> Any:
    """``value`` with every :class:`_Ref` replaced by its array (or NumPy scalar)."""
    if isinstance(value, _Ref):
        array = arrays[value.member]
        return array[()] if value.scalar else array
    if isinstance(value, dict):
        return {k: _resolve(v, arrays) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, arrays) for v in value]
    return value


def _read_metadata(reader: Any) -> dict[str, Any]:
    who = "load_checkpoint"
    if _METADATA not in reader.keys:
        raise ValueError(f"{who}: {reader.path!r} is not a checkpoint (it has no {_METADATA}; "
                         "a weights file is loaded with Layer.load_weights)")
    try:
        meta = json.loads(reader.text(_METADATA))
    except ValueError as e:
        raise ValueError(f"{who}: {reader.path!r} has damaged metadata ({e})") from None
    keys = ["format", "version", "model", "optimizer", "scheduler", "extra", "rng"]
    if not isinstance(meta, dict) or meta.get("format") != _FORMAT or sorted(meta) != sorted(keys):
        raise ValueError(f"{who}: {reader.path!r} is not a dezero checkpoint (its metadata "
                         "does not have the expected fields)")
    if meta["version"] != _VERSION:
        raise ValueError(f"{who}: {reader.path!r} is a version {meta['version']!r} checkpoint; "
                         f"this dezero reads version {_VERSION}")
    return meta


def _rng_state(meta: Any, decoder: _Decoder) -> tuple | None:
    """The checked pieces of a saved global random state (keys still a reference)."""
    if meta is None:
        return None
    fields = ["algorithm", "keys", "pos", "has_gauss", "cached_gaussian"]
    if not (isinstance(meta, dict) and sorted(meta) == sorted(fields)
            and meta["algorithm"] == "MT19937" and type(meta["pos"]) is int
            and 0 <= meta["pos"] <= _MT_KEYS and meta["has_gauss"] in (0, 1)
            and type(meta["cached_gaussian"]) is float):
        raise decoder.fail("rng", f"{meta!r:.120} is not a NumPy MT19937 state")
    keys = decoder.decode({"array": meta["keys"]}, "rng.keys")
    header = decoder.reader.header(keys.member)
    if header.shape != (_MT_KEYS,) or header.dtype != np.uint32:
        raise decoder.fail("rng.keys", f"expected {_MT_KEYS} uint32 words, got {header.shape} "
                           f"{header.dtype}")
    return ("MT19937", keys, meta["pos"], meta["has_gauss"], meta["cached_gaussian"])


def _check_moment_shapes(optimizer: Optimizer, state: Any, decoder: _Decoder,
                         shapes: Mapping[int, tuple]) -> None:
    """Compare the headers of the optimizer's per-parameter arrays with the parameters."""
    if not isinstance(state, dict) or not isinstance(state.get("state"), dict):
        return  # Optimizer._prepare_state names what is wrong
    params = dict(optimizer._named_params())
    for path, arrays in state["state"].items():
        param = params.get(path)
        if param is None or not isinstance(arrays, dict):
            continue
        shape = param.data.shape if param.data is not None else shapes.get(id(param))
        for name, ref in arrays.items():
            if isinstance(ref, _Ref) and shape is not None:
                header = decoder.reader.header(ref.member)
                if header.shape != tuple(shape):
                    raise ValueError(f"load_checkpoint: the optimizer's {name!r} for {path!r} "
                                     f"has shape {header.shape} in {decoder.reader.path}, but "
                                     f"the parameter has shape {tuple(shape)}")


def load_checkpoint(path: Any, model: Layer | None = None, optimizer: Optimizer | None = None,
                    scheduler: LRScheduler | None = None) -> dict[str, Any]:
    """Restore what :func:`save_checkpoint` saved into ``model``, ``optimizer`` and ``scheduler``.

    Pass fresh objects built as for the saved ones: the optimizer set up on the model
    (``optimizer.setup(model)``) with the same hooks, the scheduler on the optimizer.
    Those given must be in the file; those not given are left out.  NumPy's global random
    state is restored when it was saved (``rng=True``).  Every member's name, shape and dtype
    is checked before any data is read, and everything before anything changes; nothing is
    unpickled.  Returns the ``extra`` values (arrays as NumPy arrays, NumPy scalars with their
    dtype).  Raises FileNotFoundError, or ValueError/TypeError naming what does not match.
    """
    who = "load_checkpoint"
    for name, obj, kind in (("model", model, Layer), ("optimizer", optimizer, Optimizer),
                            ("scheduler", scheduler, LRScheduler)):
        if obj is not None and not isinstance(obj, kind):
            raise TypeError(f"{who}: {name} must be a dezero {kind.__name__}, got "
                            f"{describe(obj)}")
    with weights_file.NpzReader(path, who) as reader:
        meta = _read_metadata(reader)
        decoder = _Decoder(reader)
        for name, obj in (("model", model), ("optimizer", optimizer), ("scheduler", scheduler)):
            if obj is not None and meta[name] is None:
                raise ValueError(f"{who}: {reader.path!r} holds no {name} state (none was "
                                 "passed to save_checkpoint)")
        # 1. Headers: names, shapes and dtypes, before any data is read.
        targets, expected, shapes = {}, {}, {}
        if model is not None:
            targets, expected = weights_file.layer_expectations(model)
            weights_file.check_entries(reader, expected, type(model).__name__, prefix="model/")
            shapes = {id(var): reader.header("model/" + key).shape
                      for key, var in targets.items()}
        opt_state = decoder.decode(meta["optimizer"], "optimizer") if optimizer else None
        if optimizer is not None:
            _check_moment_shapes(optimizer, opt_state, decoder, shapes)
        sched_state = decoder.decode(meta["scheduler"], "scheduler") if scheduler else None
        if not isinstance(meta["extra"], dict):
            raise decoder.fail("extra", "not a dict")
        extra = {k: decoder.decode(v, f"extra[{k!r}]") for k, v in meta["extra"].items()}
        rng = _rng_state(meta["rng"], decoder)
        # 2. Data.
        arrays = {ref.member: reader.read(ref.member) for ref in decoder.refs}
        model_arrays = {key: reader.read("model/" + key) for key in expected}
    # 3. Everything is checked before anything changes.
    applies = []
    if optimizer is not None:
        applies.append(optimizer._prepare_state(_resolve(opt_state, arrays), shapes))
    if scheduler is not None:
        applies.append(scheduler._prepare_state(_resolve(sched_state, arrays)))
    if model is not None:
        weights_file.assign_weights(targets, expected, model_arrays)
    for apply in applies:
        apply()
    if rng is not None:
        np.random.set_state(tuple(_resolve(part, arrays) for part in rng))
    return _resolve(extra, arrays)

