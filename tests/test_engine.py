"""The autograd engine: recording, reverse pass, accumulation, broadcasting,
and derivatives of any order (SPEC section 1, "calculus")."""
from __future__ import annotations

import gc
import sys
from collections import Counter

import numpy as np
import pytest

import gradcli
from gradcli.autograd import Tensor, backward, gradients, toposort
from gradcli.collector import collecting
from gradcli.errors import GradcliError, NotScalarError
from gradcli.interpret import Session
from gradcli.ops import F


def leaf(bk, value, key="x"):
    return Tensor.constant(value, bk).as_input(key)


@pytest.mark.parametrize("requires, const", [(False, False), (True, False), (False, True)])
def test_node_makes_the_tensor_the_constructor_makes(bk, requires, const):
    """tensor.node, the operations' quick constructor, sets every slot as
    Tensor() does (a slot it forgot would raise when read; one it set
    otherwise would show here), the id apart: the next in creation order."""
    from gradcli.autograd.tensor import node
    parent = Tensor(bk.asarray([1.0, 2.0]), bk)
    made, built = node(parent.data * 2, bk, F.mul, (parent,), requires, const), \
        Tensor(parent.data * 2, bk, F.mul, (parent,), None, requires, const)
    for name in Tensor.__slots__:
        if name == "data":
            assert np.array_equal(made.data, built.data)
        elif name == "id":
            assert parent.id < made.id < built.id
        else:
            assert getattr(made, name) == getattr(built, name), name


def test_node_used_twice_accumulates(bk):
    x = leaf(bk, [1.0, 2.0])
    y = F.sum(x * x)
    backward(y, [x])
    np.testing.assert_array_equal(x.grad, [2, 4])


def test_leaves_keep_gradients_and_intermediates_record_their_creator(bk):
    x = leaf(bk, [1.0, 1.0])
    z = 4 * x * x
    assert x.is_leaf and not z.is_leaf and z.op.name == "mul" and z.parents[1] is x


def test_broadcast_gradients_are_summed_back_to_each_shape(bk):
    a, b = leaf(bk, np.ones((3, 1)), "a"), leaf(bk, np.ones((1, 4)), "b")
    s = leaf(bk, 2.0, "s")
    y = F.sum((a + b) * s)
    backward(y, [a, b, s])
    assert a.grad.shape == (3, 1) and b.grad.shape == (1, 4) and s.grad.shape == ()
    np.testing.assert_array_equal(a.grad, np.full((3, 1), 8.0))
    assert s.grad == 24


def test_toposort_is_stable_and_parents_come_first(bk):
    x = leaf(bk, 1.0)
    y = F.sin(x) * F.cos(x)
    order = toposort(y)
    assert order[-1] is y and order[0] is x
    assert [t.op.name if t.op else "x" for t in order] == ["x", "sin", "cos", "mul"]


def test_hundred_thousand_step_chain_has_no_recursion(bk):
    limit = sys.getrecursionlimit()
    x = leaf(bk, 0.5)
    t = x
    for _ in range(100_000):
        t = F.sin(t) * 1.0001
    try:
        sys.setrecursionlimit(200)          # any per-node recursion would fail at once
        grads = gradients(t, [x])
    finally:
        sys.setrecursionlimit(limit)
    assert np.isfinite(grads[id(x)].item())


def test_gradient_of_a_non_scalar_is_an_error(bk):
    x = leaf(bk, [1.0, 2.0])
    with pytest.raises(NotScalarError):
        gradients(x * 2, [x])
    with pytest.raises(NotScalarError) as e:
        gradcli.grad("x * 2", x=[1.0, 2.0])
    assert "(2,)" in e.value.message and "jacobian" in e.value.hint


@pytest.mark.parametrize("shape", [(), (1,), (1, 1)])
def test_one_element_results_count_as_scalars(shape):
    r = gradcli.grad("sum(x) * ones(s)", x=[1.0, 2.0], s=list(shape) if shape else 1.0) if shape else \
        gradcli.grad("sum(x)", x=[1.0, 2.0])
    np.testing.assert_array_equal(r.grads["x"], [1, 1])


# ---- derivatives inside programs
def test_hessian_of_a_cubic():
    np.testing.assert_allclose(gradcli.evaluate("hessian(sum(x^3), x)", x=[1.0, 2.0]).value, [[6, 0], [0, 12]])


