"""The comparisons of `gradcli check` and :check: a table on a console, then
a line for each element worth a word (it disagrees, its step crosses a
kink, its difference is one-sided, its derivative is infinite); or the JSON
document."""
from __future__ import annotations

import math

from rich.table import Table
from rich.text import Text

from gradcli.render import format as fmt


ERR_HEADS = ("max abs err", "max rel err")
NOTES = 6           # lines about one input's elements before "… N more"


def show(out, value: float, results: list, tol: float, precision: int, rules=None) -> None:
    """The comparisons as a table on the console out, then the notes on
    their elements, then (check --per-op) the operations' own rules. The two
    arrays share what the other columns leave of the console's width, each
    abbreviated to fit it (render.format.fit)."""
    p = precision
    out.print(Text.assemble(("value  ", "bold"), fmt.number(value, p)))
    status = [Text("ok", style="green") if r.ok else Text("MISMATCH", style="bold red") for r in results]
    fixed = max(len("input"), *(len(r.name) for r in results)) + sum(map(len, ERR_HEADS)) \
        + max(len(t) for t in status) + 2 + 5 * 2          # the edges, and two spaces between columns
    width = max(8, (out.width - fixed) // 2)
    table = Table(box=None, padding=(0, 1), header_style="bold")
    for col in ("input", "autograd", "numeric", *ERR_HEADS, ""):
        table.add_column(col, no_wrap=True)
    for r, ok in zip(results, status):
        table.add_row(r.name, "\n".join(fmt.fit(r.autograd, width, p)), "\n".join(fmt.fit(r.numeric, width, p)),
                      _err(r.abs_err), _err(r.rel_err), ok)
    out.print(table)
    for r in results:
        lines = notes(r, p)
        for line in lines[:NOTES]:
            out.print(line)
        if len(lines) > NOTES:
            out.print(Text(f"… {len(lines) - NOTES} more notes on {r.name} (--json lists every element)",
                           style="dim italic"))
    for line in _rules_lines(rules) if rules is not None else ():
        out.print(line)
    if all(r.ok for r in results) and (rules is None or rules.node is None):
        infinite = [r.where(idx) for r in results for idx, _ in r.infinite]
        also = f", and both say the derivative is infinite at {', '.join(infinite)}" if infinite else ""
        out.print(Text(f"gradients agree within {tol:g}{also}", style="green"))


def _err(e: float | None) -> str:
    """An error column's cell: '-' where no element was compared as numbers
    (an infinite derivative on both sides)."""
    return "-" if e is None else f"{e:.2e}"


def notes(r, p: int) -> list[Text]:
    """A line for each element of r that needs one, in element order."""
    from gradcli.checking import ladder_text
    said: dict[tuple, list[Text]] = {}
    if r.autograd.ndim:         # a scalar's two numbers are the table's row already
        for idx in r.mismatches:
            said[idx] = [Text(f"mismatch at {r.where(idx)}: autograd {fmt.number(r.autograd[idx], p)}, numeric "
                              f"{fmt.number(r.numeric[idx], p)}{_off(r.autograd[idx] - r.numeric[idx])}",
                              style="red")]
    kinds = (
        (r.kinks, "yellow", lambda idx, left, right: f"kink at {r.where(idx)}: slope {fmt.number(left, p)} from "
                                                      f"the left, {fmt.number(right, p)} from the right"),
        (r.one_sided, "dim", lambda idx, side: f"one-sided at {r.where(idx)}: {r.outside(idx, side)} is outside the "
                                               f"domain, so the difference steps {'right' if side > 0 else 'left'} only"),
        (r.infinite, "dim", lambda idx, ladder: f"infinite at {r.where(idx)}: autograd gives "
                                                f"{fmt.number(r.autograd[idx], p)}, and the differences grow without "
                                                f"bound as the step shrinks ({ladder_text(ladder, p)})"),
        (r.converges, "yellow", lambda idx, errors: f"converging at {r.where(idx)}: the differences close in on "
                                                    f"autograd as the step shrinks (off by {ladder_text(errors, 2)})"),
        (r.settles, "yellow", lambda idx, ladder: f"not infinite at {r.where(idx)}: autograd gives "
                                                  f"{fmt.number(r.autograd[idx], p)}, but the differences do not grow "
                                                  f"as the step shrinks ({ladder_text(ladder, p)})"),
    )
    for entries, style, say in kinds:
        for idx, *about in entries:
            said.setdefault(idx, []).append(Text(say(idx, *about), style=style))
    return [line for idx in sorted(said) for line in said[idx]]


def _off(d: float) -> str:
    """How far apart two numbers shown alike may be: ' (off by 6.1e-06)'."""
    return f" (off by {abs(d):.2g})" if math.isfinite(d) else ""


def _rules_lines(rules) -> list[Text]:
    """check --per-op: the operations on a kink, then every rule agreeing or the first that does not."""
    lines = [Text(f"per-op: {node.op.name}{_at(node)} is on a kink at its argument {c.where(c.mismatches[0])}, "
                  "where its rule takes one side, as PyTorch does: not a wrong rule", style="yellow")
             for node, _, c in rules.kinks]
    n = rules.checked
    if rules.skipped:
        lines.append(Text(f"per-op: {rules.skipped} operation{'s' * (rules.skipped != 1)} not checked, for a nan "
                          "or inf among its values", style="dim"))
    if rules.node is None:
        lines.append(Text(f"per-op: {n} operation{'s' * (n != 1)} checked: {'every' if n != 1 else 'its'} rule "
                          f"agrees with finite differences of its own forward"
                          f"{' off its kink' if rules.kinks else ''}", style="green"))
    else:
        lines.append(Text(f"per-op: the rule of {rules.node.op.name}{_at(rules.node)} disagrees with finite "
                          f"differences of its forward{rules.argument()}", style="bold red"))
    return lines


def _at(node) -> str:
    """Where in the source a node was made: ' (line 1, column 5)', or nothing."""
    span = node.span
    return f" (line {span.line}, column {span.column})" if span is not None else ""


def to_json(program: str, results: list, tol: float, rules=None) -> dict:
    doc = {"program": program, "ok": all(r.ok for r in results) and (rules is None or rules.node is None),
           "tol": tol, "inputs": {r.name: _input_json(r) for r in results}}
    if rules is not None:
        doc["per_op"] = {"checked": rules.checked, "skipped": rules.skipped, "ok": rules.node is None, "first": None,
                         "kinks": [_op_json(node, param, c) for node, param, c in rules.kinks]}
        if rules.node is not None:
            doc["per_op"]["first"] = _op_json(rules.node, rules.param, rules.comparison)
    return doc


def _op_json(node, param: str, c) -> dict:
    """An operation whose rule disagrees: which, where, and its comparison
    (of <forward, a random cotangent>, so its numbers are that product's)."""
    span = node.span
    return {"op": node.op.name, "argument": param, "line": span.line if span else None,
            "column": span.column if span else None, **_input_json(c)}


def _input_json(r) -> dict:
    j = fmt.jsonable
    return {"autograd": j(r.autograd), "numeric": j(r.numeric),
            "abs_err": None if r.abs_err is None else j(r.abs_err),
            "rel_err": None if r.rel_err is None else j(r.rel_err), "ok": r.ok,
            "mismatches": [list(idx) for idx in r.mismatches],
            "kinks": [{"index": list(idx), "left": j(left), "right": j(right)} for idx, left, right in r.kinks],
            "one_sided": [{"index": list(idx), "side": "right" if side > 0 else "left",
                           "outside": r.outside(idx, side)} for idx, side in r.one_sided],
            "infinite": [{"index": list(idx), "differences": j(ladder)} for idx, ladder in r.infinite],
            "not_infinite": [{"index": list(idx), "differences": j(ladder)} for idx, ladder in r.settles],
            "converging": [{"index": list(idx), "errors": j(errors)} for idx, errors in r.converges]}
