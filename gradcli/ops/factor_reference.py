"""The tests' references for the factorisations (gradcli/ops/factor.py):
mpmath at 50 digits, one matrix of a batch at a time (see reference.py)."""
from __future__ import annotations

import math

import numpy as np

from gradcli.ops.reference import DIGITS

def matrices(fn):
    """fn(mp, *mpmath matrices, **params) -> a matrix, a number, a list of
    numbers or a tuple of these, for each matrix of the inputs' broadcast
    leading axes at DIGITS digits; each result stacked back over those axes."""
    def reference(*arrays, **params):
        import mpmath
        batch = np.broadcast_shapes(*(a.shape[:-2] for a in arrays))
        wide = [np.broadcast_to(a, batch + a.shape[-2:]) for a in arrays]
        with mpmath.workdps(DIGITS):
            outs = [fn(mpmath, *(mpmath.matrix(a[idx].tolist()) for a in wide), **params)
                    for idx in np.ndindex(*batch)]
        parts = [[_host(r) for r in (out if isinstance(out, tuple) else (out,))] for out in outs]
        stacked = tuple(np.array([p[i] for p in parts]).reshape(batch + parts[0][i].shape)
                        for i in range(len(parts[0])))
        return stacked if isinstance(outs[0], tuple) else stacked[0]
    return reference


def _host(value) -> np.ndarray:
    if isinstance(value, list):
        return np.array([float(v) for v in value])
    return np.array(value.tolist(), dtype=float) if hasattr(value, "tolist") else np.array(float(value))


def largest_positive(vectors, count=None):
    """Signs (+-1, shaped (..., 1, count)) that make the largest element in
    magnitude of each of the first count columns positive: the sign
    convention of factor.py's eigenvectors and singular vectors."""
    count = vectors.shape[-1] if count is None else count
    signs = np.ones(vectors.shape[:-2] + (1, count))
    for idx in np.ndindex(*vectors.shape[:-2]):
        for j in range(count):
            signs[idx + (0, j)] = math.copysign(1.0, max(vectors[idx][:, j], key=abs))
    return signs


def symmetric(a):
    """The symmetric part of an mpmath matrix: what factor.py's symmetric inputs stand for."""
    return (a + a.T) / 2


def solve(A, B):
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])
    X = matrices(lambda mp, a, b: a ** -1 * b)(A, B[..., None] if vector else B)
    return X[..., 0] if vector else X


def eigh(A, UPLO):
    def one(mp, a):
        values, vectors = mp.eigsy(symmetric(a))
        order = sorted(range(a.rows), key=lambda i: values[i])
        return [values[i] for i in order], mp.matrix([[vectors[r, i] for i in order] for r in range(a.rows)])
    values, vectors = matrices(one)(A)
    return values, vectors * largest_positive(vectors)


def svd(A, full_matrices):
    def one(mp, a):
        u, s, vh = mp.svd_r(a, full_matrices=full_matrices)
        return u, [s[i] for i in range(s.rows)], vh
    U, S, Vh = matrices(one)(A)
    k = S.shape[-1]
    signs = largest_positive(U, k)
    U[..., :k] *= signs
    Vh[..., :k, :] *= np.swapaxes(signs, -1, -2)
    return U, S, Vh


def pinv(A, atol, rtol):
    """Through mpmath's SVD, cutting the singular values at or below
    max(atol, rtol·largest) as PyTorch does (rtol = eps·max(m, n) unless atol > 0 is given)."""
    if rtol is None:
        rtol = 0.0 if atol is not None and atol > 0 else np.finfo(np.float64).eps * max(A.shape[-2:])

    def one(mp, a):
        u, s, vh = mp.svd_r(a, full_matrices=False)
        cut = max(atol or 0.0, rtol * s[0]) if s.rows else 0.0
        inverted = mp.diag([1 / s[i] if s[i] > cut else 0 for i in range(s.rows)])
        return vh.T * inverted * u.T
    return matrices(one)(A)


def packed(ref):
    """A reference giving several arrays, laid side by side along a last axis
    (as eigh's, svd's and slogdet's internal ops pack their results)."""
    def side_by_side(A, **params):
        return np.concatenate([p.reshape(A.shape[:-2] + (-1,)) for p in ref(A, **params)], axis=-1)
    return side_by_side
