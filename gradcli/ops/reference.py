"""Independent definitions of the builtins, which the tests hold each forward
to: every op row names one (its `reference`). Elementwise functions are
evaluated one element at a time by mpmath at 50 digits; reductions apply a
Python function to each reduced slice; the rest are written with loops or
with NumPy spelled another way than the forward. A reference takes host
float64 arrays and the op's parameters and returns a host array.

Nothing here runs outside the tests (mpmath is a test dependency)."""
from __future__ import annotations

import math

import numpy as np

DIGITS = 50


def draw(rng, domain: str, shape: tuple) -> np.ndarray:
    """Random float64 values of a domain a row names (where its tests draw inputs)."""
    if domain == "positive":
        return rng.uniform(0.5, 2.0, shape)
    if domain == "unit":
        return rng.uniform(-0.9, 0.9, shape)
    if domain == "gt1":
        return rng.uniform(1.5, 3.0, shape)
    if domain == "probability":
        return rng.uniform(0.05, 0.95, shape)
    if domain == "nonzero":
        return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.5, 2.0, shape)
    if domain == "wellposed" and len(shape) >= 2 and shape[-1] == shape[-2]:
        return rng.uniform(-1, 1, shape) * 0.5 + 3 * np.eye(shape[-1])
    return rng.normal(size=shape)


def elementwise(fn):
    """fn(mp, *mpf values, **params) -> number, applied to each element of
    the broadcast inputs at DIGITS digits."""
    def reference(*arrays, **params):
        import mpmath
        with mpmath.workdps(DIGITS):
            each = np.vectorize(lambda *v: float(fn(mpmath, *(mpmath.mpf(float(a)) for a in v), **params)),
                                otypes=[float])
            return each(*arrays) if np.broadcast(*arrays).size else np.zeros(np.broadcast(*arrays).shape)
    return reference


def reduction(fn):
    """fn(mp, list of mpf, **params) -> number over each slice of the reduced
    axes (all of them for axis None), keeping them as 1s with keepdims."""
    def reference(x, axis=None, keepdims=False, **params):
        import mpmath
        axes = tuple(range(x.ndim)) if axis is None else tuple(axis)
        kept = [i for i in range(x.ndim) if i not in axes]
        rows = np.transpose(x, kept + list(axes)).reshape([x.shape[i] for i in kept] + [-1])
        with mpmath.workdps(DIGITS):
            out = np.array([float(fn(mpmath, [mpmath.mpf(float(v)) for v in row], **params))
                            for row in rows.reshape(-1, rows.shape[-1])]).reshape(rows.shape[:-1])
        return out.reshape([1 if i in axes else n for i, n in enumerate(x.shape)]) if keepdims else out
    return reference


def along(fn):
    """fn(mp, list of mpf) -> list, applied to each line along one axis."""
    def reference(x, axis):
        import mpmath
        with mpmath.workdps(DIGITS):
            line = lambda row: [float(v) for v in fn(mpmath, [mpmath.mpf(float(a)) for a in row])]  # noqa: E731
            return np.apply_along_axis(line, axis, x) if x.ndim else np.array(line([x])[0])
    return reference


def by_index(shape, value):
    """An array of shape whose element at each index is value(index)."""
    out = np.empty(shape)
    for idx in np.ndindex(*shape):
        out[idx] = value(idx)
    return out


# ---- references shared by several rows
def permuted(x, axes):
    """x with axis axes[i] moved to place i, element by element."""
    return by_index(tuple(x.shape[a] for a in axes), lambda idx: x[tuple(idx[axes.index(i)] for i in range(x.ndim))])


def matmul(a, b):
    """Sums of products written out by einsum, with matmul's promotion of 1-D operands."""
    out = np.einsum("...ij,...jk->...ik", a[None, :] if a.ndim == 1 else a, b[:, None] if b.ndim == 1 else b)
    if a.ndim == 1:
        out = out[..., 0, :]
    return out[..., 0] if b.ndim == 1 else out


