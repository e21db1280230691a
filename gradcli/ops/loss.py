"""Losses (torch.nn.functional's names, argument order, defaults and
reduction='mean'|'sum'|'none'), and the normalisations cosine_similarity and
normalize, composed of other ops of the table (impl=), so that their
gradients to every order follow, with PyTorch's choices at singular points.

Where PyTorch takes an optional tensor (weight=None), the default here is the
number that changes nothing (weight=1, pos_weight=1), and None means it too.
Weights are differentiable (PyTorch refuses them a gradient): every input that
enters the arithmetic gets one; class indices and hinge_embedding_loss's ±1
labels, which only select, are data."""
from __future__ import annotations

import math

from gradcli.errors import ArgumentError, ComputeError, ShapeError
from gradcli.ops import loss_reference as ref
from gradcli.ops.binding import normalize_axis
from gradcli.ops.core import F, Op, at, case
from gradcli.ops.loss_classes import (bce, bce_logits, bce_target_grad, bce_terms, bce_x_grad, cross_entropy,
                                      nll_loss, reduced)
from gradcli.ops.reference import elementwise

REDUCTION = "reduction:str(mean|sum|none)=mean"
BATCH = "traced"        # how its rows run on a batch (ops/batching.py): each is made of ops with rules of their own


def _broadcast(name, *shapes) -> tuple:
    """The shape that shapes broadcast to, or an error naming the op and the shapes."""
    out = ()
    for shape in shapes:
        n = max(len(out), len(shape))
        a, b = (1,) * (n - len(out)) + out, (1,) * (n - len(shape)) + shape
        if any(i != j and 1 not in (i, j) for i, j in zip(a, b)):
            raise ShapeError(f"{name}: shapes {' and '.join(map(str, shapes))} cannot be broadcast together")
        out = tuple(max(i, j) for i, j in zip(a, b))
    return out


def pointwise(name, loss, together=None):
    """The impl of a loss computed element by element, then reduced; its
    inputs (the first `together` of them: the others have their own rules)
    must broadcast together."""
    def impl(*ts, reduction, **params):
        _broadcast(name, *(t.shape for t in ts[:together]))
        return reduced(loss(*ts, **params), reduction)
    return impl


def _smooth_l1(x, target, beta):
    if beta < 0:
        raise ArgumentError(f"smooth_l1_loss: beta must be 0 or more, not {beta:g}")
    d = x - target
    if beta == 0:                       # PyTorch's l1_loss then (no 0/0 in the branch left out)
        return F.abs(d)
    return F.where(F.lt(F.abs(d), beta), 0.5 * d * d / beta, F.abs(d) - 0.5 * beta)


def _huber(x, target, delta):
    if not delta > 0:
        raise ArgumentError(f"huber_loss: delta must be positive, not {delta:g}")
    d = x - target
    return F.where(F.lt(F.abs(d), delta), 0.5 * d * d, delta * (F.abs(d) - 0.5 * delta))


def _at_least(t, eps):
    return F.clip(t, eps, math.inf)     # PyTorch's clamp_min: the gradient passes at the bound


def _raised_value(t, eps):
    """t's value raised to eps where below, with t's gradient: PyTorch clamps
    these under no_grad (cosine_similarity's norms, gaussian_nll_loss's var).
    tensor() passes no gradient, so the raise is a constant at every order."""
    return t + F.tensor(F.maximum(t, eps) - t)


def _hinge(x, target, margin):
    # PyTorch's: the margin term where target is not 1, x where it is not -1
    return F.where(F.ne(target, 1.0), _at_least(margin - x, 0.0), 0.0) + F.where(F.ne(target, -1.0), x, 0.0)


# ---- distributions

def _kl_div(x, target, *, reduction, log_target):
    # PyTorch's pointwise xlogy(t, t) - t·x: 0 where t is 0 (its gradient in t is nan there)
    _broadcast("kl_div", x.shape, target.shape)
    loss = F.exp(target) * (target - x) if log_target else F.xlogy(target, target) - target * x
    if reduction == "batchmean":
        total = F.sum(loss)
        return total / x.shape[0] if x.ndim else total
    return reduced(loss, reduction)


