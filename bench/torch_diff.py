"""Differential test of gradcli against PyTorch, run by hand (not in CI):

    python bench/torch_diff.py --programs 20000 --seed 0 [--jobs 2] [--show 20]

It generates random well-typed programs over the whole builtin table
(gradcli.ops.BUILTINS, read with each op's signature and domain), the
operators + - * / ^ @, comparisons under where, indexing (x[0], x[1:],
x[:, 0]), broadcasting, axes and keepdims, user functions, bindings and
nested grad/jacobian/hessian. Each program is one expression tree, written
out as program text for gradcli's Python API (in-process) and evaluated as
the same computation in PyTorch (float64, torch.amax for max along axes,
torch.clamp for clip, ...: the TORCH table). For the scalar result it compares

  - the value,
  - the gradient with respect to every input,
  - the second order: the gradient of sum(grad(h, x) * dx) + ... over the
    inputs (a Hessian-vector product), by gradcli's grad() inside the
    program and by torch.autograd.grad(create_graph=True),

at rtol = atol = 1e-9; nan matches nan, inf matches inf of the same sign.
Inputs are drawn from each op's domain (op.domain), and a third of the time
at singular points: exact zeros, ties, domain edges (0 for sqrt and log, +-1
for asin), exponents 0 and 1, singular matrices — where an engine gives nan
and PyTorch a number.

A gradcli error where PyTorch gives a value is a mismatch; both failing is
fine, and PyTorch failing alone is counted as not compared. A mismatch is
located: the smallest subexpression that still fails. For a derivative the
op blamed is the one whose backward rule departs from PyTorch's (it receives
the same cotangent and passes on a different one: cotangents are compared
at every subexpression, bound to a name and asked for with wrt=); otherwise
the root of that subexpression. The category is that op, the quantity
(value, gradient, second order) and how the numbers differ, tagged when nan
or inf is already there; gradcli's errors for an axis of a 0-d array (which
torch accepts) make one category whatever the op. Then operands are frozen into inputs and inputs
rounded while it fails in the same category, for a short reproducer.
Differences the README documents as deliberate are counted as explained.
The summary lists each unexplained category (finite ones first) with a
reproducer and PyTorch's answer; the exit code is 1 if there is any.
Counts do not depend on --jobs; which reproducer is shown may.
"""
from __future__ import annotations

import argparse
import itertools
import math
import multiprocessing
import sys
import time
import warnings
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from functools import cache, cached_property, reduce

import numpy as np
import torch
from torch_spellings import ACTIVATIONS

import gradcli
from gradcli.ops import BUILTINS, reference

RTOL = ATOL = 1e-9
POOL = ((), (1,), (2,), (3,), (2, 2), (3, 3), (2, 3), (3, 1), (1, 3), (2, 1, 3))   # every array's shape
MAX_DEPTH = 5
MAX_CALCULUS = 2       # grad/jacobian/hessian nested in a program (the second-order check adds one)
P_LEAF = 0.3           # an operand below the top two levels is an input or a constant before the depth runs out
P_SHARE = 0.08         # an operand reuses a subexpression already made (a binding in the text)
P_REUSE = 0.6          # a leaf reuses an input of its shape
P_SINGULAR = 0.35      # an input is drawn at a singular point
CHUNK = 50             # programs per task handed to a worker
SHRINK_PER_SIGNATURE = 2    # full shrinks per category and worker; later ones are only located
ORDERS = ("value", "gradient", "second order")
ARRAY_KINDS = ("T", "mask", "tensors")     # parameter kinds of a signature that take arrays

# ---- gradcli's builtins, as PyTorch computes them


def _dims(x, axis):
    return tuple(range(x.ndim)) if axis is None else axis


def _prod(x, axis, keepdims):
    # torch.prod reduces one dim at a time: the highest first, so the others keep their index.
    if axis is None:
        out = torch.prod(x)
        return out.reshape((1,) * x.ndim) if keepdims else out
    for a in sorted((a % max(x.ndim, 1) for a in np.atleast_1d(axis)), reverse=True):
        x = torch.prod(x, int(a), keepdim=keepdims)
    return x


def _extreme(whole, along):
    # With no axis torch.max(x) selects with masked_fill (0 where the mask is off, whatever the
    # gradient); along axes amax/amin multiply by the mask. Both share the gradient between ties.
    def fn(x, axis, keepdims):
        if axis is None:
            out = whole(x)
            return out.reshape((1,) * x.ndim) if keepdims else out
        return along(x, axis, keepdims)
    return fn


def _transpose(x, dim0, dim1):
    if dim0 is None and dim1 is None:
        return x.permute(*reversed(range(x.ndim)))
    return torch.transpose(x, dim0, dim1)


TORCH = {
    "neg": torch.neg, "abs": torch.abs, "sign": torch.sign, "sqrt": torch.sqrt, "square": torch.square,
    "exp": torch.exp, "expm1": torch.expm1, "log": torch.log, "log1p": torch.log1p, "log2": torch.log2,
    "log10": torch.log10, "sin": torch.sin, "cos": torch.cos, "tan": torch.tan, "asin": torch.asin,
    "acos": torch.acos, "atan": torch.atan, "sinh": torch.sinh, "cosh": torch.cosh, "tanh": torch.tanh,
    "asinh": torch.asinh, "acosh": torch.acosh, "atanh": torch.atanh, "sigmoid": torch.sigmoid,
    "relu": torch.relu, "erf": torch.erf, "reciprocal": torch.reciprocal, "floor": torch.floor,
    "ceil": torch.ceil, "round": torch.round,
    # log(1 + e^x) exactly: torch's softplus switches to x above its threshold of 20
    "softplus": lambda x: torch.logaddexp(x, torch.zeros_like(x)),
    "pow": torch.pow, "maximum": torch.maximum, "minimum": torch.minimum, "atan2": torch.atan2,
    "where": lambda cond, a, b: torch.where(cond != 0, a, b),
    # x broadcast first: torch's clamp backward fails when x alone is smaller than the result
    "clip": lambda x, lo, hi: torch.clamp(torch.broadcast_to(x, torch.broadcast_shapes(x.shape, lo.shape, hi.shape)),
                                          lo, hi),
    "sum": lambda x, axis, keepdims: torch.sum(x, _dims(x, axis), keepdims),
    "mean": lambda x, axis, keepdims: torch.mean(x, _dims(x, axis), keepdims),
    "prod": _prod,
    "max": _extreme(torch.max, torch.amax), "min": _extreme(torch.min, torch.amin),
    "norm": lambda x, p, axis, keepdims: torch.linalg.vector_norm(x, p, axis, keepdims),
    "var": lambda x, axis, correction, keepdims: torch.var(x, axis, correction=correction, keepdim=keepdims),
    "std": lambda x, axis, correction, keepdims: torch.std(x, axis, correction=correction, keepdim=keepdims),
    "logsumexp": lambda x, axis, keepdims: torch.logsumexp(x, _dims(x, axis), keepdims),
    "softmax": lambda x, axis: torch.softmax(x, axis),
    "log_softmax": lambda x, axis: torch.log_softmax(x, axis),
    "matmul": torch.matmul, "mm": torch.mm, "dot": torch.dot, "outer": torch.outer, "transpose": _transpose,
    "trace": torch.trace, "det": torch.linalg.det, "inv": torch.linalg.inv, "diag": torch.diag,
    "reshape": lambda x, shape: torch.reshape(x, shape), "flatten": torch.flatten,
    "permute": lambda x, dims: x.permute(dims),
    "squeeze": lambda x, axis: torch.squeeze(x) if axis is None else torch.squeeze(x, axis),
    "unsqueeze": lambda x, axis: torch.unsqueeze(x, axis),
    "concat": lambda *xs, axis: torch.cat(xs, axis), "stack": lambda *xs, axis: torch.stack(xs, axis),
    "broadcast_to": lambda x, shape: torch.broadcast_to(x, shape),
    "ones": lambda shape: torch.ones(shape), "zeros": lambda shape: torch.zeros(shape),
    "full": lambda shape, value: torch.full(shape, value),
    "eye": lambda n, m: torch.eye(n) if m is None else torch.eye(n, m),
    "arange": lambda start, stop, step: torch.arange(0.0, start, step) if stop is None
    else torch.arange(start, stop, step),
    "linspace": lambda a, b, n: torch.linspace(a, b, n),
    "tensor": lambda x: x.detach().clone(), "zeros_like": torch.zeros_like, "ones_like": torch.ones_like,
}
# One block a family added by issue 12 (gradcli/ops/<family>.py): each row's PyTorch spelling.
TORCH.update(ACTIVATIONS)
TORCH.update({    # special
    "hypot": torch.hypot, "logaddexp": torch.logaddexp, "logaddexp2": torch.logaddexp2, "xlogy": torch.xlogy,
    "xlog1py": torch.special.xlog1py, "sinc": torch.sinc, "lerp": torch.lerp, "fmod": torch.fmod,
    "remainder": torch.remainder, "floor_divide": lambda a, b: torch.div(a, b, rounding_mode="floor"),
    "trunc": torch.trunc, "frac": torch.frac, "lgamma": torch.lgamma, "digamma": torch.digamma,
    "polygamma": lambda x, n: torch.polygamma(n, x), "erfc": torch.erfc, "erfcx": torch.special.erfcx,
    "erfinv": torch.erfinv, "ndtr": torch.special.ndtr, "log_ndtr": torch.special.log_ndtr,
    "entr": torch.special.entr,
})
TORCH.update({    # scan
    "cumsum": torch.cumsum, "cumprod": torch.cumprod, "logcumsumexp": torch.logcumsumexp,
    "argmax": lambda x, axis, keepdims: torch.argmax(x, axis, keepdims).double(),
    "argmin": lambda x, axis, keepdims: torch.argmin(x, axis, keepdims).double(),
    # gradcli's sorts are always stable; topk, kthvalue, sort, cummax and cummin give two results (not compared)
    "argsort": lambda x, axis, descending, stable: torch.argsort(x, dim=axis, descending=descending,
                                                                 stable=True).double(),
    "msort": lambda x: torch.sort(x, dim=0, stable=True).values,
    "median": lambda x, axis, keepdims: (torch.median(x).reshape((1,) * x.ndim if keepdims else ()) if axis is None
                                         else torch.median(x, axis, keepdims)),
    "quantile": lambda x, q, axis, keepdims, interpolation: torch.quantile(x, q.detach(), axis, keepdims,
                                                                           interpolation=interpolation),
})


