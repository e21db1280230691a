"""Independent definitions of the layers (nn.py) and of the window
operations under them (windows.py), which the tests hold each forward to,
as reference.py's are: every output element computed by its definition,
in loops over its window, with the arguments read here afresh.
Nothing here runs outside the tests."""
from __future__ import annotations

import itertools
import math

from gradcli.ops.reference import by_index, drawn


def _grid(shape):
    return itertools.product(*map(range, shape))


def _taps(x_shape, kernel, stride, padding, dilation, position):
    """(kernel offset, input position) for each tap of the window at position
    that falls inside x (padding: a (before, after) pair, or a number, per axis)."""
    before = [p[0] if isinstance(p, tuple) else p for p in padding]
    for k in _grid(kernel):
        at = tuple(o * s + i * d - lo for o, i, s, d, lo in zip(position, k, stride, dilation, before))
        if all(0 <= a < n for a, n in zip(at, x_shape)):
            yield k, at


def _windows(sizes, kernel, stride, padding, dilation):
    return tuple((n + lo + hi - d * (k - 1) - 1) // s + 1
                 for n, k, s, (lo, hi), d in zip(sizes, kernel, stride, padding, dilation))


# ---- windows.py's operations


def conv_nd(x, w, stride, padding, dilation, groups):
    out = _windows(x.shape[2:], w.shape[2:], stride, padding, dilation)
    per_group, width = w.shape[0] // groups, w.shape[1]

    def value(idx):
        (n, o), first = idx[:2], idx[1] // per_group * width
        return math.fsum(x[(n, first + c) + at] * w[(o, c) + k] for c in range(width)
                         for k, at in _taps(x.shape[2:], w.shape[2:], stride, padding, dilation, idx[2:]))
    return by_index((x.shape[0], w.shape[0]) + out, value)


