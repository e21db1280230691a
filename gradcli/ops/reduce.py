"""Reductions over axis=None|int|tuple with keepdims, and the normalisations
along an axis (softmax, log_softmax). Axes arrive normalised (a tuple of
non-negative ints, or None) from the signature binding."""
from __future__ import annotations

import math

from gradcli.errors import ArgumentError
from gradcli.ops.core import F, Op

AXIS = "axis:axis=None, keepdims:bool=False"
CASES = ((((3,),), {}), (((2, 3),), {"axis": (0,)}), (((2, 3),), {"axis": (1,), "keepdims": True}),
         (((2, 3, 2),), {"axis": (0, 2)}), (((2, 3),), {}))


def restore(g, shape, axis, keepdims):
    """Give a reduction's cotangent back the reduced dimensions, broadcast to shape."""
    if not keepdims:
        axes = range(len(shape)) if axis is None else axis
        kept = [1 if i in axes else n for i, n in enumerate(shape)]
        g = F.reshape(g, shape=tuple(kept))
    return F.broadcast_to(g, shape=tuple(shape))


def _count(shape, axis):
    return math.prod(shape) if axis is None else math.prod(shape[i] for i in axis)


def _extreme_grad(g, y, x, axis, keepdims):
    # The gradient is shared evenly between tied extremes (PyTorch's amax/amin).
    mask = F.eq(x, restore(y, x.shape, axis, keepdims))
    share = mask / restore(F.sum(mask, axis=axis, keepdims=keepdims), x.shape, axis, keepdims)
    return restore(g, x.shape, axis, keepdims) * share


def _prod_grad(g, y, x, axis, keepdims):
    # d y / d x_j is the product of the other elements (PyTorch's
    # prod_backward), computed without dividing by a zero: the product of the
    # nonzero elements, times that of the zeros but x_j. Written so that second
    # derivatives stay exact with up to one zero along the axis.
    zero = F.eq(x, 0)
    safe = F.where(zero, 1.0, x)
    nonzeros = restore(F.prod(safe, axis=axis, keepdims=keepdims), x.shape, axis, keepdims)
    zeros = restore(F.prod(F.where(zero, x, 1.0), axis=axis, keepdims=keepdims), x.shape, axis, keepdims)
    one = F.eq(restore(F.sum(zero, axis=axis, keepdims=keepdims), x.shape, axis, keepdims), 1)
    at_zero = F.where(one, nonzeros, 0.0)          # the lone zero: the rest; with two zeros, 0
    return restore(g, x.shape, axis, keepdims) * F.where(zero, at_zero, nonzeros / safe * zeros)


def _var(bk, x, axis, correction, keepdims):
    n = _count(x.shape, axis)
    return bk.xp.sum((x - bk.xp.mean(x, axis=axis, keepdims=True)) ** 2, axis=axis, keepdims=keepdims) / max(n - correction, 0)


def _var_grad(g, y, x, axis, correction, keepdims):
    n = _count(x.shape, axis)
    centered = x - restore(F.mean(x, axis=axis, keepdims=keepdims), x.shape, axis, keepdims)
    return restore(g, x.shape, axis, keepdims) * centered * (2 / (n - correction))


def _std_grad(g, y, x, axis, correction, keepdims):
    n = _count(x.shape, axis)
    centered = x - restore(F.mean(x, axis=axis, keepdims=keepdims), x.shape, axis, keepdims)
    return restore(g / y, x.shape, axis, keepdims) * centered * (1 / (n - correction))


def _norm(bk, x, p, axis, keepdims):
    if not p > 0:
        raise ArgumentError(f"norm: p must be positive (or inf), got {p:g}")
    xp, a = bk.xp, bk.xp.abs(x)
    if p == math.inf:
        return xp.max(a, axis=axis, keepdims=keepdims)
    if p == 1:
        return xp.sum(a, axis=axis, keepdims=keepdims)
    if p == 2:
        return xp.sqrt(xp.sum(x * x, axis=axis, keepdims=keepdims))
    return xp.sum(a ** p, axis=axis, keepdims=keepdims) ** (1 / p)


def _norm_grad(g, y, x, p, axis, keepdims):
    if p == math.inf:
        return _extreme_grad(g, y, F.abs(x), axis, keepdims) * F.sign(x)
    if p == 1:
        return restore(g, x.shape, axis, keepdims) * F.sign(x)
    # x·|x|^(p-2) / y^(p-1); PyTorch takes the gradient of a zero norm as 0.
    zero = F.eq(y, 0)
    scale = g * (1 - zero) / F.where(zero, 1.0, y) ** (p - 1)
    inner = x if p == 2 else x * F.abs(x) ** (p - 2)
    return restore(scale, x.shape, axis, keepdims) * inner


