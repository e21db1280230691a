"""`gradcli explain` on a console, and as JSON: the steps of an Explanation
(gradcli/explain.py), each with the gradient that reached its node, the
local rule, and what it sends to each argument."""
from __future__ import annotations

from gradcli.explaining import NUMBER, Explanation

TERMS = 4           # terms shown at each end of a long sum, unless --full


def show(opts, ex: Explanation, steps: int | None) -> None:
    """The first `steps` steps (all of them for None), then the inputs'
    gradients; with a limit on the steps, a long sum shows its ends only (an
    input read by every line of a program adds up thousands of terms).
    Long: the page reads top to bottom, and so does this."""
    from rich.table import Table
    from rich.text import Text

    from gradcli.render import format as fmt

    def arr(a):
        return short(a, opts.precision)

    out = opts.out
    out.print(Text.assemble(("Backward pass", "bold"), f" of {ex.result} = {arr(ex.value)}",
                            (f"   {fmt.shape(ex.shape)} {ex.dtype}", "dim")))
    if not ex.inputs:
        out.print(Text("The result depends on no input, so there is no gradient to explain.", style="yellow"))
        return
    what = f"L = {ex.result}, the result" if ex.result != "L" else "L is the result"
    out.print(Text(f"{what}. Each step takes g = dL/d(node), the gradient that has reached a node, and "
                   "sends g times the local derivative to each of its arguments (the chain rule). An "
                   "argument used more than once adds up what it receives.", style="dim"))
    width = max([len(s.to) for step in ex.steps for s in step.sends] or [1])
    shown = ex.steps[:steps]
    for n, step in enumerate(shown, 1):
        out.print()
        title = Text.assemble((f"step {n}  ", "bold"), (step.label, "bold cyan"))
        if step.expression != step.label:
            title.append(f" = {step.expression}")
        if not step.expression.startswith(step.op + "("):
            title.append(f"   {step.op}", style="magenta")
        value = f"value {arr(step.value)}  {fmt.shape(step.shape)}"
        room = out.width - len(title) - len(value)
        if room >= 2:                   # the value at the right end of the line, or under it
            out.print(title + Text(" " * room + value, style="dim"))
        else:
            out.print(title)
            out.print(Text("  " + value, style="dim"))
        start = [("(the start)", step.grad)] if n == 1 else []
        out.print(_sum_grid(f"  g = dL/d{step.label:9}", step.incoming or start, step.grad, arr,
                            short_sum=steps is not None))
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True, min_width=max(min(width, 16) + 6, 16))
        grid.add_column()
        for s in step.sends:
            use = Text(f"    use {s.use} of {s.uses}" if s.uses > 1 else "", style="yellow")
            grid.add_row(Text("  → " + s.to, style="bold"), s.rule)
            nums = f"{s.how} = "
            if s.local is not None:         # a constant derivative (4 in 4*x) is shown as one number
                same = NUMBER.match(s.formula) and s.local.size and (s.local == s.local.flat[0]).all()
                nums += f"{arr(step.grad)} · {arr(s.local.flat[0] if same else s.local)} = "
            if s.raw is not None:
                nums += f"{arr(s.raw)}, summed back to shape {fmt.shape(s.value.shape)} (broadcasting) = "
            grid.add_row(use, Text(nums) + Text(arr(s.value), style="green"))
        out.print(grid)
    if len(shown) < len(ex.steps):
        rest = len(ex.steps) - len(shown)
        out.print()
        out.print(Text(f"… {rest} more step{'s' * (rest != 1)} (--full shows every step)", style="dim italic"))
    out.print()
    out.print(Text("Gradients of the inputs", style="bold"))
    for key, g, contributions in ex.inputs:
        parts = contributions or [(f"{key} is the result itself", g)]
        out.print(_sum_grid(f"  dL/d{key}", parts, g, arr, style="bold green", short_sum=steps is not None))


def short(a, precision: int, room: int = 40) -> str:
    """An array in at most about `room` characters: all of a small one, the
    corners of a large one, and full(shape, v) for one value repeated."""
    import numpy

    from gradcli.render import format as fmt
    a = numpy.asarray(a)
    if a.size > 4 and (a == a.flat[0]).all():
        return f"full({fmt.shape(a.shape) if a.ndim > 1 else a.size}, {fmt.number(a.flat[0], precision)})"
    for edge in (3, 2, 1):
        text = fmt.array(a, precision, edge=edge)
        if len(text) <= room:
            break
    return text


def _sum_grid(head: str, parts: list, total, arr, style="green", short_sum: bool = False):
    """g = a (from p) + b (from q) = total, written as a column sum; with
    short_sum, one of more than 2·TERMS + 1 terms shows its first and last
    TERMS terms and says how many are left out."""
    from rich.table import Table
    from rich.text import Text
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(no_wrap=True)
    grid.add_column()
    grid.add_column(style="dim")
    if len(parts) == 1:
        frm, value = parts[0]
        grid.add_row(head, "=", Text(arr(value), style=style), f"  {frm}" if frm.startswith("(")
                     or frm.endswith("itself") else f"  from {frm}")
        return grid
    left_out = len(parts) - 2 * TERMS if short_sum and len(parts) > 2 * TERMS + 1 else 0
    for k, (frm, value) in enumerate(parts):
        if left_out and TERMS <= k < len(parts) - TERMS:
            if k == TERMS:
                grid.add_row("", "+", Text(f"… {left_out} more terms", style="dim italic"), "  (--full shows them)")
            continue
        grid.add_row(head if k == 0 else "", "=" if k == 0 else "+", arr(value), f"  from {frm}")
    grid.add_row("", "=", Text(arr(total), style=style), "")
    return grid


def to_json(ex: Explanation) -> dict:
    from gradcli.render.format import jsonable
    return {
        "program": ex.program, "value": jsonable(ex.value), "shape": list(ex.shape), "dtype": ex.dtype,
        "result": ex.result,
        "steps": [{"node": s.label, "op": s.op, "expression": s.expression, "name": s.name,
                   "shape": list(s.shape), "value": jsonable(s.value), "grad": jsonable(s.grad),
                   "incoming": [{"from": frm, "value": jsonable(v)} for frm, v in s.incoming],
                   "sends": [{"to": d.to, "param": d.param, "rule": d.rule, "formula": d.how,
                              "local": None if d.local is None else jsonable(d.local), "local_formula": d.formula,
                              "before_broadcast_sum": None if d.raw is None else jsonable(d.raw),
                              "value": jsonable(d.value), "use": d.use, "uses": d.uses} for d in s.sends]}
                  for s in ex.steps],
        "grads": {key: jsonable(g) for key, g, _ in ex.inputs},
        "accumulation": {key: [{"from": frm, "value": jsonable(v)} for frm, v in parts]
                         for key, _, parts in ex.inputs},
    }
