"""A batch axis carried through the table: JAX's vmap, in the table's way.

A Tensor with .batch set holds a batch of arrays along its first axis. A table
op called with one runs once on the whole batch, by its row's batch rule
(Op.batch, declared once per family), and its result is batched. A rule
rewrites the call into table ops on the arrays with their batch axis (axes
moved by one, shapes given the batch's size, ranks aligned), so the graph it
records is an ordinary one and every gradient rule works on it unchanged;
"loop" runs the op item by item and stacks the results, right for any op.

Two things use it: a backward pass from a batch of seeds (the rows of the
identity: a whole Jacobian in one pass), and sweeps (gradcli.sweep, vmap):
a program evaluated at many points at once."""
from __future__ import annotations

from gradcli.autograd.engine import batching_mode
from gradcli.autograd.tensor import Tensor, batch_level, table
from gradcli.errors import UsageError

# Op.batch: how a row carries a batch axis.
#   elementwise  broadcasting alone: a batched input's axes are aligned under the batch
#   axes         the op on the batch with its axis and dims parameters moved past the
#                batch axis (SHIFTS says how, by parameter kind), every input batched
#   matmul       NumPy's stacked matrix product
#   stacked      an op on a stack of matrices (..., m, n): the batch is one more axis of the stack
#   traced       a row made of other ops (impl=): its impl runs with the batch honoured
#   loop         item by item, then stacked
#   none         not batched (grad(), jacobian(): a sweep of them evaluates point by point)
# or a function of its own: (batch, op, inputs, params, run) -> the batched result.
RULES = ("elementwise", "axes", "matmul", "stacked", "traced", "loop", "none")


def family_batch(op, rule: str) -> str:
    """A family's rule for one of its rows: an elementwise family's op that
    takes an axis (softmax) moves it instead, and an op over the whole array
    runs item by item."""
    moves = any(p.kind in SHIFTS for p in op.params)
    if rule == "elementwise" and moves:
        return "axes"
    if rule == "axes" and not moves:        # over the whole array (median_all, msort's first axis)
        return "loop"
    return rule


class Unbatchable(UsageError):
    """An op that cannot run on a batch in one pass (grad() inside a swept
    program); a sweep catches it and evaluates point by point."""


def honoured(inputs) -> bool:
    """Whether some input is batched at the level honoured now."""
    level = batch_level()
    return level != 0 and any(t.batch == level for t in inputs)


def call(op, inputs: tuple, params: dict, run):
    """op on inputs some of which are batched at the level honoured now;
    run(op, inputs, params) runs an op as usual. params are complete, with
    axes normalised for one item. The result is batched at that level."""
    b = _Batch(batch_level(), inputs)
    with batching_mode(0):
        if op.batch == "none":
            raise Unbatchable(f"{op.name}() cannot run on a batch in one pass")
        rule = op.batch if callable(op.batch) else _RULES[op.batch]
        out = rule(b, op, inputs, params, run)
    return b.mark(out)


class _Batch:
    """The batch a call runs on: its level and size."""

    def __init__(self, level: int, inputs):
        self.level = level
        sizes = {t.data.shape[0] for t in inputs if t.batch == level}
        if len(sizes) != 1:
            raise UsageError(f"swept inputs have different lengths: {sorted(sizes)}",
                             hint="zip inputs of one length, or sweep them as a grid")
        self.n = sizes.pop()

    def has(self, t: Tensor) -> bool:
        return t.batch == self.level

    def ndim(self, t: Tensor) -> int:
        """The axes of one item."""
        return t.ndim - self.has(t)

    def mark(self, out):
        for t in out if isinstance(out, tuple) else (out,):
            if isinstance(t, Tensor):
                t.batch = self.level
        return out

    def aligned(self, t: Tensor, ndim: int) -> Tensor:
        """A batched tensor with axes of size 1 after its batch axis, so that an
        item has ndim axes: broadcasting then pairs the items' axes."""
        F = table()
        if not self.has(t) or self.ndim(t) == ndim:
            return t
        return self.keep(F.reshape(t, shape=(self.n,) + (1,) * (ndim - self.ndim(t)) + t.shape[1:]))

    def keep(self, t: Tensor) -> Tensor:
        """t, made inside a rule from batched tensors, batched as they are."""
        t.batch = self.level
        return t

    def expanded(self, t: Tensor) -> Tensor:
        """Batched: an unbatched tensor repeated along a new batch axis."""
        F = table()
        if self.has(t):
            return t
        return F.broadcast_to(F.reshape(t, shape=(1,) + t.shape), shape=(self.n,) + t.shape)


def elementwise(b, op, inputs, params, run):
    ndim = max(b.ndim(t) for t in inputs)
    return run(op, tuple(b.aligned(t, ndim) for t in inputs), params)


def axes(b, op, inputs, params, run):
    ndim = b.ndim(inputs[0])
    if ndim == 0 or any(p.kind in ("axis1", "newaxis") and params.get(p.name) is None for p in op.params):
        return loop(b, op, inputs, params, run)           # a scalar's axis, or over a flattened array
    moved = {p.name: SHIFTS[p.kind](params[p.name], ndim)
             for p in op.params if p.kind in SHIFTS and p.name in params}
    return run(op, tuple(b.expanded(t) for t in inputs), {**params, **moved})


