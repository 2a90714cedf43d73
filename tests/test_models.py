"""dezero.models: Sequential, MLP, plot, and the structure of VGG16 / ResNet / SqueezeNet.

The architectures are checked against independent facts: the layer names of
Chainer's models, the per-layer shapes written out below, and the published
parameter counts (torchvision: VGG-16 138,357,544; ResNet-50 25,557,032 without
conv1's bias; SqueezeNet 1.1 1,235,496).  Pretrained loading is tested with a
weights file the test writes, served by a stand-in for ``dezero.utils.get_file``.
"""
from __future__ import annotations

import numpy as np
import pytest

import dezero
import dezero.functions as F
import dezero.layers as L
from dezero import models
from dezero.gradcheck import gradcheck


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _param_count(model):
    return sum(p.size for p in model.params())


def test_sequential_registers_layers_in_order_and_composes():
    model = models.Sequential(L.Linear(4, in_size=3), F.relu, L.Linear(2, in_size=4))
    assert [n for n, _ in model.named_params()] == ["l0.W", "l0.b", "l2.W", "l2.b"]
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    h = np.maximum(x @ model.l0.W.data + model.l0.b.data, 0)
    np.testing.assert_allclose(model(x).data, h @ model.l2.W.data + model.l2.b.data, rtol=1e-5)


def test_mlp_layers_and_forward():
    model = models.MLP((4, 3, 2))
    assert model.activation is F.sigmoid
    x = np.random.default_rng(1).standard_normal((5, 6)).astype(np.float32)
    y = model(x)
    assert [n for n, _ in model.named_layers()] == ["l0", "l1", "l2"]
    h = x
    for layer in (model.l0, model.l1):
        h = _sigmoid(h @ layer.W.data + layer.b.data)
    np.testing.assert_allclose(y.data, h @ model.l2.W.data + model.l2.b.data, rtol=1e-5)
    relu_mlp = models.MLP((3, 2), activation=F.relu)
    y = relu_mlp(x)
    h = np.maximum(x @ relu_mlp.l0.W.data + relu_mlp.l0.b.data, 0)
    np.testing.assert_allclose(y.data, h @ relu_mlp.l1.W.data + relu_mlp.l1.b.data, rtol=1e-5)
    with pytest.raises(ValueError, match="at least one"):
        models.MLP(())


def test_plot_hands_the_model_to_plot_dot_graph(monkeypatch):
    calls = []

    def fake_plot(output, **kwargs):
        calls.append((output, kwargs))
        return "drawn"

    monkeypatch.setattr(dezero.utils, "plot_dot_graph", fake_plot, raising=False)
    model = models.MLP((2,))
    x = np.ones((1, 3), np.float32)
    assert model.plot(x, to_file="m.svg", rankdir="LR") == "drawn"
    (output, kwargs), = calls
    assert kwargs == {"verbose": True, "to_file": "m.svg", "model": model, "rankdir": "LR"}
    np.testing.assert_allclose(output.data, model(x).data)


# -- VGG16 --------------------------------------------------------------------
VGG_CONVS = [("conv1_1", 3, 64), ("conv1_2", 64, 64), ("conv2_1", 64, 128),
             ("conv2_2", 128, 128), ("conv3_1", 128, 256), ("conv3_2", 256, 256),
             ("conv3_3", 256, 256), ("conv4_1", 256, 512), ("conv4_2", 512, 512),
             ("conv4_3", 512, 512), ("conv5_1", 512, 512), ("conv5_2", 512, 512),
             ("conv5_3", 512, 512)]


def _vgg_file(path, fc6_in):
    arrays = {}
    for name, c, oc in VGG_CONVS:
        arrays[f"{name}/W"] = np.zeros((oc, c, 3, 3), np.float32)
        arrays[f"{name}/b"] = np.zeros(oc, np.float32)
    for name, i, o in (("fc6", fc6_in, 4096), ("fc7", 4096, 4096), ("fc8", 4096, 1000)):
        arrays[f"{name}/W"] = np.zeros((i, o), np.float32)
        arrays[f"{name}/b"] = np.zeros(o, np.float32)
    arrays["conv1_1/W"][:] = 0.5
    arrays["fc8/b"] = np.arange(1000, dtype=np.float32)
    np.savez(path, **arrays)
    return str(path)


