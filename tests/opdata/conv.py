"""OpSpecs for dezero.functions.{conv,pooling,im2col} (re-exported by dezero.functions_conv).

The references are plain loops over output pixels, written from the definitions
(window at (p·SY, q·SX) of the padded input), independent of im2col.
"""
import numpy as np
from opinfo import OpSpec, strict_pair

import dezero.functions as F
from dezero.utils import pair


def _padded(x, pad, value=0.0):
    ph, pw = pair(pad)
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def _out_size(size, k, s, p):
    return (size + 2 * p - k) // s + 1


def conv2d_ref(x, W, b=None, stride=1, pad=0):
    """y[n, o, p, q] = Σ_{c,i,j} x_pad[n, c, p·SY + i, q·SX + j] · W[o, c, i, j] + b[o]."""
    (sy, sx), (ph, pw) = pair(stride), pair(pad)
    n, _, h, w = x.shape
    oc, _, kh, kw = W.shape
    oh, ow = _out_size(h, kh, sy, ph), _out_size(w, kw, sx, pw)
    xp = _padded(x, pad)
    y = np.zeros((n, oc, oh, ow), dtype=x.dtype)
    for i in range(n):
        for o in range(oc):
            for p in range(oh):
                for q in range(ow):
                    window = xp[i, :, p * sy:p * sy + kh, q * sx:q * sx + kw]
                    y[i, o, p, q] = np.sum(window * W[o]) + (0 if b is None else b[o])
    return y


def deconv2d_ref(x, W, b=None, stride=1, pad=0, outsize=None):
    """Each x[n, c, h, w]·W[c] added into the output at (h·SY − PH, w·SX − PW)."""
    (sy, sx), (ph, pw) = pair(stride), pair(pad)
    n, c, h, w = x.shape
    _, oc, kh, kw = W.shape
    if outsize is None:
        outsize = (sy * (h - 1) + kh - 2 * ph, sx * (w - 1) + kw - 2 * pw)
    out_h, out_w = outsize
    y = np.zeros((n, oc, out_h + 2 * ph + sy, out_w + 2 * pw + sx), dtype=x.dtype)
    for i in range(n):
        for ch in range(c):
            for p in range(h):
                for q in range(w):
                    y[i, :, p * sy:p * sy + kh, q * sx:q * sx + kw] += x[i, ch, p, q] * W[ch]
    y = y[:, :, ph:ph + out_h, pw:pw + out_w]
    return y if b is None else y + b.reshape(1, -1, 1, 1)


def im2col_ref(x, kernel_size, stride=1, pad=0, to_matrix=True):
    (kh, kw), (sy, sx), (ph, pw) = pair(kernel_size), pair(stride), pair(pad)
    n, c, h, w = x.shape
    oh, ow = _out_size(h, kh, sy, ph), _out_size(w, kw, sx, pw)
    xp = _padded(x, pad)
    col = np.zeros((n, c, kh, kw, oh, ow), dtype=x.dtype)
    for p in range(oh):
        for q in range(ow):
            col[:, :, :, :, p, q] = xp[:, :, p * sy:p * sy + kh, q * sx:q * sx + kw]
    if to_matrix:
        col = col.transpose(0, 4, 5, 1, 2, 3).reshape(n * oh * ow, -1)
    return col


def col2im_ref(col, input_shape, kernel_size, stride=1, pad=0, to_matrix=True):
    (kh, kw), (sy, sx), (ph, pw) = pair(kernel_size), pair(stride), pair(pad)
    n, c, h, w = input_shape
    oh, ow = _out_size(h, kh, sy, ph), _out_size(w, kw, sx, pw)
    if to_matrix:
        col = col.reshape(n, oh, ow, c, kh, kw).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=col.dtype)
    for p in range(oh):
        for q in range(ow):
            img[:, :, p * sy:p * sy + kh, q * sx:q * sx + kw] += col[:, :, :, :, p, q]
    return img[:, :, ph:ph + h, pw:pw + w]


