"""Derivatives inside programs, built on the engine's reverse pass with
create_graph, so their results are themselves differentiable and nest:
grad(sum(grad(y, x)), x) is a second derivative. They sit above the table
(they are computed with its operations), not in the engine."""
from __future__ import annotations

from gradcli.autograd import Tensor, gradients
from gradcli.autograd.tensor import new_batch_level
from gradcli.errors import NotScalarError
from gradcli.ops.core import F, Op


def grad(y: Tensor, x: Tensor) -> Tensor:
    """d y / d x as a differentiable tensor of x's shape."""
    if y.size != 1:
        raise NotScalarError.needed_by("grad(y, x)", y.shape)
    g = gradients(y, [x], create_graph=True).get(id(x))
    return F.zeros_like(x) if g is None else g


def jacobian(y: Tensor, x: Tensor) -> Tensor:
    """d y / d x, shape y.shape + x.shape, in one reverse pass: its seed is a
    batch of cotangents, the rows of the identity, and every rule runs once
    on the batch (ops/batching.py), as JAX's jacrev does with vmap."""
    if y.size == 0:                     # y has no elements: neither has its Jacobian
        return F.zeros(shape=y.shape + x.shape, bk=x.bk)
    seed = Tensor(y.bk.xp.reshape(y.bk.xp.eye(y.size, dtype=y.bk.dtype), (y.size,) + y.shape), y.bk, const=True)
    seed.batch = new_batch_level()
    g = gradients(y, [x], seed=seed, create_graph=True).get(id(x))
    if g is None:
        return F.zeros(shape=y.shape + x.shape, bk=x.bk)
    return F.reshape(g, shape=y.shape + x.shape)


def hessian(y: Tensor, x: Tensor) -> Tensor:
    if y.size != 1:
        raise NotScalarError.needed_by("hessian(y, x)", y.shape)
    return jacobian(grad(y, x), x)


BATCH = "none"          # a sweep of a program that calls these runs point by point

OPS = [
    Op("grad", "y:mask, x:mask", impl=grad, family="calculus",
       doc="dy/dx for a scalar y, shaped like x; differentiable, so it nests"),
    Op("jacobian", "y:mask, x:mask", impl=jacobian, family="calculus",
       doc="dy/dx with shape y.shape + x.shape"),
    Op("hessian", "y:mask, x:mask", impl=hessian, family="calculus",
       doc="second derivatives of a scalar y, shape x.shape + x.shape"),
]
