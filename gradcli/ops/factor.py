"""Linear algebra by factorisation (torch.linalg's names, batched over
leading axes): solve, cholesky, slogdet/logdet, eigh/eigvalsh, svd/svdvals,
pinv, matrix_power, matrix_exp. Each gradient is PyTorch's, written with
table ops so that it can be differentiated again.

cholesky and eigh factorise the symmetric part (A + Aᵀ)/2 of their input.
For a symmetric A that is A itself (PyTorch reads one triangle of it, and
UPLO here names the triangle LAPACK reads of the symmetric part), and it is
the function whose derivative is PyTorch's symmetric gradient, so the
finite-difference checks hold the rules to PyTorch's formulas everywhere.

eigh, svd and slogdet give several results from one factorisation: an
internal op returns them in one array (each flattened over its own axes,
side by side along the last), which the builtin cuts into PyTorch's named
results and the op's rule cuts its cotangent by. LAPACK's eigenvectors and
singular vectors have arbitrary signs; here each has its largest element
(in magnitude) positive, a choice continuous in A, so differentiable, and
one the references can make too. As in PyTorch, the eigenvectors' and
singular vectors' gradients are not defined at repeated eigenvalues or
singular values (inf or nan); the values' own gradients stay finite.

Long: eleven builtins and their three internal ops, whose rules are
PyTorch's formulas term for term, sharing the packing and the sign
convention; split up, each part would need the others."""
from __future__ import annotations

import math

from gradcli.autograd.engine import backend_of
from gradcli.autograd.tensor import Tensor, data_of
from gradcli.errors import ArgumentError, ComputeError, ShapeError
from gradcli.ops import batching, factor_reference
from gradcli.ops.core import F, Op, Results, at, case
from gradcli.ops.linalg import matrix_shaped, swap_last


def _matrix(name, A, square=True) -> int:
    """A's number of columns, after checking that it is a (square) matrix or a stack of them."""
    if A.ndim < 2 or square and A.shape[-1] != A.shape[-2]:
        kind = "square matrix" if square else "matrix"
        raise ShapeError(f"{name}: A must be a {kind} or a stack of them, got shape {tuple(A.shape)}")
    return A.shape[-1]


def _checked(name, forward, square=True):
    def checked(bk, A, **params):
        _matrix(name, A, square)
        return forward(bk, A, **params)
    return checked


def _symmetric(xp, a):
    return (a + xp.swapaxes(a, -1, -2)) / 2


def _signs(xp, vectors, k):
    """(..., 1, k): the sign of the largest element in magnitude of each of the first k columns."""
    first = vectors[..., :k]
    where = xp.expand_dims(xp.argmax(xp.abs(first), axis=-2), -2)
    return xp.sign(xp.take_along_axis(first, where, axis=-2))


def _pack(xp, batch, *parts):
    return xp.concatenate([xp.reshape(p, batch + (-1,)) for p in parts], axis=-1)


def _unpack(t, shapes):
    """The results packed in t (as _pack lays them out), of the given trailing shapes."""
    batch, out, start = t.shape[:-1], [], 0
    for shape in shapes:
        size = math.prod(shape)
        part = F.getitem(t, key=(slice(None),) * len(batch) + (slice(start, start + size),))
        out.append(F.reshape(part, shape=batch + shape))
        start += size
    return out


def _diagonal(d):
    """Diagonal matrices with d's last axis on their diagonals."""
    return F.where(F.eye(n=d.shape[-1], bk=backend_of(d)), F.unsqueeze(d, axis=d.ndim - 1), 0.0)


def _gaps(values):
    """E[..., i, j] = values_j - values_i, with 1s on the diagonal (PyTorch's E in its eigh and svd rules)."""
    e = F.unsqueeze(values, axis=values.ndim - 1) - F.unsqueeze(values, axis=values.ndim)
    return F.where(F.eye(n=values.shape[-1], bk=backend_of(values)), 1.0, e)


def _skew(t):
    return t - swap_last(t)


# ---- solve
def _vector(A: tuple, B: tuple) -> bool:
    """torch.linalg.solve's rule, on the shapes: B is a (stack of) vector(s)
    when it has A's shape less its last axis."""
    return len(B) == 1 or len(B) == len(A) - 1 and B == A[:-1]


