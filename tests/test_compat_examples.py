"""Usage patterns of the original DeZero 0.0.13 ``examples/`` programs, on tiny generated data.

Each test is a small program of our own written the way one of the original examples
(gan.py, vae.py, mnist.py, mnist_colab_gpu.ipynb, spiral.py, style_transfer.py, grad_cam.py,
tanh.py) calls the framework (this file: gan.py and vae.py; mnist, spiral and
style transfer in tests/test_compat_examples_part2.py; grad-cam, tanh and the book's
patterns in tests/test_compat_examples_part3.py): the argument forms, dtypes, attribute assignments and loop
patterns those programs rely on. Where an example downloads (MNIST, images, VGG16 weights),
the test builds a tiny stand-in instead; nothing here touches the network. Tests named
``test_book_*`` cover relaxed behaviours of the same kind that the examples share with the
book's steps. Every test checks numbers against NumPy (or known values), not only that no
exception is raised.
"""
from __future__ import annotations

import numpy as np
from compat_helpers import changed, np_sigmoid, params_snapshot, tiny_mnist_class

import dezero
import dezero.functions as F
import dezero.layers as L
from dezero import DataLoader, Model, Variable, optimizers
from dezero.models import Sequential
from dezero.optimizers import Adam


# ----------------------------------------------------------------------------------------------
# gan.py
# ----------------------------------------------------------------------------------------------

FC_C, FC_H, FC_W = 4, 7, 7
GAN_HIDDEN = 8


