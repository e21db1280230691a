"""Linear algebra. matmul follows NumPy's rules for 1-D and batched operands;
mm and dot are matmul with the shape checks of their PyTorch namesakes."""
from __future__ import annotations

from gradcli.autograd.engine import backend_of
from gradcli.errors import ShapeError
from gradcli.ops import batching, reference
from gradcli.ops.core import TABLE, F, Op, case


def swap_last(t):
    return F.transpose(t, dim0=t.ndim - 2, dim1=t.ndim - 1)


def _as_matrices(a, b, g):
    """Operands and cotangent with 1-D operands promoted as matmul does."""
    if a.ndim == 1:
        a, g = F.reshape(a, shape=(1,) + a.shape), F.unsqueeze(g, axis=g.ndim - (b.ndim > 1))
    if b.ndim == 1:
        b, g = F.reshape(b, shape=b.shape + (1,)), F.unsqueeze(g, axis=g.ndim)
    return a, b, g


def _matmul_grad_a(g, y, a, b):
    a2, b2, g2 = _as_matrices(a, b, g)
    ga = g2 @ swap_last(b2)
    return F.reshape(F.sum_to(ga, shape=a2.shape), shape=a.shape)


def _matmul_grad_b(g, y, a, b):
    a2, b2, g2 = _as_matrices(a, b, g)
    gb = swap_last(a2) @ g2
    return F.reshape(F.sum_to(gb, shape=b2.shape), shape=b.shape)


def _matmul(bk, a, b):
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError(f"matmul: both operands need at least one axis, got shapes {tuple(a.shape)} and "
                         f"{tuple(b.shape)}", hint="use * to multiply by a scalar")
    try:
        return bk.xp.matmul(a, b)
    except ValueError:
        raise ShapeError(f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} do not line up "
                         f"({a.shape[-1]} != {b.shape[-2] if b.ndim > 1 else b.shape[0]})") from None


def _checked(name, want_a, want_b) -> dict:
    """The forward and the batch rule of matmul restricted to operands of
    want_a and want_b axes (mm, dot): the rule checks one item's operands,
    then runs matmul on the batch, which this forward would refuse."""
    def check(a, b):
        if len(a) != want_a or len(b) != want_b:
            raise ShapeError(f"{name}: needs {want_a}-D and {want_b}-D operands, got shapes "
                             f"{tuple(a)} and {tuple(b)}", hint="matmul (@) takes any ranks")

    def forward(bk, a, b):
        check(a.shape, b.shape)
        return _matmul(bk, a, b)

    def rule(b, op, inputs, params, run):
        check(*(t.shape[b.has(t):] for t in inputs))
        return batching.matmul(b, TABLE["matmul"], inputs, params, run)
    return {"forward": forward, "batch": rule}


def _outer_batch(b, op, inputs, params, run):
    """Each item's outer product, as NumPy's outer makes it (of the flattened
    operands): a column of the one times a row of the other, broadcast."""
    a, c = inputs

    def batch(t):
        return (b.n,) if b.has(t) else ()
    return F.reshape(a, shape=batch(a) + (-1, 1)) * F.reshape(c, shape=batch(c) + (1, -1))


def reversed_axes(b, x):
    """Each item of the batched x with its axes in reverse order (its transpose)."""
    return F.permute(x, dims=(0,) + tuple(range(b.ndim(x), 0, -1)))


def _transpose_batch(b, op, inputs, params, run):
    if params["dim0"] is None and params["dim1"] is None:
        return reversed_axes(b, *inputs)
    return batching.axes(b, op, inputs, params, run)        # item by item if one is None, to fail


def _transpose(bk, x, dim0, dim1):
    if dim0 is None and dim1 is None:
        return bk.xp.transpose(x)
    if dim0 is None or dim1 is None:
        raise ShapeError("transpose: give both axes to swap, or none to reverse them all")
    return x.swapaxes(dim0, dim1) if x.ndim else x


