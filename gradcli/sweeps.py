"""Sweeps: a program at many points in one vectorized pass (issue 14).

The swept inputs are bound batched (ops/batching.py): their leading axis holds
the points, and every op of the program runs once on all of them. The points
are independent, so one backward pass from the sum over the points gives each
point's gradient. A sweep larger than a memory budget runs in chunks, with
the same results. A program that cannot run on a batch in one pass (it calls
grad(), say) is evaluated point by point instead, with the same results.
With order=2, each point's second derivative along each swept (scalar) input
comes too, by autograd: the gradient is kept as a graph and differentiated
again (gradcli plot --order 2)."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy

from gradcli import api, autograd
from gradcli.collector import collecting
from gradcli.autograd import Tensor, gradients
from gradcli.autograd.engine import batching_mode
from gradcli.autograd.tensor import new_batch_level
from gradcli.errors import UsageError

BUDGET = 256 * 2**20        # bytes a chunk's graph may hold, as measured at one point


@dataclass
class Sweep:
    """A program's value, and the gradients of its scalar value, at each point:
    arrays whose leading axis is the points."""
    program: str
    names: list                 # the swept inputs, in order
    at: dict                    # name -> its values, (points, ...)
    value: numpy.ndarray        # (points, ...) the value at each point
    grads: dict | None          # key -> (points, ...); None when the value is not a scalar
    dtype: str = "float64"
    reads: set = field(default_factory=set)     # the swept inputs the value depends on
    chunks: int = 1             # passes made
    vectorized: bool = True     # False: evaluated point by point (the program calls grad(), say)
    events: list = field(default_factory=list)  # floating-point events, one of each message
    second: dict | None = None  # order=2: name -> (points,) d2 value/d name2 of each swept input

    @property
    def points(self) -> int:
        return len(self.value)


def points(swept: dict, grid: bool) -> dict:
    """The swept inputs' values at every point: zipped (one length), or every
    combination (grid), each as an array whose leading axis is the points."""
    arrays = {name: numpy.asarray(v, dtype=float) for name, v in swept.items()}
    for name, a in arrays.items():
        if a.ndim == 0:
            raise UsageError(f"--sweep {name}: its value is one number, not points",
                             hint=f"give {name} a leading axis of points, e.g. {name}=linspace(-3, 3, 101)")
    if grid:
        index = list(itertools.product(*(range(len(a)) for a in arrays.values())))
        return {name: a[[i[k] for i in index]] for k, (name, a) in enumerate(arrays.items())}
    lengths = {name: len(a) for name, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise UsageError("swept inputs have different numbers of points: "
                         + ", ".join(f"{n} {k}" for n, k in lengths.items()),
                         hint="give them one length, or --grid for every combination")
    return arrays


@collecting(False)
def sweep(program: str, at: dict | None = None, *, grid=False, chunk=None, wrt=None, device="cpu",
          dtype="float64", seed=0, **points) -> Sweep:
    """The Python API, gradcli.sweep: the program at every point of the inputs
    given as keywords (their leading axis holds the points; zipped, or every
    combination with grid), in one vectorized pass; at binds the inputs that
    are not swept. .value and .grads[name] have the points on their leading axis."""
    if not points:
        raise UsageError("sweep needs the points of an input as a keyword", hint="gradcli.sweep(program, x=xs)")
    return run(program, points, at, grid=grid, chunk=chunk, wrt=wrt, device=device, dtype=dtype, seed=seed)


def run(source: str, swept: dict, at: dict | None = None, *, grid: bool = False, chunk: int | None = None,
        wrt=None, device="cpu", dtype="float64", seed=0, origin=None, progress=None, order: int = 1) -> Sweep:
    """The program at every point of the swept inputs (name -> values along a
    leading axis); at binds the others. wrt names other inputs whose gradient
    is wanted at each point too. order=2 adds each point's second derivative
    along each swept input (a number at each point). progress(done, total),
    if given, is told after each chunk."""
    from gradcli.autograd import toposort
    from gradcli.parse import parse
    values = points(swept, grid)
    total = len(next(iter(values.values())))
    if total == 0:
        raise UsageError("the sweep has no points", hint="give the swept inputs a leading axis of points")
    if chunk is not None and chunk < 1:
        raise UsageError(f"--chunk {chunk}: a chunk holds at least one point")
    if order == 2:
        _check_scalar_points(values)
    program = parse(source, origin)
    wrt = [w for w in wrt or () if w not in values]
    # The first point alone, as an ordinary run: its errors speak of one
    # point's shapes, and its graph's size sets the chunk.
    session = api.setup({**(at or {}), **{name: a[0] for name, a in values.items()}},
                        device=device, dtype=dtype, seed=seed)
    y = api.run_program(source, session, program=program)
    per_point = sum(t.data.nbytes for t in toposort(y, lambda t: iter(t.parents)))
    # order 2 keeps the backward pass as a graph too (about twice the
    # forward's): a chunk holds a third as many points.
    per_point *= 3 if order == 2 else 1
    size = chunk or max(1, min(total, BUDGET // max(per_point, 1)))
    parts = []
    try:
        for start in range(0, total, size):
            parts.append(_pass(source, program, values, at, start, min(start + size, total), wrt,
                               device, dtype, seed, order))
            if progress:
                progress(min(start + size, total), total)
    except _PointByPoint:
        return _point_by_point(source, program, values, at, wrt, device, dtype, seed, progress, order)
    value = numpy.concatenate([p.value for p in parts])
    return Sweep(source, list(values), values, value, _joined(parts, "grads"), dtype, parts[0].reads, len(parts),
                 True, _once([e for p in parts for e in p.events]), _joined(parts, "second"))


def _joined(parts, kind: str) -> dict | None:
    """The chunks' gradients (kind "grads") or second derivatives ("second"),
    by key, joined along the points; None where the chunks have none."""
    if any(getattr(p, kind) is None for p in parts):
        return None
    return {k: numpy.concatenate([getattr(p, kind)[k] for p in parts]) for k in getattr(parts[0], kind)}


def _check_scalar_points(values: dict) -> None:
    """Second derivatives are taken along an input that is one number at each
    point: for a vector, the gradient of the summed gradient would mix the
    Hessian's entries (its row sums), not give its diagonal."""
    for name, a in values.items():
        if a.ndim > 1:
            raise UsageError(f"second derivatives are taken along an input that is one number at each point, "
                             f"and {name} has shape {a.shape[1:]} at each point",
                             hint="sweep a scalar input, or use hessian() in the program")


