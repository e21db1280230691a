"""The checks generated from the op table, as functions that return what
failed (an empty list when all is well), so that tests/test_ops.py asserts
them per op and example, and tests/test_mutation.py shows that each fails
when its op's forward or rule is perturbed.

- forward: the op against its row's independent reference;
- first: autograd's gradient of <op(x), w> against central differences;
- released: the same gradient, from a pass that releases every value it
  is done with (autograd/release.py);
- second: the gradient of <grad, v> against central differences of autograd;
- kinks: PyTorch's one-sided values, pinned in the row;
- singular: PyTorch's values and first and second derivatives at singular
  points (zeros, ties, domain edges), generated once into tests/data."""
from __future__ import annotations

import json

import numpy as np

from gradcli.autograd import Tensor, gradients
from gradcli.autograd.context import Context
from gradcli.backend import make_backend
from gradcli.gradcheck import check_function
from gradcli.ops.core import F, call, with_defaults
from tests.conftest import DATA
from tests.opcases import example_inputs

FORWARD_RTOL, FORWARD_ATOL = 1e-12, 1e-14
FIRST_TOL, SECOND_TOL = 1e-5, 1e-4
SINGULAR = DATA / "singular_torch.json"


def _run(op, arrays, params, bk):
    ts = [Tensor(bk.asarray(a), bk, requires_grad=diff) for a, diff in arrays]
    for t in ts:
        t.key = "in"
    return ts, call(op, *ts, bk=bk, **params)


def _sum(t):
    return F.sum(t, axis=None, keepdims=False)


def _weights(shape, seed=7):
    return np.random.default_rng(seed).normal(size=shape)


def _parts(out) -> list:
    """An op's results as a list: one, or several (sort's values and
    indices, split's pieces)."""
    return list(out) if isinstance(out, tuple) else [out]


def _all_weights(out) -> list:
    return [_weights(p.shape, seed=7 + i) for i, p in enumerate(_parts(out))]


def _paired(out, ws, bk):
    """sum_i <result_i, w_i>: a scalar that every result feeds."""
    total = Tensor.constant(0.0, bk)
    for part, w in zip(_parts(out), ws):
        total = total + _sum(part * Tensor.constant(w, bk))
    return total


def forward(op, shapes, params) -> list[str]:
    arrays = example_inputs(op, shapes, np.random.default_rng(0))
    _, out = _run(op, arrays, params, make_backend())
    want = op.reference(*(a for a, _ in arrays), **with_defaults(op, params, len(shapes[0]) if shapes else 0))
    wants = list(want) if isinstance(out, tuple) else [want]
    if len(wants) != len(_parts(out)):
        return [f"{op.name}: {len(_parts(out))} results, the reference's {len(wants)}"]
    for part, want in zip(_parts(out), wants):
        got = part.numpy()
        if got.shape != np.shape(want):
            return [f"{op.name}: shape {got.shape}, the reference's {np.shape(want)}"]
        if not np.allclose(got, want, rtol=FORWARD_RTOL, atol=FORWARD_ATOL, equal_nan=True):
            return [f"{op.name}: value {got.tolist()} vs the reference's {np.asarray(want).tolist()}"]
    return []


def first(op, shapes, params) -> list[str]:
    rng = np.random.default_rng(0)
    arrays = example_inputs(op, shapes, rng)
    bk = make_backend()
    ts, out = _run(op, arrays, params, bk)
    ws = _all_weights(out)
    diff = [i for i, (_, d) in enumerate(arrays) if d]
    grads = gradients(_paired(out, ws, bk), [ts[i] for i in diff])
    autos = [grads[id(ts[i])].numpy() if id(ts[i]) in grads else np.zeros(shapes[i]) for i in diff]

    def f(values):
        inputs = [(values[diff.index(i)] if i in diff else a, d) for i, (a, d) in enumerate(arrays)]
        _, o = _run(op, inputs, params, make_backend())
        return float(sum(np.sum(p.numpy() * w) for p, w in zip(_parts(o), ws)))

    results = check_function(f, [arrays[i][0] for i in diff], autos, [str(i) for i in diff], tol=FIRST_TOL)
    return [f"{op.name} input {r.name}: autograd {r.autograd} vs numeric {r.numeric}" for r in results if not r.ok]


