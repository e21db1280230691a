"""`gradcli check` and the REPL's :check: a program's autograd gradient
against central finite differences of the whole program, input by input,
always in float64 on the CPU. `compare` computes the comparisons,
`per_op` (check --per-op) each operation's own rule, and `verdict` turns a
disagreement into the error, with a hint that says why the first element
that disagrees does, when the differences can tell; render/check.py shows
them, and each caller adds its own framing (the CLI's JSON document, the
REPL's names for its inputs)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from gradcli import api
from gradcli.errors import CheckFailed, ComputeError, UsageError
from gradcli.gradcheck import check_function
from gradcli.parse import parse
from gradcli.render import format as fmt


@dataclass
class Replay:
    """A program run again and again, in float64 on the CPU, parsed once."""
    source: str
    origin: str | None = None
    at: dict | None = None
    seed: int = 0
    program: object = field(init=False, repr=False)

    def __post_init__(self):
        self.program = parse(self.source, self.origin)

    def run(self, overrides: dict | None = None):
        """(the last result, the session); overrides: input number (in binding
        order) -> the value it takes instead."""
        session = api.setup(self.at, device="cpu", dtype="float64", seed=self.seed, overrides=overrides)
        return api.run_program(self.source, session, self.origin, self.program), session


def compare(replay: Replay, y, session, wrt: list[str] | None, tol: float) -> list:
    """Autograd's gradient of y (a scalar result of replay.run()) against finite
    differences, for the inputs of wrt (keys), or every input y depends on.
    Each difference reruns the program with one input moved, found by its
    place in binding order (a key may change as the program runs)."""
    value = y.item()
    if not math.isfinite(value):
        raise ComputeError(f"the result is {fmt.number(value)} at this point, so it has no slope to compare",
                           hint="a function is outside its domain here (sqrt or log of a negative number, 1/0): "
                           "check at a point where the result is a number")
    inputs = {t.key: t for t in session.inputs}
    inner = [k for k in wrt or () if k not in inputs]
    if inner:
        raise UsageError(f"--wrt {inner[0]}: check compares gradients with respect to inputs, and "
                         f"'{inner[0]}' is an intermediate", hint="finite differences move an input; "
                         "use gradcli grad --wrt for the gradient at an intermediate")
    grads = api.differentiate(y, session, wrt)
    keys = list(grads)
    place = {id(t): i for i, t in enumerate(session.inputs)}
    places = [place[id(inputs[k])] for k in keys]

    def f(values):
        return replay.run(dict(zip(places, values)))[0].item()
    xs = [inputs[k].numpy() for k in keys]
    _affordable(f, xs, keys)
    return check_function(f, xs, [grads[k] for k in keys], keys, tol)


CHECK_SECONDS = 120         # the longest check run without asking for fewer inputs


def _affordable(f, xs, keys) -> None:
    """The work, estimated before it starts: central differences run the
    program twice per element; a check that would take more than
    CHECK_SECONDS is refused with the estimate, not run in silence."""
    import time
    elements = sum(int(x.size) for x in xs)
    if elements < 100:
        return
    start = time.perf_counter()
    f(xs)
    seconds = 2 * elements * (time.perf_counter() - start)
    if seconds > CHECK_SECONDS:
        raise UsageError(f"check would run the program {2 * elements:,} times (two per element of "
                         f"{', '.join(keys)}), about {seconds / 60:,.0f} minutes", hint="check fewer inputs "
                         "with --wrt NAME, or at a smaller size; gradcli grad gives the gradient itself")


@dataclass
class Rules:
    """check --per-op: each operation's own gradient rule against finite
    differences of its forward alone. `checked` operations were compared;
    `node` is the first (in evaluation order) whose rule disagrees, for its
    argument `param`, as `comparison` says (None when all agree); `kinks`
    lists the (node, param, comparison) that disagree only where a kink
    explains it, which is no wrong rule."""
    checked: int = 0
    node: object = None
    param: str = ""
    comparison: object = None
    kinks: list = field(default_factory=list)
    skipped: int = 0            # operations not checked, for a nan or inf among their values

    def argument(self) -> str:
        """', for its argument b' when the op that disagrees has more than one."""
        return f", for its argument {self.param}" if len(self.node.parents) > 1 else ""


def per_op(y, session, tol: float) -> Rules:
    """Every operation recorded between the inputs and y, in the order it
    ran: its rule's vector-Jacobian product, with a random cotangent, against
    central differences of <forward, cotangent> at the values the operation
    got in this run, one differentiable argument at a time. The whole-program
    check cannot say where a wrong rule is; this names the first one."""
    import numpy

    from gradcli.autograd import toposort
    from gradcli.explaining import param_names
    rng = numpy.random.default_rng(0)
    out = Rules()
    with session.evaluating():
        for t in sorted((t for t in toposort(y) if t.op is not None), key=lambda t: t.id):
            if not all(numpy.isfinite(u.numpy()).all() for u in (t, *t.parents) if u.numpy().dtype.kind == "f"):
                out.skipped += 1        # a nan or inf among its values: differences of it say nothing
                continue
            out.checked += 1
            names = param_names(t)
            for i, (p, d) in enumerate(zip(t.parents, t.op.differentiable(len(t.parents)))):
                if not (d and p.requires_grad):
                    continue
                c = _rule_check(t, i, names[i], rng.normal(size=t.shape), tol)
                if c.ok:
                    continue
                if {k[0] for k in c.kinks} == set(c.mismatches):
                    out.kinks.append((t, names[i], c))
                else:
                    out.node, out.param, out.comparison = t, names[i], c
                    return out
    return out


def _rule_check(t, i: int, name: str, g, tol: float):
    """Node t's rule for its argument i, replayed on fresh leaves holding its
    inputs' values (so no earlier part of the graph is walked), against
    finite differences of its forward."""
    import numpy

    from gradcli.autograd import Tensor, apply, gradients
    from gradcli.errors import GradcliError
    bk = t.bk
    leaves = [Tensor(p.data, bk, requires_grad=j == i) for j, p in enumerate(t.parents)]
    auto = gradients(apply(t.op, *leaves, **t.params), [leaves[i]], seed=Tensor.constant(g, bk)).get(id(leaves[i]))

    def f(values):
        arrays = [p.data for p in t.parents]
        arrays[i] = bk.asarray(values[0])
        try:
            return float(numpy.sum(bk.to_host(t.op.forward(bk, *arrays, **t.params)) * g))
        except (ValueError, ArithmeticError, GradcliError):     # moved outside the op's domain (a matrix
            return numpy.nan                                    # no longer positive definite): no value
    auto = auto.numpy() if auto is not None else numpy.zeros(t.parents[i].shape)
    return check_function(f, [t.parents[i].numpy()], [auto], [name], tol)[0]


def verdict(results: list, tol: float, fallback: str | None = None, rules: Rules | None = None) -> None:
    """CheckFailed when any comparison disagrees, or (with rules) an
    operation's own rule does, at that operation's source. The hint explains
    the first element that disagrees (a kink, a domain edge, an infinite
    derivative); fallback is the hint when nothing explains it."""
    if rules is not None and rules.node is not None:
        op, c = rules.node.op.name, rules.comparison
        raise CheckFailed(f"the gradient rule of {op} disagrees with finite differences of {op} "
                          f"alone{rules.argument()} (tolerance {tol:g})", rules.node.span,
                          hint=element_hint(c) or f"{op}'s rule (its row of gradcli.ops.TABLE) gives a "
                          "different vector-Jacobian product from central differences of its forward, at the "
                          "values it got here")
    if all(r.ok for r in results):
        return
    bad = ", ".join(r.name for r in results if not r.ok)
    first = next(r for r in results if not r.ok)
    hint = element_hint(first)
    if hint is None and rules is not None:
        hint = (f"every operation's own rule agrees with finite differences ({rules.checked} checked), so no rule "
                "is wrong here: the step is too coarse for this function; try --tol")
    raise CheckFailed(f"autograd and finite differences disagree for {bad} (tolerance {tol:g})",
                      hint=hint or fallback or "a wrong gradient rule, or a step too coarse for this function: "
                      "try --tol, or --per-op to find the first operation whose rule disagrees")


def element_hint(r) -> str | None:
    """Why r's first disagreeing element may disagree, when the differences
    know: autograd's nan from 0·inf, a kink its step crosses, autograd's inf
    where the differences do not grow, differences that converge to
    autograd's value, or a domain's edge. None when nothing explains it."""
    if not r.mismatches:
        return None
    idx = r.mismatches[0]
    where, h = r.where(idx), fmt.number(r.steps[idx])
    if math.isnan(r.autograd[idx]) and math.isfinite(r.numeric[idx]):
        return (f"autograd's gradient at {where} is nan while the function's slope there is "
                f"{fmt.number(r.numeric[idx])}: on the way back an infinite local derivative met a zero (0·inf, "
                "as sqrt(x)*0 at x = 0 gives), as it does in PyTorch; check at another point")
    reasons = (
        (r.kinks, lambda left, right: (
            f"{where} is on a kink, or within a step (h = {h}) of one (slope {fmt.number(left)} from the left, "
            f"{fmt.number(right)} from the right): the central difference averages the two sides, while autograd "
            "gives the slope at the point itself (on a kink, one side's, as PyTorch does: e.g. relu'(0) = 0, "
            "abs'(0) = 0). Both are right; check at a point farther than h from the kink")),
        (r.settles, lambda ladder: (
            f"autograd's gradient at {where} is {fmt.number(r.autograd[idx])}, but the differences do not grow as "
            f"the step shrinks ({ladder_text(ladder)}): the derivative is finite there, so the rule is wrong at "
            "this point")),
        (r.converges, lambda errors: (
            f"at {where} the differences close in on autograd's value as the step shrinks (off by "
            f"{ladder_text(errors, 2)}): its value is their limit, and the step h = {h} is too coarse for this "
            "function here (its derivative bends sharply, or has a kink of its own); loosen --tol")),
        (r.one_sided, lambda side: (
            f"the difference at {where} is one-sided ({r.outside(idx, side)} is outside the domain): {where} is "
            f"within a step (h = {h}) of the domain's edge, where a difference is only as good as the function is "
            "smooth on the side it steps to; check at a point farther from the edge")),
    )
    for entries, say in reasons:
        for i, *about in entries:
            if i == idx:
                return say(*about)
    return None


def ladder_text(values: list, precision: int = 4) -> str:
    """Differences (or their errors) at the shrinking steps, as a phrase."""
    return ", ".join(fmt.number(v, precision) for v in values) + " at h, h/4, h/16"
