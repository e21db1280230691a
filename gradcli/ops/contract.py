"""Products and norms of tensors: einsum (any equation NumPy accepts,
gradients by einsum), kron, cross, tensordot, vector_norm and matrix_norm.

An einsum equation is first made explicit for the operands' shapes: '...'
named with spare letters (aligned at the right, size-1 axes broadcast), the
implicit output written out (NumPy's: '...' first, then the letters met once,
in ASCII order). That form is what runs, through bk.xp.einsum with
optimize='greedy': NumPy and CuPy both take it, and both then contract pair by
pair in the cheapest order they find, through BLAS where a pair is a matrix
product, instead of one loop over every index. The gradient of an operand is
one more einsum: the cotangent and the other operands in, the operand's
indices out. kron and tensordot are einsums too; the norms are made of norm,
max, min and svdvals, whose rules are PyTorch's. On a batch, the batch axis
is one more letter of the explicit form.

Long: the forward, the gradient and the batch rule of einsum all read the
explicit form of its equation, and kron and tensordot write equations of it."""
from __future__ import annotations

import math
import re
import string
from functools import lru_cache

from gradcli.autograd.engine import backend_of
from gradcli.autograd.tensor import Tensor
from gradcli.errors import ArgumentError, ShapeError
from gradcli.ops import batching
from gradcli.ops import contract_reference as ref
from gradcli.ops.binding import normalize_axis, whole
from gradcli.ops.core import F, Op, at, case
from gradcli.ops.reference import reduction

LETTERS = string.ascii_letters
TERM = re.compile(r"[A-Za-z]*(\.\.\.)?[A-Za-z]*")


def _terms(equation: str) -> tuple[list[str], str]:
    """The input terms and the output as written ('...' kept), the implicit output spelt out."""
    lhs, arrow, rhs = equation.replace(" ", "").partition("->")
    terms = lhs.split(",")
    if not all(TERM.fullmatch(t) for t in terms + [rhs]):
        raise ArgumentError(f"einsum: cannot read the equation {equation!r}", hint="a term is letters with at most "
                            "one '...', terms are separated by ',', and '->' comes before the output: 'ij,jk->ik'")
    if not arrow:
        letters = lhs.replace(".", "").replace(",", "")
        once = sorted(c for c in set(letters) if letters.count(c) == 1)
        return terms, ("..." if "..." in lhs else "") + "".join(once)
    for c in rhs.replace(".", ""):
        if rhs.count(c) > 1:
            raise ArgumentError(f"einsum: the output {rhs!r} repeats {c!r} (an output index appears once)")
        if c not in lhs:
            raise ArgumentError(f"einsum: the output's {c!r} is in no operand's term of {equation!r}")
    return terms, rhs


def _spare(used: str) -> list[str]:
    return [c for c in LETTERS if c not in used]


@lru_cache(maxsize=1024)
def _parse(equation: str, shapes: tuple) -> tuple[tuple[str, ...], str, dict]:
    """(terms, output, size of each index) with every axis named by a letter."""
    terms, out = _terms(equation)
    if len(terms) != len(shapes):
        raise ArgumentError(f"einsum: the equation {equation!r} names {len(terms)} operand" + "s" * (len(terms) != 1)
                            + f", but {len(shapes)} {'was' if len(shapes) == 1 else 'were'} given")
    extra = []
    for k, (term, shape) in enumerate(zip(terms, shapes)):
        named = len(term.replace("...", ""))
        if len(shape) != named and ("..." not in term or len(shape) < named):
            raise ShapeError(f"einsum: operand {k + 1} has {len(shape)} axes, the equation's {term!r} names "
                             + (f"at least {named}" if "..." in term else str(named)))
        extra.append(len(shape) - named)
    ellipsis = "".join(_spare(equation)[:max(extra, default=0)])
    if len(ellipsis) < max(extra, default=0):
        raise ShapeError(f"einsum: {equation!r} leaves too few letters to name the axes of '...'")
    terms = tuple(t.replace("...", ellipsis[len(ellipsis) - n:]) for t, n in zip(terms, extra))
    return terms, out.replace("...", ellipsis), _sizes(terms, shapes, ellipsis)


