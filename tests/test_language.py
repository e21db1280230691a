"""SPEC section 1: the language — statements, precedence, literals, names,
functions, indexing, keywords, and what becomes an input."""
from __future__ import annotations

import json

import numpy as np
import pytest

import gradcli
from gradcli import ast
from gradcli.errors import ArgumentError, ShapeError, SyntaxError_, UnknownNameError, UsageError
from gradcli.parse import parse
from gradcli.syntax import is_incomplete


def value(program, **at):
    return np.asarray(gradcli.evaluate(program, at=at).value)


# ---- statements and lexical structure
def test_statements_separated_by_newlines_and_semicolons_with_comments():
    src = "# heading\n\nx = 2  # two\ny = x * 3; z = y + 1\n\nz\n"
    assert value(src) == 7


def test_newlines_inside_brackets_continue_a_statement():
    src = "m = [[1, 2],\n     [3, 4]]\nsum(m,\n    axis=0)"
    np.testing.assert_array_equal(value(src), [4, 6])


def test_is_incomplete_for_open_brackets_and_trailing_operators():
    assert is_incomplete("sum([1, 2,")
    assert is_incomplete("x = 1 +")
    assert not is_incomplete("x = 1 + 2")
    assert not is_incomplete("1 + )")


@pytest.mark.parametrize("src, want", [
    ("2^3^2", 512), ("2**3**2", 512), ("-2**2", -4), ("2 ** -1", 0.5), ("2^-1", 0.5),
    ("1 + 2 * 3", 7), ("(1 + 2) * 3", 9), ("8 / 4 / 2", 1), ("1 - 2 - 3", -4),
    ("-x^2", -9), ("+x", 3), ("2 * -x", -6), ("1e-3 * 1000", 1), (".5 + 2.5", 3),
    ("3 > 2", 1), ("2 >= 3", 0), ("1 + 1 == 2", 1), ("1 != 1", 0),
])
def test_precedence_and_associativity(src, want):
    assert value(src, x=3.0) == pytest.approx(want)


def test_chained_comparison_is_an_error_that_suggests_the_product():
    with pytest.raises(SyntaxError_) as e:
        parse("a < b < c")
    assert "(a < b) * (b < c)" in e.value.hint


@pytest.mark.parametrize("name, want", [("pi", np.pi), ("e", np.e), ("inf", np.inf)])
def test_constants(name, want):
    assert value(name) == want


def test_nan_constant():
    assert np.isnan(value("nan"))


# ---- method sugar, keywords, shapes
def test_method_sugar_matches_the_call():
    np.testing.assert_allclose(value("(4*x*x).norm()", x=[1.0, 1.0]), value("norm(4*x*x)", x=[1.0, 1.0]))
    np.testing.assert_allclose(value("x.sum(axis=0)", x=[[1.0, 2], [3, 4]]), [4, 6])


def test_pytorch_keyword_aliases():
    m = [[1.0, 5], [3, 2]]
    np.testing.assert_array_equal(value("max(m, dim=1, keepdim=True)", m=m), [[5], [3]])


@pytest.mark.parametrize("src", ["ones(2, 3)", "ones((2, 3))", "ones([2, 3])", "ones(n, 3)"])
def test_shapes_as_numbers_tuples_or_lists(src):
    assert value(src, n=2.0).shape == (2, 3)


def test_integer_positions_reject_fractions():
    with pytest.raises(ArgumentError):
        gradcli.evaluate("ones(2.5)")


def test_unknown_keyword_names_the_function_and_signature():
    with pytest.raises(ArgumentError) as e:
        gradcli.evaluate("sum(x, axs=0)", x=[1.0])
    assert "sum()" in e.value.message and "axis" in e.value.hint


def test_wrong_arity_shows_usage():
    with pytest.raises(ArgumentError) as e:
        gradcli.evaluate("sin(x, x)", x=[1.0])
    assert "sin(x)" in e.value.hint


