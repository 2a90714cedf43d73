"""A small GPT-style character model, trained on the project's own documentation.

The model reads ``context`` characters and predicts each next one: a character embedding plus a
learned position embedding, a few pre-norm blocks (LayerNorm → causal multi-head attention →
residual; LayerNorm → Linear → GELU → Linear → residual), a final LayerNorm, and an output layer
that may share the embedding's weights (``--tie``). Training uses AdamW, a linear warm-up into a
cosine schedule (stepped every iteration), gradient clipping, and a checkpoint at the end of
every epoch that ``--resume`` continues from exactly (parameters, optimizer moments, schedule
and NumPy's random state). At the end it prints the validation loss next to the unigram
baseline (the loss of always predicting the training text's character frequencies), writes the
loss curve as a PNG, and prints text sampled from the model.

The default corpus is the Markdown of ``docs/`` (text this project wrote; nothing is
downloaded); ``--text FILE`` trains on any UTF-8 file instead.

    python examples/char_transformer.py                 # a few minutes on 2 cores
    python examples/char_transformer.py --stop-after 3       # train 3 of the 8 epochs ...
    python examples/char_transformer.py --resume             # ... and continue, exactly
"""
from __future__ import annotations

import math
import os
import time
from pathlib import Path

import _common
import numpy as np

import dezero
import dezero.functions as F
import dezero.layers as L
from dezero import Model, Parameter, optimizers
from dezero.optimizers.schedulers import CosineAnnealingLR, LinearWarmup
from dezero.utils.files import read_text

DOCS = Path(__file__).resolve().parent.parent / "docs"


# ----- data --------------------------------------------------------------------------------------

def load_corpus(text_file: str | None) -> str:
    """The training text: ``text_file``, or every Markdown page of docs/ in a fixed order."""
    if text_file is not None:
        return read_text(text_file, "char_transformer")
    pages = sorted(DOCS.rglob("*.md"))
    return "\n\n".join(read_text(page, "char_transformer") for page in pages)


class Vocabulary:
    """The characters of a text, each with an id (sorted, so the ids do not depend on order)."""

    def __init__(self, text: str):
        self.chars = sorted(set(text))
        self.ids = {c: i for i, c in enumerate(self.chars)}

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        """Character ids of ``text`` (unknown characters are an error)."""
        return np.array([self.ids[c] for c in text], dtype=np.int64)

    def decode(self, ids: np.ndarray) -> str:
        """The text of ``ids``."""
        return "".join(self.chars[int(i)] for i in ids)


def random_windows(ids: np.ndarray, batch_size: int, context: int) -> tuple[np.ndarray, np.ndarray]:
    """``batch_size`` windows of ``context`` ids at random offsets (NumPy's global generator),
    and the same windows shifted by one: the targets."""
    starts = np.random.randint(0, len(ids) - context - 1, size=batch_size)
    x = np.stack([ids[s:s + context] for s in starts])
    t = np.stack([ids[s + 1:s + context + 1] for s in starts])
    return x, t


