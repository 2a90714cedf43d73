"""Usage patterns of the original DeZero 0.0.13 ``examples/`` programs, part 3: grad_cam.py and tanh.py, and the
relaxed behaviours (``test_book_*``) the examples share with the book's steps.

The ground rules are in tests/test_compat_examples.py: small programs of our own, written the
way the examples call the framework, on tiny generated data (no network), numbers checked
against NumPy or known values.
"""
from __future__ import annotations

import numpy as np

import dezero
import dezero.functions as F
import dezero.layers as L
from dezero import Model, Variable, optimizers
from dezero.models import MLP


# ----------------------------------------------------------------------------------------------
# grad_cam.py
# ----------------------------------------------------------------------------------------------

def test_grad_cam_layer_output_weakref_retain_grad_and_channel_average():
    np.random.seed(15)
    model = dezero.models.VGG16()
    # the example's forward pass, made small: random (not pretrained) weights and small heads
    model.fc6, model.fc7, model.fc8 = L.Linear(8), L.Linear(8), L.Linear(5)
    x = np.random.randn(1, 3, 32, 32).astype(np.float32)
    y = model(x)
    assert y.shape == (1, 5)
    last_conv_output = model.conv5_3.outputs[0]()
    assert isinstance(last_conv_output, Variable) and last_conv_output.shape == (1, 512, 2, 2)
    assert model.conv5_3.inputs[0]() is not None
    predict_id = np.argmax(y.data)
    predict_output = y[0, predict_id]
    assert predict_output.shape == ()
    assert float(predict_output.data) == float(y.data[0, predict_id])

    predict_output.backward(retain_grad=True)
    grads = last_conv_output.grad
    assert grads is not None and grads.shape == (1, 512, 2, 2)
    pooled_grads = F.average(grads, axis=(0, 2, 3))
    assert pooled_grads.shape == (512,)
    assert np.allclose(pooled_grads.data, grads.data.mean(axis=(0, 2, 3)), rtol=1e-5, atol=1e-9)

    heatmap = last_conv_output.data[0]
    expected = heatmap.copy() * pooled_grads.data[:, None, None]
    for c in range(heatmap.shape[0]):
        heatmap[c] *= pooled_grads[c].data
    assert np.allclose(last_conv_output.data[0], expected)
    heatmap = np.maximum(np.mean(heatmap, axis=0), 0)
    assert heatmap.shape == (2, 2)


def test_grad_cam_gradient_of_one_score_reaches_an_intermediate_layer():
    # the same pattern on a network small enough to check the gradient with NumPy
    np.random.seed(16)

    class Net(Model):
        def __init__(self):
            super().__init__()
            self.conv = L.Conv2d(2, kernel_size=1, stride=1, pad=0)
            self.fc = L.Linear(3)

        def forward(self, x):
            h = F.relu(self.conv(x))
            return self.fc(F.reshape(h, (h.shape[0], -1)))

    net = Net()
    x = np.random.randn(1, 1, 2, 2).astype(np.float32)
    y = net(x)
    conv_out = net.conv.outputs[0]()
    k = int(np.argmax(y.data))
    y[0, k].backward(retain_grad=True)
    mask = (conv_out.data > 0).reshape(1, -1)
    expected = (net.fc.W.data[:, k] * mask.ravel()).reshape(conv_out.shape)
    assert np.allclose(conv_out.grad.data, expected, rtol=1e-5, atol=1e-7)


# ----------------------------------------------------------------------------------------------
# tanh.py
# ----------------------------------------------------------------------------------------------

def tanh_derivatives(x: float, n: int) -> list[float]:
    """d^k tanh / dx^k at x for k = 1..n, from P_{k+1}(t) = P_k'(t) (1 - t^2), t = tanh x."""
    t = np.tanh(x)
    one_minus_t2 = np.polynomial.Polynomial([1, 0, -1])
    p = one_minus_t2
    values = []
    for _ in range(n):
        values.append(p(t))
        p = p.deriv() * one_minus_t2
    return values


def test_tanh_higher_order_derivatives_and_graph(tmp_path, monkeypatch, dot_program):
    from dezero.utils import plot_dot_graph

    expected = tanh_derivatives(1.0, 4)
    x = Variable(np.array(1.0))
    y = F.tanh(x)
    x.name = 'x'
    y.name = 'y'
    y.backward(create_graph=True)
    assert np.allclose(x.grad.data, expected[0])

    iters = 3
    for i in range(iters):
        gx = x.grad
        x.cleargrad()
        gx.backward(create_graph=True)
        assert np.allclose(x.grad.data, expected[i + 1]), i

    gx = x.grad
    gx.name = 'gx' + str(iters + 1)
    monkeypatch.chdir(tmp_path)
    plot_dot_graph(gx, verbose=False, to_file='tanh.png')
    data = (tmp_path / 'tanh.png').read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    source = dezero.utils.get_dot_graph(gx, verbose=False)
    assert 'gx4' in source and source.lstrip().startswith('digraph')


# ----------------------------------------------------------------------------------------------
# relaxed behaviours the examples share with the book's steps
# ----------------------------------------------------------------------------------------------