def _diag(bk, x):
    if x.ndim not in (1, 2):
        raise ShapeError(f"diag: needs a vector or a matrix, got shape {tuple(x.shape)}")
    return bk.xp.diag(x)


def _diag_grad(g, y, x):
    if x.ndim == 1:
        return F.diag(g)
    k = min(x.shape)
    idx = tuple(range(k))
    return F.scatter(g, key=(idx, idx), shape=x.shape)


def _det(bk, x):
    # A nan anywhere in a matrix makes its determinant nan (LAPACK's may not), as in PyTorch.
    xp = bk.xp
    return xp.where(xp.any(xp.isnan(x), axis=(-2, -1)), xp.nan, xp.linalg.det(x))


def _det_grad(g, y, x):
    # d det(x) / dx is the cofactor matrix (the adjugate, transposed): det(x)·x⁻ᵀ
    # when x is invertible. Written out with minors for n ≤ 3, and for a
    # singular x of any size, so that it is exact there and to every order.
    g = matrix_shaped(g)
    if x.shape[-1] > 3 and not x.bk.any(y.data == 0):
        return g * matrix_shaped(y) * swap_last(F.inv(x))
    return g * _cofactors(x)


def matrix_shaped(t):
    """A batch of numbers with two axes of 1 added, to multiply a batch of matrices."""
    return F.unsqueeze(F.unsqueeze(t, axis=t.ndim), axis=t.ndim + 1)


def _cofactors(x):
    """C[..., i, j] = (-1)^(i+j) det(x without row i and column j)."""
    n = x.shape[-1]
    if n == 1:
        return F.ones_like(x)
    rows = []
    for i in range(n):
        without_row = _without(x, i, axis=x.ndim - 2)
        row = [F.det(_without(without_row, j, axis=x.ndim - 1)) * (-1) ** (i + j) for j in range(n)]
        rows.append(F.stack(*row, axis=x.ndim - 2))
    return F.stack(*rows, axis=x.ndim - 2)


def _without(x, k, axis):
    """x with index k of axis left out."""
    n, lead = x.shape[axis], (slice(None),) * axis
    parts = [F.getitem(x, key=lead + (part,)) for part in (slice(0, k), slice(k + 1, n)) if part.stop > part.start]
    return parts[0] if len(parts) == 1 else F.concat(*parts, axis=axis)


def _square(name, forward):
    def checked(bk, x):
        if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
            raise ShapeError(f"{name}: needs a square matrix, got shape {tuple(x.shape)}")
        return forward(bk, x)
    return checked


def _main_diagonal(k):
    """The key of the main diagonals (k long) of a stack of matrices."""
    return (slice(None),) + (tuple(range(k)),) * 2


def _diagonals(x):
    """The main diagonal of each matrix of a stack."""
    return F.getitem(x, key=_main_diagonal(min(x.shape[1:])))


def _diag_batch(b, op, inputs, params, run):
    (x,) = inputs
    if b.ndim(x) == 1:
        k = x.shape[1]
        return F.scatter(x, key=_main_diagonal(k), shape=(b.n, k, k))
    if b.ndim(x) == 2:
        return _diagonals(x)
    return batching.loop(b, op, inputs, params, run)       # to fail as an item does


def _trace_batch(b, op, inputs, params, run):
    (x,) = inputs
    if b.ndim(x) != 2:
        return batching.loop(b, op, inputs, params, run)
    return F.sum(_diagonals(x), axis=(1,))


def _trace(bk, x):
    if x.ndim != 2:
        raise ShapeError(f"trace: needs a matrix, got shape {tuple(x.shape)}")
    return bk.xp.trace(x)


MM = (case((2, 3), (3, 4)),)
SQUARE = (case((3, 3)),)

