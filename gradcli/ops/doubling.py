"""Scans along an axis in log2(n) whole-array steps, on arrays (in forwards)
and on tensors (in gradient rules, which stay differentiable): the running
functions of gradcli/ops/scan.py that NumPy and CuPy have no function for."""
from __future__ import annotations

from gradcli.ops.core import F


def cut(axis, start, stop, step=None):
    """The key that slices one axis: x[cut(1, 0, 2)] is x[:, 0:2]."""
    return (slice(None),) * axis + (slice(start, stop, step),)


def doubling(parts, axis, combine, join, reverse=False):
    """An inclusive scan along axis in log2(n) whole-array steps (Hillis and
    Steele): for s = 1, 2, 4..., combine(earlier, later) of the lists of
    arrays (or tensors) s places apart is kept in the later places (in the
    earlier ones, reversed), so each place takes in all before it (after it).
    join(pieces, axis) concatenates."""
    n = parts[0].shape[axis]
    s = 1
    while s < n:
        new = combine([p[cut(axis, 0, n - s)] for p in parts], [p[cut(axis, s, n)] for p in parts])
        if reverse:
            parts = [join([c, p[cut(axis, n - s, n)]], axis) for c, p in zip(new, parts)]
        else:
            parts = [join([p[cut(axis, 0, s)], c], axis) for c, p in zip(new, parts)]
        s *= 2
    return parts


def decayed_sum(g, decay, axis):
    """S along axis with S_j = g_j + decay_j·S_(j+1), the last S_j = g_j
    (decay has one element fewer there): a reversed linear scan in F ops,
    linear in g and differentiable again."""
    if g.shape[axis] < 2:
        return g
    step = lambda e, l: [e[0] + e[1] * l[0], e[1] * l[1]]       # noqa: E731
    a = F.concat(decay, F.zeros_like(g[cut(axis, 0, 1)]), axis=axis)
    return doubling([g, a], axis, step, lambda ps, ax: F.concat(*ps, axis=ax), reverse=True)[0]