def released(op, shapes, params) -> list[str]:
    """A first-order pass that releases every value it is done with (the
    threshold at 0 bytes) gives the gradients of one that keeps them all: a
    rule that reads a value its code was judged not to load would fail or
    differ. The op reads its inputs through anonymous nodes (x*1), so they
    may be released too."""
    from gradcli.autograd import release
    arrays = example_inputs(op, shapes, np.random.default_rng(0))
    results = []
    for free in (False, True):
        bk = make_backend()             # (the same draws each time: dropout)
        ts = [Tensor(bk.asarray(a), bk, requires_grad=d) for a, d in arrays]
        out = call(op, *(t * 1.0 if d else t for t, (_, d) in zip(ts, arrays)), bk=bk, **params)
        y = _paired(out, _all_weights(out), bk)
        threshold, release.RELEASE_FROM = release.RELEASE_FROM, 0
        try:
            grads = gradients(y, [t for t in ts if t.requires_grad], release=free)
        finally:
            release.RELEASE_FROM = threshold
        results.append([grads[id(t)].numpy() for t in ts if id(t) in grads])
    kept, freed = results
    if len(kept) != len(freed) or not all(np.array_equal(a, b, equal_nan=True) for a, b in zip(kept, freed)):
        return [f"{op.name}: gradients with values released {freed} vs kept {kept}"]
    return []


def second(op, shapes, params) -> list[str]:
    """d/dx of <grad f(x), v>, by autograd twice vs finite differences of autograd once."""
    rng = np.random.default_rng(1)
    arrays = example_inputs(op, shapes, rng)
    diff = [i for i, (_, d) in enumerate(arrays) if d]
    bk = make_backend()
    ws = _all_weights(call(op, *[Tensor(bk.asarray(a), bk) for a, _ in arrays], bk=bk, **params))
    vs = [np.random.default_rng(10 + i).normal(size=shapes[i]) for i in diff]

    def inner(ts, bk, create_graph):
        out = call(op, *ts, bk=bk, **params)
        gs = gradients(_paired(out, ws, bk), [ts[i] for i in diff], create_graph=create_graph)
        total = Tensor.constant(0.0, bk)
        for i, v in zip(diff, vs):
            if id(ts[i]) in gs:
                total = total + _sum(gs[id(ts[i])] * Tensor.constant(v, bk))
        return total

    ts = [Tensor(bk.asarray(a), bk, requires_grad=d) for a, d in arrays]
    s = inner(ts, bk, create_graph=True)
    twice = gradients(s, [ts[i] for i in diff]) if s.requires_grad else {}
    autos = [twice[id(ts[i])].numpy() if id(ts[i]) in twice else np.zeros(shapes[i]) for i in diff]

    def f(values):
        b = make_backend()
        inputs = [(values[diff.index(i)] if i in diff else a, d) for i, (a, d) in enumerate(arrays)]
        return inner([Tensor(b.asarray(a), b, requires_grad=d) for a, d in inputs], b, create_graph=False).item()

    results = check_function(f, [arrays[i][0] for i in diff], autos, [str(i) for i in diff], tol=SECOND_TOL)
    return [f"{op.name} input {r.name}: second order {r.autograd} vs numeric {r.numeric}"
            for r in results if not r.ok]


def derivatives(op, values, params) -> dict:
    """sum(op(values)), its gradient g_i for each input, and the gradient of
    sum_i sum(g_i) (the second order), as host arrays: what the singular
    points record from PyTorch."""
    bk, ctx = make_backend(), Context()
    with ctx, ctx.watching(bk):         # 1/0 and the like are PyTorch's numbers here, not warnings
        return _derivatives(bk, op, values, params)


