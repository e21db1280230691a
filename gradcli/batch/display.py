"""The rich display of `gradcli run`: per file a table of its results with
each error drawn where it happened, the summary line, and a progress bar on
a terminal while a long batch runs."""
from __future__ import annotations

from gradcli.batch.records import duration, plural, summary_line
from gradcli.batch.sinks import Sink

PROGRESS_MIN_FILES = 20         # fewer files finish before a bar is worth drawing
SOURCE_SHARE, VALUE_SHARE = 0.22, 0.30      # of the width, at most, for these columns
TABLE_ROWS = 100        # rich lays a table out as a whole: long files print in parts


class DisplaySink(Sink):
    """The rich display: per file a table of results with the errors inline;
    results=False shows only the failures (--output has the rest)."""

    def __init__(self, opts, results: bool = True, wrote: str | None = None):
        self.opts, self.results, self.wrote = opts, results, wrote
        self.shown = 0

    def _console(self):
        return self.terminal if self.terminal is not None and self.opts.out.is_terminal else self.opts.out

    def file(self, result, text):
        if not self.results and not any("error" in r for r in result["records"]):
            return
        console = self._console()
        if self.shown:
            console.print()
        self.shown += 1
        for thing in file_block(result, text, self.opts.precision, console.width, only_failures=not self.results):
            console.print(thing, soft_wrap=True)        # laid out to the width already

    def close(self, tally):
        from rich.text import Text
        console = self._console()
        if self.shown:
            console.print()
        if self.wrote:
            console.print(Text(f"wrote {tally.results + tally.failures:,} records to {self.wrote}", style="dim"))
        console.print(summary_line(tally))


# ---- the progress bar
class ProgressBar:
    """A transient bar on stderr; sinks that print to the same terminal print
    through it while it runs, so that the two do not mix."""

    def __init__(self, opts, total: int, sinks):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
        self.bar = Progress(TextColumn("running"), BarColumn(), MofNCompleteColumn(), TextColumn("files"),
                            TimeElapsedColumn(), console=opts.err, transient=True)
        self.task = self.bar.add_task("files", total=total)
        self.sinks = sinks
        self.bar.start()
        for s in sinks:
            s.through(self.bar.console)

    def advance(self):
        self.bar.advance(self.task)

    def stop(self):
        for s in self.sinks:
            s.through(None)
        self.bar.stop()


def progress_bar(opts, total: int, sinks):
    """A bar for a long batch, on a terminal, without --json; else None."""
    if total < PROGRESS_MIN_FILES or opts.json or not opts.err.is_terminal:
        return None
    return ProgressBar(opts, total, sinks)


# ---- the display of one file
def file_block(result: dict, text: str | None, precision: int, width: int, only_failures: bool = False) -> list:
    """Renderables for one file: a header, then its results as table rows; each
    error is drawn where it happened, as a diagnostic with its caret, and the
    table goes on below it with the same columns."""
    from rich.text import Text

    from gradcli.render import format as fmt
    records = result["records"]
    nres = sum("value" in r for r in records)
    nfail = sum("error" in r for r in records)
    head = Text(fmt.visible(result["file"]), style="bold")
    facts = [plural(nres, "result")] + ([plural(nfail, "failure")] if nfail else [])
    if result["seconds"]:
        facts.append(duration(result["seconds"]))
    head.append("  " + ", ".join(facts), style="dim")
    out = [head]
    if not records:
        out.append(Text("  no results: the file has no result statements", style="dim"))
        return out
    rows = [] if only_failures else [_cells(r, precision) if "value" in r else None for r in records]
    widths = _widths([c for c in rows if c is not None], width, precision)
    segment, header = [], True
    for i, r in enumerate(records):
        if not only_failures and "value" in r:
            segment.append(rows[i])
        if len(segment) == TABLE_ROWS:
            out.append(_rows(segment, widths, header, precision))
            segment, header = [], False
        if "error" in r:
            if segment:
                out.append(_rows(segment, widths, header, precision))
                segment, header = [], False
            out.append(_diagnostic(r, text))
    if segment:
        out.append(_rows(segment, widths, header, precision))
    return out