def _solve(bk, A, B):
    xp, n = bk.xp, _matrix("solve", A)
    vector = _vector(tuple(A.shape), tuple(B.shape))
    b = xp.expand_dims(B, -1) if vector else B
    if b.ndim < 2 or b.shape[-2] != n:
        raise ShapeError(f"solve: A is {n}×{n}, B {'is a number' if B.ndim == 0 else f'has {b.shape[-2]} rows'}",
                         hint="B is a vector of n or an n×k matrix (or a stack of them)")
    try:
        batch = _stacks(A.shape[:-2], b.shape[:-2])
    except ValueError:
        raise ShapeError(f"solve: the stacks of A {tuple(A.shape)} and B {tuple(B.shape)} cannot be broadcast "
                         "together") from None
    x = xp.linalg.solve(xp.broadcast_to(A, batch + (n, n)), xp.broadcast_to(b, batch + b.shape[-2:]))
    return x[..., 0] if vector else x


def _solve_batch(b, op, inputs, params, run):
    """solve on a batch: B is a vector or not by its item's shape (the batch
    axis could make a stack of vectors look like a matrix), and the stacks of
    A and B are aligned under the batch axis; a vector B is solved as one column."""
    A, B = inputs
    if b.ndim(A) < 2 or b.ndim(B) == 0:
        return batching.loop(b, op, inputs, params, run)       # to fail as an item does
    vector = _vector(*(t.shape[b.has(t):] for t in inputs))
    if vector:
        column = F.unsqueeze(B, axis=B.ndim)
        B = b.keep(column) if b.has(B) else column
    ndim = max(b.ndim(A), b.ndim(B))
    X = run(op, (b.aligned(A, ndim), b.aligned(B, ndim)), params)
    return F.squeeze(X, axis=(X.ndim - 1,)) if vector else X


def _solve_grad_a(g, y, A, B):
    gb, x = F.solve(swap_last(A), g), y
    if y.ndim < A.ndim:                 # B was a vector: gA is an outer product
        gb, x = F.unsqueeze(gb, axis=gb.ndim), F.unsqueeze(y, axis=y.ndim)
    return -(gb @ swap_last(x))


# ---- cholesky
def _cholesky(bk, A, upper):
    lower = bk.xp.linalg.cholesky(_symmetric(bk.xp, A))
    return bk.xp.swapaxes(lower, -1, -2) if upper else lower


def _cholesky_grad(g, y, A, upper):
    # PyTorch's cholesky_backward: gA = L⁻ᵀ Φ L⁻¹, Φ the lower triangle of
    # Lᵀ gL with its diagonal halved, made symmetric. One inverse of L costs
    # what one of the two solves by L would (no triangular solve on xp).
    L, gL = (swap_last(y), swap_last(g)) if upper else (y, g)
    bk, n = backend_of(A), A.shape[-1]
    p = (swap_last(L) @ gL) * Tensor.constant(bk.xp.tril(bk.xp.ones((n, n))) - bk.xp.eye(n) / 2, bk)
    inverse = F.inv(L)
    return swap_last(inverse) @ ((p + swap_last(p)) / 2) @ inverse


# ---- slogdet, logdet
def _slogdet_packed(bk, A):
    sign, logabsdet = bk.xp.linalg.slogdet(A)
    return _pack(bk.xp, A.shape[:-2], sign, logabsdet)


def _slogdet_grad(g, y, A):
    # The sign passes nothing back; log|det A| passes A⁻ᵀ (PyTorch's slogdet_backward).
    _, g_log = _unpack(g, ((), ()))
    try:
        inverse = F.inv(A)
    except ComputeError:
        raise ComputeError("log|det A| has no finite gradient where A is singular (det A = 0)") from None
    return matrix_shaped(g_log) * swap_last(inverse)


def _sign_log(name, A):
    _matrix(name, A)
    return _unpack(F.slogdet_packed(A), ((), ()))


def _slogdet(A):
    sign, logabsdet = _sign_log("slogdet", A)
    return Results(sign=sign, logabsdet=logabsdet)


def _logdet(A):
    # PyTorch's logdet: log|det A| where det A ≥ 0, nan where it is negative.
    sign, logabsdet = _sign_log("logdet", A)
    return F.where(F.lt(sign, 0), math.nan, logabsdet)


