"""Issue 17: each fast path gives exactly what the general one gives, on
random programs: the evaluator's recursion (Evaluator._quick) against its
task stack, and a first-order backward pass on plain arrays against one on
Tensors (the pass that records, for higher derivatives). Values, gradients
and errors (message and span) must be equal, nan for nan. The parser's
templates are held to Lark's parse in tests/test_parse_templates.py."""
from __future__ import annotations

import random

import numpy as np
import pytest

from gradcli import api, evaluator
from gradcli.autograd import gradients
from gradcli.errors import GradcliError
from gradcli.ops import BUILTINS

# Builtins of one or two arrays, from the table: whatever their domain, both
# paths must agree (a nan is a value like another).
UNARY = sorted(n for n, op in BUILTINS.items() if op.arrays_only and op.differentiable_op
               and len(op.params) == 1 and op.family in ("elementwise", "activation", "special"))
BINARY = sorted(n for n, op in BUILTINS.items() if op.arrays_only and op.differentiable_op
                and len(op.params) == 2 and op.family in ("elementwise", "arith", "special"))
PRELUDE = "f(a, b) = a * sin(b) + a\n"


def expression(r: random.Random, names: list[str], depth: int) -> str:
    """A random expression over names: operators, builtins, keywords, methods,
    lists, indexing and a user function, so both evaluators take turns."""
    if depth == 0 or r.random() < 0.2:
        return r.choice(names * 2 + ["2", "0.5", "0", "-1.5"])
    sub = lambda: expression(r, names, depth - 1)      # noqa: E731
    kind = r.randrange(10)
    if kind < 3:
        return f"{r.choice(UNARY)}({sub()})"
    if kind < 5:
        return f"({sub()} {r.choice('+-*/')} {sub()})"
    if kind == 5:
        return f"{r.choice(BINARY)}({sub()}, {sub()})"
    if kind == 6:
        return r.choice([f"-{sub()}", f"{sub()}.exp()", f"({sub()})^2", f"{sub()}[0]"])
    if kind == 7:
        return r.choice([f"sum([{sub()}, {sub()}], axis=0)", f"mean({sub()}, axis=-1, keepdims=True)"])
    if kind == 8:
        return f"f({sub()}, {sub()})"
    return f"where({sub()} > 0, {sub()}, {sub()})"


def program(seed: int) -> str:
    r = random.Random(seed)
    names, lines = ["x", "y"] + ["z"] * (r.random() < 0.3), []
    for k in range(r.randrange(1, 4)):
        lines.append(f"h{k} = {expression(r, names, 3)}")
        names.append(f"h{k}")
    return PRELUDE + "\n".join(lines) + f"\nsum({expression(r, names, 2)})"


def place(span):
    return span and (span.line, span.column, span.end_line, span.end_column)


def outcome(run):
    """What a run gives: its arrays and floating-point events (each with its
    op and place), or its error's kind, message and place."""
    try:
        arrays, events = run()
        return [np.asarray(a) for a in arrays], [(e.op, e.what, place(e.span), e.gradient)
                                                              for e in events]
    except GradcliError as e:
        return type(e).__name__, e.message, place(e.span)


def same(a, b) -> bool:
    if isinstance(a[0], str) or isinstance(b[0], str):
        return a == b
    (xs, events_a), (ys, events_b) = a, b
    return events_a == events_b and len(xs) == len(ys) and all(
        x.dtype == y.dtype and x.shape == y.shape and np.array_equal(x, y, equal_nan=True) for x, y in zip(xs, ys))


INPUTS = {"x": np.array([0.3, -1.2, 2.0]), "y": np.array([1.5, 0.0, -0.4]), "z": np.array([0.7, -0.2])}
SEEDS = range(150)


@pytest.mark.parametrize("seed", SEEDS)
def test_the_recursive_evaluator_equals_the_task_stack(seed, monkeypatch):
    text = program(seed)

    def run():
        r = api.grad(text, **INPUTS)
        return [r.value, *(r.grads.get(k, np.zeros(0)) for k in INPUTS)], r.warnings

    quick = outcome(run)
    monkeypatch.setattr(evaluator, "QUICK_DEPTH", 0)
    assert same(quick, outcome(run)), text


@pytest.mark.parametrize("seed", SEEDS)
def test_a_first_order_pass_on_arrays_equals_one_on_tensors(seed):
    text = program(seed)
    session = api.setup(INPUTS, dtype=("float64", "float32")[seed % 2])
    try:
        y = api.run_program(text, session)
    except GradcliError:
        return                          # the forward's errors are the evaluator's test's
    xs = session.inputs

    def backward(create_graph):
        before = len(session.ctx.events)
        with session.evaluating():
            found = gradients(y, xs, create_graph=create_graph)
        return [found[id(x)].data if id(x) in found else np.zeros(0) for x in xs], session.ctx.events[before:]

    assert same(outcome(lambda: backward(False)), outcome(lambda: backward(True))), text


def test_the_random_programs_reach_both_paths_and_both_outcomes():
    """The generator is worth its time: most programs give gradients, some
    an error; most use a list or a user function (the task stack's part)."""
    texts = [program(s) for s in SEEDS]
    results = [outcome(lambda t=t: ([api.grad(t, **INPUTS).value], [])) for t in texts]
    errors = sum(isinstance(r[0], str) for r in results)
    assert 0 < errors < len(texts) / 2
    assert sum(("[" in t.split("\n", 1)[1] or "f(" in t.split("\n", 1)[1]) for t in texts) > len(texts) / 2
