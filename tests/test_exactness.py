"""SPEC section 1, what is differentiated, at singular points: where
PyTorch's rule masks 0·inf or 0/0, gradcli gives PyTorch's number, not nan.
Each row was a defect (values from PyTorch 2.13, float64); the scalar rows
run `gradcli grad --json`, the rows whose result is an array `gradcli eval`."""
from __future__ import annotations

import numpy as np
import pytest

import gradcli
from gradcli.errors import ShapeError

GRAD_ROWS = [
    ("std(x)", {"x": "[2, 2, 2]"}, 0.0, {"x": [0, 0, 0]}),
    ("std(x*ones(3))", {"x": "1"}, 0.0, {"x": 0}),
    ("norm(std(m*ones((3,3)), axis=1))", {"m": "-1.5796305046380446"}, 0.0, {"m": 0}),
    ("sum(x^0)", {"x": "[0, 1]"}, 2.0, {"x": [0, 0]}),
    ("norm(x, 1.5)", {"x": "[0, 0]"}, 0.0, {"x": [0, 0]}),
    ("sum(atan2(x, x))", {"x": "[0, 1]"}, np.pi / 4, {"x": [0, 0]}),
    ("max(atan2(y, x))", {"x": "[0, -1]", "y": "[0, 0]"}, np.pi, {"x": [0, 0], "y": [0, -1]}),
    ("floor(x)", {"x": "1.5"}, 1.0, {"x": 0}),
]

EVAL_ROWS = [
    ("hessian(sum(x^1), x)", {"x": "[0, 1]"}, [[0, 0], [0, 0]]),
    ("jacobian(hessian(sum(x^2), x), x)", {"x": "0"}, 0),
    ("h = round(x); grad(sum(h^2), h)", {"x": "[0.3, -1.2, 2.6]"}, [0, -2, 6]),
    ("h = round(x); jacobian(h, h)", {"x": "[0.3, -1.2, 2.6]"}, np.eye(3)),
    ("hessian(prod(x), x)", {"x": "[0, 0, 1]"}, [[0, 1, 0], [1, 0, 0], [0, 0, 0]]),
    ("jacobian(hessian(prod(x*ones(3)), x), x)", {"x": "0"}, 6),
]


def _at(inputs):
    return [a for name, v in inputs.items() for a in ("--at", f"{name}={v}")]


@pytest.mark.parametrize("program, inputs, value, grads", GRAD_ROWS, ids=[r[0] for r in GRAD_ROWS])
def test_gradient_at_a_singular_point_is_pytorchs(cli, program, inputs, value, grads):
    r = cli("grad", program, *_at(inputs), "--json")
    assert r.code == 0 and "warning" not in r.err, r.err
    doc = r.json()
    assert doc["value"] == pytest.approx(value, abs=1e-15)
    assert doc["grads"].keys() == grads.keys()
    for name, want in grads.items():
        np.testing.assert_allclose(doc["grads"][name], want, rtol=1e-15, atol=1e-15)


@pytest.mark.parametrize("program, inputs, value", EVAL_ROWS, ids=[r[0] for r in EVAL_ROWS])
def test_derivative_at_a_singular_point_is_pytorchs(cli, program, inputs, value):
    r = cli("eval", program, *_at(inputs), "--json")
    assert r.code == 0 and "warning" not in r.err, r.err
    np.testing.assert_allclose(r.json()["value"], value, rtol=1e-15, atol=1e-15)


def test_equal_elements_have_exactly_zero_variance():
    """The mean is taken about the first element, so it reproduces equal elements exactly."""
    for v in (-1.5796305046380446, 0.1, 1e300 / 7):
        assert gradcli.evaluate("var(x * ones(7))", x=v).value == 0.0
        assert gradcli.evaluate("std(x * ones((3, 5)), axis=1)", x=v).value.tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("program", ["max(x)", "min(-x)", "sum(relu(x - 1.5))", "sum(maximum(x, 1.5))",
                                     "sum(clip(x, 1.5, 2.5))"])
def test_a_selecting_rule_sends_exactly_zero_to_the_unselected(program):
    """An infinite incoming gradient reaches only the selected elements: the
    others get 0, not 0·inf = nan (the rule selects with where)."""
    r = gradcli.evaluate(f"grad(1e308 * 10 * {program}, x)", x=[1.0, 2.0])
    assert r.value.tolist() == ([0.0, -np.inf] if program.startswith("min") else [0.0, np.inf])


def test_max_of_a_nan_selects_the_nan():
    """PyTorch's max(): a nan is the maximum, and its gradient goes there."""
    np.testing.assert_array_equal(gradcli.grad("max(x)", x=[1.0, np.nan]).grads["x"], [0, 1])


