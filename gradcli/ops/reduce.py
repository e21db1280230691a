"""Reductions over axis=None|int|tuple with keepdims, and the normalisations
along an axis (softmax, log_softmax). Axes arrive normalised (a tuple of
non-negative ints, or None) from the signature binding."""
from __future__ import annotations

import math

from gradcli.autograd.engine import backend_of, grad_enabled
from gradcli.autograd.tensor import data_of
from gradcli.errors import ArgumentError
from gradcli.ops import reference
from gradcli.ops.core import F, Op, at, case, over
from gradcli.ops.reference import reduction as each_slice

AXIS = "axis:axis=None, keepdims:bool=False"
CASES = (case((3,)), case((2, 3), axis=(0,)), case((2, 3), axis=(1,), keepdims=True),
         case((2, 3, 2), axis=(0, 2)), case((2, 3)))
SCALAR = case((), axis=None, keepdims=True)        # (var and std of one element are nan)


def shaped(rule):
    """A reduction's rule as its row declares it: rule(g, y, x, axis, **params)
    gets g already broadcast to x's shape, and y shaped to broadcast against
    x (the reduced axes kept as 1s, or a scalar); keepdims is taken care of."""
    def restored(g, y, x, axis, keepdims, **params):
        if not keepdims and axis is not None:      # (reduced to a scalar: g and y broadcast as they are)
            kept = tuple(1 if i in axis else n for i, n in enumerate(x.shape))
            g, y = F.reshape(g, shape=kept), F.reshape(y, shape=kept)
        return rule(F.broadcast_to(g, shape=x.shape), y, x, axis, **params)
    return restored


def _count(shape, axis):
    return math.prod(shape) if axis is None else math.prod(shape[i] for i in axis)


def extreme_grad(g, y, x, axis):
    # PyTorch's evenly_distribute_backward: tied extremes share the gradient
    # evenly, a nan extreme is the nans', and the others get exactly 0 (where,
    # not a mask's product, so an infinite g gives them 0, not nan).
    mask = F.eq(x, y) + F.ne(x, x) * F.ne(y, y)
    return F.where(mask, g / F.sum(mask, axis=axis, keepdims=True), 0.0)


def _prod_grad(g, y, x, axis):
    # d y / d x_j is the product of the other elements (PyTorch's
    # prod_backward): y / x_j when no element is 0; otherwise multiplied out
    # with no division, so that every higher derivative is exact too. Like
    # PyTorch's, a first-order pass gives a slice with two zeros exactly 0,
    # even where g is infinite.
    if not backend_of(x).any(data_of(x) == 0):
        return g * y / x
    if not grad_enabled():
        zeros = F.sum(F.eq(x, 0), axis=axis, keepdims=True)
        return F.where(F.ge(zeros, 2), 0.0, g) * _others(x, axis)
    return g * _others(x, axis)


def _others(x, axis):
    """For each element, the product of the others along axis (all axes for
    None): the reduced axes are moved last and flattened to n, and row j of an
    n×n array of x with ones on its diagonal is multiplied out."""
    axes = tuple(range(x.ndim)) if axis is None else axis
    kept = tuple(i for i in range(x.ndim) if i not in axes)
    order = kept + axes
    moved = F.permute(x, dims=order)
    lead = moved.shape[:len(kept)]
    n = _count(x.shape, axes)
    rows = F.unsqueeze(F.reshape(moved, shape=lead + (n,)), axis=len(lead))
    others = F.prod(F.where(F.eye(n=n, bk=backend_of(x)), 1.0, rows), axis=(len(lead) + 1,))
    back = tuple(sorted(range(x.ndim), key=order.__getitem__))
    return F.permute(F.reshape(others, shape=moved.shape), dims=back)


def _dof(shape, axis, correction):
    return max(_count(shape, axis) - correction, 0)


def _deviations(x, axis, mean):
    """x minus its mean over axis, the mean taken about the first element so
    that equal elements deviate by exactly 0 (their variance is exactly 0).
    Runs on arrays and on tensors alike; mean(v) is the keepdims mean of v."""
    first = x[tuple(slice(0, 1) if axis is None or i in axis else slice(None) for i in range(x.ndim))]
    return (x - first) - mean(x - first)


def _var(bk, x, axis, correction, keepdims):
    d = _deviations(x, axis, lambda v: bk.xp.mean(v, axis=axis, keepdims=True))
    return bk.xp.sum(d * d, axis=axis, keepdims=keepdims) / _dof(x.shape, axis, correction)


def _var_grad(g, y, x, axis, correction):
    d = _deviations(x, axis, lambda v: F.mean(v, axis=axis, keepdims=True))
    dof = _dof(x.shape, axis, correction)
    return g * d * (2 / dof if dof else math.inf)


def _std_grad(g, y, x, axis, correction):
    # PyTorch's std_backward: var's rule with g / (2·std), 0 where std is 0.
    return _var_grad(over(g, y) / 2, y, x, axis, correction)


