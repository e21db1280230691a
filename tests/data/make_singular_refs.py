"""Writes singular_torch.json: PyTorch 2.13's value, gradient and second
derivatives at every singular point of the op table (the rows' `singular`),
which tests/test_ops.py holds gradcli to. Run by hand when a row's points
change (pip install torch==2.13.0):

    python tests/data/make_singular_refs.py

For each point: s = sum(op(inputs)), g_i = ds/dx_i, and the gradient of
sum_i sum(g_i) (tests/opchecks.py computes the same in gradcli)."""
from __future__ import annotations

import json
from pathlib import Path

import torch

from gradcli.ops import TABLE


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
TORCH.update({    # activation
})
TORCH.update({    # special
})
TORCH.update({    # scan
})
TORCH.update({    # select
})
TORCH.update({    # shape
})
TORCH.update({    # loss
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
