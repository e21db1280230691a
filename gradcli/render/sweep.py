"""A sweep (gradcli/sweeps.py) shown: a table of the points (the first and
last few when there are many), one JSON document, JSON lines (a record a
point), or a file: .csv, .npy (the CSV's numbers) or .npz (named arrays)."""
from __future__ import annotations

import numpy

from gradcli.errors import UsageError
from gradcli.render import format as fmt

EDGE_ROWS = 5           # points shown at each end of a long sweep
OUTPUTS = (".csv", ".npy", ".npz")


def document(s) -> dict:
    """The sweep as one JSON document: every point's value and gradients."""
    from gradcli.autograd.context import messages
    doc = {"program": s.program, "sweep": s.names, "points": s.points,
           "at": {n: fmt.jsonable(a) for n, a in s.at.items()},
           "value": fmt.jsonable(s.value), "shape": list(s.value.shape[1:]), "dtype": s.dtype,
           "grads": None if s.grads is None else {k: fmt.jsonable(g) for k, g in s.grads.items()},
           "vectorized": s.vectorized, "chunks": s.chunks}
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


def write(s, path: str) -> None:
    """--output FILE: .csv (a header, a row a point), .npy (those numbers, a
    row a point), .npz (at_NAME, value, grad_KEY arrays)."""
    import os
    ext = os.path.splitext(path)[1].lower()
    if ext not in OUTPUTS:
        raise UsageError(f"--output {path}: a sweep is written as {', '.join(OUTPUTS)}",
                         hint="name the file by what it should be: sweep.csv, sweep.npz")
    try:
        if ext == ".npz":
            arrays = {f"at_{n}": a for n, a in s.at.items()} | {"value": s.value}
            arrays |= {f"grad_{k}": g for k, g in (s.grads or {}).items()}
            numpy.savez(path, **arrays)
            return
        cols = columns(s)
        table = numpy.column_stack([c for _, c in cols])
        if ext == ".npy":
            numpy.save(path, table)
        else:
            numpy.savetxt(path, table, delimiter=",", header=",".join(f'"{n}"' for n, _ in cols), comments="",
                          fmt="%.17g")
    except OSError as e:
        raise UsageError(f"--output {path}: {e.strerror}") from None


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