def _sizes(terms, shapes, ellipsis) -> dict:
    """Each index's size: equal wherever it appears, or 1 there (broadcast, as in NumPy and PyTorch)."""
    sizes, where = {}, {}
    for k, (term, shape) in enumerate(zip(terms, shapes)):
        for c, n in zip(term, shape):
            name = "'...'" if c in ellipsis else repr(c)
            first = shape[term.index(c)]
            if n != first:
                raise ShapeError(f"einsum: operand {k + 1} repeats index {name} over axes of sizes {first} and {n} "
                                 f"(shape {shape})")
            m = sizes.get(c)
            if m is None or m == 1:
                sizes[c], where[c] = n, k
            elif n not in (1, m):
                raise ShapeError(f"einsum: index {name} has size {m} in operand {where[c] + 1} "
                                 f"and {n} in operand {k + 1}")
    return sizes


def _einsum(bk, *arrays, equation):
    terms, out, _ = _parse(equation, tuple(tuple(a.shape) for a in arrays))
    return bk.xp.einsum(",".join(terms) + "->" + out, *arrays, optimize="greedy")


def _einsum_batch(b, op, inputs, params, run):
    """The equation made explicit for one item, then the batch axis given a
    letter of its own, in the batched operands' terms and first in the output."""
    terms, out, _ = _parse(params["equation"], tuple(t.shape[b.has(t):] for t in inputs))
    spare = _spare(",".join(terms) + out)
    if not spare:                       # every letter taken: item by item
        return batching.loop(b, op, inputs, params, run)
    letter = spare[0]
    terms = (letter + term if b.has(t) else term for term, t in zip(terms, inputs))
    return run(op, inputs, {**params, "equation": ",".join(terms) + "->" + letter + out})


def _einsum_grad(g, y, *xs, equation, index):
    # The operand's indices become the output, read from the cotangent and the
    # other operands. An axis broadcast from size 1 is summed (the 1 is put back
    # by the reshape); an index the others lack is spread with a vector of ones;
    # a repeated index (a diagonal read) is written onto the diagonal through
    # the identity, under a fresh letter. Each is an einsum, so second
    # derivatives follow by the same rule.
    terms, out, sizes = _parse(equation, tuple(x.shape for x in xs))
    x, bk, spare = xs[index], backend_of(xs[index]), iter(_spare(",".join(terms) + out))
    parts = [(out, g)] + [(t, v) for j, (t, v) in enumerate(zip(terms, xs)) if j != index]
    full = {c for t, v in parts for c, n in zip(t, v.shape) if n == sizes[c]}
    wanted = ""
    for c, n in zip(terms[index], x.shape):
        if n != sizes[c]:
            continue
        if c in wanted:
            fresh = next(spare, None)
            if fresh is None:
                raise ShapeError(f"einsum: no letter left to write the gradient of {terms[index]!r}")
            parts.append((c + fresh, F.eye(n=n, bk=bk)))
            full.update((c, fresh))
            c = fresh
        wanted += c
    parts += [(c, F.ones(shape=(sizes[c],), bk=bk)) for c in wanted if c not in full]
    grad = F.einsum(*(v for _, v in parts), equation=",".join(t for t, _ in parts) + "->" + wanted)
    return grad if grad.shape == x.shape else F.reshape(grad, shape=x.shape)


def _einsum_explain(equation, **_):
    terms, out = _terms(equation)

    def rule(k):
        inputs = ",".join([out] + terms[:k] + terms[k + 1:])
        others = ", the other operands" if len(terms) > 1 else ""
        return "the other operands, contracted as the equation says", f"einsum('{inputs}->{terms[k]}', g{others})"
    return {f"operands[{k}]": rule(k) for k in range(len(terms))}


def _kron(x, other):
    n = max(x.ndim, other.ndim)
    a, b = (F.reshape(t, shape=(1,) * (n - t.ndim) + t.shape) for t in (x, other))
    left, right = LETTERS[:n], LETTERS[n:2 * n]
    blocks = F.einsum(a, b, equation=f"{left},{right}->" + "".join(p + q for p, q in zip(left, right)))
    return F.reshape(blocks, shape=tuple(p * q for p, q in zip(a.shape, b.shape)))


