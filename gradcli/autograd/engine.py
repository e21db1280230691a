"""Recording operations and reverse mode. `apply` runs one table operation and
records it; `gradients` goes through the recorded graph backwards, latest made
first (in the order a walk finds, or, when no node need be skipped, as the
nodes get their cotangents), adding each rule's contribution into its inputs'.
Rules are themselves table operations, so with create_graph the backward pass
is recorded too and can be differentiated again."""
from __future__ import annotations

import contextlib
import threading
from heapq import heappop, heappush
from operator import attrgetter

from gradcli.autograd import context
from gradcli.autograd import tensor as tensor_module
from gradcli.autograd.release import Released, large, releasable     # (by name: gradients' parameter
from gradcli.autograd.walks import graded, leading                    # release hides the module)
from gradcli.autograd.tensor import Tensor, node, table
from gradcli.errors import GradcliError, NotScalarError

class _State(threading.local):
    enabled = True      # record operations (off inside a first-order backward pass)
    arrays = None       # a Backend while a first-order pass runs its rules on plain arrays


state = _State()
_data, _requires = attrgetter("data"), attrgetter("requires_grad")


def grad_enabled() -> bool:
    return state.enabled


def array_backend():
    """The backend whose plain arrays the table's ops take and give now (a
    first-order backward pass: nothing is recorded, so no Tensor is made), or None."""
    return state.arrays


@contextlib.contextmanager
def grad_mode(enabled: bool):
    old = grad_enabled()
    state.enabled = enabled
    try:
        yield
    finally:
        state.enabled = old


@contextlib.contextmanager
def batching_mode(level: int):
    """The batch level ops honour (ops/batching.py): a batched computation's
    own, or 0 while a batch rule runs its op on the whole arrays and in a
    backward pass from an ordinary seed, whose graph is an ordinary one."""
    old = tensor_module._batching.level
    tensor_module._batching.level = level
    try:
        yield
    finally:
        tensor_module._batching.level = old


def backend_of(value):
    """The backend of a tensor, or of a plain array in a first-order pass."""
    return value.bk if isinstance(value, Tensor) else state.arrays


def apply(op, *inputs: Tensor, **params) -> Tensor:
    """Run op forward on the inputs' arrays and record it in the graph."""
    bk = params.pop("bk", None) or inputs[0].bk
    ctx = context.current()
    if ctx is not None:
        ctx.op = op.name
    data = compute(op, tuple(map(_data, inputs)), params, bk)
    requires, const = False, True       # an input that needs a gradient, in a place that passes one
    for t, d in zip(inputs, op.differentiable(len(inputs))):
        if d and t.requires_grad:
            requires = True
        if not t.const:
            const = False
    out = node(data, bk, op, inputs, requires and state.enabled, const)
    if params:
        out.params = params
    if ctx is not None:
        out.span, out.scope = ctx.node_span, ctx.scope
    return out


def compute(op, arrays: list, params: dict, bk):
    """op's forward on arrays, as an array of the backend's dtype."""
    try:
        data = op.forward(bk, *arrays, **params) if params else op.forward(bk, *arrays)
    except GradcliError:
        raise
    except Exception as e:          # the array library's, MemoryError and the like
        raise bk.translate(e, op.name, arrays) from None
    try:
        if data.dtype.type is bk.dtype:     # (is: a dtype != a type is slow)
            return data
    except AttributeError:                  # a Python number, a list
        pass
    return bk.asarray(data)


def gradients(y: Tensor, xs, seed: Tensor | None = None, create_graph: bool = False,
              keep_all: bool = False, record=None, release: bool = False,
              all_leaves: bool = False) -> dict[int, Tensor]:
    """Cotangents of y w.r.t. every tensor in xs (keyed by id). keep_all keeps
    the cotangent of every node on the way, for displays of the flow; record,
    if given, is told each step: record(node, i, parent, contribution, summed),
    summed being the contribution reduced to the parent's shape. release: a
    first-order pass may release the values it is done with (release.py).
    all_leaves: xs holds every leaf that needs a gradient (a session's inputs
    all do), so that no walk need find the nodes that lead to one of xs."""
    seed = _unit_seed(y) if seed is None else seed
    # A batch of seeds (the rows of the identity, for a Jacobian) flows back
    # as one: each rule runs once on the batch, by the ops' batch rules.
    wanted = set(map(id, xs))
    # A tensor that needs no gradient (h = round(x)) is still a variable to
    # differentiate with respect to, as in torch.autograd.grad: then the walk
    # also passes through nodes recorded without requires_grad.
    constants = not all(map(_requires, xs))
    if not (y.requires_grad or constants):
        return {}
    # A first-order pass records nothing: its rules run on plain arrays (the
    # table's ops take and give them then), so no Tensor is made on the way.
    arrays = not (create_graph or keep_all or record is not None or seed.batch)
    grads: dict = {id(y): seed.data if arrays else seed}
    # While a node's rules run, the context points at that node: an event is
    # its gradient's, and the nodes recorded carry its span.
    ctx = context.current() or context.Context()
    with ctx, _Pass(ctx, create_graph, seed.batch, y.bk if arrays else None), ctx.watching(y.bk):
        if arrays and all_leaves and not constants:
            heap, free = [(-y.id, y)], set()
            _on_arrays(_popped(y, heap, wanted, release, free), grads, wanted, None, False, free, ctx, heap)
        else:
            # Nodes latest first, as PyTorch's engine takes them: each before its
            # inputs (made earlier), and only those from which some x is reachable.
            order = graded([y], constants)
            leads = leading(order, wanted, constants)
            if arrays:
                _on_arrays(order, grads, wanted, leads, constants, releasable(order, y, wanted) if release else (), ctx)
            else:
                _recorded(order, grads, wanted, leads, constants, keep_all, record, ctx)
    if arrays:
        return {k: Tensor(g, y.bk, const=True) for k, g in grads.items()}
    return grads