# ---- indexing
@pytest.mark.parametrize("src, want", [
    ("x[0]", 0), ("x[-1]", 5), ("x[1:3]", [1, 2]), ("x[::2]", [0, 2, 4]), ("x[::-1][0]", 5),
    ("m[:, 0]", [0, 3]), ("m[0, 1:]", [1, 2]), ("m[1]", [3, 4, 5]), ("m[-1, -1]", 5),
])
def test_basic_indexing(src, want):
    np.testing.assert_array_equal(value(src, x=np.arange(6.0), m=np.arange(6.0).reshape(2, 3)), want)


def test_index_out_of_range_is_a_shape_error():
    with pytest.raises(ShapeError) as e:
        gradcli.evaluate("x[3]", x=[1.0, 2, 3])
    assert "out of range" in e.value.message


def test_repeated_index_accumulates_gradient():
    r = gradcli.grad("x[0] * x[0] + x[0] + x[2]", x=[3.0, 1, 1])
    np.testing.assert_allclose(r.grads["x"], [7, 0, 1])


# ---- names, bindings, inputs
def test_inputs_and_intermediates():
    r = gradcli.grad("x = ones(2); z = 4*x*x; y = z.norm(); y")
    assert list(r.grads) == ["x"]
    np.testing.assert_allclose(r.grads["x"], [5.656854249492381] * 2)
    assert r.tensor.name == "y" and r.tensor.parents[0].name == "z"


def test_input_used_only_as_a_shape_is_not_listed():
    r = gradcli.grad("n = 3; x = [1., 2, 3]; sum(ones(n) * x)")
    assert list(r.grads) == ["x"]


REBOUND = "x = 2\ny = x * x\nx = 3\ny + x"


def test_a_rebound_name_keys_its_current_input_plainly_and_the_old_by_line(tmp_path, cli):
    """One key scheme (SPEC: Gradients are keyed by the input's name): the
    current binding keeps the plain name, the input it replaced is name@LINE,
    in the API, the CLI, batch and the REPL alike."""
    from tests.test_repl import feed, make
    want = {"x@1": 4.0, "x": 1.0}
    assert {k: float(v) for k, v in gradcli.grad(REBOUND).grads.items()} == want
    assert cli("grad", REBOUND, "--json").json()["grads"] == want
    (tmp_path / "f.grad").write_text(REBOUND + "\n")
    record = json.loads(cli("run", str(tmp_path / "f.grad"), "--jsonl").out)
    assert record["grads"] == want
    repl, io_ = make()
    assert all(feed(repl, *REBOUND.split("\n")[:3], ":grad y + x"))
    assert [t.key for t in repl.session.inputs] == ["x@1", "x"]
    assert "∂/∂x   7" in io_.out     # the REPL computes y again from the new x (reactive bindings)


def test_keys_of_several_rebindings_on_one_line_stay_distinct():
    grads = gradcli.grad("x = 2; y = x; x = 3; y = y * x; x = 5; y * x").grads
    assert {k: float(v) for k, v in grads.items()} == {"x@1": 15.0, "x@1:15": 10.0, "x": 6.0}


def test_at_input_replaces_a_constant_binding_of_the_program():
    assert gradcli.evaluate("x = ones(2); sum(x)", x=[5.0, 5.0]).value == 10


def test_wrt_an_input_the_result_ignores_gives_zeros():
    r = gradcli.grad("sum(x^2)", x=[1.0, 2.0], y=[1.0, 1.0, 1.0], wrt=["y"])
    np.testing.assert_array_equal(r.grads["y"], [0, 0, 0])


def test_wrt_an_intermediate_gives_the_cotangent_at_its_node():
    """PyTorch's retain_grad(): d norm(z) / dz = z / |z|, and x keeps its own gradient."""
    r = gradcli.grad("x = ones(2); z = 4*x*x; norm(z)", wrt=["z", "x"])
    np.testing.assert_allclose(r.grads["z"], [2 ** -0.5, 2 ** -0.5], rtol=1e-15)
    np.testing.assert_allclose(r.grads["x"], [32 / 32 ** 0.5] * 2, rtol=1e-15)