def _plain(v):
    """A parameter as Python numbers and lists (the language gives arrays and tuples)."""
    if isinstance(v, Tensor):
        return v.numpy().tolist()
    return [_plain(i) for i in v] if isinstance(v, (tuple, list)) else v


def _contracted(dims, a, b) -> tuple[tuple, tuple]:
    """tensordot's dims as the axes of a and of b summed together: a number n
    is a's last n with b's first n, as in PyTorch."""
    dims, what = _plain(dims), "tensordot()'s dims"
    if isinstance(dims, list):
        if len(dims) != 2 or not all(isinstance(d, list) for d in dims):
            raise ArgumentError(f"{what} is a number or two lists of axes, such as ([1, 0], [0, 1])")
        given = [[whole(i, what) for i in d] for d in dims]
        left, right = (tuple(normalize_axis(i, t.ndim, "tensordot") for i in d) for d, t in zip(given, (a, b)))
        if len(left) != len(right) or len(set(left)) < len(left) or len(set(right)) < len(right):
            raise ArgumentError(f"{what} must pair distinct axes of a with as many of b, not {tuple(given)}")
    else:
        n = whole(dims, what)
        if not 0 <= n <= min(a.ndim, b.ndim):
            raise ShapeError(f"tensordot: dims={n} contracts {n} axes, but the shapes are {a.shape} and {b.shape}")
        left, right = tuple(range(a.ndim - n, a.ndim)), tuple(range(n))
    for i, j in zip(left, right):
        if a.shape[i] != b.shape[j] and 1 not in (a.shape[i], b.shape[j]):
            raise ShapeError(f"tensordot: axis {i} of a has size {a.shape[i]}, axis {j} of b {b.shape[j]} "
                             f"(shapes {a.shape} and {b.shape})")
    return left, right


def _tensordot(a, b, dims):
    left, right = _contracted(dims, a, b)
    la = LETTERS[:a.ndim]
    fresh = iter(LETTERS[a.ndim:])
    lb = "".join(la[left[right.index(j)]] if j in right else next(fresh) for j in range(b.ndim))
    out = [c for i, c in enumerate(la) if i not in left] + [c for j, c in enumerate(lb) if j not in right]
    return F.einsum(a, b, equation=f"{la},{lb}->{''.join(out)}")


def _cross_axis(a: tuple, b: tuple, axis) -> int:
    """cross's axis, normalised, once the shapes a and b are checked."""
    if len(a) != len(b) or not a:
        raise ShapeError(f"cross: x and other need the same number of axes, at least one (as in PyTorch), "
                         f"got shapes {a} and {b}")
    k = normalize_axis(axis, len(a), "cross")
    if a[k] != 3 or b[k] != 3:
        raise ShapeError(f"cross: axis {axis} must have length 3, got {a[k]} in x and {b[k]} in other")
    return k


def _cross(bk, a, b, axis):
    return bk.xp.cross(a, b, axis=_cross_axis(tuple(a.shape), tuple(b.shape), axis))


def _cross_batch(b, op, inputs, params, run):
    """The items' shapes checked, then the axis counted from the end, where the batch axis does not move it."""
    a, c = inputs
    axis = _cross_axis(*(t.shape[b.has(t):] for t in inputs), params["axis"]) - b.ndim(a)
    return run(op, (b.expanded(a), b.expanded(c)), {**params, "axis": axis})


def _vector_norm(x, ord, axis, keepdims):
    # Made of ops whose rules are PyTorch's: norm's (norm_backward) for ord > 0,
    # min(|x|) sharing ties as PyTorch does for -inf; a count (0) passes none.
    if ord == -math.inf:
        return F.min(F.abs(x), axis=axis, keepdims=keepdims)
    if ord == 0:
        return F.sum(F.ne(x, 0.0), axis=axis, keepdims=keepdims)
    if ord > 0:
        return F.norm(x, p=ord, axis=axis, keepdims=keepdims)
    # sum(|x|^ord)^(1/ord) = 1/‖1/x‖ for the positive -ord; 0 with a 0 gradient
    # where an element is 0, as PyTorch's (where, so no 1/0 is ever computed)
    zero = F.eq(x, 0.0)
    inverse = F.norm(1.0 / F.where(zero, 1.0, x), p=-ord, axis=axis, keepdims=keepdims)
    return F.where(F.max(zero, axis=axis, keepdims=keepdims), 0.0, 1.0 / inverse)