def _pool_ref(reduce, pad_value):
    def ref(x, kernel_size, stride=1, pad=0):
        (kh, kw), (sy, sx), (ph, pw) = pair(kernel_size), pair(stride), pair(pad)
        n, c, h, w = x.shape
        oh, ow = _out_size(h, kh, sy, ph), _out_size(w, kw, sx, pw)
        value = pad_value
        if value == -np.inf and x.dtype.kind != "f":  # the lowest value of the dtype
            value = False if x.dtype.kind == "b" else np.iinfo(x.dtype).min
        xp = _padded(x, pad, value)
        floating = reduce is np.mean and x.dtype.kind != "f"  # the mean of ints is a float
        y = np.zeros((n, c, oh, ow), dtype=np.float64 if floating else x.dtype)
        for p in range(oh):
            for q in range(ow):
                y[:, :, p, q] = reduce(xp[:, :, p * sy:p * sy + kh, q * sx:q * sx + kw],
                                       axis=(2, 3))
        return y
    return ref


max_pooling_ref = _pool_ref(np.max, -np.inf)
average_pooling_ref = _pool_ref(np.mean, 0.0)


def _col_for(input_shape, k, s, p, to_matrix):
    """make(): a random column array shaped as im2col of ``input_shape`` would give."""
    def make(rng, shapes):
        x = np.zeros(input_shape)
        return [rng.uniform(-2, 2, size=im2col_ref(x, k, s, p, to_matrix).shape)]
    return make


X = (2, 2, 5, 5)


def _fits(x_shape, kernel_size, stride, pad, max_pool=False):
    """The contract for window sizes: ints or pairs, kernel and stride ≥ 1, pad ≥ 0, the
    windows fit the padded input (and a max-pooling pad is below the kernel)."""
    (kh, kw), _, (ph, pw) = (strict_pair(kernel_size, 1), strict_pair(stride, 1),
                             strict_pair(pad, 0))
    if x_shape[2] + 2 * ph < kh or x_shape[3] + 2 * pw < kw:
        raise ValueError("the kernel does not fit")
    if max_pool and (ph >= kh or pw >= kw):
        raise ValueError("pad must be below kernel_size")


def _checked(ref, n_kernel=None, max_pool=False):
    """``ref`` with window arguments checked by the contract first (kernel from W when
    ``n_kernel`` is the index of W among the arrays)."""
    def call(*arrays, kernel_size=None, stride=1, pad=0):
        kernel = arrays[n_kernel].shape[2:] if n_kernel is not None else kernel_size
        _fits(arrays[0].shape, kernel, stride, pad, max_pool)
        if n_kernel is None:
            return ref(*arrays, kernel_size, stride, pad)
        return ref(*arrays, stride=stride, pad=pad)
    return call


def _deconv_checked(x, W, b, stride=1, pad=0):
    (sy, sx), (ph, pw) = strict_pair(stride, 1), strict_pair(pad, 0)
    kh, kw = W.shape[2:]
    if sy * (x.shape[2] - 1) + kh - 2 * ph < 0 or sx * (x.shape[3] - 1) + kw - 2 * pw < 0:
        raise ValueError("empty output")
    return deconv2d_ref(x, W, b, stride, pad)


WINDOW = {"kernel_size": "pair1", "stride": "pair1", "pad": "pair0"}

