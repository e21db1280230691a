"""The classification losses of gradcli/ops/loss.py: cross_entropy and
nll_loss, whose targets are class indices, checked and compared with each
class (never differentiated), or for cross_entropy class probabilities
shaped like the logits (differentiated); binary_cross_entropy with PyTorch's
gradient at 0 and 1, and its form on logits. And the reduction every loss
ends with."""
from __future__ import annotations

import math

from gradcli.autograd.tensor import Tensor
from gradcli.errors import ArgumentError, ComputeError, ShapeError
from gradcli.ops.core import F

EPSILON = 9.999999960041972e-13    # PyTorch's EPSILON (1e-12) in binary_cross_entropy's gradient, a float32


def reduced(loss, reduction):
    """PyTorch's reduction='mean'|'sum'|'none' of a loss's elements."""
    if reduction == "none":
        return loss
    return F.sum(loss) if reduction == "sum" else F.mean(loss)


def _class_axis(name, noun, x) -> int:
    if x.ndim == 0:
        raise ShapeError(f"{name}: the {noun} need a class axis, not a scalar")
    return 0 if x.ndim == 1 else 1


def _check_indices(name, noun, x, target, axis, ignore_index):
    """Class indices: x's shape without its class axis, whole numbers in [0, C) or ignore_index."""
    want = x.shape[:axis] + x.shape[axis + 1:]
    if target.shape != want:
        if x.ndim == 2 and target.ndim == 1:
            raise ShapeError(f"{name}: target has {target.shape[0]} rows, {noun} {x.shape[0]}")
        soft = f" or {x.shape} (class probabilities)" if name == "cross_entropy" else ""
        raise ShapeError(f"{name}: target of shape {target.shape} does not fit {noun} of shape {x.shape}: "
                         f"it should be {want} (class indices){soft}")
    classes, xp, t = x.shape[axis], x.bk.xp, target.data
    outside = xp.logical_and(xp.logical_or(t < 0, t >= classes), t != ignore_index)
    bad = xp.logical_or(t != xp.floor(t), outside)
    if x.bk.any(bad):
        value = float(x.bk.to_host(t)[x.bk.to_host(bad)][0])
        shown = int(value) if value.is_integer() else value        # 3, or 0.9999999999999998 in full
        raise ComputeError(f"{name}: target {shown!r} is not a class index (a whole number from 0 to "
                           f"{classes - 1}, or ignore_index {ignore_index})")


def _class_weight(name, weight, classes, axis, ndim, bk):
    """weight shaped to broadcast along the class axis (a number weighs every class)."""
    if weight is None:
        return Tensor.constant(1.0, bk)
    if weight.shape not in ((), (classes,)):
        raise ShapeError(f"{name}: weight has shape {weight.shape}, but there are {classes} classes")
    return weight if weight.ndim == 0 else F.reshape(weight, shape=(classes,) + (1,) * (ndim - axis - 1))


def _indexed(name, noun, logp, target, weight, ignore_index, reduction, smoothing=0.0):
    """PyTorch's nll_loss of log-probabilities (with cross_entropy's label
    smoothing): -w[y]·logp[y] for each target y, 0 where y is ignore_index;
    the mean divides by the sum of w[y] over the targets not ignored."""
    axis = _class_axis(name, noun, logp)
    _check_indices(name, noun, logp, target, axis, ignore_index)
    classes, bk = logp.shape[axis], logp.bk
    w = _class_weight(name, weight, classes, axis, logp.ndim, bk)
    ids = F.reshape(F.arange(start=float(classes), bk=bk), shape=(classes,) + (1,) * (logp.ndim - axis - 1))
    hit = F.eq(F.unsqueeze(target, axis=axis), ids)                 # the targets, one-hot
    kept = F.ne(target, float(ignore_index))
    wy = F.where(kept, F.sum(F.where(hit, w, 0.0), axis=(axis,)), 0.0)
    loss = -(wy * F.sum(F.where(hit, logp, 0.0), axis=(axis,)))
    if smoothing:
        loss = (1 - smoothing) * loss - smoothing / classes * F.sum(w * logp, axis=(axis,))
    loss = F.where(kept, loss, 0.0)
    return F.sum(loss) / F.sum(wy) if reduction == "mean" else reduced(loss, reduction)


