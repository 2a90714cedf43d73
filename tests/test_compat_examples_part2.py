"""Usage patterns of the original DeZero 0.0.13 ``examples/`` programs, part 2: mnist.py, mnist_colab_gpu.ipynb,
spiral.py and style_transfer.py.

The ground rules are in tests/test_compat_examples.py: small programs of our own, written the
way the examples call the framework, on tiny generated data (no network), numbers checked
against NumPy or known values.
"""
from __future__ import annotations

import numpy as np
from compat_helpers import np_sigmoid, tiny_mnist_class
from optional import require

import dezero
import dezero.functions as F
import dezero.layers as L
from dezero import DataLoader, Model, Variable, optimizers
from dezero.models import MLP


# ----------------------------------------------------------------------------------------------
# mnist.py
# ----------------------------------------------------------------------------------------------

def test_mnist_default_transform_and_loader_epochs():
    TinyMNIST = tiny_mnist_class(n=25)
    train_set = TinyMNIST(train=True)
    test_set = TinyMNIST(train=False)
    x, t = train_set[3]
    assert x.shape == (784,) and x.dtype == np.float32
    assert np.allclose(x, train_set.data[3].ravel() / 255.0)
    assert int(t) == 3

    train_loader = DataLoader(train_set, 10)
    test_loader = DataLoader(test_set, 10, shuffle=False)
    assert train_loader.max_iter == 3
    for _ in range(2):  # every epoch's for loop sees the whole dataset once
        seen = []
        for x, t in train_loader:
            assert x.shape[1:] == (784,) and x.dtype == np.float32
            seen.extend(int(v) for v in t)
        assert sorted(seen) == sorted(int(v) for v in train_set.label)
    xs, ts = [], []
    for x, t in test_loader:
        xs.append(x)
        ts.append(t)
    assert np.allclose(np.concatenate(xs), test_set.data.reshape(25, -1) / 255.0)
    assert np.array_equal(np.concatenate(ts), test_set.label)
    # DeZero's explicit protocol: next() then reset()
    x, t = train_loader.next()
    assert len(t) == 10
    train_loader.reset()
    assert train_loader.iteration == 0


def test_mnist_mlp_adam_weight_decay_loss_and_accuracy():
    np.random.seed(9)
    batch_size = 10
    TinyMNIST = tiny_mnist_class(n=30)
    train_set, test_set = TinyMNIST(train=True), TinyMNIST(train=False)
    train_loader = DataLoader(train_set, batch_size)
    test_loader = DataLoader(test_set, batch_size, shuffle=False)

    model = MLP((32, 32, 10), activation=F.relu)
    optimizer = dezero.optimizers.Adam().setup(model)
    optimizer.add_hook(dezero.optimizers.WeightDecay(1e-4))

    losses = []
    for epoch in range(6):
        sum_loss, sum_acc = 0, 0
        for x, t in train_loader:
            y = model(x)
            loss = F.softmax_cross_entropy(y, t)  # t: uint8 labels, as MNIST's
            acc = F.accuracy(y, t)
            # the numbers, from NumPy
            yd = y.data.astype(np.float64)
            log_p = yd - yd.max(axis=1, keepdims=True)
            log_p -= np.log(np.exp(log_p).sum(axis=1, keepdims=True))
            assert np.allclose(float(loss.data), -log_p[np.arange(len(t)), t].mean(), rtol=1e-5)
            assert np.isclose(float(acc.data), np.mean(yd.argmax(axis=1) == t))
            model.cleargrads()
            loss.backward()
            optimizer.update()
            sum_loss += float(loss.data) * len(t)
            sum_acc += float(acc.data) * len(t)
        losses.append(sum_loss / len(train_set))
        'train loss: {}, accuracy: {}'.format(sum_loss / len(train_set),
                                              sum_acc / len(train_set))
    assert losses[-1] < losses[0]

    sum_loss, sum_acc = 0, 0
    with dezero.no_grad():
        for x, t in test_loader:
            y = model(x)
            assert y.creator is None
            loss = F.softmax_cross_entropy(y, t)
            acc = F.accuracy(y, t)
            sum_loss += float(loss.data) * len(t)
            sum_acc += float(acc.data) * len(t)
    assert np.isfinite(sum_loss) and 0 <= sum_acc / len(test_set) <= 1


