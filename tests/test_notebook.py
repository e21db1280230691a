"""Issue 16: the Hessian's story (grad --hessian, gradcli.hessian), grad
--grads, and gradcli in Python and Jupyter: gradcli.check / explain / graph
return result objects with the data and show themselves as the commands
print; %load_ext gradcli gives %grad and %%gradcli."""
from __future__ import annotations

import numpy as np
import pytest

import gradcli

ROSENBROCK = "(1 - a)^2 + 100*(b - a^2)^2"


# ---- the Hessian's story
@pytest.mark.parametrize("program, at, kind", [
    (ROSENBROCK, {"a": 1.0, "b": 1.0}, "minimum"),
    ("(1 - p[0])^2 + 100*(p[1] - p[0]^2)^2", {"p": [1.0, 1.0]}, "minimum"),
    ("x^2 - y^2", {"x": 0.0, "y": 0.0}, "saddle"),
    ("-(x^2 + y^2)", {"x": 0.0, "y": 0.0}, "maximum"),
    ("x^4", {"x": 0.0}, "degenerate"),
    ("sum(x^2) + x[0]*x[1]", {"x": [1.0, 2.0]}, None),        # not a critical point
])
def test_the_hessian_classifies_the_point(program, at, kind):
    h = gradcli.hessian(program, at)
    assert h.kind == kind
    assert h.story.critical == (kind is not None)


def test_the_hessian_is_the_matrix_of_second_derivatives_with_its_eigenvalues():
    h = gradcli.hessian(ROSENBROCK, a=1.0, b=1.0)
    np.testing.assert_allclose(h.matrix, [[802, -400], [-400, 200]], rtol=1e-14)
    np.testing.assert_allclose(h.eigenvalues, np.linalg.eigvalsh([[802, -400], [-400, 200]]), rtol=1e-12)
    mixed = gradcli.hessian("sum(x^3) + y * x[0]", x=[1.0, 2.0], y=3.0)
    np.testing.assert_allclose(mixed.matrix, [[6, 0, 1], [0, 12, 0], [1, 0, 0]], rtol=1e-14)


def test_grad_hessian_on_the_command_line(cli):
    r = cli("grad", ROSENBROCK, "--at", "a=1", "--at", "b=1", "--hessian")
    assert r.code == 0
    assert "Hessian      [[802, -400]," in r.out and "eigenvalues  [0.3994, 1001.6006]" in r.out
    assert "a minimum: the gradient is 0 and every eigenvalue is positive" in r.out
    doc = cli("grad", "x^2 - y^2", "--at", "x=0", "--at", "y=0", "--hessian", "--json").json()
    assert doc["hessian"] == {"inputs": [{"name": "x", "size": 1}, {"name": "y", "size": 1}],
                              "matrix": [[2.0, 0.0], [0.0, -2.0]], "eigenvalues": [-2.0, 2.0],
                              "critical": True, "kind": "saddle"}
    r = cli("grad", "x * [1, 2]", "--at", "x=1", "--hessian")
    assert r.code == 1 and "needs a scalar" in r.err


def test_grad_grads_draws_the_gradient_on_every_node(cli):
    r = cli("grad", "x = ones(2); z = 4*x*x; norm(z)", "--grads")
    assert r.code == 0
    assert "norm  ()  5.6569  grad 1" in r.out and "z = mul  (2,)  [4, 4]  grad [0.7071, 0.7071]" in r.out


# ---- results that show themselves
def test_a_result_shows_as_grad_prints_it():
    r = gradcli.grad("norm(4*x*x)", x=[1.0, 1.0])
    text = str(r)
    assert text.startswith("value  5.6569") and "x  input  (2,)  [1, 1]  grad [5.6569, 5.6569]" in text
    html = r._repr_html_()
    assert html.startswith("<pre") and "5.6569" in html and "<span" in html
    assert repr(r).startswith("Result(program='norm(4*x*x)'")


def test_check_returns_its_data_and_never_raises_for_a_disagreement():
    good = gradcli.check("sum(sin(x)*x)", x=[0.3, 1.2])
    assert good.ok and good.data["inputs"]["x"]["ok"] and "gradients agree" in str(good)
    kink = gradcli.check("relu(x)", x=0.0)
    assert not kink.ok and "MISMATCH" in str(kink) and "kink" in str(kink)


def test_explain_and_graph_return_the_json_data_and_draw_themselves():
    ex = gradcli.explain("x = ones(2); z = 4*x*x; norm(z)")
    assert ex.data["steps"] and "Backward pass" in str(ex)
    g = gradcli.graph("x = ones(2); z = 4*x*x; norm(z)")
    assert {n["name"] for n in g.data["nodes"]} >= {"x", "z"} and g.dot.startswith("digraph")
    assert "z = mul" in str(g) and "grad [0.7071, 0.7071]" in str(g)


def test_a_graph_is_svg_where_graphviz_is_installed(tmp_path, monkeypatch):
    g = gradcli.graph("norm(4*x*x)", x=[1.0, 1.0])
    monkeypatch.setenv("PATH", str(tmp_path))
    assert g._repr_svg_() is None                   # no dot: IPython shows the HTML tree instead
    fake = tmp_path / "dot"
    fake.write_text('#!/bin/sh\ncat > /dev/null\necho \'<svg xmlns="http://www.w3.org/2000/svg"></svg>\'\n')
    fake.chmod(0o755)
    assert g._repr_svg_().startswith("<svg")


# ---- the IPython extension
@pytest.fixture(scope="module")
def ip():
    pytest.importorskip("IPython")
    from IPython.testing.globalipapp import get_ipython
    shell = get_ipython()
    shell.run_line_magic("load_ext", "gradcli")
    return shell


def test_the_grad_magic(ip):
    r = ip.run_line_magic("grad", '"norm(4*x*x)" --at x="ones(2)"')
    np.testing.assert_allclose(r.grads["x"], [4 * np.sqrt(2)] * 2)
    ip.user_ns["w"] = np.array([1.0, 2.0])          # a notebook variable the program reads
    assert ip.run_line_magic("grad", '"sum(w*w)"').grads["w"].tolist() == [2, 4]
    assert ip.run_line_magic("grad", '"x^4" --at x=0 --hessian').kind == "degenerate"
    assert ip.run_line_magic("grad", '"relu(x)" --at x=0 --check').ok is False


def test_the_cell_magic_runs_the_cell_as_a_program(ip):
    r = ip.run_cell_magic("gradcli", "", "x = ones(2)\nz = 4*x*x\nnorm(z)")
    assert float(r.value) == pytest.approx(np.sqrt(32))
    assert ip.run_cell_magic("gradcli", "", "x = ones(2)\n4*x").value.tolist() == [4, 4]     # not a scalar
    assert ip.run_cell_magic("gradcli", "--explain", "x = 2.0\nx*x").data["grads"] == {"x": 4.0}


def test_a_magics_error_is_a_message_not_a_traceback(ip):
    from IPython.core.error import UsageError
    with pytest.raises(UsageError, match=r"unknown function 'lg' — did you mean 'log'\?"):
        ip.run_line_magic("grad", '"lg(x)" --at x=1')
    with pytest.raises(UsageError, match="unexpected '--bogus'"):
        ip.run_line_magic("grad", '"x" --bogus')
