"""Small datasets of the book: the three-armed spiral, a noisy sine curve, Tiny Shakespeare."""
from __future__ import annotations

import numpy as np

from dezero.datasets.base import Dataset
from dezero.utils.download import get_file
from dezero.utils.files import read_text

_SPIRAL_SEEDS = {True: 1984, False: 2020}
_SPIRAL_PER_CLASS, _SPIRAL_CLASSES = 100, 3


def get_spiral(train: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The spiral dataset: x (300, 2) float32 points on three arms, t (300,) int class labels.

    Arm ``j`` holds points at radius ``r = i/100`` (i = 0..99) and angle
    ``theta = 4j + 4r + 0.2 * noise`` with standard-normal noise, at ``(r sin theta, r cos theta)``;
    the 300 points are then shuffled. Like DeZero 0.0.13 it seeds NumPy's *global* random
    generator (1984 for train, 2020 for test) and draws from it in the same order, so programs that
    use ``np.random`` afterwards print the same numbers as with the original.
    """
    np.random.seed(seed=_SPIRAL_SEEDS[bool(train)])
    n, n_class = _SPIRAL_PER_CLASS, _SPIRAL_CLASSES
    # One normal draw per point, arm by arm: the same stream the original's nested loop consumes.
    noise = np.random.randn(n_class * n)
    arm = np.repeat(np.arange(n_class), n)
    radius = np.tile(np.arange(n) / n, n_class)
    theta = arm * 4.0 + 4.0 * radius + noise * 0.2
    x = np.stack([radius * np.sin(theta), radius * np.cos(theta)], axis=1).astype(np.float32)
    t = arm.astype(int)
    order = np.random.permutation(n_class * n)
    return x[order], t[order]


class Spiral(Dataset):
    """``get_spiral(train)`` as a Dataset: items are (x (2,) float32, int label)."""

    def prepare(self) -> None:
        """Generate the points (reseeds NumPy's global generator, see ``get_spiral``)."""
        self.data, self.label = get_spiral(self.train)


class SinCurve(Dataset):
    """Next-value prediction on a curve of 1000 points over [0, 2 pi]: x[i] = y[i], label = y[i+1].

    Train uses ``sin(x) + noise`` (noise uniform in [-0.05, 0.05] from NumPy's global generator,
    not reseeded); test uses the noiseless ``cos(x)`` (the noise is still drawn, as in DeZero, so
    the random stream matches). Items are (1,)-shaped float64 arrays.
    """

    def prepare(self) -> None:
        """Build the 999 (value, next value) pairs."""
        x = np.linspace(0, 2 * np.pi, 1000)
        noise = np.random.uniform(-0.05, 0.05, size=x.shape)
        y = np.sin(x) + noise if self.train else np.cos(x)
        y = y.astype(np.float64)
        self.data = y[:-1][:, np.newaxis]
        self.label = y[1:][:, np.newaxis]


class Shakespear(Dataset):
    """Tiny Shakespeare as character ids: x[i] = id of character i, label = id of character i+1.

    Ids are given in order of first appearance; ``char_to_id`` and ``id_to_char`` map both ways.
    The text is downloaded once into the cache as ``shakespear.txt`` (DeZero's name and spelling).
    """

    url = ("https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/"
           "input.txt")
    file_name = "shakespear.txt"

    def prepare(self) -> None:
        """Read (downloading if needed) the text and encode it."""
        path = get_file(self.url, self.file_name)
        text = read_text(path, "Shakespear")
        char_to_id: dict[str, int] = {}
        for char in text:
            char_to_id.setdefault(char, len(char_to_id))
        indices = np.array([char_to_id[c] for c in text], dtype=int)
        self.data = indices[:-1]
        self.label = indices[1:]
        self.char_to_id = char_to_id
        self.id_to_char = {i: c for c, i in char_to_id.items()}
