"""Sweeps: a program at many points in one vectorized pass (issue 14).

The swept inputs are bound batched (ops/batching.py): their leading axis holds
the points, and every op of the program runs once on all of them. The points
are independent, so one backward pass from the sum over the points gives each
point's gradient. A sweep larger than a memory budget runs in chunks, with
the same results. A program that cannot run on a batch in one pass (it calls
grad(), say) is evaluated point by point instead, with the same results."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy

from gradcli import api, autograd
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
        wrt=None, device="cpu", dtype="float64", seed=0, origin=None, progress=None) -> Sweep:
    """The program at every point of the swept inputs (name -> values along a
    leading axis); at binds the others. wrt names other inputs whose gradient
    is wanted at each point too. progress(done, total), if given, is told
    after each chunk."""
    from gradcli.autograd import toposort
    from gradcli.parse import parse
    values = points(swept, grid)
    total = len(next(iter(values.values())))
    if total == 0:
        raise UsageError("the sweep has no points", hint="give the swept inputs a leading axis of points")
    if chunk is not None and chunk < 1:
        raise UsageError(f"--chunk {chunk}: a chunk holds at least one point")
    program = parse(source, origin)
    wrt = [w for w in wrt or () if w not in values]
    # The first point alone, as an ordinary run: its errors speak of one
    # point's shapes, and its graph's size sets the chunk.
    session = api.setup({**(at or {}), **{name: a[0] for name, a in values.items()}},
                        device=device, dtype=dtype, seed=seed)
    y = api.run_program(source, session, program=program)
    per_point = sum(t.data.nbytes for t in toposort(y, lambda t: iter(t.parents)))
    size = chunk or max(1, min(total, BUDGET // max(per_point, 1)))
    parts = []
    try:
        for start in range(0, total, size):
            parts.append(_pass(source, program, values, at, start, min(start + size, total), wrt,
                               device, dtype, seed))
            if progress:
                progress(min(start + size, total), total)
    except _PointByPoint:
        return _point_by_point(source, program, values, at, wrt, device, dtype, seed, progress)
    value = numpy.concatenate([p.value for p in parts])
    grads = None if any(p.grads is None for p in parts) else \
        {k: numpy.concatenate([p.grads[k] for p in parts]) for k in parts[0].grads}
    return Sweep(source, list(values), values, value, grads, dtype, parts[0].reads, len(parts), True,
                 _once([e for p in parts for e in p.events]))


class _PointByPoint(Exception):
    """The program cannot run on a batch in one pass."""


@dataclass
class _Part:
    value: numpy.ndarray
    grads: dict | None
    reads: set
    events: list


def _pass(source, program, values, at, start, stop, wrt, device, dtype, seed) -> _Part:
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
    grads = None
    if value[0].size == 1:
        xs = {**{leaf.key: leaf for leaf in leaves.values()}, **_per_point(session, wrt)}
        seed = Tensor(session.bk.xp.ones_like(y.data), session.bk, const=True)
        with session.evaluating():
            found = gradients(y, list(xs.values()), seed=seed) if y.requires_grad else {}
        grads = {k: _per_item(session, found.get(id(x)), x, n) for k, x in xs.items()}
    reads = {leaf.key for leaf in autograd.reaches(y, list(leaves.values()))}
    return _Part(value, grads, reads, list(session.ctx.events))


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


def _point_by_point(source, program, values, at, wrt, device, dtype, seed, progress) -> Sweep:
    total = len(next(iter(values.values())))
    rows, grads, events, reads = [], {}, [], set()
    for i in range(total):
        session = api.setup({**(at or {}), **{name: a[i] for name, a in values.items()}},
                            device=device, dtype=dtype, seed=seed)
        y = api.run_program(source, session, program=program)
        reads |= {t.key for t in autograd.reaches(y, session.inputs) if t.key in values}
        rows.append(session.bk.to_host(y.data))
        if y.size == 1 and grads is not None:
            for k, g in api.differentiate(y, session, list(values) + list(wrt)).items():
                grads.setdefault(k, []).append(g)
        else:
            grads = None
        events += session.ctx.events
        if progress and (i + 1) % 100 == 0:
            progress(i + 1, total)
    if progress:
        progress(total, total)
    return Sweep(source, list(values), values, numpy.stack(rows),
                 None if grads is None else {k: numpy.stack(v) for k, v in grads.items()},
                 dtype, reads, total, False, _once(events))


def _once(events) -> list:
    """The first event of each message, in order."""
    first = {}
    for e in events:
        first.setdefault(e.message, e)
    return list(first.values())