def _poisson_nll(x, target, log_input, full, eps):
    loss = F.exp(x) - target * x if log_input else x - target * F.log(x + eps)
    if not full:
        return loss
    # Stirling's t·log t - t + log(2πt)/2, where t > 1 only (PyTorch's masked_fill)
    small = F.le(target, 1.0)
    stirling = F.xlogy(target, target) - target + 0.5 * F.log(2 * math.pi * F.where(small, 1.0, target))
    return loss + F.where(small, 0.0, stirling)


def _gaussian_var(x, var):
    """PyTorch's shapes of var: x's, x's without its last axis, or x's with 1 on one axis."""
    if var.ndim and var.shape != x.shape:
        if var.shape == x.shape[:-1]:
            return F.unsqueeze(var, axis=var.ndim)
        if var.ndim != x.ndim or sum(v for n, v in zip(x.shape, var.shape) if n != v) != 1:
            raise ShapeError(f"gaussian_nll_loss: var of shape {var.shape} does not fit the input's {x.shape}: "
                             f"it should be {x.shape}, {x.shape[:-1]}, or that with 1 on one axis")
    if x.bk.any(var.data < 0):
        raise ComputeError("gaussian_nll_loss: var has a negative entry")
    return var


def _gaussian_nll(x, target, var, full, eps):
    v = _raised_value(_gaussian_var(x, var), eps)
    loss = 0.5 * (F.log(v) + F.square(x - target) / v)
    return loss + 0.5 * math.log(2 * math.pi) if full else loss


# ---- along an axis

def _cosine_similarity(x1, x2, *, axis, eps):
    # PyTorch's: each side over its norm (raised to eps under no_grad), then the sum of products
    shape = _broadcast("cosine_similarity", x1.shape, x2.shape)
    axis = normalize_axis(axis, len(shape), "cosine_similarity")
    a, b = (t if t.shape == shape else F.broadcast_to(t, shape=shape) for t in (x1, x2))
    line = (axis,) if shape else None          # a scalar's one axis: its one element
    na, nb = (_raised_value(F.norm(t, p=2.0, axis=line, keepdims=True), eps) for t in (a, b))
    return F.sum(a / na * (b / nb), axis=line)


def _normalize(x, *, p, axis, eps):
    if not p > 0:
        raise ArgumentError(f"normalize: p must be positive (or inf), not {p:g}")
    return x / _at_least(F.norm(x, p=p, axis=(axis,) if x.ndim else None, keepdims=True), eps)


def loss(name, sig, impl, doc, examples, *, reference, **row):
    return Op(name, sig, impl=impl, doc=doc, family="loss", examples=examples, reference=reference, **row)


PAIRS = (case((3,), (3,)), case((2, 3), (2, 3), reduction="sum"), case((2, 3), (3,), reduction="none"),
         case((), ()))
