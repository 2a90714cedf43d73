"""im2col/col2im, 2-d convolution and transposed convolution (NCHW).

``im2col`` copies every KH×KW window of a padded image into a column array of
shape (N, C, KH, KW, OH, OW) (or the matrix (N·OH·OW, C·KH·KW)); ``col2im``
adds such columns back into an image.  The two are adjoint linear maps, so each
is the other's backward.  The array-level helpers are vectorised: im2col is one
strided view of the padded input, col2im a loop over the KH·KW kernel offsets
(never over pixels or channels).  Both work on CuPy arrays too.

The backward of :func:`conv2d` is a :func:`deconv2d` (for x) and a
:class:`Conv2dGradW` (for W); the backward of :func:`deconv2d` is a
:func:`conv2d` and a :class:`Conv2dGradW`; and the backward of
:class:`Conv2dGradW` is again a conv2d and a deconv2d.  The three are bilinear
maps that are each other's adjoints, which is why the gradient of a gradient
works (the original DeZero's conv backward was not differentiable).

(This module is not called ``im2col``: a submodule named like one of the
functions that ``dezero.functions`` exports would be shadowed by it.)
"""
from __future__ import annotations

import threading
from typing import Any, Callable

import numpy as np

from dezero import cuda
from dezero.core import Function, Variable, as_variable
from dezero.functions.linalg import linear
from dezero.functions.reduction import sum
from dezero.utils.arrays import get_conv_outsize, get_deconv_outsize
from dezero.utils.checks import as_pair, as_shape

IntOrPair = Any  # an int, or a pair (height, width) of ints


def conv_geometry(who: str, input_shape: tuple[int, ...], kernel_size: IntOrPair,
                  stride: IntOrPair, pad: IntOrPair
                  ) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int], tuple[int, int]]:
    """((KH, KW), (SY, SX), (PH, PW), (OH, OW)) of a window sweep over an NCHW input.

    Raises TypeError naming ``who`` and the argument for a size that is not an int or a
    pair of ints, ValueError when the input is not 4-d, a size is out of range, or the
    padded input is smaller than the kernel.
    """
    if len(input_shape) != 4:
        raise ValueError(f"{who}: expected a 4-d input (N, C, H, W), "
                         f"got shape {tuple(input_shape)}")
    kh, kw = as_pair(kernel_size, who, "kernel_size", minimum=1)
    sy, sx = as_pair(stride, who, "stride", minimum=1)
    ph, pw = as_pair(pad, who, "pad", minimum=0)
    h, w = input_shape[2:]
    oh, ow = get_conv_outsize(h, kh, sy, ph), get_conv_outsize(w, kw, sx, pw)
    if oh < 1 or ow < 1:
        raise ValueError(f"{who}: a {kh}x{kw} kernel does not fit an input of shape "
                         f"{tuple(input_shape)} padded by {(ph, pw)}; pad more or use a "
                         "smaller kernel")
    return (kh, kw), (sy, sx), (ph, pw), (oh, ow)


def pad_image(img: Any, ph: int, pw: int, pad_value: float, xp: Any) -> Any:
    """A new contiguous (N, C, H + 2·PH, W + 2·PW) copy of ``img`` with a ``pad_value`` border.

    One allocation and one copy (``xp.pad`` is several times slower on small images)."""
    n, c, h, w = img.shape
    out = xp.empty((n, c, h + 2 * ph, w + 2 * pw), dtype=img.dtype)
    if ph:
        out[:, :, :ph] = pad_value
        out[:, :, ph + h:] = pad_value
    if pw:
        out[:, :, ph:ph + h, :pw] = pad_value
        out[:, :, ph:ph + h, pw + w:] = pad_value
    out[:, :, ph:ph + h, pw:pw + w] = img
    return out