def test_input_through_a_zero_gradient_op_is_reported_everywhere(cli):
    """floor(x): x is an input with gradient 0 in the tree, the JSON and check."""
    assert "grad 0" in cli("grad", "floor(x)", "--at", "x=1.5").out
    r = cli("check", "floor(x)", "--at", "x=1.5")
    assert r.code == 0 and "x " in r.out and "agree" in r.out, r.out + r.err


def test_an_input_used_only_as_a_mask_has_no_gradient():
    """SPEC: a comparison operand is not listed."""
    assert gradcli.grad("sum(where(x > 0, y, 0))", x=[1.0, -1.0], y=[2.0, 3.0]).grads.keys() == {"y"}


def test_wrt_an_intermediate_from_the_command_line(cli):
    r = cli("grad", "x = ones(2); z = 4*x*x; norm(z)", "--wrt", "z")
    assert r.code == 0, r.err
    assert "∂/∂z" in r.out and "intermediate" in r.out
    assert "z = mul  (2,)  [4, 4]  grad [0.7071, 0.7071]" in r.out
    doc = cli("grad", "x = ones(2); z = 4*x*x; norm(z)", "--wrt", "z", "--json").json()
    np.testing.assert_allclose(doc["grads"]["z"], [2 ** -0.5] * 2)


def test_check_of_an_intermediate_is_a_clear_usage_error(cli):
    r = cli("check", "x = ones(2); z = 4*x*x; norm(z)", "--wrt", "z")
    assert r.code == 2 and "intermediate" in r.err and "Traceback" not in r.err


# ---- the deliberate differences from PyTorch the README lists, each pinned
def test_norm_has_a_zero_second_derivative_at_zero():
    """PyTorch: nan. The first derivative is 0 there for both; gradcli differentiates that 0."""
    assert gradcli.evaluate("hessian(norm(x), x)", x=[0.0, 0.0]).value.tolist() == [[0, 0], [0, 0]]


def test_mean_over_an_empty_tuple_of_axes_reduces_nothing():
    """NumPy's meaning of axis=() (PyTorch reduces over every axis)."""
    assert gradcli.evaluate("mean(x, axis=())", x=[1.0, 2.0]).value.tolist() == [1.0, 2.0]


def test_squeezing_an_axis_that_is_not_1_is_an_error(cli):
    """PyTorch returns x unchanged; gradcli names the axis and its size."""
    r = cli("eval", "squeeze(x, axis=0)", "--at", "x=[1, 2]")
    assert r.code == 1 and "axis 0 has size 2, not 1" in r.err


# ---- found by bench/torch_diff.py against PyTorch 2.13
def test_det_gradient_is_the_cofactor_matrix_even_at_a_singular_matrix():
    """det is a polynomial: its derivative exists everywhere (PyTorch gives 0 at rank n - 1)."""
    r = gradcli.grad("det(x)", x=[[1.0, 2.0], [2.0, 4.0]])
    np.testing.assert_array_equal(r.grads["x"], [[4, -2], [-2, 1]])
    h = gradcli.evaluate("hessian(det(x), x)", x=np.ones((3, 3))).value
    np.testing.assert_allclose(h.reshape(9, 9).sum(), 0, atol=1e-12)     # exact, not nan
    assert np.isfinite(h).all()


def test_a_scalar_has_axis_0_and_minus_1():
    assert gradcli.evaluate("log_softmax(0.5, 0)").value == 0
    assert gradcli.grad("softmax(x, -1)", x=0.3).grads["x"] == 0
    assert gradcli.grad("sum(x, dim=0) + transpose(x, 0, -1)", x=0.3).grads["x"] == 2
    with pytest.raises(ShapeError):
        gradcli.evaluate("sum(x, 1)", x=0.3)


def test_broadcast_to_keeps_a_size_given_as_minus_1():
    r = gradcli.grad("sum(broadcast_to(x, (3, -1)))", x=[[1.0, 2.0]])
    assert r.value == 9 and r.grads["x"].tolist() == [[3, 3]]


def test_a_literal_exponent_is_a_number():
    """x^2's third derivative is exactly 0 at any point, and nothing flows through x^0."""
    assert gradcli.evaluate("h = hessian(sum(y^2), y); grad(sum(x ** (h * 0 + 1)), y)", x=-1.0, y=0.0).value == 0
    assert gradcli.evaluate("grad(sum(asin(x * 0) ^ 0), x)", x=[0.5]).value.tolist() == [0]


def test_prod_with_two_zeros_sends_exactly_zero_under_an_infinite_gradient():
    r = gradcli.grad("reciprocal(prod(x))", x=[[0.0, 0.0], [0.0, 0.0]])
    assert r.grads["x"].tolist() == [[0, 0], [0, 0]]


def test_a_nan_makes_det_nan():
    assert np.isnan(gradcli.evaluate("det(x)", x=[[np.nan, 1.0], [1.0, 1.0]]).value)
