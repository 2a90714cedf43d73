"""Helpers shared by the training examples: options, seeding, subsets, progress, training, plots.

Each example script imports this module as ``_common`` (Python puts a script's own folder first on
``sys.path``, so nothing needs installing). Optional packages are imported only where used: tqdm
for progress bars (a plain text bar otherwise) and matplotlib for the PNGs (skipped, with a note,
when it is missing).
"""
from __future__ import annotations

import argparse
import io
import math
import os
import sys
import time
from typing import Any, Callable, Iterable, Iterator

import numpy as np

import dezero
import dezero.functions as F
from dezero.utils.files import write_atomic

PROGRESS_MODES = ("auto", "tqdm", "text", "off")


# ----- command line ------------------------------------------------------------------------------

def positive_int(text: str) -> int:
    """argparse type: an int >= 1, or a message saying what was wrong."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def positive_float(text: str) -> float:
    """argparse type: a float > 0, or a message saying what was wrong."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {value}")
    return value


def make_parser(name: str, description: str, *, epochs: int, batch_size: int, lr: float,
                data_dir: bool = False, seed: int = 0) -> argparse.ArgumentParser:
    """The options every example takes, with that example's defaults; scripts may add more.

    ``name`` is the example's name: PNGs go to ``out/<name>`` unless ``--out`` says otherwise.
    ``data_dir`` adds ``--data-dir`` (for examples that read data files).
    """
    parser = argparse.ArgumentParser(description=description,
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--epochs", type=positive_int, default=epochs, help="training epochs")
    parser.add_argument("--batch-size", type=positive_int, default=batch_size,
                        help="examples per training batch")
    parser.add_argument("--lr", type=positive_float, default=lr,
                        help="learning rate (Adam's alpha for the Adam examples)")
    parser.add_argument("--seed", type=int, default=seed,
                        help="seed of NumPy's global generator (weights, shuffling, dropout)")
    parser.add_argument("--out", default=os.path.join("out", name),
                        help="folder for the PNG plots (created if missing)")
    parser.add_argument("--train-size", type=positive_int, default=None,
                        help="use only the first N training examples (all by default)")
    parser.add_argument("--test-size", type=positive_int, default=None,
                        help="use only the first N test examples (all by default)")
    parser.add_argument("--progress", choices=PROGRESS_MODES, default="auto",
                        help="progress bars: tqdm if installed (auto), a text bar, or none")
    if data_dir:
        parser.add_argument("--data-dir", default=None,
                            help="folder holding the IDX files (default: the usual places; "
                                 "see dezero.datasets.FashionMNIST)")
    return parser


def seed(value: int) -> None:
    """Seed NumPy's global generator, which dezero uses for weights, shuffling and dropout."""
    np.random.seed(value)


def take_first(dataset: Any, size: int | None) -> Any:
    """Keep the first ``size`` items of ``dataset`` (in place; ``None`` keeps all); return it."""
    if size is not None and size < len(dataset):
        dataset.data = dataset.data[:size]
        if dataset.label is not None:
            dataset.label = dataset.label[:size]
    return dataset


# ----- progress bars -----------------------------------------------------------------------------

class TextProgress:
    """A dependency-free progress bar over ``iterable`` on ``stream`` (stderr by default).

    On a terminal it redraws one line in place; elsewhere (a log file, a pipe) it writes a line at
    every quarter, so logs stay short. ``set_postfix(name=value)`` adds figures after the bar.
    """

    def __init__(self, iterable: Iterable[Any], total: int, desc: str = "",
                 stream: Any = None, width: int = 30):
        self.iterable = iterable
        self.total = max(int(total), 1)
        self.desc = desc
        self.stream = sys.stderr if stream is None else stream
        self.width = width
        self.count = 0
        self.postfix = ""
        self.start = time.perf_counter()
        self.interactive = bool(getattr(self.stream, "isatty", lambda: False)())

    def set_postfix(self, **values: float) -> None:
        """Figures shown after the bar, e.g. ``loss=0.31``."""
        self.postfix = ", ".join(f"{k}={v:.4g}" for k, v in values.items())

    def _line(self) -> str:
        done = min(self.count, self.total)
        filled = self.width * done // self.total
        bar = "#" * filled + "-" * (self.width - filled)
        elapsed = time.perf_counter() - self.start
        tail = f" {self.postfix}" if self.postfix else ""
        return f"{self.desc} [{bar}] {done}/{self.total} {elapsed:.1f}s{tail}"

    def __iter__(self) -> Iterator[Any]:
        quarter = max(self.total // 4, 1)
        for item in self.iterable:
            yield item
            self.count += 1
            if self.interactive:
                self.stream.write("\r" + self._line())
            elif self.count % quarter == 0 or self.count == self.total:
                self.stream.write(self._line() + "\n")
            self.stream.flush()
        if self.interactive:
            self.stream.write("\n")
            self.stream.flush()


def progress(iterable: Iterable[Any], total: int, desc: str, mode: str = "auto") -> Any:
    """``iterable`` wrapped in a progress bar: tqdm (auto/tqdm modes, if installed), text, or none.

    The result always has ``set_postfix(**values)``.
    """
    if mode not in PROGRESS_MODES:
        raise ValueError(f"progress: mode must be one of {PROGRESS_MODES}, got {mode!r}")
    if mode in ("auto", "tqdm"):
        try:
            from tqdm import tqdm  # optional dependency: nicer bars when installed
        except ImportError:
            if mode == "tqdm":
                raise ImportError("progress: --progress tqdm needs tqdm; install it with "
                                  "`pip install tqdm` or use --progress text") from None
        else:
            return _TqdmBar(tqdm(iterable, total=total, desc=desc, leave=False, file=sys.stderr))
    if mode == "off":
        return _Silent(iterable)
    return TextProgress(iterable, total, desc)  # text, or auto without tqdm


class _TqdmBar:
    """A tqdm bar whose ``set_postfix`` waits for tqdm's next timed redraw (no extra output)."""

    def __init__(self, bar: Any):
        self.bar = bar

    def __iter__(self) -> Iterator[Any]:
        return iter(self.bar)

    def set_postfix(self, **values: float) -> None:
        """Figures shown after the bar from its next redraw on."""
        self.bar.set_postfix(values, refresh=False)


class _Silent:
    """No bar at all: iterates and ignores ``set_postfix``."""

    def __init__(self, iterable: Iterable[Any]):
        self.iterable = iterable

    def __iter__(self) -> Iterator[Any]:
        return iter(self.iterable)

    def set_postfix(self, **values: float) -> None:
        """Ignored."""


# ----- training ----------------------------------------------------------------------------------

class History:
    """Per-epoch figures of a training run: ``history["test_acc"]`` is a list, one per epoch."""

    def __init__(self) -> None:
        self.values: dict[str, list[float]] = {}

    def record(self, **figures: float) -> None:
        """Append one epoch's figures."""
        for name, value in figures.items():
            self.values.setdefault(name, []).append(float(value))

    def __getitem__(self, name: str) -> list[float]:
        return self.values[name]

    def __contains__(self, name: str) -> bool:
        return name in self.values

    def seconds_per_epoch(self) -> float:
        """Mean training time of an epoch (evaluation excluded)."""
        return float(np.mean(self.values["seconds"]))


def evaluate(model: Callable[[Any], Any], loader: Any) -> tuple[float, float]:
    """(mean softmax cross-entropy, accuracy) of ``model`` over ``loader``, in test mode."""
    total_loss = total_correct = 0.0
    count = 0
    with dezero.test_mode(), dezero.no_grad():
        for x, t in loader:
            y = model(x)
            total_loss += float(F.softmax_cross_entropy(y, t).data) * len(t)
            total_correct += float(F.accuracy(y, t).data) * len(t)
            count += len(t)
    return total_loss / count, total_correct / count


def train_step(model: Callable[[Any], Any], optimizer: Any, x: Any, t: Any) -> tuple[float, float]:
    """One step of softmax cross-entropy training on the batch ``(x, t)``; returns the batch's
    summed loss and its number of correct predictions (before the update)."""
    y = model(x)
    loss = F.softmax_cross_entropy(y, t)
    model.cleargrads()
    loss.backward()
    optimizer.update()
    return float(loss.data) * len(t), float(F.accuracy(y, t).data) * len(t)


def train_classifier(model: Any, optimizer: Any, train_loader: Any, test_loader: Any,
                     epochs: int, progress_mode: str = "auto",
                     before_epoch: Callable[[int], None] | None = None,
                     print_every: int = 1) -> History:
    """Train ``model`` with softmax cross-entropy; evaluate on ``test_loader`` after each epoch.

    ``before_epoch(epoch)`` (epochs count from 0) runs first in each epoch, e.g. to set the
    learning rate. Prints a line for the first, the last and every ``print_every``-th epoch;
    returns the History (train_loss and train_acc, averaged over the epoch's batches as the
    weights changed; test_loss, test_acc; seconds: training time of the epoch).
    """
    history = History()
    for epoch in range(epochs):
        if before_epoch is not None:
            before_epoch(epoch)
        total_loss = total_correct = 0.0
        count = 0
        start = time.perf_counter()
        bar = progress(train_loader, len(train_loader), f"epoch {epoch + 1}/{epochs}",
                       progress_mode)
        for x, t in bar:
            batch_loss, batch_correct = train_step(model, optimizer, x, t)
            total_loss += batch_loss
            total_correct += batch_correct
            count += len(t)
            bar.set_postfix(loss=total_loss / count)
        seconds = time.perf_counter() - start
        test_loss, test_acc = evaluate(model, test_loader)
        history.record(train_loss=total_loss / count, train_acc=total_correct / count,
                       test_loss=test_loss, test_acc=test_acc, seconds=seconds)
        if epoch == 0 or epoch + 1 == epochs or (epoch + 1) % print_every == 0:
            print(f"epoch {epoch + 1:3d}/{epochs}  train loss {total_loss / count:.4f} "
                  f"acc {total_correct / count:.4f}  test loss {test_loss:.4f} acc {test_acc:.4f}  "
                  f"({seconds:.2f} s)", flush=True)
    return history


def cosine_schedule(optimizer: Any, base_lr: float, epochs: int) -> Callable[[int], None]:
    """A ``before_epoch`` hook: learning rate base_lr * (1 + cos(pi * epoch / epochs)) / 2.

    It sets Adam's ``alpha`` (Adam's ``lr`` is derived from it) or any other optimizer's ``lr``.
    """
    attribute = "alpha" if isinstance(optimizer, dezero.optimizers.Adam) else "lr"

    def set_rate(epoch: int) -> None:
        # A Python float: a NumPy float64 here would promote the float32 updates to float64.
        setattr(optimizer, attribute, base_lr * 0.5 * (1.0 + math.cos(math.pi * epoch / epochs)))

    return set_rate


def report_time(history: History) -> None:
    """Print the mean training time per epoch."""
    print(f"time per epoch: {history.seconds_per_epoch():.2f} s "
          f"(mean of {len(history['seconds'])}, training only)")


# ----- plots -------------------------------------------------------------------------------------

def pyplot() -> Any:
    """matplotlib.pyplot with the file-only Agg backend, or None (with a note) if not installed."""
    try:
        import matplotlib  # optional dependency: only the PNGs need it
    except ImportError:
        print("matplotlib is not installed: no PNGs written (pip install matplotlib)")
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def save_figure(fig: Any, path: str) -> str:
    """Write ``fig`` as a PNG to ``path`` atomically, close it, print and return the path."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    import matplotlib.pyplot as plt  # already imported by pyplot(), which made ``fig``
    plt.close(fig)
    write_atomic(path, buffer.getvalue())
    print(f"wrote {path}")
    return path


def save_curves(history: History, path: str, title: str) -> str | None:
    """PNG of the loss curves and, when recorded, the accuracy curves, per epoch."""
    plt = pyplot()
    if plt is None:
        return None
    panels = [("loss", [k for k in ("train_loss", "test_loss") if k in history])]
    accuracies = [k for k in ("train_acc", "test_acc") if k in history]
    if accuracies:
        panels.append(("accuracy", accuracies))
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4), squeeze=False)
    for ax, (label, keys) in zip(axes[0], panels):
        for key in keys:
            values = history[key]
            ax.plot(range(1, len(values) + 1), values, marker="o" if len(values) < 30 else None,
                    label=key.split("_")[0])
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(True, alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    return save_figure(fig, path)