def _indices(t, n=None):
    """An index array as data, refused unless whole numbers (as gradcli refuses it), and with n, unless
    from -n to n - 1 (torch.take_along_dim reads out of bounds where it broadcasts)."""
    if t.device.type != "meta" and not (torch.equal(t, t.floor()) and (n is None or torch.all((t >= -n) & (t < n)))):
        raise ValueError("indices must be whole numbers in range")
    return t.detach().long()


TORCH.update({    # select
    "gather": lambda x, index, axis: torch.gather(x, axis, _indices(index)),
    "take_along_dim": lambda x, indices, axis: torch.take_along_dim(
        x, _indices(indices, x.numel() if axis is None else x.shape[axis]), axis),
    "index_select": lambda x, index, axis: torch.index_select(x, axis, _indices(index)),
    "scatter_add": lambda x, index, src, axis: torch.scatter_add(x, axis, _indices(index), src),
    "index_add": lambda x, index, source, axis, alpha: torch.index_add(x, axis, _indices(index), source, alpha=alpha),
})
TORCH.update({    # shape
    "t": torch.t, "flip": lambda x, dims: torch.flip(x, (dims,) if isinstance(dims, int) else dims),
    "roll": lambda x, shifts, dims: torch.roll(x, shifts, dims),
    "triu": lambda x, diagonal: torch.triu(x, diagonal), "tril": lambda x, diagonal: torch.tril(x, diagonal),
    "expand": lambda x, sizes: x.expand(*sizes), "repeat": lambda x, sizes: x.repeat(*sizes),
    "tile": lambda x, dims: torch.tile(x, dims),
    "repeat_interleave": lambda x, repeats, axis: torch.repeat_interleave(
        x, torch.tensor(repeats) if isinstance(repeats, tuple) else repeats, axis),
    # split and chunk give several arrays: not an operand of these programs
    # a value with another mode is an error in both; the default 0 stands for no value
    "pad": lambda x, pad, mode, value: torch.nn.functional.pad(x, pad, mode,
                                                               value if mode == "constant" or value else None),
    "diag_embed": lambda x, offset, dim1, dim2: torch.diag_embed(x, offset, dim1, dim2),
    "movedim": lambda x, source, destination: torch.movedim(x, source, destination),
    "narrow": lambda x, axis, start, length: torch.narrow(x, axis, int(start), length),
})


def _loss_reduce(loss, reduction):
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


def _loss_classes(kernel):
    # class indices are whole numbers (integers for torch), probabilities shaped like x; a number as weight
    # weighs every class. torch refuses a weight that needs a gradient: such a case is not compared.
    def fn(x, target, weight, ignore_index, reduction, **smoothing):
        axis = 0 if x.dim() == 1 else 1
        weight = weight.expand(x.shape[axis]) if weight.dim() == 0 else weight
        if kernel is not torch.nn.functional.cross_entropy or target.shape != x.shape:
            target = _indices(target)
        return kernel(x, target, weight, ignore_index=ignore_index, reduction=reduction, **smoothing)
    return fn


def _loss_weights_fit(x, *weights):
    if torch.broadcast_shapes(x.shape, *(w.shape for w in weights)) != x.shape:
        raise ValueError("a weight of the loss's elements may not broadcast them to more")


def _bce_logits(x, t, weight, pos_weight, reduction):
    # torch refuses weight and pos_weight a gradient: then its formula in torch's ops
    _loss_weights_fit(x, weight, pos_weight)
    if not (weight.requires_grad or pos_weight.requires_grad):
        return torch.nn.functional.binary_cross_entropy_with_logits(x, t, weight, reduction=reduction,
                                                                    pos_weight=pos_weight)
    loss = (1 - t) * x - ((pos_weight - 1) * t + 1) * torch.nn.functional.logsigmoid(x)
    return _loss_reduce(loss * weight, reduction)


def _gaussian_nll(x, t, var, full, eps, reduction):
    if x.device.type == "meta":         # torch reads var's values (var >= 0): the shape from real ones
        shape = torch.nn.functional.gaussian_nll_loss(*(torch.ones(a.shape) for a in (x, t, var)),
                                                      full=full, eps=eps, reduction=reduction).shape
        return torch.empty(shape, device="meta")
    return torch.nn.functional.gaussian_nll_loss(x, t, var, full=full, eps=eps, reduction=reduction)


TORCH.update({    # loss
    "mse_loss": torch.nn.functional.mse_loss, "l1_loss": torch.nn.functional.l1_loss,
    "smooth_l1_loss": torch.nn.functional.smooth_l1_loss, "huber_loss": torch.nn.functional.huber_loss,
    "cross_entropy": _loss_classes(torch.nn.functional.cross_entropy),
    "nll_loss": _loss_classes(torch.nn.functional.nll_loss),
    # the kernel times weight (torch refuses weight a gradient, and this is what it computes)
    "binary_cross_entropy": lambda x, t, weight, reduction: _loss_weights_fit(x, weight) or _loss_reduce(
        torch.nn.functional.binary_cross_entropy(x, t, reduction="none") * weight, reduction),
    "binary_cross_entropy_with_logits": _bce_logits, "kl_div": torch.nn.functional.kl_div,
    "cosine_similarity": lambda a, b, axis, eps: torch.nn.functional.cosine_similarity(a, b, dim=axis, eps=eps),
    "normalize": lambda x, p, axis, eps: torch.nn.functional.normalize(x, p=p, dim=axis, eps=eps),
    # log(1 + e^-tx) exactly: torch's kernel overflows past |tx| = 709, and refuses target a gradient
    "soft_margin_loss": lambda x, t, reduction: _loss_reduce(torch.logaddexp(-t * x, torch.zeros_like(x)),
                                                             reduction),
    "margin_ranking_loss": torch.nn.functional.margin_ranking_loss,
    "hinge_embedding_loss": lambda x, t, margin, reduction: torch.nn.functional.hinge_embedding_loss(
        x, t.detach(), margin=margin, reduction=reduction),
    "poisson_nll_loss": torch.nn.functional.poisson_nll_loss, "gaussian_nll_loss": _gaussian_nll,
})


def _symmetric(A):
    """gradcli's cholesky and eigvalsh factorise (A + Aᵀ)/2: torch's matrix when A is symmetric (torch reads one
    triangle), and torch's symmetric gradient. A non-square A is left for torch to refuse."""
    return (A + A.transpose(-2, -1)) / 2 if A.ndim >= 2 and A.shape[-1] == A.shape[-2] else A


TORCH.update({    # factor
    # slogdet, eigh and svd give several results (not compared)
    "solve": torch.linalg.solve, "logdet": torch.logdet, "svdvals": torch.linalg.svdvals,
    "cholesky": lambda A, upper: torch.linalg.cholesky(_symmetric(A), upper=upper),
    "eigvalsh": lambda A, UPLO: torch.linalg.eigvalsh(_symmetric(A), UPLO=UPLO),
    "pinv": lambda A, atol, rtol: torch.linalg.pinv(A, atol=atol, rtol=rtol),
    "matrix_power": torch.linalg.matrix_power, "matrix_exp": torch.linalg.matrix_exp,
})
TORCH.update({    # contract
    "einsum": lambda *operands, equation: torch.einsum(equation, *operands), "kron": torch.kron,
    "tensordot": lambda a, b, dims: torch.tensordot(a, b, dims if isinstance(dims, int) else [list(d) for d in dims]),
    "cross": lambda x, other, axis: torch.linalg.cross(x, other, dim=axis),
    "vector_norm": lambda x, ord, axis, keepdims: torch.linalg.vector_norm(x, ord, axis, keepdims),
    "matrix_norm": lambda A, ord, axis, keepdims: torch.linalg.matrix_norm(
        A, "fro" if ord is None else ord, (-2, -1) if axis is None else axis, keepdims),
})
def _expanded(t, size):
    """gradcli's optional weight or bias: an array, or a number (1 or 0 when left out) for every element
    (contiguous: torch's batch_norm backward misreads an expanded weight when not training)."""
    return t.expand(size).contiguous() if t.dim() == 0 else t


def _conv(kernel):
    return lambda x, w, b, **kw: kernel(x, w, _expanded(b, w.shape[:1]), **kw)


def _norm_shape(shape):
    return (shape,) if isinstance(shape, int) else tuple(shape)


def _batch_norm(x, mean, var, w, b, training, momentum, eps):
    # the running statistics are data, updated in place by torch when training: copies
    size = x.shape[1:2]
    if any(t.dim() and t.shape != size for t in (mean, var, w, b)):
        raise ValueError("one value per channel")      # quickly: most of the shapes tried are not
    mean, var = (_expanded(t.detach(), size).clone() for t in (mean, var))
    return torch.nn.functional.batch_norm(x, mean, var, _expanded(w, size), _expanded(b, size), training, momentum, eps)