def test_vgg16_layer_names_and_lazy_construction():
    model = models.VGG16()
    assert [n for n, _ in model.named_layers()] == [n for n, _, _ in VGG_CONVS] + [
        "fc6", "fc7", "fc8"]
    assert all(p.data is None for n, p in model.named_params() if n.endswith(".W"))


def test_vgg16_pretrained_downloads_loads_and_runs(tmp_path, monkeypatch):
    path = _vgg_file(tmp_path / "vgg16.npz", fc6_in=512)  # 512·1·1 features for 32×32 input
    urls = []
    monkeypatch.setattr(dezero.utils, "get_file", lambda url, *a, **k: urls.append(url) or path,
                        raising=False)
    model = models.VGG16(pretrained=True)
    assert urls == ["https://github.com/koki0702/dezero-models/releases/download/v0.1/vgg16.npz"]
    assert model.conv2_1.W.shape == (128, 64, 3, 3) and model.fc6.W.shape == (512, 4096)
    np.testing.assert_array_equal(model.conv1_1.W.data, 0.5)
    # 224×224 input would give fc6 512·7·7 = 25088 inputs: 138,357,544 parameters.
    assert _param_count(model) == 138_357_544 - (25088 - 512) * 4096
    y = model(np.ones((1, 3, 32, 32), np.float32))
    assert y.shape == (1, 1000) and y.dtype == np.float32
    np.testing.assert_array_equal(y.data[0], np.arange(1000))  # all features are zero


def test_vgg16_pretrained_rejects_wrong_file(tmp_path, monkeypatch):
    path = str(tmp_path / "wrong.npz")
    np.savez(path, **{"conv1_1/W": np.zeros((64, 3, 3, 3), np.float32)})
    monkeypatch.setattr(dezero.utils, "get_file", lambda url, *a, **k: path, raising=False)
    with pytest.raises(ValueError, match="missing from the file: conv1_1/b"):
        models.VGG16(pretrained=True)


def test_vgg16_preprocess_converts_image():
    class FakeImage:  # the PIL.Image methods preprocess uses
        def convert(self, mode):
            assert mode == "RGB"
            return self

        def resize(self, size):
            assert size == (4, 2)
            return self

        def __array__(self, dtype=None, copy=None):
            return np.zeros((2, 4, 3), dtype=dtype)

    out = models.VGG16.preprocess(FakeImage(), size=(4, 2))
    assert out.shape == (3, 2, 4) and out.dtype == np.float32
    np.testing.assert_allclose(out[:, 0, 0], [-103.939, -116.779, -123.68], rtol=1e-6)


# -- ResNet -------------------------------------------------------------------
RESNET_STAGES = [("res2", 64, 64, 256), ("res3", 256, 128, 512), ("res4", 512, 256, 1024),
                 ("res5", 1024, 512, 2048)]


def _resnet50_file(path):
    """Every weight of Chainer's ResNet-50, zero except fc6/b, with DeZero keys."""
    arrays = {"conv1/W": np.zeros((64, 3, 7, 7), np.float32), "conv1/b": np.zeros(64, np.float32)}

    def bn(prefix, size):
        for name, value in (("gamma", 1), ("beta", 0), ("avg_mean", 0), ("avg_var", 1)):
            arrays[f"{prefix}/{name}"] = np.full(size, value, np.float32)

    bn("bn1", 64)
    for (stage, cin, mid, cout), blocks in zip(RESNET_STAGES, (3, 4, 6, 3)):
        for block in ["a"] + [f"b{i}" for i in range(1, blocks)]:
            p = f"{stage}/{block}"
            first_in = cin if block == "a" else cout
            shapes = [(mid, first_in, 1, 1), (mid, mid, 3, 3), (cout, mid, 1, 1)]
            if block == "a":
                shapes.append((cout, cin, 1, 1))
            for k, shape in enumerate(shapes, start=1):
                arrays[f"{p}/conv{k}/W"] = np.zeros(shape, np.float32)
                bn(f"{p}/bn{k}", shape[0])
    arrays["fc6/W"] = np.zeros((2048, 1000), np.float32)
    arrays["fc6/b"] = np.linspace(-1, 1, 1000, dtype=np.float32)
    arrays["bn1/avg_mean"][:] = 3.0
    np.savez(path, **arrays)
    return str(path), arrays


