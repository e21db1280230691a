"""SPEC section 1, builtins: the scans, order statistics and selections by
index arrays (gradcli/ops/scan.py, select.py), in what the table's generated
checks do not reach: index arrays as data, checked with errors that name the
op, the axis and its size; repeated indices adding up at every order;
PyTorch's choices among ties; cumprod exact at zeros to the third order;
logcumsumexp at extreme values; and 0-d arrays taken as PyTorch takes them."""
from __future__ import annotations

import itertools
import math
import re

import numpy as np
import pytest

import gradcli
from gradcli.errors import ArgumentError, ComputeError, ShapeError

X = [[3.0, 1.0, 2.0, 1.0], [0.5, -1.0, 4.0, 4.0]]


def value(program, **at):
    return np.asarray(gradcli.evaluate(program, at=at).value)


# ---- selection by index arrays
@pytest.mark.parametrize("program, error, words", [
    ("gather(x, 1, [[4, 0]])", ShapeError, "gather: index 4 is out of range for axis 1 of size 4"),
    ("gather(x, 1, [[-1, 0]])", ShapeError, "gather: index -1 is out of range for axis 1 of size 4"),
    ("index_select(x, 0, [0, 2])", ShapeError, "index_select: index 2 is out of range for axis 0 of size 2"),
    ("take_along_dim(x, [[-5]], 1)", ShapeError, "take_along_dim: index -5 is out of range for axis 1 of size 4"),
    ("scatter_add(x, 0, [[2]], [[1.0]])", ShapeError, "scatter_add: index 2 is out of range for axis 0 of size 2"),
    ("index_add(x, 1, [0, 4], [[1, 2], [3, 4]])", ShapeError, "index_add: index 4 is out of range for axis 1"),
    ("gather(x, 1, [[0.5]])", ArgumentError, "gather: an index must be a whole number, not 0.5"),
    ("gather(x, 1, [[nan]])", ArgumentError, "gather: an index must be a whole number, not nan"),
    ("gather(x, 1, [0])", ShapeError, "gather: index has 1 axes and x 2"),
    ("gather(x, 1, [[0], [1], [0]])", ShapeError, "index has 3 elements on axis 0, more than x's 2"),
    ("index_select(x, 0, [[0]])", ShapeError, "index_select: index must be a vector"),
    ("index_add(x, 0, [0], [1, 2])", ShapeError, "index_add: source has shape (2,)"),
    ("take_along_dim(x, [[0], [1], [0]], 1)", ShapeError, "do not broadcast on the axes other than 1"),
])
def test_index_arrays_are_checked_and_errors_name_the_op_axis_and_size(program, error, words):
    with pytest.raises(error, match=re.escape(words)):
        gradcli.evaluate(program, x=X)


def test_take_along_dim_counts_negative_indices_from_the_end_as_pytorch():
    np.testing.assert_array_equal(value("take_along_dim(x, [[-1], [0]], 1)", x=X), [[1.0], [0.5]])
    np.testing.assert_array_equal(value("take_along_dim(x, [7, -8])", x=X), [4.0, 3.0])     # flattened


def test_repeated_indices_add_up_to_every_order_and_indices_get_no_gradient():
    r = gradcli.grad("sum(index_select(x, 0, idx) ^ 3)", x=[1.0, 2.0, 3.0], idx=[0.0, 0.0, 2.0])
    assert set(r.grads) == {"x"}                           # the indices are data
    np.testing.assert_array_equal(r.grads["x"], [6.0, 0.0, 27.0])
    h = value("hessian(sum(index_select(x, 0, [0, 0, 2]) ^ 3), x)", x=[1.0, 2.0, 3.0])
    np.testing.assert_array_equal(h, np.diag([12.0, 0.0, 18.0]))
    g = gradcli.grad("sum(gather(x, 1, [[1, 1, 0], [0, 0, 0]]))", x=[[1.0, 2.0], [3.0, 4.0]]).grads["x"]
    np.testing.assert_array_equal(g, [[1.0, 2.0], [3.0, 0.0]])


