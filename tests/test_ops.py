"""SPEC section 1, builtins: every operation of the table, checked from the
table. For each differentiable op and each of its example shapes, at random
float64 points of its domain: the gradient equals central finite differences
(first order), and so does the gradient of a gradient (second order). Kinks
are pinned to PyTorch's one-sided values. Nothing here is written per op."""
from __future__ import annotations

import numpy as np
import pytest

from gradcli.autograd import Tensor, gradients
from gradcli.backend import make_backend
from gradcli.gradcheck import check_function
from gradcli.ops import TABLE, Op
from gradcli.ops.core import F, call
from tests.opcases import example_inputs

TOL = 1e-5


def differentiable_cases():
    for op in TABLE.values():
        if op.grads is None:
            continue
        for i, (shapes, params) in enumerate(op.examples):
            yield pytest.param(op, shapes, params, id=f"{op.name}-{i}-{'x'.join(map(str, shapes))}")


CASES = list(differentiable_cases())


def _run(op, arrays, params, bk):
    ts = [Tensor(bk.asarray(a), bk, requires_grad=diff) for a, diff in arrays]
    for t in ts:
        t.key = "in"
    return ts, call(op, *ts, **params)


def _weights(shape, seed=7):
    return np.random.default_rng(seed).normal(size=shape)


def test_every_differentiable_op_has_examples():
    missing = [op.name for op in TABLE.values() if op.grads is not None and not op.examples and op.name != "scatter"]
    assert missing == [], f"ops without test examples: {missing}"


@pytest.mark.parametrize("op, shapes, params", CASES)
def test_first_order(op, shapes, params):
    rng = np.random.default_rng(0)
    bk = make_backend()
    arrays = example_inputs(op, shapes, rng)
    ts, out = _run(op, arrays, params, bk)
    w = _weights(out.shape)
    loss = F.sum(out * Tensor.constant(w, bk), axis=None, keepdims=False)
    diff = [i for i, (_, d) in enumerate(arrays) if d]
    grads = gradients(loss, [ts[i] for i in diff])
    autos = [grads[id(ts[i])].numpy() if id(ts[i]) in grads else np.zeros(shapes[i]) for i in diff]

    def f(values):
        inputs = [(values[diff.index(i)] if i in diff else a, d) for i, (a, d) in enumerate(arrays)]
        _, o = _run(op, inputs, params, make_backend())
        return float(np.sum(o.numpy() * w))

    results = check_function(f, [arrays[i][0] for i in diff], autos, [str(i) for i in diff], tol=TOL)
    for r in results:
        assert r.ok, f"{op.name} input {r.name}: autograd {r.autograd} vs numeric {r.numeric}"


@pytest.mark.parametrize("op, shapes, params", CASES)
def test_second_order(op, shapes, params):
    """d/dx of <grad f(x), v>, by autograd twice vs finite differences of autograd once."""
    rng = np.random.default_rng(1)
    arrays = example_inputs(op, shapes, rng)
    diff = [i for i, (_, d) in enumerate(arrays) if d]
    bk = make_backend()
    ts, out = _run(op, arrays, params, bk)
    w = _weights(out.shape)
    vs = [np.random.default_rng(10 + i).normal(size=shapes[i]) for i in diff]

    def inner(ts, bk, create_graph):
        out = call(op, *ts, **params)
        loss = F.sum(out * Tensor.constant(w, bk), axis=None, keepdims=False)
        gs = gradients(loss, [ts[i] for i in diff], create_graph=create_graph)
        total = Tensor.constant(0.0, bk)
        for i, v in zip(diff, vs):
            if id(ts[i]) in gs:
                total = total + F.sum(gs[id(ts[i])] * Tensor.constant(v, bk), axis=None, keepdims=False)
        return total

    s = inner(ts, bk, create_graph=True)
    second = gradients(s, [ts[i] for i in diff]) if s.requires_grad else {}
    autos = [second[id(ts[i])].numpy() if id(ts[i]) in second else np.zeros(shapes[i]) for i in diff]

    def f(values):
        b = make_backend()
        inputs = [(values[diff.index(i)] if i in diff else a, d) for i, (a, d) in enumerate(arrays)]
        t2 = [Tensor(b.asarray(a), b, requires_grad=d) for a, d in inputs]
        return inner(t2, b, create_graph=False).item()

    results = check_function(f, [arrays[i][0] for i in diff], autos, [str(i) for i in diff], tol=1e-4)
    for r in results:
        assert r.ok, f"{op.name} input {r.name}: second order {r.autograd} vs numeric {r.numeric}"