def nll_loss(x, target, weight=None, *, ignore_index, reduction):
    return _indexed("nll_loss", "input", x, target, weight, ignore_index, reduction)


def cross_entropy(x, target, weight=None, *, ignore_index, reduction, label_smoothing):
    if not 0 <= label_smoothing <= 1:
        raise ArgumentError(f"cross_entropy: label_smoothing must be from 0 to 1, not {label_smoothing:g}")
    axis = _class_axis("cross_entropy", "logits", x)
    logp = F.log_softmax(x, axis=axis)
    if target.shape != x.shape:
        return _indexed("cross_entropy", "logits", logp, target, weight, ignore_index, reduction, label_smoothing)
    if ignore_index >= 0:
        raise ArgumentError("cross_entropy: ignore_index is for class indices, not class probabilities")
    classes = x.shape[axis]
    w = _class_weight("cross_entropy", weight, classes, axis, x.ndim, x.bk)
    p = target * (1 - label_smoothing) + label_smoothing / classes if label_smoothing else target
    return reduced(-F.sum(logp * p * w, axis=(axis,)), reduction)


def _within(name, what, t, shape):
    """t (a weight) must broadcast to the input's shape without growing it."""
    if t is not None and (t.ndim > len(shape) or any(n not in (1, m) for n, m in zip(t.shape[::-1], shape[::-1]))):
        raise ShapeError(f"{name}: {what} of shape {t.shape} does not broadcast to the input's shape {shape}")


def _same_shape(name, x, target):
    if target.shape != x.shape:
        raise ShapeError(f"{name}: target of shape {target.shape} should have the input's shape {x.shape}")


def bce(x, target, weight=None):
    _same_shape("binary_cross_entropy", x, target)
    _within("binary_cross_entropy", "weight", weight, x.shape)
    bad = x.bk.xp.logical_not(x.bk.xp.logical_and(x.data >= 0, x.data <= 1))
    if x.bk.any(bad):
        value = float(x.bk.to_host(x.data)[x.bk.to_host(bad)][0])
        raise ComputeError(f"binary_cross_entropy: input {value:g} is not a probability (from 0 to 1)",
                           hint="binary_cross_entropy_with_logits takes logits")
    loss = F.bce(x, target)
    return loss if weight is None else loss * weight


def bce_logits(x, target, weight=None, pos_weight=None):
    # PyTorch's (1 - t)·x - (1 + (pos_weight - 1)·t)·log σ(x), with -log σ(x) = softplus(-x)
    name = "binary_cross_entropy_with_logits"
    _same_shape(name, x, target)
    _within(name, "weight", weight, x.shape)
    _within(name, "pos_weight", pos_weight, x.shape)
    scale = 1.0 if pos_weight is None else (pos_weight - 1) * target + 1
    loss = (1 - target) * x + scale * F.softplus(-x)
    return loss if weight is None else loss * weight


def bce_terms(bk, x, t):
    # each log clamped at -100, as PyTorch's; the logs' arguments are kept off 0
    # so that no warning reports an infinity that the clamp takes away
    xp = bk.xp
    log_x = xp.log(xp.maximum(x, 1e-44))
    log_rest = xp.where(x < 1, xp.log1p(-xp.where(x < 1, x, 0)), -100)
    return -(t * xp.maximum(log_x, -100) + (1 - t) * xp.maximum(log_rest, -100))


def bce_x_grad(g, y, x, t):
    # PyTorch's binary_cross_entropy_backward: (x - t) / max(x·(1 - x), EPSILON), clamp_min's gradient
    return g * (x - t) / F.clip(x * (1 - x), EPSILON, math.inf)


def bce_target_grad(g, y, x, t):
    # PyTorch's binary_cross_entropy_target_backward: -logit(x), not clamped (inf at 0, -inf at 1)
    return g * (F.log1p(-x) - F.log(x))
