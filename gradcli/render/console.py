"""The rich display of a result: value, gradients, the graph as a tree."""
from __future__ import annotations

from rich.text import Text

from gradcli.render import format as fmt
from gradcli.render import jsonout, tree


def show(opts, source: str, y, session, grads: dict | None, *, with_graph: bool = False,
         depth=None, full=False, flows: dict | None = None) -> None:
    """Print a result (or its JSON document with --json); flows, the
    cotangent at every node (api.flows), are drawn on the tree's nodes."""
    bk = session.bk
    value = bk.to_host(y.data)
    if opts.json:
        jsonout.dump(jsonout.result_document(source, value, y.shape, bk.dtype_name, grads, session.ctx.events))
        return
    opts.out.print(summary(value, y.shape, bk.dtype_name, grads, opts.precision, intermediates(session, grads)))
    if with_graph:
        from gradcli.report import snapshot
        opts.out.print()
        opts.out.print(draw(snapshot(y, node_grads=flows), opts.precision, depth, full, opts.out.width))


def show_hessian(opts, source: str, y, session, grads: dict, s) -> None:
    """grad --hessian: value and gradients, then the Hessian's story s
    (curvature.Story), or the JSON document with a "hessian" field."""
    if opts.json:
        bk = session.bk
        doc = jsonout.result_document(source, bk.to_host(y.data), y.shape, bk.dtype_name, grads, session.ctx.events)
        jsonout.dump({**doc, "hessian": s.to_json()})
        return
    show(opts, source, y, session, grads)
    opts.out.print()
    opts.out.print(hessian(s, opts.precision))


def show_written(opts, source: str, y, session, grads: dict, s, path: str) -> None:
    """grad --output FILE.npz: the value and each gradient (and, with
    --hessian, its matrix and eigenvalues) written there, numpy.load's
    names; on the terminal, the value, then what the file holds, by shape
    (and the Hessian's verdict); with --json, a small document to match."""
    from gradcli.render import files
    bk = session.bk
    value = bk.to_host(y.data)
    more = {"hessian": s.matrix, "eigenvalues": s.eigenvalues} if s is not None else {}
    arrays = files.named(value, grads, **more)
    if opts.json:
        files.save_npz(path, arrays)
        doc = jsonout.result_document(source, value, y.shape, bk.dtype_name, None, session.ctx.events)
        if s is not None:
            doc["hessian"] = {k: v for k, v in s.to_json().items() if k not in ("matrix", "eigenvalues")}
        return jsonout.dump(files.reported(doc, path, arrays))
    opts.out.print(summary(value, y.shape, bk.dtype_name, None, opts.precision))
    files.save_npz(path, arrays)        # after the value is shown: a file that fails to write loses nothing shown
    opts.out.print(f"written to {path}: " + ", ".join(f"{name} {fmt.shape(a.shape)}" for name, a in arrays.items()),
                   markup=False, highlight=False, soft_wrap=True)
    if s is not None:
        opts.out.print(s.sentence())


def draw(graph, precision, depth=None, full=False, width=80):
    """The graph as a tree; with full, a tree too deep for the width is
    given as a listing of every node instead."""
    if full and 4 * tree.depth_of(graph) > width - 20:
        return tree.listing(graph, precision)
    return tree.build(graph, precision, depth=None if full else depth or tree.DEPTH,
                      max_nodes=None if full else (tree.NODES if depth is None else None), width=width)


def intermediates(session, grads: dict | None) -> set:
    """The keys of grads that name computed bindings, not inputs (--wrt z)."""
    inputs = {t.key for t in session.inputs}
    return {k for k in grads or () if k not in inputs}


def summary(value, shape, dtype: str, grads: dict | None, precision: int, inner: set = frozenset()) -> Text:
    """value and one line per gradient, aligned; a matrix keeps its rows.
    The gradients keyed in inner are at intermediate nodes, and say so."""
    rows = [("value", "bold", fmt.array(value, precision, oneline=False), f"{fmt.shape(shape)} {dtype}")]
    for name, g in (grads or {}).items():
        rows.append((f"∂/∂{name}", "bold green", fmt.array(g, precision, oneline=False),
                     fmt.shape(g.shape) + ("  intermediate" if name in inner else "")))
    label_w = max(len(r[0]) for r in rows)
    value_w = max(len(line) for r in rows for line in r[2].splitlines())
    out = Text()
    for i, (label, style, text, meta) in enumerate(rows):
        lines = text.splitlines()
        out.append(("\n" if i else "") + label.ljust(label_w), style=style)
        out.append("  " + lines[0].ljust(value_w) + "  ")
        out.append(meta, style="dim")
        for line in lines[1:]:
            out.append("\n" + " " * (label_w + 2) + line)
    return out