def _derivatives(bk, op, values, params):
    ts = [Tensor(bk.asarray(v), bk, requires_grad=True) for v in values]
    s = _sum(_parts(call(op, *ts, bk=bk, **params))[0])       # several results: the first (sort's values)
    gs = gradients(s, ts, create_graph=True)
    firsts = [gs[id(t)] if id(t) in gs else Tensor(bk.xp.zeros_like(t.data), bk) for t in ts]
    total = Tensor.constant(0.0, bk)
    for g in firsts:
        total = total + _sum(g)
    twice = gradients(total, ts) if total.requires_grad else {}
    return {"value": s.numpy(), "grad": [g.numpy() for g in firsts],
            "second": [twice[id(t)].numpy() if id(t) in twice else np.zeros(np.shape(v))
                       for t, v in zip(ts, values)]}


def kinks(op) -> list[str]:
    """At a kink the gradient is PyTorch's one-sided choice, pinned by the table."""
    out = []
    for values, params, expected in op.kinks:
        got = derivatives(op, values, params)["grad"]
        for i, (g, want) in enumerate(zip(got, expected)):
            if not np.allclose(g, want, rtol=0, atol=1e-12):
                out.append(f"{op.name} at {values}: gradient {i} is {g.tolist()}, PyTorch's {want}")
    return out


def singular_data() -> dict:
    return json.loads(SINGULAR.read_text()) if SINGULAR.exists() else {}


def singular(op, data=None) -> list[str]:
    """Each singular point of the row against PyTorch's recorded numbers, to
    the order the row claims agreement (1: value and gradient; 2: also the
    second derivatives)."""
    data = singular_data() if data is None else data
    out = []
    for i, (values, params, order) in enumerate(op.singular):
        want = data.get(f"{op.name}/{i}")
        if want is None or json.dumps([want["values"], want["params"]]) != json.dumps([values, params]):
            out.append(f"{op.name}/{i}: no PyTorch numbers for this point: run tests/data/make_singular_refs.py")
            continue
        got = derivatives(op, values, params)
        checks = [("value", [got["value"]], [want["value"]])]
        checks.append(("gradient", got["grad"], want["grad"]))
        if order >= 2:
            checks.append(("second derivative", got["second"], want["second"]))
        for what, gots, wants in checks:
            for g, w in zip(gots, wants):
                if not np.allclose(g, np.asarray(w, dtype=float), rtol=1e-12, atol=1e-12, equal_nan=True):
                    out.append(f"{op.name} at {values} {params}: {what} {np.asarray(g).tolist()}, "
                               f"PyTorch's {w}")
    return out



# ---- the batch axis (ops/batching.py): a batch in one call against a loop over its items
BATCH = 3
BATCH_TOL = 1e-10


def _close(a, b) -> bool:
    return np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=BATCH_TOL, atol=BATCH_TOL, equal_nan=True)


def _items(op, shapes, rng):
    """BATCH draws of the op's inputs: per input, its items stacked."""
    draws = [example_inputs(op, shapes, rng) for _ in range(BATCH)]
    return [(np.stack([d[k][0] for d in draws]), draws[0][k][1]) for k in range(len(shapes))]


