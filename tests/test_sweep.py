"""Issue 14: a program at many points in one vectorized pass (sweeps,
gradcli.sweep, grad --sweep, plot) and vmap(f, x) in the language, each
against the same points evaluated one by one."""
from __future__ import annotations

import json

import numpy as np
import pytest

import gradcli
from gradcli.errors import GradcliError

MLP = "h = relu(x @ W1 + b1); mean((h @ W2 + b2 - t)^2)"
MLP_AT = {"W1": np.linspace(-1, 1, 12).reshape(3, 4), "b1": [0.1, -0.2, 0.3, 0.0],
          "W2": np.linspace(1, -1, 4).reshape(4, 1), "b2": [0.05], "t": [[0.5]]}


def one_by_one(program, at, name, points, wrt=()):
    values, grads = [], []
    for p in points:
        r = gradcli.grad(program, {**at, name: p}, wrt=[name, *wrt] if wrt else None)
        values.append(r.value)
        grads.append(r.grads)
    return np.array(values), grads


@pytest.mark.parametrize("program, at, points", [
    ("sin(x)*x", {}, np.linspace(-3, 3, 41)),
    ("sum(x^4) + norm(x)^2 + sum(sin(x)*x)", {}, np.random.default_rng(0).normal(size=(7, 5))),
    (MLP, MLP_AT, np.random.default_rng(1).normal(size=(9, 1, 3))),
    ("logsumexp(W @ x, 0) + max(x)", {"W": np.eye(3) * 2}, np.random.default_rng(2).normal(size=(6, 3))),
    ("y = cumsum(x, 0); sum(y[1:] * y[:2]) / prod(abs(x) + 1)", {}, np.random.default_rng(3).normal(size=(5, 3))),
])
def test_a_sweep_gives_each_points_value_and_gradient(program, at, points):
    s = gradcli.sweep(program, at, x=points)
    values, grads = one_by_one(program, at, "x", points)
    assert s.vectorized and s.points == len(points)
    np.testing.assert_allclose(s.value, values, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(s.grads["x"], [g["x"] for g in grads], rtol=1e-12, atol=1e-14)


def test_chunks_give_the_same_numbers():
    xs = np.linspace(-2, 2, 23)
    whole, chunked = gradcli.sweep("exp(x) * x^2", x=xs), gradcli.sweep("exp(x) * x^2", x=xs, chunk=5)
    assert chunked.chunks == 5 and whole.chunks == 1
    np.testing.assert_array_equal(whole.value, chunked.value)
    np.testing.assert_array_equal(whole.grads["x"], chunked.grads["x"])


def test_a_memory_budget_sets_the_chunks(monkeypatch):
    from gradcli import sweeps
    monkeypatch.setattr(sweeps, "BUDGET", 2_000)          # bytes: a few points a pass
    s = gradcli.sweep("sum(sin(x) * x)", x=np.ones((100, 10)))
    assert s.chunks > 1 and np.allclose(s.value, 10 * np.sin(1))


def test_zip_and_grid():
    zipped = gradcli.sweep("x * y", x=[1.0, 2.0], y=[10.0, 20.0])
    np.testing.assert_array_equal(zipped.value, [10, 40])
    np.testing.assert_array_equal(zipped.grads["y"], [1, 2])
    grid = gradcli.sweep("x * y", x=[1.0, 2.0], y=[10.0, 20.0, 30.0], grid=True)
    np.testing.assert_array_equal(grid.value, [10, 20, 30, 20, 40, 60])
    np.testing.assert_array_equal(grid.at["x"], [1, 1, 1, 2, 2, 2])
    with pytest.raises(GradcliError, match="different numbers of points: x 2, y 3"):
        gradcli.sweep("x * y", x=[1.0, 2.0], y=[10.0, 20.0, 30.0])


def test_wrt_adds_an_unswept_inputs_gradient_at_each_point():
    points = np.random.default_rng(4).normal(size=(6, 1, 3))
    s = gradcli.sweep(MLP, MLP_AT, x=points, wrt=["W1", "b2"])
    _, grads = one_by_one(MLP, MLP_AT, "x", points, wrt=("W1", "b2"))
    np.testing.assert_allclose(s.grads["W1"], [g["W1"] for g in grads], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(s.grads["b2"], [g["b2"] for g in grads], rtol=1e-12, atol=1e-14)


def test_a_program_that_calls_grad_is_swept_point_by_point():
    s = gradcli.sweep("sum(grad(sum(x^3), x))", x=np.array([[1.0, 2.0], [3.0, 4.0]]))
    assert not s.vectorized
    np.testing.assert_array_equal(s.value, [15, 75])
    np.testing.assert_array_equal(s.grads["x"], [[6, 12], [18, 24]])


def test_a_value_that_is_not_a_scalar_has_no_gradients_and_one_independent_of_x_is_repeated():
    s = gradcli.sweep("x * [1, 2]", x=[1.0, 3.0])
    assert s.grads is None and s.value.tolist() == [[1, 2], [3, 6]]
    s = gradcli.sweep("sum(w)", {"w": [1.0, 2.0]}, x=[1.0, 3.0])
    assert s.value.tolist() == [3, 3] and s.grads["x"].tolist() == [0, 0] and "x" not in s.reads


def test_an_error_speaks_of_one_points_shapes():
    with pytest.raises(GradcliError, match=r"shapes \(3,\) and \(2,\)"):
        gradcli.sweep("x + [1, 2]", x=np.ones((4, 3)))


# ---- the command line
def test_grad_sweep_table_json_jsonl_and_files(cli, tmp_path):
    args = ("grad", "sin(x)*x", "--at", "x=linspace(-3, 3, 101)", "--sweep", "x")
    r = cli(*args)
    assert r.code == 0, r.err
    assert "… 91 more" in r.out and "101 points of x, in one vectorized pass" in r.out
    doc = cli(*args, "--json").json()
    xs = np.linspace(-3, 3, 101)
    np.testing.assert_allclose(doc["value"], np.sin(xs) * xs, rtol=1e-13)
    np.testing.assert_allclose(doc["grads"]["x"], np.sin(xs) + xs * np.cos(xs), rtol=1e-12, atol=1e-15)
    lines = cli(*args, "--jsonl").out.splitlines()
    assert len(lines) == 101 and json.loads(lines[50]) == {"point": 50, "at": {"x": 0.0}, "value": 0.0,
                                                             "grads": {"x": 0.0}}
    for ext in ("csv", "npy", "npz"):
        r = cli(*args, "--output", str(tmp_path / f"s.{ext}"))
        assert r.code == 0 and f"written to {tmp_path / f's.{ext}'}" in r.out
    table = np.loadtxt(tmp_path / "s.csv", delimiter=",", skiprows=1)
    assert (tmp_path / "s.csv").read_text().splitlines()[0] == '"x","value","d_x"'
    np.testing.assert_array_equal(table, np.load(tmp_path / "s.npy"))
    np.testing.assert_array_equal(np.load(tmp_path / "s.npz")["grad_x"], table[:, 2])


def test_grad_sweep_mistakes_are_usage_errors(cli):
    assert cli("grad", "x", "--at", "x=1", "--sweep", "y").code == 2
    r = cli("grad", "x", "--at", "x=1", "--sweep", "x")
    assert r.code == 2 and "its value is one number, not points" in r.err
    r = cli("grad", "x", "--at", "x=[1, 2]", "--grid")
    assert r.code == 2 and "go with --sweep NAME" in r.err
    assert cli("grad", "x", "--at", "x=[1, 2]", "--sweep", "x", "--output", "s.txt").code == 2


# ---- vmap(f, x)
@pytest.mark.parametrize("body, shape", [
    ("sum(a*a) + max(a)", (4, 3)),
    ("softmax(W @ a, 0)", (3, 3)),
    ("a[1:] * a[0] + sum(a)", (5, 3)),
    ("norm(outer(a, a)) + mean(a)", (2, 3)),
])
def test_vmap_equals_a_stack_of_calls_value_and_gradient(body, shape):
    x = np.random.default_rng(5).normal(size=shape)
    at = {"x": x, "W": np.arange(9.0).reshape(3, 3) / 9}
    mapped = gradcli.grad(f"f(a) = {body}; sum(vmap(f, x) * vmap(f, x))", at)
    stacked = gradcli.grad(f"f(a) = {body}; y = stack([{', '.join(f'f(x[{i}])' for i in range(shape[0]))}]); "
                           "sum(y * y)", at)
    np.testing.assert_allclose(mapped.value, stacked.value, rtol=1e-12)
    for k in stacked.grads:
        np.testing.assert_allclose(mapped.grads[k], stacked.grads[k], rtol=1e-11, atol=1e-14)


def test_vmap_nests_falls_back_item_by_item_and_checks_its_arguments():
    x = np.ones((2, 3, 4))
    assert gradcli.evaluate("g(b) = sum(b); f(a) = vmap(g, a); vmap(f, x)", x=x).value.tolist() == [[4] * 3] * 2
    assert gradcli.evaluate("f(a) = grad(sum(a^3), a); vmap(f, x)", x=[[1.0, 2.0]]).value.tolist() == [[3, 12]]
    assert gradcli.evaluate("f(a) = 3; vmap(f, x)", x=[1.0, 2.0]).value.tolist() == [3, 3]
    for program, message in (("vmap(sin, x)", "first argument is the name of a function"),
                             ("f(a, b) = a; vmap(f, x)", "takes 2 arguments, but 1 were given"),
                             ("f(a) = a; vmap(f, 2)", "maps over the first axis")):
        with pytest.raises(GradcliError, match=message):
            gradcli.evaluate(program, x=[1.0, 2.0])


def test_a_jacobian_too_large_is_refused_and_a_large_one_runs_in_chunks(monkeypatch):
    """Issue 18: a 10,000-variable Hessian (763 MiB) is refused with its size at once; under a small
    budget of cotangents the seeds run in chunks, with the same numbers."""
    with pytest.raises(GradcliError, match=r"the Jacobian would hold 100,000,000 numbers \(763 MiB\)"):
        gradcli.evaluate("hessian(sum(x^3), x)", x=np.ones(10_000))
    from gradcli.ops import calculus
    x = np.random.default_rng(6).normal(size=7)
    whole = gradcli.evaluate("hessian(logsumexp(x, 0) * sum(x^3), x)", x=x).value
    monkeypatch.setattr(calculus, "JACOBIAN_BUDGET", 1_000)         # bytes: a row or two a pass
    np.testing.assert_allclose(gradcli.evaluate("hessian(logsumexp(x, 0) * sum(x^3), x)", x=x).value, whole,
                               rtol=1e-13, atol=1e-13)