def _cells(r: dict, precision: int):
    """A result's row: line, source, and the value and gradient cells, each a
    list of items: a Text (a line of its own) or (label, array, its text on
    one line), laid out when the columns' widths are known (_lay)."""
    import numpy
    from rich.text import Text

    from gradcli.render import format as fmt
    value = numpy.asarray(r["value"], dtype=float)
    v = [(Text(), value, fmt.array(value, precision, edge=3))]
    v += [Text(f"⚠ {w.split(' (')[0]}", style="yellow") for w in r.get("warnings", ())]
    grads = r.get("grads")
    if grads is None:
        g = [Text(f"— shape {fmt.shape(value.shape)}: not a scalar", style="dim")]
    elif not grads:
        g = [Text("— no inputs", style="dim")]
    else:
        g = []
        for k, a in grads.items():
            a = numpy.asarray(a, dtype=float)
            g.append((Text(f"∂{k} ", style="green"), a, fmt.array(a, precision, edge=2)))
    return Text(str(r["line"]), style="dim"), Text(fmt.visible(r["source"] or "")), v, g


def _natural(cell) -> int:
    """The width of a value or gradient cell with each array on one line."""
    return max(item.cell_len if not isinstance(item, tuple) else item[0].cell_len + len(item[2])
               for item in cell)


def _widths(rows, width: int, precision: int) -> tuple[int, int, int, int]:
    """Column widths shared by every segment of a file's table: the values
    get what they need up to their share, laid out to fit it, and the
    gradients the rest."""
    line = max([4] + [c[0].cell_len for c in rows])
    source = min(max([6] + [c[1].cell_len for c in rows]), max(12, int(width * SOURCE_SHARE)))
    value = min(max([5] + [_natural(c[2]) for c in rows]), max(10, int(width * VALUE_SHARE)))
    value = max([5] + [t.cell_len for c in rows if _natural(c[2]) > value for t in _lay(c[2], value, precision)]
                + [_natural(c[2]) for c in rows if _natural(c[2]) <= value])
    grad = max(10, width - line - source - value - 10)
    return line, source, value, min(grad, max([8] + [_natural(c[3]) for c in rows]))


def _rows(rows, widths, header: bool, precision: int):
    """Rows laid out by hand, two spaces apart and indented by two: a rich
    Table lays out the same columns at a hundredth of the speed, which a
    file of 10,000 results notices."""
    from rich.text import Text
    line_w, source_w, value_w, grad_w = widths
    out = []
    if header:
        out.append(Text("  " + "  ".join(("line".rjust(line_w), "source".ljust(source_w),
                                         "value".ljust(value_w), "gradient")), style="bold dim"))
    for line, source, value, grad in rows:
        source = source.copy()
        source.truncate(source_w, overflow="ellipsis")
        cells = [[line], [source], _lay(value, value_w, precision), _lay(grad, grad_w, precision)]
        for k in range(max(map(len, cells))):
            row = Text("  ")
            for j, (cell, width) in enumerate(zip(cells, widths)):
                part = cell[k] if k < len(cell) else Text()
                pad = " " * max(0, width - part.cell_len)
                if j:
                    row.append("  ")
                if j == 0:
                    row.append(pad)
                row.append_text(part)
                if j and j < 3:
                    row.append(pad)
            out.append(row)
    return Text("\n").join(out)


def _lay(cell, width: int, precision: int) -> list:
    """A value or gradient cell's lines at most width wide: an array that
    does not fit on one line is abbreviated, then a matrix row a line
    (render.format.fit), its lines under its label's end; a Text is folded."""
    from rich.text import Text

    from gradcli.render import format as fmt
    lines = []
    for item in cell:
        if not isinstance(item, tuple):
            lines += [item] if item.cell_len <= width else list(item.wrap(_measure(), width, overflow="fold"))
            continue
        label, a, text = item
        parts = [text] if label.cell_len + len(text) <= width else fmt.fit(a, width - label.cell_len, precision)
        lines += [label + parts[0]] + [Text(" " * label.cell_len + part) for part in parts[1:]]
    return lines


def _measure():
    """A console for measuring and wrapping text (it never prints)."""
    global _MEASURE
    if _MEASURE is None:
        from rich.console import Console
        _MEASURE = Console(width=10_000, no_color=True)
    return _MEASURE


_MEASURE = None


def _diagnostic(r: dict, text: str | None):
    """The record's error, as every gradcli message looks: caret and hint."""
    from rich.text import Text

    from gradcli.errors import GradcliError, Source, Span
    from gradcli.render import diagnostics
    e = r["error"]
    span = None
    if e.get("line") is not None:
        span = Span(e["line"], e["column"], e.get("end_line", e["line"]), e.get("end_column", e["column"] + 1),
                    Source(text, r["file"]) if text is not None else None)
    err = GradcliError(e["message"], span, e.get("hint"))
    rendered = diagnostics.render(err)
    # Indented line by line: a Padding would pad every line with spaces.
    return Text("\n").join(Text("  ") + line for line in rendered.split("\n"))