def make_gan():
    gen = Sequential(
        L.Linear(32),
        L.BatchNorm(),
        F.relu,
        L.Linear(FC_C * FC_H * FC_W),
        L.BatchNorm(),
        F.relu,
        lambda x: F.reshape(x, (-1, FC_C, FC_H, FC_W)),
        L.Deconv2d(FC_C // 2, kernel_size=4, stride=2, pad=1),
        L.BatchNorm(),
        F.relu,
        L.Deconv2d(1, kernel_size=4, stride=2, pad=1),
        F.sigmoid,
    )
    dis = Sequential(
        L.Conv2d(4, kernel_size=4, stride=2, pad=1),
        F.leaky_relu,
        L.Conv2d(8, kernel_size=4, stride=2, pad=1),
        L.BatchNorm(),
        F.leaky_relu,
        F.flatten,
        L.Linear(16),
        L.BatchNorm(),
        F.leaky_relu,
        L.Linear(1),
        F.sigmoid,
    )
    return gen, dis


def gan_init_weight(dis, gen, hidden_size):
    """gan.py's init_weight: a batch of ONE float64 sample through both nets (BatchNorm in
    training mode), then every Linear/Conv2d/Deconv2d found by class name gets new float64 W."""
    z = np.random.rand(1, hidden_size)
    fake_images = gen(z)
    dis(fake_images)
    replaced = []
    for layer in dis.layers + gen.layers:
        classname = layer.__class__.__name__
        if classname.lower() in ('conv2d', 'linear', 'deconv2d'):
            new_w = 0.02 * np.random.randn(*layer.W.data.shape)
            layer.W.data = new_w
            replaced.append((layer, new_w))
    return replaced


def test_gan_sequential_keeps_plain_functions_and_lambdas():
    np.random.seed(0)
    gen, dis = make_gan()
    # .layers is the list of the objects given, in order (gan.py concatenates and scans it)
    assert len(gen.layers) == 12 and len(dis.layers) == 11
    assert gen.layers[2] is F.relu and dis.layers[5] is F.flatten
    assert callable(gen.layers[6]) and gen.layers[6].__name__ == '<lambda>'
    assert gen.l0 is gen.layers[0] and gen.l2 is F.relu  # also attributes l0, l1, ...
    z = np.random.randn(3, GAN_HIDDEN).astype(np.float32)
    x = gen(z)
    assert x.shape == (3, 1, 28, 28)
    assert np.all((x.data > 0) & (x.data < 1))
    y = dis(x)
    assert y.shape == (3, 1)
    # only the layers hold parameters (W and b; gamma and beta), functions and lambdas none
    n_weight_layers = sum(type(l).__name__ in ('Linear', 'Conv2d', 'Deconv2d')
                          for l in gen.layers + dis.layers)
    n_bn = sum(type(l).__name__ == 'BatchNorm' for l in gen.layers + dis.layers)
    assert n_weight_layers == 8 and n_bn == 5
    assert len(list(gen.params())) + len(list(dis.params())) == 2 * n_weight_layers + 2 * n_bn


def test_gan_init_weight_batch_of_one_then_float64_W_data():
    np.random.seed(1)
    gen, dis = make_gan()
    replaced = gan_init_weight(dis, gen, GAN_HIDDEN)
    # the class names gan.py looks for must be the layers' own names
    assert len(replaced) == 8
    for layer, new_w in replaced:
        assert layer.W.data is new_w or np.array_equal(layer.W.data, new_w)
        assert layer.W.data.dtype == np.float64  # kept as assigned, as in DeZero
    # BatchNorm after a batch of one in training mode: finite outputs and running stats
    for layer in gen.layers + dis.layers:
        if type(layer).__name__ == 'BatchNorm':
            assert np.all(np.isfinite(layer.avg_mean.data))
            assert np.all(np.isfinite(layer.avg_var.data))
    opt_g = Adam(alpha=0.0002, beta1=0.5).setup(gen)
    opt_d = Adam(alpha=0.0002, beta1=0.5).setup(dis)
    assert isinstance(opt_g, Adam) and opt_g.target is gen and opt_d.target is dis
    assert opt_g.alpha == 0.0002 and opt_g.beta1 == 0.5


def test_gan_binary_cross_entropy_int_labels_of_another_ndim():
    rng = np.random.RandomState(2)
    p = Variable(rng.uniform(0.05, 0.95, (6, 1)).astype(np.float32))
    label_real = np.ones(6).astype(int)
    label_fake = np.zeros(6).astype(int)
    loss = F.binary_cross_entropy(p, label_real) + F.binary_cross_entropy(p, label_fake)
    q = p.data.ravel().astype(np.float64)
    expected = -np.log(q).sum() / 6 - np.log(1 - q).sum() / 6
    assert loss.shape == ()
    assert np.allclose(float(loss.data), expected, rtol=1e-5)
    loss.backward()
    assert p.grad.shape == (6, 1)
    expected_grad = (-1 / q + 1 / (1 - q)) / 6
    assert np.allclose(p.grad.data.ravel(), expected_grad, rtol=1e-4)


def test_gan_training_step_with_detached_fake_and_two_optimizers():
    np.random.seed(3)
    batch_size = 8
    gen, dis = make_gan()
    gan_init_weight(dis, gen, GAN_HIDDEN)
    opt_g = Adam(alpha=0.0002, beta1=0.5).setup(gen)
    opt_d = Adam(alpha=0.0002, beta1=0.5).setup(dis)

    transform = lambda x: (x / 255.0).astype(np.float32)  # noqa: E731 (as gan.py)
    train_set = tiny_mnist_class(n=20)(train=True, transform=transform)
    train_loader = DataLoader(train_set, batch_size)
    assert train_loader.max_iter == 3

    xp = np
    label_real = xp.ones(batch_size).astype(int)
    label_fake = xp.zeros(batch_size).astype(int)

    avg_loss_d = avg_loss_g = 0
    cnt = used = 0
    for x, t in train_loader:
        cnt += 1
        if len(t) != batch_size:
            continue
        used += 1
        assert x.shape == (batch_size, 1, 28, 28) and x.dtype == np.float32

        z = xp.random.randn(batch_size, GAN_HIDDEN).astype(np.float32)
        fake = gen(z)
        y_real = dis(x)
        y_fake = dis(fake.data)
        loss_d = F.binary_cross_entropy(y_real, label_real) + \
            F.binary_cross_entropy(y_fake, label_fake)
        pr, pf = y_real.data.ravel(), y_fake.data.ravel()
        expected_d = -(np.log(pr).sum() + np.log(1 - pf).sum()) / batch_size
        assert np.allclose(float(loss_d.data), expected_d, rtol=1e-5)

        gen.cleargrads()
        dis.cleargrads()
        loss_d.backward()
        assert all(p.grad is None for p in gen.params())  # fake.data cut the graph
        g_before, d_before = params_snapshot(gen), params_snapshot(dis)
        opt_d.update()
        assert not any(changed(g_before, gen)) and any(changed(d_before, dis))

        y_fake = dis(fake)
        loss_g = F.binary_cross_entropy(y_fake, label_real)
        gen.cleargrads()
        dis.cleargrads()
        loss_g.backward()
        g_before, d_before = params_snapshot(gen), params_snapshot(dis)
        opt_g.update()
        assert any(changed(g_before, gen)) and not any(changed(d_before, dis))

        assert repr(loss_g).startswith('variable(')  # the first gan.py print()s the losses
        avg_loss_g += loss_g.data
        avg_loss_d += loss_d.data
        epoch_detail = 0 + cnt / train_loader.max_iter
        text = 'epoch: {:.2f}, loss_g: {:.4f}, loss_d: {:.4f}'.format(
            epoch_detail, float(avg_loss_g / cnt), float(avg_loss_d / cnt))
        assert text.startswith('epoch: ')
    assert cnt == 3 and used == 2
    # the float64 W assigned by init_weight stays float64 through Adam's in-place updates
    assert gen.layers[0].W.data.dtype == np.float64


def test_gan_generate_image_in_test_mode():
    np.random.seed(4)
    gen, dis = make_gan()
    gan_init_weight(dis, gen, GAN_HIDDEN)
    test_z = np.random.randn(25, GAN_HIDDEN).astype(np.float32)
    with dezero.test_mode():
        fake_images = gen(test_z)
        again = gen(test_z)
    img = dezero.cuda.as_numpy(fake_images.data)
    assert isinstance(img, np.ndarray) and img.shape == (25, 1, 28, 28)
    assert img[3][0].shape == (28, 28)
    # test mode uses the running statistics: deterministic, and independent of the batch
    assert np.array_equal(again.data, fake_images.data)
    with dezero.test_mode():
        one = gen(test_z[:1])
    assert np.allclose(one.data[0], img[0], atol=1e-6)


def test_gan_wip_sigmoid_cross_entropy_targets_of_another_ndim():
    # the first gan.py: logits y (N, 1) from L.Linear(1), labels (N,) integers
    rng = np.random.RandomState(5)
    y = Variable(rng.randn(5, 1).astype(np.float32))
    label_real = np.ones(5).astype(int)
    label_fake = np.zeros(5).astype(int)
    loss = F.sigmoid_cross_entropy(y, label_real) + F.sigmoid_cross_entropy(y, label_fake)
    s = np_sigmoid(y.data.ravel().astype(np.float64))
    expected = -(np.log(s).sum() + np.log(1 - s).sum()) / 5
    assert np.allclose(float(loss.data), expected, rtol=1e-5)
    loss.backward()
    assert y.grad.shape == (5, 1)
    assert np.allclose(y.grad.data.ravel(), ((s - 1) + s) / 5, rtol=1e-4)


def test_gan_wip_function_classes_used_as_layers():
    # the first gan.py builds its nets from Function classes of dezero.functions
    # (DeZero 0.0.13 defines them there: F.Reshape, F.ReLU, F.Sigmoid, F.LeakyReLU, ...)
    np.random.seed(6)
    C, H, W = 4, 3, 3
    G = Sequential(
        L.Linear(C * H * W),
        F.Reshape((-1, C, H, W)),
        L.BatchNorm(),
        F.ReLU(),
        L.Deconv2d(C // 2, kernel_size=2, stride=2, pad=1),
        F.Sigmoid(),
    )
    D = Sequential(
        L.Conv2d(4, kernel_size=3, stride=3, pad=1),
        F.LeakyReLU(0.1),
        F.flatten,
        L.Linear(1),
    )
    D.layers[0].W.name = 'conv1_W'
    D.layers[0].b.name = 'conv1_b'
    z = np.random.rand(2, 5)
    x = G(z)
    assert x.shape == (2, C // 2, 4, 4)
    assert np.all((x.data > 0) & (x.data < 1))
    y = D(x)
    assert y.shape == (2, 1)
    assert D.layers[0].W.name == 'conv1_W'
    leaky = F.LeakyReLU(0.1)(np.array([-2.0, 3.0]))
    assert np.allclose(leaky.data, [-0.2, 3.0])


# ----------------------------------------------------------------------------------------------
# vae.py
# ----------------------------------------------------------------------------------------------

class Encoder(Model):
    def __init__(self, latent_size):
        super().__init__()
        self.latent_size = latent_size
        self.conv1 = L.Conv2d(4, kernel_size=3, stride=1, pad=1)
        self.conv2 = L.Conv2d(8, kernel_size=3, stride=2, pad=1)
        self.conv3 = L.Conv2d(8, kernel_size=3, stride=1, pad=1)
        self.linear1 = L.Linear(16)
        self.linear2 = L.Linear(latent_size)
        self.linear3 = L.Linear(latent_size)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.relu(self.conv3(x))
        x = F.flatten(x)
        x = F.relu(self.linear1(x))
        z_mean = self.linear2(x)
        z_log_var = self.linear3(x)
        return z_mean, z_log_var

    def sampling(self, z_mean, z_log_var):
        batch_size = len(z_mean)
        xp = dezero.cuda.get_array_module(z_mean.data)
        epsilon = xp.random.randn(batch_size, self.latent_size)  # float64, as vae.py
        return z_mean + F.exp(z_log_var) * epsilon


class Decoder(Model):
    def __init__(self):
        super().__init__()
        self.to_shape = (8, 4, 4)  # (C, H, W)
        self.linear = L.Linear(np.prod(self.to_shape))  # a NumPy integer size
        self.deconv = L.Deconv2d(4, kernel_size=4, stride=2, pad=1)
        self.conv = L.Conv2d(1, kernel_size=3, stride=1, pad=1)

    def forward(self, x):
        x = F.relu(self.linear(x))
        x = F.reshape(x, (-1,) + self.to_shape)
        x = F.relu(self.deconv(x))
        x = self.conv(x)
        x = F.sigmoid(x)
        return x


class VAE(Model):
    def __init__(self, latent_size):
        super().__init__()
        self.encoder = Encoder(latent_size)
        self.decoder = Decoder()

    def forward(self, x, C=1.0, k=1):
        z_mean, z_log_var = self.encoder(x)
        rec_loss = 0
        for _ in range(k):
            z = self.encoder.sampling(z_mean, z_log_var)
            y = self.decoder(z)
            rec_loss += F.binary_cross_entropy(F.flatten(y), F.flatten(x)) / k
        kl_loss = C * (z_mean ** 2 + F.exp(z_log_var) - z_log_var - 1) * 0.5
        kl_loss = F.sum(kl_loss) / len(x)
        return rec_loss + kl_loss


def test_vae_binary_cross_entropy_of_flattened_variable_and_ndarray_and_kl_term():
    rng = np.random.RandomState(7)
    y = Variable(rng.uniform(0.05, 0.95, (3, 1, 4, 4)))           # float64, as vae.py's y
    x = rng.uniform(0, 1, (3, 1, 4, 4)).astype(np.float32)        # the loader's batch
    rec = F.binary_cross_entropy(F.flatten(y), F.flatten(x))
    yd = y.data.reshape(3, -1)
    xd = x.reshape(3, -1).astype(np.float64)
    expected = -(xd * np.log(yd) + (1 - xd) * np.log(1 - yd)).sum() / 3
    assert np.allclose(float(rec.data), expected, rtol=1e-5)

    m = Variable(rng.randn(3, 2).astype(np.float32))
    lv = Variable(rng.randn(3, 2).astype(np.float32))
    kl = 1.0 * (m ** 2 + F.exp(lv) - lv - 1) * 0.5
    kl = F.sum(kl) / len(x)
    md, lvd = m.data.astype(np.float64), lv.data.astype(np.float64)
    assert np.allclose(float(kl.data), (0.5 * (md ** 2 + np.exp(lvd) - lvd - 1)).sum() / 3,
                       rtol=1e-5)
    total = rec + kl
    total.backward()
    assert y.grad.shape == y.shape and m.grad.shape == (3, 2) and lv.grad.shape == (3, 2)
    assert np.allclose(m.grad.data, md / 3, rtol=1e-5)
    assert np.allclose(lv.grad.data, 0.5 * (np.exp(lvd) - 1) / 3, rtol=1e-4, atol=1e-7)


def test_vae_model_returning_a_tuple_trains_and_decodes():
    np.random.seed(8)
    batch_size = 4
    vae = VAE(2)
    optimizer = Adam().setup(vae)
    transform = lambda x: (x / 255.0).astype(np.float32)  # noqa: E731 (as vae.py)
    train_set = tiny_mnist_class(n=8, size=8)(train=True, transform=transform)
    train_loader = DataLoader(train_set, batch_size)

    x0 = train_set[0][0]
    assert x0.shape == (1, 8, 8) and x0.dtype == np.float32

    z_mean, z_log_var = vae.encoder(x0[np.newaxis])
    assert z_mean.shape == (1, 2) and z_log_var.shape == (1, 2)

    avg_loss = 0
    cnt = 0
    for epoch in range(2):
        for x, t in train_loader:
            cnt += 1
            loss = vae(x)
            assert loss.shape == () and np.isfinite(float(loss.data))
            before = params_snapshot(vae)
            vae.cleargrads()
            loss.backward()
            optimizer.update()
            assert all(changed(before, vae))
            avg_loss += loss.data
            epoch_detail = epoch + cnt / train_loader.max_iter
            '{:.2f} {:.4f}'.format(epoch_detail, float(avg_loss / cnt))
    assert cnt == 4

    # show_digits: decode a 2-d grid point without a graph, assign .data back, reshape
    z_sample = np.array([[0.5, -0.5]])
    with dezero.no_grad():
        x_decoded = vae.decoder(z_sample)
    assert x_decoded.creator is None
    x_decoded.data = dezero.cuda.as_numpy(x_decoded.data)
    digit = x_decoded.data.reshape(8, 8)
    figure = np.zeros((16, 16))
    figure[0:8, 8:16] = digit
    assert np.all((digit > 0) & (digit < 1))


def test_vae_older_revision_models_that_override_call():
    # an earlier vae.py (and spiral.py) defined __call__ instead of forward on Model subclasses
    np.random.seed(18)

    class Net(Model):
        def __init__(self):
            super().__init__()
            self.l1 = L.Linear(3)
            self.l2 = L.Linear(2)

        def __call__(self, x):
            return self.l2(F.sigmoid(self.l1(x)))

    net = Net()
    optimizer = optimizers.SGD(0.1).setup(net)
    x = np.random.rand(4, 5).astype(np.float32)
    y = net(x)
    assert y.shape == (4, 2) and len(list(net.params())) == 4
    loss = F.sum(y * y)
    net.cleargrads()
    loss.backward()
    W0, gW = net.l2.W.data.copy(), net.l2.W.grad.data.copy()
    optimizer.update()
    assert np.allclose(net.l2.W.data, W0 - 0.1 * gW)
