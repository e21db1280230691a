"""Issue 17: each fast path gives exactly what the general one gives, on
random programs: the evaluator's recursion (Evaluator._quick) against its
task stack, and a first-order backward pass on plain arrays, releasing every
value it is done with, after a walk or by a heap, against one on Tensors (the
pass that records, for higher derivatives, and releases nothing). Values, gradients
and errors (message and span) must be equal, nan for nan. The parser's
templates are held to Lark's parse in tests/test_parse_templates.py."""
from __future__ import annotations

import random

import numpy as np
import pytest

from gradcli import api, evaluator
from gradcli.autograd import gradients, release
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
def test_a_first_order_pass_on_arrays_equals_one_on_tensors(seed, monkeypatch):
    text = program(seed)
    dtype = ("float64", "float32")[seed % 2]
    try:
        api.run_program(text, api.setup(INPUTS, dtype=dtype))
    except GradcliError:
        return                          # the forward's errors are the evaluator's test's

    def backward(create_graph, all_leaves=False):
        session = api.setup(INPUTS, dtype=dtype)        # a graph of its own: a pass may release its values
        y, xs = api.run_program(text, session), session.inputs
        with session.evaluating():
            before = len(session.ctx.events)
            found = gradients(y, xs, create_graph=create_graph, release=True, all_leaves=all_leaves)
        assert set(found) <= {id(x) for x in xs}       # the others' cotangents let go on the way
        return [found[id(x)].data if id(x) in found else np.zeros(0) for x in xs], session.ctx.events[before:]

    on_tensors = outcome(lambda: backward(True))
    # On arrays, releasing every value the pass is done with (autograd/release.py): after a
    # walk; by the heap (xs are all the leaves), which hands the rest of the pass to a walk at
    # its first value of 2 elements or more; and by the heap alone.
    for threshold, all_leaves in ((0, False), (2, True), (10 ** 9, True)):
        monkeypatch.setattr(release, "RELEASE_FROM", threshold)
        assert same(outcome(lambda: backward(False, all_leaves)), on_tensors), (text, threshold, all_leaves)


def test_the_random_programs_reach_both_paths_and_both_outcomes():
    """The generator is worth its time: most programs give gradients, some
    an error; most use a list or a user function (the task stack's part)."""
    texts = [program(s) for s in SEEDS]
    results = [outcome(lambda t=t: ([api.grad(t, **INPUTS).value], [])) for t in texts]
    errors = sum(isinstance(r[0], str) for r in results)
    assert 0 < errors < len(texts) / 2
    assert sum(("[" in t.split("\n", 1)[1] or "f(" in t.split("\n", 1)[1]) for t in texts) > len(texts) / 2


# ---- statement kernels (gradcli/kernels.py): a long program's lines run from their tokens
SHAPES = ["{a} = sin({b})*{n}", "{a} = {b} + {c} / {n}", "{a} = -{b} ** 2", "{a} = atan2({b}, {c})",
          "{a} = exp({b}) - {n}", "{a} = {n}", "{a} = sum({b})", "{a} = where({b} > 0, {b}, {c})",
          "{a} = {f}({b})", "{a} = {b} * {c}", "{a} = {b}", "{a} = {n} - {b}"]
# mean: defaults; msort: a composite; round: a node without a gradient
FUNCTIONS = ["tanh", "sin", "sigmoid", "log", "sqrt", "mean", "msort", "round"]
NOT_FUNCTIONS = ["sni", "f", "x"]


def long_program(seed: int) -> str:
    """100 lines of a few shapes (so the fast parse and the kernels take
    them): names that are arrays or not, builtins or not, a name bound by
    --at (kept: the general path's), shapes that do not broadcast."""
    r = random.Random(seed)
    shapes, names, lines = r.sample(SHAPES, 3), ["x", "y"] + ["z"] * (r.random() < 0.2), []
    for i in range(100):
        a = r.choice([f"h{i}", f"h{i}", "x"] if r.random() < 0.05 else [f"h{i}"])
        lines.append(r.choice(shapes).format(a=a, b=r.choice(names), c=r.choice(names), f=r.choice(NOT_FUNCTIONS if r.random() < 0.01 else FUNCTIONS),
                                             n=r.choice(["2", "0.5", "1e-3", "0", "1e39"])))
        names.append(a)
    return "f(a) = a * 2\n" * (r.random() < 0.1) + "\n".join(lines) + f"\nsum({names[-1]} * {names[-2]})"


def graph(y) -> list:
    """Every node of the graph: its operation, name, shape, span, whether it
    needs a gradient and the builtin call it is drawn inside (a composite's scope)."""
    from gradcli.autograd import toposort
    return [(t.op and t.op.name, t.name, t.shape, place(t.span), t.const, t.requires_grad,
             t.scope and (t.scope.func, t.scope.text))
            for t in toposort(y, lambda t: t.parents)]


