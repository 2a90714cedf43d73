"""The ``Dataset`` base class: indexed (x, label) pairs with optional transforms."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np


def _identity(x: Any) -> Any:
    """Return ``x`` unchanged (the transform used when none is given)."""
    return x


def _batches(transform: Any) -> bool:
    """Whether ``transform`` can be applied to a stacked batch at once."""
    if transform is _identity:
        return True
    return callable(getattr(transform, "batch", None)) and getattr(transform, "batchable", True)


def _apply_batch(transform: Any, arrays: np.ndarray) -> np.ndarray:
    return arrays if transform is _identity else transform.batch(arrays)


def resolve_transform(transform: Callable[[Any], Any] | None | str,
                      default: Callable[[], Callable[[Any], Any]], who: str):
    """The transform a dataset uses: ``'default'`` builds the dataset's own, else ``transform``."""
    if isinstance(transform, str):
        if transform != "default":
            raise ValueError(f"{who}: transform must be a callable, None or 'default', "
                             f"got {transform!r}")
        return default()
    return transform


class Dataset:
    """A sequence of ``(transform(data[i]), target_transform(label[i]))`` pairs.

    Subclasses fill ``self.data`` and ``self.label`` (``label`` may stay ``None``, then each item is
    ``(x, None)``) in ``prepare()``, which the constructor calls. ``transform=None`` means identity.
    """

    def __init__(self, train: bool = True, transform: Callable[[Any], Any] | None = None,
                 target_transform: Callable[[Any], Any] | None = None):
        self.train = train
        self.transform = _identity if transform is None else transform
        self.target_transform = _identity if target_transform is None else target_transform
        self.data: Any = None
        self.label: Any = None
        self.prepare()

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """The ``index``-th pair (an int; negative counts from the end)."""
        if not isinstance(index, (int, np.integer)) or isinstance(index, bool):
            raise TypeError(f"{type(self).__name__}[index]: index must be an int, got "
                            f"{type(index).__name__} {index!r}; use a DataLoader for batches")
        x = self.transform(self.data[index])
        if self.label is None:
            return x, None
        return x, self.target_transform(self.label[index])

    def batch(self, indices: Any) -> tuple[Any, Any] | None:
        """The items at ``indices`` stacked into ``(x, t)``, with each transform applied to the
        whole batch in one NumPy call, or None when that is not possible (then a loader
        stacks ``self[i]`` item by item, which gives the same values).

        Possible when ``data`` (and ``label``) are arrays and each transform is the identity
        or has a ``batch`` method (:class:`dezero.transforms.Compose` of Normalize, Flatten,
        AsType ...), and a subclass has not redefined ``__getitem__``.
        """
        if type(self).__getitem__ is not Dataset.__getitem__ or not isinstance(
                self.data, np.ndarray) or not (self.label is None or
                                               isinstance(self.label, np.ndarray)):
            return None
        transforms = (self.transform, self.target_transform)
        if not all(_batches(t) for t in transforms):
            return None
        x = _apply_batch(self.transform, self.data[indices])
        if self.label is None:
            return x, np.array([None] * len(x), dtype=object)
        return x, _apply_batch(self.target_transform, self.label[indices])

    def __len__(self) -> int:
        """Number of items."""
        if self.data is None:
            return 0
        return len(self.data)

    def prepare(self) -> None:
        """Fill ``self.data`` and ``self.label``; the base class leaves them empty (``None``)."""
