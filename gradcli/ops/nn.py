"""Layers of torch.nn.functional: convolution, pooling, normalisation,
dropout and embedding, with PyTorch's names, arguments and gradients.

Each builtin is composed of table ops, so its gradients (and theirs) are
those ops' rules: convolution and pooling run windows.py's internal
operations, whose gradients are each other's; the normalisations are means,
variances and arithmetic; embedding is indexing. Here the arguments are
checked by PyTorch's rules, and the geometry normalised (an int per spatial
axis, padding as (before, after) pairs) before it reaches the windows.

An optional array (a bias, a weight) defaults to the number that leaves
the result unchanged (bias=0, weight=1): the language has no None array.

On a batch (ops/batching.py) a layer runs as its impl does, its ops each by
its own rule; embedding and batch_norm, which read arrays as indices or
constants, have rules of their own.

Long: eight layers, each with PyTorch's argument checks, which its batch
rule relies on; the checks are shared among the layers, so they stay here."""
from __future__ import annotations

import math

from gradcli.autograd.tensor import Tensor
from gradcli.errors import ArgumentError, ShapeError
from gradcli.ops import batching, nn_reference, windows
from gradcli.ops.binding import ints
from gradcli.ops.core import F, Op, at, case

LAYOUTS = {1: "(C, L)", 2: "(C, H, W)"}


def _per_axis(value, n, op, name, least=1):
    """An int, or one per spatial axis, as n ints (PyTorch also takes a 1-tuple)."""
    given = ints(value, f"{op}()'s {name}")
    if len(given) not in (1, n):
        raise ArgumentError(f"{op}: {name} is one number or {n}, not {len(given)}: {given}")
    if min(given) < least:
        raise ArgumentError(f"{op}: {name} must be {'positive' if least else 'at least 0'}, not {given}")
    return given * n if len(given) == 1 else given


def _batched(op, x, n):
    """x with a batch axis (one added to an unbatched input), and whether it had one."""
    if x.ndim not in (n + 1, n + 2):
        raise ShapeError(f"{op}: x must be {n + 1}-D {LAYOUTS[n]} or {n + 2}-D (N, {LAYOUTS[n][1:]}, "
                         f"got shape {x.shape}")
    return (x, True) if x.ndim == n + 2 else (F.unsqueeze(x, axis=0), False)


def _unbatched(y, batched):
    return y if batched else F.squeeze(y, axis=(0,))


def _given(t, neutral):
    """An optional array, or None where it is the number that changes nothing
    (the binding's default), so that the graph has no step that does nothing."""
    if t is None or t.ndim or t.requires_grad or t.bk.any(t.data != neutral):
        return t
    return None


# ---- convolution


