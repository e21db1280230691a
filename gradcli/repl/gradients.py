""":grad, :tree and :check: the command's expression is evaluated in the
session (never bound), then differentiated, drawn, or checked against
finite differences. Each takes the Repl, the text after the command's name,
the entry's text and where that text starts in the session's document."""
from __future__ import annotations

import re

from gradcli.repl.commands import WRT

CHECK_TOLERANCE = 1e-6


def grad(repl, arg, text, line0, col0):
    """:grad EXPR [wrt NAME...]"""
    from gradcli import api
    from gradcli.errors import NotScalarError
    from gradcli.render import console
    from gradcli.report import snapshot
    expr, wrt = _wrt(repl, arg)
    stmt, y, source = _expression(repl, expr, text, line0, col0)
    _clear_grads(repl)
    try:
        grads = api.differentiate(y, repl.session, wrt)
    except NotScalarError as e:
        e.span = stmt.span
        raise
    repl.output.flush_warnings()
    bk, opts, out = repl.session.bk, repl.opts, repl.out
    try:
        if opts.json:
            from gradcli.render import jsonout
            repl.output.dump_json(jsonout.result_document(expr.strip(), bk.to_host(y.data), y.shape, bk.dtype_name, grads))
            return
        out.print(console.summary(bk.to_host(y.data), y.shape, bk.dtype_name, grads, opts.precision,
                                  console.intermediates(repl.session, grads)))
        if not grads:
            out.print("(it depends on no input: bind one, e.g. x = ones(2))", style="dim", markup=False)
        out.print()
        out.print(console.draw(snapshot(y), opts.precision))
    finally:
        _clear_grads(repl)


def tree(repl, arg, text, line0, col0):
    """:tree EXPR"""
    from gradcli.render import console
    from gradcli.report import snapshot
    _, y, _ = _expression(repl, arg, text, line0, col0)
    _clear_grads(repl)
    repl.out.print(console.draw(snapshot(y), repl.opts.precision))


def check(repl, arg, text, line0, col0):
    """:check EXPR [wrt NAME...]. The session is rerun as a program (inputs as
    their values, the expression last) in float64, by gradcli check's own
    comparison; the program keys its inputs by its own lines (x@3 where the
    session says x), so they are paired with the session's by order."""
    from dataclasses import replace

    from gradcli import checking
    from gradcli.render import check
    from gradcli.errors import ComputeError, NotScalarError, UsageError
    expr, wrt = _wrt(repl, arg)
    stmt, y, source = _expression(repl, expr, text, line0, col0)
    if y.size != 1:
        raise NotScalarError.needed_by(":check", y.shape, stmt.span)
    program, entries = repl.program()
    replay = checking.Replay(program, seed=repl.opts.seed)
    y64, fresh = replay.run()
    if len(fresh.inputs) != len(entries):
        raise ComputeError(":check could not replay the session as a program", hint="try :save and gradcli check")
    twin = {id(e.value): t.key for e, t in zip(entries, fresh.inputs)}      # same order, same values
    keys = None
    if wrt:
        chosen = [t for t in repl.session.inputs if t.key in wrt]
        if len(chosen) < len(wrt):
            inner = next(k for k in wrt if k not in {t.key for t in chosen})
            raise UsageError(f"wrt {inner}: :check compares gradients with respect to inputs, and '{inner}' "
                             "is an intermediate", hint=":grad ... wrt gives its gradient")
        for t in chosen:
            if id(t) not in twin:
                raise UsageError(f"wrt {t.key}: no binding of the session reads this input any more")
        keys = [twin[id(t)] for t in chosen]
    results = checking.compare(replay, y64, fresh, keys, CHECK_TOLERANCE)
    if not results:
        raise UsageError("the expression depends on no input, so there is no gradient to check")
    session_key = {t.key: e.value.key for e, t in zip(entries, fresh.inputs)}
    results = [replace(r, name=session_key[r.name]) for r in results]
    check.show(repl.out, y64.item(), results, CHECK_TOLERANCE, repl.opts.precision)
    checking.verdict(results, CHECK_TOLERANCE,
                     fallback="a wrong gradient rule, or a step too coarse for this function")


def _expression(repl, arg: str, text: str, line0: int, col0: int):
    """Evaluate a command's expression: (its statement, tensor, source)."""
    from gradcli import ast
    from gradcli.errors import UsageError
    source = repl.doc.source(text)
    statements = repl.parse(arg, source, line0, col0)
    if len(statements) != 1 or not isinstance(statements[0][0], ast.Result):
        span = statements[0][0].span if statements else None
        raise UsageError("expected one expression", span, hint="bind names on their own line first")
    stmt, stmt_text = statements[0]
    y = repl.session.execute(stmt)
    repl.output.flush_warnings()
    repl.result(y, stmt_text, repl.reads(stmt.value))
    return stmt, y, source


def _wrt(repl, arg: str) -> tuple[str, list[str]]:
    """Split `EXPR wrt a, b` and resolve the names to input keys."""
    from gradcli.autograd import Tensor
    from gradcli.errors import UsageError
    m = WRT.match(arg)
    if not m:
        return arg, []
    if not m.group("names"):
        raise UsageError("wrt needs the names of inputs", hint="e.g. :grad sum(x*w) wrt x, w")
    session = repl.session
    keys = {t.key for t in session.inputs}
    out = []
    for name in re.split(r"[\s,]+", m.group("names").strip()):
        value = session.env.get(name)
        if isinstance(value, Tensor) and value.is_input:
            out.append(value.key)
        elif name in keys or isinstance(value, Tensor):     # an input's key, or an intermediate (its cotangent)
            out.append(name)
        else:
            known = ", ".join(n for n, v in session.env.items() if isinstance(v, Tensor)) or "none yet"
            raise UsageError(f"wrt {name}: '{name}' is not a binding (bindings: {known})",
                             hint="bind it first: x = ones(2), or z = 4*x*x")
    return m.group("expr"), out


def _clear_grads(repl):
    from gradcli.autograd import Tensor
    for t in [*repl.session.inputs, *repl.session.env.values()]:
        if isinstance(t, Tensor):
            t.grad = None