MATRIX_ORDERS = ("fro", "nuc", math.inf, -math.inf, 1, -1, 2, -2)


def _matrix_order(ord):
    """ord, a number or 'fro'/'nuc' (the binding has checked the strings), as matrix_norm takes it."""
    if ord not in MATRIX_ORDERS:
        raise ArgumentError(f"matrix_norm: ord must be 'fro', 'nuc', inf, -inf, 1, -1, 2 or -2, not {ord:g}")
    return ord


def _matrix_norm(A, ord, axis, keepdims):
    ord = _matrix_order(ord)
    if A.ndim < 2 or axis is not None and len(axis) != 2:
        raise ShapeError(f"matrix_norm: needs two axes of a matrix, got shape {A.shape}"
                         + ("" if axis is None else f" and dim {axis}"))
    rows, cols = (A.ndim - 2, A.ndim - 1) if axis is None else axis
    if ord == "fro":
        return F.norm(A, p=2.0, axis=(rows, cols), keepdims=keepdims)
    if ord in ("nuc", 2, -2):
        return _singular_norm(A, ord, rows, cols, keepdims)
    # PyTorch's: the 1-norm down the columns (along the rows for inf), then the largest (smallest) of them
    summed, over = (rows, cols) if abs(ord) == 1 else (cols, rows)
    sums = F.norm(A, p=1.0, axis=(summed,), keepdims=keepdims)
    over -= not keepdims and summed < over
    return (F.max if ord > 0 else F.min)(sums, axis=(over,), keepdims=keepdims)


def _singular_norm(A, ord, rows, cols, keepdims):
    batch = tuple(i for i in range(A.ndim) if i not in (rows, cols))
    s = F.svdvals(F.permute(A, dims=batch + (rows, cols)))
    pick = F.sum if ord == "nuc" else F.max if ord == 2 else F.min
    out = pick(s, axis=(s.ndim - 1,), keepdims=False)
    kept = tuple(1 if i in (rows, cols) else n for i, n in enumerate(A.shape))
    return F.reshape(out, shape=kept) if keepdims else out


EINSUM = (case((2, 3), (3, 4), equation="ij,jk->ik"), case((2, 3), (3, 2), equation="ij,jk"),
          case((3, 3), equation="ii->i"), case((3, 3), equation="ii"), case((2, 3, 2), equation="iji->j"),
          case((2, 2, 3), (3, 2), equation="...ij,...jk->...ik"), case((2, 3), equation="...i->i"),
          case((2, 3), equation="ba"), case((2, 3), equation="Ba"), case((2, 3), (2, 3), equation=" ij , ij -> "),
          case((1, 3), (2, 3), equation="ij,ij->ij"), case((1,), (3,), equation="i,i->i"),
          case((3,), (2,), (3,), equation="i,j,i->ij"), case((3, 3), (3,), equation="ii,i->i"),
          case((), (3,), equation=",i->i"), case((2, 1, 2), (3,), equation="...,k->...k"),
          case((2, 3, 2), (3, 2, 2), equation="ijk,jil->kl"))
NORM_AXES = (case((3,)), case((2, 3), axis=(1,)), case((2, 3), axis=(0,), keepdims=True), case((2, 3, 2), axis=(0, 2)))
MATRIX = (case((2, 3)), case((2, 3, 2), ord="nuc", axis=(0, 2)), case((3, 3), ord=2.0), case((2, 3), ord=-2.0),
          case((3, 2), ord=1.0), case((2, 3), ord=-1.0), case((3, 2), ord=math.inf), case((2, 2, 3), ord=-math.inf),
          case((2, 3, 2), ord=1.0, axis=(2, 0)), case((2, 3, 2), ord=math.inf, axis=(0, 2), keepdims=True),
          case((2, 2, 3), ord="fro", axis=(1, 2), keepdims=True), case((2, 3, 2), ord="nuc", keepdims=True))

