"""SPEC.md section 2: `gradcli explain` (the backward pass as a worked
example) and `gradcli plot` (f and df/dx over a range, in the terminal)."""
from __future__ import annotations

import json
import math

import numpy
import pytest
from click.testing import CliRunner

from gradcli.cli import main

TUTORIAL = "x = ones(2); z = 4*x*x; y = z.norm(); y"
ROOT2X4 = 4 * math.sqrt(2)          # 5.656854...: d norm(4x²)/dx at x = (1, 1)


class Run:
    def __init__(self, result):
        self.code, self.out, self.err = result.exit_code, result.stdout, result.stderr

    def json(self):
        return json.loads(self.out)


def gradcli(*args) -> Run:
    runner = CliRunner()
    return Run(runner.invoke(main, list(args), env={"NO_COLOR": "1", "COLUMNS": "80"}, catch_exceptions=False))


def clean_failure(r: Run, code: int) -> None:
    assert r.code == code, (r.out, r.err)
    assert "Traceback" not in r.err and "Traceback" not in r.out
    assert r.err.startswith("error: ")


# ---- explain
def test_explain_tutorial_shows_every_step_in_numbers():
    r = gradcli("explain", TUTORIAL)
    assert r.code == 0, r.err
    lines = [line.rstrip() for line in r.out.splitlines()]
    steps = [line for line in lines if line.startswith("step ")]
    assert [s.split()[2] for s in steps] == ["y", "z", "4*x"]           # from the result down
    assert "∂y/∂z = z/‖z‖" in r.out
    assert "∂z/∂x = 4*x" in r.out and "∂(4*x)/∂x = 4" in r.out            # the local rules
    assert "g·(4*x) = [0.7071, 0.7071] · [4, 4] = [2.8284, 2.8284]" in r.out
    assert r.out.count("use 1 of 2") == 1 and r.out.count("use 2 of 2") == 1
    # the accumulation of x's two uses, as a column sum, ends the display
    tail = lines[lines.index("Gradients of the inputs") + 1:]
    assert tail[0].split() == ["dL/dx", "=", "[2.8284,", "2.8284]", "from", "z"]
    assert tail[1].split() == ["+", "[2.8284,", "2.8284]", "from", "4*x"]
    assert tail[2].split() == ["=", "[5.6569,", "5.6569]"]


def test_a_repeated_expression_is_numbered_in_brackets():
    """Issue 15: the second [1, 1]*x is ([1, 1]*x)#2, not [1, 1]*x#2 (which reads as [1, 1]*(x#2))."""
    r = gradcli("explain", "y = [1, 1]*x*x; z = [1, 1]*x*x; sum(y + z)", "--at", "x=[1, 2]")
    assert r.code == 0, r.err
    assert "z = ([1, 1]*x)#2*x" in r.out and "*x#2" not in r.out


def test_explain_fits_80_columns():
    r = gradcli("explain", "w = [[1, 2], [3, 4]]; b = 0.5; x = [1, -1]; h = tanh(w @ x + b); sum(h*h)/2 + relu(x[0])")
    assert r.code == 0, r.err
    assert max(len(line.rstrip()) for line in r.out.splitlines()) <= 80


def test_explain_json_gives_the_same_steps_as_data():
    r = gradcli("explain", TUTORIAL, "--json")
    assert r.code == 0, r.err
    doc = r.json()
    assert doc["value"] == pytest.approx(ROOT2X4)
    assert doc["grads"]["x"] == pytest.approx([ROOT2X4, ROOT2X4], rel=1e-12)
    assert [s["node"] for s in doc["steps"]] == ["y", "z", "4*x"]
    first = doc["steps"][0]
    assert (first["op"], first["grad"], first["incoming"]) == ("norm", 1.0, [])
    z = doc["steps"][1]
    assert z["grad"] == pytest.approx([0.5 ** 0.5] * 2)
    to_x = next(s for s in z["sends"] if s["to"] == "x")
    assert to_x["local"] == [4.0, 4.0] and to_x["value"] == pytest.approx([2 * 2 ** 0.5] * 2)
    assert (to_x["use"], to_x["uses"], to_x["param"]) == (1, 2, "b")
    parts = doc["accumulation"]["x"]
    assert [p["from"] for p in parts] == ["z", "4*x"]
    assert numpy.add(parts[0]["value"], parts[1]["value"]) == pytest.approx(doc["grads"]["x"])


