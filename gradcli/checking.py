"""`gradcli check`: the program's autograd gradient against central finite
differences of the whole program, input by input, always in float64."""
from __future__ import annotations

from rich.table import Table
from rich.text import Text

from gradcli import api
from gradcli.errors import CheckFailed, NotScalarError, UsageError
from gradcli.gradcheck import compare, numeric_gradient
from gradcli.render import format as fmt
from gradcli.render import jsonout


def run(opts, source: str, origin, at: dict, wrt: list[str], tol: float) -> None:
    program = api.parse_program(source, origin)
    session = api.setup(at, device="cpu", dtype="float64", seed=opts.seed)
    y = api.run_program(source, session, origin, program)
    if y.size != 1:
        raise NotScalarError(f"check needs a scalar result, but this one has shape {y.shape}",
                             hint="reduce it: sum(...), mean(...)")
    grads = api.differentiate(y, session, wrt)
    inputs = {t.key: t for t in session.inputs}
    names = list(grads)

    def f(values):
        s = api.setup(at, seed=opts.seed, overrides=dict(zip(names, values)))
        return api.run_program(source, s, origin, program).item()

    xs = [inputs[n].numpy() for n in names]
    results = []
    for i, name in enumerate(names):
        central, left, right = numeric_gradient(f, xs, i)
        results.append(compare(name, grads[name], central, left, right, tol))
    ok = all(r.ok for r in results)
    if opts.json:
        jsonout.dump({"program": source, "ok": ok, "tol": tol, "inputs": {
            r.name: {"autograd": fmt.jsonable(r.autograd), "numeric": fmt.jsonable(r.numeric),
                     "abs_err": r.abs_err, "rel_err": r.rel_err, "ok": r.ok,
                     "kinks": [list(k[0]) for k in r.kinks]} for r in results}})
    else:
        _print(opts, y, results, tol)
    if not results:
        raise UsageError("the result depends on no input, so there is no gradient to check",
                         hint="bind an input with --at NAME=EXPR")
    if not ok:
        bad = ", ".join(r.name for r in results if not r.ok)
        raise CheckFailed(f"autograd and finite differences disagree for {bad} (tolerance {tol:g})",
                          hint=_kink_hint(results))


def _print(opts, y, results, tol):
    p = opts.precision
    opts.out.print(Text.assemble(("value  ", "bold"), fmt.number(y.item(), p)))
    table = Table(box=None, padding=(0, 2), header_style="bold")
    for col in ("input", "autograd", "numeric", "max abs err", "max rel err", ""):
        table.add_column(col, no_wrap=col not in ("autograd", "numeric"))
    for r in results:
        table.add_row(r.name, fmt.array(r.autograd, p, oneline=False), fmt.array(r.numeric, p, oneline=False),
                      f"{r.abs_err:.2e}", f"{r.rel_err:.2e}",
                      Text("ok", style="green") if r.ok else Text("MISMATCH", style="bold red"))
    opts.out.print(table)
    for r in results:
        for idx, left, right in r.kinks:
            where = f"{r.name}[{', '.join(map(str, idx))}]" if idx else r.name
            opts.out.print(Text(f"kink at {where}: slope {fmt.number(left, p)} from the left, "
                                f"{fmt.number(right, p)} from the right", style="yellow"))
    if all(r.ok for r in results):
        opts.out.print(Text(f"gradients agree within {tol:g}", style="green"))


def _kink_hint(results) -> str | None:
    kinks = [(r, k) for r in results if not r.ok for k in r.kinks]
    if not kinks:
        return "a wrong gradient rule, or a step too coarse for this function: try --tol"
    r, (idx, left, right) = kinks[0]
    where = f"{r.name}[{', '.join(map(str, idx))}]" if idx else r.name
    return (f"{where} sits on a kink (slope {fmt.number(left)} from the left, {fmt.number(right)} from the right): "
            "the central difference averages the two sides, while autograd takes one of them, as PyTorch "
            "does (e.g. relu'(0) = 0, abs'(0) = 0). Both are right; check at a point off the kink")