KINKS = [pytest.param(op, k, id=f"{op.name}-{i}") for op in TABLE.values() for i, k in enumerate(op.kinks)]


@pytest.mark.parametrize("op, kink", KINKS)
def test_kink_follows_pytorch(op, kink):
    """At a kink the gradient is PyTorch's one-sided choice, pinned by the table."""
    values, params, expected = kink
    bk = make_backend()
    ts = [Tensor(bk.asarray(v), bk, requires_grad=True) for v in values]
    out = call(op, *ts, **params)
    loss = F.sum(out, axis=None, keepdims=False)
    grads = gradients(loss, ts)
    for t, want in zip(ts, expected):
        got = grads[id(t)].numpy() if id(t) in grads else np.zeros_like(np.asarray(want))
        np.testing.assert_allclose(got, want, atol=1e-12)


def test_ops_with_kinks_say_so():
    """Every op marked non-smooth pins at least one kink value, or is a bounded reduction."""
    for op in TABLE.values():
        if not op.smooth:
            assert op.kinks or op.name in ("min",), f"{op.name} is marked non-smooth but pins no kink"


def test_checker_catches_a_wrong_rule():
    """The checker itself can fail: sin with the derivative of -cos (a sign slip)."""
    wrong = Op("bad_sin", "x", forward=lambda bk, x: bk.xp.sin(x), grads=(lambda g, y, x: -g * F.cos(x),))
    bk = make_backend()
    x0 = np.array([0.3, 1.1, -0.7])
    x = Tensor(bk.asarray(x0), bk, requires_grad=True)
    out = F.sum(call(wrong, x), axis=None, keepdims=False)
    auto = gradients(out, [x])[id(x)].numpy()
    [r] = check_function(lambda v: float(np.sum(np.sin(v[0]))), [x0], [auto], ["x"], tol=TOL)
    assert not r.ok and r.abs_err > 0.5


def test_checker_catches_a_wrong_second_derivative():
    """A rule right at first order but not differentiable correctly: d/dx cos uses a constant."""
    frozen = Op("frozen_sin", "x", forward=lambda bk, x: bk.xp.sin(x),
                grads=(lambda g, y, x: g * Tensor.constant(np.cos(x.numpy()), x.bk),))
    bk = make_backend()
    x0 = np.array([0.3, 1.1])
    x = Tensor(bk.asarray(x0), bk, requires_grad=True)
    g = gradients(F.sum(call(frozen, x), axis=None, keepdims=False), [x], create_graph=True)[id(x)]
    assert not g.requires_grad      # the second derivative would be lost: -sin(x) never appears
    np.testing.assert_allclose(g.numpy(), np.cos(x0))


ZERO_GRADIENT = [op for op in TABLE.values() if op.grads is None and op.impl is None
                 and op.family == "elementwise"]


@pytest.mark.parametrize("op", ZERO_GRADIENT, ids=lambda op: op.name)
def test_piecewise_constant_ops_pass_no_gradient(op):
    """floor, ceil, round, sign: the input still gets a (zero) gradient, as in PyTorch."""
    import gradcli
    r = gradcli.grad(f"sum({op.name}(x) + x * 0)", x=[0.3, -1.7, 2.5])
    np.testing.assert_array_equal(r.grads["x"], [0, 0, 0])