@pytest.mark.parametrize("seed", range(40))
def test_a_kernel_runs_a_line_as_the_evaluator_does(seed, monkeypatch):
    """Values, gradients, events, errors, and the graph itself, node by node."""
    from gradcli import interpret
    text, graphs = long_program(seed), []

    def run():                          # 1e39 overflows in float32: the number's own event
        r = api.grad(text, **INPUTS, dtype=("float64", "float32")[seed % 2])
        graphs.append(graph(r.tensor))
        return [r.value, *(r.grads.get(k, np.zeros(0)) for k in INPUTS)], r.warnings

    fast = outcome(run)
    monkeypatch.setattr(interpret, "kernel", lambda build: None)
    assert same(fast, outcome(run)) and graphs[:1] == graphs[1:], text


# Programs long enough for their three shapes to take the fast path (fastparse.LINES_PER_NEW_SHAPE)
CHAINED = "".join(f"h{i} = sin(x)*2\n" for i in range(40))
SPECIAL = {"a constant binding of an --at name, which the session skips": CHAINED + "x = 0.5\n" * 20 + "sum(x * h3)",
           "an unbound name": CHAINED + "".join(f"g{i} = h{i}\n" for i in range(20)) + "g20 = q\nsum(g20)",
           "an unbound name as the result": CHAINED + "".join(f"h{i}\n" for i in range(20)) + "q",
           "a builtin's name bound": CHAINED + "".join(f"g{i} = h{i}\n" for i in range(20)) + "sin = x\nsum(x)",
           "a synonym's name bound": CHAINED + "".join(f"g{i} = h{i}\n" for i in range(20)) + "ln = x\nsum(x)"}


@pytest.mark.parametrize("text", SPECIAL.values(), ids=SPECIAL.keys())
def test_a_kernel_leaves_what_the_session_treats_specially_to_the_general_path(text, monkeypatch):
    from gradcli import interpret

    def run():
        r = api.grad(text, **INPUTS)
        return [r.value, *(r.grads.get(k, np.zeros(0)) for k in INPUTS)], r.warnings

    fast = outcome(run)
    monkeypatch.setattr(interpret, "kernel", lambda build: None)
    assert same(fast, outcome(run)), text


def test_a_kernel_converts_a_forward_s_other_dtype_as_compute_does(monkeypatch):
    """A forward that gives another dtype (sin's and mul's, made to give
    float32 here) has its value converted to the run's, on the kernel path as
    on the general one."""
    from gradcli import interpret
    from gradcli.autograd import toposort
    from gradcli.ops.core import TABLE
    monkeypatch.setattr(TABLE["sin"], "forward", lambda bk, x: bk.xp.sin(x).astype("float32"))
    monkeypatch.setattr(TABLE["mul"], "forward", lambda bk, a, b: (a * b).astype("float32"))

    def dtypes():
        return {t.data.dtype.name for t in toposort(api.grad(CHAINED + "sum(h39)", **INPUTS).tensor, lambda t: t.parents)}

    fast = dtypes()
    monkeypatch.setattr(interpret, "kernel", lambda build: None)
    assert fast == dtypes() == {"float64"}


def test_a_kernel_records_no_gradient_with_grad_mode_off_as_apply_does(monkeypatch):
    """A program run with grad mode off (the engine embedded in a caller's
    no-grad block): no node a kernel makes needs a gradient, as none apply() makes does."""
    from gradcli import interpret
    from gradcli.autograd import toposort
    from gradcli.autograd.engine import grad_mode

    def needs():
        with grad_mode(False):
            y = api.evaluate(CHAINED + "sum(" + " + ".join(f"h{i}" for i in range(40)) + ")", **INPUTS).tensor
        return [t.requires_grad for t in toposort(y, lambda t: t.parents) if t.op is not None]

    fast = needs()
    monkeypatch.setattr(interpret, "kernel", lambda build: None)
    assert fast == needs() and len(fast) > 80 and not any(fast)


def test_the_long_programs_reach_the_kernels_their_misses_and_their_errors(monkeypatch):
    from gradcli import interpret, kernels
    seen = {"ran": 0, "Miss": 0, "error": 0}

    def counted(build):
        compiled = kernels.kernel(build)
        if compiled is None:
            return None

        def run(*args):
            try:
                value = compiled(*args)
            except kernels.Miss:
                seen["Miss"] += 1
                raise
            except Exception:
                seen["error"] += 1
                raise
            seen["ran"] += 1
            return value
        return run

    monkeypatch.setattr(interpret, "kernel", counted)
    for seed in range(40):
        outcome(lambda: ([api.grad(long_program(seed), **INPUTS).value], []))
    assert seen["ran"] > 1000 and seen["Miss"] > 20 and seen["error"] > 0, seen


@pytest.mark.parametrize("call", ["msort(x)", "kron(x, y)", "prelu(x, y[0])"])
def test_a_composite_of_arrays_is_still_drawn_as_its_call(call):
    """The evaluator's shortcut for builtins of arrays alone leaves
    composites their scope: their nodes are drawn as the one call."""
    from gradcli.autograd import toposort
    y = api.grad(f"sum({call})", **INPUTS).tensor
    assert {(t.scope.func, t.scope.text) for t in toposort(y, lambda t: t.parents) if t.scope} == \
        {(call.split("(")[0], call)}
