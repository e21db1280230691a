"""A sweep (gradcli/sweeps.py) shown: a table of the points (the first and
last few when there are many), one JSON document, JSON lines (a record a
point), or a file: .csv, .npy (the CSV's numbers) or .npz (named arrays)."""
from __future__ import annotations

import numpy

from gradcli.render import format as fmt

EDGE_ROWS = 5           # points shown at each end of a long sweep
OUTPUTS = (".csv", ".npy", ".npz")


def document(s, output: str | None = None) -> dict:
    """The sweep as one JSON document: every point's value and gradients;
    or, when they went to the file output, the file and the arrays' shapes
    (and a table's columns) in their place, which keeps the document small."""
    from gradcli.autograd.context import messages
    doc = {"program": s.program, "sweep": s.names, "points": s.points, "shape": list(s.value.shape[1:]),
           "dtype": s.dtype, "vectorized": s.vectorized, "chunks": s.chunks}
    if output:
        from gradcli.render import files
        doc = files.reported(doc, output, arrays(s))
        if not output.lower().endswith(".npz"):
            doc["columns"] = [label for label, _ in columns(s)]
    else:
        doc |= {"at": {n: fmt.jsonable(a) for n, a in s.at.items()}, "value": fmt.jsonable(s.value),
                "grads": None if s.grads is None else {k: fmt.jsonable(g) for k, g in s.grads.items()}}
    if s.events:
        doc["warnings"] = messages(s.events)
    return doc


def records(s):
    """One JSON record a point."""
    for i in range(s.points):
        rec = {"point": i, "at": {n: fmt.jsonable(a[i]) for n, a in s.at.items()}, "value": fmt.jsonable(s.value[i])}
        if s.grads is not None:
            rec["grads"] = {k: fmt.jsonable(g[i]) for k, g in s.grads.items()}
        yield rec


def columns(s) -> list[tuple[str, numpy.ndarray]]:
    """The sweep as named columns of numbers, one row a point: each array
    item flattened into columns name[i, j]."""
    named = [*((n, a) for n, a in s.at.items()), ("value", s.value)]
    named += [(f"d_{k}", g) for k, g in (s.grads or {}).items()]
    out = []
    for name, a in named:
        flat = numpy.asarray(a, dtype=float).reshape(len(a), -1)
        item = numpy.asarray(a).shape[1:]
        labels = [name] if not item else [f"{name}[{', '.join(map(str, i))}]" for i in numpy.ndindex(*item)]
        out += [(label, flat[:, k]) for k, label in enumerate(labels)]
    return out


def check(path: str) -> str:
    """--output FILE's suffix, checked before the sweep runs (render/files.py)."""
    from gradcli.render import files
    return files.check(path, OUTPUTS, "a sweep", hint="name the file by what it should be: sweep.csv, sweep.npz")


def write(s, path: str) -> None:
    """--output FILE: .csv (a header, a row a point), .npy (those numbers, a
    row a point), .npz (at_NAME, value, grad_KEY arrays)."""
    from gradcli.render import files
    ext = check(path)
    if ext == ".npz":
        return files.save_npz(path, arrays(s))
    cols = columns(s)
    table = numpy.column_stack([c for _, c in cols])
    with files.opened(path) as fh:
        if ext == ".npy":
            numpy.save(fh, table)
        else:
            numpy.savetxt(fh, table, delimiter=",", header=",".join(f'"{n}"' for n, _ in cols), comments="",
                          fmt="%.17g")


def arrays(s) -> dict:
    """The sweep's arrays by their names in a .npz: at_NAME, value, grad_KEY."""
    from gradcli.render import files
    return files.named(s.value, s.grads, **{f"at_{n}": a for n, a in s.at.items()})


def table(s, precision: int, width: int):
    """The points as a table: point, the swept inputs, value, gradients; the
    first and last EDGE_ROWS of a longer sweep, each cell fit to its width."""
    from rich.table import Table
    from rich.text import Text
    cols = [*((n, a) for n, a in s.at.items()), ("value", s.value)]
    cols += [(f"∂{k}", g) for k, g in (s.grads or {}).items()]
    shown = list(range(s.points)) if s.points <= 2 * EDGE_ROWS + 1 else \
        [*range(EDGE_ROWS), None, *range(s.points - EDGE_ROWS, s.points)]
    cell_w = max(8, (width - 8 - 2 * len(cols)) // len(cols))
    t = Table(box=None, padding=(0, 1), header_style="bold")
    t.add_column("point", justify="right", style="dim", no_wrap=True)
    for name, _ in cols:
        t.add_column(name, no_wrap=True, style="green" if name.startswith("∂") else "")
    for i in shown:
        if i is None:
            t.add_row(Text(f"… {s.points - 2 * EDGE_ROWS:,} more", style="dim italic"))
            continue
        t.add_row(str(i), *("\n".join(fmt.fit(a[i], cell_w, precision)) for _, a in cols))
    return t


def summary(s) -> str:
    how = "in one vectorized pass" if s.vectorized and s.chunks == 1 else \
        f"vectorized, in {s.chunks} chunks" if s.vectorized else "point by point (the program calls grad())"
    grads = "" if s.grads is not None else "; no gradients: the value is not a scalar at each point"
    return f"{s.points:,} points of {', '.join(s.names)}, {how}{grads}"
