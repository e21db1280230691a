"""Independent forwards of the products and norms (gradcli/ops/contract.py),
which the tests hold them to: sums of products by Python loops over every
index (never NumPy's einsum or tensordot), matrix norms from their
definitions in mpmath at 50 digits. Each takes host arrays and the row's
parameters (mpmath is a test dependency: nothing here runs outside the tests)."""
from __future__ import annotations

import math

import numpy as np

from gradcli.ops.reference import by_index, matrix, norm


def einsum(*arrays, equation):
    """Each output element summed over every value of the other indices, by
    loops. '...' stands for the axes an operand has beyond its letters,
    counted from the right; an axis of size 1 repeats its element."""
    text = equation.replace(" ", "")
    terms = [_einsum_axes(t, x.ndim - len(t.replace("...", ""))) for t, x in zip(text.split("->")[0].split(","), arrays)]
    sizes = {}
    for axes, x in zip(terms, arrays):
        for a, n in zip(axes, x.shape):
            sizes[a] = n if sizes.get(a, 1) == 1 else sizes[a]
    dots = max((a[1] for a in sizes if isinstance(a, tuple)), default=0)
    if "->" in text:
        out = _einsum_axes(text.split("->")[1], dots)
    else:
        letters = [a for axes in terms for a in axes if isinstance(a, str)]
        out = _einsum_axes("...", dots) + sorted(a for a in set(letters) if letters.count(a) == 1)
    summed = [a for a in sizes if a not in out]

    def value(idx):
        at, total = dict(zip(out, idx)), []
        for rest in np.ndindex(*(sizes[a] for a in summed)):
            at.update(zip(summed, rest))
            total.append(math.prod(x[tuple(at[a] if n > 1 else 0 for a, n in zip(axes, x.shape))]
                                   for axes, x in zip(terms, arrays)))
        return math.fsum(total)
    return by_index(tuple(sizes[a] for a in out), value)


def _einsum_axes(term, extra):
    """A term's axes: its letters, with ('...', k) for the k-th axis of '...' from the right."""
    head, dots, tail = term.partition("...")
    return list(head) + [("...", extra - i) for i in range(extra if dots else 0)] + list(tail)


def kron(x, other):
    n = max(x.ndim, other.ndim)
    a, b = (t.reshape((1,) * (n - t.ndim) + t.shape) for t in (x, other))
    return by_index(tuple(p * q for p, q in zip(a.shape, b.shape)),
                    lambda idx: a[tuple(i // q for i, q in zip(idx, b.shape))] * b[tuple(i % q for i, q in
                                                                                          zip(idx, b.shape))])


def tensordot(a, b, dims):
    if isinstance(dims, int):
        left, right = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        left, right = ([i % t.ndim for i in d] for d, t in zip(dims, (a, b)))
    free_a, free_b = [i for i in range(a.ndim) if i not in left], [j for j in range(b.ndim) if j not in right]

    def value(idx):
        at_a, at_b, total = dict(zip(free_a, idx)), dict(zip(free_b, idx[len(free_a):])), []
        for s in np.ndindex(*(max(a.shape[i], b.shape[j]) for i, j in zip(left, right))):
            at_a.update(zip(left, s))
            at_b.update(zip(right, s))
            total.append(a[tuple(min(at_a[i], a.shape[i] - 1) for i in range(a.ndim))]
                         * b[tuple(min(at_b[j], b.shape[j] - 1) for j in range(b.ndim))])
        return math.fsum(total)
    return by_index(tuple(a.shape[i] for i in free_a) + tuple(b.shape[j] for j in free_b), value)


def cross(x, other, axis):
    a, b = (np.moveaxis(t, axis, -1) for t in np.broadcast_arrays(x, other))

    def value(idx):
        lead, k = idx[:-1], idx[-1]
        i, j = (k + 1) % 3, (k + 2) % 3
        return a[lead + (i,)] * b[lead + (j,)] - a[lead + (j,)] * b[lead + (i,)]
    return np.moveaxis(by_index(a.shape, value), -1, axis)


def vector_norm(mp, v, ord):
    if ord == 0:
        return sum(1 for a in v if a != 0)
    if ord == -math.inf:
        return min(abs(a) for a in v)
    return norm(mp, v, ord)


def matrix_norm(A, ord, axis, keepdims):
    """Each matrix's norm from its definition, at DIGITS digits (singular values by mpmath's SVD)."""
    rows, cols = (A.ndim - 2, A.ndim - 1) if axis is None else axis
    moved = np.moveaxis(A, (rows, cols), (-2, -1))
    one = matrix(lambda mp, m: _matrix_norm(mp, m, "fro" if ord is None else ord))
    out = by_index(moved.shape[:-2], lambda idx: one(moved[idx]))
    return np.expand_dims(out, tuple(sorted((rows, cols)))) if keepdims else out


def _matrix_norm(mp, m, ord):
    if ord == "fro":
        return mp.sqrt(mp.fsum(m[i, j] ** 2 for i in range(m.rows) for j in range(m.cols)))
    if ord in ("nuc", 2, -2):
        s = mp.svd_r(m, compute_uv=False)
        s = [s[i] for i in range(s.rows)]
        return mp.fsum(s) if ord == "nuc" else max(s) if ord == 2 else min(s)
    down = abs(ord) == 1            # 1: the column sums; inf: the row sums
    sums = [mp.fsum(abs(m[i, j] if down else m[j, i]) for i in range(m.rows if down else m.cols))
            for j in range(m.cols if down else m.rows)]
    return max(sums) if ord > 0 else min(sums)
