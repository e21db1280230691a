"""Derivatives inside programs. These builtins run the engine's reverse pass
with create_graph, so their results are themselves differentiable and nest:
grad(sum(grad(y, x)), x) is a second derivative."""
from __future__ import annotations

from gradcli import autograd
from gradcli.errors import NotScalarError
from gradcli.ops.core import Op


def _grad(y, x):
    if y.size != 1:
        raise NotScalarError(f"grad: y must be a scalar, but it has shape {y.shape}",
                             hint="reduce it first, e.g. grad(sum(y), x), or use jacobian(y, x)")
    return autograd.grad(y, x)


OPS = [
    Op("grad", "y:mask, x:mask", impl=_grad, family="calculus",
       doc="dy/dx for a scalar y, shaped like x; differentiable, so it nests"),
    Op("jacobian", "y:mask, x:mask", impl=autograd.jacobian, family="calculus",
       doc="dy/dx with shape y.shape + x.shape"),
    Op("hessian", "y:mask, x:mask", impl=autograd.hessian, family="calculus",
       doc="second derivatives of a scalar y, shape x.shape + x.shape"),
]