def test_wrt_a_name_that_is_no_binding_is_a_usage_error():
    with pytest.raises(UsageError) as e:
        gradcli.grad("z = x * 2; sum(z)", x=[1.0], wrt=["w"])
    assert "bindings: x, z" in e.value.message


def test_unknown_name_suggests_the_nearest():
    with pytest.raises(UnknownNameError) as e:
        gradcli.evaluate("z = x * 2; sum(zz)", x=[1.0])
    assert "did you mean 'z'" in e.value.message
    assert e.value.span.column == 16


def test_unknown_function_and_method_suggest_builtins():
    with pytest.raises(UnknownNameError) as e:
        gradcli.evaluate("sinn(1)")
    assert "did you mean 'sin'" in e.value.message
    with pytest.raises(UnknownNameError) as e:
        gradcli.evaluate("x.summ()", x=[1.0])
    assert "method 'summ'" in e.value.message


@pytest.mark.parametrize("name, kind", [("sin", "function"), ("ln", "function"), ("None", "constant")])
def test_builtins_cannot_be_shadowed(name, kind):
    """A builtin's name, a synonym's (ln names log) and a keyword's."""
    with pytest.raises(UsageError) as e:
        gradcli.evaluate(f"{name} = 3; {name}")
    assert e.value.exit_code == 2 and f"cannot bind '{name}': it is a builtin {kind}" in e.value.message


# ---- user functions
def test_user_function_is_inlined_and_differentiable():
    r = gradcli.grad("f(a, b) = a*b + sin(a); f(x, 2)", x=0.5)
    assert r.grads["x"] == pytest.approx(2 + np.cos(0.5))


def test_user_function_free_names_are_looked_up_at_call_time():
    assert value("f(t) = t * k; k = 2; a = f(3); k = 10; a + f(1)") == 16


def test_user_function_arity_and_recursion_errors():
    with pytest.raises(ArgumentError):
        gradcli.evaluate("f(a, b) = a * b; f(1)")
    with pytest.raises(UsageError) as e:
        gradcli.evaluate("f(a) = g(a); g(a) = f(a); f(1)")
    assert "recursion" in e.value.message and "f -> g -> f" in e.value.message


def test_a_program_that_ends_in_a_binding_reports_it():
    """SPEC: the last binding is the result, by name (the PyTorch tutorial's program ends so)."""
    r = gradcli.grad("x = ones(2); z = 4*x*x; y = z.norm()")
    assert r.value == pytest.approx(32 ** 0.5) and r.session.reported == "y"
    assert gradcli.evaluate("x = 1").value == 1


def test_a_program_that_ends_in_a_function_definition_is_an_error():
    with pytest.raises(UsageError) as e:
        gradcli.evaluate("f(a) = a * 2")
    assert "function definition, not a result" in e.value.message and "f(...)" in e.value.hint


def test_the_cli_names_the_binding_it_reports(cli):
    r = cli("grad", "x = ones(2); z = 4*x*x; y = z.norm()")
    assert r.code == 0 and "the result is y, the program's last binding" in r.err and "5.6569" in r.out


# ---- depth: nothing recurses per level
@pytest.mark.parametrize("make", [
    lambda n: "sin(" * n + "x" + ")" * n,
    lambda n: "(" * n + "x" + ")" * n,
    lambda n: "(x+" * n + "x" + ")" * n,
    lambda n: "-" * n + "x",
    lambda n: "x^" * n + "1",
], ids=["calls", "parens", "sums", "negations", "powers"])
def test_ten_thousand_deep_nesting(make):
    r = gradcli.grad("x = 0.5\n" + make(10_000))
    assert np.isfinite(r.value) and "x" in r.grads


