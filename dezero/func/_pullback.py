"""Backward passes restricted to a subgraph: from a root to chosen Variables only.

:class:`Pullback` is what every transform of :mod:`dezero.func` differentiates with.  It
uses only the public graph of :mod:`dezero.core` (``creator``, ``inputs``, ``outputs``,
``generation``, ``grad``) and :meth:`dezero.Variable.backward`.
"""
from __future__ import annotations

from typing import Any, Sequence

from dezero.core import Variable


class Pullback:
    """Backward passes from ``root`` that stop at the Variables ``wrt``, used as a ``with``
    block: inside, ``backprop(seed, create_graph)`` returns ∂⟨root, seed⟩/∂w for each w in
    ``wrt`` (None where root does not depend on w).

    On entry ``wrt`` are unchained, the Functions depending on them are found, the other
    Variables those Functions read are unchained, and every ``grad`` a pass can write is
    saved; on exit all of it is restored.
    """

    def __init__(self, root: Variable, wrt: Sequence[Variable]) -> None:
        self.root = root
        self.wrt = list(wrt)
        self.relinked: list[tuple[Variable, Any]] = []  # (Variable, its creator) to restore
        self.saved: dict[int, tuple[Variable, Any]] = {}  # id -> (Variable, its grad)
        self.depends = False

    def __enter__(self) -> "Pullback":
        wrt_ids = {id(v) for v in self.wrt}
        for v in self.wrt:
            self.relinked.append((v, v.creator))
            v.creator = None
        try:
            functions = self._dependent_functions(wrt_ids)
            root = self.root
            self.depends = id(root) in wrt_ids or (
                root.creator is not None and id(root.creator) in functions)
            touched = [root, *self.wrt]
            for f in functions.values():
                for v in f.inputs:
                    touched.append(v)
                    creator = v.creator
                    if creator is not None and id(creator) not in functions:
                        self.relinked.append((v, creator))  # outside the subgraph: a leaf
                        v.creator = None
                touched += [y for y in (ref() for ref in f.outputs) if y is not None]
            for v in touched:
                if id(v) not in self.saved:
                    self.saved[id(v)] = (v, v.grad)
        except BaseException:
            self.__exit__()
            raise
        return self

    def _dependent_functions(self, wrt_ids: set) -> dict[int, Any]:
        """{id: Function} of the Functions behind root that have some w in wrt behind them."""
        root = self.root
        if root.creator is None or not self.wrt:
            return {}
        # A Variable made from some w has a generation above w's: older ones are not expanded.
        floor = min(v.generation for v in self.wrt)
        found = {id(root.creator): root.creator}
        stack = [root.creator]
        while stack:
            for v in stack.pop().inputs:
                c = v.creator
                if c is not None and v.generation > floor and id(c) not in found:
                    found[id(c)] = c
                    stack.append(c)
        dependent: dict[int, Any] = {}
        for f in sorted(found.values(), key=lambda f: f.generation):  # inputs' creators first
            if any(id(v) in wrt_ids or (v.creator is not None and id(v.creator) in dependent)
                   for v in f.inputs):
                dependent[id(f)] = f
        return dependent

    def __call__(self, seed: Variable | None, create_graph: bool) -> list[Variable | None]:
        if not self.depends:
            return [None] * len(self.wrt)
        for v, _ in self.saved.values():
            v.grad = None
        self.root.grad = seed  # None: the backward seeds ones
        self.root.backward(create_graph=create_graph)
        grads = [v.grad for v in self.wrt]
        for v, _ in self.saved.values():
            v.grad = None
        return grads

    def __exit__(self, *exc: Any) -> None:
        for v, g in self.saved.values():
            v.grad = g
        for v, creator in reversed(self.relinked):
            v.creator = creator


def pullback(root: Variable, seed: Variable | None, wrt: Sequence[Variable],
             create_graph: bool) -> list[Variable | None]:
    """∂⟨root, seed⟩/∂w for each w in ``wrt`` by one restricted backward pass."""
    with Pullback(root, wrt) as backprop:
        return backprop(seed, create_graph)