def matmul(b, op, inputs, params, run):
    """A vector is a row (on the left) or a column (on the right) of one, and
    that axis is squeezed from the product; stacks are aligned under the
    batch. A batch against one matrix is folded into a single product (one
    BLAS call, not one per item)."""
    F = table()
    a, c = inputs
    squeeze = []
    if b.ndim(a) == 1:
        a = _like(a, F.unsqueeze(a, axis=a.ndim - 1))
        squeeze.append(-2)
    if b.ndim(c) == 1:
        c = _like(c, F.unsqueeze(c, axis=c.ndim))
        squeeze.append(-1)
    ndim = max(b.ndim(a), b.ndim(c))
    if b.has(a) and not b.has(c) and c.ndim == 2:         # a batch of rows times one matrix: one product
        out = F.reshape(run(op, (F.reshape(a, shape=(-1, a.shape[-1])), c), params), shape=a.shape[:-1] + c.shape[1:])
    elif b.has(c) and not b.has(a) and a.ndim == 2 and c.ndim == 3:     # one matrix times a batch of them
        n, (k, m) = c.shape[0], c.shape[1:]
        columns = F.reshape(F.permute(c, dims=(1, 0, 2)), shape=(k, n * m))
        out = F.permute(F.reshape(run(op, (a, columns), params), shape=(a.shape[0], n, m)), dims=(1, 0, 2))
    else:
        out = run(op, (b.aligned(a, ndim), b.aligned(c, ndim)), params)
    return F.squeeze(out, axis=tuple(out.ndim + s for s in squeeze)) if squeeze else out


def _like(old: Tensor, new: Tensor) -> Tensor:
    """new batched as old is (inside a rule, for its own use)."""
    new.batch = old.batch
    return new


def loop(b, op, inputs, params, run):
    F = table()
    outs = [run(op, tuple(F.getitem(t, key=(i,)) if b.has(t) else t for t in inputs), params)
            for i in range(b.n)]
    if isinstance(outs[0], tuple):          # several results (sort's): each stacked, names kept
        out = type(outs[0])(*(F.stack(*(o[k] for o in outs), axis=0) for k in range(len(outs[0]))))
        out.names = outs[0].names
        return out
    return F.stack(*outs, axis=0)


def stacked(b, op, inputs, params, run):
    """An op of one input that takes a stack of matrices (..., m, n), as
    NumPy's and torch.linalg's do: the batch is one more axis of the stack.
    An item with fewer than two axes runs alone, to fail as it would (the
    batch axis would pass for a matrix's)."""
    (x,) = inputs
    if b.ndim(x) < 2:
        return loop(b, op, inputs, params, run)
    return run(op, (x,), params)


def traced(b, op, inputs, params, run):
    """The rule of a row computed from other ops (impl=), of any family: as
    JAX's vmap traces a function, its impl runs with the batch honoured, so
    that it sees an item's shapes and each op it calls runs on the batch by
    its own rule. Only for an impl of one result that reads its inputs'
    values through ops and checks (an array of an input's values made a
    shape, an index or a constant would hold the whole batch)."""
    with batching_mode(b.level):
        out = run(op, inputs, params)
    # An impl may leave a batched input out (nn's bias of 0, weight of 1): the result is then every item's.
    return out if b.has(out) else b.expanded(out)


# ---- moving a parameter past the batch axis, by its kind
def _axis(v, ndim):
    """Reduction axes: None (every axis of an item) becomes the item's axes."""
    return tuple(range(1, ndim + 1)) if v is None else tuple(a + 1 if a >= 0 else a for a in v)


def _axis1(v, ndim):
    return v + 1 if v >= 0 else v


def _dims(v, ndim):
    return (0,) + tuple(d + 1 for d in v)


SHIFTS = {"axis": _axis, "axis1": _axis1, "newaxis": _axis1, "dims": _dims}
_RULES = {"elementwise": elementwise, "axes": axes, "matmul": matmul, "stacked": stacked, "traced": traced,
          "loop": loop}


# ---- the shape family's own rules
def reshaped(b, op, inputs, params, run):
    """reshape: each item to the shape."""
    (x,) = inputs
    return run(op, (b.expanded(x),), {**params, "shape": (b.n,) + tuple(params["shape"])})


def flattened(b, op, inputs, params, run):
    F = table()
    (x,) = inputs
    return F.reshape(b.expanded(x), shape=(b.n, -1))


def broadcast(b, op, inputs, params, run):
    (x,) = inputs
    shape = tuple(params["shape"])
    return run(op, (b.expanded(b.aligned(x, len(shape))),), {**params, "shape": (b.n,) + shape})


def summed_to(b, op, inputs, params, run):
    F = table()
    (x,) = inputs
    shape = tuple(params["shape"])
    lead = b.ndim(x) - len(shape)
    if lead:
        x = b.keep(F.sum(x, axis=tuple(range(1, lead + 1)), keepdims=False))
    return run(op, (b.expanded(x),), {**params, "shape": (b.n,) + shape})


def squeezed(b, op, inputs, params, run):
    (x,) = inputs
    axis = params["axis"]
    if axis is None:            # an item's axes of size 1, not the batch's
        axis = tuple(i for i, n in enumerate(x.shape[1:] if b.has(x) else x.shape) if n == 1)
    return run(op, (b.expanded(x),), {**params, "axis": _axis(axis, b.ndim(x))})


def indexed(b, op, inputs, params, run):
    """x[key]: the batch axis kept whole in front of the key; a key holding
    index arrays runs item by item (NumPy moves such axes)."""
    key = params["key"]
    if any(not isinstance(k, (int, slice, type(None), type(Ellipsis))) for k in key):
        return loop(b, op, inputs, params, run)
    return run(op, tuple(b.expanded(t) for t in inputs),
               {**params, "key": (slice(None),) + tuple(key), **({"shape": (b.n,) + tuple(params["shape"])}
                                                                  if "shape" in params else {})})