def conv_nd_input(g, w, stride, padding, dilation, groups, size):
    per_group, width = w.shape[0] // groups, w.shape[1]

    def value(idx):
        n, c, at = idx[0], idx[1], idx[2:]
        return math.fsum(g[(n, o) + p] * w[(o, c % width) + k]
                         for o in range(c // width * per_group, (c // width + 1) * per_group)
                         for p in _grid(g.shape[2:])
                         for k, src in _taps(size, w.shape[2:], stride, padding, dilation, p) if src == at)
    return by_index((g.shape[0], width * groups) + tuple(size), value)


def conv_nd_weight(x, g, stride, padding, dilation, groups, kernel):
    per_group, width = g.shape[1] // groups, x.shape[1] // groups

    def value(idx):
        o, c, k = idx[0], idx[1], idx[2:]
        return math.fsum(x[(n, o // per_group * width + c) + at] * g[(n, o) + p]
                         for n in range(x.shape[0]) for p in _grid(g.shape[2:])
                         for tap, at in _taps(x.shape[2:], kernel, stride, padding, dilation, p) if tap == k)
    return by_index((g.shape[1], width) + tuple(kernel), value)


def _largest(values):
    """PyTorch's scan of a window: a larger element, or any nan, replaces the one kept."""
    top = -math.inf
    for v in values:
        if v > top or math.isnan(v):
            top = v
    return top


def max_pool_nd(x, kernel, stride, padding, dilation):
    out = _windows(x.shape[2:], kernel, stride, padding, dilation)
    return by_index(x.shape[:2] + out, lambda idx: _largest(
        x[idx[:2] + at] for _, at in _taps(x.shape[2:], kernel, stride, padding, dilation, idx[2:])))


# ---- nn.py's layers


def _each(v, n):
    """An int or a tuple (of 1 or n), as n ints."""
    return tuple(v) * (n // len(v)) if isinstance(v, tuple) else (v,) * n


def _batched(fn, x, n):
    """fn on x with a batch axis, for an unbatched x too."""
    return fn(x) if x.ndim == n + 2 else fn(x[None])[0]


def conv(x, weight, bias=None, *, stride, padding, dilation, groups):
    n = weight.ndim - 2
    dilation = _each(dilation, n)
    if padding == "same":
        spans = [d * (k - 1) for k, d in zip(weight.shape[2:], dilation)]
        pads = tuple((t // 2, t - t // 2) for t in spans)
    else:
        pads = tuple((p, p) for p in _each(0 if padding == "valid" else padding, n))
    y = _batched(lambda xs: conv_nd(xs, weight, _each(stride, n), pads, dilation, groups), x, n)
    return y if bias is None else y + bias.reshape(bias.shape + (1,) * n)


def _pool(x, kernel_size, stride, padding, dilation, ceil_mode, combine):
    """combine(values inside x, the window's size within x and its padding) for each window."""
    kernel = _each(kernel_size, 2)
    stride, padding, dilation = _each(stride or kernel_size, 2), _each(padding, 2), _each(dilation, 2)
    out = []
    for size, k, s, p, d in zip(x.shape[2:], kernel, stride, padding, dilation):
        o = -(-(size + 2 * p - d * (k - 1) - 1) // s) + 1 if ceil_mode else (size + 2 * p - d * (k - 1) - 1) // s + 1
        out.append(o - 1 if ceil_mode and (o - 1) * s >= size + p else o)

    def value(idx):
        taps = list(_taps(x.shape[2:], kernel, stride, padding, dilation, idx[2:]))
        covered = math.prod(min(o * s - p + k, n + p) - (o * s - p)
                            for o, s, p, k, n in zip(idx[2:], stride, padding, kernel, x.shape[2:]))
        return combine([x[idx[:2] + at] for _, at in taps], covered)
    return by_index(x.shape[:2] + tuple(out), value)


def max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode):
    return _batched(lambda xs: _pool(xs, kernel_size, stride, padding, dilation, ceil_mode,
                                     lambda values, _: _largest(values)), x, 2)


def avg_pool2d(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    def mean(values, covered):
        return math.fsum(values) / (divisor_override or (covered if count_include_pad else len(values)))
    return _batched(lambda xs: _pool(xs, kernel_size, stride, padding, 1, ceil_mode, mean), x, 2)


def _standard(v, values, eps):
    mean = math.fsum(values) / len(values)
    return (v - mean) / math.sqrt(math.fsum((a - mean) ** 2 for a in values) / len(values) + eps)


def _affine(v, weight, bias, at):
    for t, combine in ((weight, lambda a, b: a * b), (bias, lambda a, b: a + b)):
        if t is not None:
            v = combine(v, t if t.ndim == 0 else t[at])
    return v


def layer_norm(x, weight=None, bias=None, *, normalized_shape, eps):
    lead = x.ndim - (len(normalized_shape) if isinstance(normalized_shape, tuple) else 1)
    return by_index(x.shape, lambda idx: _affine(_standard(x[idx], list(x[idx[:lead]].flat), eps),
                                                 weight, bias, idx[lead:]))


def batch_norm(x, running_mean, running_var, weight=None, bias=None, *, training, momentum, eps):
    def value(idx):
        c = idx[1]
        if training:
            v = _standard(x[idx], list(x[:, c].flat), eps)
        else:
            v = (x[idx] - running_mean[c]) / math.sqrt(running_var[c] + eps)
        return _affine(v, weight, bias, c)
    return by_index(x.shape, value)


def dropout(x, p, training):
    """The run's uniform numbers (seed 0 in the tests): an element is kept where its number is below 1 - p."""
    if not training or p == 0:
        return x
    u = drawn("random")(x.shape)
    return by_index(x.shape, lambda idx: x[idx] / (1 - p) if u[idx] < 1 - p else 0.0)


def embedding(x, weight):
    return by_index(x.shape + weight.shape[1:], lambda idx: weight[int(x[idx[:-1]]), idx[-1]])