def variance(mp, v, correction):
    mean = mp.fsum(v) / len(v)
    return mp.fsum((a - mean) ** 2 for a in v) / max(len(v) - correction, 0)


def norm(mp, v, p):
    if p == math.inf:
        return max(abs(a) for a in v)
    return mp.fsum(abs(a) ** p for a in v) ** (1 / mp.mpf(p))


def softmax(mp, v):
    total = mp.fsum(mp.exp(a) for a in v)
    return [mp.exp(a) / total for a in v]


def log_softmax(mp, v):
    total = mp.log(mp.fsum(mp.exp(a) for a in v))
    return [a - total for a in v]


def matrix(fn):
    """Through mpmath's matrices: fn(mp, matrix) -> matrix or number."""
    def reference(x):
        import mpmath
        with mpmath.workdps(DIGITS):
            out = fn(mpmath, mpmath.matrix(x.tolist()))
            return np.array(out.tolist(), dtype=float) if isinstance(out, mpmath.matrix) else np.array(float(out))
    return reference


def outer(a, b):
    return by_index((len(a), len(b)), lambda idx: a[idx[0]] * b[idx[1]])


def transpose(x, dim0, dim1):
    axes = list(range(x.ndim))[::-1]
    if dim0 is not None and x.ndim:
        axes = list(range(x.ndim))
        axes[dim0], axes[dim1] = dim1, dim0
    return permuted(x, axes)


def trace(x):
    return np.array(math.fsum(x[i, i] for i in range(min(x.shape))))


def diag(x):
    if x.ndim == 1:
        return by_index((len(x), len(x)), lambda idx: x[idx[0]] if idx[0] == idx[1] else 0.0)
    return np.array([x[i, i] for i in range(min(x.shape))])


def elements(x, shape):
    """x's elements in order, in shape (one size may be -1)."""
    flat = [float(v) for v in np.ravel(x)]
    known = math.prod(n for n in shape if n >= 0)
    return np.array(flat).reshape(tuple(len(flat) // known if n < 0 else n for n in shape))


def joined(xs, axis, new):
    """Arrays laid one after another along axis (along a new axis when new)."""
    parts = [np.expand_dims(x, axis) if new else x for x in xs]
    shape = list(parts[0].shape)
    shape[axis] = sum(p.shape[axis] for p in parts)
    out, at = np.empty(shape), 0
    for p in parts:
        out[(slice(None),) * axis + (slice(at, at + p.shape[axis]),)] = p
        at += p.shape[axis]
    return out


def index(x, key):
    return np.array(x.tolist())[key]


def scatter(g, key, shape):
    out = np.zeros(shape)
    np.add.at(out, key, g)
    return out


def broadcast(x, shape):
    lead = len(shape) - x.ndim
    return x * np.ones([x.shape[i - lead] if n == -1 else n for i, n in enumerate(shape)])


def sum_to(x, shape):
    lead = x.ndim - len(shape)
    return by_index(shape, lambda idx: math.fsum(
        x[full] for full in np.ndindex(*x.shape)
        if all(n == 1 or full[lead + i] == idx[i] for i, n in enumerate(shape))))


def filled(shape, value):
    return by_index(shape, lambda idx: value)


def same(x):
    return np.array(x.tolist())


def eye(n, m):
    return by_index((n, n if m is None else m), lambda idx: float(idx[0] == idx[1]))


def arange(start, stop, step):
    if stop is None:
        start, stop = 0.0, start
    return np.array([start + i * step for i in range(max(0, math.ceil((stop - start) / step)))])


def linspace(a, b, n):
    return np.array([a + (b - a) * i / (n - 1) for i in range(n)])


def drawn(kind):
    """The run's generator is NumPy's PCG64 seeded with the run's seed (0 in the tests)."""
    return lambda shape: getattr(np.random.default_rng(0), kind)(shape)


def glu(x, axis):
    """a·σ(b), a and b the halves of x along axis, element by element."""
    a, b = np.split(x, 2, axis=axis)
    return elementwise(lambda mp, a, b: a / (1 + mp.exp(-b)))(a, b)