# ---- eigh, eigvalsh
def _eigh_packed(bk, A, UPLO):
    values, vectors = bk.xp.linalg.eigh(_symmetric(bk.xp, A), UPLO=UPLO)
    return _pack(bk.xp, A.shape[:-2], values, vectors * _signs(bk.xp, vectors, A.shape[-1]))


def _eigh_grad(g, y, A, UPLO):
    # PyTorch's linalg_eig_backward for a symmetric matrix:
    # gA = V (diag(gλ) + skew(Vᵀ gV) / 2E) Vᵀ. Without a cotangent for V
    # (eigvalsh) it is V diag(gλ) Vᵀ, finite at repeated eigenvalues, where
    # the eigenvectors' term is inf or nan, as in PyTorch.
    n = A.shape[-1]
    values, V = _unpack(y, ((n,), (n, n)))
    g_values, g_vectors = _unpack(g, ((n,), (n, n)))
    inner = _diagonal(g_values)
    if backend_of(A).any(data_of(g_vectors)):
        inner = inner + _skew(swap_last(V) @ g_vectors) / 2 / _gaps(values)
    return V @ inner @ swap_last(V)


def _eigen(name, A, UPLO):
    n = _matrix(name, A)
    return _unpack(F.eigh_packed(A, UPLO=UPLO), ((n,), (n, n)))


def _eigh(A, UPLO="L"):
    values, vectors = _eigen("eigh", A, UPLO)
    return Results(eigenvalues=values, eigenvectors=vectors)


# ---- svd, svdvals
def _svd_shapes(m, n, full):
    k = min(m, n)
    return (m, m if full else k), (k,), (n if full else k, n)


def _svd_packed(bk, A, full_matrices):
    xp = bk.xp
    U, S, Vh = xp.linalg.svd(A, full_matrices=full_matrices)
    k = S.shape[-1]
    signs = _signs(xp, U, k)
    U = xp.concatenate([U[..., :k] * signs, U[..., k:]], axis=-1)
    Vh = xp.concatenate([Vh[..., :k, :] * xp.swapaxes(signs, -1, -2), Vh[..., k:, :]], axis=-2)
    return _pack(xp, A.shape[:-2], U, S, Vh)


def _first_k(parts, k):
    """U's first k columns, S, Vh's first k rows: what svd_backward reads with full_matrices."""
    U, S, Vh = parts
    lead = (slice(None),) * (U.ndim - 2)
    return F.getitem(U, key=lead + (slice(None), slice(0, k))), S, F.getitem(Vh, key=lead + (slice(0, k),))


def _svd_grad(g, y, A, full_matrices):
    # PyTorch's svd_backward, term for term; with full_matrices the vectors
    # past the k-th pass nothing back, as in PyTorch.
    m, n = A.shape[-2:]
    k, shapes = min(m, n), _svd_shapes(m, n, full_matrices)
    (U, S, Vh), (gU, gS, gVh) = (_first_k(_unpack(t, shapes), k) for t in (y, g))
    fed_u, fed_v = backend_of(A).any(data_of(gU)), backend_of(A).any(data_of(gVh))
    if not (fed_u or fed_v):            # singular values alone (svdvals): finite at repeated ones
        return (U * F.unsqueeze(gS, axis=gS.ndim - 1)) @ Vh
    s_col, s_row = F.unsqueeze(S, axis=S.ndim - 1), F.unsqueeze(S, axis=S.ndim)
    inner = (_skew(swap_last(U) @ gU) * s_col + s_row * _skew(Vh @ swap_last(gVh))) / _gaps(S * S) + _diagonal(gS)
    if m > n and fed_u:
        gU_S = gU / s_col
        return (U @ inner + gU_S - U @ (swap_last(U) @ gU_S)) @ Vh
    if m < n and fed_v:
        S_gVh = gVh / s_row
        return U @ (inner @ Vh + S_gVh - (S_gVh @ swap_last(Vh)) @ Vh)
    return U @ inner @ Vh


def _singular(name, A, full_matrices):
    n = _matrix(name, A, square=False)
    return _unpack(F.svd_packed(A, full_matrices=full_matrices), _svd_shapes(A.shape[-2], n, full_matrices))


def _svd(A, full_matrices=True):
    U, S, Vh = _singular("svd", A, full_matrices)
    return Results(U=U, S=S, Vh=Vh)