CLASSES = "x, target:mask, weight=1, ignore_index:int=-100, " + REDUCTION
TIES = [1.0, -1.0, 0.5, 0.0, 2.0], [0.0, 0.0, 0.0, 0.0, 0.0]      # |x - target| at 1, 0.5 and 0
LOGITS = [[0.5, -1.0, 2.0], [0.0, 0.0, 0.0], [1.5, 0.25, -0.5], [-2.0, 3.0, 1.0]]
OPS = [
    loss("mse_loss", f"x, target, {REDUCTION}", pointwise("mse_loss", lambda x, t: F.square(x - t)),
         "mean squared error (x - target)^2", PAIRS, reference=ref.pointwise(lambda mp, x, t: (x - t) ** 2)),
    loss("l1_loss", f"x, target, {REDUCTION}", pointwise("l1_loss", lambda x, t: F.abs(x - t)),
         "mean absolute error |x - target|; the gradient where x = target is 0, as in PyTorch", PAIRS,
         smooth=False, kinks=(((1.0, 1.0), {}, (0.0, 0.0)),), singular=(at(*TIES),),
         reference=ref.pointwise(lambda mp, x, t: abs(x - t))),
    loss("smooth_l1_loss", f"x, target, {REDUCTION}, beta:float=1.0", pointwise("smooth_l1_loss", _smooth_l1),
         "(x - target)^2/(2·beta) where |x - target| < beta, else |x - target| - beta/2 (beta=0: l1_loss)",
         PAIRS + (case((2, 3), (2, 3), beta=0.5), case((3,), (3,), beta=0.0)),
         smooth=False, kinks=(((1.0, 0.0), {}, (1.0, -1.0)), ((0.0, 0.0), {"beta": 0.0}, (0.0, 0.0))),
         singular=(at(*TIES), at(*TIES, beta=0.5), at(*TIES, beta=0.0, reduction="sum")),
         reference=ref.pointwise(ref.smooth_l1)),
    loss("huber_loss", f"x, target, {REDUCTION}, delta:float=1.0", pointwise("huber_loss", _huber),
         "(x - target)^2/2 where |x - target| < delta, else delta·(|x - target| - delta/2)",
         PAIRS + (case((2, 3), (2, 3), delta=0.5),), smooth=False, kinks=(((1.0, 0.0), {}, (1.0, -1.0)),),
         singular=(at(*TIES), at(*TIES, delta=0.5, reduction="none")), reference=ref.pointwise(ref.huber)),
    loss("cross_entropy", CLASSES + ", label_smoothing:float=0.0", cross_entropy,
         "log_softmax along axis 1 (0 of a vector), then nll_loss of class indices, or -sum(p·log_softmax) "
         "of class probabilities p shaped like x", domain="positive",
         examples=(case((2, 3), (2,)), case((3,), ()), case((2, 3, 2), (2, 2), reduction="none"),
                   case((4, 3), (4,), (3,), ignore_index=1, label_smoothing=0.2),
                   case((2, 3), (2,), (), label_smoothing=0.1, reduction="sum"),
                   case((2, 3), (2, 3)), case((2, 3, 2), (2, 3, 2), (3,), label_smoothing=0.3, reduction="none")),
         singular=(at(LOGITS, [0.0, 2.0, 1.0, -100.0]), at(LOGITS, [1.0, 1.0, 0.0, 2.0], [0.5, 2.0, 0.0],
                                                          ignore_index=0, label_smoothing=0.25),
                   at(LOGITS[:2], [1.0, 1.0], ignore_index=1), at(LOGITS[0], 2.0, reduction="none"),
                   at(LOGITS, [[0.0, 0.5, 0.5], [1.0, 0.0, 0.0], [0.25, 0.25, 0.5], [0.0, 0.0, 1.0]], [1.0, 0.5, 2.0],
                      label_smoothing=0.1),
                   at([[-math.inf, 0.0, 1.0]], [1.0]), at([[-math.inf, 0.0, 1.0]], [[0.5, 0.5, 0.0]])),
         reference=ref.classes),
    loss("nll_loss", CLASSES, nll_loss,
         "-x[target] of log-probabilities x (class axis 1, or 0 of a vector), weighted, ignore_index left out",
         domain="positive",
         examples=(case((2, 3), (2,)), case((3,), ()), case((2, 3, 2), (2, 2), reduction="sum"),
                   case((4, 3), (4,), (3,), ignore_index=0), case((3, 2), (3,), (2,), reduction="none")),
         singular=(at(LOGITS, [0.0, 2.0, 1.0, 1.0], [0.5, 2.0, 1.5], ignore_index=1),),
         reference=lambda *arrays, **params: ref.classes(*arrays, log_probs=True, **params)),
    loss("binary_cross_entropy", f"x, target, weight=1, {REDUCTION}",
         pointwise("binary_cross_entropy", bce, together=0),
         "-(target·log x + (1 - target)·log(1 - x)) of probabilities x, each log at least -100 (PyTorch's)",
         (case((3,), (3,)), case((2, 3), (2, 3), (3,), reduction="sum"), case((), (), reduction="none")),
         domain="probability",
         singular=(at([0.0, 0.0, 1.0, 1.0, 0.5, 1e-13, 1e-17], [0.0, 1.0, 0.0, 1.0, 0.3, 1.0, 0.0], order=1),
                   at([0.25, 1.0], [1.0, 0.5], [2.0, 0.5], reduction="none", order=1)),
         reference=ref.pointwise(ref.bce)),
    Op("bce", "x, target", forward=bce_terms, grads=(bce_x_grad, bce_target_grad), family="loss", builtin=False,
       batch="elementwise",
       domain="probability",
       doc="binary_cross_entropy's terms; PyTorch's gradient (x - target)/max(x·(1 - x), 1e-12)",
       examples=(case((3,), (3,)), case((2, 3), (2, 3))), reference=elementwise(ref.bce),
       explain={"x": "({x} - {target})/({x:p}·(1 - {x}))", "target": "log(1 - {x}) - log({x})"}),
    loss("binary_cross_entropy_with_logits", f"x, target, weight=1, {REDUCTION}, pos_weight=1",
         pointwise("binary_cross_entropy_with_logits", bce_logits, together=0),
         "binary_cross_entropy of sigmoid(x), computed stably; pos_weight weighs the positive term",
         (case((3,), (3,)), case((2, 3), (2, 3), (3,), (3,), reduction="sum"), case((), (), reduction="none"),
          case((2, 3), (2, 3), (2, 1), (), reduction="mean")),
         singular=(at([0.0, 800.0, -800.0, 40.0], [0.3, 0.0, 1.0, 1.0]),
                   at([0.0, 800.0, -800.0], [0.3, 0.0, 1.0], [1.0, 2.0, 0.5], [2.0, 0.5, 3.0])),
         reference=ref.pointwise(ref.bce_logits)),
    loss("kl_div", "x, target, reduction:str(mean|sum|none|batchmean)=mean, log_target:bool=False", _kl_div,
         "target·(log target - x) of log-probabilities x (0 where target is 0), or exp(t)·(t - x) with log_target",
         (case((3,), (3,)), case((2, 3), (2, 3), reduction="batchmean"), case((2, 3), (3,), reduction="none"),
          case((2, 3), (2, 3), log_target=True, reduction="sum"), case((), (), reduction="batchmean")),
         domain="positive",
         singular=(at([-1.0, -0.5, -2.0], [0.0, 0.5, 0.5]), at([[-1.0, -0.5], [0.0, -2.0]], [[0.0, 1.0], [0.5, 0.5]],
                                                             reduction="batchmean"),
                   at([-1.0, -0.5], [-math.inf, -0.5], log_target=True, reduction="sum")),
         reference=ref.kl_div),
    loss("cosine_similarity", "x1, x2, axis:int=1, eps:float=1e-8", _cosine_similarity,
         "sum(x1·x2)/(‖x1‖·‖x2‖) along axis, each norm at least eps (raised without a gradient, as PyTorch)",
         (case((2, 3), (2, 3)), case((3,), (3,), axis=0), case((2, 3), (3,), axis=-1), case((2, 1), (2, 3)),
          case((2, 3, 2), (2, 3, 2)), case((), (), axis=0)),
         singular=(at([0.0, 0.0], [1.0, 2.0], axis=0, order=1), at([1e-9, 0.0], [1.0, 2.0], axis=0, order=1),
                   at([[1.0, 2.0], [0.0, 0.0]], [[2.0, 4.0], [3.0, 1.0]], order=1)),
         reference=ref.cosine_similarity),
    loss("normalize", "x, p:float=2, axis:axis1=1, eps:float=1e-12", _normalize,
         "x over its p-norm along axis (the norm at least eps, as PyTorch's clamp_min)",
         (case((2, 3)), case((3,), axis=0), case((2, 3), p=1.0, axis=0), case((2, 3, 2), p=3.0),
          case((2, 3), eps=1.5), case((), axis=-1)),
         singular=(at([0.0, 0.0], axis=0, order=1), at([1e-13, 0.0], axis=0), at([[3.0, 4.0], [0.5, 1.0]], eps=5.0)),
         reference=ref.normalize),
    loss("soft_margin_loss", f"x, target, {REDUCTION}",
         pointwise("soft_margin_loss", lambda x, t: F.softplus(-t * x)),
         "log(1 + exp(-target·x)), computed stably", PAIRS, singular=(at([0.0, 2.0, -3.0], [1.0, -1.0, 1.0]),),
         reference=ref.pointwise(lambda mp, x, t: mp.log(1 + mp.exp(-t * x)))),
    loss("margin_ranking_loss", f"x1, x2, target, margin:float=0.0, {REDUCTION}",
         pointwise("margin_ranking_loss", lambda a, b, t, margin: _at_least(-t * (a - b) + margin, 0.0)),
         "max(0, -target·(x1 - x2) + margin); the gradient passes at 0, as PyTorch's clamp_min",
         (case((3,), (3,), (3,)), case((2, 3), (2, 3), (3,), margin=0.5, reduction="sum"),
          case((), (), (), reduction="none")),
         smooth=False, kinks=(((1.0, 1.0, 1.0), {}, (-1.0, 1.0, 0.0)),),
         singular=(at([1.0, 0.0, 2.0], [1.0, 0.5, 0.0], [1.0, -1.0, 1.0]), at([1.0, 0.0], [0.5, 0.5], [1.0, -1.0],
                                                                              margin=0.5)),
         reference=ref.pointwise(lambda mp, a, b, t, margin: max(0, -t * (a - b) + margin))),
    loss("hinge_embedding_loss", f"x, target:mask, margin:float=1.0, {REDUCTION}",
         pointwise("hinge_embedding_loss", _hinge),
         "x where target is 1, max(0, margin - x) where it is -1 (both added for other labels, as PyTorch)",
         (case((3,), (3,)), case((2, 3), (2, 3), margin=0.5, reduction="none"), case((2, 3), (3,), reduction="sum")),
         smooth=False, kinks=(((1.0, -1.0), {}, (-1.0, 0.0)),),
         singular=(at([1.0, 0.5, 2.0, 0.3, 1.5], [-1.0, -1.0, 1.0, 0.0, -1.0]),),
         reference=ref.pointwise(ref.hinge)),
    loss("poisson_nll_loss", f"x, target, log_input:bool=True, full:bool=False, eps:float=1e-8, {REDUCTION}",
         pointwise("poisson_nll_loss", _poisson_nll),
         "exp(x) - target·x (log_input), or x - target·log(x + eps); full adds Stirling's term where target > 1",
         (case((3,), (3,)), case((2, 3), (2, 3), log_input=False, reduction="sum"),
          case((2, 3), (2, 3), full=True, reduction="none"), case((3,), (), log_input=False, full=True)),
         domain="positive",
         singular=(at([0.5, -1.0, 0.2, 1.0], [0.0, 2.0, 1.0, 0.5], full=True),
                   at([0.0, 1.0], [0.0, 2.0], log_input=False)),
         reference=ref.pointwise(ref.poisson)),
    loss("gaussian_nll_loss", f"x, target, var, full:bool=False, eps:float=1e-6, {REDUCTION}",
         pointwise("gaussian_nll_loss", _gaussian_nll, together=2),
         "(log var + (x - target)^2/var)/2, var at least eps (raised without a gradient, as PyTorch)",
         (case((3,), (3,), (3,)), case((2, 3), (2, 3), (2,), reduction="sum"),
          case((2, 3), (2, 3), (2, 1), full=True, reduction="none"), case((3,), (3,), ())),
         domain="positive",
         singular=(at([0.5, -1.0, 2.0], [0.0, 2.0, 2.0], [0.0, 1.0, 1e-7]),
                   at([[0.5, -1.0], [1.0, 1.0]], [[0.0, 2.0], [0.5, 3.0]], [1e-6, 2.0], full=True)),
         reference=ref.gaussian),
]
