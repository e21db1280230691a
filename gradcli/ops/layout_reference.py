"""Independent definitions of the arrangement builtins (gradcli/ops/layout.py)
for the tests: each element of a result is found by its index, in a loop,
from where it comes in x (gradcli/ops/reference.py's by_index); none repeats
its forward's construction."""
from __future__ import annotations

import math
from itertools import accumulate

import numpy as np

from gradcli.ops.reference import broadcast, by_index, permuted


def _tuple(v) -> tuple:
    return v if isinstance(v, tuple) else (v,)


def t(x):
    return permuted(x, list(range(x.ndim))[::-1])


def flip(x, dims):
    return by_index(x.shape, lambda idx: x[tuple(n - 1 - i if a in (dims or ()) else i
                                                for a, (i, n) in enumerate(zip(idx, x.shape)))])


def roll(x, shifts, dims):
    if not dims:
        return roll(np.ravel(x), shifts, (0,)).reshape(x.shape)
    by = dict(zip(dims, _tuple(shifts)))
    return by_index(x.shape, lambda idx: x[tuple((i - by.get(a, 0)) % n for a, (i, n) in enumerate(zip(idx, x.shape)))])


def triangle(upper):
    """triu keeps x[..., i, j] where j - i >= diagonal, tril where j - i <= diagonal."""
    def kept(x, diagonal):
        inside = (lambda i, j: j - i >= diagonal) if upper else (lambda i, j: j - i <= diagonal)
        return by_index(x.shape, lambda idx: x[idx] if inside(idx[-2], idx[-1]) else 0.0)
    return kept


def expand(x, sizes):
    return broadcast(x, sizes)


def repeat(x, sizes):
    lead = len(sizes) - x.ndim
    out = tuple(r * n for r, n in zip(sizes, (1,) * lead + x.shape))
    return by_index(out, lambda idx: x[tuple(i % n for i, n in zip(idx[lead:], x.shape))])


def tile(x, dims):
    return repeat(x, (1,) * (x.ndim - len(dims)) + dims)


def repeat_interleave(x, repeats, axis):
    if axis is None:
        x, axis = np.ravel(x), 0
    counts = np.broadcast_to(np.array(_tuple(repeats)), (x.shape[axis],))
    ends = np.cumsum(counts)            # output position j comes from the first element whose end is past j
    shape = x.shape[:axis] + (int(ends[-1]),) + x.shape[axis + 1:]
    return by_index(shape, lambda idx: x[idx[:axis] + (int(np.searchsorted(ends, idx[axis], side="right")),)
                                         + idx[axis + 1:]])


def _pieces(x, axis, bounds):
    return tuple(by_index(x.shape[:axis] + (b - a,) + x.shape[axis + 1:],
                          lambda idx, a=a: x[idx[:axis] + (idx[axis] + a,) + idx[axis + 1:]])
                 for a, b in zip(bounds, bounds[1:]))


def split(x, split_size_or_sections, axis):
    n = x.shape[axis]
    if isinstance(split_size_or_sections, tuple):
        return _pieces(x, axis, [0, *accumulate(split_size_or_sections)])
    return _pieces(x, axis, [*range(0, n, split_size_or_sections), n])


def chunk(x, chunks, axis):
    return split(x, math.ceil(x.shape[axis] / chunks), axis)


def pad(x, pad, mode, value):
    """Each axis of the result maps to x's through its (left, right) widths.
    Reflect and replicate: position p is x's p - left, reflected or held at
    the ends; constant and circular: within the part negative widths keep,
    else the value, or the element it wraps around to."""
    widths = [(0, 0)] * x.ndim
    for k in range(len(pad) // 2):
        widths[x.ndim - 1 - k] = pad[2 * k:2 * k + 2]
    shape = tuple(n + lo + hi for n, (lo, hi) in zip(x.shape, widths))

    def held(i, n):
        if mode == "replicate":
            return min(max(i, 0), n - 1)
        i %= 2 * (n - 1) if n > 1 else 1
        return 2 * (n - 1) - i if i >= n else i

    def element(idx):
        at = []
        for p, n, (lo, hi) in zip(idx, x.shape, widths):
            a, b = max(-lo, 0), n - max(-hi, 0)
            j = p - max(lo, 0)
            if mode in ("reflect", "replicate"):
                at.append(held(p - lo, n))
            elif 0 <= j < b - a or mode == "circular":
                at.append(a + j % (b - a))
            else:
                return value
        return x[tuple(at)]
    return by_index(shape, element)


def diag_embed(x, offset, dim1, dim2):
    n = x.shape[-1] + abs(offset)
    shape = list(x.shape[:-1])
    for axis in sorted((dim1, dim2)):
        shape.insert(axis, n)

    def element(idx):
        i, j = idx[dim1], idx[dim2]
        lead = tuple(v for a, v in enumerate(idx) if a not in (dim1, dim2))
        return x[lead + (min(i, j),)] if j - i == offset else 0.0
    return by_index(tuple(shape), element)


def movedim(x, source, destination):
    if source is None:
        return np.array(x.tolist())
    order = [a for a in range(x.ndim) if a not in source]
    for to, a in sorted(zip(destination, source)):
        order.insert(to, a)
    return permuted(x, order)


def narrow(x, axis, start, length):
    begin = start % x.shape[axis]
    return _pieces(x, axis, [begin, begin + length])[0]