# ---- pinv
EPSILON = {8: 2.0 ** -52, 4: 2.0 ** -23}        # machine epsilon of float64 and float32, by item size


def _stacks(a: tuple, b: tuple) -> tuple:
    """Two batch shapes broadcast together (ValueError if they cannot be)."""
    a, b = (1,) * (len(b) - len(a)) + tuple(a), (1,) * (len(a) - len(b)) + tuple(b)
    if any(m != n and 1 not in (m, n) for m, n in zip(a, b)):
        raise ValueError(a, b)
    return tuple(max(m, n) if 0 not in (m, n) else 0 for m, n in zip(a, b))


def _pinv(bk, A, atol, rtol):
    # PyTorch's cut: singular values at or below max(atol, rtol·largest) count
    # as 0, rtol being eps·max(m, n) unless atol > 0 is given.
    xp = bk.xp
    U, S, Vh = xp.linalg.svd(A, full_matrices=False)
    if rtol is None:
        rtol = 0.0 if atol is not None and atol > 0 else EPSILON[A.dtype.itemsize] * max(A.shape[-2:])
    kept = S > xp.maximum(atol or 0.0, rtol * S[..., :1])
    inverse = xp.where(kept, 1 / xp.where(kept, S, 1.0), 0.0)
    return xp.matmul(xp.swapaxes(Vh, -1, -2) * xp.expand_dims(inverse, -2), xp.swapaxes(U, -1, -2))


def _pinv_grad(g, y, A, atol, rtol):
    # PyTorch's pinv_backward, in its order for m ≤ n and for m > n.
    P, Ph, gh = y, swap_last(y), swap_last(g)
    if A.shape[-2] <= A.shape[-1]:
        K = gh @ P
        KPh = K @ Ph
        return -swap_last(P @ K) + KPh - (A @ P) @ KPh + (Ph @ P) @ (gh - K @ A)
    K = P @ gh
    PhK = Ph @ K
    return -swap_last(K @ P) + (gh - A @ K) @ P @ Ph + PhK - PhK @ P @ A


# ---- matrix_power, matrix_exp
def _matrix_power(A, n):
    # PyTorch's order of products (repeated squaring); a negative n powers the inverse.
    size = _matrix("matrix_power", A)
    if n is None:                       # the binding lets None through an int parameter
        raise ArgumentError("matrix_power()'s n must be a whole number, not None", hint="usage: matrix_power(A, n)")
    if n == 0:                          # the identity, and a gradient of exactly 0
        return F.where(F.ones_like(A), F.eye(n=size, bk=A.bk), A)
    if n < 0:
        A, n = F.inv(A), -n
    z = result = None
    while n:
        n, bit = divmod(n, 2)
        z = A if z is None else z @ z
        if bit:
            result = z if result is None else result @ z
    return result


PADE13 = (64764752532480000., 32382376266240000., 7771770303897600., 1187353796428800., 129060195264000.,
          10559470521600., 670442572800., 33522128640., 1323241920., 40840800., 960960., 16380., 182., 1.)
THETA13 = 5.371920351148152
"""Higham's (2005) [13/13] Padé coefficients, and the 1-norm up to which it is exact to double precision."""


def _matrix_exp(bk, A):
    # Scaling and squaring: A/2^s has a 1-norm below THETA13 (one s for the
    # whole stack, found with the backend's one flag), its Padé approximant
    # is squared s times.
    xp, b = bk.xp, PADE13
    norm = xp.max(xp.sum(xp.abs(A), axis=-2), axis=-1)
    s = 0
    while s < 1000 and bk.any(norm > THETA13 * 2.0 ** s):
        s += 1
    X = A / 2.0 ** s
    eye = xp.eye(A.shape[-1], dtype=A.dtype)
    X2 = X @ X
    X4 = X2 @ X2
    X6 = X4 @ X2
    U = X @ (X6 @ (b[13] * X6 + b[11] * X4 + b[9] * X2) + b[7] * X6 + b[5] * X4 + b[3] * X2 + b[1] * eye)
    V = X6 @ (b[12] * X6 + b[10] * X4 + b[8] * X2) + b[6] * X6 + b[4] * X4 + b[2] * X2 + b[0] * eye
    R = xp.linalg.solve(V - U, V + U)
    for _ in range(s):
        R = R @ R
    return R


