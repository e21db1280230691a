"""No input produces a Python traceback: programs made of random tokens
either run or raise a GradcliError (which the edges turn into a message)."""
from __future__ import annotations

import random
import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gradcli
from gradcli.errors import GradcliError
from gradcli.ops import BUILTINS

TOKENS = ["x", "y", "1", "0", "2.5", "-1", "(", ")", "[", "]", ",", ":", ";", "\n", "+", "-", "*", "/", "@",
          "**", "^", "<", "==", "=", ".", "T", "axis", "keepdims", "True", "None", "f", "inf", "nan", "e"]
TOKENS += [name for name in BUILTINS if name not in ("rand", "randn")]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=14))
def test_random_token_programs_never_raise_anything_but_gradcli_errors(tokens):
    program = " ".join(tokens)
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # NumPy's own RuntimeWarnings must not escape either
        try:
            gradcli.grad(program, x=[0.5, -1.5, 2.0], y=[[1.0, 2.0, 3.0], [0.1, 0.2, 0.3]])
        except GradcliError as e:
            assert e.message and isinstance(e.exit_code, int) and e.exit_code in (1, 2)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(sorted(BUILTINS)), st.lists(st.sampled_from(["x", "y", "1", "(1, 2)", "[0, 1]", "-1",
                                                                    "axis=0", "keepdims=True", "p=3", "None"]),
                                                   max_size=4))
def test_every_builtin_with_odd_arguments(name, args):
    program = f"{name}({', '.join(args)})"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            gradcli.evaluate(program, x=[0.5, -1.5, 2.0], y=[[1.0, 2.0, 3.0], [0.1, 0.2, 0.3]])
        except GradcliError as e:
            assert e.exit_code in (1, 2)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(TOKENS[:30]), min_size=1, max_size=8), min_size=1, max_size=4))
def test_parse_with_reused_statement_shapes_is_lark_s_parse(lines):
    """Whatever the program, parse() (which reuses the trees of statement
    shapes seen before) gives Lark's whole-program result, or Lark's error."""
    from lark.exceptions import UnexpectedInput

    from gradcli import ast, parse as parsing
    from tests.test_language import _dump
    src = "\n".join(" ".join(line) for line in lines)
    try:
        whole = ast.Program(parsing._builder_class()(src).transform(parsing._parser().parse(src)), src)
    except UnexpectedInput:
        whole = None
    except Exception:           # the builder's own SyntaxError_, wrapped by Lark
        whole = "error"
    try:
        got = parsing.parse(src)
    except GradcliError:
        assert whole is None or whole == "error"
        return
    assert whole not in (None, "error") and _dump(got) == _dump(whole)


ODD = ["x", "y", "t", "0", "1", "-1", "2", "1.5", "-3", "'sum'", "'x'", "None", "True", "(1, 2)", "(0,)", "[0, 1]",
       "[[1, 0]]", "[]", "inf", "nan", "dim=0", "reduction='none'"]


@pytest.mark.parametrize("name", sorted(BUILTINS))
def test_each_builtin_with_odd_arguments_raises_only_gradcli_errors(name):
    """Every builtin, 25 calls with arguments of every kind in every place
    (strings, None, booleans, tuples, nested lists, a 3-D array): a value or
    a GradcliError, never a Python exception or a NumPy warning."""
    rng = random.Random(name)
    for _ in range(25):
        args = [rng.choice(ODD) for _ in range(rng.randint(0, 4))]
        keywords = dict.fromkeys(a for a in args if "=" in a)            # after the positional ones, once each
        program = f"{name}({', '.join([a for a in args if '=' not in a] + list(keywords))})"
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            try:
                gradcli.evaluate(program, x=[0.5, -1.5, 2.0], y=[[1.0, 2.0, 3.0], [0.1, 0.2, 0.3]],
                                 t=[[[1.0, 2.0], [0.5, 0.1]]])
            except GradcliError as e:
                assert e.exit_code in (1, 2), program
