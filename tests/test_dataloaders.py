"""DataLoader and SeqDataLoader: batching, epochs, the next() protocol, shuffling, bad arguments."""
from __future__ import annotations

import numpy as np
import pytest

import dezero
from dezero import cuda
from dezero import transforms as T
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


@pytest.mark.parametrize("bad", [0, -1])
def test_non_positive_batch_size_is_a_value_error(bad):
    with pytest.raises(ValueError, match="DataLoader: batch_size must be positive, got"):
        DataLoader(pairs(4), batch_size=bad)
    with pytest.raises(ValueError, match="SeqDataLoader: batch_size"):
        SeqDataLoader(pairs(4), batch_size=bad)


@pytest.mark.parametrize("bad", [2.5, 2.0, np.float64(2), "4", True, np.True_, None])
def test_batch_size_that_is_not_an_integer_is_a_type_error(bad):
    # NumPy's rule for counts: ints and NumPy integers only (never floats, strings or bools).
    with pytest.raises(TypeError, match="DataLoader: batch_size must be an integer, got .*; (pass a Python|a boolean)"):
        DataLoader(pairs(4), batch_size=bad)
    with pytest.raises(TypeError, match="SeqDataLoader: batch_size"):
        SeqDataLoader(pairs(4), batch_size=bad)


def test_numpy_integer_batch_size_is_fine():
    assert DataLoader(pairs(4), batch_size=np.int64(2)).batch_size == 2
    loader = SeqDataLoader(pairs(4), batch_size=np.int32(2))
    assert loader.batch_size == 2 and type(loader.batch_size) is int


def test_empty_dataset_yields_nothing():
    loader = DataLoader([], batch_size=3)
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
    # As many rows as steps: one batch, each row one step.
    assert epoch_labels(SeqDataLoader(pairs(3), batch_size=3)) == [[0, 1, 2]]


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


# -- every iter() is independent (as in PyTorch) ------------------------------------------------
def test_nested_loops_over_one_loader_each_see_a_whole_epoch():
    loader = DataLoader(pairs(5), batch_size=2, shuffle=False)
    seen = []
    for _, t_outer in loader:
        inner = epoch_labels(loader)
        assert inner == [[0, 1], [2, 3], [4]]
        seen.append(t_outer.tolist())
    assert seen == [[0, 1], [2, 3], [4]]


def test_two_live_iterators_keep_their_own_position():
    loader = DataLoader(pairs(6), batch_size=2, shuffle=False)
    first, second = iter(loader), iter(loader)
    assert first is not second and first is not loader
    assert next(first)[1].tolist() == [0, 1]
    assert next(first)[1].tolist() == [2, 3]
    assert next(second)[1].tolist() == [0, 1]
    assert next(first)[1].tolist() == [4, 5]
    with pytest.raises(StopIteration):
        next(first)
    with pytest.raises(StopIteration):  # an exhausted iterator stays exhausted
        next(first)
    assert epoch_labels(second) == [[2, 3], [4, 5]]
    # Neither touched the DeZero-style next(loader) epoch.
    assert loader.iteration == 0 and next(loader)[1].tolist() == [0, 1]


def test_live_shuffled_iterators_each_cover_the_dataset_in_their_own_order():
    np.random.seed(3)
    loader = DataLoader(pairs(50), batch_size=7)
    first, second = iter(loader), iter(loader)
    a = np.concatenate([t for _, t in first]).tolist()
    b = np.concatenate([t for _, t in second]).tolist()
    assert sorted(a) == sorted(b) == list(range(50))
    assert a != b  # each iterator has its own shuffle order


def test_loop_and_next_protocol_do_not_share_a_position():
    loader = DataLoader(pairs(6), batch_size=2, shuffle=False)
    assert loader.next()[1].tolist() == [0, 1]
    assert epoch_labels(loader) == [[0, 1], [2, 3], [4, 5]]
    assert loader.iteration == 1 and loader.next()[1].tolist() == [2, 3]


def test_random_stream_matches_dezero_for_loops_and_next():
    """DeZero draws one permutation at construction and one at every epoch end."""
    np.random.seed(7)
    orders = [np.random.permutation(9).tolist() for _ in range(5)]
    after = np.random.rand()
    np.random.seed(7)
    loader = DataLoader(pairs(9), batch_size=9)
    assert epoch_labels(loader) == [orders[0]]
    got = []
    while True:
        try:
            got.append(loader.next()[1].tolist())
        except StopIteration:
            break
    assert got == [orders[1]]
    loader.reset()  # DeZero's reset draws the next order at once
    assert epoch_labels(loader) == [orders[3]]
    assert np.random.rand() == after


def test_changing_the_loader_mid_epoch_cannot_make_an_iterator_run_on():
    loader = DataLoader(pairs(6), batch_size=2, shuffle=False)
    it = iter(loader)
    next(it)
    loader.batch_size, loader.max_iter = 1, 10**9
    assert len(list(it)) == 2


