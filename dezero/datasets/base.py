"""The ``Dataset`` base class: indexed (x, label) pairs with optional transforms."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np


def _identity(x: Any) -> Any:
    """Return ``x`` unchanged (the transform used when none is given)."""
    return x


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

    def __len__(self) -> int:
        """Number of items."""
        if self.data is None:
            return 0
        return len(self.data)

    def prepare(self) -> None:
        """Fill ``self.data`` and ``self.label``; the base class leaves them empty (``None``)."""