def _norm(bk, x, p, axis, keepdims):
    if not p > 0:
        raise ArgumentError(f"norm: p must be positive (or inf), got {p:g}")
    xp, a = bk.xp, bk.xp.abs(x)
    if p == math.inf:
        return a.max(axis=axis, keepdims=keepdims)
    if p == 1:
        return a.sum(axis=axis, keepdims=keepdims)
    if p == 2:
        return xp.sqrt((x * x).sum(axis=axis, keepdims=keepdims))
    return (a ** p).sum(axis=axis, keepdims=keepdims) ** (1 / p)


def _norm_grad(g, y, x, axis, p):
    # PyTorch's norm_backward, term for term (so its higher derivatives agree too).
    if p == math.inf:
        return extreme_grad(g, y, F.abs(x), axis) * F.sign(x)
    if p == 1:
        return g * F.sign(x)
    if p >= 2:
        inner = x if p == 2 else x * F.abs(x) ** (p - 2)
    elif p > 1:
        inner = F.sign(x) * F.abs(x) ** (p - 1)
    else:                                   # |x|^(p-1) is infinite at 0: masked there, and PyTorch
        zero = F.eq(x, 0)                   # scales by y^(1-p) rather than dividing by y^(p-1)
        inner = F.where(zero, 0.0, F.sign(x) * F.where(zero, 1.0, F.abs(x)) ** (p - 1))
        return g * y ** (1 - p) * inner
    return over(g, y, p - 1) * inner


def _norm_explain(p, **_):
    if p == 1:
        return "sign({x})", "g·sign({x})"
    if p == math.inf:
        return "sign at the largest |{x}|, else 0", "g to the largest |{x}|"
    return "{x:p}/‖{x}‖", "g·{x:p}/‖{x}‖"


def _logsumexp(bk, x, axis, keepdims):
    xp = bk.xp
    m = x.max(axis=axis, keepdims=True) if x.size else xp.zeros((1,) * x.ndim, x.dtype)
    m = xp.where(xp.isfinite(m), m, 0)
    out = xp.log(xp.exp(x - m).sum(axis=axis, keepdims=True)) + m
    return out if keepdims else out.squeeze(axis=axis)


def _line(x, axis):
    """The axes a softmax runs along: its axis, or all (none) of a scalar's."""
    return (axis,) if x.ndim else None


def _softmax(bk, x, axis):
    e = bk.xp.exp(x - bk.xp.max(x, axis=_line(x, axis), keepdims=True))
    return e / bk.xp.sum(e, axis=_line(x, axis), keepdims=True)


def _log_softmax(bk, x, axis):
    return x - _logsumexp(bk, x, _line(x, axis), True)


def reduction(name, forward, rule, doc, sig=AXIS, domain="real", smooth=True, cases=CASES + (SCALAR,), kinks=(),
              singular=(), *, ref, **row):
    """ref(mp, values, **params): the reduction of one slice, the tests' reference."""
    return Op(name, f"x, {sig}", forward=forward, grads=(shaped(rule),), doc=doc, family="reduce",
              domain=domain, examples=cases, smooth=smooth, kinks=kinks, reference=each_slice(ref),
              singular=singular, **row)


BATCH = "axes"          # how its rows run on a batch (ops/batching.py)