def _recorded(order, grads: dict, wanted: set[int], leads, constants: bool, keep_all: bool, record, ctx) -> None:
    """gradients' loop when rules record (create_graph, a batch of seeds) or
    their steps are kept: on Tensors, each cotangent a Tensor."""
    for t in order:
        op, parents, tid = t.op, t.parents, id(t)
        g = grads.get(tid) if (keep_all or tid in wanted) else grads.pop(tid, None)
        if g is None or op is None:
            continue
        ctx.rule = t
        for i, rule in op.rules(len(parents)):
            p = parents[i]
            if not ((leads is None or id(p) in leads) and (constants or p.requires_grad)):
                continue
            c = rule(g, t, *parents, **t.params)
            if c is None:
                continue
            summed = unbroadcast(c, p.shape)
            if record is not None:
                record(t, i, p, c, summed)
            prev = grads.get(id(p))
            grads[id(p)] = summed if prev is None else prev + summed


def _on_arrays(nodes, grads: dict, wanted: set[int], leads, constants: bool, free, ctx, heap=None) -> None:
    """gradients' loop for a first-order pass: each node's rules run on
    arrays (on Tensors for tensor_rules), their contributions added into
    grads, and the values in free are released once their node's rules have
    run. With a heap, a parent given its first cotangent joins it (_popped)."""
    for t in nodes:
        tid = id(t)
        g = grads.get(tid) if tid in wanted else grads.pop(tid, None)
        op = t.op
        if g is None or op is None:
            continue
        ctx.rule = t
        parents = t.parents
        rules = op.arity_rules.get(len(parents)) or op.rules(len(parents))     # (found once per arity)
        out, ins = (t, parents) if op.tensor_rules else (t.data, [p.data for p in parents])
        params = t.params
        for i, rule in rules:
            p = parents[i]
            if not (constants or p.requires_grad) or (leads is not None and id(p) not in leads):
                continue
            c = rule(g, out, *ins, **params) if params else rule(g, out, *ins)
            if c is None:
                continue
            if c.__class__ is Tensor:       # a rule that gives back an input
                c = c.data
            shape = p.data.shape
            if c.shape != shape:            # (unbroadcast's own test, without its call)
                c = unbroadcast(c, shape)
            pid = id(p)
            prev = grads.get(pid)
            if prev is not None:
                grads[pid] = prev + c
            else:
                grads[pid] = c
                if heap is not None:
                    heappush(heap, (-p.id, p))
        if tid in free:         # read by no rule from now on
            t.data = Released(t.data)


def _popped(y: Tensor, heap: list, wanted: set[int], release: bool, free: set):
    """The nodes of a first-order pass with no walk before it, when every
    leaf that needs a gradient is wanted (no node need be skipped): the nodes
    that have a cotangent wait in a heap, and the latest made runs its rules
    next, as PyTorch's engine takes nodes from its ready queue. The order is
    the walk's, so the sums are too. A pass that may release walks the rest
    at its first large value, and finds what it may release (into free),
    before those values' rules run; the heap is not read again."""
    while heap:
        if release and large(heap[0][1]):
            rest = graded([node for _, node in heap])
            free.update(releasable(rest, y, wanted))
            yield from rest
            return
        yield heappop(heap)[1]


def _unit_seed(y: Tensor) -> Tensor:
    if y.size != 1:
        raise NotScalarError.needed_by("the gradient", y.shape)
    seed = y.bk.xp.empty(y.data.shape, y.data.dtype)      # (and fill: NumPy's ones is a Python function)
    seed.fill(1)
    return Tensor(seed, y.bk, const=True)


class _Pass:
    """The thread's state while a backward pass runs, restored after it:
    whether ops record (create_graph), the batch level they honour (the
    seed's), the backend whose plain arrays rules run on (or None), and the
    node whose rule runs (ctx.rule). A class, not a generator: a small
    result's pass costs a few microseconds, and this is entered by each."""
    __slots__ = ("ctx", "state", "saved")

    def __init__(self, ctx, enabled: bool, level: int, arrays):
        self.ctx, self.state = ctx, (enabled, level, arrays)

    def __enter__(self):
        self.saved = (state.enabled, tensor_module._batching.level, state.arrays, self.ctx.rule)
        state.enabled, tensor_module._batching.level, state.arrays = self.state

    def __exit__(self, *exc):
        state.enabled, tensor_module._batching.level, state.arrays, self.ctx.rule = self.saved


def unbroadcast(g: Tensor, shape: tuple) -> Tensor:
    """Undo broadcasting: the one place it is done, for every rule."""
    if g.shape == shape:
        return g
    return table().sum_to(g, shape=shape)


def backward(y: Tensor, inputs, keep_all: bool = False, release: bool = False,
             all_leaves: bool = False) -> dict[int, Tensor]:
    """Set .grad on each input (zeros for those y does not depend on); return
    the cotangents by tensor id (of every node on the way, with keep_all).
    release, all_leaves: see gradients."""
    grads = gradients(y, inputs, keep_all=keep_all, release=release, all_leaves=all_leaves)
    for x in inputs:
        g = grads.get(id(x))
        x.grad = g.data if g is not None else y.bk.xp.zeros_like(x.data)
    return grads
