"""Independent definitions of the scan and order-statistic builtins
(gradcli/ops/scan.py) for the tests: each line along the axis is worked
through in Python, sorted by Python's stable sort or scanned element by
element, never by the forward's construction; gradcli/ops/reference.py's
helpers carry the lines over the array."""
from __future__ import annotations

import math

from gradcli.ops.reference import along, by_index, reduction


def _isnan(a) -> bool:
    return a != a


def _order(v, descending=False) -> list[int]:
    """A line's stable order: ties keep their order, nans last (first when descending)."""
    return sorted(range(len(v)), key=lambda i: (_isnan(v[i]), 0 if _isnan(v[i]) else v[i]), reverse=descending)


def _ordered(places, keepdims=True):
    """(values, indices) at places(order, line) of each line's stable order,
    as PyTorch's sort, topk, kthvalue and median along an axis return them."""
    def reference(x, axis, descending=False):
        values = along(lambda mp, v: [v[i] for i in places(_order(v, descending), v)])(x, axis)
        indices = along(lambda mp, v: places(_order(v, descending), v))(x, axis)
        if not keepdims and x.ndim:
            values, indices = values.squeeze(axis), indices.squeeze(axis)
        return values, indices
    return reference


def _prefixes(fn):
    """A running function: fn(mp, the line up to each place)."""
    return along(lambda mp, v: [fn(mp, v[:k + 1]) for k in range(len(v))])


cumsum = _prefixes(lambda mp, v: mp.fsum(v))
cumprod = _prefixes(lambda mp, v: mp.fprod(v))
logcumsumexp = _prefixes(lambda mp, v: mp.log(mp.fsum(mp.exp(a) for a in v)))
_SORTED = _ordered(lambda order, v: order)


def sort(x, axis, descending, stable):
    return _SORTED(x, axis, descending)


def argsort(x, axis, descending, stable):
    return _SORTED(x, axis, descending)[1]


def msort(x):
    return _SORTED(x, 0)[0]


def topk(x, k, axis, largest, sorted):
    return _ordered(lambda order, v: order[:k])(x, axis, largest)


def kthvalue(x, k, axis, keepdims):
    return _ordered(lambda order, v: order[k - 1:k], keepdims)(x, axis)


def _median_place(order, v) -> list[int]:
    """The lower median's place in the stable order, or the first nan's."""
    nans = sum(_isnan(a) for a in v)
    return [order[len(v) - nans] if nans else order[(len(v) - 1) // 2]]


def median(x, axis, keepdims):
    if axis is None:
        return reduction(lambda mp, v: mp.nan if not v or any(map(_isnan, v)) else sorted(v)[(len(v) - 1) // 2])(
            x, keepdims=keepdims)
    return _ordered(_median_place, keepdims)(x, axis)


def extreme_index(pick):
    """argmax (pick=max) or argmin: the first nan, else the first extreme."""
    def one(mp, v):
        nans = [i for i, a in enumerate(v) if _isnan(a)]
        return nans[0] if nans else v.index(pick(v))

    def reference(x, axis, keepdims):
        return reduction(one)(x, axis=None if axis is None or not x.ndim else (axis,), keepdims=keepdims)
    return reference


def running_extreme(largest, part=None):
    """cummax (largest) or cummin: PyTorch's loop, one element at a time;
    part 1 gives the indices alone."""
    def line(v):
        out, best, at = [], None, 0
        for i, a in enumerate(v):
            if best is None or _isnan(a) or not _isnan(best) and (a >= best if largest else a <= best):
                best, at = a, i
            out.append((best, at))
        return out

    def reference(x, axis):
        both = (along(lambda mp, v: [b for b, _ in line(v)])(x, axis),
                along(lambda mp, v: [i for _, i in line(v)])(x, axis))
        return both if part is None else both[part]
    return reference


def _quantile(v, q, mode):
    if any(map(_isnan, v)):
        return math.nan
    s, r = sorted(v), q * (len(v) - 1)
    lo, hi = math.floor(r), math.ceil(r)
    picks = {"lower": lambda: s[lo], "higher": lambda: s[hi], "nearest": lambda: s[round(r)],
             "midpoint": lambda: (s[lo] + s[hi]) / 2, "linear": lambda: s[lo] + (r - lo) * (s[hi] - s[lo])}
    return picks[mode]()


def quantile(x, q, axis, keepdims, interpolation):
    axes = None if axis is None or not x.ndim else (axis,)
    each = [reduction(lambda mp, v, p=float(p): _quantile(v, p, interpolation))(x, axis=axes, keepdims=keepdims)
            for p in q.ravel()]
    if not q.ndim:
        return each[0]
    return by_index((len(each),) + each[0].shape, lambda i: each[i[0]][i[1:]])
