"""Honest checks (issue 16): `check` blames a kink on the element that
disagrees, steps one-sided at a domain's edge and calls an infinite
derivative infinite, names the first operation whose own rule is wrong
(--per-op), and `explain` keeps a long sum short unless --full."""
from __future__ import annotations

import math
from functools import partial

import numpy as np
import pytest

from gradcli.gradcheck import check_function
from gradcli.ops import BUILTINS, TABLE, F
from gradcli.ops.core import call


def _squashed(text: str) -> str:
    """Wrapped console text as one line (hints wrap at the console's width)."""
    return " ".join(text.split())


# ---- a kink is blamed on the element that disagrees
def test_a_kink_is_blamed_on_the_element_whose_step_crosses_it(cli):
    """x[0] sits on abs's kink, but autograd (0) and the difference (0) agree
    there; x[1] = 1e-9 is off the kink, yet its step straddles it."""
    r = cli("check", "sum(abs(x))", "--at", "x=[0.0, 1e-9]")
    assert r.code == 1
    assert "mismatch at x[1]: autograd 1, numeric 0.0002" in r.out
    assert "kink at x[1]: slope -0.9997 from the left, 1 from the right" in r.out
    assert "x[0]" not in r.out
    hint = _squashed(r.err)
    assert "x[1] is on a kink, or within a step" in hint and "x[0]" not in hint


def test_the_json_lists_the_elements_that_disagree_and_their_kinks(cli):
    r = cli("check", "sum(abs(x))", "--at", "x=[0.0, 1e-9]", "--json")
    assert r.code == 1
    x = r.json()["inputs"]["x"]             # one document on stdout: the comparison
    assert x["ok"] is False and x["mismatches"] == [[1]]
    assert [k["index"] for k in x["kinks"]] == [[1]] and x["kinks"][0]["right"] == pytest.approx(1)
    assert "x[1] is on a kink" in _squashed(r.err)


def test_a_scalar_at_a_kink_keeps_its_hint(cli):
    r = cli("check", "relu(x)", "--at", "x=0")
    assert r.code == 1 and "kink at x: slope 0 from the left, 1 from the right" in r.out
    assert "mismatch at" not in r.out       # a scalar's two numbers are the table's row already


# ---- the edge of a domain
def test_sqrt_at_zero_steps_right_and_says_the_derivative_is_infinite(cli):
    r = cli("check", "sqrt(x)", "--at", "x=0")
    assert r.code == 0, r.err
    assert "one-sided at x: x - h is outside the domain" in r.out
    assert "infinite at x: autograd gives inf, and the differences grow without bound" in r.out
    assert "both say the derivative is infinite at x" in r.out
    assert "wrong" not in r.out + r.err


def test_sqrt_at_zero_in_json(cli):
    x = cli("check", "sqrt(x)", "--at", "x=0", "--json").json()["inputs"]["x"]
    assert x["ok"] is True and x["autograd"] == "inf"
    assert x["one_sided"] == [{"index": [], "side": "right", "outside": "x - h"}]
    steps = x["infinite"][0]["differences"]
    assert x["infinite"][0]["index"] == [] and steps[0] < steps[1] < steps[2]      # growing as h shrinks
    assert x["abs_err"] is None             # nothing was compared as two numbers


def test_the_element_inside_the_domain_compares_as_usual(cli):
    doc = cli("check", "sum(sqrt(x))", "--at", "x=[0, 4]", "--json").json()
    x = doc["inputs"]["x"]
    assert doc["ok"] is True and x["numeric"][1] == pytest.approx(0.25, abs=1e-9)
    assert [s["index"] for s in x["one_sided"]] == [[0]] and [i["index"] for i in x["infinite"]] == [[0]]
    assert x["abs_err"] < 1e-9              # x[1]'s error; x[0]'s infinity is not counted


def test_acos_at_one_steps_left():
    """The upper edge: x + h is outside, the difference steps left only."""
    import gradcli
    c = gradcli.check("acos(x)", x=1.0)
    x = c.data["inputs"]["x"]
    assert c.ok and x["one_sided"][0]["side"] == "left" and x["autograd"] == "-inf"


def _edge(f):
    """f on x >= 0, nan below: a domain with an edge at 0."""
    return lambda xs: f(float(xs[0])) if xs[0] >= 0 else math.nan


