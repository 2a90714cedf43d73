"""Arguments and hyperparameters are checked when they are given, with errors that name them.

Sizes and counts are integers by NumPy's rules; optimizer settings are real numbers in
PyTorch's ranges; config settings are booleans; careless calls get TypeError/ValueError
naming the class, the argument and the value, never a raw IndexError or AttributeError.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

import dezero
import dezero.functions as F
import dezero.layers as L
from dezero import Parameter, Variable, models, optimizers
from dezero import transforms as T


class Index:
    """An integer-like object that is not an int: accepted wherever a size is."""

    def __init__(self, value: int) -> None:
        self.value = value

    def __index__(self) -> int:
        return self.value


# ----- sizes and counts of layers and models ---------------------------------------------------

BAD_SIZES = [
    # (constructor, exception, words the message must contain)
    (lambda: L.Linear(2.5), TypeError, ["Linear", "out_size", "2.5"]),
    (lambda: L.Linear(np.float64(3.0)), TypeError, ["Linear", "out_size", "3.0"]),
    (lambda: L.Linear("3"), TypeError, ["Linear", "out_size", "'3'"]),
    (lambda: L.Linear(True), TypeError, ["Linear", "out_size", "True"]),
    (lambda: L.Linear(np.True_), TypeError, ["Linear", "out_size", "True"]),
    (lambda: L.Linear(None), TypeError, ["Linear", "out_size", "None"]),
    (lambda: L.Linear(0), ValueError, ["Linear", "out_size", "0"]),
    (lambda: L.Linear(-1), ValueError, ["Linear", "out_size", "-1"]),
    (lambda: L.Linear(3, in_size=0), ValueError, ["Linear", "in_size", "0"]),
    (lambda: L.Linear(3, in_size=2.0), TypeError, ["Linear", "in_size", "2.0"]),
    (lambda: L.Linear(3, nobias="no"), TypeError, ["Linear", "nobias", "'no'"]),
    (lambda: L.Linear(3, dtype=np.int32), TypeError, ["Linear", "dtype", "int32"]),
    (lambda: L.Linear(3, dtype="float33"), TypeError, ["Linear", "dtype", "float33"]),
    (lambda: L.Conv2d(2.0, 3), TypeError, ["Conv2d", "out_channels", "2.0"]),
    (lambda: L.Conv2d(0, 3), ValueError, ["Conv2d", "out_channels", "0"]),
    (lambda: L.Conv2d(4, 2.5), TypeError, ["Conv2d", "kernel_size", "2.5"]),
    (lambda: L.Conv2d(4, (3, 2.5)), TypeError, ["Conv2d", "kernel_size[1]", "2.5"]),
    (lambda: L.Conv2d(4, (3, 3, 3)), ValueError, ["Conv2d", "kernel_size", "(3, 3, 3)"]),
    (lambda: L.Conv2d(4, 0), ValueError, ["Conv2d", "kernel_size", "0"]),
    (lambda: L.Conv2d(4, True), TypeError, ["Conv2d", "kernel_size", "True"]),
    (lambda: L.Conv2d(4, 3, stride=0), ValueError, ["Conv2d", "stride", "0"]),
    (lambda: L.Conv2d(4, 3, stride=1.5), TypeError, ["Conv2d", "stride", "1.5"]),
    (lambda: L.Conv2d(4, 3, pad=-1), ValueError, ["Conv2d", "pad", "-1"]),
    (lambda: L.Conv2d(4, 3, pad="same"), TypeError, ["Conv2d", "pad", "'same'"]),
    (lambda: L.Conv2d(4, 3, in_channels=0), ValueError, ["Conv2d", "in_channels", "0"]),
    (lambda: L.Deconv2d(4, 3, stride=(1, 0)), ValueError, ["Deconv2d", "stride[1]", "0"]),
    (lambda: L.Deconv2d(4.0, 3), TypeError, ["Deconv2d", "out_channels", "4.0"]),
    (lambda: L.RNN(0), ValueError, ["RNN", "hidden_size", "0"]),
    (lambda: L.RNN(3.0), TypeError, ["RNN", "hidden_size", "3.0"]),
    (lambda: L.RNN(3, in_size="4"), TypeError, ["RNN", "in_size", "'4'"]),
    (lambda: L.LSTM(False), TypeError, ["LSTM", "hidden_size", "False"]),
    (lambda: L.LSTM(3, in_size=-2), ValueError, ["LSTM", "in_size", "-2"]),
    (lambda: L.EmbedID(3.5, 2), TypeError, ["EmbedID", "in_size", "3.5"]),
    (lambda: L.EmbedID(3, 0), ValueError, ["EmbedID", "out_size", "0"]),
    (lambda: L.EmbedID(3, 2, dtype=int), TypeError, ["EmbedID", "dtype", "int64"]),
    (lambda: models.MLP(10), TypeError, ["MLP", "fc_output_sizes", "10"]),
    (lambda: models.MLP("10"), TypeError, ["MLP", "fc_output_sizes", "'10'"]),
    (lambda: models.MLP(()), ValueError, ["MLP", "fc_output_sizes"]),
    (lambda: models.MLP((10, 2.0)), TypeError, ["MLP", "fc_output_sizes[1]", "2.0"]),
    (lambda: models.MLP((10, 0)), ValueError, ["MLP", "fc_output_sizes[1]", "0"]),
    (lambda: models.MLP((10, 1), activation="relu"), TypeError, ["MLP", "activation", "'relu'"]),
    (lambda: models.Sequential(L.Linear(2), 3), TypeError, ["Sequential", "layers[1]", "3"]),
    (lambda: models.ResNet(50.0), TypeError, ["ResNet", "n_layers", "50.0"]),
    (lambda: models.ResNet([50]), TypeError, ["ResNet", "n_layers", "[50]"]),
    (lambda: models.ResNet(34), ValueError, ["ResNet", "n_layers", "34"]),
    (lambda: models.ResNet(50, pretrained="yes"), TypeError, ["ResNet", "pretrained", "'yes'"]),
    (lambda: models.VGG16(pretrained=None), TypeError, ["VGG16", "pretrained", "None"]),
    (lambda: models.SqueezeNet(n_classes=0), ValueError, ["SqueezeNet", "n_classes", "0"]),
    (lambda: models.SqueezeNet(n_classes=10.0), TypeError, ["SqueezeNet", "n_classes", "10.0"]),
    (lambda: models.Fire(16, 64.0, 64), TypeError, ["Fire", "expand1x1_channels", "64.0"]),
    (lambda: models.BuildingBlock(0, 64, 64, 256, 1), ValueError,
     ["BuildingBlock", "n_layers", "0"]),
    (lambda: models.BottleneckA(64, 64, 256, stride=1.0), TypeError,
     ["BottleneckA", "stride", "1.0"]),
    (lambda: models.BottleneckB(256, -64), ValueError, ["BottleneckB", "mid_channels", "-64"]),
    (lambda: L.BatchNorm(decay=1.5), ValueError, ["BatchNorm", "decay", "1.5"]),
    (lambda: L.BatchNorm(decay="0.9"), TypeError, ["BatchNorm", "decay", "'0.9'"]),
    (lambda: L.BatchNorm(eps=0), ValueError, ["BatchNorm", "eps", "0"]),
    (lambda: L.BatchNorm(eps=float("nan")), ValueError, ["BatchNorm", "eps", "nan"]),
]


@pytest.mark.parametrize("make, error, words", BAD_SIZES)
def test_bad_layer_and_model_arguments_are_refused_at_construction(make, error, words):
    with pytest.raises(error) as info:
        make()
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_the_original_spellings_and_integer_likes_are_accepted():
    linear = L.Linear(np.int64(4), nobias=np.False_, dtype=np.float32, in_size=Index(3))
    assert linear.W.shape == (3, 4) and type(linear.out_size) is int
    assert L.Linear(10).out_size == 10
    conv = L.Conv2d(np.int32(2), (3, np.int64(3)), stride=[1, 1], pad=np.uint8(1))
    assert conv(np.ones((1, 1, 4, 4), dtype=np.float32)).shape == (1, 2, 4, 4)
    assert L.Deconv2d(2, 2, 2, 0)(np.ones((1, 1, 2, 2), dtype=np.float32)).shape == (1, 2, 4, 4)
    assert L.RNN(np.int16(3), in_size=2).x2h.W.shape == (2, 3)
    assert L.LSTM(Index(3))(np.ones((1, 2), dtype=np.float32)).shape == (1, 3)
    assert L.EmbedID(np.int64(5), 2).W.shape == (5, 2)
    assert L.BatchNorm(np.float32(0.99), 1e-5).decay == np.float32(0.99)
    assert len(models.MLP((10, 1)).layers) == 2
    assert len(models.MLP([np.int64(4), 3, 1], activation=F.relu).layers) == 3
    assert len(models.MLP((10, 10, 1), activation=F.sigmoid).layers) == 3
    assert models.ResNet(np.int64(50)).res4._forward[-1] == "b5"
    assert L.Linear(3, dtype=None).b.dtype == np.float64  # NumPy reads None as float64


def test_a_failed_construction_names_the_element_of_fc_output_sizes():
    with pytest.raises(TypeError, match=r"MLP: fc_output_sizes\[2\] must be an integer, got 1.5"):
        models.MLP([3, 2, 1.5])


# ----- careless calls of layers -----------------------------------------------------------------

def test_linear_input_whose_features_change_after_the_first_call():
    layer = L.Linear(5)
    layer(np.ones((2, 3), dtype=np.float32))
    with pytest.raises(ValueError, match=r"Linear: .*4 features.*\(2, 4\).*in_size=3"):
        layer(np.ones((2, 4), dtype=np.float32))
    assert layer.W.shape == (3, 5)
    with pytest.raises(ValueError, match=r"Linear: .*in_size=6"):
        L.Linear(2, in_size=6)(np.ones((1, 5)))


@pytest.mark.parametrize("layer", [L.Linear(3), L.Conv2d(2, 3), L.BatchNorm(), L.RNN(2),
                                   L.LSTM(2)], ids=lambda layer: type(layer).__name__)
@pytest.mark.parametrize("x", [[1.0, 2.0], 1.0, "abc", None], ids=repr)
def test_layers_refuse_inputs_that_are_not_arrays(layer, x):
    with pytest.raises(TypeError, match=f"{type(layer).__name__}: the input must be a Variable "
                                        "or an array"):
        layer(x)


def test_linear_refuses_a_0d_input_and_a_zero_feature_axis():
    with pytest.raises(ValueError, match=r"Linear: .*at least one axis.*shape \(\)"):
        L.Linear(3)(np.float64(1.0))
    with pytest.raises(ValueError, match=r"Linear: .*no features.*\(2, 0\)"):
        L.Linear(3)(np.ones((2, 0)))


def test_conv_input_whose_channels_change_after_the_first_call():
    layer = L.Conv2d(4, 3)
    layer(np.ones((1, 3, 5, 5), dtype=np.float32))
    with pytest.raises(ValueError, match=r"Conv2d: .*2 channels.*\(1, 2, 5, 5\).*in_channels=3"):
        layer(np.ones((1, 2, 5, 5), dtype=np.float32))
    with pytest.raises(ValueError, match=r"Deconv2d: .*0 channels"):
        L.Deconv2d(4, 3)(np.ones((1, 0, 5, 5), dtype=np.float32))


@pytest.mark.parametrize("cls", [L.RNN, L.LSTM])
def test_recurrent_layer_batch_change_mid_sequence_says_reset_state(cls):
    layer = cls(4)
    layer(np.ones((2, 3), dtype=np.float32))
    with pytest.raises(ValueError, match=f"{cls.__name__}: .*batch.*3.*2.*reset_state"):
        layer(np.ones((3, 3), dtype=np.float32))
    layer.reset_state()
    assert layer(np.ones((3, 3), dtype=np.float32)).shape == (3, 4)


def test_layer_setattr_refuses_reserved_names_and_method_names():
    layer = L.Linear(2, in_size=2)
    before = [name for name, _ in layer.named_params()]
    with pytest.raises(ValueError, match=r"Linear: '_params' is reserved"):
        layer._params = {}
    with pytest.raises(ValueError, match=r"Linear: '_states' is reserved"):
        del layer._states
    with pytest.raises(ValueError, match=r"Linear: cannot register a Parameter as 'params'"):
        layer.params = Parameter(np.ones(1))
    with pytest.raises(ValueError, match=r"Linear: cannot register a Linear as 'forward'"):
        layer.forward = L.Linear(2)
    with pytest.raises(ValueError, match=r"Linear: .*'a/b'.*identifier"):
        setattr(layer, "a/b", Parameter(np.ones(1)))
    with pytest.raises(ValueError, match=r"Linear: cannot register the layer as its own "
                                         r"sub-layer 'me'"):
        layer.me = layer
    assert [name for name, _ in layer.named_params()] == before
    assert callable(layer.params) and callable(layer.forward) and "me" not in vars(layer)
    layer.forward = lambda x: x  # a plain value may still replace a method (monkeypatching)
    assert layer(3) == 3


@pytest.mark.parametrize("make, x", [(lambda: L.Linear(2), np.ones((1, 3))),
                                     (lambda: L.Conv2d(2, 1), np.ones((1, 1, 2, 2)))],
                         ids=["Linear", "Conv2d"])
def test_a_weight_replaced_by_a_non_parameter_is_named_when_called(make, x):
    layer = make()
    layer.W = None
    with pytest.raises(TypeError, match=r": its weight 'W' is None \(NoneType\), not a "
                                        r"Parameter"):
        layer(x)
    layer.W = Parameter(None)  # a fresh Parameter is sized from the next input again
    assert layer(x).shape[1] == 2


def test_layer_add_state_checks_the_name():
    layer = L.Layer()
    with pytest.raises(ValueError, match=r"Layer: .*'a.b'.*identifier"):
        layer.add_state("a.b")
    with pytest.raises(ValueError, match=r"'_params' is reserved"):
        layer.add_state("_params")


def test_vgg16_preprocess_checks_its_arguments():
    with pytest.raises(TypeError, match=r"VGG16.preprocess: image must be a PIL image"):
        models.VGG16.preprocess(np.zeros((3, 4, 4)))
    with pytest.raises(TypeError, match=r"VGG16.preprocess: dtype"):
        models.VGG16.preprocess(object(), dtype="float33")


# ----- optimizers and hooks ---------------------------------------------------------------------

BAD_HYPERPARAMETERS = [
    (lambda: optimizers.SGD(-0.1), ValueError, ["SGD", "Invalid learning rate", "lr=-0.1"]),
    (lambda: optimizers.SGD("0.1"), TypeError, ["SGD", "lr", "'0.1'"]),
    (lambda: optimizers.SGD(None), TypeError, ["SGD", "lr", "None"]),
    (lambda: optimizers.SGD(True), TypeError, ["SGD", "lr", "True"]),
    (lambda: optimizers.SGD(1j), TypeError, ["SGD", "lr", "1j"]),
    (lambda: optimizers.SGD(float("nan")), ValueError, ["SGD", "lr=nan"]),
    (lambda: optimizers.SGD(float("inf")), ValueError, ["SGD", "lr=inf"]),
    (lambda: optimizers.SGD(np.array([0.1])), TypeError, ["SGD", "lr"]),
    (lambda: optimizers.SGD(Fraction(1, 10)), TypeError, ["SGD", "lr", "Fraction", "float("]),
    (lambda: optimizers.MomentumSGD(lr=-1), ValueError, ["MomentumSGD", "lr=-1"]),
    (lambda: optimizers.MomentumSGD(momentum=-0.5), ValueError,
     ["MomentumSGD", "Invalid momentum", "momentum=-0.5"]),
    (lambda: optimizers.MomentumSGD(momentum="0.9"), TypeError, ["MomentumSGD", "momentum"]),
    (lambda: optimizers.AdaGrad(lr=-1e-3), ValueError, ["AdaGrad", "lr=-0.001"]),
    (lambda: optimizers.AdaGrad(eps=0), ValueError, ["AdaGrad", "Invalid epsilon", "eps=0"]),
    (lambda: optimizers.AdaDelta(rho=1.5), ValueError, ["AdaDelta", "Invalid rho", "rho=1.5"]),
    (lambda: optimizers.AdaDelta(rho=-0.1), ValueError, ["AdaDelta", "rho=-0.1"]),
    (lambda: optimizers.AdaDelta(eps=-1e-6), ValueError, ["AdaDelta", "eps=-1e-06"]),
    (lambda: optimizers.Adam(alpha=-1), ValueError, ["Adam", "Invalid learning rate",
                                                     "alpha=-1"]),
    (lambda: optimizers.Adam(beta1=1.0), ValueError, ["Adam", "Invalid beta", "beta1=1.0"]),
    (lambda: optimizers.Adam(beta2=-0.1), ValueError, ["Adam", "beta2=-0.1"]),
    (lambda: optimizers.Adam(beta2=None), TypeError, ["Adam", "beta2", "None"]),
    (lambda: optimizers.Adam(eps=0.0), ValueError, ["Adam", "Invalid epsilon", "eps=0.0"]),
    (lambda: optimizers.AdamW(weight_decay=-0.01), ValueError,
     ["AdamW", "Invalid weight_decay", "weight_decay=-0.01"]),
    (lambda: optimizers.AdamW(beta1=float("nan")), ValueError, ["AdamW", "beta1=nan"]),
    (lambda: optimizers.WeightDecay(-1e-4), ValueError, ["WeightDecay", "rate=-0.0001"]),
    (lambda: optimizers.WeightDecay("1e-4"), TypeError, ["WeightDecay", "rate", "'1e-4'"]),
    (lambda: optimizers.ClipGrad(0), ValueError, ["ClipGrad", "max_norm=0"]),
    (lambda: optimizers.ClipGrad(None), TypeError, ["ClipGrad", "max_norm", "None"]),
    (lambda: optimizers.ClipGrad(float("nan")), ValueError, ["ClipGrad", "max_norm=nan"]),
    (lambda: optimizers.FreezeParam(3), TypeError, ["FreezeParam", "layers[0]", "3 (int)"]),
    (lambda: optimizers.FreezeParam(L.Linear(2), [Parameter(np.ones(1))]), TypeError,
     ["FreezeParam", "layers[1]", "list"]),
    (lambda: optimizers.FreezeParam(Variable(np.ones(1))), TypeError,
     ["FreezeParam", "layers[0]", "Variable"]),
]


@pytest.mark.parametrize("make, error, words", BAD_HYPERPARAMETERS)
def test_bad_hyperparameters_are_refused_at_construction(make, error, words):
    with pytest.raises(error) as info:
        make()
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_good_hyperparameters_are_kept_as_given():
    lr = np.float32(0.1)
    assert optimizers.SGD(lr).lr is lr  # not converted: the numbers a program computes stay
    assert optimizers.SGD(0).lr == 0 and optimizers.SGD(np.int64(1)).lr == 1
    assert optimizers.SGD(np.array(0.5)).lr == 0.5
    momentum = optimizers.MomentumSGD(lr=0.01, momentum=0.9)
    assert (momentum.lr, momentum.momentum) == (0.01, 0.9)
    adam = optimizers.Adam(alpha=0.001)
    assert (adam.alpha, adam.beta1, adam.beta2, adam.eps) == (0.001, 0.9, 0.999, 1e-8)
    assert optimizers.AdaDelta(rho=1.0, eps=1e-6).rho == 1.0
    assert optimizers.AdamW(weight_decay=0).weight_decay == 0
    assert optimizers.ClipGrad(float("inf")).max_norm == float("inf")
    assert optimizers.WeightDecay(0).rate == 0
    model = L.Linear(2, in_size=2)
    assert optimizers.SGD(0.1).setup(model).target is model


def test_assigning_a_bad_hyperparameter_later_is_refused_and_keeps_the_old_value():
    opt = optimizers.MomentumSGD(lr=0.01)
    with pytest.raises(ValueError, match=r"MomentumSGD: Invalid learning rate: lr=-0.5"):
        opt.lr = -0.5
    with pytest.raises(TypeError, match=r"MomentumSGD: momentum must be a real number"):
        opt.momentum = "high"
    assert (opt.lr, opt.momentum) == (0.01, 0.9)
    opt.lr = 0.001  # a schedule may still change it
    assert opt.lr == 0.001
    adam = optimizers.Adam()
    with pytest.raises(ValueError, match=r"Adam: Invalid beta parameter: beta1=1"):
        adam.beta1 = 1
    hook = optimizers.ClipGrad(1.0)
    with pytest.raises(ValueError, match=r"ClipGrad: .*max_norm=-1"):
        hook.max_norm = -1
    assert hook.max_norm == 1.0


def test_update_one_without_a_gradient_and_with_a_non_parameter():
    opt = optimizers.SGD()
    with pytest.raises(ValueError, match=r"SGD.update_one: parameter 'W' has no gradient"):
        opt.update_one(Parameter(np.ones(2), name="W"))
    with pytest.raises(TypeError, match=r"SGD.update_one: expected a Parameter, got ndarray"):
        opt.update_one(np.ones(2))
    with pytest.raises(ValueError, match=r"SGD.update_one: parameter '\(unnamed\)' has no data"):
        p = Parameter(None)
        p.grad = Variable(np.ones(2))
        opt.update_one(p)


def test_update_before_setup_and_setup_with_a_non_layer():
    with pytest.raises(RuntimeError, match=r"Adam.update: no target; call optimizer.setup"):
        optimizers.Adam().update()
    with pytest.raises(TypeError, match=r"SGD.setup: expected a Layer or Model"):
        optimizers.SGD().setup([Parameter(np.ones(1))])
    with pytest.raises(TypeError, match=r"SGD.setup: got the class MLP, not a model; pass an "
                                        r"instance such as MLP\(...\)"):
        optimizers.SGD().setup(models.MLP)


def test_add_hook_refuses_what_cannot_be_called():
    opt = optimizers.SGD()
    with pytest.raises(TypeError, match=r"SGD.add_hook: hook must be callable.*0.1 \(float\)"):
        opt.add_hook(0.1)
    assert opt.hooks == []
    opt.add_hook(optimizers.WeightDecay(1e-4))
    assert len(opt.hooks) == 1


def test_freeze_param_accepts_layers_and_parameters():
    model = models.MLP((3, 2))
    param = Parameter(np.ones(2))
    hook = optimizers.FreezeParam(model.l0, param)
    assert param in hook.freeze_params and model.l0.W in hook.freeze_params


# ----- transforms -------------------------------------------------------------------------------

BAD_TRANSFORMS = [
    (lambda: T.Compose(T.Flatten()), TypeError, ["Compose", "transforms", "Compose([f])"]),
    (lambda: T.Compose([T.Flatten(), 3]), TypeError, ["Compose", "transforms[1]", "3 (int)"]),
    (lambda: T.Convert(3), TypeError, ["Convert", "mode", "3"]),
    (lambda: T.Convert("XYZ"), ValueError, ["Convert", "mode", "'XYZ'", "RGB"]),
    (lambda: T.Resize(2.5), TypeError, ["Resize", "size", "2.5"]),
    (lambda: T.Resize((32, 2.5)), TypeError, ["Resize", "size[1]", "2.5"]),
    (lambda: T.Resize(0), ValueError, ["Resize", "size", "0"]),
    (lambda: T.Resize(True), TypeError, ["Resize", "size", "True"]),
    (lambda: T.Resize(4, mode=99), ValueError, ["Resize", "mode", "99"]),
    (lambda: T.Resize(4, mode="bilinear"), TypeError, ["Resize", "mode", "'bilinear'"]),
    (lambda: T.CenterCrop((3, -1)), ValueError, ["CenterCrop", "size[1]", "-1"]),
    (lambda: T.CenterCrop("3"), TypeError, ["CenterCrop", "size", "'3'"]),
    (lambda: T.ToArray("float33"), TypeError, ["ToArray", "dtype", "float33"]),
    (lambda: T.ToArray(object), TypeError, ["ToArray", "dtype", "object"]),
    (lambda: T.AsType("int33"), TypeError, ["AsType", "dtype", "int33"]),
    (lambda: T.ToFloat(np.int32), TypeError, ["ToFloat", "dtype", "int32"]),
    (lambda: T.ToInt(np.float32), TypeError, ["ToInt", "dtype", "float32"]),
    (lambda: T.Normalize(mean="a"), TypeError, ["Normalize", "mean", "'a'"]),
    (lambda: T.Normalize(std=0), ValueError, ["Normalize", "std", "0"]),
    (lambda: T.Normalize(std=[1.0, 0.0]), ValueError, ["Normalize", "std", "0.0"]),
    (lambda: T.Normalize(mean=[[0.5]]), ValueError, ["Normalize", "mean", "[[0.5]]"]),
    (lambda: T.Normalize(mean=[]), ValueError, ["Normalize", "mean", "[]"]),
    (lambda: T.Normalize(mean=float("nan")), ValueError, ["Normalize", "mean", "nan"]),
    (lambda: T.Normalize(std=None), TypeError, ["Normalize", "std", "None"]),
    (lambda: T.RandomHorizontalFlip("0.5"), TypeError, ["RandomHorizontalFlip", "p", "'0.5'"]),
    (lambda: T.RandomHorizontalFlip(1.5), ValueError, ["RandomHorizontalFlip", "p", "1.5"]),
    (lambda: T.RandomHorizontalFlip(float("nan")), ValueError, ["RandomHorizontalFlip", "nan"]),
]


@pytest.mark.parametrize("make, error, words", BAD_TRANSFORMS)
def test_bad_transform_arguments_are_refused_at_construction(make, error, words):
    with pytest.raises(error) as info:
        make()
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_good_transform_arguments_are_kept():
    assert T.Resize(np.int64(4)).size == (4, 4) and T.CenterCrop([3, 2]).size == (3, 2)
    assert T.Normalize(np.float32(0.5), np.array(2.0)).std == 2.0
    assert T.Normalize((0.5, 0.5, 0.5), [0.2, 0.2, 0.2]).mean == (0.5, 0.5, 0.5)
    assert T.ToInt(np.int32).dtype == np.int32 and T.AsType(bool).dtype is bool
    assert T.RandomHorizontalFlip(np.float64(1)).p == 1
    x = np.arange(6, dtype=np.float32).reshape(2, 1, 3)
    assert T.Compose((T.Normalize([1.0, 2.0], 2), T.Flatten()))(x).shape == (6,)


@pytest.mark.parametrize("transform", [T.Normalize(), T.Flatten(), T.AsType(), T.ToFloat(),
                                       T.ToInt(), T.ToPIL()], ids=lambda t: type(t).__name__)
def test_array_transforms_refuse_what_is_not_an_array(transform):
    with pytest.raises(TypeError, match=f"{type(transform).__name__}: expected an array"):
        transform([[1, 2], [3, 4]])


def test_array_transforms_accept_numpy_scalars():
    assert T.ToInt()(np.float64(3.0)) == 3 and T.ToFloat()(np.int64(3)).dtype == np.float32


@pytest.mark.parametrize("transform", [T.Convert(), T.Resize(2), T.CenterCrop(2)],
                         ids=lambda t: type(t).__name__)
def test_image_transforms_refuse_what_is_not_an_image(transform):
    with pytest.raises(TypeError, match=f"{type(transform).__name__}: expected a PIL image, "
                                        "got ndarray"):
        transform(np.zeros((3, 4, 4)))


def test_random_horizontal_flip_refuses_what_is_neither_image_nor_array():
    with pytest.raises(TypeError, match=r"RandomHorizontalFlip: expected a PIL image or an "
                                        r"array, got list"):
        T.RandomHorizontalFlip(1.0)([1, 2, 3])


def test_to_pil_names_channel_counts_it_cannot_draw():
    with pytest.raises(ValueError, match=r"ToPIL: .*1, 3 or 4 channels.*\(2, 4, 4\)"):
        T.ToPIL()(np.zeros((2, 4, 4), dtype=np.uint8))


# ----- config -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["enable_backprop", "train"])
@pytest.mark.parametrize("value", [1, 0, "False", None, np.array([True])], ids=repr)
def test_config_settings_take_booleans_only(name, value):
    with pytest.raises(TypeError, match=f"'{name}' must be True or False, got"):
        with dezero.using_config(name, value):
            pass  # pragma: no cover
    with pytest.raises(TypeError, match=f"dezero.Config.{name} must be True or False"):
        setattr(dezero.Config, name, value)
    assert getattr(dezero.Config, name) is True  # nothing changed


def test_config_accepts_numpy_booleans_and_stores_python_ones():
    with dezero.using_config("train", np.False_):
        assert dezero.Config.train is False
    with dezero.using_config("enable_backprop", np.bool_(False)):
        assert dezero.Config.enable_backprop is False
        assert (Variable(np.ones(1)) * 2).creator is None
    assert dezero.Config.train is True and dezero.Config.enable_backprop is True


def test_unknown_config_name_is_an_attribute_error_listing_the_known_names():
    # DeZero 0.0.13's using_config reads the old value with getattr first: AttributeError.
    for action in (lambda: dezero.using_config("colour", True).__enter__(),
                   lambda: setattr(dezero.Config, "trian", False),
                   lambda: dezero.Config.trian):
        with pytest.raises(AttributeError, match=r"no setting '(colour|trian)'; known settings: "
                                                 r"enable_backprop, train"):
            action()
    with pytest.raises(TypeError, match=r"using_config: name must be a string"):
        dezero.using_config(1, True).__enter__()


def test_config_settings_cannot_be_deleted():
    with pytest.raises(AttributeError, match=r"dezero.Config.train cannot be deleted"):
        del dezero.Config.train
    assert dezero.Config.train is True