def test_book_data_update_with_a_variable_gradient():
    x = Variable(np.array([2.0, -1.0]))
    y = F.sum(x ** 2)
    y.backward()
    x.data -= 0.1 * x.grad          # grad is a Variable since step 33
    assert isinstance(x.data, np.ndarray) and np.allclose(x.data, [1.6, -0.8])
    p = dezero.Parameter(np.zeros(2))
    p.data = Variable(np.array([1.0, 2.0])).data
    assert np.allclose(p.data, [1.0, 2.0])


def test_book_accuracy_with_float_targets():
    # DeZero's accuracy compares argmax with t.data by ==, whatever t's dtype
    y = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]], dtype=np.float32)
    t = np.array([1.0, 1.0, 1.0])
    acc = F.accuracy(y, t)
    assert np.isclose(float(acc.data), 2 / 3)


def test_book_integer_variables_and_numpy_scalar_hyperparameters():
    x = Variable(np.array(3))
    y = x * x
    y.backward()
    assert float(x.grad.data) == 6
    model = MLP((4, 2))
    opt = optimizers.SGD(lr=np.float32(0.1)).setup(model)
    opt2 = optimizers.MomentumSGD(lr=np.float32(0.1), momentum=np.float32(0.9))
    x = np.random.rand(3, 5).astype(np.float32)
    loss = F.mean_squared_error(model(x), np.zeros((3, 2), np.float32))
    model.cleargrads()
    loss.backward()
    W = model.l0.W
    W0, g = W.data.copy(), W.grad.data.copy()
    opt.update()
    assert np.allclose(W.data, W0 - np.float32(0.1) * g)
    opt2.setup(model).update()
    h = F.leaky_relu(Variable(np.array([-1.0, 1.0])), np.float32(0.1))
    assert np.allclose(h.data, [-0.1, 1.0])
    with dezero.test_mode():
        d = F.dropout(Variable(np.ones(4)), dropout_ratio=np.float32(0.3))
    assert np.array_equal(d.data, np.ones(4))


def test_book_keyword_and_positional_forms_of_conv_pool_dropout():
    np.random.seed(17)
    x = np.random.randn(2, 784).astype(np.float32)
    x = F.reshape(x, (-1, 1, 28, 28))
    assert x.shape == (2, 1, 28, 28)
    conv = L.Conv2d(3, 3, 1, 1)          # out_channels, kernel_size, stride, pad
    h = conv(x)
    assert h.shape == (2, 3, 28, 28)
    p = F.pooling(h, kernel_size=2, stride=2)
    assert p.shape == (2, 3, 14, 14)
    hd = h.data.reshape(2, 3, 14, 2, 14, 2)
    assert np.allclose(p.data, hd.max(axis=(3, 5)))
    a = F.average_pooling(h, 2, 2)
    assert np.allclose(a.data, hd.mean(axis=(3, 5)), atol=1e-6)
    d = F.dropout(p, dropout_ratio=0.5)
    kept = d.data != 0
    assert np.allclose(d.data[kept], 2 * p.data[kept])
    lin = L.Linear(4)                    # in_size inferred
    out = lin(F.flatten(a))
    assert lin.W.shape == (3 * 14 * 14, 4) and out.shape == (2, 4)


def test_book_get_item_with_lists_and_layer_with_several_inputs():
    x = Variable(np.arange(6.0).reshape(3, 2))
    y = F.get_item(x, [0, 0, 2])
    assert np.array_equal(y.data, [[0, 1], [0, 1], [4, 5]])
    F.sum(y).backward()
    assert np.array_equal(x.grad.data, [[2, 2], [0, 0], [1, 1]])

    class Pair(dezero.Layer):
        def __init__(self):
            super().__init__()
            self.l = L.Linear(2, in_size=2)

        def forward(self, a, b):
            return self.l(a) + b, a * b

    layer = Pair()
    a, b = np.ones((1, 2), np.float32), np.full((1, 2), 2.0, np.float32)
    s, m = layer(a, b)
    assert np.allclose(s.data, a @ layer.l.W.data + layer.l.b.data + b)
    assert np.allclose(m.data, 2.0)
    assert len(layer.inputs) == 2 and len(layer.outputs) == 2


def test_book_mean_squared_error_divides_by_batch_length_and_broadcasts():
    x0 = Variable(np.array([[1.0], [2.0], [4.0]]))
    x1 = np.array([[0.0], [0.0], [1.0]])
    loss = F.mean_squared_error(x0, x1)
    assert np.isclose(float(loss.data), (1 + 4 + 9) / 3)
    g = Variable(np.ones((1, 2, 2)))     # style_transfer's grams: len() is 1
    assert np.isclose(float(F.mean_squared_error(g, np.zeros((1, 2, 2))).data), 4.0)


def test_book_unchain_backward_and_model_plot(tmp_path, monkeypatch, dot_program):
    x = Variable(np.array([1.0, 2.0]))
    h = F.tanh(x) * 2
    y = F.sum(h)
    h.unchain_backward()
    assert h.creator is not None and all(i.creator is None for i in h.creator.inputs)
    model = MLP((3, 1))
    monkeypatch.chdir(tmp_path)
    model.plot(np.ones((2, 4), np.float32))
    assert (tmp_path / 'model.png').read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    y.backward()
    assert x.grad is None
