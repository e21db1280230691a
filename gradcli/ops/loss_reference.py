"""Independent forwards of the losses (gradcli/ops/loss.py), which the tests
hold them to: PyTorch's documented formulas, one element or one row at a
time, in mpmath at 50 digits and Python loops, not with the table's ops.
Each takes host arrays and the row's parameters (mpmath is a test
dependency: nothing here runs outside the tests)."""
from __future__ import annotations

import itertools
import math

from gradcli.ops import reference
from gradcli.ops.reference import DIGITS, by_index, elementwise


def _reduce(values, reduction, count=None):
    """values (a host array), their sum, or their sum over count (default: how many)."""
    if reduction == "none":
        return values
    total = math.fsum(values.ravel().tolist())
    return total / (values.size if count is None else count) if reduction == "mean" else total


def pointwise(fn):
    """fn(mp, *numbers, **params) for each element of the broadcast inputs, then the reduction."""
    def loss(*arrays, reduction, **params):
        return _reduce(elementwise(fn)(*arrays, **params), reduction)
    return loss


def smooth_l1(mp, x, t, beta):
    d = abs(x - t)
    return d * d / (2 * beta) if d < beta else d - beta / 2


def huber(mp, x, t, delta):
    d = abs(x - t)
    return d * d / 2 if d < delta else delta * (d - delta / 2)


def bce(mp, x, t, w=1):
    return -w * (t * max(mp.log(x), -100) + (1 - t) * max(mp.log(1 - x), -100))


def bce_logits(mp, x, t, w=1, pos_weight=1):
    s = 1 / (1 + mp.exp(-x))
    return -w * (pos_weight * t * mp.log(s) + (1 - t) * mp.log(1 - s))


def hinge(mp, x, t, margin):
    if t == 1:
        return x
    if t == -1:
        return max(0, margin - x)
    return x + max(0, margin - x)          # other labels: both terms, as PyTorch adds them


def poisson(mp, x, t, log_input, full, eps):
    loss = mp.exp(x) - t * x if log_input else x - t * mp.log(x + eps)
    return loss + (t * mp.log(t) - t + mp.log(2 * mp.pi * t) / 2 if full and t > 1 else 0)


def gaussian(x, target, var, full, eps, reduction):
    if var.ndim and var.shape != x.shape and var.shape == x.shape[:-1]:
        var = var.reshape(var.shape + (1,))
    const = math.log(2 * math.pi) / 2 if full else 0
    fn = elementwise(lambda mp, a, b, v: (mp.log(max(v, eps)) + (a - b) ** 2 / max(v, eps)) / 2 + const)
    return _reduce(fn(x, target, var), reduction)


def kl_div(x, target, reduction, log_target):
    def term(mp, a, t):
        if log_target:
            return mp.exp(t) * (t - a)
        return 0 if t == 0 else t * (mp.log(t) - a)
    values = elementwise(term)(x, target)
    if reduction == "batchmean":
        return _reduce(values, "sum") / (x.shape[0] if x.ndim else 1)
    return _reduce(values, reduction)


def classes(x, target, weight=None, *, ignore_index, reduction, label_smoothing=0.0, log_probs=False):
    """cross_entropy (nll_loss with log_probs) row by row: class indices, or
    class probabilities where target has x's shape."""
    import mpmath as mp
    axis = 0 if x.ndim == 1 else 1
    n = x.shape[axis]
    w = [1.0] * n if weight is None else [float(weight)] * n if weight.ndim == 0 else [float(v) for v in weight]
    eps = label_smoothing
    rows, losses, weights = x.shape[:axis] + x.shape[axis + 1:], {}, []
    with mp.workdps(DIGITS):
        for idx in itertools.product(*map(range, rows)):
            at = [idx[:axis] + (c,) + idx[axis:] for c in range(n)]
            logits = [mp.mpf(float(x[i])) for i in at]
            total = 0 if log_probs else mp.log(mp.fsum(mp.exp(v) for v in logits))
            logp = [v - total for v in logits]
            smooth = -mp.fsum(w[c] * logp[c] for c in range(n)) / n
            if target.shape == x.shape and not log_probs:
                p = [float(target[i]) * (1 - eps) + eps / n for i in at]
                losses[idx] = -mp.fsum(w[c] * p[c] * logp[c] for c in range(n))
                weights.append(1.0)
            elif int(target[idx]) == ignore_index:
                losses[idx] = 0
                weights.append(0.0)
            else:
                y = int(target[idx])
                losses[idx] = (1 - eps) * -w[y] * logp[y] + eps * smooth
                weights.append(w[y])
    return _reduce(by_index(rows, lambda idx: float(losses[idx])), reduction, math.fsum(weights))


def cosine_similarity(x1, x2, axis, eps):
    a, b = x1 + 0 * x2, x2 + 0 * x1                   # broadcast (the inputs are finite)
    if not a.ndim:                                    # a scalar: a line of one element
        a, b, axis = a.reshape(1), b.reshape(1), 0
    axis %= a.ndim
    import mpmath as mp

    def value(idx):
        at = [idx[:axis] + (k,) + idx[axis:] for k in range(a.shape[axis])]
        u, v = ([mp.mpf(float(s[i])) for i in at] for s in (a, b))
        nu, nv = (max(mp.sqrt(mp.fsum(e * e for e in s)), eps) for s in (u, v))
        return float(mp.fsum(p * q for p, q in zip(u, v)) / (nu * nv))
    with mp.workdps(DIGITS):
        return by_index(a.shape[:axis] + a.shape[axis + 1:], value)


def normalize(x, p, axis, eps):
    return reference.along(lambda mp, v: [e / max(reference.norm(mp, v, p), eps) for e in v])(x, axis)