def _matrix_exp_grad(g, y, A):
    # PyTorch's: the top right block of exp([[Aᵀ, g], [0, Aᵀ]]).
    n, axis = A.shape[-1], A.ndim - 1
    At = swap_last(A)
    block = F.concat(F.concat(At, g, axis=axis), F.concat(F.zeros_like(A), At, axis=axis), axis=axis - 1)
    return F.getitem(F.matrix_exp(block), key=(slice(None),) * (A.ndim - 2) + (slice(0, n), slice(n, 2 * n)))


SOLVE = (case((3, 3), (3,)), case((3, 3), (3, 2)), case((2, 3, 3), (2, 3)), case((2, 3, 3), (3, 2)),
         case((3, 3), (2, 3, 1)))
SQUARE = (case((3, 3)), case((2, 3, 3)))
EIGH = (case((3, 3)), case((2, 3, 3), UPLO="U"))
SVD = (case((3, 3)), case((2, 3, 3), full_matrices=True), case((4, 3), full_matrices=False),
       case((2, 3, 4), full_matrices=False))
THIN = (case((4, 3)), case((2, 3, 4)), case((3, 3)))
SVD_EXPLAIN = ("U (diag(·S) + (skew(Uᵀ·U) S + S skew(Vh·Vhᵀ))/(Sⱼ² - Sᵢ²)) Vh, and terms in S⁻¹ when not square",
               "svd_backward(gU, gS, gVh)")
SIGN_LOG = factor_reference.matrices(lambda mp, a: (mp.sign(mp.det(a)), mp.log(abs(mp.det(a)))))

BATCH = "stacked"       # how its rows run on a batch (ops/batching.py): each takes a stack of matrices

