"""The comparisons of `gradcli check` and :check: a table on a console, or
the JSON document."""
from __future__ import annotations

from rich.table import Table
from rich.text import Text

from gradcli.render import format as fmt


def show(out, value: float, results: list, tol: float, precision: int) -> None:
    """The comparisons as a table on the console out, then the kinks."""
    p = precision
    out.print(Text.assemble(("value  ", "bold"), fmt.number(value, p)))
    table = Table(box=None, padding=(0, 2), header_style="bold")
    for col in ("input", "autograd", "numeric", "max abs err", "max rel err", ""):
        table.add_column(col, no_wrap=col not in ("autograd", "numeric"))
    for r in results:
        table.add_row(r.name, fmt.array(r.autograd, p, oneline=False), fmt.array(r.numeric, p, oneline=False),
                      f"{r.abs_err:.2e}", f"{r.rel_err:.2e}",
                      Text("ok", style="green") if r.ok else Text("MISMATCH", style="bold red"))
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