@pytest.mark.parametrize("program, at", [
    ("sum(w * x)", ["--at", "w=2", "--at", "x=[1, 2, 3]"]),                      # broadcasting
    ("f(a) = a*sin(a); f(x) + f(x*x) + where(x > 0, x, 0)", ["--at", "x=0.7"]),  # inlined calls, a mask
    ("sum(softmax(m @ v)) + m[0, 1] * trace(m)", ["--at", "m=[[1, 2], [3, 4]]", "--at", "v=[1, -1]"]),
])
def test_explain_agrees_with_grad(program, at):
    ex, gr = gradcli("explain", program, *at, "--json"), gradcli("grad", program, *at, "--json")
    assert ex.code == 0 and gr.code == 0, (ex.err, gr.err)
    for key, g in gr.json()["grads"].items():
        assert numpy.array(ex.json()["grads"][key]) == pytest.approx(numpy.array(g), rel=1e-12, abs=1e-15)
        parts = ex.json()["accumulation"][key]
        assert numpy.sum([numpy.asarray(p["value"]) for p in parts], axis=0) == pytest.approx(numpy.array(g), abs=1e-12)


def test_explain_shows_the_sum_that_undoes_broadcasting():
    doc = gradcli("explain", "sum(w * x)", "--at", "w=2", "--at", "x=[1, 2, 3]", "--json").json()
    to_w = next(s for step in doc["steps"] for s in step["sends"] if s["to"] == "w")
    assert to_w["before_broadcast_sum"] == [1.0, 2.0, 3.0] and to_w["value"] == 6.0


def test_explain_limits_long_programs_unless_full():
    program = "x = 1.1; " + "; ".join(f"x{i} = {'x' if i == 0 else f'x{i - 1}'} * 1.01" for i in range(40)) + "; x39"
    short, full = gradcli("explain", program), gradcli("explain", program, "--full")
    assert "… 10 more steps (--full shows every step)" in short.out
    assert "step 40 " in full.out and "more steps" not in full.out
    assert "dL/dx = 1.4889" in short.out             # the gradients are always shown: 1.01^40


def test_explain_result_that_is_an_input_or_a_constant():
    r = gradcli("explain", "x = 2; x")
    assert r.code == 0 and "dL/dx = 1" in r.out and "x is the result itself" in r.out
    r = gradcli("explain", "sum(ones(3))")
    assert r.code == 0 and "depends on no input" in r.out


def test_explain_needs_a_scalar():
    r = gradcli("explain", "x = ones(3); 2*x")
    clean_failure(r, 1)
    assert "shape (3,)" in r.err and "sum" in r.err


# ---- plot
def test_plot_derivative_is_autograd_at_every_point():
    doc = gradcli("plot", "sin(x)", "--at", "x=-3:3", "--json").json()
    xs = numpy.array(doc["xs"])
    assert (doc["input"], doc["range"], doc["points"], len(xs)) == ("x", [-3.0, 3.0], 121, 121)
    assert xs[0] == -3 and xs[-1] == 3 and numpy.all(numpy.diff(xs) > 0)
    assert numpy.array(doc["f"]) == pytest.approx(numpy.sin(xs), abs=1e-15)
    assert numpy.array(doc["df"]) == pytest.approx(numpy.cos(xs), abs=1e-15)


def test_plot_with_other_inputs_and_expression_ends():
    doc = gradcli("plot", "w*x^3", "--at", "w=2", "--at", "x=-pi:pi", "--points", "50", "--json").json()
    xs = numpy.array(doc["xs"])
    assert len(xs) == 50 and xs[-1] == pytest.approx(math.pi)
    assert numpy.array(doc["df"]) == pytest.approx(6 * xs ** 2, rel=1e-12)