OPS = [
    Op("einsum", "equation:str, *operands:tensors", forward=_einsum, grads=_einsum_grad, batch=_einsum_batch,
       reference=ref.einsum,
       doc="Einstein summation: einsum('ij,jk->ik', a, b); any equation NumPy accepts ('...', 'ii', implicit output)",
       family="contract", examples=EINSUM, explain=_einsum_explain),
    Op("kron", "x, other", impl=_kron, reference=ref.kron, batch="traced",
       doc="Kronecker product: every element of x times the whole of other, as blocks", family="contract",
       examples=(case((2, 2), (2, 3)), case((3,), (2,)), case((2, 3), (2,)), case((), (2,)))),
    Op("tensordot", "a, b, dims:key=2", impl=_tensordot, reference=ref.tensordot, batch="traced",
       doc="sum over axes paired: dims=n pairs a's last n with b's first n, or two lists: ([1, 0], [0, 1])",
       family="contract",
       examples=(case((2, 3, 4), (3, 4, 2)), case((2, 3), (3, 2), dims=1), case((2, 3), (2,), dims=0),
                 case((2, 3), (3, 2), dims=((1, 0), (0, 1))), case((2, 3, 2), (2, 3), dims=((-1,), (0,))),
                 case((2, 1), (3, 2), dims=((1,), (0,))))),
    Op("cross", "x, other, axis:int=-1", forward=_cross, batch=_cross_batch,
       grads=(lambda g, y, a, b, axis: F.cross(b, g, axis=axis), lambda g, y, a, b, axis: F.cross(g, a, axis=axis)),
       reference=ref.cross, doc="cross product of 3-vectors along axis (PyTorch's linalg.cross; dim= too)",
       family="contract", examples=(case((3,), (3,)), case((2, 3), (1, 3)), case((3, 2), (3, 2), axis=0)),
       singular=(at([0.0, 0.0, 0.0], [1.0, 2.0, 3.0]),),
       explain={"x": ("(·) × {other}", "{other} × g"), "other": ("{x} × (·)", "g × {x}")}),
    Op("vector_norm", "x, ord:float=2, axis:axis=None, keepdims:bool=False", impl=_vector_norm, batch="axes",
       reference=reduction(ref.vector_norm), domain="nonzero",
       doc="the ord-norm of the elements (over dim); any ord, as in PyTorch: inf, -inf, 0 (nonzeros), negative",
       family="contract",
       examples=NORM_AXES + (case((2, 3), ord=1.0, axis=(0,)), case((2, 3), ord=3.0), case((3,), ord=0.5),
                             case((2, 3), ord=math.inf, axis=(1,)), case((2, 3), ord=-math.inf),
                             case((2, 3), ord=-1.5, axis=(1,), keepdims=True), case((3,), ord=-2.0)),
       singular=(at([0.0, 0.0], order=1), at([0.0, 0.0], ord=1.0), at([1.0, -1.0, 0.5], ord=math.inf),
                 at([0.0, 2.0, 0.0], ord=-math.inf), at([0.0, 2.0, 0.0], ord=0.0), at([0.0, 2.0], ord=0.5, order=1),
                 at([0.0, 2.0, 1.0], ord=-1.0, order=1), at([[1.0, -2.0], [0.0, 3.0]], ord=-2.0, axis=(1,), order=1))),
    Op("matrix_norm", "A, ord:float(fro|nuc)=fro, axis:axis=None, keepdims:bool=False", impl=_matrix_norm,
       batch="traced",
       reference=ref.matrix_norm, domain="nonzero",
       doc="matrix norm over dim (default the last two): ord 'fro' (the default), 'nuc', inf, -inf, 1, -1, 2, -2",
       family="contract", examples=MATRIX,
       singular=(at([[0.0, 0.0], [0.0, 0.0]], order=1), at([[1.0, -2.0], [-2.0, 1.0]], ord=1.0),
                 at([[1.0, 2.0], [0.0, 3.0]], ord=math.inf), at([[0.0, 1.0], [1.0, 0.0]], ord=-1.0))),
]
