"""The comparisons of `gradcli check` and :check: a table on a console, or
the JSON document."""
from __future__ import annotations

from rich.table import Table
from rich.text import Text

from gradcli.render import format as fmt


ERR_HEADS = ("max abs err", "max rel err")


def show(out, value: float, results: list, tol: float, precision: int) -> None:
    """The comparisons as a table on the console out, then the kinks. The two
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
                      f"{r.abs_err:.2e}", f"{r.rel_err:.2e}", ok)
    out.print(table)
    for r in results:
        for idx, left, right in r.kinks:
            where = f"{r.name}[{', '.join(map(str, idx))}]" if idx else r.name
            out.print(Text(f"kink at {where}: slope {fmt.number(left, p)} from the left, "
                           f"{fmt.number(right, p)} from the right", style="yellow"))
    if all(r.ok for r in results):
        out.print(Text(f"gradients agree within {tol:g}", style="green"))


def to_json(program: str, results: list, tol: float) -> dict:
    return {"program": program, "ok": all(r.ok for r in results), "tol": tol, "inputs": {
        r.name: {"autograd": fmt.jsonable(r.autograd), "numeric": fmt.jsonable(r.numeric),
                 "abs_err": r.abs_err, "rel_err": r.rel_err, "ok": r.ok,
                 "kinks": [list(k[0]) for k in r.kinks]} for r in results}}