class _PointByPoint(Exception):
    """The program cannot run on a batch in one pass."""


@dataclass
class _Part:
    value: numpy.ndarray
    grads: dict | None
    reads: set
    events: list
    second: dict | None = None


def _pass(source, program, values, at, start, stop, wrt, device, dtype, seed, order) -> _Part:
    """Points start..stop in one pass."""
    from gradcli.ops.batching import Unbatchable
    n = stop - start
    level = new_batch_level()
    session = api.setup(at, device=device, dtype=dtype, seed=seed, per_point=(level, n, set(wrt)))
    leaves = {}
    for name, a in values.items():
        leaf = session.fix_input(name, Tensor.constant(a[start:stop], session.bk))
        leaf.batch = level
        leaves[name] = leaf
    try:
        with batching_mode(level):
            y = api.run_program(source, session, program=program)
    except Unbatchable:
        raise _PointByPoint from None
    data = y.data if y.batch == level else session.bk.xp.broadcast_to(y.data, (n,) + tuple(y.data.shape))
    value = session.bk.to_host(data)
    grads = second = None
    if value[0].size == 1:
        xs = {**{leaf.key: leaf for leaf in leaves.values()}, **_per_point(session, wrt)}
        seed = Tensor(session.bk.xp.ones_like(y.data), session.bk, const=True)
        with session.evaluating():
            found = gradients(y, list(xs.values()), seed=seed, create_graph=order == 2) if y.requires_grad else {}
            if order == 2:
                second = _second(session, found, {leaf.key: leaf for leaf in leaves.values()})
        grads = {k: _per_item(session, found.get(id(x)), x, n) for k, x in xs.items()}
    reads = {leaf.key for leaf in autograd.reaches(y, list(leaves.values()))}
    return _Part(value, grads, reads, list(session.ctx.events), second)


def _second(session, found: dict, leaves: dict) -> dict:
    """Each point's second derivative along each leaf, from the first
    gradients `found` (kept as a graph): the gradient of their sum over the
    points. The points are independent, so what reaches a point is that
    point's own d2f/dx2 (the other points' terms are zero)."""
    bk = session.bk
    out = {}
    for key, x in leaves.items():
        g = found.get(id(x))
        h = None
        if g is not None and g.requires_grad:       # else the gradient is a constant: f'' is 0
            h = gradients(g, [x], seed=Tensor(bk.xp.ones_like(g.data), bk, const=True)).get(id(x))
        out[key] = numpy.zeros(tuple(x.data.shape)) if h is None else bk.to_host(h.data)
    return out


def _per_point(session, wrt) -> dict:
    """The inputs named in wrt, as the per-point copies the program read."""
    out = {}
    for name in wrt:
        node = session.expanded.get(name)
        if node is None:
            raise UsageError(f"--wrt {name}: a sweep gives gradients of inputs, and '{name}' is not one",
                             hint="name an input the program binds, or sweep it")
        out[name] = node
    return out


def _per_item(session, g, x, n):
    bk = session.bk
    if g is None:
        return numpy.zeros((n,) + tuple(x.data.shape[1:]))
    return bk.to_host(g.data)


def _point_by_point(source, program, values, at, wrt, device, dtype, seed, progress, order) -> Sweep:
    total = len(next(iter(values.values())))
    rows, grads, events, reads = [], {}, [], set()
    second = {} if order == 2 else None
    for i in range(total):
        session = api.setup({**(at or {}), **{name: a[i] for name, a in values.items()}},
                            device=device, dtype=dtype, seed=seed)
        y = api.run_program(source, session, program=program)
        reads |= {t.key for t in autograd.reaches(y, session.inputs) if t.key in values}
        rows.append(session.bk.to_host(y.data))
        if y.size == 1 and grads is not None:
            for k, g in api.differentiate(y, session, list(values) + list(wrt)).items():
                grads.setdefault(k, []).append(g)
            if second is not None:
                for k, h in _second_at_point(session, y, list(values)).items():
                    second.setdefault(k, []).append(h)
        else:
            grads = None
        events += session.ctx.events
        if progress and (i + 1) % 100 == 0:
            progress(i + 1, total)
    if progress:
        progress(total, total)
    return Sweep(source, list(values), values, numpy.stack(rows),
                 None if grads is None else {k: numpy.stack(v) for k, v in grads.items()},
                 dtype, reads, total, False, _once(events),
                 None if grads is None or second is None else {k: numpy.stack(v) for k, v in second.items()})


def _second_at_point(session, y, names) -> dict:
    """One point's second derivative along each swept input, as _second
    finds it for a batch of points."""
    leaves = api.targets(y, session, names)
    with session.evaluating():
        found = gradients(y, list(leaves.values()), create_graph=True) if y.requires_grad else {}
        return _second(session, found, leaves)


def _once(events) -> list:
    """The first event of each message, in order."""
    first = {}
    for e in events:
        first.setdefault(e.message, e)
    return list(first.values())
