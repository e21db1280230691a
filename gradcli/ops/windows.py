"""The internal operations under nn's convolution and pooling layers: the
correlation of every window of an input with a kernel (PyTorch's conv), its
two adjoints (the input's gradient, a transposed convolution, and the
weight's, a correlation of the input with the cotangent), and the largest
element of every window. Each is the gradient of the others, so gradients
of gradients need nothing more.

They take any number of spatial axes, arrays of shape (N, C, *spatial), and
geometry already normalised by nn.py: one stride and dilation per axis,
padding as a (before, after) pair per axis. A window is read as one strided
slice of the padded input per kernel offset (the only loop, over the kh·kw
offsets), stacked into columns that one batched matmul contracts: NumPy's
sliding_window_view has no counterpart in the array namespace every backend
promises (tests/backends.py)."""
from __future__ import annotations

import itertools
import math

from gradcli.autograd.engine import backend_of
from gradcli.autograd.tensor import data_of
from gradcli.ops import nn_reference
from gradcli.ops.core import F, Op, case

GEOMETRY = "stride:key, padding:key, dilation:key, groups:int"


def out_sizes(sizes, kernel, stride, padding, dilation) -> tuple:
    """The number of windows along each spatial axis."""
    return tuple((n + lo + hi - d * (k - 1) - 1) // s + 1
                 for n, k, s, (lo, hi), d in zip(sizes, kernel, stride, padding, dilation))


def _slices(kernel, stride, dilation, out):
    """For each kernel offset (in row-major order), the slices of the padded
    input that the offset meets, one element per window."""
    for k in itertools.product(*map(range, kernel)):
        yield (slice(None), slice(None)) + tuple(slice(i * d, i * d + (o - 1) * s + 1, s)
                                                 for i, s, d, o in zip(k, stride, dilation, out))


def _taps(xp, x, kernel, stride, padding, dilation, fill=0.0):
    """For each kernel offset, the elements of x (padded with fill) it meets,
    one per window, (N, C, *windows); and the windows' counts per axis."""
    out = out_sizes(x.shape[2:], kernel, stride, padding, dilation)
    if any(lo or hi for lo, hi in padding):
        x = xp.pad(x, ((0, 0), (0, 0)) + tuple(padding), constant_values=fill)
    return [x[s] for s in _slices(kernel, stride, dilation, out)], out


def _columns(xp, x, kernel, stride, padding, dilation, fill=0.0):
    """(N, C, kernel offsets, *windows): every window of x padded with fill."""
    taps, out = _taps(xp, x, kernel, stride, padding, dilation, fill)
    return xp.stack(taps, axis=2), out