def fixed_windows(ids: np.ndarray, context: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Up to ``count`` windows evenly spaced over ``ids`` (the validation set: always the same)."""
    starts = np.linspace(0, len(ids) - context - 1, num=count).astype(int)
    x = np.stack([ids[s:s + context] for s in starts])
    t = np.stack([ids[s + 1:s + context + 1] for s in starts])
    return x, t


def unigram_loss(train: np.ndarray, val: np.ndarray, vocab_size: int) -> float:
    """Cross-entropy (nats per character) on ``val`` of the training text's character
    frequencies (add-one smoothed): the loss of a model that ignores the context."""
    counts = np.bincount(train, minlength=vocab_size) + 1.0
    log_p = np.log(counts / counts.sum())
    return float(-log_p[val].mean())


# ----- model -------------------------------------------------------------------------------------

class Block(Model):
    """A pre-norm transformer block: x + attention(LN(x)), then x + MLP(LN(x))."""

    def __init__(self, width: int, heads: int):
        super().__init__()
        self.ln1 = L.LayerNorm(width)
        self.attention = L.MultiHeadAttention(width, heads)
        self.ln2 = L.LayerNorm(width)
        self.up = L.Linear(4 * width, in_size=width)
        self.down = L.Linear(width, in_size=4 * width)

    def forward(self, x):
        x = x + self.attention(self.ln1(x), causal=True)
        return x + self.down(F.gelu(self.up(self.ln2(x))))


class CharTransformer(Model):
    """Character ids (N, T) → logits (N, T, vocabulary) for the next character at each place."""

    def __init__(self, vocab_size: int, width: int, heads: int, depth: int, context: int,
                 tie: bool = False):
        super().__init__()
        self.context = context
        self.embed = L.EmbedID(vocab_size, width)
        self.embed.W.data *= 0.1  # small embeddings: the residual stream starts near zero
        self.position = Parameter((np.random.randn(context, width) * 0.02).astype(np.float32))
        self.blocks = [Block(width, heads) for _ in range(depth)]
        for i, block in enumerate(self.blocks):
            setattr(self, f"block{i}", block)  # registers each block's parameters
        self.ln = L.LayerNorm(width)
        self.tie = tie
        if not tie:
            self.head = L.Linear(vocab_size, in_size=width)

    def forward(self, ids):
        length = ids.shape[1]
        x = self.embed(ids) + self.position[:length]
        for block in self.blocks:
            x = block(x)
        x = self.ln(x)
        if self.tie:  # the output layer reuses the embedding: logits = x · Eᵀ
            return F.matmul(x, self.embed.W.T)
        return self.head(x)


def sequence_loss(logits, targets: np.ndarray):
    """Mean cross-entropy of the next-character predictions over every place of every window."""
    n, t, v = logits.shape
    return F.softmax_cross_entropy(logits.reshape(n * t, v), targets.reshape(n * t))


def evaluate(model: CharTransformer, windows: tuple[np.ndarray, np.ndarray],
             batch_size: int) -> float:
    """Mean validation loss over the fixed windows, without dropout or graph."""
    x_all, t_all = windows
    total = 0.0
    with dezero.test_mode(), dezero.no_grad():
        for i in range(0, len(x_all), batch_size):
            x, t = x_all[i:i + batch_size], t_all[i:i + batch_size]
            total += float(sequence_loss(model(x), t).data) * len(x)
    return total / len(x_all)


def sample(model: CharTransformer, vocab: Vocabulary, prompt: str, length: int,
           temperature: float) -> str:
    """``prompt`` followed by ``length`` characters drawn one at a time from the model."""
    ids = list(vocab.encode(prompt))
    with dezero.test_mode(), dezero.no_grad():
        for _ in range(length):
            window = np.array([ids[-model.context:]])
            logits = model(window).data[0, -1].astype(np.float64) / temperature
            p = np.exp(logits - logits.max())
            ids.append(int(np.random.choice(len(p), p=p / p.sum())))
    return vocab.decode(np.array(ids))


# ----- training ----------------------------------------------------------------------------------

def build(args, vocab_size: int, steps: int):
    """The model, its optimizer (AdamW + gradient clipping) and the learning-rate schedule."""
    model = CharTransformer(vocab_size, args.width, args.heads, args.depth, args.context,
                            tie=args.tie)
    optimizer = optimizers.AdamW(alpha=args.lr, weight_decay=0.01).setup(model)
    optimizer.add_hook(optimizers.ClipGrad(1.0))
    warmup = min(args.warmup, steps - 1)
    schedule = LinearWarmup(optimizer, warmup,
                            after=CosineAnnealingLR(optimizer, T_max=steps - warmup,
                                                    eta_min=args.lr * 0.1))
    return model, optimizer, schedule


def main(argv: list[str] | None = None) -> None:
    """Train, report the validation loss against the unigram baseline, plot, and sample."""
    parser = _common.make_parser("char_transformer", __doc__.splitlines()[0], epochs=8,
                                 batch_size=32, lr=3e-3)
    parser.add_argument("--text", default=None, help="train on this UTF-8 file (default: docs/)")
    parser.add_argument("--steps", type=_common.positive_int, default=100,
                        help="training steps per epoch")
    parser.add_argument("--context", type=_common.positive_int, default=64,
                        help="characters the model sees")
    parser.add_argument("--width", type=_common.positive_int, default=64, help="embedding width")
    parser.add_argument("--heads", type=_common.positive_int, default=4, help="attention heads")
    parser.add_argument("--depth", type=_common.positive_int, default=2, help="blocks")
    parser.add_argument("--warmup", type=_common.positive_int, default=50,
                        help="warm-up steps of the learning rate")
    parser.add_argument("--tie", action="store_true",
                        help="share the embedding's weights with the output layer")
    parser.add_argument("--val-windows", type=_common.positive_int, default=64,
                        help="validation windows")
    parser.add_argument("--sample", type=int, default=300, help="characters to sample at the end")
    parser.add_argument("--checkpoint", default=None,
                        help="checkpoint file (default: <out>/checkpoint.npz)")
    parser.add_argument("--resume", action="store_true",
                        help="continue from the checkpoint; --epochs counts the total")
    parser.add_argument("--stop-after", type=_common.positive_int, default=None,
                        help="stop after this epoch (the schedule still spans --epochs), to "
                             "continue later with --resume")
    args = parser.parse_args(argv)
    checkpoint = args.checkpoint or os.path.join(args.out, "checkpoint.npz")

    text = load_corpus(args.text)
    vocab = Vocabulary(text)
    ids = vocab.encode(text)
    cut = int(len(ids) * 0.9)
    train_ids, val_ids = ids[:cut], ids[cut:]
    if len(val_ids) < args.context + 2:
        parser.error(f"the text is too short for --context {args.context}")
    val_windows = fixed_windows(val_ids, args.context, args.val_windows)
    print(f"corpus: {len(text):,} characters, {len(vocab)} distinct; "
          f"train {len(train_ids):,}, validation {len(val_ids):,}")

    _common.seed(args.seed)
    model, optimizer, schedule = build(args, len(vocab), args.epochs * args.steps)
    history = {"train_loss": [], "val_loss": []}
    first_epoch = 0
    if args.resume:
        extra = dezero.load_checkpoint(checkpoint, model, optimizer, schedule)
        first_epoch = int(extra["epoch"])
        history = {k: list(np.asarray(extra[k], dtype=float)) for k in history}
        print(f"resumed from {checkpoint} after epoch {first_epoch}")

    last_epoch = args.epochs if args.stop_after is None else min(args.stop_after, args.epochs)
    for epoch in range(first_epoch, last_epoch):
        start = time.perf_counter()
        total = 0.0
        bar = _common.progress(range(args.steps), args.steps, f"epoch {epoch + 1}/{args.epochs}",
                               args.progress)
        for _ in bar:
            x, t = random_windows(train_ids, args.batch_size, args.context)
            loss = sequence_loss(model(x), t)
            model.cleargrads()
            loss.backward()
            optimizer.update()
            schedule.step()
            total += float(loss.data)
            bar.set_postfix(loss=float(loss.data))
        history["train_loss"].append(total / args.steps)
        history["val_loss"].append(evaluate(model, val_windows, args.batch_size))
        print(f"epoch {epoch + 1:2d}/{args.epochs}  train loss {history['train_loss'][-1]:.4f}  "
              f"validation loss {history['val_loss'][-1]:.4f}  "
              f"lr {schedule.get_lr():.2e}  ({time.perf_counter() - start:.1f} s)", flush=True)
        dezero.save_checkpoint(checkpoint, model, optimizer, schedule, rng=True,
                               epoch=epoch + 1, **{k: np.array(v) for k, v in history.items()})

    baseline = unigram_loss(train_ids, val_ids, len(vocab))
    print(f"validation loss {history['val_loss'][-1]:.4f} nats/char "
          f"(unigram baseline {baseline:.4f}; uniform {math.log(len(vocab)):.4f})")
    plot(history, os.path.join(args.out, "loss.png"), baseline)
    if args.sample > 0:
        print("sample:")
        print(sample(model, vocab, text[:1], args.sample, temperature=0.8))


def plot(history: dict[str, list[float]], path: str, baseline: float) -> None:
    """The training and validation loss per epoch, with the unigram baseline, as a PNG."""
    plt = _common.pyplot()
    if plt is None:
        return
    fig, ax = plt.subplots(figsize=(6, 4))
    epochs = range(1, len(history["train_loss"]) + 1)
    ax.plot(epochs, history["train_loss"], marker="o", label="train")
    ax.plot(epochs, history["val_loss"], marker="o", label="validation")
    ax.axhline(baseline, color="gray", linestyle="--", label="unigram baseline")
    ax.set_xlabel("epoch")
    ax.set_ylabel("cross-entropy (nats/char)")
    ax.set_title("char transformer")
    ax.legend()
    _common.save_figure(fig, path)


if __name__ == "__main__":
    main()