OPS = [
    reduction("sum", lambda bk, x, axis, keepdims: x.sum(axis=axis, keepdims=keepdims),
              lambda g, y, x, axis: g, "sum of elements",
              ref=lambda mp, v: mp.fsum(v),
              explain=("1 for every summed element", "g copied to every summed element")),
    reduction("mean", lambda bk, x, axis, keepdims: x.mean(axis=axis, keepdims=keepdims),
              lambda g, y, x, axis: g / _count(x.shape, axis),
              "mean of elements",
              singular=(at([0.0, 0.0]),),
              ref=lambda mp, v: mp.fsum(v) / len(v),
              explain=("1/{n} for every averaged element", "g/{n} copied to every averaged element")),
    reduction("prod", lambda bk, x, axis, keepdims: x.prod(axis=axis, keepdims=keepdims), _prod_grad,
              "product of elements; exact gradients at zeros too, as in PyTorch", smooth=False,
              kinks=((([2.0, 0.0, 3.0],), {}, ([0.0, 6.0, 0.0],)), (([0.0, 5.0, 0.0],), {}, ([0.0, 0.0, 0.0],))),
              singular=(at([0.0, 0.0, 1.0]), at([0.0, 2.0, 3.0]), at([0.0, 0.0, 0.0]),
                        at([[0.0, 2.0], [0.0, 0.0]], axis=(1,))),
              ref=lambda mp, v: mp.fprod(v),
              explain=("prod({x})/{x:p}", "g·prod({x})/{x:p}")),
    reduction("max", lambda bk, x, axis, keepdims: x.max(axis=axis, keepdims=keepdims), extreme_grad,
              "largest element; ties share the gradient evenly (PyTorch's amax)", smooth=False,
              kinks=((([1.0, 1.0],), {}, ([0.5, 0.5],)),),
              singular=(at([1.0, 1.0, 0.0]), at([1.0, math.nan]), at([[1.0, 1.0], [2.0, 1.0]], axis=(0,))),
              ref=lambda mp, v: max(v),
              explain=("1 at the largest element (shared on a tie), else 0", "g to the largest element")),
    reduction("min", lambda bk, x, axis, keepdims: x.min(axis=axis, keepdims=keepdims), extreme_grad,
              "smallest element; ties share the gradient evenly (PyTorch's amin)", smooth=False,
              singular=(at([0.0, 0.0, 1.0]),),
              ref=lambda mp, v: min(v),
              explain=("1 at the smallest element (shared on a tie), else 0", "g to the smallest element")),
    reduction("norm", lambda bk, x, p, axis, keepdims: _norm(bk, x, p, axis, keepdims), _norm_grad,
              "p-norm (default 2; Frobenius for a matrix with no axis); 0 gradient at a zero norm, as in PyTorch",
              sig="p:float=2, " + AXIS, domain="nonzero",
              cases=CASES + (SCALAR, case((3,), p=1.0), case((2, 3), p=3.0, axis=(1,)), case((3,), p=0.5),
                             case((2, 3), p=1.5, axis=(0,))),
              singular=(at([0.0, 0.0], order=1), at([0.0, 0.0], p=1.5, order=1), at([0.0, 1.0], p=1.5),
                        at([0.0, 0.0], p=1.0), at([0.0, 0.0], p=0.5, order=1), at([0.0, 2.0], p=3.0),
                        at([0.0, -2.0], p=math.inf)),
              ref=reference.norm, explain=_norm_explain),
    reduction("var", lambda bk, x, axis, correction, keepdims: _var(bk, x, axis, correction, keepdims), _var_grad,
              "variance with PyTorch's default correction 1 (pass correction=0 for the population variance)",
              sig="axis:axis=None, correction:int=1, keepdims:bool=False",
              cases=CASES + (case((2, 3), axis=(1,), correction=0),),
              singular=(at([2.0, 2.0, 2.0]), at([1.0]), at([[1.0, 1.0], [1.0, 2.0]], axis=(1,))),
              ref=reference.variance,
              explain=("2·({x} - mean)/({n} - correction)", "g·2·({x} - mean)/({n} - correction)")),
    reduction("std", lambda bk, x, axis, correction, keepdims: bk.xp.sqrt(_var(bk, x, axis, correction, keepdims)),
              _std_grad, "standard deviation, correction 1 by default",
              sig="axis:axis=None, correction:int=1, keepdims:bool=False", cases=CASES,
              singular=(at([2.0, 2.0, 2.0]), at([[-1.5796305046380446] * 3] * 3, axis=(1,)),
                        at([[1.0, 1.0], [1.0, 2.0]], axis=(1,))),
              ref=lambda mp, v, correction: mp.sqrt(reference.variance(mp, v, correction)),
              explain=("({x} - mean)/(({n} - correction)·std)", "g·({x} - mean)/(({n} - correction)·std)")),
    reduction("logsumexp", lambda bk, x, axis, keepdims: _logsumexp(bk, x, axis, keepdims),
              lambda g, y, x, axis: g * F.exp(x - y),
              "log(sum(exp(x))), without overflow",
              singular=(at([-math.inf, -math.inf]), at([-math.inf, 0.0])),
              ref=lambda mp, v: mp.log(mp.fsum(mp.exp(a) for a in v)),
              explain=("softmax({x})", "g·softmax({x})")),
    Op("softmax", "x, axis:axis1=-1", forward=lambda bk, x, axis: _softmax(bk, x, axis),
       grads=(lambda g, y, x, axis: y * (g - F.sum(g * y, axis=_line(x, axis), keepdims=True)),),
       doc="exp(x) / sum(exp(x)) along axis (default the last), without overflow", family="reduce",
       reference=reference.along(reference.softmax),
       examples=(case((3,), axis=0), case((2, 3), axis=1), case((2, 3), axis=0), case((), axis=-1)),
       explain=("s·(δ - s), with s = softmax({x})", "s·(g - sum(g·s)), with s = softmax({x})")),
    Op("log_softmax", "x, axis:axis1=-1", forward=lambda bk, x, axis: _log_softmax(bk, x, axis),
       grads=(lambda g, y, x, axis: g - F.exp(y) * F.sum(g, axis=_line(x, axis), keepdims=True),),
       doc="log(softmax(x)) along axis, computed stably", family="reduce",
       reference=reference.along(reference.log_softmax),
       examples=(case((3,), axis=0), case((2, 3), axis=1), case((2, 3), axis=0), case((), axis=0)),
       explain=("δ - softmax({x})", "g - softmax({x})·sum(g)")),
]

SYNONYMS = {"amax": "max", "amin": "min"}