TORCH.update({    # nn
    "conv1d": _conv(torch.nn.functional.conv1d), "conv2d": _conv(torch.nn.functional.conv2d),
    "max_pool2d": torch.nn.functional.max_pool2d, "avg_pool2d": torch.nn.functional.avg_pool2d,
    "layer_norm": lambda x, w, b, normalized_shape, eps: torch.nn.functional.layer_norm(
        x, _norm_shape(normalized_shape), _expanded(w, _norm_shape(normalized_shape)),
        _expanded(b, _norm_shape(normalized_shape)), eps),
    "batch_norm": _batch_norm,
    "embedding": lambda x, weight: torch.nn.functional.embedding(_indices(x), weight),
    # dropout draws its mask from gradcli's generator: not compared
})
NOT_COMPARED = {"rand": "random draws", "randn": "random draws"}
OPERATORS = {"+": torch.add, "-": torch.sub, "*": torch.mul, "/": torch.div, "^": torch.pow, "@": torch.matmul}
OPERATOR_NAMES = {"+": "add", "-": "sub", "*": "mul", "/": "div", "^": "pow", "@": "matmul"}
COMPARISONS = {"<": torch.lt, "<=": torch.le, ">": torch.gt, ">=": torch.ge, "==": torch.eq, "!=": torch.ne}


def _grad(y, x):
    if not (y.requires_grad and x.requires_grad):
        return torch.zeros_like(x)
    g, = torch.autograd.grad(y, x, create_graph=True, allow_unused=True)
    return torch.zeros_like(x) if g is None else g


def _jacobian(y, x):
    rows = [_grad(v, x) for v in y.reshape(-1)]
    return torch.stack(rows).reshape(y.shape + x.shape) if rows else torch.zeros(y.shape + x.shape)


CALCULUS = {"grad": _grad, "jacobian": _jacobian, "hessian": lambda y, x: _jacobian(_grad(y, x), x)}

# ---- what each production can be called with: shapes and parameters, checked on torch's meta device

OMIT = object()         # a parameter left out, so that its default is used
SHAPES = POOL + ((-1,), (2, -1), (-1, 3))
CHOICES = {             # values tried for a non-tensor parameter, by name (axes come from the rank)
    "keepdims": (False, True), "p": (1.0, 2.0, 3.0, math.inf, 0.5, 1.5), "correction": (0, 1, 2),
    "dim0": (0, 1, -1), "dim1": (0, 1, -1), "shape": SHAPES, "value": (0.0, 0.5, -2.0), "n": (1, 2, 3),
    "m": (2, 3), "start": (0.0, 1.0, 3.0), "stop": (2.0, 3.5), "step": (0.5, 1.0), "a": (0.0, -1.0),
    "b": (1.0, 2.5), "dims": ((), (0,), (1, 0), (0, 1), (2, 0, 1), (0, 2, 1), (2, 1, 0), (1, 3), (3, 1), (1, 1, 3),
             ((1,), (0,)), ((0,), (0,)), ((-1,), (-1,)), ((0, 1), (1, 0))),    # the last four: tensordot's
    "ord": (2.0, 1.0, 3.0, 0.5, 0.0, -1.0, -2.0, -1.5, math.inf, -math.inf),    # and matrix_norm's numbers
    "negative_slope": (0.01, 0.2), "alpha": (1.0, 2.0, 0.5), "min_val": (-1.0, 0.0), "max_val": (1.0, 2.0),
    "eps": (0.1, 1e-6), "lambd": (0.5, 0.0, 1.0), "threshold": (0.0, 0.5, -1.0),
    "shifts": (1, -1, 2, (1, -2)), "diagonal": (0, 1, -1), "offset": (0, 1, -1), "length": (0, 1, 2),
    "sizes": ((2, 3), (-1, 3), (3, -1), (2, -1, -1), (1,), (2,), (-1,), (1, 1), (2, 1), (1, 2), (1, 1, 3), (2, 1, 1)),
    "repeats": (1, 2, (1, 2), (0, 1, 2)), "pad": ((1, 1), (0, 2), (1, 0, 0, 1), (-1, 1)),
    "descending": (False, True), "stable": (False, True), "k": (1, 2, 3), "largest": (True, False),
    "sorted": (True, False), "interpolation": ("linear", "lower", "higher", "midpoint", "nearest"),
    "upper": (False, True), "UPLO": ("L", "U"), "atol": (0.0, 0.01), "rtol": (0.0, 1e-3),
    "reduction": ("mean", "sum", "none"), "approximate": ("none", "tanh"),
    "mode": ("constant", "reflect", "replicate", "circular"), "beta": (1.0, 0.5, 0.0), "delta": (1.0, 0.5), "ignore_index": (-100, 0, 1),
    "label_smoothing": (0.0, 0.2), "log_target": (False, True), "margin": (0.0, 0.5, 1.0),
    "log_input": (True, False), "full": (False, True), "axis": (1, 0, -1),
    "stride": (2, (1, 2)), "padding": (1, (0, 1)), "dilation": (2,), "groups": (2,),
    "kernel_size": (1, 2, (1, 3)), "ceil_mode": (False, True), "count_include_pad": (True, False),
    "divisor_override": (2,), "normalized_shape": ((3,), (2, 3), (1,), 2), "training": (True,),
    "momentum": (),
}
KEYS = ((0,), (-1,), (1,), (slice(1, None),), (slice(None, 2),), (slice(None, None, 2),), (slice(None), 0),
        (slice(None), -1), (0, slice(1, None)))


@dataclass(frozen=True)
class Arg:
    kind: str               # "T", "mask", "exponent", or "default": an optional array left out
    shape: tuple = ()
    default: float = 0.0    # the value gradcli uses for a left-out array


@dataclass(frozen=True, eq=False)
class Case:
    args: tuple             # Arg per array operand
    params: dict            # the other parameters given; those absent take their defaults


def _axes(ndim):
    ints = tuple(range(-max(ndim, 1), max(ndim, 1)))
    pairs = tuple(itertools.combinations(range(ndim), 2))
    return (None, ()) + ints + pairs + ((tuple(range(ndim)),) if ndim > 2 else ())


def _param_values(p, ndim):
    if p.kind == "axis":
        values = _axes(ndim)
    elif p.kind == "axis1":
        values = range(-max(ndim, 1), max(ndim, 1))
    elif p.kind == "newaxis":
        values = range(-ndim - 1, ndim + 1)
    else:
        values = CHOICES[p.name]
    return (() if p.required else (OMIT,)) + tuple(values)


def _builtin_cases(op):
    per_param = []
    for p in op.tensor_params:
        if p.kind == "tensors":
            per_param.append([tuple(Arg("T", s) for s in shapes)
                              for shapes in list(itertools.product(POOL, repeat=2)) + [(s,) * 3 for s in POOL]])
        else:
            kind = "exponent" if (op.name, p.name) == ("pow", "b") else p.kind
            left_out = [] if p.required else [(Arg("default", (), p.default),)]
            per_param.append([(Arg(kind, s),) for s in POOL] + left_out)
    others = [p for p in op.params if p.kind not in ARRAY_KINDS]
    for combo in itertools.product(*per_param):
        args = tuple(itertools.chain.from_iterable(combo))
        ndim = len(args[0].shape) if args else 0
        for values in itertools.product(*(_param_values(p, ndim) for p in others)):
            yield Case(args, {p.name: v for p, v in zip(others, values) if v is not OMIT})


def _operator_cases(name):
    kinds = ("T", "exponent") if name == "^" else ("T", "T")
    for shapes in itertools.product(POOL, repeat=2):
        yield Case(tuple(Arg(k, s) for k, s in zip(kinds, shapes)), {})


def torch_params(name, params):
    """A node's parameters for its torch function: gradcli's defaults filled in."""
    op = BUILTINS.get(name)
    if op is None:
        return params
    return {p.name: params.get(p.name, () if p.variadic else p.default) for p in op.params if p.kind not in ARRAY_KINDS}


def _meta_shape(name, case):
    args = [torch.full(a.shape, a.default, device="meta") for a in case.args]
    fn = TORCH.get(name) or OPERATORS.get(name)
    if name == "index":
        return tuple(args[0][case.params["key"]].shape)
    return tuple(fn(*args, **torch_params(name, case.params)).shape)


@cache
def cases():
    """out shape -> production -> [[Case]] grouped by operand shapes (drawn group first, so
    that no shapes dominate through their many parameters); and the builtins left out, with why."""
    grouped = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    left_out = dict(NOT_COMPARED)
    candidates = {name: _operator_cases(name) for name in OPERATORS}
    candidates["index"] = (Case((Arg("T", s),), {"key": k}) for s in POOL for k in KEYS)
    for name, op in BUILTINS.items():
        if name in NOT_COMPARED or name in CALCULUS:
            continue
        if name not in TORCH:
            left_out[name] = "no PyTorch mapping in bench/torch_diff.py"
            continue
        unknown = [p.name for p in op.params if p.kind not in ARRAY_KINDS and p.kind not in ("axis", "axis1", "newaxis")
                   and p.name not in CHOICES]
        if unknown:
            left_out[name] = f"no values to try for parameter {', '.join(unknown)}"
            continue
        candidates[name] = _builtin_cases(op)
    for name, generated in candidates.items():
        for case in generated:
            try:
                out = _meta_shape(name, case)
            except Exception:       # noqa: BLE001 — torch rejects these operands: not a case
                continue
            if out in POOL:
                grouped[out][name][tuple(a.shape for a in case.args)].append(case)
    by_shape = {out: {name: list(groups.values()) for name, groups in names.items()} for out, names in grouped.items()}
    return by_shape, left_out


# ---- programs as expression trees

@dataclass(eq=False)
class Input:
    name: str
    value: np.ndarray
    direction: np.ndarray       # its dx in the second-order check sum(grad(h, x) * dx)
    domain: str = "real"


@dataclass(eq=False)
class Function:
    params: tuple               # parameter names
    shapes: tuple
    body: Node


@dataclass(eq=False)
class Node:
    op: str                     # a builtin, an operator or comparison, "index", "call", or a leaf (LEAVES)
    args: tuple = ()
    params: dict = field(default_factory=dict)
    shape: tuple = ()
    ref: object = None          # input: the Input; param: its name; const/default: the number; call: the Function
    style: int = 0              # bits choosing among equivalent spellings
    wrapper: bool = False       # added around the subexpression under test, not part of it


