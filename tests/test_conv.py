"""Convolution, pooling and im2col checks that the per-op harness (test_ops.py) cannot express:
many geometries against loop references, adjoint identities, −∞ padding, gradients of
gradients with respect to the upstream gradient, error messages, and the module layout."""
import threading

import numpy as np
import pytest
from opdata.conv import (average_pooling_ref, col2im_ref, conv2d_ref, deconv2d_ref,
                         im2col_ref, max_pooling_ref)

import dezero
import dezero.functions as F
import dezero.functions_conv as FC
from dezero import Variable
from dezero.gradcheck import gradcheck

rng = np.random.default_rng(0)

# (x shape, W shape, stride, pad): square and non-square kernels, strides and pads.
CONV_CASES = [
    ((2, 3, 7, 7), (4, 3, 3, 3), 1, 0),
    ((2, 3, 7, 6), (4, 3, 3, 3), 2, 1),
    ((1, 2, 6, 7), (3, 2, 2, 3), (2, 1), (1, 0)),
    ((1, 2, 5, 8), (2, 2, 1, 1), 3, (0, 2)),
    ((2, 1, 8, 5), (2, 1, 5, 2), (3, 2), 2),
    ((1, 1, 3, 3), (1, 1, 3, 3), 1, 0),
]


@pytest.mark.parametrize("x_shape,w_shape,stride,pad", CONV_CASES)
def test_conv2d_matches_loops(x_shape, w_shape, stride, pad):
    x, W, b = rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(
        w_shape[0])
    want = conv2d_ref(x, W, b, stride, pad)
    for f in (F.conv2d, F.conv2d_simple):
        got = f(x, W, b, stride=stride, pad=pad)
        assert got.shape == want.shape
        np.testing.assert_allclose(got.data, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("x_shape,w_shape,stride,pad", CONV_CASES)
def test_deconv2d_is_the_adjoint_of_conv2d(x_shape, w_shape, stride, pad):
    x, W = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    y = F.conv2d(x, W, stride=stride, pad=pad)
    v = rng.standard_normal(y.shape)
    # <conv(x), v> == <x, deconv(v)>; outsize picks x's size when the stride drops rows.
    back = F.deconv2d(v, W, stride=stride, pad=pad, outsize=x_shape[2:])
    assert back.shape == x_shape
    np.testing.assert_allclose(np.sum(y.data * v), np.sum(x * back.data), rtol=1e-10)
    np.testing.assert_allclose(back.data, deconv2d_ref(v, W, None, stride, pad, x_shape[2:]),
                               rtol=1e-10, atol=1e-12)


def test_deconv2d_default_outsize_and_bias():
    x, W, b = rng.standard_normal((2, 3, 4, 5)), rng.standard_normal((3, 2, 3, 2)), \
        rng.standard_normal(2)
    y = F.deconv2d(x, W, b, stride=(2, 3), pad=(1, 0))
    # OH = SY·(H − 1) + KH − 2·PH
    assert y.shape == (2, 2, 2 * 3 + 3 - 2, 3 * 4 + 2)
    np.testing.assert_allclose(y.data, deconv2d_ref(x, W, b, (2, 3), (1, 0)), rtol=1e-10)


@pytest.mark.parametrize("shape,k,s,p", [((2, 3, 5, 5), 3, 1, 1),
                                         ((1, 2, 6, 7), (2, 3), (2, 1), (0, 1)),
                                         ((2, 1, 7, 4), (3, 1), 3, (2, 0))])
@pytest.mark.parametrize("to_matrix", [True, False])
def test_im2col_and_col2im_are_adjoint(shape, k, s, p, to_matrix):
    x = rng.standard_normal(shape)
    col = F.im2col(x, k, s, p, to_matrix=to_matrix)
    np.testing.assert_array_equal(col.data, im2col_ref(x, k, s, p, to_matrix))
    c = rng.standard_normal(col.shape)
    img = F.col2im(c, shape, k, s, p, to_matrix=to_matrix)
    np.testing.assert_allclose(img.data, col2im_ref(c, shape, k, s, p, to_matrix), rtol=1e-12)
    np.testing.assert_allclose(np.sum(col.data * c), np.sum(x * img.data), rtol=1e-10)


def test_im2col_does_not_alias_its_input():
    x = np.ones((1, 1, 3, 3))
    col = F.im2col(x, 1).data  # a 1×1 kernel could have been returned as a view of x
    col[...] = 5
    assert np.all(x == 1)


def test_max_pooling_pads_with_minus_infinity():
    x = -np.arange(1.0, 5.0).reshape(1, 1, 2, 2)  # [[-1, -2], [-3, -4]]
    y = F.pooling(x, 2, stride=1, pad=1)
    # Each corner window holds one real pixel and three pads; the real pixel must win.
    want = np.array([[-1, -1, -2], [-1, -1, -2], [-3, -3, -4]], dtype=float)
    np.testing.assert_array_equal(y.data[0, 0], want)


def test_max_pooling_gradient_goes_to_the_argmax():
    x = Variable(-np.arange(1.0, 5.0).reshape(1, 1, 2, 2))
    F.pooling(x, 2, stride=1, pad=1).backward()
    # Each pixel gets one per window it wins: -1 wins four, -2 and -3 two each, -4 one.
    np.testing.assert_array_equal(x.grad.data[0, 0], [[4, 2], [2, 1]])


def test_max_pooling_all_negative_matches_reference():
    x = rng.uniform(-5, -1, size=(2, 3, 6, 5))
    for k, s, p in [(3, 2, 1), ((2, 3), (1, 2), (1, 2)), (2, 2, 1)]:
        y = F.pooling(x, k, s, p)
        np.testing.assert_array_equal(y.data, max_pooling_ref(x, k, s, p))
        assert np.all(y.data < 0)
    assert F.pooling_simple is F.pooling


def test_average_pooling_non_square_kernel():
    x = np.arange(12.0).reshape(1, 1, 3, 4)
    y = F.average_pooling(x, (2, 3))
    # Window means worked by hand: rows 0-1/1-2 × columns 0-2/1-3.
    np.testing.assert_allclose(y.data[0, 0], [[3.0, 4.0], [7.0, 8.0]])
    x = rng.standard_normal((2, 2, 7, 6))
    for k, s, p in [((2, 3), 1, 0), ((3, 2), (2, 1), (1, 0)), ((1, 3), 2, (0, 1))]:
        np.testing.assert_allclose(F.average_pooling(x, k, s, p).data,
                                   average_pooling_ref(x, k, s, p), rtol=1e-12)


def _grad_wrt_x(f, x, *consts):
    """The function v -> d<f(x, *consts), v>/dx, recorded so it can be differentiated in v."""
    def g(v):
        xv = Variable(x.copy())
        y = f(xv, *consts)
        xv.cleargrad()
        (y * v).sum().backward(create_graph=True)
        return xv.grad
    return g


@pytest.mark.parametrize("f,x_shape", [
    (lambda x: F.pooling(x, (2, 3), (1, 2), 1), (1, 2, 4, 5)),
    (lambda x: F.average_pooling(x, (2, 3), 2, (1, 0)), (1, 2, 5, 5)),
    (lambda x: F.im2col(x, 3, 2, 1), (1, 2, 5, 5)),
    (lambda c: F.col2im(c, (1, 2, 5, 5), 3, 2, 1, to_matrix=False), (1, 2, 3, 3, 3, 3)),
], ids=["pooling", "average_pooling", "im2col", "col2im"])
def test_backward_is_differentiable_in_the_upstream_gradient(f, x_shape):
    # These ops are (piecewise) linear in x, so order-2 gradchecks in x see only zeros;
    # differentiating the gradient in the upstream gradient v exercises the backward's backward.
    x = rng.standard_normal(x_shape)
    v = rng.standard_normal(f(Variable(x)).shape)
    assert gradcheck(_grad_wrt_x(f, x), v)


@pytest.mark.parametrize("f,w_shape", [
    (lambda x, W: F.conv2d(x, W, stride=2, pad=(0, 1)), (2, 3, 2, 3)),
    (lambda x, W: F.deconv2d(x, W, stride=(1, 2), pad=1), (3, 2, 3, 2)),
])
def test_conv_second_order(f, w_shape):
    x, W = rng.standard_normal((1, 3, 4, 5)), rng.standard_normal(w_shape)
    assert gradcheck(f, x, W, order=2)
    # The gradient in x as a function of the upstream gradient and of W.
    v = rng.standard_normal(f(Variable(x), Variable(W)).shape)
    assert gradcheck(lambda v, W: _grad_wrt_x(f, x, W)(v), v, W)


def test_conv_float32_stays_float32():
    x = Variable(rng.standard_normal((2, 3, 6, 6)).astype(np.float32))
    W = Variable(rng.standard_normal((4, 3, 3, 3)).astype(np.float32))
    b = Variable(np.zeros(4, dtype=np.float32))
    y = F.pooling(F.conv2d(x, W, b, pad=1), 2, 2)
    y = F.average_pooling(F.deconv2d(y, W), 2)
    assert y.dtype == np.float32
    y.sum().backward(create_graph=True)
    assert x.grad.dtype == W.grad.dtype == b.grad.dtype == np.float32
    gx = x.grad
    W.cleargrad()
    (gx * gx).sum().backward()  # gx is linear in the seed and depends on x only via W
    assert W.grad.dtype == np.float32


@pytest.mark.parametrize("call,fragments", [
    (lambda: F.conv2d(np.zeros((1, 3, 5, 5)), np.zeros((2, 4, 3, 3))),
     ["conv2d", "(1, 3, 5, 5)", "(2, 4, 3, 3)", "channels"]),
    (lambda: F.conv2d_simple(np.zeros((1, 3, 5, 5)), np.zeros((2, 4, 3, 3))),
     ["conv2d_simple", "(1, 3, 5, 5)", "(2, 4, 3, 3)"]),
    (lambda: F.deconv2d(np.zeros((1, 3, 5, 5)), np.zeros((2, 4, 3, 3))),
     ["deconv2d", "(1, 3, 5, 5)", "(2, 4, 3, 3)", "channels"]),
    (lambda: F.conv2d(np.zeros((1, 3, 5, 5)), np.zeros((2, 3, 3, 3)), np.zeros(3)),
     ["conv2d", "b", "(2,)", "(3,)"]),
    (lambda: F.conv2d(np.zeros((3, 5, 5)), np.zeros((2, 3, 3, 3))), ["conv2d", "4-d", "(3, 5, 5)"]),
    (lambda: F.conv2d(np.zeros((1, 1, 2, 2)), np.zeros((1, 1, 3, 3))),
     ["conv2d", "3x3", "(1, 1, 2, 2)"]),
    (lambda: F.deconv2d(np.zeros((1, 1, 3, 3)), np.zeros((1, 1, 3, 3)), stride=2, outsize=(9, 7)),
     ["deconv2d", "(9, 7)", "(3, 3)"]),
    (lambda: F.pooling(np.zeros((1, 1, 4, 4)), 2, pad=2), ["pooling", "pad", "kernel_size"]),
    (lambda: F.average_pooling(np.zeros((1, 1, 4, 4)), 2, stride=0), ["average_pooling", "stride"]),
    (lambda: F.im2col(np.zeros((1, 1, 4, 4)), (2, 2, 2)), ["im2col", "pair"]),
    (lambda: F.col2im(np.zeros((4, 3)), (1, 1, 4, 4), 2), ["col2im", "(4, 3)", "(9, 4)"]),
])
def test_errors_name_the_problem(call, fragments):
    with pytest.raises(ValueError) as info:
        call()
    for fragment in fragments:
        assert fragment in str(info.value), (fragment, str(info.value))


def test_functions_conv_reexports_the_same_objects():
    names = ["conv2d", "deconv2d", "conv2d_simple", "pooling", "pooling_simple",
             "average_pooling", "im2col", "col2im"]
    for name in names:
        assert getattr(FC, name) is getattr(F, name)
    assert dezero.functions_conv is FC


def test_gpu_matches_cpu():
    cp = pytest.importorskip("cupy")
    if not dezero.cuda.gpu_enable:
        pytest.skip("CuPy without a usable GPU")
    x, W = rng.standard_normal((2, 3, 6, 5)), rng.standard_normal((4, 3, 3, 2))
    outs = []
    for to_device in (lambda a: a, cp.asarray):
        xv, Wv = Variable(to_device(x)), Variable(to_device(W))
        y = F.pooling(F.conv2d(xv, Wv, stride=(1, 2), pad=1), 2, 1, 1)
        y = F.average_pooling(F.deconv2d(y, Wv), (2, 3))
        (y * y).sum().backward()
        outs.append([dezero.cuda.as_numpy(a) for a in (y.data, xv.grad.data, Wv.grad.data)])
    for cpu, gpu in zip(*outs):
        np.testing.assert_allclose(gpu, cpu, rtol=1e-10, atol=1e-10)


# -- the fast paths of the array kernels --------------------------------------------------
@pytest.mark.parametrize("shape,k,s,p", [
    ((2, 3, 7, 6), (3, 3), (1, 1), (1, 1)),
    ((1, 2, 9, 8), (3, 2), (2, 3), (2, 1)),
    ((2, 1, 5, 5), (5, 5), (1, 1), (4, 4)),
    ((1, 1, 6, 7), (2, 2), (3, 3), (0, 1)),
])
def test_col2im_clipped_adds_match_loops(shape, k, s, p):
    """col2im accumulates straight into the unpadded image, clipping each kernel offset's
    windows; compare with a pixel loop over a padded buffer."""
    from dezero.functions.conv import col2im_array, conv_geometry
    oh, ow = conv_geometry("t", shape, k, s, p)[3]
    col = rng.standard_normal(shape[:2] + tuple(k) + (oh, ow))
    np.testing.assert_allclose(col2im_array(col, shape, k, s, p, to_matrix=False),
                               col2im_ref(col, shape, k, s, p, to_matrix=False), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape,k", [((2, 3, 8, 6), 2), ((1, 2, 7, 9), 2), ((2, 1, 9, 7), 3),
                                     ((1, 1, 6, 6), (2, 3))])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_pooling_tiling_backward_matches_scatter(shape, k, dtype):
    """kernel = stride, no pad (also with rows/columns no window covers): the one-pass
    routing equals the generic scatter-add, ties included, and keeps the dtype."""
    from dezero.functions.pool import _Windows
    x = rng.integers(0, 3, shape).astype(dtype)  # many ties
    y = F.pooling(x, k, stride=k)
    f = y.creator
    assert f.windows.tiles
    gy = rng.standard_normal(y.shape).astype(dtype)
    got = f.backward(Variable(gy)).data
    generic = _Windows(f.windows.input_shape, f.windows.kernel_size, f.windows.stride,
                       f.windows.pad).scatter(lambda i: gy * (f.indexes == i), gy)
    assert got.dtype == dtype and got.shape == shape
    np.testing.assert_array_equal(got, generic)
    xv = Variable(x)
    F.sum(F.pooling(xv, k, stride=k) * gy).backward()
    np.testing.assert_array_equal(xv.grad.data, generic)


def test_results_do_not_share_the_column_scratch_memory():
    # im2col columns live in a per-thread scratch buffer reused by the next call: no output
    # or gradient may alias it, and threads running convolutions at once must not mix.
    rng = np.random.default_rng(5)
    W = Variable(rng.standard_normal((4, 3, 3, 3)))
    xs = [Variable(rng.standard_normal((2, 3, 6, 6))) for _ in range(2)]
    y0 = F.conv2d(xs[0], W, pad=1)
    y0.backward()
    kept = (y0.data.copy(), xs[0].grad.data.copy(), W.grad.data.copy())
    W.cleargrad()
    y1 = F.conv2d(xs[1], W, pad=1)  # overwrites the scratch buffer
    y1.backward()
    for got, want in zip((y0.data, xs[0].grad.data), kept[:2]):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(y1.data, conv2d_ref(xs[1].data, W.data, None, 1, 1), atol=1e-12)

    x = rng.standard_normal((2, 3, 8, 8))
    want = conv2d_ref(x, W.data, None, 1, 1)
    errors = []

    def work() -> None:
        for _ in range(20):
            got = F.conv2d(x, W, pad=1).data
            if not np.allclose(got, want, atol=1e-12):
                errors.append(float(np.abs(got - want).max()))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
