"""Issue 17: a backward pass that nothing will follow releases the large
values of anonymous nodes once no rule needs them (autograd/release.py), so
sum(tanh(A @ B)) peaks where the same NumPy by hand does. Every op's rules
are held to it in tests/test_ops.py (opchecks.released), random programs in
tests/test_fast_paths.py; here, what is read, what is released and what
the tree shows."""
from __future__ import annotations

from functools import partial

import numpy as np

import gradcli
from gradcli import api
from gradcli.autograd import release
from gradcli.autograd.release import Released
from gradcli.ops import TABLE

BIG = np.linspace(-1, 1, 400 * 400).reshape(400, 400)      # 160,000 elements: over RELEASE_FROM


def test_a_rule_reads_what_its_code_loads():
    tanh, matmul = TABLE["tanh"], TABLE["matmul"]
    assert release.reads(tanh.rule(0), 1) == (True, False)           # g·(1 - y²): the output, not x
    assert release.reads(matmul.rule(0), 2) == (False, True, True)   # the operands, not the product
    assert release.reads(TABLE["add"].rule(1), 2) == (False, False, False)
    assert release.reads(lambda g, y, *xs: g, 2) == (False, True, True)        # *args: all of them
    assert release.reads(lambda g, y, x: (lambda: x)(), 1) == (False, True)    # read by an inner function
    assert release.reads(partial(lambda g, y, x, index: g * y, index=0), 1) == (True, False)

    class Rule:
        def __call__(self, g, y, x):
            return g
    assert release.reads(Rule(), 1) == (True, True)         # not plain code: everything


def test_large_anonymous_values_are_released_and_the_tree_says_so():
    r = gradcli.grad("C = A @ B\nsum(tanh(C) * 2) + sum(A)", A=BIG, B=BIG.T)
    kept = gradcli.evaluate("C = A @ B\nsum(tanh(C) * 2) + sum(A)", A=BIG, B=BIG.T)
    assert r.value == kept.value
    y = r.tensor
    left, right = y.parents
    mul = left.parents[0]
    tanh = mul.parents[0]
    assert isinstance(mul.data, Released) and isinstance(tanh.data, Released)
    assert tanh.shape == (400, 400) and tanh.parents[0].name == "C"
    assert isinstance(tanh.parents[0].data, np.ndarray)             # a binding's value stays
    assert isinstance(right.parents[0].data, np.ndarray)            # an input's too
    assert "tanh  (400, 400)  released" in str(r)


def test_releasing_changes_no_gradient_and_small_values_stay():
    program = "H = tanh(X @ W + b)\nmean(logsumexp(H @ V, axis=1) - sum(H, axis=1))"
    inputs = dict(X=BIG[:, :300], W=BIG[:300, :200] / 9, b=BIG[0, :200], V=BIG[:200, :7])
    grads = []
    for free in (False, True):
        session = api.setup(inputs)
        y = api.run_program(program, session)
        grads.append(api.differentiate(y, session, release=free))
        small = y.parents[0]                                          # (400,) values: kept whatever reads them
        assert isinstance(small.data, np.ndarray)
    assert grads[0].keys() == grads[1].keys()
    assert all(np.array_equal(grads[0][k], grads[1][k]) for k in grads[0])


def test_a_graph_differentiated_again_keeps_its_values():
    """grad --hessian and --grads walk the graph again: nothing is released."""
    session = api.setup({"A": BIG})
    y = api.run_program("sum(sin(A * 2))", session)
    api.differentiate(y, session)
    assert isinstance(y.parents[0].data, np.ndarray)


def test_a_view_is_kept_its_release_would_free_nothing():
    r = gradcli.grad("sum(sin(A.T) * 2)", A=BIG)
    sin = r.tensor.parents[0].parents[0]
    view = sin.parents[0]
    assert isinstance(sin.data, Released) and isinstance(view.data, np.ndarray)
    assert view.op.name == "transpose" and "transpose  (400, 400)  released" not in str(r)


def test_the_notebooks_hessian_walks_a_graph_nothing_released():
    """gradcli.notebook.hessian differentiates the graph of its grad again."""
    from gradcli import notebook
    h = notebook.hessian("sum(sin(ones(50000, 3) * x))", x=np.array([0.1, 0.2, 0.3]))
    s = -np.sin([0.1, 0.2, 0.3]) * 50000
    assert np.allclose(h.story.matrix, np.diag(s))


def test_the_heap_hands_the_walk_every_node_still_waiting(monkeypatch):
    """A pass by the heap (engine._popped) meets its first large value with
    two nodes waiting, each y's only path to an input: the walk that takes
    over must start from both, and release both products once read."""
    from gradcli.autograd import gradients
    monkeypatch.setattr(release, "RELEASE_FROM", 2)
    session = api.setup({"x": np.ones(3), "y": np.ones(3)})
    y = api.run_program("sum(x * 2) + sum(y * 3)", session)
    with session.evaluating():
        found = gradients(y, session.inputs, release=True, all_leaves=True)
    x, z = session.inputs
    assert set(found) == {id(x), id(z)}         # the others' cotangents let go on the way
    assert found[id(x)].data.tolist() == [2.0] * 3 and found[id(z)].data.tolist() == [3.0] * 3
    products = [t.parents[0] for t in y.parents]
    assert all(isinstance(p.data, Released) for p in products)