def batched(op, shapes, params, which: str = "all") -> list[str]:
    """op on a batch (every tensor input batched, or the first only) in one
    call, against the op on each item, stacked: the forward, and the
    gradient of sum_b <result_b, w_b> with respect to every input (the
    batched inputs' per item, the others' summed over the batch)."""
    from gradcli.autograd.engine import batching_mode
    from gradcli.autograd.tensor import new_batch_level
    rng = np.random.default_rng(3)
    stacks = _items(op, shapes, rng)
    is_batched = [which == "all" or k == 0 for k in range(len(shapes))]
    fixed = example_inputs(op, shapes, rng)
    values = [s if b else f for s, f, b in zip(stacks, fixed, is_batched)]
    bk = make_backend()
    level = new_batch_level()
    ts = [Tensor(bk.asarray(a), bk, requires_grad=d) for a, d in values]
    for t, b in zip(ts, is_batched):
        t.batch = level if b else 0
    with batching_mode(level):
        out = call(op, *ts, bk=bk, **params)
    parts = _parts(out)
    per_item = []
    for i in range(BATCH):
        item_ts = [Tensor(bk.asarray(a[i] if b else a), bk, requires_grad=d)
                   for (a, d), b in zip(values, is_batched)]
        per_item.append((item_ts, _parts(call(op, *item_ts, bk=bk, **params))))
    failures = []
    for k, part in enumerate(parts):
        want = np.stack([p[k].numpy() for _, p in per_item])
        if not _close(part.numpy(), want):
            failures.append(f"{op.name} result {k}: batched {part.numpy().tolist()} vs looped {want.tolist()}")
    if failures or not any(d for _, d in values):
        return failures
    ws = [_weights(p.data.shape, seed=20 + k) for k, p in enumerate(parts)]
    total = _paired(out, ws, bk)
    grads = gradients(total, [t for t, (_, d) in zip(ts, values) if d])
    for j, (t, (a, d)) in enumerate(zip(ts, values)):
        if not d:
            continue
        looped = []
        for i, (item_ts, item_parts) in enumerate(per_item):
            g = gradients(_paired(tuple(item_parts), [w[i] for w in ws], bk), [item_ts[j]]).get(id(item_ts[j]))
            looped.append(g.numpy() if g is not None else np.zeros(item_ts[j].shape))
        want = np.stack(looped) if is_batched[j] else np.sum(looped, axis=0)
        got = grads[id(t)].numpy() if id(t) in grads else np.zeros(a.shape)
        if not _close(got, want):
            failures.append(f"{op.name} input {j}: batched gradient {got.tolist()} vs looped {want.tolist()}")
    return failures


def seeded(op, shapes, params) -> list[str]:
    """Rules on a batch of cotangents: jacobian (one reverse pass, seeded with
    the identity's rows) against a pass per element, for every result and
    input; then to second order, the Hessian of <result, w> (the Jacobian of
    a gradient) against a loop over the gradient's elements."""
    from gradcli.ops.calculus import grad, jacobian
    rng = np.random.default_rng(4)
    arrays = example_inputs(op, shapes, rng)
    diff = [i for i, (_, d) in enumerate(arrays) if d]
    bk = make_backend()
    ts = [Tensor(bk.asarray(a), bk, requires_grad=d) for a, d in arrays]
    out = call(op, *ts, bk=bk, **params)
    failures = []

    def looped(y, x):
        flat = F.reshape(y, shape=(-1,))
        rows = [grad(flat[i], x).numpy() for i in range(y.size)]
        return np.reshape(np.stack(rows) if rows else np.zeros((0,) + x.shape), y.shape + x.shape)

    for k, part in enumerate(_parts(out)):
        if not part.requires_grad:
            continue
        for i in diff:
            got, want = jacobian(part, ts[i]).numpy(), looped(part, ts[i])
            if not _close(got, want):
                failures.append(f"{op.name} result {k}, input {i}: jacobian {got.tolist()} vs looped {want.tolist()}")
    scalar = _paired(out, _all_weights(out), bk)
    for i in diff if scalar.requires_grad else ():
        g = grad(scalar, ts[i])
        if not g.requires_grad:
            continue
        got, want = jacobian(g, ts[i]).numpy(), looped(g, ts[i])
        if not _close(got, want):
            failures.append(f"{op.name} input {i}: hessian {got.tolist()} vs looped {want.tolist()}")
    return failures