def _clipped(offset: int, stride: int, pad: int, out_len: int, size: int) -> tuple[slice, slice]:
    """(window positions, image positions) of kernel offset ``offset`` along one axis: the
    windows p whose element at that offset, p·stride + offset − pad, lies inside [0, size)."""
    first = max(0, -(-(pad - offset) // stride))
    last = min(out_len - 1, (size - 1 + pad - offset) // stride)
    if last < first:
        return slice(0, 0), slice(0, 0)
    start = first * stride + offset - pad
    return slice(first, last + 1), slice(start, start + (last - first) * stride + 1, stride)


def window_view(img: Any, kernel_size: IntOrPair, stride: IntOrPair, pad: IntOrPair,
                pad_value: float = 0) -> Any:
    """A strided view (N, C, KH, KW, OH, OW) of the windows of ``img`` padded with ``pad_value``.

    The windows overlap in memory and the view may alias ``img``: copy it
    before handing it out or writing to it.
    """
    (kh, kw), (sy, sx), (ph, pw), (oh, ow) = conv_geometry("im2col", img.shape, kernel_size,
                                                           stride, pad)
    xp = cuda.get_array_module(img)
    if ph or pw:
        img = pad_image(img, ph, pw, pad_value, xp)
    else:
        img = xp.ascontiguousarray(img)
    n, c = img.shape[:2]
    s_n, s_c, s_h, s_w = img.strides
    return xp.lib.stride_tricks.as_strided(
        img, shape=(n, c, kh, kw, oh, ow), strides=(s_n, s_c, s_h, s_w, s_h * sy, s_w * sx))


def im2col_array(img: Any, kernel_size: IntOrPair, stride: IntOrPair, pad: IntOrPair,
                 to_matrix: bool = True) -> Any:
    """The KH×KW windows of ``img`` (N, C, H, W), zero-padded, as a new array of columns.

    Returns (N, C, KH, KW, OH, OW), or with ``to_matrix`` the matrix
    (N·OH·OW, C·KH·KW) whose rows are flattened windows.
    """
    windows = window_view(img, kernel_size, stride, pad)
    if to_matrix:
        n, c, kh, kw, oh, ow = windows.shape
        return windows.transpose(0, 4, 5, 1, 2, 3).copy().reshape(n * oh * ow, c * kh * kw)
    return windows.copy()


def add_windows(plane_at: Callable[[int, int], Any], img_shape: tuple[int, ...],
                kernel_size: IntOrPair, stride: IntOrPair, pad: IntOrPair, dtype: Any,
                xp: Any) -> Any:
    """Sum window contributions into a new image of ``img_shape`` (N, C, H, W).

    ``plane_at(i, j)`` gives, for every window, the value (N, C, OH, OW) to add at
    kernel offset (i, j); the padded border is cut off at the end.  The one loop
    over kernel offsets that col2im, pooling and their gradients share.
    """
    (kh, kw), (sy, sx), (ph, pw), (oh, ow) = conv_geometry("col2im", img_shape, kernel_size,
                                                           stride, pad)
    n, c, h, w = img_shape
    img = xp.zeros((n, c, h, w), dtype=dtype)
    # Straight into the unpadded image: each kernel offset adds only the windows whose
    # element at that offset falls inside it (no padded buffer, no cropping copy).
    # Within one kernel offset the target pixels are distinct, so += is exact.
    for i in range(kh):
        src_r, dst_r = _clipped(i, sy, ph, oh, h)
        for j in range(kw):
            src_c, dst_c = _clipped(j, sx, pw, ow, w)
            plane = plane_at(i, j)
            if getattr(plane, "ndim", 0) == 4:
                plane = plane[:, :, src_r, src_c]
            img[:, :, dst_r, dst_c] += plane
    return img


def _col2im_geometry(col_shape: tuple[int, ...], img_shape: tuple[int, ...],
                     kernel_size: IntOrPair, stride: IntOrPair, pad: IntOrPair,
                     to_matrix: bool) -> tuple:
    """:func:`conv_geometry` of col2im, after checking that columns of ``col_shape`` fit an
    image of ``img_shape``."""
    geometry = conv_geometry("col2im", img_shape, kernel_size, stride, pad)
    (kh, kw), (sy, sx), (ph, pw), (oh, ow) = geometry
    n, c = img_shape[:2]
    expected = (n * oh * ow, c * kh * kw) if to_matrix else (n, c, kh, kw, oh, ow)
    if tuple(col_shape) != expected:
        raise ValueError(f"col2im: columns of shape {tuple(col_shape)} do not match an image "
                         f"of shape {tuple(img_shape)} with kernel {(kh, kw)}, stride "
                         f"{(sy, sx)} and pad {(ph, pw)}; expected {expected}")
    return geometry


def col2im_array(col: Any, img_shape: tuple[int, ...], kernel_size: IntOrPair,
                 stride: IntOrPair, pad: IntOrPair, to_matrix: bool = True) -> Any:
    """Sum columns back into an image of ``img_shape`` (N, C, H, W): the adjoint of im2col.

    ``col`` is (N, C, KH, KW, OH, OW), or with ``to_matrix`` (N·OH·OW, C·KH·KW).
    """
    (kh, kw), (sy, sx), (ph, pw), (oh, ow) = _col2im_geometry(col.shape, img_shape, kernel_size,
                                                              stride, pad, to_matrix)
    n, c = img_shape[:2]
    if to_matrix:
        col = col.reshape(n, oh, ow, c, kh, kw).transpose(0, 3, 4, 5, 1, 2)
    return add_windows(lambda i, j: col[:, :, i, j], img_shape, (kh, kw), (sy, sx), (ph, pw),
                       col.dtype, cuda.get_array_module(col))


# -- scratch memory -----------------------------------------------------------
# The column arrays of conv2d's forward and of its backward (im2col of x, and the
# deconvolution's columns before col2im) live only inside one forward call.  Freed and
# allocated afresh on every call, multi-megabyte arrays make glibc's malloc hand memory
# back to the kernel and fault it in again (measured: about 950 page faults and 1 ms of
# 5 per forward + backward of a 16->32 3x3 conv on a 32x16x14x14 batch).  So each
# thread keeps one reusable buffer, up to _SCRATCH_LIMIT bytes; larger columns are
# allocated per call as before, so no more than that is ever held.
_SCRATCH_LIMIT = 32 * 2 ** 20
_scratch_local = threading.local()


def _scratch(shape: tuple[int, ...], dtype: Any, xp: Any) -> Any:
    """An uninitialised array of ``shape`` and ``dtype`` for use within one forward call
    only: it is this thread's scratch buffer (NumPy, at most _SCRATCH_LIMIT bytes), which
    the next call overwrites.  Never return it or keep it in a Function."""
    dtype = np.dtype(dtype)
    nbytes = dtype.itemsize
    for d in shape:
        nbytes *= d
    if xp is not np or nbytes > _SCRATCH_LIMIT:
        return xp.empty(shape, dtype=dtype)
    buf = getattr(_scratch_local, "buf", None)
    if buf is None or buf.nbytes < nbytes:
        buf = _scratch_local.buf = np.empty(max(nbytes, 1), dtype=np.uint8)
    return buf[:nbytes].view(dtype).reshape(shape)


def _scratch_columns(x: Any, kernel_size: tuple, stride: tuple, pad: tuple) -> Any:
    """:func:`im2col_array` (N, C, KH, KW, OH, OW) into the scratch buffer (see
    :func:`_scratch`): for the convolution's own GEMMs only."""
    windows = window_view(x, kernel_size, stride, pad)
    col = _scratch(windows.shape, windows.dtype, cuda.get_array_module(x))
    col[...] = windows
    return col


class Im2col(Function):
    """x -> its windows as columns; backward is Col2im."""

    def __init__(self, kernel_size: IntOrPair, stride: IntOrPair, pad: IntOrPair,
                 to_matrix: bool) -> None:
        self.kernel_size, self.stride, self.pad = kernel_size, stride, pad
        self.to_matrix = to_matrix

    def forward(self, x):
        self.input_shape = x.shape
        return im2col_array(x, self.kernel_size, self.stride, self.pad, self.to_matrix)

    def backward(self, gy):
        return col2im(gy, self.input_shape, self.kernel_size, self.stride, self.pad,
                      self.to_matrix)


class Col2im(Function):
    """columns -> the image they sum to; backward is Im2col."""

    def __init__(self, input_shape: tuple[int, ...], kernel_size: IntOrPair, stride: IntOrPair,
                 pad: IntOrPair, to_matrix: bool) -> None:
        self.input_shape = tuple(input_shape)
        self.kernel_size, self.stride, self.pad = kernel_size, stride, pad
        self.to_matrix = to_matrix

    def forward(self, col):
        return col2im_array(col, self.input_shape, self.kernel_size, self.stride, self.pad,
                            self.to_matrix)

    def backward(self, gx):
        return im2col(gx, self.kernel_size, self.stride, self.pad, self.to_matrix)


def im2col(x: Any, kernel_size: IntOrPair, stride: IntOrPair = 1, pad: IntOrPair = 0,
           to_matrix: bool = True) -> Variable:
    """The KH×KW windows of ``x`` (N, C, H, W), zero-padded: (N·OH·OW, C·KH·KW), or
    (N, C, KH, KW, OH, OW) when ``to_matrix`` is False.  Its backward is :func:`col2im`."""
    x = as_variable(x, "im2col")
    conv_geometry("im2col", x.shape, kernel_size, stride, pad)
    return Im2col(kernel_size, stride, pad, to_matrix)(x)


def col2im(x: Any, input_shape: Any, kernel_size: IntOrPair, stride: IntOrPair = 1,
           pad: IntOrPair = 0, to_matrix: bool = True) -> Variable:
    """Columns ``x`` (as :func:`im2col` makes them) summed back into an image of
    ``input_shape`` (N, C, H, W); overlapping windows add.  Its backward is :func:`im2col`."""
    x = as_variable(x, "col2im")
    input_shape = as_shape(input_shape, "col2im", "input_shape")
    _col2im_geometry(x.shape, input_shape, kernel_size, stride, pad, to_matrix)
    return Col2im(input_shape, kernel_size, stride, pad, to_matrix)(x)


# -- convolution ------------------------------------------------------------
def _bias_grad(gy: Variable) -> Variable:
    return sum(gy, axis=(0, 2, 3))


class Conv2d(Function):
    """y = conv2d(x, W) + b; backward: deconv2d for x, Conv2dGradW for W, a sum for b."""

    _who = "conv2d"

    def __init__(self, stride: IntOrPair, pad: IntOrPair, x_needs_grad: bool = True) -> None:
        self.stride = as_pair(stride, self._who, "stride")
        self.pad = as_pair(pad, self._who, "pad")
        self._x_needs_grad = x_needs_grad

    def forward(self, x, W, b=None):
        n = x.shape[0]
        oc, c, kh, kw = W.shape
        col = _scratch_columns(x, (kh, kw), self.stride, self.pad)
        oh, ow = col.shape[4:]
        # One batched GEMM: (OC, C·KH·KW) @ (N, C·KH·KW, OH·OW) -> contiguous (N, OC, OH·OW).
        y = W.reshape(oc, c * kh * kw) @ col.reshape(n, c * kh * kw, oh * ow)
        if b is not None:
            y += b.reshape(oc, 1)
        return y.reshape(n, oc, oh, ow)

    def backward(self, gy):
        x, W = self.inputs[:2]
        gx = (deconv2d(gy, W, None, self.stride, self.pad, outsize=x.shape[2:])
              if self._x_needs_grad else None)
        gW = Conv2dGradW(W.shape[2:], self.stride, self.pad)(x, gy)
        if len(self.inputs) == 2:
            return gx, gW
        return gx, gW, _bias_grad(gy)


class Deconv2d(Function):
    """y = deconv2d(x, W) + b; backward: conv2d for x, Conv2dGradW for W, a sum for b."""

    _who = "deconv2d"

    def __init__(self, stride: IntOrPair, pad: IntOrPair, outsize: tuple[int, int]) -> None:
        self.stride = as_pair(stride, self._who, "stride")
        self.pad = as_pair(pad, self._who, "pad")
        self.outsize = outsize

    def forward(self, x, W, b=None):
        n, c, h, w = x.shape
        oc, kh, kw = W.shape[1:]
        # gcol[n, oc, i, j, h, w] = Σ_c W[c, oc, i, j] x[n, c, h, w], then scatter-add it.
        xp = cuda.get_array_module(x)
        gcol = _scratch((n, oc * kh * kw, h * w), xp.result_type(W, x), xp)
        xp.matmul(W.reshape(c, oc * kh * kw).T, x.reshape(n, c, h * w), out=gcol)
        gcol = gcol.reshape(n, oc, kh, kw, h, w)
        y = col2im_array(gcol, (n, oc) + tuple(self.outsize), (kh, kw), self.stride, self.pad,
                         to_matrix=False)
        if b is not None:
            y += b.reshape(1, oc, 1, 1)
        return y

    def backward(self, gy):
        x, W = self.inputs[:2]
        gx = conv2d(gy, W, None, self.stride, self.pad)
        gW = Conv2dGradW(W.shape[2:], self.stride, self.pad)(gy, x)
        if len(self.inputs) == 2:
            return gx, gW
        return gx, gW, _bias_grad(gy)


class Conv2dGradW(Function):
    """The conv weight gradient gW[o, c, i, j] = Σ gy[n, o, p, q]·x_pad[n, c, p·SY + i, q·SX + j].

    Bilinear in (x, gy); its backward is a deconv2d (for x) and a conv2d (for gy),
    so second derivatives of conv2d and deconv2d go through it (Chainer's idea).
    """

    _who = "conv2d"

    def __init__(self, kernel_size: tuple[int, int], stride: IntOrPair, pad: IntOrPair) -> None:
        self.kernel_size = tuple(kernel_size)
        self.stride = as_pair(stride, self._who, "stride")
        self.pad = as_pair(pad, self._who, "pad")

    def forward(self, x, gy):
        n, c = x.shape[:2]
        oc = gy.shape[1]
        kh, kw = self.kernel_size
        col = _scratch_columns(x, (kh, kw), self.stride, self.pad)
        oh, ow = col.shape[4:]
        # Per-sample GEMMs then a sum over the batch: much faster in NumPy than a
        # tensordot over (N, OH·OW), which copies both operands into 2-d layouts.  One
        # whole-batch GEMM (columns laid out (C·KH·KW, N·OH·OW)) is faster only while
        # OpenBLAS's second thread has a core to itself; when another process holds it,
        # that GEMM took 10-25× longer, the per-sample ones no longer.  col @ gyᵀ (giving
        # gWᵀ) runs about 1.4× faster than gy @ colᵀ in OpenBLAS at these sizes.
        gW_t = col.reshape(n, c * kh * kw, oh * ow) @ gy.reshape(n, oc, oh * ow).swapaxes(1, 2)
        return gW_t.sum(axis=0).T.reshape(oc, c, kh, kw)

    def backward(self, ggW):
        x, gy = self.inputs
        gx = deconv2d(gy, ggW, None, self.stride, self.pad, outsize=x.shape[2:])
        ggy = conv2d(x, ggW, None, self.stride, self.pad)
        return gx, ggy


def _check_bias(who: str, b: Any, out_channels: int, W: Variable) -> Variable | None:
    if b is None:
        return None
    b = as_variable(b, who)
    if b.shape != (out_channels,):
        raise ValueError(f"{who}: b must have shape ({out_channels},), one entry per output "
                         f"channel of W {tuple(W.shape)}, got {tuple(b.shape)}")
    return b


def _check_channels(who: str, x: Variable, W: Variable, w_axis: int, w_layout: str) -> None:
    """x and W must be 4-d, and W's axis ``w_axis`` must match x's channel count."""
    if x.ndim != 4 or W.ndim != 4:
        raise ValueError(f"{who}: x must be 4-d (N, C, H, W) and W 4-d {w_layout}, got shapes "
                         f"{tuple(x.shape)} and {tuple(W.shape)}")
    if x.shape[1] != W.shape[w_axis]:
        raise ValueError(f"{who}: x {tuple(x.shape)} has {x.shape[1]} channels but W "
                         f"{tuple(W.shape)} expects {W.shape[w_axis]} (W is {w_layout})")


def conv2d(x: Any, W: Any, b: Any = None, stride: IntOrPair = 1, pad: IntOrPair = 0) -> Variable:
    """y[n, o] = Σ_c x[n, c] ⋆ W[o, c] + b[o]: 2-d cross-correlation of x (N, C, H, W) with
    W (OC, C, KH, KW), zero padding ``pad``; y is (N, OC, OH, OW).  Twice differentiable."""
    x_needs_grad = isinstance(x, Variable)
    x, W = as_variable(x, "conv2d"), as_variable(W, "conv2d")
    _check_channels("conv2d", x, W, 1, "(OC, C, KH, KW)")
    conv_geometry("conv2d", x.shape, W.shape[2:], stride, pad)
    b = _check_bias("conv2d", b, W.shape[0], W)
    func = Conv2d(stride, pad, x_needs_grad)
    return func(x, W) if b is None else func(x, W, b)


def deconv2d(x: Any, W: Any, b: Any = None, stride: IntOrPair = 1, pad: IntOrPair = 0,
             outsize: Any = None) -> Variable:
    """Transposed convolution (the adjoint of :func:`conv2d` in x): x (N, C, H, W) and
    W (C, OC, KH, KW) give y (N, OC, OH, OW) with OH = SY·(H − 1) + KH − 2·PH unless
    ``outsize`` picks another size that conv2d maps back to H.  Twice differentiable."""
    x, W = as_variable(x, "deconv2d"), as_variable(W, "deconv2d")
    _check_channels("deconv2d", x, W, 0, "(C, OC, KH, KW)")
    sy, sx = as_pair(stride, "deconv2d", "stride", minimum=1)
    ph, pw = as_pair(pad, "deconv2d", "pad", minimum=0)
    kh, kw = W.shape[2:]
    h, w = x.shape[2:]
    if min(kh, kw) < 1:
        raise ValueError(f"deconv2d: W {tuple(W.shape)} has an empty kernel; KH and KW must "
                         "be positive")
    if outsize is None:
        outsize = (get_deconv_outsize(h, kh, sy, ph), get_deconv_outsize(w, kw, sx, pw))
    outsize = as_pair(outsize, "deconv2d", "outsize")
    if min(outsize) < 0 or (get_conv_outsize(outsize[0], kh, sy, ph),
                            get_conv_outsize(outsize[1], kw, sx, pw)) != (h, w):
        raise ValueError(f"deconv2d: output size {outsize} is not one that a conv2d with kernel "
                         f"{(kh, kw)}, stride {(sy, sx)} and pad {(ph, pw)} maps to the input's "
                         f"{(h, w)} (x {tuple(x.shape)}); leave outsize=None for the smallest")
    b = _check_bias("deconv2d", b, W.shape[1], W)
    func = Deconv2d((sy, sx), (ph, pw), outsize)
    return func(x, W) if b is None else func(x, W, b)


def conv2d_simple(x: Any, W: Any, b: Any = None, stride: IntOrPair = 1,
                  pad: IntOrPair = 0) -> Variable:
    """The book's conv2d: im2col, then one linear layer; same result as :func:`conv2d`."""
    x, W = as_variable(x, "conv2d_simple"), as_variable(W, "conv2d_simple")
    _check_channels("conv2d_simple", x, W, 1, "(OC, C, KH, KW)")
    n = x.shape[0]
    oc, c, kh, kw = W.shape
    oh, ow = conv_geometry("conv2d_simple", x.shape, (kh, kw), stride, pad)[3]
    b = _check_bias("conv2d_simple", b, oc, W)
    col = im2col(x, (kh, kw), stride, pad, to_matrix=True)
    y = linear(col, W.reshape(oc, c * kh * kw).T, b)  # not -1: ambiguous when OC is 0
    return y.reshape(n, oh, ow, oc).transpose(0, 3, 1, 2)