def test_jacobian_of_softmax_rows_sum_to_zero():
    j = gradcli.evaluate("jacobian(softmax(x), x)", x=[1.0, 2.0, 3.0]).value
    assert j.shape == (3, 3)
    np.testing.assert_allclose(j.sum(axis=1), 0, atol=1e-15)
    s = np.exp([1, 2, 3]) / np.exp([1, 2, 3]).sum()
    np.testing.assert_allclose(j, np.diag(s) - np.outer(s, s))


def test_second_derivative_by_nested_grad():
    v = gradcli.evaluate("y = sum(x^3); grad(sum(grad(y, x)), x)", x=[1.0, -2.0]).value
    np.testing.assert_allclose(v, [6, -12])


def test_third_derivative_by_nesting_three_times():
    v = gradcli.evaluate("grad(grad(grad(sin(x), x), x), x)", x=0.3).value
    assert v == pytest.approx(-np.cos(0.3))


def test_hessian_of_norm():
    x = np.array([1.0, 2.0, 2.0])
    h = gradcli.evaluate("hessian(norm(x), x)", x=x).value
    n = np.linalg.norm(x)
    np.testing.assert_allclose(h, (np.eye(3) - np.outer(x, x) / n**2) / n)


def test_jacobian_shape_is_y_shape_plus_x_shape():
    j = gradcli.evaluate("jacobian(m @ x, m)", m=np.ones((2, 3)), x=[1.0, 2.0, 3.0]).value
    assert j.shape == (2, 2, 3)
    np.testing.assert_allclose(j[0, 0], [1, 2, 3])
    np.testing.assert_allclose(j[0, 1], 0)


def test_gradient_through_a_grad_builtin_is_reported():
    r = gradcli.grad("y = sum(x^3); g = grad(y, x); sum(g * g)", x=[1.0, 2.0])
    np.testing.assert_allclose(r.grads["x"], 2 * 3 * np.array([1, 4]) * 6 * np.array([1, 2]))


def test_grad_with_respect_to_an_unused_input_is_zero():
    np.testing.assert_array_equal(gradcli.evaluate("grad(sum(y), x)", x=[1.0, 2.0], y=[3.0]).value, [0, 0])


def test_grad_builtin_of_a_non_scalar_is_an_exit_1_error():
    with pytest.raises(NotScalarError) as e:
        gradcli.evaluate("grad(x * 2, x)", x=[1.0, 2.0])
    assert e.value.exit_code == 1


def test_numerically_stable_functions_at_extremes():
    for program in ("logsumexp(x)", "sum(softmax(x))", "sum(log_softmax(x))", "sum(sigmoid(x))",
                    "sum(softplus(x))"):
        r = gradcli.grad(program, x=[1000.0, -1000.0, 0.0])
        assert np.isfinite(r.value) and np.all(np.isfinite(r.grads["x"])), program
        assert not r.warnings, program


def test_jacobian_of_an_empty_result_is_empty():
    j = gradcli.evaluate("jacobian(x[0:0], x)", x=[1.0, 2.0]).value
    assert j.shape == (0, 2)


def test_a_gradient_of_an_intermediate_runs_no_rule_below_it():
    """--wrt h: the pass stops at h, as PyTorch's does, so log's rule at 0
    (a division by zero) never runs; with --wrt x it does. (The API's pass
    by the heap, which runs every rule on the way, is for when every input is wanted.)"""
    program, x = "h = log(x)\nsum(h)", np.zeros(2)
    assert [e.gradient for e in gradcli.grad(program, x=x, wrt=["h"]).warnings] == [False]
    assert [e.gradient for e in gradcli.grad(program, x=x, wrt=["x"]).warnings] == [False, True]


CHAIN = "\n".join(["h0 = x"] + [f"h{i} = sin(h{i - 1})*1.0001" for i in range(1, 40)] + ["sum(h39)"])


@pytest.mark.parametrize("program", [
    CHAIN,                                                  # its lines run by kernels
    "f(t) = sum(t^2 * sin(t)); f(x) + sum(grad(f(x), x))",  # a function, grad() in the program
    "sum(jacobian(x^3, x)) + trace(hessian(sum(x^4), x))",
    "sum(x) + nope",                                        # an error
])
def test_a_dropped_result_frees_its_graph_with_no_reference_cycle(program):
    """The API pauses the cycle collector: a graph held in a reference cycle
    (a session and an evaluator that held each other) would stay until the
    collector next ran, over every node, long after its last use."""
    gc.collect()
    with collecting(False):
        try:
            gradcli.grad(program, x=np.array([0.5, 1.5]))
        except GradcliError:
            pass
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            gc.collect()
            left = Counter(type(o).__name__ for o in gc.garbage if isinstance(o, (Tensor, Session)))
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
    assert not left