def _conv(bk, x, w, stride, padding, dilation, groups):
    xp = bk.xp
    cols, out = _columns(xp, x, w.shape[2:], stride, padding, dilation)
    n, o = x.shape[0], w.shape[0]
    cols = xp.reshape(cols, (n, groups, -1, math.prod(out)))
    y = xp.matmul(xp.reshape(w, (groups, o // groups, -1)), cols)
    return xp.reshape(y, (n, o) + out)


# The adjoints go one kernel offset at a time, so that no array of all the
# windows (kh·kw times the input) is made: on the CPU that is memory the
# system maps afresh on every call, and costs more than the arithmetic.


def _conv_input(bk, g, w, stride, padding, dilation, groups, size):
    """The adjoint of _conv in x: each window's share of g, added back where the window lies."""
    xp = bk.xp
    (n, o), out = g.shape[:2], tuple(g.shape[2:])
    taps = xp.reshape(w, (groups, o // groups, w.shape[1], -1))
    g = xp.reshape(g, (n, groups, o // groups, -1))
    padded = xp.zeros((n, w.shape[1] * groups) + tuple(s + lo + hi for s, (lo, hi) in zip(size, padding)),
                      dtype=g.dtype)
    for i, s in enumerate(_slices(w.shape[2:], stride, dilation, out)):
        padded[s] += xp.reshape(xp.matmul(xp.swapaxes(taps[..., i], 1, 2), g), padded[s].shape)
    return padded[(slice(None), slice(None)) + tuple(slice(lo, lo + s) for s, (lo, _) in zip(size, padding))]


def _conv_weight(bk, x, g, stride, padding, dilation, groups, kernel):
    """The adjoint of _conv in w: g correlated with x's windows, summed over the batch."""
    xp = bk.xp
    taps, _ = _taps(xp, x, kernel, stride, padding, dilation)
    n, o = g.shape[:2]
    g = xp.reshape(g, (n, groups, o // groups, -1))
    w = [xp.sum(xp.matmul(g, xp.swapaxes(xp.reshape(t, (n, groups, -1, g.shape[-1])), 2, 3)), axis=0) for t in taps]
    return xp.reshape(xp.stack(w, axis=-1), (o, x.shape[1] // groups) + tuple(kernel))


def _max_pool(bk, x, kernel, stride, padding, dilation):
    cols, _ = _columns(bk.xp, x, kernel, stride, padding, dilation, fill=-bk.xp.inf)
    return bk.xp.max(cols, axis=2)


def _selected(xp, x, kernel, stride, padding, dilation):
    """Where each window's maximum lies in x, as index arrays (n, c, *position)
    of the windows' shape: PyTorch's choice, the first largest element in
    row-major order, the last nan if there is one, the first element inside
    x when all are -inf."""
    cols, out = _columns(xp, x, kernel, stride, padding, dilation, fill=-xp.inf)
    inside, _ = _columns(xp, xp.ones(x.shape, dtype=bool), kernel, stride, padding, dilation, fill=False)
    count = math.prod(kernel)
    k = xp.reshape(xp.arange(count), (1, 1, count) + (1,) * len(out))
    top = xp.max(cols, axis=2, keepdims=True)
    score = xp.where(xp.logical_and(inside, xp.isnan(cols)), 2 * count + k,
                     xp.where(xp.logical_and(inside, cols == top), count - k, 0))
    pick, step = xp.argmax(score, axis=2), count
    key = [_along(xp, x.shape[0], 0, x.ndim), _along(xp, x.shape[1], 1, x.ndim)]
    for axis, (size, s, (lo, _), d, o) in enumerate(zip(kernel, stride, padding, dilation, out), start=2):
        step //= size
        key.append(_along(xp, o, axis, x.ndim) * s + (pick // step) % size * d - lo)
    return tuple(key)


def _along(xp, n, axis, ndim):
    """0..n-1 along one axis of ndim."""
    return xp.reshape(xp.arange(n), tuple(n if i == axis else 1 for i in range(ndim)))


def _max_pool_grad(g, y, x, kernel, stride, padding, dilation):
    # The window's maximum is an index into x, data: g goes there, ties and all
    # to one element (PyTorch's), and the second order is indexing's own.
    return F.scatter(g, key=_selected(backend_of(x).xp, data_of(x), kernel, stride, padding, dilation), shape=x.shape)


# ---- on a batch: its items side by side along the channel axis, each a
# group of channels of its own, so that one grouped call covers the batch


def _in_channels(b, t):
    """(batch, N, C, ...) as (N, batch·C, ...)."""
    t = F.transpose(b.expanded(t), dim0=0, dim1=1)
    return F.reshape(t, shape=(t.shape[0], b.n * t.shape[2]) + t.shape[3:])


def _out_channels(b, t):
    """(N, batch·C, ...) as (batch, N, C, ...)."""
    t = F.reshape(t, shape=(t.shape[0], b.n, t.shape[1] // b.n) + t.shape[2:])
    return F.transpose(t, dim0=0, dim1=1)


def _grouped(b, op, inputs, params, run):
    """conv_nd and conv_nd_input: the weights (batch, O, ...) stacked as (batch·O, ...)."""
    x, w = inputs
    w = b.expanded(w)
    w = F.reshape(w, shape=(b.n * w.shape[1],) + w.shape[2:])
    return _out_channels(b, run(op, (_in_channels(b, x), w), {**params, "groups": params["groups"] * b.n}))


def _grouped_weight(b, op, inputs, params, run):
    """conv_nd_weight: the weights found, (batch·O, ...), as (batch, O, ...)."""
    w = run(op, tuple(_in_channels(b, t) for t in inputs), {**params, "groups": params["groups"] * b.n})
    return F.reshape(w, shape=(b.n, w.shape[0] // b.n) + w.shape[1:])


def _pooled(b, op, inputs, params, run):
    (x,) = inputs
    return _out_channels(b, run(op, (_in_channels(b, x),), params))


def _cases(x_shape, w_shape, **geometry):
    """One geometry as an example of each of the three: conv, and its two adjoints."""
    out = out_sizes(x_shape[2:], w_shape[2:], geometry["stride"], geometry["padding"], geometry["dilation"])
    g_shape = (x_shape[0], w_shape[0]) + out
    return (case(x_shape, w_shape, **geometry), case(g_shape, w_shape, size=x_shape[2:], **geometry),
            case(x_shape, g_shape, kernel=w_shape[2:], **geometry))


CASES = list(zip(
    _cases((2, 4, 5, 4), (4, 2, 3, 2), stride=(2, 1), padding=((1, 0), (2, 1)), dilation=(1, 2), groups=2),
    _cases((1, 2, 7), (3, 2, 2), stride=(2,), padding=((0, 1),), dilation=(2,), groups=1),
    _cases((2, 1, 3, 3), (2, 1, 1, 1), stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1), groups=1)))

OPS = [
    Op("conv_nd", "x, weight, " + GEOMETRY, forward=_conv, batch=_grouped,
       grads=(lambda g, y, x, w, **p: F.conv_nd_input(g, w, size=x.shape[2:], **p),
              lambda g, y, x, w, **p: F.conv_nd_weight(x, g, kernel=w.shape[2:], **p)),
       reference=nn_reference.conv_nd, examples=CASES[0], family="nn", builtin=False,
       doc="each window of x (padded) correlated with weight: PyTorch's convolution, any spatial axes",
       explain={"x": ("{weight}, slid back over x", "g through the transposed convolution"),
                "weight": ("the windows of {x}", "g correlated with the windows of {x}")}),
    Op("conv_nd_input", "g, weight, " + GEOMETRY + ", size:shape", forward=_conv_input, batch=_grouped,
       grads=(lambda h, y, g, w, size, **p: F.conv_nd(h, w, **p),
              lambda h, y, g, w, size, **p: F.conv_nd_weight(h, g, kernel=w.shape[2:], **p)),
       reference=nn_reference.conv_nd_input, examples=CASES[1], family="nn", builtin=False,
       doc="the gradient of conv_nd in x: g spread back over the windows (a transposed convolution)",
       explain={"g": ("{weight}, over each window", "g convolved with {weight}"),
                "weight": ("{g}", "the windows of g correlated with {g}")}),
    Op("conv_nd_weight", "x, g, " + GEOMETRY + ", kernel:shape", forward=_conv_weight, batch=_grouped_weight,
       grads=(lambda h, y, x, g, kernel, **p: F.conv_nd_input(g, h, size=x.shape[2:], **p),
              lambda h, y, x, g, kernel, **p: F.conv_nd(x, h, **p)),
       reference=nn_reference.conv_nd_weight, examples=CASES[2], family="nn", builtin=False,
       doc="the gradient of conv_nd in weight: x's windows correlated with g",
       explain={"x": ("{g}, over each window", "g through the transposed convolution with {g}"),
                "g": ("the windows of {x}", "the windows of {x} correlated with g")}),
    Op("max_pool_nd", "x, kernel:shape, stride:key, padding:key, dilation:key", forward=_max_pool, batch=_pooled,
       grads=(_max_pool_grad,), reference=nn_reference.max_pool_nd, family="nn", builtin=False,
       examples=(case((2, 2, 5, 4), kernel=(3, 2), stride=(2, 1), padding=((1, 1), (0, 1)), dilation=(1, 2)),
                 case((1, 3, 6), kernel=(2,), stride=(2,), padding=((0, 1),), dilation=(1,))),
       doc="the largest element of each window of x (padded with -inf)",
       explain=("1 at each window's largest element, else 0", "g to each window's largest element")),
]