# -- bad datasets and items ---------------------------------------------------------------------
@pytest.mark.parametrize("loader_class", [DataLoader, SeqDataLoader])
def test_dataset_without_len_is_a_type_error(loader_class):
    name = loader_class.__name__
    with pytest.raises(TypeError, match=rf"^{name}: dataset must support len\(\).*generator.*list"):
        loader_class((p for p in pairs(4)), batch_size=2)

    class NoLen:
        def __getitem__(self, i):
            return np.zeros(2), 0

    with pytest.raises(TypeError, match=rf"^{name}: dataset must support len\(\).*NoLen"):
        loader_class(NoLen(), batch_size=2)


@pytest.mark.parametrize("size", [0, 2])
def test_seq_loader_with_more_rows_than_steps_is_a_value_error(size):
    with pytest.raises(ValueError, match=rf"SeqDataLoader: batch_size=3 is larger than the "
                                         rf"dataset \({size} steps\).*batch_size <= {size}"):
        SeqDataLoader(pairs(size), batch_size=3)


@pytest.mark.parametrize("loader_class", [DataLoader, SeqDataLoader])
def test_ragged_items_name_the_items_and_their_shapes(loader_class):
    data = [(np.zeros(3), 0), (np.zeros(3), 1), (np.zeros(4), 2), (np.zeros(3), 3)]
    options = {"shuffle": False} if loader_class is DataLoader else {}
    loader = loader_class(data, batch_size=4, **options)
    with pytest.raises(ValueError, match=rf"{loader_class.__name__}: cannot stack a batch: the x "
                                         r"of dataset\[0\] has shape \(3,\) but that of "
                                         r"dataset\[2\] has shape \(4,\)"):
        next(iter(loader))


def test_ragged_labels_are_reported_too():
    data = [(np.zeros(2), [1, 2]), (np.zeros(2), [1])]
    with pytest.raises(ValueError, match=r"the t of dataset\[0\] has shape \(2,\) but that of "
                                         r"dataset\[1\] has shape \(1,\)"):
        DataLoader(data, batch_size=2, shuffle=False).next()


def test_items_that_are_not_pairs_are_a_type_error():
    with pytest.raises(TypeError, match=r"DataLoader: dataset\[0\] is int 5, not an \(x, t\) pair"):
        DataLoader([5, 6], batch_size=2, shuffle=False).next()


# -- batched transforms: one NumPy call per transform, the same values as item by item ------


def _per_item(dataset, indices):
    xs, ts = zip(*(dataset[int(i)] for i in indices))
    return np.array(xs), np.array(ts)


class _Images(dezero.datasets.Dataset):
    def prepare(self):
        rng = np.random.default_rng(0)
        self.data = rng.integers(0, 256, size=(10, 3, 4, 4)).astype(np.uint8)
        self.label = np.arange(10) % 3


@pytest.mark.parametrize("transform", [
    None,
    T.Compose([T.Flatten(), T.ToFloat(), T.Normalize(0.0, 255.0)]),  # DeZero's MNIST transform
    T.Compose([T.ToFloat(), T.Normalize([10.0, 20.0, 30.0], [2.0, 4.0, 8.0])]),  # per channel
    T.Compose([T.AsType(np.float64), T.Flatten()]),
])
def test_batched_transforms_give_the_items_values(transform):
    dataset = _Images(transform=transform, target_transform=T.ToFloat())
    indices = np.array([3, 0, 7, 7, 9])
    x, t = dataset.batch(indices)
    want_x, want_t = _per_item(dataset, indices)
    assert x.dtype == want_x.dtype and t.dtype == want_t.dtype
    np.testing.assert_array_equal(x, want_x)
    np.testing.assert_array_equal(t, want_t)
    loader = DataLoader(dataset, 4, shuffle=False)
    got = [b for b in loader]
    assert [len(b[0]) for b in got] == [4, 4, 2]
    np.testing.assert_array_equal(got[0][0], _per_item(dataset, range(4))[0])


def test_datasets_that_cannot_batch_are_stacked_item_by_item():
    class Shifted(_Images):  # its own __getitem__: the loader must call it
        def __getitem__(self, index):
            x, t = super().__getitem__(index)
            return x + 1, t

    shifted = Shifted()
    assert shifted.batch([0, 1]) is None
    x, _ = next(iter(DataLoader(shifted, 2, shuffle=False)))
    np.testing.assert_array_equal(x, shifted.data[:2] + 1)
    custom = _Images(transform=lambda a: a * 2)  # a plain function has no batch form
    assert custom.batch([0]) is None
    x, _ = next(iter(DataLoader(custom, 3, shuffle=False)))
    np.testing.assert_array_equal(x, custom.data[:3] * 2)