@dataclass(eq=False)
class Program:
    root: Node                  # a scalar
    second: object = "all"      # second-order check: over "all" inputs, or (name, with a direction), or None


LEAVES = ("input", "param", "const", "default")
METHOD, ALIAS, KEYWORD, STARSTAR, MINUS, SPREAD, BIND = (1 << i for i in range(7))
INPUT_NAMES = ("x", "y", "z", "w", "u", "v", "p", "q", "r", "s", "t")
FUNCTION_NAMES = ("f", "g", "f3", "f4", "f5", "f6", "f7", "f8")
CONSTANTS = {"real": (0, 1, 2, -1, 0.5, 3), "positive": (0.5, 1, 2, 3), "unit": (0.5, -0.5, 0), "gt1": (1.5, 2),
             "nonzero": (2, -1, 0.5), "wellposed": (2,), "exponent": (0, 1, 2, 3, 0.5, -1, -2, 1.5),
             "probability": (0.5, 0.25, 1, 0)}
EDGES = {"real": (0.0,), "positive": (0.0, 1.0), "unit": (-1.0, 1.0), "gt1": (1.0,), "nonzero": (0.0,),
         "wellposed": (0.0,), "exponent": (0.0, 1.0), "probability": (0.0, 1.0)}


def draw(rng, domain, shape):
    """Values of a domain, rounded to two decimals; a fraction of the time at a singular point."""
    if rng.random() >= P_SINGULAR:
        return np.round(reference.draw(rng, domain, shape), 2)
    edge = float(rng.choice(EDGES[domain]))
    pattern = rng.integers(4)
    if pattern == 0:            # all at a domain edge: zeros, ties
        return np.full(shape, edge)
    if pattern == 1:            # some elements at the edge
        return np.where(rng.random(shape) < 0.5, edge, np.round(reference.draw(rng, domain, shape), 2))
    if pattern == 2:            # small integers: zeros, ties, exponents 0 and 1
        return rng.integers(-1, 3, shape).astype(float)
    return np.full(shape, np.round(reference.draw(rng, domain, ()), 2))     # all equal: ties, singular matrices


@dataclass
class Scope:
    params: dict = field(default_factory=dict)     # a function body's parameters: name -> shape
    made: dict = field(default_factory=lambda: defaultdict(list))     # shape -> subexpressions, to share
    calculus: int = 0           # grad/jacobian/hessian calls around this point
    target: Node | None = None  # the variable they differentiate by, preferred as a leaf