def test_plot_draws_both_curves_with_legend_and_axes():
    r = gradcli("plot", "sin(x)", "--at", "x=-3:3")
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    assert "f(x) = sin(x)" in lines[0] and "df/dx" in lines[0]          # the legend
    chart = lines[1:17]
    assert all(("┤" in line or "│" in line) for line in chart)          # the y axis
    assert any(0x2800 < ord(ch) <= 0x28FF for line in chart for ch in line)
    assert lines[17].lstrip().startswith("└") and lines[19].strip() == "x"
    assert lines[18].split()[0] == "-3" and lines[18].split()[-1] == "3"   # x ticks from A to B
    assert max(len(line) for line in lines) <= 80


def test_plot_keeps_nan_points_in_json_and_skips_them_in_the_drawing():
    doc = gradcli("plot", "log(x)", "--at", "x=-1:1", "--points", "21", "--json").json()
    assert doc["f"][:10] == ["nan"] * 10 and doc["f"][10] == "-inf"
    assert doc["df"][-1] == pytest.approx(1.0)
    r = gradcli("plot", "log(x)", "--at", "x=-1:1", "--points", "21")
    assert r.code == 0 and "f is nan or infinite at 11 of 21 points: not drawn" in r.out
    assert "warning" not in r.err


def test_plot_constant_function():
    doc = gradcli("plot", "3", "--at", "x=0:1", "--points", "5", "--json").json()
    assert doc["f"] == [3.0] * 5 and doc["df"] == [0.0] * 5
    r = gradcli("plot", "0*x + 2", "--at", "x=0:1")
    assert r.code == 0 and "┤" in r.out and "f(x) = 0*x + 2" in r.out


@pytest.mark.parametrize("at, says", [
    (["--at", "x=3:-3"], "the range is empty"),
    (["--at", "x=1:1"], "the range is empty"),
    (["--at", "x=:3"], "both ends"),
    (["--at", "x=1:2:3"], "one ':'"),
    (["--at", "x=ones(2):3"], "must be a number, not an array of shape (2,)"),
    (["--at", "x=0:inf"], "must be finite"),
    (["--at", "x=a:3"], "'a' has no value"),
    (["--at", "x=2"], "needs the range of one input"),
    (["--at", "x=0:1", "--at", "y=0:1"], "ranges for x, y"),
    (["--at", "x=0:1", "--ylim", "1"], "expected LO:HI"),
])
def test_plot_bad_range_is_a_usage_error(at, says):
    r = gradcli("plot", "sin(x)", *at)
    clean_failure(r, 2)
    assert says in r.err


def test_plot_bad_range_with_json_prints_the_error_document():
    r = gradcli("plot", "sin(x)", "--at", "x=3:-3", "--json")
    assert r.code == 2 and r.json()["error"]["kind"] == "usage"


def test_plot_needs_a_scalar_result():
    r = gradcli("plot", "x * ones(3)", "--at", "x=0:1")
    clean_failure(r, 1)
    assert "plot needs a scalar" in r.err and "shape (3,)" in r.err


def test_plot_range_split_keeps_brackets_whole():
    from gradcli.plot import split_range
    (name, a, b), others = split_range(("w=[1, 2][0:1]", "x=-pi:2*pi"))
    assert (name, a, b, others) == ("x", "-pi", "2*pi", ("w=[1, 2][0:1]",))


def test_plot_ticks_are_round_numbers():
    from gradcli.render.plot import nice_ticks
    assert nice_ticks(-3, 3, 7) == [-3, -2, -1, 0, 1, 2, 3]
    assert nice_ticks(-1.1, 1.1, 5) == [-1, -0.5, 0, 0.5, 1]
    assert nice_ticks(0.0, 1.0, 6) == [0, 0.2, 0.4, 0.6, 0.8, 1]


def test_plot_ylim_zooms_in_and_counts_the_points_off_the_chart():
    r = gradcli("plot", "1/x", "--at", "x=-1:1", "--points", "200", "--ylim", "-5:5")
    assert r.code == 0, r.err
    assert "f leaves the chart (--ylim) at 40 of 200 points" in r.out
    ticks = [line.split("┤")[0].strip() for line in r.out.splitlines() if "┤" in line]
    assert ticks == ["4", "2", "0", "-2", "-4"]          # round numbers inside -5:5


def test_every_differentiable_op_explains_its_derivative():
    """explain reads each op's derivative from its row; none falls back to 'the rule of ...'."""
    from gradcli.ops import TABLE
    assert [op.name for op in TABLE.values() if op.grads is not None and op.explain is None] == []
