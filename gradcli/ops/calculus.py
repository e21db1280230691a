"""Derivatives inside programs, built on the engine's reverse pass with
create_graph, so their results are themselves differentiable and nest:
grad(sum(grad(y, x)), x) is a second derivative. They sit above the table
(they are computed with its operations), not in the engine."""
from __future__ import annotations

from gradcli.autograd import Tensor, gradients, toposort
from gradcli.autograd.tensor import new_batch_level
from gradcli.errors import ComputeError, NotScalarError
from gradcli.ops.core import F, Op


def grad(y: Tensor, x: Tensor) -> Tensor:
    """d y / d x as a differentiable tensor of x's shape."""
    if y.size != 1:
        raise NotScalarError.needed_by("grad(y, x)", y.shape)
    g = gradients(y, [x], create_graph=True).get(id(x))
    return F.zeros_like(x) if g is None else g


JACOBIAN_BUDGET = 256 * 2**20       # bytes of cotangents a batch of seeds may hold at once
JACOBIAN_LIMIT = 256 * 2**20        # bytes a Jacobian (or Hessian) may hold: a 5,000-variable Hessian


def jacobian(y: Tensor, x: Tensor) -> Tensor:
    """d y / d x, shape y.shape + x.shape: reverse passes whose seed is a
    batch of cotangents, rows of the identity, every rule run once on the
    batch (ops/batching.py), as JAX's jacrev does with vmap. One pass when
    the batch fits JACOBIAN_BUDGET, else the rows in chunks that do (a
    Hessian of 10,000 variables would otherwise hold 800 MB per node)."""
    if y.size == 0:                     # y has no elements: neither has its Jacobian
        return F.zeros(shape=y.shape + x.shape, bk=x.bk)
    numbers = y.size * x.size
    if numbers * y.data.dtype.itemsize > JACOBIAN_LIMIT:
        size = numbers * y.data.dtype.itemsize / 2**20
        raise ComputeError(f"the Jacobian would hold {numbers:,} numbers ({size:,.0f} MiB), more than gradcli "
                           f"computes at once ({JACOBIAN_LIMIT // 2**20} MiB)",
                           hint="differentiate a smaller piece, or reduce y to a scalar and use grad()")
    xp = y.bk.xp
    per_row = 8 * sum(t.size for t in toposort(y, lambda t: iter(t.parents)))
    rows = max(1, min(y.size, JACOBIAN_BUDGET // max(per_row, 1)))
    parts = []
    for start in range(0, y.size, rows):
        n = min(rows, y.size - start)
        seed = Tensor(xp.reshape(xp.eye(n, y.size, start, dtype=y.bk.dtype), (n,) + y.shape), y.bk, const=True)
        seed.batch = new_batch_level()
        g = gradients(y, [x], seed=seed, create_graph=True).get(id(x))
        parts.append(F.zeros(shape=(n,) + x.shape, bk=x.bk) if g is None else F.reshape(g, shape=(n,) + x.shape))
    whole = parts[0] if len(parts) == 1 else F.concat(*parts, axis=0)
    return F.reshape(whole, shape=y.shape + x.shape)


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