def test_scatter_and_index_add_send_the_gradient_back_as_gathers():
    r = gradcli.grad("sum(scatter_add(x, 0, [[1, 1]], s) * [[1, 2], [3, 4]])", x=[[0.0, 0.0], [0.0, 0.0]],
                     s=[[1.0, 1.0, 1.0]])
    np.testing.assert_array_equal(r.grads["s"], [[3.0, 4.0, 0.0]])       # src's block beyond index: 0
    r = gradcli.grad("sum(index_add(x, 0, [2, 0, 2], s, alpha=2) * w)", x=[1.0, 2.0, 3.0], s=[1.0, 1.0, 1.0],
                     w=[10.0, 20.0, 30.0])
    np.testing.assert_array_equal(r.grads["s"], [60.0, 20.0, 60.0])
    np.testing.assert_array_equal(r.grads["x"], [10.0, 20.0, 30.0])


def test_a_0d_array_is_one_element_along_axis_0_as_in_pytorch():
    assert value("gather(x, 0, 1)", x=[5.0, 6.0]) == 6.0
    assert value("gather(x, 0, [0, 0])", x=5.0).tolist() == [5.0, 5.0]
    assert value("index_select(x, 0, [0])", x=5.0).shape == ()
    assert value("scatter_add(x, 0, [0], [1, 2])", x=5.0) == 6.0
    assert value("index_add(x, 0, [0], 2, alpha=3)", x=5.0) == 11.0
    with pytest.raises(ShapeError, match="a 0-d x has one element to select, not 2"):
        gradcli.evaluate("index_select(x, 0, [0, 0])", x=5.0)


# ---- order statistics
def test_results_of_order_statistics_are_indices_of_x():
    np.testing.assert_array_equal(value("x[sort(x).indices] - sort(x).values", x=[3.0, -1.0, 2.0]), [0, 0, 0])
    assert value("flatten(x)[argmax(x)]", x=X) == 4.0
    np.testing.assert_array_equal(value("argmax(x, 1, keepdim=True)", x=X), [[0.0], [2.0]])
    g = gradcli.grad("x[argmax(x)] + x[argmin(x)]", x=[2.0, -1.0, 5.0, 5.0]).grads["x"]
    np.testing.assert_array_equal(g, [0.0, 1.0, 1.0, 0.0])                # the first of ties


@pytest.mark.parametrize("program, want", [
    ("sort(x, descending=True).indices", [1, 3, 0, 4, 2]),   # stable: tied 5s keep their order
    ("sort(x).indices", [2, 0, 4, 1, 3]),
    ("argsort(x, descending=True)", [1, 3, 0, 4, 2]),
    ("topk(x, 2).indices", [1, 3]),                           # of ties, the first
    ("topk(x, 3, largest=False).indices", [2, 0, 4]),
    ("kthvalue(x, 2).indices", 0),
    ("median(x, 0).indices", 4),                              # the lower median's place in the stable order
    ("cummax(x, 0).indices", [0, 1, 1, 3, 3]),                # of ties, the last, as PyTorch's loop
    ("cummin(x, 0).indices", [0, 0, 2, 2, 2]),
])
def test_ties_are_broken_as_the_stable_order_and_pytorchs_loops_break_them(program, want):
    np.testing.assert_array_equal(value(program, x=[1.0, 5.0, -2.0, 5.0, 1.0]), want)


def test_nans_sort_last_and_first_when_descending_and_propagate_through_medians():
    x = [1.0, math.nan, 0.0, math.nan]
    np.testing.assert_array_equal(value("sort(x).indices", x=x), [2, 0, 1, 3])
    np.testing.assert_array_equal(value("sort(x, descending=True).indices", x=x), [1, 3, 0, 2])
    assert value("argmax(x)", x=x) == 1 and value("argmin(x)", x=x) == 1
    assert value("median(x, 0).indices", x=x) == 1 and math.isnan(value("median(x)", x=x))
    assert math.isnan(value("quantile(x, 0.1)", x=x))


