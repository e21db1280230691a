"""Writes singular_torch.json: PyTorch 2.13's value, gradient and second
derivatives at every singular point of the op table (the rows' `singular`),
which tests/test_ops.py holds gradcli to. Run by hand when a row's points
change (pip install torch==2.13.0):

    python tests/data/make_singular_refs.py

For each point: s = sum(op(inputs)), g_i = ds/dx_i, and the gradient of
sum_i sum(g_i) (tests/opchecks.py computes the same in gradcli)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import torch

from gradcli.ops import TABLE

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from torch_spellings import ACTIVATIONS  # noqa: E402


def _dims(x, axis):
    return tuple(range(x.dim())) if axis is None else tuple(axis)


def _max(x, axis=None, keepdims=False):
    # max() with no axis spreads the gradient evenly (and picks nans); amax along axes
    return torch.max(x) if axis is None and not keepdims else torch.amax(x, dim=_dims(x, axis), keepdim=keepdims)


def _min(x, axis=None, keepdims=False):
    return torch.min(x) if axis is None and not keepdims else torch.amin(x, dim=_dims(x, axis), keepdim=keepdims)


def _prod(x, axis=None, keepdims=False):
    if axis is None:
        return torch.prod(x)
    return torch.prod(x, dim=axis[0], keepdim=keepdims)


# PyTorch's spelling of each row that has singular points.
TORCH = {
    "abs": torch.abs, "sign": torch.sign, "sqrt": torch.sqrt, "log": torch.log, "log1p": torch.log1p,
    "asin": torch.asin, "acos": torch.acos, "tanh": torch.tanh, "acosh": torch.acosh, "atanh": torch.atanh,
    "sigmoid": torch.sigmoid, "relu": torch.relu, "softplus": torch.nn.functional.softplus,
    "reciprocal": torch.reciprocal, "div": torch.div, "pow": torch.pow, "maximum": torch.maximum,
    "minimum": torch.minimum, "atan2": torch.atan2,
    "clip": lambda x, lo, hi: torch.clamp(x, min=lo, max=hi),
    "mean": lambda x, axis=None, keepdims=False: torch.mean(x, dim=_dims(x, axis), keepdim=keepdims),
    "prod": _prod, "max": _max, "min": _min,
    "norm": lambda x, p=2.0, axis=None, keepdims=False: torch.linalg.vector_norm(x, ord=p, dim=_dims(x, axis),
                                                                                 keepdim=keepdims),
    "var": lambda x, axis=None, correction=1, keepdims=False: torch.var(x, dim=_dims(x, axis), correction=correction,
                                                                        keepdim=keepdims),
    "std": lambda x, axis=None, correction=1, keepdims=False: torch.std(x, dim=_dims(x, axis), correction=correction,
                                                                        keepdim=keepdims),
    "logsumexp": lambda x, axis=None, keepdims=False: torch.logsumexp(x, dim=_dims(x, axis), keepdim=keepdims),
}
# One block a family (gradcli/ops/<family>.py), each row's PyTorch spelling.
TORCH.update(ACTIVATIONS)
TORCH.update({    # special
    "hypot": torch.hypot, "logaddexp": torch.logaddexp, "logaddexp2": torch.logaddexp2, "xlogy": torch.xlogy,
    "xlog1py": torch.special.xlog1py, "sinc": torch.sinc, "fmod": torch.fmod, "remainder": torch.remainder,
    "floor_divide": lambda a, b: torch.div(a, b, rounding_mode="floor"), "lgamma": torch.lgamma,
    "digamma": torch.digamma, "polygamma": lambda x, n: torch.polygamma(n, x), "erfc": torch.erfc,
    "erfcx": torch.special.erfcx, "erfinv": torch.erfinv, "ndtr": torch.special.ndtr,
    "log_ndtr": torch.special.log_ndtr, "entr": torch.special.entr,
})
TORCH.update({    # scan
    "cumsum": torch.cumsum, "cumprod": torch.cumprod, "logcumsumexp": torch.logcumsumexp,
    "cummax": lambda x, axis: torch.cummax(x, axis).values, "cummin": lambda x, axis: torch.cummin(x, axis).values,
    "sort": lambda x, axis=-1, descending=False: torch.sort(x, dim=axis, descending=descending, stable=True).values,
    "topk": lambda x, k, axis=-1, largest=True: torch.topk(x, k, dim=axis, largest=largest).values,
    "kthvalue": lambda x, k, axis=-1: torch.kthvalue(x, k, dim=axis).values,
    "median": lambda x, axis=None: torch.median(x) if axis is None else torch.median(x, axis).values,
    "quantile": lambda x, q, axis=None, keepdims=False, interpolation="linear": torch.quantile(
        x, q.detach(), dim=axis, keepdim=keepdims, interpolation=interpolation),
})
TORCH.update({    # select
    "gather": lambda x, index, axis: torch.gather(x, axis, index.long()),
    "take_along_dim": lambda x, indices, axis=None: torch.take_along_dim(x, indices.long(), axis),
    "index_select": lambda x, index, axis: torch.index_select(x, axis, index.long()),
    "scatter_add": lambda x, index, src, axis: torch.scatter_add(x, axis, index.long(), src),
    "index_add": lambda x, index, source, axis, alpha=1.0: torch.index_add(x, axis, index.long(), source, alpha=alpha),
})
TORCH.update({    # shape
})
F_ = torch.nn.functional


def _reduce(loss, reduction):
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


def _classes(kernel):
    """cross_entropy and nll_loss: class indices as integers (probabilities as they are), a number as
    the weight of every class. PyTorch's kernels refuse a weight a gradient: one that needs it goes
    through their formula in torch's ops (gather, log_softmax), held to the kernel's value."""
    smoothed = kernel is F_.cross_entropy

    def fn(x, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        axis = 0 if x.dim() == 1 else 1
        weight = weight.expand(x.shape[axis]) if weight is not None and weight.dim() == 0 else weight
        extra = {"label_smoothing": label_smoothing} if smoothed else {}
        t = target if smoothed and target.shape == x.shape else target.detach().long()
        if weight is None or not weight.requires_grad or t.is_floating_point():
            return kernel(x, t, weight, ignore_index=ignore_index, reduction=reduction, **extra)
        logp, keep = torch.log_softmax(x, axis) if smoothed else x, t != ignore_index
        pick = torch.where(keep, t, 0).unsqueeze(axis)
        w = weight.reshape((-1,) + (1,) * (x.dim() - axis - 1))
        wy = torch.where(keep, w.expand_as(logp).gather(axis, pick).squeeze(axis), 0.0)
        loss = (1 - label_smoothing) * -wy * logp.gather(axis, pick).squeeze(axis)
        loss = torch.where(keep, loss - label_smoothing / x.shape[axis] * (w * logp).sum(axis), 0.0)
        out = loss.sum() / wy.sum() if reduction == "mean" else _reduce(loss, reduction)
        want = kernel(x, t, weight.detach(), ignore_index=ignore_index, reduction=reduction, **extra)
        assert torch.allclose(out, want, rtol=1e-13, atol=0, equal_nan=True), (out, want)
        return out
    return fn


def _bce_logits(x, t, weight=None, pos_weight=None, reduction="mean"):
    # the kernel refuses weight and pos_weight a gradient: then its formula in torch's ops
    if weight is None and pos_weight is None:
        return F_.binary_cross_entropy_with_logits(x, t, reduction=reduction)
    scale = 1 if pos_weight is None else (pos_weight - 1) * t + 1
    return _reduce(((1 - t) * x - scale * F_.logsigmoid(x)) * (1 if weight is None else weight), reduction)


TORCH.update({    # loss
    "mse_loss": F_.mse_loss, "l1_loss": F_.l1_loss, "smooth_l1_loss": F_.smooth_l1_loss, "huber_loss": F_.huber_loss,
    "cross_entropy": _classes(F_.cross_entropy), "nll_loss": _classes(F_.nll_loss),
    "binary_cross_entropy": lambda x, t, weight=None, reduction="mean": _reduce(
        F_.binary_cross_entropy(x, t, reduction="none") * (1 if weight is None else weight), reduction),
    "binary_cross_entropy_with_logits": _bce_logits, "kl_div": F_.kl_div,
    "cosine_similarity": lambda a, b, axis=1, eps=1e-8: F_.cosine_similarity(a, b, dim=axis, eps=eps),
    "normalize": lambda x, p=2.0, axis=1, eps=1e-12: F_.normalize(x, p=p, dim=axis, eps=eps),
    # the kernel refuses target a gradient: its formula
    "soft_margin_loss": lambda x, t, reduction="mean": _reduce(torch.log1p(torch.exp(-t * x)), reduction),
    "margin_ranking_loss": F_.margin_ranking_loss,
    "hinge_embedding_loss": lambda x, t, **params: F_.hinge_embedding_loss(x, t.detach(), **params),
    "poisson_nll_loss": F_.poisson_nll_loss, "gaussian_nll_loss": F_.gaussian_nll_loss,
})
TORCH.update({    # factor
    # gradcli's eigh and cholesky factorise (A + Aᵀ)/2: torch's on symmetric input, and its symmetric gradient
    "logdet": torch.logdet, "svdvals": torch.linalg.svdvals,
    "cholesky": lambda A, upper=False: torch.linalg.cholesky((A + A.mT) / 2, upper=upper),
    "eigvalsh": lambda A, UPLO="L": torch.linalg.eigvalsh((A + A.mT) / 2, UPLO=UPLO),
    "pinv": lambda A, atol=None, rtol=None: torch.linalg.pinv(A, atol=atol, rtol=rtol),
    "matrix_power": torch.linalg.matrix_power,
})
TORCH.update({    # contract
    "cross": lambda x, other, axis=-1: torch.linalg.cross(x, other, dim=axis),
    "vector_norm": lambda x, ord=2.0, axis=None, keepdims=False: torch.linalg.vector_norm(x, ord, axis, keepdims),
    "matrix_norm": lambda A, ord=None, axis=None, keepdims=False: torch.linalg.matrix_norm(
        A, "fro" if ord is None else ord, (-2, -1) if axis is None else axis, keepdims),
})
TORCH.update({    # nn
    "max_pool2d": torch.nn.functional.max_pool2d,
    "layer_norm": lambda x, *wb, normalized_shape, **kw: torch.nn.functional.layer_norm(x, normalized_shape, *wb,
                                                                                         **kw),
    # the running statistics are buffers, not differentiated (and updated in place when training)
    "batch_norm": lambda x, mean, var, *wb, **kw: torch.nn.functional.batch_norm(
        x, mean.detach().clone(), var.detach().clone(), *wb, **kw),
})


def derivatives(fn, values, params):
    xs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values]
    s = fn(*xs, **params).sum()
    gs = torch.autograd.grad(s, xs, create_graph=True, allow_unused=True)
    gs = [torch.zeros_like(x) if g is None else g for x, g in zip(xs, gs)]
    total = sum(g.sum() for g in gs)
    second = (torch.autograd.grad(total, xs, allow_unused=True) if total.requires_grad else [None] * len(xs))
    second = [torch.zeros_like(x) if g is None else g for x, g in zip(xs, second)]
    return {"value": s.item(), "grad": [g.detach().clone().tolist() for g in gs],
            "second": [g.detach().clone().tolist() for g in second]}


def main():
    out = {}
    for op in TABLE.values():
        for i, (values, params, _) in enumerate(op.singular):
            numbers = derivatives(TORCH[op.name], values, params)
            out[f"{op.name}/{i}"] = {"values": json.loads(json.dumps(values)),
                                     "params": json.loads(json.dumps(params)), **numbers}
    path = Path(__file__).with_name("singular_torch.json")
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"{len(out)} points from torch {torch.__version__} -> {path}")


if __name__ == "__main__":
    main()