def test_mnist_accuracy_is_the_exact_fraction_of_hits():
    # mnist.py prints sum(float(acc.data) * len(t)) / len(train_set); DeZero's accuracy is a
    # float64 mean of booleans, so 2 hits out of 10 print as 0.2 (not 0.20000000298...)
    y = np.zeros((10, 3), dtype=np.float32)
    y[np.arange(10), [0, 1, 2, 0, 1, 2, 0, 1, 2, 0]] = 1
    t = np.array([0, 1, 1, 1, 2, 0, 2, 2, 0, 1], dtype=np.uint8)   # hits: rows 0 and 1
    acc = F.accuracy(Variable(y), t)
    assert float(acc.data) == 0.2
    assert float(acc.data) * len(t) == 2.0


def test_mnist_weight_decay_hook_adds_rate_times_param_before_sgd_step():
    np.random.seed(10)
    model = MLP((3,))
    optimizer = optimizers.SGD(0.5).setup(model)
    optimizer.add_hook(dezero.optimizers.WeightDecay(0.1))
    x = np.random.rand(4, 2).astype(np.float32)
    t = np.array([0, 1, 2, 1])
    loss = F.softmax_cross_entropy(model(x), t)
    model.cleargrads()
    loss.backward()
    W, b = model.l0.W, model.l0.b
    W0, gW = W.data.copy(), W.grad.data.copy()
    b0, gb = b.data.copy(), b.grad.data.copy()
    optimizer.update()
    assert np.allclose(W.data, W0 - 0.5 * (gW + 0.1 * W0), rtol=1e-6, atol=1e-7)
    assert np.allclose(b.data, b0 - 0.5 * (gb + 0.1 * b0), rtol=1e-6, atol=1e-7)


# ----------------------------------------------------------------------------------------------
# mnist_colab_gpu.ipynb
# ----------------------------------------------------------------------------------------------

def test_mnist_colab_gpu_sgd_defaults_and_device_switches():
    np.random.seed(11)
    assert dezero.cuda.gpu_enable in (True, False)
    TinyMNIST = tiny_mnist_class(n=20)
    train_set = TinyMNIST(train=True)
    train_loader = DataLoader(train_set, 10)
    model = MLP((16, 10))
    optimizer = optimizers.SGD().setup(model)
    assert optimizer.lr == 0.01

    def one_epoch():
        sum_loss = 0
        for x, t in train_loader:
            y = model(x)
            loss = F.softmax_cross_entropy(y, t)
            model.cleargrads()
            loss.backward()
            before = [(p, p.data.copy(), p.grad.data.copy()) for p in model.params()]
            optimizer.update()
            for p, old, g in before:
                assert np.allclose(dezero.cuda.as_numpy(p.data),
                                   dezero.cuda.as_numpy(old - 0.01 * g), rtol=1e-6, atol=1e-8)
            sum_loss += float(loss.data) * len(t)
        return sum_loss / len(train_set)

    assert np.isfinite(one_epoch())
    # the notebook switches devices between epochs, after the optimizer was set up
    if dezero.cuda.gpu_enable:
        train_loader.to_gpu()
        model.to_gpu()
        assert np.isfinite(one_epoch())
    model.to_cpu()
    train_loader.to_cpu()
    assert all(isinstance(p.data, np.ndarray) for p in model.params())
    assert np.isfinite(one_epoch())


# ----------------------------------------------------------------------------------------------
# spiral.py
# ----------------------------------------------------------------------------------------------

def test_spiral_dataset_arms_and_integer_labels():
    train_set = dezero.datasets.Spiral(train=True)
    test_set = dezero.datasets.Spiral(train=False)
    x = np.array([example[0] for example in train_set])
    t = np.array([example[1] for example in train_set])
    assert x.shape == (300, 2) and x.dtype == np.float32
    assert t.shape == (300,) and t.dtype.kind == 'i'
    markers = ['o', 'x', '^']
    assert {markers[c] for c in t} == set(markers)  # labels index Python lists
    for j in range(3):
        radii = np.sort(np.hypot(x[t == j, 0], x[t == j, 1]))
        assert np.allclose(radii, np.arange(100) / 100, atol=1e-6)
    x2 = np.array([example[0] for example in dezero.datasets.Spiral(train=True)])
    assert np.array_equal(x, x2)  # seeded: the same points every time
    xt = np.array([example[0] for example in test_set])
    assert not np.array_equal(x, xt)