OPS = [
    Op("solve", "A, B", forward=_solve, batch=_solve_batch, family="factor", domain="wellposed", examples=SOLVE,
       grads=(_solve_grad_a, lambda g, y, A, B: F.solve(swap_last(A), g)), reference=factor_reference.solve,
       doc="X with A @ X = B: B a vector or a matrix (torch.linalg.solve's rule), stacks broadcast",
       explain={"A": ("-{A:p}⁻ᵀ(·) Xᵀ, X the solution", "-solve({A:p}ᵀ, g) @ Xᵀ"),
                "B": ("{A:p}⁻¹, on the left", "solve({A:p}ᵀ, g)")}),
    Op("cholesky", "A, upper:bool=False", forward=_checked("cholesky", _cholesky), grads=(_cholesky_grad,),
       family="factor", domain="wellposed", examples=SQUARE + (case((2, 3, 3), upper=True),),
       singular=(at([[4.0, 2.0], [2.0, 3.0]]), at([[4.0, 2.0], [2.0, 3.0]], upper=True)),   # PyTorch's symmetric gA
       reference=factor_reference.matrices(lambda mp, a, upper: (lambda L: L.T if upper else L)(
           mp.cholesky(factor_reference.symmetric(a)))),
       doc="L (lower) with L @ Lᵀ = A, A symmetric positive definite (its symmetric part is used); upper: Lᵀ",
       explain=("L⁻ᵀ Φ(Lᵀ·) L⁻¹, L = cholesky({A})", "L⁻ᵀ Φ(Lᵀ g) L⁻¹, Φ: lower triangle, half diagonal, symmetric")),
    Op("slogdet_packed", "A", forward=_checked("slogdet", _slogdet_packed), grads=(_slogdet_grad,), builtin=False,
       family="factor", examples=SQUARE, reference=factor_reference.packed(SIGN_LOG),
       doc="slogdet's sign and log|det| side by side", explain=("{A:p}⁻ᵀ for log|det|", "g·{A:p}⁻ᵀ")),
    Op("slogdet", "A", impl=_slogdet, family="factor", examples=SQUARE, reference=SIGN_LOG,
       doc="sign and log|det A| (.sign, .logabsdet); the sign passes no gradient"),
    Op("logdet", "A", impl=_logdet, family="factor", domain="wellposed", examples=SQUARE,
       singular=(at([[0.0, 1.0], [1.0, 0.0]]),),
       reference=factor_reference.matrices(lambda mp, a: mp.log(mp.det(a)) if mp.det(a) >= 0 else mp.nan),
       doc="log det A: nan where det A < 0, -inf where it is 0 (as torch.logdet)"),
    Op("eigh_packed", "A, UPLO:str(L|U)=L", forward=_checked("eigh", _eigh_packed), grads=(_eigh_grad,),
       builtin=False, family="factor", examples=EIGH, reference=factor_reference.packed(factor_reference.eigh),
       doc="eigh's eigenvalues and eigenvectors side by side",
       explain=("V (diag(·λ) + skew(Vᵀ·)/2(λⱼ - λᵢ)) Vᵀ", "V (diag(gλ) + skew(Vᵀ gV)/2(λⱼ - λᵢ)) Vᵀ")),
    Op("eigh", "A, UPLO:str(L|U)=L", impl=_eigh, family="factor", examples=EIGH, reference=factor_reference.eigh,
       doc="eigenvalues (ascending) and eigenvectors (columns) of symmetric A (.eigenvalues, .eigenvectors); "
           "the eigenvectors' gradient is not defined (nan) at repeated eigenvalues"),
    Op("eigvalsh", "A, UPLO:str(L|U)=L", impl=lambda A, UPLO="L": _eigen("eigvalsh", A, UPLO)[0], family="factor",
       examples=EIGH, reference=lambda A, UPLO: factor_reference.eigh(A, UPLO)[0],
       singular=(at([[1.0, 0.0], [0.0, 1.0]]), at([[2.0, 1.0, 0.0], [1.0, 2.0, 0.0], [0.0, 0.0, 3.0]], UPLO="U")),
       doc="eigenvalues of symmetric A, ascending (its gradient V diag(g) Vᵀ is finite at repeated ones)"),
    Op("svd_packed", "A, full_matrices:bool=True", forward=_checked("svd", _svd_packed, square=False),
       grads=(_svd_grad,), builtin=False, family="factor", examples=SVD,
       reference=factor_reference.packed(factor_reference.svd), doc="svd's U, S and Vh side by side", explain=SVD_EXPLAIN),
    Op("svd", "A, full_matrices:bool=True", impl=_svd, family="factor", examples=SVD, reference=factor_reference.svd,
       doc="U, S (descending), Vh with A = U diag(S) Vh (.U, .S, .Vh); full_matrices: U and Vh square"),
    Op("svdvals", "A", impl=lambda A: _singular("svdvals", A, False)[1], family="factor", examples=THIN,
       reference=lambda A: factor_reference.svd(A, False)[1], singular=(at([[1.0, 0.0], [0.0, 1.0]]),),
       doc="singular values of A, descending (its gradient U diag(g) Vh is finite at repeated ones)"),
    Op("pinv", "A, atol:float=None, rtol:float=None", forward=_checked("pinv", _pinv, square=False),
       grads=(_pinv_grad,), family="factor", reference=factor_reference.pinv,
       examples=THIN + (case((2, 2, 3), atol=1e-3), case((3, 2), rtol=1e-6)),
       singular=(at([[1.0, 2.0], [2.0, 4.0]]), at([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0]], rtol=1e-3)),
       doc="Moore-Penrose pseudo-inverse; singular values ≤ max(atol, rtol·largest) count as 0",
       explain=("PyTorch's pinv_backward (products of {A:p}, A⁺ and ·)", "pinv_backward(g, A⁺, {A:p})")),
    Op("matrix_power", "A, n:int", impl=_matrix_power, family="factor", domain="wellposed",
       examples=(case((3, 3), n=3), case((2, 3, 3), n=-2), case((3, 3), n=0), case((3, 3), n=6)),
       reference=factor_reference.matrices(lambda mp, a, n: a ** n), singular=(at([[1.0, 2.0], [3.0, 4.0]], n=0), at([[0.0, 1.0], [0.0, 0.0]], n=2)),
       doc="A @ A @ ... (n times); n = 0 gives the identity, n < 0 powers the inverse"),
    Op("matrix_exp", "A", forward=_checked("matrix_exp", _matrix_exp), grads=(_matrix_exp_grad,),
       family="factor", examples=SQUARE + (case((6, 6)),), reference=factor_reference.matrices(lambda mp, a: mp.expm(a)),
       doc="the matrix exponential e^A (scaling and squaring with a Padé approximant)",
       explain=("exp([[{A:p}ᵀ, ·], [0, {A:p}ᵀ]]), top right block", "exp([[{A:p}ᵀ, g], [0, {A:p}ᵀ]])[:n, n:]")),
]