def test_median_with_no_axis_shares_the_gradient_among_equal_elements_as_pytorch():
    g = gradcli.grad("median(x)", x=[1.0, 2.0, 2.0, 3.0, 2.0]).grads["x"]
    np.testing.assert_allclose(g, [0, 1 / 3, 1 / 3, 0, 1 / 3], rtol=0, atol=1e-15)
    g = gradcli.grad("median(x, 0).values", x=[1.0, 2.0, 2.0, 3.0, 2.0]).grads["x"]
    np.testing.assert_array_equal(g, [0, 0, 1, 0, 0])


def test_quantile_interpolates_sorted_values_and_q_is_data():
    r = gradcli.grad("sum(quantile(x, q))", x=[4.5, 1.0, 3.0, 2.0], q=[0.3, 0.75])
    assert set(r.grads) == {"x"}
    np.testing.assert_allclose(r.value, 1.9 + 3.375)
    np.testing.assert_allclose(r.grads["x"], [0.25, 0.1, 0.75, 0.9])
    assert value("quantile(x, [0.25, 0.5], dim=1, keepdim=True)", x=X).shape == (2, 2, 1)
    with pytest.raises(ComputeError, match=re.escape("quantile: q must lie in [0, 1]")):
        gradcli.evaluate("quantile(x, 1.5)", x=X)
    with pytest.raises(ShapeError, match="q must be a number or a vector"):
        gradcli.evaluate("quantile(x, [[0.5]])", x=X)


@pytest.mark.parametrize("program, words", [
    ("topk(x, 5)", "topk: k must be from 0 to 4 (the size of axis 1), not 5"),
    ("kthvalue(x, 0, 0)", "kthvalue: k must be from 1 to 2 (the size of axis 0), not 0"),
])
def test_k_out_of_range_names_the_axis_and_its_size(program, words):
    with pytest.raises(ShapeError, match=re.escape(words)):
        gradcli.evaluate(program, x=X)


@pytest.mark.parametrize("program", ["sort(x).values", "sort(x).indices", "topk(x, 1).values", "msort(x)",
                                     "median(x, 0).indices", "kthvalue(x, 1).values", "cummax(x, 0).indices",
                                     "cumsum(x, 0)", "cumprod(x, -1)", "logcumsumexp(x, 0)", "argmax(x, 0)",
                                     "quantile(x, 0.5, dim=0)"])
def test_a_0d_array_gives_0d_results_as_in_pytorch(program):
    out = value(program, x=3.0)
    assert out.shape == () and out in (0.0, 3.0)


# ---- scans
def test_cumprod_is_exact_at_zeros_to_the_third_order():
    """sum(cumprod(x)) is multilinear, so differences of step 1 give its
    mixed partial derivatives exactly: the third-order tensor at a point with
    two zeros is held to them with no tolerance for rounding beyond 1e-12."""
    x0 = np.array([2.0, 0.0, 3.0, 0.0])
    f = lambda x: np.sum(np.cumprod(x))             # noqa: E731
    want = np.zeros((4, 4, 4))
    for i, j, k in itertools.permutations(range(4), 3):
        for signs in itertools.product((1, -1), repeat=3):
            step = np.zeros(4)
            step[[i, j, k]] = signs
            want[i, j, k] += np.prod(signs) * f(x0 + step) / 8
    got = value("jacobian(hessian(sum(cumprod(x, 0)), x), x)", x=x0.tolist())
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


def test_logcumsumexp_neither_overflows_nor_underflows():
    np.testing.assert_allclose(value("logcumsumexp(x, 0)", x=[1000.0, 1000.0, -1000.0]),
                               [1000.0, 1000 + math.log(2), 1000 + math.log(2)])
    np.testing.assert_array_equal(value("logcumsumexp(x, 0)", x=[-1000.0, 0.0]), [-1000.0, 0.0])
    g = gradcli.grad("sum(logcumsumexp(x, 0))", x=[-1000.0, 1000.0, 0.0]).grads["x"]
    np.testing.assert_array_equal(g, [1.0, 2.0, 0.0])