OPS = [
    Op("matmul", "a, b", forward=_matmul, grads=(_matmul_grad_a, _matmul_grad_b),
       reference=reference.matmul,
       doc="matrix product a @ b, NumPy's rules for 1-D and batched operands", batch="matmul", family="linalg",
       examples=MM + (case((3,), (3, 2)), case((2, 3), (3,)), case((3,), (3,)), case((2, 2, 3), (3, 2))),
       form=("{a:5} @ {b:6}", 5),
       explain={"a": ("{b:p}ᵀ, on the right", "g @ {b:p}ᵀ"), "b": ("{a:p}ᵀ, on the left", "{a:p}ᵀ @ g")}),
    Op("mm", "a, b", **_checked("mm", 2, 2), grads=(_matmul_grad_a, _matmul_grad_b),
       reference=reference.matmul,
       doc="matrix product of two matrices", family="linalg", examples=MM,
       explain={"a": ("{b:p}ᵀ, on the right", "g @ {b:p}ᵀ"), "b": ("{a:p}ᵀ, on the left", "{a:p}ᵀ @ g")}),
    Op("dot", "a, b", **_checked("dot", 1, 1), grads=(_matmul_grad_a, _matmul_grad_b),
       reference=reference.matmul,
       doc="inner product of two vectors", family="linalg", examples=(case((3,), (3,)),),
       explain={"a": ("{b}", "g·{b:p}"), "b": ("{a}", "g·{a:p}")}),
    Op("outer", "a, b", forward=lambda bk, a, b: bk.xp.outer(a, b), batch=_outer_batch,
       reference=reference.outer,
       grads=(lambda g, y, a, b: g @ b, lambda g, y, a, b: F.transpose(g) @ a),
       doc="outer product of two vectors", family="linalg", examples=(case((3,), (2,)),),
       explain={"a": ("{b}, summed along the rows", "g @ {b:p}"),
                "b": ("{a}, summed along the columns", "gᵀ @ {a:p}")}),
    Op("transpose", "x, dim0:axis1=None, dim1:axis1=None", forward=_transpose, batch=_transpose_batch,
       reference=reference.transpose,
       grads=(lambda g, y, x, dim0, dim1: F.transpose(g, dim0=dim0, dim1=dim1),),
       doc="reverse the axes (x.T), or swap two: transpose(x, 0, 1)", family="linalg",
       examples=(case((2, 3), dim0=None, dim1=None), case((2, 3, 4), dim0=0, dim1=2), case((), dim0=0, dim1=0)),
       form=("{x:8}ᵀ", 8),
       explain=("1, with the axes swapped back", "gᵀ")),
    Op("trace", "x", forward=_trace, batch=_trace_batch,
       grads=(lambda g, y, x: F.where(F.eye(n=x.shape[0], m=x.shape[1], bk=backend_of(x)), g, 0.0),),
       reference=reference.trace,
       doc="sum of the diagonal", family="linalg", examples=SQUARE + (case((2, 3)),),
       explain=("the identity matrix", "g·I")),
    Op("det", "x", forward=_square("det", _det), batch="stacked",
       reference=reference.matrix(lambda mp, m: mp.det(m)),
       grads=(_det_grad,),
       doc="determinant of a square matrix", family="linalg", domain="wellposed", examples=SQUARE,
       explain=("det({x})·{x:p}⁻ᵀ", "g·det({x})·{x:p}⁻ᵀ")),
    Op("inv", "x", forward=_square("inv", lambda bk, x: bk.xp.linalg.inv(x)), batch="stacked",
       reference=reference.matrix(lambda mp, m: mp.inverse(m)),
       grads=(lambda g, y, x: -(swap_last(y) @ g @ swap_last(y)),),
       doc="inverse of a square matrix", family="linalg", domain="wellposed", examples=SQUARE,
       explain=("-{x:p}⁻¹·(·)·{x:p}⁻¹", "-{x:p}⁻ᵀ @ g @ {x:p}⁻ᵀ")),
    Op("diag", "x", forward=_diag, grads=(_diag_grad,), batch=_diag_batch,
       reference=reference.diag,
       doc="a vector's diagonal matrix, or a matrix's diagonal", family="linalg",
       examples=(case((3,)), case((3, 3)), case((2, 3))),
       explain=("1 on the diagonal", "diag(g)")),
]