def hessian(story, precision: int) -> Text:
    """The Hessian's story: the matrix (its rows and columns named when there
    are several inputs), its eigenvalues, and what kind of point this is."""
    names = ", ".join(f"{k} ({n})" if n > 1 else k for k, n in zip(story.keys, story.sizes))
    rows = [("Hessian", fmt.array(story.matrix, precision, oneline=False)),
            ("eigenvalues", fmt.array(story.eigenvalues, precision))]
    width = max(len(label) for label, _ in rows)
    out = Text()
    for label, text in rows:
        lines = text.splitlines()
        out.append(label.ljust(width), style="bold magenta")
        out.append("  " + lines[0])
        for line in lines[1:]:
            out.append("\n" + " " * (width + 2) + line)
        out.append("\n")
    if len(story.keys) > 1:
        out.append(f"rows and columns: {names}, in order\n", style="dim")
    elif story.sizes[0] > 1:
        out.append(f"rows and columns: the elements of {story.keys[0]}\n", style="dim")
    kind = story.kind or "not critical"
    out.append(story.sentence(), style={"minimum": "green", "maximum": "green", "saddle": "yellow"}.get(kind, ""))
    return out


def _family_listing(title: str, ops, width: int):
    """One family's builtins: signature and doc side by side, or, where a
    signature would leave the doc too little room (the losses'), each doc
    under its signature."""
    from rich.console import Group       # imported here: only `functions` lists tables, not start-up
    from rich.padding import Padding
    from rich.table import Table
    if max(len(op.signature()) for op in ops) > width // 2:
        return Group(Text(title, style="bold"), *(part for op in ops for part in (
            Padding(Text(op.signature(), style="cyan"), (0, 0, 0, 2)), Padding(Text(op.doc), (0, 0, 0, 6)))))
    table = Table(title=title, title_justify="left", title_style="bold", show_header=False, box=None,
                  padding=(0, 2))
    table.add_column(style="cyan", no_wrap=True)
    table.add_column()
    for op in ops:
        table.add_row(op.signature(), op.doc)
    return table


def functions(opts, name: str | None) -> None:
    """The builtin listing, from the op table."""
    from gradcli.errors import UnknownNameError
    from gradcli.evaluator import resolve_builtin
    from gradcli.ops import BUILTINS, FAMILIES, METHODS, SYNONYMS, TITLES
    from gradcli.spellings import suggest
    if name:
        op = resolve_builtin(name)
        if op is None:
            raise UnknownNameError(f"unknown function '{name}'" + suggest(name, [*BUILTINS, *SYNONYMS]))
        if opts.json:
            jsonout.dump({"name": op.name, "signature": op.signature(), "doc": op.doc, "family": op.family})
            return
        from rich.padding import Padding
        opts.out.print(Text(op.signature(), style="bold"))
        opts.out.print(Padding(Text(op.doc), (0, 0, 0, 2)))
        return
    if opts.json:
        jsonout.dump([{"name": op.name, "signature": op.signature(), "doc": op.doc, "family": op.family}
                      for op in BUILTINS.values()])
        return
    for family in FAMILIES:
        ops = [op for op in family.OPS if op.builtin]
        if ops:
            opts.out.print(_family_listing(TITLES[family], ops, opts.out.width))
            opts.out.print()
    opts.out.print(Text("Operators: + - * / @ ** ^ and comparisons < <= > >= == !=; methods: x.f(args) is f(x, args); "
                        "x.T transposes" + "".join(f", x.{m}() is {op.doc}" for m, op in METHODS.items())
                        + ". Also spelled: " + ", ".join(f"{k}={v}" for k, v in SYNONYMS.items()), style="dim"))