def test_the_one_sided_difference_is_second_order():
    """At the edge, x^3 + x^2 + x has slope 1: a first-order difference is off
    by about h = 6e-6, beyond the tolerance; the second-order one is not."""
    [c] = check_function(_edge(lambda x: x ** 3 + x ** 2 + x), [np.array(0.0)], [np.array(1.0)], ["x"])
    assert c.ok and c.one_sided == [((), 1)] and abs(c.numeric - 1) < 1e-9


def test_an_infinite_gradient_where_the_slope_is_finite_disagrees():
    [c] = check_function(_edge(lambda x: 2 * x), [np.array(0.0)], [np.array(math.inf)], ["x"])
    assert not c.ok and c.settles and not c.infinite


def test_a_finite_gradient_where_the_slope_is_infinite_disagrees():
    [c] = check_function(_edge(math.sqrt), [np.array(0.0)], [np.array(0.0)], ["x"])
    assert not c.ok and c.mismatches == [()]


def test_a_point_too_close_to_the_edge_is_said_so(cli):
    """log at 1e-12 with a step of 6e-6: the one-sided difference cannot see
    the slope of 1e12, and the hint says why rather than blaming a rule."""
    r = cli("check", "sqrt(x) + log(x)", "--at", "x=1e-12")
    assert r.code == 1 and "one-sided at x: x - h is outside the domain" in r.out
    hint = _squashed(r.err)
    assert "within a step (h = 6.055e-06) of the domain's edge" in hint and "wrong" not in hint


def test_a_result_outside_its_domain_is_no_slope(cli):
    r = cli("check", "sum(sqrt(x))", "--at", "x=[-1, 4]")
    assert r.code == 1 and "the result is nan at this point" in r.err and "Traceback" not in r.err


def test_nan_from_zero_times_infinity_is_explained(cli):
    r = cli("check", "sum(sqrt(x) * 0) + sum(x)", "--at", "x=[0, 1]")
    assert r.code == 1 and "mismatch at x[0]: autograd nan, numeric 1" in r.out
    assert "an infinite local derivative met a zero" in _squashed(r.err)


def test_a_step_too_coarse_is_told_from_a_wrong_rule(cli):
    """softsign's second derivative jumps at 0: the central difference is off
    by O(h) there, and closes in on autograd's 1 as the step shrinks."""
    r = cli("check", "sum(x / (1 + abs(x)))", "--at", "x=[-2, 0, 2]", "--json")
    x = r.json()["inputs"]["x"]
    assert r.code == 1 and x["mismatches"] == [[1]] and [c["index"] for c in x["converging"]] == [[1]]
    errors = x["converging"][0]["errors"]
    assert errors[0] > 2 * errors[1] > 4 * errors[2]
    assert "its value is their limit" in _squashed(r.err)


# ---- --per-op: the first operation whose own rule is wrong
@pytest.fixture
def wrong_sin(monkeypatch):
    """sin with the derivative of -cos (a sign slip), wherever sin is looked up."""
    wrong = TABLE["sin"].replaced(grads=(lambda g, y, x: -g * F.cos(x),))
    monkeypatch.setitem(TABLE, "sin", wrong)
    monkeypatch.setitem(BUILTINS, "sin", wrong)
    monkeypatch.setattr(F, "sin", partial(call, wrong), raising=False)


CHAIN = "x = [0.3, 1.2]\ny = exp(x)\nz = sin(y) * x\nsum(sin(z))"


def test_per_op_names_the_first_wrong_rule_and_points_at_it(cli, wrong_sin):
    r = cli("check", CHAIN, "--per-op")
    assert r.code == 1
    assert "per-op: the rule of sin (line 3, column 5) disagrees" in r.out
    assert "the gradient rule of sin disagrees with finite differences of sin alone" in r.err
    assert "program:3:5" in r.err and "3 | z = sin(y) * x" in r.err and "^^^^^^" in r.err


def test_per_op_in_json(cli, wrong_sin):
    doc = cli("check", CHAIN, "--per-op", "--json").json()
    first = doc["per_op"]["first"]
    assert doc["ok"] is False and doc["per_op"]["ok"] is False
    assert (first["op"], first["argument"], first["line"], first["column"]) == ("sin", "x", 3, 5)
    assert doc["per_op"]["checked"] == 2         # exp agreed, then sin did not