def _logsumexp(bk, x, axis, keepdims):
    xp = bk.xp
    m = xp.max(x, axis=axis, keepdims=True) if x.size else xp.zeros((1,) * x.ndim, x.dtype)
    m = xp.where(xp.isfinite(m), m, 0)
    out = xp.log(xp.sum(xp.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else xp.squeeze(out, axis=axis)


def _softmax(bk, x, axis):
    e = bk.xp.exp(x - bk.xp.max(x, axis=axis, keepdims=True))
    return e / bk.xp.sum(e, axis=axis, keepdims=True)


def _log_softmax(bk, x, axis):
    return x - _logsumexp(bk, x, (axis,), True)


def reduction(name, forward, rule, doc, sig=AXIS, domain="real", smooth=True, cases=CASES, kinks=()):
    return Op(name, f"x, {sig}", forward=forward, grads=(rule,), doc=doc, family="reduce",
              domain=domain, examples=cases, smooth=smooth, kinks=kinks)


OPS = [
    reduction("sum", lambda bk, x, axis, keepdims: bk.xp.sum(x, axis=axis, keepdims=keepdims),
              lambda g, y, x, axis, keepdims: restore(g, x.shape, axis, keepdims), "sum of elements"),
    reduction("mean", lambda bk, x, axis, keepdims: bk.xp.mean(x, axis=axis, keepdims=keepdims),
              lambda g, y, x, axis, keepdims: restore(g, x.shape, axis, keepdims) / _count(x.shape, axis),
              "mean of elements"),
    reduction("prod", lambda bk, x, axis, keepdims: bk.xp.prod(x, axis=axis, keepdims=keepdims), _prod_grad,
              "product of elements; exact gradients at zeros too, as in PyTorch", smooth=False,
              kinks=((([2.0, 0.0, 3.0],), {}, ([0.0, 6.0, 0.0],)), (([0.0, 5.0, 0.0],), {}, ([0.0, 0.0, 0.0],)))),
    reduction("max", lambda bk, x, axis, keepdims: bk.xp.max(x, axis=axis, keepdims=keepdims), _extreme_grad,
              "largest element; ties share the gradient evenly (PyTorch's amax)", smooth=False,
              kinks=((([1.0, 1.0],), {}, ([0.5, 0.5],)),)),
    reduction("min", lambda bk, x, axis, keepdims: bk.xp.min(x, axis=axis, keepdims=keepdims), _extreme_grad,
              "smallest element; ties share the gradient evenly (PyTorch's amin)", smooth=False),
    reduction("norm", lambda bk, x, p, axis, keepdims: _norm(bk, x, p, axis, keepdims), _norm_grad,
              "p-norm (default 2; Frobenius for a matrix with no axis); 0 gradient at a zero norm, as in PyTorch",
              sig="p:float=2, " + AXIS, domain="nonzero",
              cases=CASES + ((((3,),), {"p": 1.0}), (((2, 3),), {"p": 3.0, "axis": (1,)}))),
    reduction("var", lambda bk, x, axis, correction, keepdims: _var(bk, x, axis, correction, keepdims), _var_grad,
              "variance with PyTorch's default correction 1 (pass correction=0 for the population variance)",
              sig="axis:axis=None, correction:int=1, keepdims:bool=False",
              cases=CASES + ((((2, 3),), {"axis": (1,), "correction": 0}),)),
    reduction("std", lambda bk, x, axis, correction, keepdims: bk.xp.sqrt(_var(bk, x, axis, correction, keepdims)),
              _std_grad, "standard deviation, correction 1 by default",
              sig="axis:axis=None, correction:int=1, keepdims:bool=False"),
    reduction("logsumexp", lambda bk, x, axis, keepdims: _logsumexp(bk, x, axis, keepdims),
              lambda g, y, x, axis, keepdims: restore(g, x.shape, axis, keepdims)
              * F.exp(x - restore(y, x.shape, axis, keepdims)),
              "log(sum(exp(x))), without overflow"),
    Op("softmax", "x, axis:axis1=-1", forward=lambda bk, x, axis: _softmax(bk, x, axis),
       grads=(lambda g, y, x, axis: y * (g - F.sum(g * y, axis=(axis,), keepdims=True)),),
       doc="exp(x) / sum(exp(x)) along axis (default the last), without overflow", family="reduce",
       examples=((((3,),), {"axis": 0}), (((2, 3),), {"axis": 1}), (((2, 3),), {"axis": 0}))),
    Op("log_softmax", "x, axis:axis1=-1", forward=lambda bk, x, axis: _log_softmax(bk, x, axis),
       grads=(lambda g, y, x, axis: g - F.exp(y) * F.sum(g, axis=(axis,), keepdims=True),),
       doc="log(softmax(x)) along axis, computed stably", family="reduce",
       examples=((((3,),), {"axis": 0}), (((2, 3),), {"axis": 1}), (((2, 3),), {"axis": 0}))),
]
