"""DataLoader and SeqDataLoader: batching, epochs, the next() protocol, shuffling, bad arguments."""
from __future__ import annotations

import numpy as np
import pytest

import dezero
from dezero import cuda
from dezero.dataloaders import DataLoader, SeqDataLoader
from dezero.datasets import Spiral


def pairs(n):
    """A plain list dataset: item i is (array [i, -i], label i)."""
    return [(np.array([i, -i]), i) for i in range(n)]


def epoch_labels(batches):
    return [t.tolist() for _, t in batches]


def test_public_names():
    assert dezero.DataLoader is DataLoader and dezero.SeqDataLoader is SeqDataLoader


def test_batches_are_stacked_and_the_partial_last_batch_is_kept():
    loader = DataLoader(pairs(10), batch_size=4, shuffle=False)
    batches = list(loader)
    assert [len(t) for _, t in batches] == [4, 4, 2]
    assert loader.max_iter == 3 and len(loader) == 3
    x, t = batches[0]
    assert x.shape == (4, 2) and t.shape == (4,)
    np.testing.assert_array_equal(x, [[0, 0], [1, -1], [2, -2], [3, -3]])
    assert epoch_labels(batches) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_shuffled_epoch_covers_every_item_once():
    seen = np.concatenate([t for _, t in DataLoader(pairs(11), batch_size=3)])
    assert sorted(seen.tolist()) == list(range(11))


def test_breaking_out_does_not_leak_into_the_next_loop():
    loader = DataLoader(pairs(10), batch_size=4, shuffle=False)
    for _ in loader:
        break
    assert epoch_labels(loader) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    # And a full loop leaves the loader ready for another full loop.
    assert epoch_labels(loader) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_next_protocol_ends_the_epoch_with_stop_iteration_then_restarts():
    loader = DataLoader(pairs(5), batch_size=2, shuffle=False)
    got = [loader.next()[1].tolist(), next(loader)[1].tolist(), loader.next()[1].tolist()]
    assert got == [[0, 1], [2, 3], [4]]
    with pytest.raises(StopIteration):
        next(loader)
    assert next(loader)[1].tolist() == [0, 1]


def test_while_loop_dezero_style():
    loader = DataLoader(pairs(6), batch_size=4, shuffle=False)
    sizes = []
    for _ in range(2):  # two epochs driven by hand
        while True:
            try:
                _, t = loader.next()
            except StopIteration:
                break
            sizes.append(len(t))
    assert sizes == [4, 2, 4, 2]


@pytest.mark.parametrize("bad", [0, -1, 2.5, "4", True, None])
def test_bad_batch_size_is_a_value_error(bad):
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        DataLoader(pairs(4), batch_size=bad)
    with pytest.raises(ValueError, match="batch_size"):
        SeqDataLoader(pairs(4), batch_size=bad)


def test_numpy_integer_batch_size_is_fine():
    assert DataLoader(pairs(4), batch_size=np.int64(2)).batch_size == 2


@pytest.mark.parametrize("loader_class", [DataLoader, SeqDataLoader])
def test_empty_dataset_yields_nothing(loader_class):
    loader = loader_class([], batch_size=3)
    assert list(loader) == []
    with pytest.raises(StopIteration):
        next(loader)
    assert list(loader) == []


def test_shuffle_follows_numpys_global_seed_like_dezero():
    np.random.seed(0)
    first, second = np.random.permutation(10), np.random.permutation(10)
    np.random.seed(0)
    loader = DataLoader(pairs(10), batch_size=10)
    # The order is drawn when the loader is made and again after each epoch, as in DeZero;
    # starting a `for` loop on a fresh loader draws nothing.
    assert epoch_labels(loader) == [first.tolist()]
    assert epoch_labels(loader) == [second.tolist()]
    np.random.seed(0)
    again = DataLoader(pairs(10), batch_size=10)
    assert epoch_labels(again) == [first.tolist()]


def test_reset_starts_a_new_epoch():
    loader = DataLoader(pairs(6), batch_size=4, shuffle=False)
    loader.next()
    loader.reset()
    assert loader.iteration == 0 and loader.next()[1].tolist() == [0, 1, 2, 3]


def test_works_with_a_dataset_and_its_transform():
    loader = DataLoader(Spiral(transform=lambda x: x * 0), batch_size=128)
    batches = list(loader)
    assert [len(t) for _, t in batches] == [128, 128, 44]
    assert batches[0][0].shape == (128, 2) and not batches[0][0].any()


def test_seq_data_loader_reads_parallel_sub_sequences():
    # 10 steps, 2 rows: row r starts at r * (10 // 2) and advances one step per batch.
    loader = SeqDataLoader(pairs(10), batch_size=2)
    expected = [[(r * 5 + k) % 10 for r in range(2)] for k in range(5)]
    assert epoch_labels(loader) == expected
    assert epoch_labels(loader) == expected  # the next epoch starts over


def test_seq_data_loader_with_an_uneven_split_like_dezero():
    # ceil(7 / 3) = 3 batches per epoch; rows start at 0, 7 // 3 = 2 and 4.
    loader = SeqDataLoader(pairs(7), batch_size=3)
    assert epoch_labels(loader) == [[0, 2, 4], [1, 3, 5], [2, 4, 6]]
    # More rows than steps: every row reads step 0, in one batch.
    assert epoch_labels(SeqDataLoader(pairs(2), batch_size=3)) == [[0, 0, 0]]


def test_gpu_switches():
    loader = DataLoader(pairs(4), batch_size=2)
    if cuda.gpu_enable:
        loader.to_gpu()
        x, _ = loader.next()
        assert cuda.get_array_module(x) is not np
    else:
        with pytest.raises(RuntimeError, match="CuPy"):
            loader.to_gpu()
        with pytest.raises(RuntimeError, match="CuPy"):
            DataLoader(pairs(4), batch_size=2, gpu=True)
    loader.to_cpu()
    assert isinstance(loader.next()[0], np.ndarray)