def test_without_per_op_the_hint_points_to_it(cli, wrong_sin):
    r = cli("check", CHAIN)
    assert r.code == 1 and "--per-op to find the first operation" in _squashed(r.err)


def test_per_op_agrees_where_every_rule_is_right(cli):
    r = cli("check", CHAIN, "--per-op")
    assert r.code == 0, r.err
    assert "per-op: 5 operations checked: every rule agrees" in r.out
    doc = cli("check", CHAIN, "--per-op", "--json").json()
    assert doc["per_op"] == {"checked": 5, "skipped": 0, "ok": True, "first": None, "kinks": []}


def test_per_op_names_the_argument_of_a_binary_op(cli, monkeypatch):
    wrong = TABLE["mul"].replaced(grads=(TABLE["mul"].grads[0], lambda g, y, a, b: g * b))
    monkeypatch.setitem(TABLE, "mul", wrong)
    monkeypatch.setattr(F, "mul", partial(call, wrong), raising=False)
    doc = cli("check", "sum(x * w)", "--at", "x=[1, 2]", "--at", "w=[3, 5]", "--per-op", "--json").json()
    assert doc["per_op"]["first"]["op"] == "mul" and doc["per_op"]["first"]["argument"] == "b"


def test_a_kink_inside_is_no_wrong_rule(cli):
    """relu at 0 disagrees with its own differences, but a kink explains it;
    the program (relu's part times 0) agrees, and so does the check."""
    r = cli("check", "sum(relu(x) * 0) + sum(x)", "--at", "x=[0, 1]", "--per-op")
    assert r.code == 0, r.err
    assert "per-op: relu (line 1, column 5) is on a kink at its argument x[0]" in _squashed(r.out)
    doc = cli("check", "sum(relu(x) * 0) + sum(x)", "--at", "x=[0, 1]", "--per-op", "--json").json()
    assert [k["op"] for k in doc["per_op"]["kinks"]] == ["relu"] and doc["per_op"]["first"] is None


def test_the_repl_check_names_the_element_too(cli):
    r = cli("repl", input="x = [0.0, 1e-9]\n:check sum(abs(x))\n")
    assert "kink at x[1]" in r.out and "kink at x[0]" not in r.out


# ---- explain: a long sum is abbreviated as the steps are
def _chain(n: int) -> str:
    """Every line reads x0, so dL/dx0 adds up n + 1 terms."""
    return "x0 = 1.0\n" + "".join(f"x{i} = x{i - 1} * 1.0001 + x0\n" for i in range(1, n + 1)) + f"x{n}"


def test_explain_keeps_a_long_sum_short(cli):
    r = cli("explain", _chain(500))
    assert r.code == 0, r.err
    assert len(r.out.splitlines()) < 250
    assert "+ … 493 more terms   (--full shows them)" in r.out
    sum_lines = r.out[r.out.index("Gradients of the inputs"):].splitlines()
    assert sum_lines[1].split()[:3] == ["dL/dx0", "=", "1"] and "from x500" in sum_lines[1]
    assert "from x0*1.0001" in sum_lines[-2] and sum_lines[-1].split()[0] == "="


def test_explain_full_shows_every_term(cli):
    r = cli("explain", _chain(500), "--full")
    tail = r.out[r.out.index("Gradients of the inputs"):]
    assert "more terms" not in r.out and tail.count("  from x") == 501
    doc = cli("explain", _chain(500), "--json").json()
    assert len(doc["accumulation"]["x0"]) == 501         # JSON is never abbreviated


def test_a_short_sum_is_shown_whole(cli):
    """Nine terms (2·4 + 1) are no longer than four, a line of '…', and four."""
    out = cli("explain", _chain(8)).out
    assert "more terms" not in out and out[out.index("Gradients of the inputs"):].count("  from x") == 9


def test_a_check_too_long_to_run_is_refused_with_its_estimate(cli, monkeypatch):
    """Issue 18: 100,000 inputs ran past two minutes in silence; the work is estimated first."""
    from gradcli import checking
    monkeypatch.setattr(checking, "CHECK_SECONDS", 0.001)
    r = cli("check", "sum(x^2)", "--at", "x=randn(1000)")
    assert r.code == 2 and "check would run the program 2,000 times (two per element of x)" in r.err