def test_list_nesting_beyond_numpy_axes_is_a_clean_error():
    with pytest.raises(ShapeError):
        gradcli.evaluate("[" * 100 + "1" + "]" * 100)


def test_ast_nodes_carry_spans():
    [b, r] = parse("x = 1\nsum(x * 2)").statements
    assert isinstance(b, ast.Binding) and b.span.line == 1
    assert isinstance(r, ast.Result) and (r.span.line, r.span.column, r.span.end_column) == (2, 1, 11)


def _dump(program) -> list:
    """Every AST node's type, fields and span, in a fixed order (no recursion)."""
    out, stack = [], list(reversed(program.statements))
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(reversed(node))
            continue
        if not isinstance(node, ast.Node):
            out.append(repr(node))
            continue
        out.append((type(node).__name__, node.span))
        for f in reversed(node.fields):
            if f != "span":
                stack.append(getattr(node, f))
    return out


@pytest.mark.parametrize("src", [
    "x = 1; y = 2\nz = x + y; w = x + y",
    "x0 = 0.5\n" + "\n".join(f"x{i} = sin(x{i-1})*1.0001" for i in range(1, 30)) + "\nx29",
    "f(a, b) = a*b\nm = [[1, 2],\n [3, 4]]; f(m, 2)[0, 1:]; f(m, 3)[1, :2]\n# c\n\nsum(m.T, axis=0) < 3",
    "a = (1, 2); b = (3, 4); c = -x**2 ^ 3; d = -y**2 ^ 4",
])
def test_statements_of_a_known_shape_parse_as_lark_parses_them(src):
    """parse() reuses the tree of a statement shape seen before; the result
    must be exactly what a whole-program Lark parse gives, spans included."""
    from gradcli import parse as parsing
    parsing._SHAPES.clear()
    cached = parsing.parse(src)
    again = parsing.parse(src)                  # every statement from the cache now
    whole = parsing._builder_class()(src).transform(parsing._parser().parse(src))
    assert _dump(cached) == _dump(again) == _dump(ast.Program(whole, src))


@pytest.mark.parametrize("program, says", [
    ("2x", "multiplication is written with '*': 2*x"),
    ("x += 1", "there is no +=: write x = x + ..."),
    ("def f(a): a", "a function is written f(a, b) = a*b + 1"),
    ("lambda a: a", "a function is written f(a, b) = a*b + 1"),
])
def test_another_languages_spelling_gets_a_hint(program, says):
    """Issue 15: what a newcomer types from Python or from maths."""
    with pytest.raises(SyntaxError_) as e:
        parse(program)
    assert says in e.value.hint


def test_a_ragged_list_names_its_rows_in_order():
    with pytest.raises(ShapeError) as e:
        gradcli.evaluate("[[1, 2], [3]]")
    assert "item 1 has shape (2,), item 2 (1,)" in e.value.message


def test_a_call_that_would_inline_too_much_is_refused_before_it_runs():
    """Issue 18: 43 functions each calling the previous twice inline to 2^43 nodes; refused at once, with the size."""
    program = "\n".join(["f0(x) = x*2", *(f"f{i}(x) = f{i - 1}(x) + f{i - 1}(x)" for i in range(1, 43)), "f42(1)"])
    with pytest.raises(gradcli.ComputeError, match=r"calling f42 would record about 3\.5e\+13 operations") as e:
        gradcli.evaluate(program)
    assert e.value.span.line == 44
    chain = "\n".join(["f0(x) = x*2", *(f"f{i}(x) = f{i - 1}(x) + 1" for i in range(1, 2000)), "f1999(1)"])
    assert float(gradcli.evaluate(chain).value) == 2001      # long but small: measured without recursion


def test_a_complex_input_through_the_api_is_refused_not_cut_to_its_real_part():
    with pytest.raises(UsageError, match="input 'x' holds complex numbers"):
        gradcli.grad("sum(x*2)", x=np.array([1 + 2j]))