SPECS = [
    OpSpec("conv2d", F.conv2d, conv2d_ref, [(X, (3, 2, 3, 3), (3,))],
           fuzz_args={"stride": "pair1", "pad": "pair0"}, fuzz_ref=_checked(conv2d_ref, 1)),
    OpSpec("conv2d", lambda x, W, b: F.conv2d(x, W, b, stride=(2, 1), pad=(1, 0)),
           lambda x, W, b: conv2d_ref(x, W, b, (2, 1), (1, 0)), [(X, (2, 2, 2, 3), (2,))],
           label="conv2d-stride-pad-nonsquare"),
    OpSpec("conv2d", lambda x, W: F.conv2d(x, W, stride=2, pad=1),
           lambda x, W: conv2d_ref(x, W, None, 2, 1), [((1, 2, 4, 4), (2, 2, 3, 3))],
           label="conv2d-nobias"),
    OpSpec("conv2d_simple", lambda x, W, b: F.conv2d_simple(x, W, b, stride=2, pad=1),
           lambda x, W, b: conv2d_ref(x, W, b, 2, 1), [(X, (2, 2, 3, 3), (2,))],
           fuzz_args={"stride": "pair1", "pad": "pair0"}, fuzz_ref=_checked(conv2d_ref, 1)),
    OpSpec("deconv2d", lambda x, W, b: F.deconv2d(x, W, b, stride=2, pad=1),
           lambda x, W, b: deconv2d_ref(x, W, b, 2, 1), [((2, 2, 3, 3), (2, 3, 3, 3), (3,))],
           fuzz_args={"stride": "pair1", "pad": "pair0"}, fuzz_ref=_deconv_checked),
    OpSpec("deconv2d", lambda x, W: F.deconv2d(x, W, stride=(2, 1), pad=(0, 1), outsize=(8, 3)),
           lambda x, W: deconv2d_ref(x, W, None, (2, 1), (0, 1), (8, 3)),
           [((1, 2, 3, 4), (2, 2, 3, 2))], label="deconv2d-outsize"),
    OpSpec("im2col", lambda x: F.im2col(x, (2, 3), stride=(2, 1), pad=1),
           lambda x: im2col_ref(x, (2, 3), (2, 1), 1), [((2, 2, 4, 4),)],
           fuzz_args=WINDOW, fuzz_ref=_checked(im2col_ref)),
    OpSpec("im2col", lambda x: F.im2col(x, 3, stride=2, pad=1, to_matrix=False),
           lambda x: im2col_ref(x, 3, 2, 1, False), [((1, 2, 5, 5),)], label="im2col-6d"),
    OpSpec("col2im", lambda c: F.col2im(c, (2, 2, 4, 4), (2, 3), stride=(2, 1), pad=1),
           lambda c: col2im_ref(c, (2, 2, 4, 4), (2, 3), (2, 1), 1), [((),)],
           make=_col_for((2, 2, 4, 4), (2, 3), (2, 1), 1, True)),
    OpSpec("col2im", lambda c: F.col2im(c, (1, 2, 5, 5), 3, stride=2, pad=1, to_matrix=False),
           lambda c: col2im_ref(c, (1, 2, 5, 5), 3, 2, 1, False), [((),)],
           make=_col_for((1, 2, 5, 5), 3, 2, 1, False), label="col2im-6d"),
    OpSpec("pooling", lambda x: F.pooling(x, 2, stride=2, pad=1),
           lambda x: max_pooling_ref(x, 2, 2, 1), [(X,)],
           fuzz_args=WINDOW, fuzz_ref=_checked(max_pooling_ref, max_pool=True)),
    OpSpec("pooling", lambda x: F.pooling(x, (2, 3), stride=(1, 2), pad=(1, 1)),
           lambda x: max_pooling_ref(x, (2, 3), (1, 2), (1, 1)), [((1, 2, 4, 5),)],
           label="pooling-nonsquare"),
    # All inputs negative: a zero-padded border would win every border window.
    OpSpec("pooling", lambda x: F.pooling(x, 3, stride=2, pad=1),
           lambda x: max_pooling_ref(x, 3, 2, 1), [(X,)], domain=(-3.0, -1.0),
           label="pooling-negative"),
    OpSpec("average_pooling", lambda x: F.average_pooling(x, (2, 3), stride=(1, 2)),
           lambda x: average_pooling_ref(x, (2, 3), (1, 2)), [(X,)],
           fuzz_args=WINDOW, fuzz_ref=_checked(average_pooling_ref)),
    OpSpec("average_pooling", lambda x: F.average_pooling(x, 3, stride=2, pad=1),
           lambda x: average_pooling_ref(x, 3, 2, 1), [(X,)], label="average_pooling-pad"),
]