class TwoLayerNet(Model):
    def __init__(self, hidden_size, out_size):
        super().__init__()
        self.l1 = L.Linear(hidden_size)
        self.l2 = L.Linear(out_size)
        self.bn1 = L.BatchNorm()

    def forward(self, x):
        y = F.sigmoid(self.bn1(self.l1(x)))
        y = self.l2(y)
        return y


def test_spiral_batchnorm_net_sgd_then_test_mode_on_float64_grid():
    np.random.seed(12)
    lr = 1.0
    train_set = dezero.datasets.Spiral(train=True)
    train_loader = DataLoader(train_set, 30)
    model = TwoLayerNet(10, 3)
    optimizer = optimizers.SGD(lr).setup(model)
    first = last = None
    for epoch in range(15):
        total = 0
        for x, t in train_loader:
            y = model(x)
            loss = F.softmax_cross_entropy(y, t)
            model.cleargrads()
            loss.backward()
            optimizer.update()
            total += float(loss.data)
        first = total if first is None else first
        last = total
    assert last < first

    x = np.array([example[0] for example in train_set])
    h = 0.05
    x_min, x_max = x[:, 0].min() - .1, x[:, 0].max() + .1
    y_min, y_max = x[:, 1].min() - .1, x[:, 1].max() + .1
    xx, yy = np.meshgrid(np.arange(x_min, x_max, h), np.arange(y_min, y_max, h))
    X = np.c_[xx.ravel(), yy.ravel()]
    with dezero.test_mode():
        score = model(X)
    predict_cls = np.argmax(score.data, axis=1)
    Z = predict_cls.reshape(xx.shape)
    assert Z.shape == xx.shape and set(np.unique(Z)) <= {0, 1, 2}

    # test mode = the running statistics, computed here with NumPy
    bn = model.bn1
    a = X @ model.l1.W.data + model.l1.b.data
    a = (a - bn.avg_mean.data) / np.sqrt(bn.avg_var.data + 2e-5) * bn.gamma.data + bn.beta.data
    expected = np_sigmoid(a) @ model.l2.W.data + model.l2.b.data
    assert np.allclose(score.data, expected, rtol=1e-4, atol=1e-5)


# ----------------------------------------------------------------------------------------------
# style_transfer.py
# ----------------------------------------------------------------------------------------------

class StyleVGG16(dezero.models.VGG16):
    def extract(self, x):
        c1_1 = F.relu(self.conv1_1(x))
        c1_2 = F.relu(self.conv1_2(c1_1))
        p1 = F.average_pooling(c1_2, 2, 2)
        c2_1 = F.relu(self.conv2_1(p1))
        c2_2 = F.relu(self.conv2_2(c2_1))
        p2 = F.average_pooling(c2_2, 2, 2)
        c3_1 = F.relu(self.conv3_1(p2))
        return {'conv1_1': c1_1, 'conv2_1': c2_1, 'conv3_1': c3_1, 'conv2_2': c2_2}


def gram_mat(x):
    N, C, H, W = x.shape
    features = x.reshape(C, -1)
    gram = F.matmul(features, features.T)
    return gram.reshape(1, C, C)


def style_loss(style, comb):
    S = gram_mat(style)
    C = gram_mat(comb)
    N, ch, H, W = style.shape
    return F.mean_squared_error(S, C) / (4 * (ch * W * H) ** 2)


def content_loss(base, comb):
    return F.mean_squared_error(base, comb) / 2


def total_variation_loss(x):
    a = (x[:, :, :-1, :-1] - x[:, :, 1:, : -1]) ** 2
    b = (x[:, :, :-1, :-1] - x[:, :, : -1, 1:]) ** 2
    return F.sum(a + b)


def np_style_loss(s, c):
    _, ch, h, w = s.shape
    fs, fc = s.reshape(ch, -1).astype(np.float64), c.reshape(ch, -1).astype(np.float64)
    return ((fs @ fs.T - fc @ fc.T) ** 2).sum() / 1 / (4 * (ch * w * h) ** 2)


def test_style_transfer_preprocess_pil_images():
    Image = require("PIL.Image", "pip install Pillow")
    rng = np.random.RandomState(13)
    rgb = rng.randint(0, 256, (10, 12, 3)).astype(np.uint8)
    img = Image.fromarray(rgb, mode="RGB")
    out = StyleVGG16.preprocess(img, size=(12, 10))[np.newaxis]
    assert out.shape == (1, 3, 10, 12) and out.dtype == np.float32
    expected = rgb[:, :, ::-1].astype(np.float32) - np.array([103.939, 116.779, 123.68],
                                                             dtype=np.float32)
    assert np.allclose(out[0], expected.transpose(2, 0, 1))