class Generator:
    """Random well-typed programs; each choice is drawn from the table of cases."""

    def __init__(self, rng):
        self.rng = rng
        self.inputs: list[Input] = []
        self.functions: list[Function] = []

    def pick(self, items):
        return items[self.rng.integers(len(items))]

    def program(self) -> Program:
        return Program(self.apply((), MAX_DEPTH, Scope()))

    def node(self, shape, depth, scope, domain="real"):
        if depth <= 0 or depth < MAX_DEPTH - 1 and self.rng.random() < P_LEAF:
            return self.leaf(shape, scope, domain)
        if scope.made[shape] and self.rng.random() < P_SHARE:
            return self.pick(scope.made[shape])
        return self.apply(shape, depth, scope)

    def productions(self, shape, scope):
        names = list(cases()[0][shape])
        if not scope.params:
            names.append("call")
        if scope.calculus < MAX_CALCULUS:
            half = len(shape) // 2
            names += ["grad", "jacobian"] + (["hessian"] if shape == shape[:half] * 2 else [])
        return names

    def apply(self, shape, depth, scope):
        name = self.pick(self.productions(shape, scope))
        if name == "call":
            node = self.call(shape, depth, scope)
        elif name in CALCULUS:
            node = self.calculus(name, shape, depth, scope)
        else:
            case = self.pick(self.pick(cases()[0][shape][name]))
            domain = BUILTINS[name].domain if name in BUILTINS else "positive" if name == "^" else "real"
            args = tuple(self.operand(a, depth - 1, scope, domain) for a in case.args)
            style = int(self.rng.integers(BIND)) | (BIND if self.rng.random() < 0.1 else 0)
            node = Node(name, args, case.params, shape, style=style)
        scope.made[shape].append(node)
        return node

    def operand(self, arg, depth, scope, domain):
        if arg.kind == "default":
            return Node("default", ref=arg.default)
        if arg.kind == "mask":
            return self.mask(arg.shape, depth, scope)
        return self.node(arg.shape, depth, scope, "exponent" if arg.kind == "exponent" else domain)

    def mask(self, shape, depth, scope):
        if self.rng.random() < 0.25:
            return self.node(shape, depth, scope)
        a, b = self.pick(self.pick(cases()[0][shape]["+"])).args
        op = self.pick(list(COMPARISONS))
        return Node(op, (self.node(a.shape, depth - 1, scope), self.node(b.shape, depth - 1, scope)), shape=shape)

    def leaf(self, shape, scope, domain):
        rng = self.rng
        if shape == () and rng.random() < 0.3:
            return Node("const", ref=float(self.pick(CONSTANTS[domain])))
        if scope.target is not None and scope.target.shape == shape and rng.random() < 0.7:
            return scope.target
        params = [n for n, s in scope.params.items() if s == shape]
        if params and rng.random() < 0.8:
            return Node("param", shape=shape, ref=self.pick(params))
        same = [i for i in self.inputs if i.value.shape == shape and domain in (i.domain, "real")]
        if same and rng.random() < P_REUSE:
            return Node("input", shape=shape, ref=self.pick(same))
        return Node("input", shape=shape, ref=self.new_input(shape, domain))

    def new_input(self, shape, domain):
        taken = {i.name for i in self.inputs}
        name = next(n for n in itertools.chain(INPUT_NAMES, (f"x{k}" for k in itertools.count(1))) if n not in taken)
        inp = Input(name, draw(self.rng, domain, shape), np.round(self.rng.normal(size=shape), 1), domain)
        self.inputs.append(inp)
        return inp

    def call(self, shape, depth, scope):
        reusable = [f for f in self.functions if f.body.shape == shape]
        if reusable and self.rng.random() < 0.5:
            fn = self.pick(reusable)
        else:
            shapes = (shape, self.pick(POOL))[:1 + self.rng.integers(2)]
            names = ("a", "b")[:len(shapes)]
            body_scope = Scope(params=dict(zip(names, shapes)), calculus=scope.calculus)
            fn = Function(names, shapes, self.apply(shape, depth - 1, body_scope))
            self.functions.append(fn)
        return Node("call", tuple(self.node(s, depth - 1, scope) for s in fn.shapes), shape=shape, ref=fn)

    def calculus(self, name, shape, depth, scope):
        if name == "grad":
            splits = [((), shape)]
        elif name == "hessian":
            splits = [((), shape[:len(shape) // 2])]
        else:
            splits = [(shape[:k], shape[k:]) for k in range(len(shape) + 1) if shape[:k] in POOL and shape[k:] in POOL]
        y_shape, x_shape = self.pick(splits)
        var = self.variable(x_shape, scope)
        y = self.apply(y_shape, depth - 1, replace(scope, calculus=scope.calculus + 1, target=var))
        return Node(name, (y, var), shape=shape)

    def variable(self, shape, scope):
        names = [Node("param", shape=shape, ref=n) for n, s in scope.params.items() if s == shape]
        inputs = [Node("input", shape=shape, ref=i) for i in self.inputs if i.value.shape == shape]
        return self.pick(names + inputs) if names or inputs else Node("input", shape=shape,
                                                                        ref=self.new_input(shape, "real"))


# ---- walking and rewriting trees

def operands(node):
    """The subexpressions a node computes from (a grad's variable is not one)."""
    return node.args[:1] if node.op in CALCULUS else node.args


def walk(root, into_bodies=True):
    """Every node once, operands first."""
    seen, out = set(), []

    def visit(n):
        if id(n) in seen:
            return
        seen.add(id(n))
        for a in n.args:
            visit(a)
        if n.op == "call" and into_bodies:
            visit(n.ref.body)
        out.append(n)
    visit(root)
    return out


def inputs_of(root):
    found = {}
    for n in walk(root):
        if n.op == "input":
            found.setdefault(n.ref.name, n.ref)
    return list(found.values())


def rewrite(root, swap):
    """A copy of the tree with swap(n) in place of every node n for which it is not None."""
    memo, bodies = {}, {}

    def visit(n):
        if id(n) in memo:
            return memo[id(n)]
        out = swap(n)
        if out is None:
            args = tuple(visit(a) for a in n.args)
            ref = n.ref
            if n.op == "call":
                if id(ref) not in bodies:
                    body = visit(ref.body)
                    bodies[id(ref)] = ref if body is ref.body else replace(ref, body=body)
                ref = bodies[id(ref)]
            changed = ref is not n.ref or any(a is not b for a, b in zip(args, n.args))
            out = replace(n, args=args, ref=ref) if changed else n
        memo[id(n)] = out
        return out
    return visit(root)


def culprit(root):
    while root.wrapper:
        root = root.args[0]
    return root


# ---- program text

PREC = {"cmp": 1, "+": 2, "-": 2, "*": 3, "/": 3, "@": 3, "unary": 4, "^": 5, "atom": 6}
SPELLING = {"axis": "dim", "keepdims": "keepdim"}   # keywords as PyTorch spells them


def number(v):
    v = float(v)
    if math.isnan(v) or math.isinf(v):
        return "nan" if math.isnan(v) else "inf" if v > 0 else "-inf"
    if v.is_integer() and abs(v) < 1e16:
        return "-0" if v == 0 and math.copysign(1, v) < 0 else str(int(v))
    return repr(v)


def array_text(a, fmt=number):
    """Nested lists in the language's syntax; exact unless fmt rounds."""
    a = np.asarray(a)
    return fmt(a) if a.ndim == 0 else "[" + ", ".join(array_text(v, fmt) for v in a) + "]"


def _value_text(v):
    if v is None or isinstance(v, bool):
        return str(v)
    if isinstance(v, str):
        return repr(v)
    if isinstance(v, tuple):
        return "(" + ", ".join(map(_value_text, v)) + ("," if len(v) == 1 else "") + ")"
    return number(v)


def _key_text(key):
    def part(k):
        if isinstance(k, slice):
            text = ("" if k.start is None else str(k.start)) + ":" + ("" if k.stop is None else str(k.stop))
            return text + ("" if k.step is None else f":{k.step}")
        return str(k)
    return ", ".join(map(part, key))


def bound(root, every=False):
    """The subexpressions written as bindings h1, h2, ...: the shared ones and a few others, or every one."""
    uses = Counter(id(a) for n in walk(root, into_bodies=False) for a in n.args)
    return [n for n in walk(root, into_bodies=False)
            if n.op not in LEAVES and n is not root and (every or uses[id(n)] > 1 or n.style & BIND)]


def render(root, bind_every=False):
    """Program text: the user functions' definitions, the bindings, then the result."""
    functions = {}
    for n in walk(root):
        if n.op == "call" and id(n.ref) not in functions:
            functions[id(n.ref)] = (n.ref, FUNCTION_NAMES[len(functions)])
    names = {key: name for key, (_, name) in functions.items()}
    bindings = bound(root, bind_every)
    labels = {id(n): f"h{i + 1}" for i, n in enumerate(bindings)}
    lines = [f"{name}({', '.join(fn.params)}) = {Text(names, {}).of(fn.body)}" for fn, name in functions.values()]
    text = Text(names, labels)
    lines += [f"{labels[id(n)]} = {text.of(n, define=True)}" for n in bindings]
    result = text.of(root)
    lines.append(f"({result})" if result.startswith("-") else result)
    return "; ".join(lines)


class Text:
    """Expressions as text, parenthesised by precedence; bound subexpressions by their names."""

    def __init__(self, functions, labels):
        self.functions, self.labels = functions, labels

    def of(self, node, need=0, define=False):
        if id(node) in self.labels and not define:
            return self.labels[id(node)]
        text, prec = self.expr(node)
        return text if prec >= need else f"({text})"

    def expr(self, node):
        op, t = node.op, self.of
        if op == "input":
            return node.ref.name, PREC["atom"]
        if op == "param":
            return node.ref, PREC["atom"]
        if op == "const":
            s = number(node.ref)
            return s, PREC["unary"] if s.startswith("-") else PREC["atom"]
        if op in OPERATORS:
            a, b = node.args
            if op == "^":
                return f"{t(a, PREC['atom'])} {'**' if node.style & STARSTAR else '^'} {t(b, PREC['unary'])}", PREC["^"]
            return f"{t(a, PREC[op])} {op} {t(b, PREC[op] + 1)}", PREC[op]
        if op in COMPARISONS:
            return f"{t(node.args[0], PREC['+'])} {op} {t(node.args[1], PREC['+'])}", PREC["cmp"]
        if op == "index":
            return f"{t(node.args[0], PREC['atom'])}[{_key_text(node.params['key'])}]", PREC["atom"]
        if op == "call":
            return f"{self.functions[id(node.ref)]}({', '.join(t(a) for a in node.args)})", PREC["atom"]
        if op in CALCULUS:
            return f"{op}({t(node.args[0])}, {t(node.args[1])})", PREC["atom"]
        if op == "neg" and node.style & MINUS:
            return "-" + t(node.args[0], PREC["unary"]), PREC["unary"]
        if op == "transpose" and not node.params and node.style & METHOD:
            return self.receiver(node.args[0]) + ".T", PREC["atom"]
        return self.call(node), PREC["atom"]

    def call(self, node):
        """A builtin's call: positional arguments until one is left out, keywords (some in
        PyTorch's spelling) after that or by choice, and some as a method: x.sum(0)."""
        op = BUILTINS[node.op]
        args, parts, positional = list(node.args), [], True
        for p in op.params:
            if p.kind == "tensors":
                text, args = "[" + ", ".join(self.of(a) for a in args) + "]", []
            elif p.kind in ARRAY_KINDS:
                arg = args.pop(0)
                if arg.op == "default":
                    positional = False
                    continue
                text = self.of(arg)
            elif p.name in node.params:
                value = node.params[p.name]
                spread = p.variadic and node.style & SPREAD and value
                text = ", ".join(map(number, value)) if spread else _value_text(value)
                positional = positional and (p.variadic or not node.style & KEYWORD)
            else:
                positional = False
                continue
            name = SPELLING.get(p.name, p.name) if node.style & ALIAS else p.name
            parts.append(text if positional else f"{name}={text}")
        if op.params[0].kind in ("T", "mask") and node.style & METHOD:
            return f"{self.receiver(node.args[0])}.{node.op}({', '.join(parts[1:])})"
        return f"{node.op}({', '.join(parts)})"

    def receiver(self, node):
        text = self.of(node, PREC["atom"])
        return f"({text})" if node.op == "const" else text        # 2.log() would read as the number 2.


# ---- running both sides

def torch_value(node, env, memo):
    """The node's value in PyTorch; env maps input and parameter names to tensors."""
    if id(node) in memo:
        return memo[id(node)]
    op = node.op
    if op == "input":
        value = env[node.ref.name]
    elif op == "param":
        value = env[node.ref]
    elif op in ("const", "default"):
        value = torch.tensor(float(node.ref))
    elif op == "call":
        # a body may differentiate by a parameter (grad(y, a)) even when its argument is a constant
        args = [a if a.requires_grad else a.detach().requires_grad_() for a in
                (torch_value(a, env, memo) for a in node.args)]
        value = torch_value(node.ref.body, {**env, **dict(zip(node.ref.params, args))}, {})
    else:
        args = [torch_value(a, env, memo) for a in node.args]
        if op in CALCULUS:
            value = CALCULUS[op](*args)
        elif op == "index":
            value = args[0][node.params["key"]]
        elif op in COMPARISONS:
            value = COMPARISONS[op](*args).to(torch.float64)
        else:
            value = (OPERATORS.get(op) or TORCH[op])(*args, **torch_params(op, node.params))
    memo[id(node)] = value
    return value


def host(t):
    """A tensor's values in NumPy. clone() first: .numpy() of one of PyTorch's ZeroTensors (as the
    second derivative of vector_norm(ord=inf) is) crashes the process."""
    return t.detach().clone().numpy()


def leaves(root):
    return {i.name: torch.tensor(i.value, requires_grad=True) for i in inputs_of(root)}


def run_torch(root, wrt):
    """{"value": ..., input name: gradient, ...} as far as it got, and every node's tensor."""
    results, memo = {}, {}
    try:
        env = leaves(root)
        y = torch_value(root, env, memo)
        results["value"] = host(y)
        xs = [env[n] for n in wrt]
        grads = torch.autograd.grad(y, xs, allow_unused=True) if y.requires_grad else [None] * len(xs)
        results.update({n: np.zeros(x.shape) if g is None else host(g) for n, x, g in zip(wrt, xs, grads)})
    except Exception:               # noqa: BLE001 — a failure is an outcome to compare
        pass
    return results, memo


def run_gradcli(text, at, wrt):
    try:
        r = gradcli.grad(text, at=at, wrt=wrt)
        return {"value": r.value, **{n: r.grads[n] for n in wrt}}, None
    except Exception as e:          # noqa: BLE001 — any failure is an outcome to compare
        error = f"{type(e).__name__}: {e}"
    try:
        return {"value": gradcli.evaluate(text, at=at).value}, error
    except Exception:               # noqa: BLE001
        return {}, error


def _kind(x):
    return "nan" if np.isnan(x) else "inf" if x == np.inf else "-inf" if x == -np.inf else "number"


def differ(mine, theirs):
    """None if the arrays agree, else how they differ."""
    a, b = np.asarray(mine, dtype=float), np.asarray(theirs, dtype=float)
    if a.shape != b.shape:
        return "shapes differ"
    bad = ~np.isclose(a, b, rtol=RTOL, atol=ATOL, equal_nan=True)
    if not bad.any():
        return None
    pairs = sorted({(_kind(x), _kind(y)) for x, y in zip(a[bad], b[bad])}, key=lambda p: p[0] == p[1])
    k_mine, k_theirs = pairs[0]
    return "values differ" if k_mine == k_theirs else f"gradcli {k_mine}, torch {k_theirs}"


@dataclass
class Mismatch:
    program: Program            # the program under test (the shrinker works on it)
    root: Node                  # the tree that ran: program.root, or its second-order check
    text: str                   # root as program text
    at: dict                    # its inputs
    quantity: str               # "value" or the input whose gradient differs
    order: int                  # 0 value, 1 gradient, 2 second order
    kind: str
    mine: object                # gradcli's array, or its error
    theirs: object              # PyTorch's

    @cached_property
    def memo(self):
        return run_torch(self.root, [])[1]

    def values(self, node):
        """node's operands as PyTorch computes them (None where it does not)."""
        return [host(self.memo[id(a)]) if id(a) in self.memo and a.op != "default" else None for a in node.args]

    @cached_property
    def blamed(self):
        return blame(self) if self.order else None

    @cached_property
    def node(self):
        """The op to blame: for a gradient the node whose backward departs, else the culprit."""
        return self.blamed[0] if self.blamed else culprit(self.program.root)

    @cached_property
    def signature(self):
        node, kind = self.node, self.kind
        if kind == "gradcli error" and any(map(_axis_of_scalar, walk(self.program.root))):
            label = "an axis of a 0-d array (any op)"
        elif node.op in OPERATOR_NAMES:
            label = f"{node.op} ({OPERATOR_NAMES[node.op]})"
        else:
            label = {"call": "user function", "index": "indexing"}.get(node.op, node.op)
        if any(v is not None and not np.isfinite(v).all() for v in self.values(node)):
            kind += " at a nan/inf operand"
        elif self.blamed and not np.isfinite(self.blamed[1]).all():
            kind += " under a nan/inf gradient"
        elif not all(np.isfinite(host(t)).all() for t in self.memo.values()):
            kind += " with nan/inf elsewhere"
        return label, ORDERS[self.order], kind


def _axis_of_scalar(node):
    op = BUILTINS.get(node.op)
    if op is None or not node.args or node.args[0].shape != ():
        return False
    axes = [node.params.get(p.name, p.default) for p in op.params
            if p.kind in ("axis", "axis1", "dims") or p.name in ("dim0", "dim1")]
    return any(a not in (None, ()) for a in axes)


def blame(m):
    """For a derivative: (the node whose backward rule departs from PyTorch's — it receives the
    same cotangent and passes a different one to an operand —, that cotangent), or None if that
    cannot be told. Every subexpression is bound to a name; gradcli gives the cotangent of those
    on the way to the input in question for wrt=[name], PyTorch for torch.autograd.grad(y, tensor)."""
    root, memo = m.root, {}
    env = leaves(root)
    try:
        y = torch_value(root, env, memo)
        named = [(f"h{i + 1}", n) for i, n in enumerate(bound(root, every=True))
                 if memo[id(n)].requires_grad and m.quantity in {inp.name for inp in inputs_of(n)}]
        tensors = [memo[id(n)] for _, n in named] + list(env.values())
        theirs = torch.autograd.grad(y, tensors, allow_unused=True)
        mine = gradcli.grad(render(root, bind_every=True), at=m.at, wrt=[label for label, _ in named] + list(env)).grads
    except Exception:               # noqa: BLE001 — no cotangents to compare
        return None
    keys = [(label, id(n)) for label, n in named] + [(name, name) for name in env]
    cotangents = {key: (mine[label], np.zeros(t.shape) if g is None else host(g))
                  for (label, key), t, g in zip(keys, tensors, theirs)}

    def agrees(n):
        key = n.ref.name if n.op == "input" else id(n)
        return key not in cotangents or differ(*cotangents[key]) is None
    for n in reversed(walk(root, into_bodies=False)):
        if n.op not in LEAVES and (n is root or agrees(n)) and not all(map(agrees, operands(n))):
            return None if n.wrapper else (n, cotangents[id(n)][1] if id(n) in cotangents else np.ones(()))
    return None


def compare(program, root, wrt, with_value):
    text = render(root)
    at = {i.name: i.value for i in inputs_of(root)}
    mine, my_error = run_gradcli(text, at, wrt)
    theirs = run_torch(root, wrt)[0]
    for q in (["value"] if with_value else []) + wrt:
        if q not in mine and q not in theirs:
            return "both failed"
        if q not in theirs:
            return "torch failed"
        kind = "gradcli error" if q not in mine else differ(mine[q], theirs[q])
        if kind:
            order = (root is not program.root) + (q != "value")
            return Mismatch(program, root, text, at, q, order, kind, my_error if q not in mine else mine[q], theirs[q])
    return "agree"


def second_order(root, inputs, which):
    """sum(grad(root, x) * dx) + ...: its gradient is the Hessian of root times the directions."""
    terms = []
    for inp in inputs:
        if which != "all" and inp.name != which[0]:
            continue
        var = Node("input", shape=inp.value.shape, ref=inp)
        g = Node("grad", (root, var), shape=var.shape, wrapper=True)
        if which == "all" or which[1]:
            d = Node("input", shape=var.shape, ref=Input("d" + inp.name, inp.direction, inp.direction))
            g = Node("*", (g, d), shape=var.shape, wrapper=True)
        terms.append(Node("sum", (g,), wrapper=True))
    return reduce(lambda a, b: Node("+", (a, b), wrapper=True), terms) if terms else None


def check(program):
    """A Mismatch, or "agree", "both failed", "torch failed" (and gradcli did not)."""
    inputs = inputs_of(program.root)
    wrt = [i.name for i in inputs]
    outcome = compare(program, program.root, wrt, with_value=True)
    if outcome != "agree" or program.second is None:
        return outcome
    root2 = second_order(program.root, inputs, program.second)
    return compare(program, root2, wrt, with_value=False) if root2 is not None else outcome


# ---- shrinking

def probes(node, rng):
    """Scalar programs that test node: itself, sum(node), sum(node * w)."""
    if node.shape == ():
        return [Program(node)]
    w = Node("input", shape=node.shape, ref=Input("w0", np.round(rng.normal(size=node.shape), 1),
                                                    np.round(rng.normal(size=node.shape), 1)))
    times = Node("*", (node, w), shape=node.shape, wrapper=True)
    return [Program(Node("sum", (node,), wrapper=True)), Program(Node("sum", (times,), wrapper=True))]


def _inlinable(fn):
    return not any(n.op in CALCULUS and n.args[1].op == "param" for n in walk(fn.body))


def inline(program):
    """The program with its user functions inlined where that means the same."""
    def swap(n):
        if n.op != "call" or not _inlinable(n.ref):
            return None
        args = dict(zip(n.ref.params, (rewrite(a, swap) for a in n.args)))
        return rewrite(n.ref.body, lambda b: args[b.ref] if b.op == "param" else None)
    return Program(rewrite(program.root, swap), program.second)


def locate(m, rng):
    """The smallest failing subexpression: descend while a probe of an operand fails."""
    flat = inline(m.program)
    if flat.root is not m.program.root:
        outcome = check(flat)
        m = outcome if isinstance(outcome, Mismatch) else m
    while True:
        for child in operands(culprit(m.program.root)):
            if child.op in LEAVES:
                continue
            found = next((o for o in map(check, probes(child, rng)) if isinstance(o, Mismatch)), None)
            if found:
                m = found
                break
        else:
            return m


def _fresh_name(root):
    taken = {i.name for i in inputs_of(root)}
    return next(f"x{k}" for k in itertools.count(1) if f"x{k}" not in taken)


def simpler(m, rng):
    """Candidate programs smaller or plainer than m's."""
    program, root = m.program, m.program.root
    if m.order == 2 and program.second == "all":
        yield Program(root, (m.quantity, False))
        yield Program(root, (m.quantity, True))
    memo = run_torch(root, [])[1]
    target = culprit(root)
    inner = [n for n in walk(root, into_bodies=False) if n.op not in LEAVES and not n.wrapper and n is not target
             and id(n) in memo]
    for n in sorted(inner, key=lambda n: -len(walk(n))):        # freeze an operand into an input
        value = host(memo[id(n)])
        direction = np.round(rng.normal(size=n.shape), 1)
        frozen = Node("input", shape=n.shape, ref=Input(_fresh_name(root), value, direction))
        yield Program(rewrite(root, lambda x, n=n, f=frozen: f if x is n else None), program.second)
    for inp in inputs_of(root):                                  # rounder inputs
        for value, direction in ((np.round(inp.value, 1), inp.direction), (np.round(inp.value), inp.direction),
                                 (inp.value, np.round(inp.direction))):
            if not (np.array_equal(value, inp.value, equal_nan=True) and np.array_equal(direction, inp.direction)):
                new = replace(inp, value=value, direction=direction)
                yield Program(rewrite(root, lambda x, i=inp, new=new: replace(x, ref=new) if x.ref is i else None),
                              program.second)


def simplify(m, rng):
    while True:
        for candidate in simpler(m, rng):
            outcome = check(candidate)
            if isinstance(outcome, Mismatch) and outcome.signature == m.signature and not explanation(outcome):
                m = outcome
                break
        else:
            return m


# ---- differences gradcli documents: the README's table "Where gradcli and PyTorch differ, on
# purpose" (keep these rules in step with it), and its note on inputs read through floor. Each rule
# looks at one node of the located program: an axis=() or a var of equal elements below the culprit
# changes what the culprit sees.

def _reduced(node):
    """The axes a reduction node reduces (None: all); torch lets a 0-d array have axis 0 or -1."""
    axis = node.params.get("axis")
    return None if axis is None or node.args[0].shape == () else tuple(np.atleast_1d(axis))


def _no_axes(n, m):
    return n.params.get("axis") == ()


def _norm_at_zero(n, m):
    if n.op != "norm" or n.params.get("p", 2) < 2 or "torch nan" not in m.kind:
        return False
    x = m.values(n)[0]
    return x is not None and bool((np.abs(x).max(axis=_reduced(n)) == 0).any())


def _atan2_at_origin(n, m):
    if n.op != "atan2" or "torch nan" not in m.kind:
        return False
    a, b = m.values(n)
    return a is not None and b is not None and bool(((a == 0) & (b == 0)).any())


def _power_with_input_exponent(n, m):
    if n.op not in ("pow", "^") or n.args[1].op == "const" or "torch nan" not in m.kind:
        return False
    base = m.values(n)[0]
    return base is not None and bool((base == 0).any())


def _spread_of_equal_elements(n, m):
    if n.op not in ("var", "std"):
        return False
    x = m.values(n)[0]
    return x is not None and bool((np.ptp(x, axis=_reduced(n)) == 0).any())


def _infinite_gradient_into_extreme(n, m):
    return n is m.node and n.op in ("max", "min") and n.params.get("axis") is not None and "torch nan" in m.kind


def _read_through_no_gradient(n, m):
    # torch sends a zero cotangent back through floor (and the like); 0 * inf is nan in the op below
    op = BUILTINS.get(n.op)
    return op is not None and not op.differentiable_op and op.params[0].kind == "T" and m.order >= 1 \
        and m.kind == "gradcli number, torch nan"


def _det_at_singular(n, m):
    if n.op != "det":
        return False
    x = m.values(n)[0]
    if x is None or not np.isfinite(x).all():
        return False
    s = np.linalg.svd(x, compute_uv=False)
    return bool((s[..., -1] <= 1e-12 * np.maximum(s[..., 0], 1)).any())


def _norm_below_2_second_order(n, m):
    return n.op == "norm" and n.params.get("p", 2) < 2 and m.order >= 2 and "torch nan" in m.kind


def _power_zero_second_order(n, m):
    exponent = n.args[1] if n.op in ("pow", "^") else None
    return exponent is not None and exponent.op == "const" and exponent.ref == 0 \
        and m.order >= 2 and "torch nan" in m.kind


def _negative_base_input_exponent(n, m):
    if n.op not in ("pow", "^") or n.args[1].op == "const" or "torch nan" not in m.kind:
        return False
    base = m.values(n)[0]
    return base is not None and bool((base < 0).any())


def _rounding_made_whole(n, m):
    # torch's operand is whole up to rounding (1 + 2e-16); a step function turns that into a whole step
    if m.order:
        return False
    if n.op in COMPARISONS:         # a tie up to rounding: a step as well
        a, b = m.values(n)
        return a is not None and b is not None and bool(np.any(
            np.abs(a - b) <= 1e-12 * np.maximum(np.maximum(np.abs(a), np.abs(b)), 1)))
    if n.op not in ("floor", "ceil", "round", "sign"):
        return False
    x = m.values(n)[0]
    return x is not None and bool(np.all(np.abs(x - np.round(x)) <= 1e-12 * np.maximum(np.abs(x), 1)))


def _non_finite_already(n, m):
    kind = m.signature[2]
    return any(tag in kind for tag in ("at a nan/inf operand", "under a nan/inf gradient", "with nan/inf elsewhere"))


def _squeeze_wide_axis(n, m):
    axis = _reduced(n)
    return n.op == "squeeze" and m.kind == "gradcli error" and axis is not None and \
        any(n.args[0].shape[a] != 1 for a in axis)


def _second_order_nan(*ops):
    return lambda n, m: n.op in ops and m.order >= 2 and "torch nan" in m.kind


def _has_zero(n, m, arg=0):
    values = m.values(n)
    return len(values) > arg and values[arg] is not None and bool((np.asarray(values[arg]) == 0).any())


def _trigamma_digits(n, m):
    if n.op not in ("lgamma", "digamma", "polygamma") or "values differ" not in m.kind or _numbers(m) is None:
        return False
    mine, theirs = _numbers(m)
    return mine.shape == theirs.shape and bool(np.allclose(mine, theirs, rtol=1e-6, atol=1e-9))


def _near_a_pole(n, m):
    if "values differ" not in m.kind or _numbers(m) is None:
        return False
    mine, theirs = _numbers(m)
    far = (np.abs(mine) > 1e12) | (np.abs(theirs) > 1e12)
    return mine.shape == theirs.shape and bool(far.any()) and bool(np.allclose(mine[~far], theirs[~far]))


def _singular_matrix(n, m):
    """A zero singular value is rounding noise in both (of either size): pinv with rtol=0,
    a pole of lgamma or digamma, cholesky's verdict and a derivative at σ = 0 follow that noise."""
    if n.op not in ("svdvals", "eigvalsh", "matrix_norm", "pinv", "cholesky", "logdet", "det", "solve"):
        return False
    a = m.values(n)[0]
    if a is None or a.ndim < 2:
        return False
    if n.op == "matrix_norm" and n.params.get("axis") is not None:
        a = np.moveaxis(a, tuple(n.params["axis"]), (-2, -1))
    s = np.linalg.svd(a, compute_uv=False)
    return bool((s[..., -1] <= 1e-9 * np.maximum(s[..., 0], 1e-300)).any() or (s[..., 0] <= 1e-12).any())


KINKS = {"relu": (0,), "abs": (0,), "leaky_relu": (0,), "relu6": (0, 6), "hardswish": (-3, 3), "hardsigmoid": (-3, 3),
         "hardtanh": ("min_val", "max_val"), "softshrink": ("lambd",), "hardshrink": ("lambd",), "threshold": ("threshold",)}


def _kink_up_to_rounding(n, m):
    """An operand at a kink up to rounding (a determinant that is 3 in one and 3 - 4e-16 in the
    other, under hardswish; input - target of l1_loss at 0): which side it takes is rounding."""
    values = m.values(n)
    if n.op in ("l1_loss", "smooth_l1_loss", "huber_loss"):
        if len(values) < 2 or values[0] is None or values[1] is None:
            return False
        x, kinks = np.subtract(*np.broadcast_arrays(values[0], values[1])), (0,)
    elif n.op in KINKS and values and values[0] is not None:
        x = values[0]
        kinks = [n.params.get(k, {"min_val": -1.0, "max_val": 1.0, "lambd": 0.5}.get(k, 0.0)) if isinstance(k, str)
                 else k for k in KINKS[n.op]]
        kinks += [-k for k in kinks] if n.op in ("softshrink", "hardshrink") else []
    else:
        return False
    return any(bool((np.abs(np.asarray(x) - k) <= 1e-12 * max(1.0, abs(k))).any()) for k in kinks)


def _tie_up_to_rounding(n, m):
    if n.op not in ("max", "min", "argmax", "argmin", "matrix_norm") or m.values(n)[0] is None:
        return False
    x = m.values(n)[0]
    if n.op == "matrix_norm":          # ord ±1, ±inf: the largest or smallest of the rows' or columns' sums
        if n.params.get("ord") not in (1, -1, math.inf, -math.inf) or x.ndim < 2:
            return False
        x = np.concatenate([np.abs(x).sum(axis=-1).ravel(), np.abs(x).sum(axis=-2).ravel()])
    x = np.sort(np.ravel(x))
    gaps = np.abs(np.diff(x)) <= 1e-12 * np.maximum(np.abs(x[1:]), 1)
    return bool(gaps.any())


def _huge_argument(n, m):
    """sin, cos, sinc of |x| > 1e8, or mish of |x| > 20: the phase is rounding noise, or
    torch's second derivative overflows where gradcli's form does not."""
    x = m.values(n)[0] if n.args else None
    if x is None or not np.isfinite(x).all():
        return False
    if n.op == "mish":
        return m.order >= 2 and "torch nan" in m.kind and bool((np.abs(x) > 20).any())
    return n.op in ("sin", "cos", "tan", "sinc") and bool((np.abs(x) > 1e8).any())


def _numbers(m):
    """gradcli's and torch's results as float arrays (None when one is an error)."""
    try:
        return np.asarray(m.mine, dtype=float), np.asarray(m.theirs, dtype=float)
    except (TypeError, ValueError):
        return None


def _both_not_finite(n, m):
    if _numbers(m) is None:
        return False
    mine, theirs = _numbers(m)
    return mine.shape == theirs.shape and bool(np.array_equal(np.isfinite(mine), np.isfinite(theirs))) \
        and bool(np.allclose(mine[np.isfinite(mine)], theirs[np.isfinite(theirs)], rtol=1e-9, atol=1e-9))


def _repeated_spectrum(n, m):
    if n.op not in ("eigvalsh", "svdvals", "matrix_norm") or not m.order:
        return False
    a = m.values(n)[0]
    if a is None or a.ndim < 2:
        return False
    a = np.moveaxis(a, n.params["axis"], (-2, -1)) if n.op == "matrix_norm" and n.params.get("axis") else a
    s = np.linalg.eigvalsh((a + np.swapaxes(a, -1, -2)) / 2) if n.op == "eigvalsh" else np.linalg.svd(a, compute_uv=False)
    s = np.sort(s, axis=-1)
    return bool((np.diff(s, axis=-1) < 1e-9).any())


EXPLAINED = {
    "axis=(): no axis reduced (NumPy), torch every axis": _no_axes,
    "norm (p >= 2) at a zero norm: second derivative 0, torch nan": _norm_at_zero,
    "atan2 at the origin: second derivatives 0, torch nan": _atan2_at_origin,
    "a^b at a = 0 with an exponent that is not a literal: finite second derivatives, torch nan":
        _power_with_input_exponent,
    "var/std of equal elements: exactly 0 and gradient 0, torch a rounding error": _spread_of_equal_elements,
    "max/min along an axis under an infinite gradient: 0 where not selected, torch nan":
        _infinite_gradient_into_extreme,
    "an input read through floor/ceil/round/sign: gradient 0, torch nan from 0 * inf below":
        _read_through_no_gradient,
    "squeeze of an axis whose size is not 1: an error, torch leaves x unchanged": _squeeze_wide_axis,
    "det at a singular matrix: the cofactor matrix, exact to every order (torch 0 or nan); a value that is "
    "rounding noise of either sign in both": _det_at_singular,
    "norm with p < 2: second derivatives where torch's double backward gives nan": _norm_below_2_second_order,
    "x^0 (a literal 0): no gradient below it, torch zeros that make nan with an infinite derivative below":
        _power_zero_second_order,
    "floor/ceil/round/sign of a number whole up to rounding: a step apart, as the rounding differs":
        _rounding_made_whole,
    "nan or inf already in play (an operand, the incoming gradient): a different non-finite value":
        _non_finite_already,
    "a^b with a < 0 and an exponent that is not a literal: its nan gradient (log a) times 0 is 0 or nan":
        _negative_base_input_exponent,
    "sinc at 0: second derivative -pi^2/3, torch nan": lambda n, m: _second_order_nan("sinc")(n, m) and _has_zero(n, m),
    "logit(x, eps) at the edges: second derivative 0, torch nan": _second_order_nan("logit"),
    "prelu at x = 0: the derivative of gradcli's own gradient, torch's double backward another":
        lambda n, m: n.op == "prelu" and m.order >= 2 and _has_zero(n, m),
    "vector_norm, matrix_norm, cosine_similarity, normalize at a zero norm: second derivative 0, torch nan":
        _second_order_nan("vector_norm", "matrix_norm", "cosine_similarity", "normalize"),
    "cosine_similarity with a zero vector, or of parallel vectors: rounding noise (terms of 1/eps, or 1 - 1e-16)":
        lambda n, m: n.op == "cosine_similarity" and "values differ" in m.kind and _numbers(m) is not None
        and (any(v is not None and np.abs(v).max(initial=0) < 1e-6 for v in m.values(n))
             or max(np.abs(_numbers(m)[0]).max(initial=0), np.abs(_numbers(m)[1]).max(initial=0)) < 1e-7),
    "gaussian_nll_loss with its variance clamped at eps: terms of size 1/eps magnify rounding":
        lambda n, m: n.op == "gaussian_nll_loss" and "values differ" in m.kind and m.values(n)[2] is not None
        and bool((np.asarray(m.values(n)[2]) <= n.params.get("eps", 1e-6)).any()),
    "circular pad of an axis cropped to nothing: an error, torch returns uninitialized memory":
        lambda n, m: n.op == "pad" and m.kind == "gradcli error" and n.params.get("mode") == "circular"
        and min(np.atleast_1d(n.params.get("pad", 0))) < 0,
    "a class index whole only up to rounding: an error in gradcli, an index in torch":
        lambda n, m: n.op in ("cross_entropy", "nll_loss") and m.kind == "gradcli error" and m.values(n)[1] is not None
        and bool((np.abs(np.asarray(m.values(n)[1]) - np.round(m.values(n)[1])) <= 1e-12).all()),
    "an operand at a kink up to rounding (hardswish at 3, l1_loss where input = target): which side is rounding":
        _kink_up_to_rounding,
    "binary_cross_entropy at input 0 or 1: torch divides by float32's 1e-12 there, gradcli by float64's":
        lambda n, m: n.op == "binary_cross_entropy" and m.values(n)[0] is not None
        and bool(np.isin(m.values(n)[0], (0.0, 1.0)).any()),
    "asin/acos/atanh/erfinv at ±1 up to rounding (erfinv within 1e-5 of it: derivatives of 1e10 that cancel): "
    "an infinite slope magnifies the last bit":
        lambda n, m: n.op in ("asin", "acos", "atanh", "erfinv") and m.values(n)[0] is not None
        and bool((np.abs(np.abs(m.values(n)[0]) - 1) <= (1e-5 if n.op == "erfinv" and m.order else 1e-12)).any()),
    "atan2(0, ±0): the sign of a zero decides between 0 and pi": lambda n, m: n.op == "atan2" and not m.order
        and all(v is not None and bool((v == 0).any()) for v in m.values(n)),
    "max/min/argmax/argmin at a tie up to rounding: which element is the extreme is rounding": _tie_up_to_rounding,
    "lgamma/digamma at a pole reached up to rounding: inf, torch a huge number":
        lambda n, m: n.op in ("lgamma", "digamma", "polygamma") and "gradcli inf" in m.kind,
    "soft_margin_loss past |target·x| = 709: gradcli's stable form, torch's overflows":
        lambda n, m: n.op == "soft_margin_loss" and "torch nan" in m.kind,
    "layer_norm over one element: exactly its bias, gradient 0, torch's a rounding error":
        lambda n, m: n.op == "layer_norm" and math.prod(np.atleast_1d(n.params.get("normalized_shape", 0))) == 1,
    "poisson_nll_loss(full=True) with a negative target (not a count): gradient 0, torch nan":
        lambda n, m: n.op == "poisson_nll_loss" and n.params.get("full") and "torch nan" in m.kind
        and m.values(n)[1] is not None and bool((np.asarray(m.values(n)[1]) < 0).any()),
    "polygamma(1, x) (trigamma): torch's is accurate to about 5e-10 only": _trigamma_digits,
    "near a pole (digamma of a rounding-noise 0): both huge, rounding decides which": _near_a_pole,
    "eigvalsh/svdvals/matrix_norm(2) at repeated values: no derivative there": _repeated_spectrum,
    "a singular matrix's zero singular value: rounding noise that pinv(rtol=0), poles, cholesky follow":
        _singular_matrix,
    "sin/cos/sinc of a huge argument (phase is rounding noise), or mish's overflow-free second derivative":
        _huge_argument,
    "tanhshrink of a small x: x - tanh(x) cancels, and the two lose different digits":
        lambda n, m: n.op == "tanhshrink" and "values differ" in m.kind and m.values(n)[0] is not None
        and bool((np.abs(m.values(n)[0]) < 1e-2).any()),
    "both not finite at the same places (nan against inf)": _both_not_finite,
    "through logcumsumexp: torch's backward departs from finite differences (nan at second order)":
        lambda n, m: n.op == "logcumsumexp" and m.order >= 1,
}


def explanation(m):
    nodes = [n for n in walk(m.root) if n.op not in LEAVES]
    return next((why for why, applies in EXPLAINED.items() if any(applies(n, m) for n in nodes)), None)


# ---- the run

_shrunk = Counter()             # full shrinks done in this process, per signature


def setup_process():
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float64)
    warnings.simplefilter("ignore")
    np.seterr(all="ignore")


def _show(v):
    return v if isinstance(v, str) else array_text(v, lambda x: number(float(f"{float(x):.6g}")))


def reproducer(m):
    verb = "eval" if m.quantity == "value" else "grad"
    at = [f'--at {n}="{array_text(v)}"' for n, v in m.at.items()]
    what = "value" if m.quantity == "value" else f"d/d{m.quantity}"
    return {"command": " ".join(["gradcli", verb, f'"{m.text}"', *at, "--json"]),
            "mine": f"{what} = {_show(m.mine)}", "theirs": f"{what} = {_show(m.theirs)}"}


def test_program(seed, index):
    """One program: (status, detail, the builtins it used); status is a check() outcome, "explained" or "mismatch"."""
    rng = np.random.default_rng([seed, index])
    program = Generator(rng).program()
    used = {n.op for n in walk(program.root) if n.op in BUILTINS}
    outcome = check(program)
    if not isinstance(outcome, Mismatch):
        return outcome, None, used
    m = locate(outcome, rng)
    why = explanation(m)
    if why:
        return "explained", why, used
    if _shrunk[m.signature] < SHRINK_PER_SIGNATURE:
        _shrunk[m.signature] += 1
        m = simplify(m, rng)
        return "mismatch", (m.signature, reproducer(m)), used
    return "mismatch", (m.signature, None), used


def run_chunk(task):
    seed, start, stop = task
    return [test_program(seed, i) for i in range(start, stop)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--programs", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--show", type=int, default=20, help="mismatch categories shown with a reproducer")
    args = parser.parse_args(argv)

    setup_process()
    _, left_out = cases()           # built once, before the workers fork
    tasks = [(args.seed, s, min(s + CHUNK, args.programs)) for s in range(0, args.programs, CHUNK)]
    counts, explained, used = Counter(), Counter(), Counter()
    found = defaultdict(lambda: {"programs": 0, "reproducer": None})
    start, last = time.perf_counter(), 0.0
    pool = ProcessPoolExecutor(args.jobs, multiprocessing.get_context("fork"), setup_process) if args.jobs > 1 else None
    batches = (f.result() for f in as_completed([pool.submit(run_chunk, t) for t in tasks])) if pool else \
        map(run_chunk, tasks)
    try:
        for batch in batches:
            for status, detail, ops in batch:
                counts[status] += 1
                used.update(ops)
                if status == "explained":
                    explained[detail] += 1
                elif status == "mismatch":
                    signature, repro = detail
                    entry = found[signature]
                    entry["programs"] += 1
                    best = entry["reproducer"]
                    if repro and (best is None or len(repro["command"]) < len(best["command"])):
                        entry["reproducer"] = repro
            elapsed = time.perf_counter() - start
            done = sum(counts.values())
            if elapsed - last > 10 or done == args.programs:
                last = elapsed
                print(f"  {done:>6}/{args.programs} programs  {counts['mismatch']} mismatches in {len(found)} "
                      f"categories  {elapsed:5.0f} s", flush=True)
    except BrokenProcessPool:
        print("a worker died (PyTorch or NumPy crashed the process); run with --jobs 1 under "
              "python -X faulthandler to see where", file=sys.stderr)
        return 2
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)
    summary(args, counts, explained, found, used, left_out, time.perf_counter() - start)
    return 1 if found else 0


def summary(args, counts, explained, found, used, left_out, elapsed):
    total = sum(counts.values())
    print(f"\n{total} programs in {elapsed:.0f} s (seed {args.seed}, {args.jobs} job{'s' * (args.jobs > 1)})")
    print(f"  agreeing               {counts['agree'] + counts['both failed']:>6}"
          f"   ({counts['both failed']} of them an error on both sides)")
    if counts["torch failed"]:
        print(f"  not compared           {counts['torch failed']:>6}   (torch failed where gradcli did not)")
    print(f"  explained differences  {counts['explained']:>6}")
    for why, n in explained.most_common():
        print(f"      {n:>6}  {why}")
    print(f"  unexplained mismatches {counts['mismatch']:>6}   in {len(found)} categories")
    never = sorted(set(BUILTINS) - set(used) - set(left_out))
    for name, why in sorted(left_out.items()):
        print(f"  not compared: {name} ({why})")
    if never:
        print(f"  never generated: {', '.join(never)}")
    # those at finite values first: the ones with nan or inf are mostly IEEE arithmetic in another order
    ranked = sorted(found.items(), key=lambda kv: (" nan/inf " in kv[0][2], -kv[1]["programs"]))
    for i, ((label, order, kind), entry) in enumerate(ranked, 1):
        print(f"\n{i:>3}. {label} · {order} · {kind} — {entry['programs']} program{'s' * (entry['programs'] > 1)}")
        repro = entry["reproducer"]
        if i <= args.show and repro:
            print(f"     {repro['command']}\n     gradcli: {repro['mine']}\n     torch:   {repro['theirs']}")


if __name__ == "__main__":
    sys.exit(main())