def _conv_padding(op, padding, kernel, stride, dilation):
    if not isinstance(padding, str):
        return tuple((p, p) for p in _per_axis(padding, len(kernel), op, "padding", least=0))
    if padding not in ("valid", "same"):
        raise ArgumentError(f"{op}: padding is a number, one per axis, 'valid' or 'same', not {padding!r}")
    if padding == "same" and max(stride) > 1:
        raise ArgumentError(f"{op}: padding='same' needs stride 1 (as in PyTorch), not {stride}")
    spans = [d * (k - 1) if padding == "same" else 0 for k, d in zip(kernel, dilation)]
    return tuple((t // 2, t - t // 2) for t in spans)        # an odd span: the extra one after, as PyTorch


def _conv_geometry(op, n, x, weight, stride, padding, dilation, groups):
    """The geometry of conv_nd, checked against x (batched or not, as given) and weight."""
    channels, sizes = x.shape[-n - 1], x.shape[-n:]
    if weight.ndim != n + 2:
        raise ShapeError(f"{op}: weight must be {n + 2}-D (out_channels, in_channels/groups, kernel...), "
                         f"got shape {weight.shape}")
    if groups < 1 or weight.shape[0] % groups:
        raise ArgumentError(f"{op}: groups must divide weight's {weight.shape[0]} output channels, not {groups}")
    if weight.shape[1] * groups != channels:
        each = f" per group ({weight.shape[1] * groups} for {groups} groups)" if groups > 1 else ""
        raise ShapeError(f"{op}: weight has {weight.shape[1]} input channels{each}, input {channels} "
                         f"(x of shape {x.shape}, weight {weight.shape})")
    stride, dilation = _per_axis(stride, n, op, "stride"), _per_axis(dilation, n, op, "dilation")
    kernel = weight.shape[2:]
    pads = _conv_padding(op, padding, kernel, stride, dilation)
    if min(windows.out_sizes(sizes, kernel, stride, pads, dilation)) < 1:
        raise ShapeError(f"{op}: the kernel {kernel} (dilation {dilation}) is larger than the padded input "
                         f"{tuple(s + lo + hi for s, (lo, hi) in zip(sizes, pads))}")
    return {"stride": stride, "padding": pads, "dilation": dilation, "groups": groups}


def _conv(op, n):
    def conv(x, weight, bias=None, *, stride, padding, dilation, groups):
        xs, batched = _batched(op, x, n)
        y = F.conv_nd(xs, weight, **_conv_geometry(op, n, x, weight, stride, padding, dilation, groups))
        bias = _given(bias, 0)
        if bias is not None and bias.ndim:
            if bias.shape != (weight.shape[0],):
                raise ShapeError(f"{op}: bias has shape {bias.shape}, weight {weight.shape[0]} output channels")
            bias = F.reshape(bias, shape=bias.shape + (1,) * n)
        return _unbatched(y if bias is None else y + bias, batched)
    return conv


# ---- pooling


def _pool_geometry(op, x, kernel_size, stride, padding, dilation, ceil_mode):
    """The windows' geometry on x's last two axes, and how many windows there
    are along each (PyTorch's rule: with ceil_mode a last, partial window, if
    it starts inside x or its padding before; the padding after is widened to
    hold it)."""
    n = 2
    kernel = _per_axis(kernel_size, n, op, "kernel_size")
    stride = kernel if stride is None else _per_axis(stride, n, op, "stride")
    dilation, pad = _per_axis(dilation, n, op, "dilation"), _per_axis(padding, n, op, "padding", least=0)
    spans = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    if any(p > k // 2 for p, k in zip(pad, kernel)):
        raise ArgumentError(f"{op}: padding {pad} is more than half the kernel {kernel}, as PyTorch requires")
    out = []
    for size, s, p, span in zip(x.shape[-n:], stride, pad, spans):
        count = (size + 2 * p - span + (s - 1 if ceil_mode else 0)) // s + 1
        out.append(count - (ceil_mode and (count - 1) * s >= size + p))
    if min(out) < 1:
        raise ShapeError(f"{op}: x of shape {x.shape} is smaller than the kernel {kernel} with padding {pad}")
    pads = tuple((p, max(0, (o - 1) * s + span - size - p)) for size, s, p, span, o in
                 zip(x.shape[-n:], stride, pad, spans, out))
    return {"kernel": kernel, "stride": stride, "padding": pads, "dilation": dilation}, out


def _max_pool2d(x, *, kernel_size, stride, padding, dilation, ceil_mode):
    xs, batched = _batched("max_pool2d", x, 2)
    geometry, _ = _pool_geometry("max_pool2d", x, kernel_size, stride, padding, dilation, ceil_mode)
    return _unbatched(F.max_pool_nd(xs, **geometry), batched)


def _avg_pool2d(x, *, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    # The sum of each window is a convolution of each channel with a kernel of ones.
    xs, batched = _batched("avg_pool2d", x, 2)
    geometry, out = _pool_geometry("avg_pool2d", x, kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override == 0:
        raise ArgumentError("avg_pool2d: divisor_override cannot be 0")
    (n, c), kernel = xs.shape[:2], geometry.pop("kernel")
    ones = Tensor.constant(x.bk.xp.ones((1, 1) + kernel), x.bk)
    sums = F.conv_nd(F.reshape(xs, shape=(n * c, 1) + x.shape[-2:]), ones, groups=1, **geometry)
    divisor = divisor_override or _counts(x, kernel, geometry, out, count_include_pad)
    return _unbatched(F.reshape(sums, shape=(n, c) + tuple(out)) / divisor, batched)


def _counts(x, kernel, geometry, out, count_include_pad):
    """avg_pool2d's divisor for each window: its elements inside x, or inside
    x and its padding (PyTorch's count_include_pad), a partial last window
    counting only what it covers."""
    per_axis = []
    for size, k, s, (p, _), o in zip(x.shape[-2:], kernel, geometry["stride"], geometry["padding"], out):
        starts = [i * s - p for i in range(o)]
        ends = [min(a + k, size + p) for a in starts]
        per_axis.append([b - a if count_include_pad else min(b, size) - max(a, 0) for a, b in zip(starts, ends)])
    rows, cols = per_axis
    return Tensor.constant([[r * q for q in cols] for r in rows], x.bk)


# ---- normalisation, dropout, embedding


def _standardized(x, axes, eps, mean=None, var=None):
    """(x - mean) / sqrt(var + eps), the statistics over axes unless given."""
    if mean is None:
        mean, var = F.mean(x, axis=axes, keepdims=True), F.var(x, axis=axes, correction=0, keepdims=True)
    return (x - mean) / F.sqrt(var + eps)


def _scaled(y, weight, bias, shape):
    """y * weight + bias, each reshaped to broadcast (a number as it is)."""
    for t, combine in ((_given(weight, 1), Tensor.__mul__), (_given(bias, 0), Tensor.__add__)):
        if t is not None:
            y = combine(y, F.reshape(t, shape=shape) if t.ndim else t)
    return y


def _check_shapes(op, want, what, **arrays):
    for name, t in arrays.items():
        if t is not None and t.ndim and t.shape != want:
            raise ShapeError(f"{op}: {name} has shape {t.shape}, {what}")


def _layer_norm(x, weight=None, bias=None, *, normalized_shape, eps):
    shape = tuple(normalized_shape)
    if not shape or x.shape[max(x.ndim - len(shape), 0):] != shape or len(shape) > x.ndim:
        raise ShapeError(f"layer_norm: normalized_shape {shape} must be the last axes of x, of shape {x.shape}")
    _check_shapes("layer_norm", shape, f"normalized_shape {shape}", weight=weight, bias=bias)
    y = _standardized(x, tuple(range(x.ndim - len(shape), x.ndim)), eps)
    return _scaled(y, weight, bias, shape)


def _batch_norm(x, running_mean, running_var, weight=None, bias=None, *, training, momentum, eps):
    # The running statistics are data (PyTorch's buffers): read when not training, as
    # constants, so no gradient reaches them; never updated (momentum is accepted for
    # PyTorch's signature, but a value here does not change).
    if x.ndim < 2:
        raise ShapeError(f"batch_norm: x needs a channel axis, (N, C, ...), got shape {x.shape}")
    c = x.shape[1]
    _check_shapes("batch_norm", (c,), f"x {c} channels (shape {x.shape})", running_mean=running_mean,
                  running_var=running_var, weight=weight, bias=bias)
    per_channel = (1, c) + (1,) * (x.ndim - 2)
    if training and x.size <= c:
        raise ShapeError(f"batch_norm: training needs more than 1 value per channel, got x of shape {x.shape}")
    stats = () if training else [F.reshape(t, shape=per_channel) if t.ndim else t for t in
                                 (Tensor.constant(s.data, s.bk) for s in (running_mean, running_var))]
    y = _standardized(x, (0,) + tuple(range(2, x.ndim)), eps, *stats)
    return _scaled(y, weight, bias, per_channel)


def _batch_norm_batch(b, op, inputs, params, run):
    """Traced, but for running statistics that differ by item: the impl reads
    their arrays (as constants), which would hold the whole batch."""
    _, mean, var = inputs[:3]
    if b.has(mean) or b.has(var):
        return batching.loop(b, op, inputs, params, run)
    return batching.traced(b, op, inputs, params, run)


def _dropout(x, *, p, training):
    # The mask is drawn from the run's generator (reproducible with --seed) and is data.
    if not 0 <= p <= 1:
        raise ArgumentError(f"dropout: p is a probability, from 0 to 1, not {p:g}")
    if not training or p == 0:
        return x
    xp = x.bk.xp
    kept = xp.where(x.bk.random("uniform", x.shape) < 1 - p, 1 / (1 - p) if p < 1 else 0.0, 0.0)
    return x * Tensor.constant(kept, x.bk)


def _embedding(x, weight):
    if weight.ndim != 2:
        raise ShapeError(f"embedding: weight must be a matrix (num_embeddings, embedding_dim), got shape {weight.shape}")
    xp, i, n = x.bk.xp, x.data, weight.shape[0]
    if x.bk.any(xp.logical_or(xp.logical_or(i < 0, i >= n), i != xp.floor(i))):
        raise ArgumentError(f"embedding: the indices must be whole numbers from 0 to {n - 1} (weight has {n} rows)")
    return F.getitem(weight, key=(xp.asarray(i, dtype=xp.int64),))


def _embedding_batch(b, op, inputs, params, run):
    """A batch of indices picks rows of one weight in one indexing; a batch of
    weights runs item by item."""
    _, weight = inputs
    if b.has(weight):
        return batching.loop(b, op, inputs, params, run)
    return run(op, inputs, params)


BATCH = "traced"        # how its rows run on a batch (ops/batching.py): each layer is made of table ops
CONV = "stride:key=1, padding:key=0, dilation:key=1, groups:int=1"
TIE = [[[[1.0, 2.0, 2.0], [2.0, 0.0, 1.0], [2.0, 2.0, 2.0]]]]

OPS = [
    Op("conv1d", "x, weight, bias=0, " + CONV, impl=_conv("conv1d", 1), reference=nn_reference.conv, family="nn",
       doc="1-D convolution (PyTorch's: a cross-correlation) of x (N, C, L) with weight (out, C/groups, k); "
           "padding also 'valid' or 'same'",
       examples=(case((2, 4, 7), (4, 2, 3), (4,), stride=2, padding=1, groups=2),
                 case((3, 6), (2, 3, 2), padding="same", dilation=2), case((1, 2, 5), (3, 2, 2), padding="valid"))),
    Op("conv2d", "x, weight, bias=0, " + CONV, impl=_conv("conv2d", 2), reference=nn_reference.conv, family="nn",
       doc="2-D convolution (PyTorch's: a cross-correlation) of x (N, C, H, W) with weight (out, C/groups, kh, kw); "
           "padding also 'valid' or 'same'",
       examples=(case((1, 2, 5, 5), (3, 2, 3, 3), (3,)),
                 case((2, 4, 5, 6), (4, 2, 2, 3), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2),
                 case((2, 4, 4), (2, 2, 2, 2), (2,), padding="same"), case((1, 1, 4, 4), (2, 1, 3, 3), padding="valid"))),
    Op("max_pool2d", "x, kernel_size:key, stride:key=None, padding:key=0, dilation:key=1, ceil_mode:bool=False",
       impl=_max_pool2d, reference=nn_reference.max_pool2d, family="nn",
       doc="the largest element of each window of x (N, C, H, W); on a tie the first (row-major) gets the gradient, "
           "as in PyTorch",
       examples=(case((1, 2, 5, 5), kernel_size=2),
                 case((2, 3, 5, 4), kernel_size=(3, 2), stride=(2, 1), padding=1, dilation=(1, 2), ceil_mode=True),
                 case((2, 5, 5), kernel_size=3, stride=2, padding=1, ceil_mode=True)),
       smooth=False, kinks=((([[[[1.0, 1.0], [0.0, 1.0]]]],), {"kernel_size": 2}, ([[[[1.0, 0.0], [0.0, 0.0]]]],)),),
       singular=(at(TIE, kernel_size=2, stride=1), at(TIE, kernel_size=3, stride=1, padding=1),
                 at([[[[math.nan, 2.0, math.nan], [2.0, math.nan, 1.0], [2.0, 2.0, 2.0]]]], kernel_size=2, stride=1),
                 at([[[[-math.inf] * 3] * 3]], kernel_size=2, stride=1, padding=1))),
    Op("avg_pool2d", "x, kernel_size:key, stride:key=None, padding:key=0, ceil_mode:bool=False, "
       "count_include_pad:bool=True, divisor_override:int=None",
       impl=_avg_pool2d, reference=nn_reference.avg_pool2d, family="nn",
       doc="the mean of each window of x (N, C, H, W), the padding counted unless count_include_pad=False",
       examples=(case((1, 2, 4, 4), kernel_size=2),
                 case((2, 3, 5, 5), kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
                 case((2, 5, 4), kernel_size=(2, 3), stride=(2, 1), padding=(1, 1), ceil_mode=True),
                 case((1, 1, 4, 5), kernel_size=2, divisor_override=3))),
    Op("layer_norm", "x, normalized_shape:shape, weight=1, bias=0, eps:float=1e-5", impl=_layer_norm,
       reference=nn_reference.layer_norm, family="nn",
       doc="x standardised over its last axes (normalized_shape), then times weight plus bias",
       examples=(case((2, 3), normalized_shape=(3,)), case((2, 3, 4), (3, 4), (3, 4), normalized_shape=(3, 4), eps=0.1),
                 case((4,), (4,), normalized_shape=(4,))),
       singular=(at([[2.0, 2.0, 2.0]], normalized_shape=(3,)),
                 at([[1.0, 1.0], [3.0, -1.0]], [0.5, 2.0], [0.1, 0.2], normalized_shape=(2,)))),
    Op("batch_norm", "x, running_mean:mask, running_var:mask, weight=1, bias=0, training:bool=False, "
       "momentum:float=0.1, eps:float=1e-5", impl=_batch_norm, reference=nn_reference.batch_norm, family="nn",
       batch=_batch_norm_batch,
       doc="x (N, C, ...) standardised per channel: by the batch's statistics if training, else the running ones "
           "(data, never updated)",
       examples=(case((4, 3), (3,), (3,), (3,), (3,), training=True), case((2, 3, 4), (3,), (3,)),
                 case((2, 2, 3, 2), (2,), (2,), (2,), (2,), eps=0.1, momentum=0.2), case((3, 2, 2), (2,), (2,), training=True)),
       singular=(at([[1.0, 2.0], [1.0, 3.0]], [0.0, 0.0], [1.0, 1.0], training=True),)),
    Op("dropout", "x, p:float=0.5, training:bool=True", impl=_dropout, reference=nn_reference.dropout, family="nn",
       batch="loop",        # a mask of its own for each item, drawn in turn
       doc="x with each element zeroed with probability p (the mask drawn with --seed), the rest scaled by 1/(1-p)",
       examples=(case((3, 4)), case((2, 5), p=0.2), case((4,), training=False), case((3,), p=1.0), case((3,), p=0.0))),
    Op("embedding", "x:mask, weight", impl=_embedding, reference=nn_reference.embedding, family="nn",
       batch=_embedding_batch,
       doc="the rows of weight at the indices x; repeated indices add up their rows' gradients",
       examples=(case((2, 3), (4, 2)), case((5,), (2, 3)), case((), (3, 2)))),
] + windows.OPS
