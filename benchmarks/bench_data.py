"""DataLoader benchmark: µs per image over an epoch of 60,000 Fashion-MNIST-sized images.

The dataset holds generated uint8 images (60,000 × 1 × 28 × 28, as Fashion-MNIST; nothing is
read from disk) with DeZero's MNIST transform (flatten, float32, divide by 255), in shuffled
batches of 100. Rows: the loader with the transform applied to each batch at once
(``Dataset.batch``, the default for a Compose of array transforms), the same loader forced item
by item (the transform wrapped in a plain function, which has no batch form), and the floor: the
same work written directly in NumPy (fancy indexing, reshape, cast, divide). Each row's batch
sums (float64) are checked equal to the floor's.
"""
from __future__ import annotations

import numpy as np
from common import mismatch, row, checked_row, time_call

import dezero
from dezero import DataLoader
from dezero import transforms as T

N_IMAGES, BATCH = 60_000, 100


class _Images(dezero.datasets.Dataset):
    """Generated uint8 images and labels, Fashion-MNIST's shapes."""

    def __init__(self, n: int, transform) -> None:
        self.n = n
        super().__init__(transform=transform)

    def prepare(self) -> None:
        rng = np.random.default_rng(0)
        self.data = rng.integers(0, 256, size=(self.n, 1, 28, 28), dtype=np.uint8)
        self.label = rng.integers(0, 10, size=self.n)


def _epoch(loader: DataLoader) -> np.ndarray:
    """One shuffled epoch; returns each batch's sum (the batches themselves are not kept)."""
    np.random.seed(0)  # the same shuffle for every row
    loader.reset()
    return np.array([float(x.sum(dtype=np.float64)) for x, _ in loader])


def _numpy_epoch(data: np.ndarray) -> np.ndarray:
    np.random.seed(0)
    order = np.random.permutation(len(data))  # DataLoader draws one order per epoch likewise
    return np.array([float((data[order[i:i + BATCH]].reshape(-1, 784).astype(np.float32)
                            / np.float32(255.0)).sum(dtype=np.float64))
                     for i in range(0, len(data), BATCH)])


def run(quick: bool = False) -> list[dict]:
    """Rows of µs per image for the batched loader, the item-by-item loader and NumPy."""
    n = 6_000 if quick else N_IMAGES
    repeat = 2 if quick else 3
    transform = T.Compose([T.Flatten(), T.ToFloat(), T.Normalize(0.0, 255.0)])
    batched = DataLoader(_Images(n, transform), BATCH)
    per_item = DataLoader(_Images(n, lambda a: transform(a)), BATCH)
    floor_s, _ = time_call(lambda: _numpy_epoch(batched.dataset.data), repeat)
    floor = floor_s / n * 1e6
    label = f"DataLoader {n} images 28x28, MNIST transform, batch {BATCH}"
    rows = [row(f"{label}: numpy floor", floor, "µs/image")]
    reference = _numpy_epoch(batched.dataset.data)
    for name, loader, note in (("dezero, batched transforms", batched, "target ≤ 2 µs/image"),
                               ("dezero, item by item", per_item, None)):
        best, _ = time_call(lambda: _epoch(loader), repeat)
        problem = mismatch("batch sums", _epoch(loader), reference, 1e-12)
        rows.append(checked_row(f"{label}: {name}", best / n * 1e6, "µs/image", floor, note,
                                problem))
    return rows


if __name__ == "__main__":
    for r in run():
        print(r)