def test_style_transfer_vgg16_subclass_gram_losses_and_adagrad_on_a_parameter():
    Image = require("PIL.Image", "pip install Pillow")
    np.random.seed(14)
    rng = np.random.RandomState(14)
    size = (16, 16)
    content_img = Image.fromarray(rng.randint(0, 256, (20, 20, 3)).astype(np.uint8), mode="RGB")
    style_img = Image.fromarray(rng.randint(0, 256, (24, 18, 3)).astype(np.uint8), mode="RGB")
    content_img = StyleVGG16.preprocess(content_img, size=size)[np.newaxis]
    style_img = StyleVGG16.preprocess(style_img, size=size)[np.newaxis]
    content_img, style_img = Variable(content_img), Variable(style_img)

    model = StyleVGG16()
    gen_data = content_img.data.copy()
    gen_img = dezero.Parameter(gen_data)
    gen_model = dezero.models.Model()
    gen_model.param = gen_img
    lr = 5.0
    optimizer = dezero.optimizers.AdaGrad(lr=lr).setup(gen_model)
    assert list(gen_model.params()) == [gen_img]

    with dezero.no_grad():
        content_features = model.extract(content_img)
        style_features = model.extract(style_img)
    content_layers, style_layers = ['conv2_2'], ['conv1_1', 'conv2_1', 'conv3_1']
    content_weight, style_weight, tv_weight = 1e-4, 1.0, 1e-6

    def loss_func(gen_features):
        loss = 0
        for layer in content_layers:
            loss += content_weight / len(content_layers) * \
                content_loss(content_features[layer], gen_features[layer])
        for layer in style_layers:
            loss += style_weight / len(style_layers) * \
                style_loss(style_features[layer], gen_features[layer])
        loss += tv_weight * total_variation_loss(gen_img)
        return loss

    for i in range(2):
        model.cleargrads()
        gen_img.cleargrad()
        gen_features = model.extract(gen_img)
        loss = loss_func(gen_features)

        expected = 0.0
        for layer in content_layers:
            d = content_features[layer].data.astype(np.float64) - gen_features[layer].data
            expected += content_weight * (d ** 2).sum() / 1 / 2
        for layer in style_layers:
            expected += style_weight / 3 * np_style_loss(style_features[layer].data,
                                                          gen_features[layer].data)
        g = gen_img.data.astype(np.float64)
        tv = ((g[:, :, :-1, :-1] - g[:, :, 1:, :-1]) ** 2
              + (g[:, :, :-1, :-1] - g[:, :, :-1, 1:]) ** 2).sum()
        expected += tv_weight * tv
        assert np.allclose(float(loss.data), expected, rtol=1e-4)
        '{} loss: {:.0f}'.format(i, float(loss.data))

        loss.backward()
        assert gen_img.grad.shape == gen_img.shape
        old = gen_img.data.copy()
        grad = gen_img.grad.data.copy()
        optimizer.update()
        if i == 0:  # AdaGrad's first step moves every pixel by lr * sign(grad)
            moved = old - gen_img.data
            nz = np.abs(grad) > 1e-3
            assert nz.mean() > 0.5
            assert np.allclose(moved[nz], lr * np.sign(grad[nz]), rtol=1e-3)

    # deprocess_image works in place on the Parameter's array (a view): it must be writable
    x = np.squeeze(gen_img.data)
    x = x.transpose((1, 2, 0))
    x += np.array([103.939, 116.779, 123.68])
    x = np.clip(x[:, :, ::-1], 0, 255).astype('uint8')
    assert x.shape == (16, 16, 3)


def test_style_transfer_get_file_caches_under_the_url_file_name(tmp_path, monkeypatch):
    source = tmp_path / "src" / "zebra.jpg"
    source.parent.mkdir()
    source.write_bytes(b"not really a jpeg")
    monkeypatch.setenv("DEZERO_CACHE_DIR", str(tmp_path / "cache"))
    url = source.as_uri()
    path = dezero.utils.get_file(url)
    assert path == str(tmp_path / "cache" / "zebra.jpg")
    with open(path, "rb") as f:
        assert f.read() == b"not really a jpeg"
    source.unlink()
    assert dezero.utils.get_file(url) == path  # cached: not fetched again