def test_resnet_rejects_unknown_depth():
    with pytest.raises(ValueError, match="50, 101 or 152.*34"):
        models.ResNet(34)


@pytest.mark.parametrize("cls, blocks", [(models.ResNet50, (3, 4, 6, 3)),
                                         (models.ResNet101, (3, 4, 23, 3)),
                                         (models.ResNet152, (3, 8, 36, 3))])
def test_resnet_stage_structure(cls, blocks):
    model = cls()
    top = [n for n, _ in model.named_layers() if "." not in n]
    assert top == ["conv1", "bn1", "res2", "res3", "res4", "res5", "fc6"]
    for (stage, *_), count in zip(RESNET_STAGES, blocks):
        names = [n for n, _ in getattr(model, stage).named_layers() if "." not in n]
        assert names == ["a"] + [f"b{i}" for i in range(1, count)]
    assert [n for n, _ in model.res3.a.named_layers()] == [
        "conv1", "bn1", "conv2", "bn2", "conv3", "bn3", "conv4", "bn4"]
    assert model.res3.a.conv1.stride == 2 and model.res3.a.conv2.stride == 1


def test_resnet50_pretrained_loads_and_runs(tmp_path, monkeypatch):
    path, arrays = _resnet50_file(tmp_path / "resnet50.npz")
    urls = []
    monkeypatch.setattr(dezero.utils, "get_file", lambda url, *a, **k: urls.append(url) or path,
                        raising=False)
    model = models.ResNet50(pretrained=True)
    assert urls == ["https://github.com/koki0702/dezero-models/releases/download/v0.1/"
                    "resnet50.npz"]
    assert _param_count(model) == 25_557_032 + 64  # torchvision's count + conv1's bias
    np.testing.assert_array_equal(model.bn1.avg_mean.data, 3.0)
    y = model(np.ones((1, 3, 32, 32), np.float32))
    assert y.shape == (1, 1000) and y.dtype == np.float32
    np.testing.assert_allclose(y.data[0], arrays["fc6/b"])


# -- SqueezeNet -----------------------------------------------------------------
def test_squeezenet_structure_and_forward():
    np.random.seed(0)
    model = models.SqueezeNet()
    top = [n for n, _ in model.named_layers() if "." not in n]
    assert top == ["conv1"] + [f"fire{i}" for i in range(2, 10)] + ["conv10"]
    y = model(np.random.default_rng(0).standard_normal((2, 3, 32, 32)).astype(np.float32))
    assert y.shape == (2, 1000) and y.dtype == np.float32
    assert _param_count(model) == 1_235_496
    assert model.fire9.expand3x3.W.shape == (256, 64, 3, 3)
    with pytest.raises(ValueError, match="pretrained"):
        models.SqueezeNet(pretrained=True)


def test_fire_module_concatenates_and_backpropagates():
    fire = models.Fire(2, 3, 4)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, 3, 4, 4))
    y = fire(x)
    assert y.shape == (1, 7, 4, 4)
    s = np.maximum(_conv1x1(x, fire.squeeze1x1), 0)
    np.testing.assert_allclose(y.data[:, :3], np.maximum(_conv1x1(s, fire.expand1x1), 0),
                               rtol=1e-5, atol=1e-6)
    assert gradcheck(lambda v: fire(v), x)


def _conv1x1(x, conv):
    return np.einsum("nchw,oc->nohw", x, conv.W.data[:, :, 0, 0]) + conv.b.data.reshape(1, -1, 1, 1)
