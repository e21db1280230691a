"""`gradcli run FILE...`: every result of every program file (SPEC.md
section 2, "Batch").

The parent finds and reads the files, cuts them into chunks and hands each
chunk to an executor (executors.py: this process, a process pool, or a Dask
cluster, all behind the `concurrent.futures` interface). The workers send back
plain records; this module emits them in input order — as a rich table per
file, as JSONL, or compared against an earlier JSONL file — and owns the exit
code: 1 when anything failed."""
from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import dataclass, field

import click

from gradcli.cli import boundary, common_options, options_from

PROGRESS_MIN_FILES = 20         # fewer files finish before a bar is worth drawing
CHUNK_FILES = 64                # files sent to a worker at once, at most ...
CHUNK_BYTES = 256 * 1024        # ... and this much program text
STDIN = "<stdin>"

EPILOG = """
\b
Examples:
  gradcli run samples/
  gradcli run samples/ --jsonl > expected.jsonl
  gradcli run --compare expected.jsonl
  gradcli run a.grad b.grad --jobs 4 --output results.jsonl
  gradcli run many/ --scheduler tcp://scheduler:8786
"""


@click.command("run", epilog=EPILOG)
@click.argument("files", nargs=-1, metavar="FILE...")
@click.option("--jsonl", is_flag=True, help="One JSON object per result on stdout instead of the display.")
@click.option("-o", "--output", metavar="FILE", default=None,
              help="Write the JSONL records to FILE (the terminal shows the failures and a summary).")
@click.option("-j", "--jobs", type=click.IntRange(1), default=None, metavar="N",
              help="Files evaluated in parallel processes  [default: the number of cores]")
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="Send the work to a Dask cluster (tcp://host:8786; the [dask] extra).")
@click.option("--compare", metavar="EXPECTED", default=None,
              help="Re-evaluate and report results that drifted from an earlier --jsonl file (exit 1).")
@click.option("--rtol", type=click.FloatRange(0), default=1e-7, show_default=True,
              help="Relative tolerance of --compare.")
@click.option("--atol", type=click.FloatRange(0), default=1e-10, show_default=True,
              help="Absolute tolerance of --compare.")
@common_options
def command(files, jsonl, output, jobs, scheduler, compare, rtol, atol, **kw):
    """Evaluate program files (or directories of *.grad files; - for stdin):
    every result's value and, for scalars, its gradients. Exit 1 if anything failed."""
    opts = options_from(kw)

    def work():
        from gradcli.errors import UsageError
        settings = {"dtype": opts.dtype, "device": opts.device, "seed": opts.seed}
        expected = None
        paths = list(files)
        if compare is not None:
            expected = load_expected(compare)
            if not paths:
                paths = _files_of(expected)
        if not paths:
            raise UsageError("no files given", hint="gradcli run FILE... (files, directories of *.grad files, "
                                                    "or - for stdin); or gradcli run --compare EXPECTED.jsonl")
        if opts.device != "cpu":
            # A missing GPU or CuPy is one usage error (exit 2), not a failure per file.
            from gradcli.backend import make_backend
            make_backend(opts.device, opts.dtype, opts.seed)
        items = discover(paths)
        if expected is not None:
            # --output keeps the new records: the next reference file.
            sinks = [CompareSink(opts, expected, rtol, atol, jsonl)] + ([_jsonl_file(output)] if output else [])
        else:
            sinks = _sinks(opts, jsonl, output)
        tally = Tally()
        try:
            execute(items, settings, jobs or _default_jobs(), scheduler, sinks, tally, opts)
        except BaseException:
            for s in sinks:
                s.abort()
            raise
        for s in sinks:
            s.close(tally)
        # With --compare, a failure that the expected file has too is no drift.
        failed = sinks[0].drifts if expected is not None else tally.failures
        sys.exit(1 if failed else 0)
    boundary(opts, work)


def _default_jobs() -> int:
    from gradcli.executors import default_jobs
    return default_jobs()


# ---- finding and reading the files
@dataclass
class Item:
    """One program to evaluate: a path (None for stdin), or a record saying why not."""
    name: str
    path: str | None
    problem: dict | None = None


def discover(args: list[str]) -> list[Item]:
    """Files as given; directories walked for *.grad files, sorted; - is stdin."""
    from gradcli.executors import file_error
    items = []
    for arg in args:
        if arg == "-":
            items.append(Item(STDIN, None))
        elif os.path.isdir(arg):
            found = _walk(arg)
            if not found:
                items.append(Item(arg, arg, file_error(arg, f"{arg}: no .grad files in this directory")))
            items.extend(Item(p, p) for p in found)
        elif not os.path.exists(arg):
            items.append(Item(arg, arg, file_error(arg, f"{arg}: no such file or directory")))
        else:
            items.append(Item(arg, arg))
    return items


def _walk(top: str) -> list[str]:
    """The *.grad files under top, hidden directories skipped, sorted by path."""
    found = []
    for root, dirs, names in os.walk(top):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found.extend(os.path.join(root, n) for n in names if n.endswith(".grad") and not n.startswith("."))
    return sorted(found, key=lambda p: os.path.relpath(p, top).split(os.sep))


def read(item: Item) -> tuple[str | None, dict | None]:
    """(text, None), or (None, the record of why it cannot be read)."""
    from gradcli.executors import file_error
    try:
        if item.path is None:
            data = sys.stdin.buffer.read()
        else:
            with open(item.path, "rb") as fh:
                data = fh.read()
    except OSError as e:
        return None, file_error(item.name, f"{item.name}: cannot read it ({e.strerror or e})")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as e:
        return None, file_error(item.name, f"{item.name}: not a text file in UTF-8 "
                                           f"(byte 0x{data[e.start]:02x} at offset {e.start})")


# ---- running: chunks to the executor, results back in input order
@dataclass
class Tally:
    files: int = 0
    results: int = 0
    failures: int = 0
    seconds: float = 0.0
    names: set = field(default_factory=set)

    def add(self, result: dict) -> None:
        self.files += 1
        self.names.add(result["file"])
        for r in result["records"]:
            self.results += "value" in r
            self.failures += "error" in r


def execute(items: list[Item], settings: dict, jobs: int, scheduler: str | None, sinks, tally: Tally,
            opts) -> None:
    """Evaluate every item; each sink gets each file's result in input order,
    as soon as it and all before it are done."""
    from concurrent.futures import FIRST_COMPLETED, Future, wait

    from gradcli.executors import evaluate_chunk, executor

    start = time.perf_counter()
    n = len(items)
    done: list = [None] * n              # index -> (result, text) until emitted
    emitted = 0
    # A forked worker cannot use a CUDA context: with a GPU, fresh interpreters.
    with executor(jobs, n, scheduler, fork=settings.get("device", "cpu") == "cpu") as (pool, workers):
        per = 1 if workers == 1 else max(1, min(CHUNK_FILES, math.ceil(n / (workers * 4))))
        window = 2 * workers if workers > 1 else 1
        chunks = _chunks(items, per, done)
        exhausted = False
        inflight: dict = {}              # future -> [(index, text)]
        progress = None
        try:
            while True:
                while not exhausted and len(inflight) < window:
                    chunk = next(chunks, None)
                    if chunk is None:
                        exhausted = True
                    elif chunk:
                        try:
                            future = pool.submit(evaluate_chunk, [(items[i].name, t) for i, t in chunk], settings)
                        except Exception as e:      # noqa: BLE001 - a broken pool: those files fail
                            future = Future()
                            future.set_exception(e)
                        inflight[future] = chunk
                        if progress is None:
                            # Only after the first submit: a forking pool has
                            # started its workers, and the bar may start a thread.
                            progress = _progress(opts, n, sinks)
                    emitted = _emit(done, emitted, sinks, tally, progress)
                if not inflight:
                    if exhausted:
                        break
                    continue
                ready, _ = wait(list(inflight), return_when=FIRST_COMPLETED)
                for future in ready:
                    _collect(future, inflight.pop(future), items, done)
                emitted = _emit(done, emitted, sinks, tally, progress)
        finally:
            if progress is not None:
                progress.stop()
    tally.seconds = time.perf_counter() - start


def _chunks(items: list[Item], per: int, done: list):
    """Lists of (index, text); a file that cannot be read goes straight to
    done (and an empty list is yielded, so that it is shown without delay)."""
    chunk, size = [], 0
    for i, item in enumerate(items):
        text, problem = (None, item.problem) if item.problem else read(item)
        if problem is not None:
            done[i] = ({"file": item.name, "seconds": 0.0, "records": [problem]}, None)
            yield []
            continue
        chunk.append((i, text))
        size += len(text)
        if len(chunk) >= per or size >= CHUNK_BYTES:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def _collect(future, chunk, items, done) -> None:
    from gradcli.executors import file_error
    try:
        results = future.result()
    except Exception as e:              # noqa: BLE001 - a worker died, or the cluster failed
        results = [{"file": items[i].name, "seconds": 0.0,
                    "records": [file_error(items[i].name, f"the worker failed: {type(e).__name__}: {e}",
                                           "internal")]} for i, _ in chunk]
    for (i, text), result in zip(chunk, results):
        done[i] = (result, text)


def _emit(done, emitted, sinks, tally, progress) -> int:
    while emitted < len(done) and done[emitted] is not None:
        result, text = done[emitted]
        done[emitted] = True            # drop the text and the records
        tally.add(result)
        for s in sinks:
            s.file(result, text)
        emitted += 1
        if progress is not None:
            progress.advance()
    return emitted


class _Progress:
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


def _progress(opts, total: int, sinks):
    if total < PROGRESS_MIN_FILES or opts.json or not opts.err.is_terminal:
        return None
    return _Progress(opts, total, sinks)


# ---- where the results go
def _sinks(opts, jsonl: bool, output: str | None) -> list:
    if output is not None:
        terminal = JsonSink(opts, records=False) if opts.json else DisplaySink(opts, results=False, wrote=output)
        return [_jsonl_file(output), terminal]
    if opts.json:
        return [JsonSink(opts)]
    if jsonl:
        return [JsonlSink(sys.stdout, opts)]
    return [DisplaySink(opts)]


def _jsonl_file(path: str):
    from gradcli.errors import InputFileError
    try:
        fh = open(path, "w", encoding="utf-8")
    except OSError as e:
        raise InputFileError(f"--output {path}: cannot write it ({e.strerror or e})") from None
    return JsonlSink(fh, None, owned=True)


class Sink:
    terminal = None                     # the progress bar's console, while one runs

    def through(self, console) -> None:
        self.terminal = console

    def file(self, result: dict, text: str | None) -> None:
        raise NotImplementedError

    def close(self, tally: Tally) -> None:
        pass

    def abort(self) -> None:
        """The batch was stopped (Ctrl-C): keep what was written, say nothing."""


class JsonlSink(Sink):
    """One JSON object per record, flushed per file so that nothing computed
    is lost if the batch is stopped."""

    def __init__(self, fh, opts, owned: bool = False):
        self.fh, self.opts, self.owned = fh, opts, owned

    def file(self, result, text):
        from gradcli.render.jsonout import dumps
        lines = "".join(dumps(r) + "\n" for r in result["records"])
        if self.terminal is not None and not self.owned and self.fh.isatty():
            self.terminal.out(lines, end="", highlight=False)
        else:
            self.fh.write(lines)
            self.fh.flush()

    def close(self, tally):
        if self.owned:
            self.fh.close()
        elif tally.failures:
            self.opts.err.print(summary_line(tally))

    def abort(self):
        if self.owned:
            self.fh.close()


class JsonSink(Sink):
    """--json: one document at the end: {"results": [...], "summary": {...}}."""

    def __init__(self, opts, records: bool = True):
        self.opts, self.keep, self.records = opts, records, []

    def file(self, result, text):
        if self.keep:
            self.records.extend(result["records"])

    def close(self, tally):
        from gradcli.render import jsonout
        doc = {"results": self.records} if self.keep else {}
        jsonout.dump({**doc, "summary": summary_doc(tally)})
        if tally.failures:
            self.opts.err.print(summary_line(tally))


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
            console.print(thing)

    def close(self, tally):
        from rich.text import Text
        console = self._console()
        if self.shown:
            console.print()
        if self.wrote:
            console.print(Text(f"wrote {tally.results + tally.failures:,} records to {self.wrote}", style="dim"))
        console.print(summary_line(tally))


def summary_line(tally: Tally):
    from rich.text import Text
    t = Text()
    t.append(f"{_count(tally.files, 'file')}, {_count(tally.results, 'result')}, ")
    t.append(_count(tally.failures, "failure"), style="bold red" if tally.failures else "bold green")
    t.append(f" in {_seconds(tally.seconds)}", style="dim")
    return t


def summary_doc(tally: Tally) -> dict:
    return {"files": tally.files, "results": tally.results, "failures": tally.failures,
            "seconds": round(tally.seconds, 6)}


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'s' * (n != 1)}"


def _seconds(s: float) -> str:
    return f"{s * 1000:.0f} ms" if s < 1 else f"{s:.2f} s"


# ---- the display of one file
SOURCE_SHARE, VALUE_SHARE = 0.22, 0.30      # of the width, at most, for these columns


def file_block(result: dict, text: str | None, precision: int, width: int, only_failures: bool = False) -> list:
    """Renderables for one file: a header, then its results as table rows; each
    error is drawn where it happened, as a diagnostic with its caret, and the
    table goes on below it with the same columns."""
    from rich.text import Text
    records = result["records"]
    nres = sum("value" in r for r in records)
    nfail = sum("error" in r for r in records)
    head = Text(result["file"], style="bold")
    facts = [_count(nres, "result")] + ([_count(nfail, "failure")] if nfail else [])
    if result["seconds"]:
        facts.append(_seconds(result["seconds"]))
    head.append("  " + ", ".join(facts), style="dim")
    out = [head]
    if not records:
        out.append(Text("  no results: the file has no result statements", style="dim"))
        return out
    rows = [] if only_failures else [_cells(r, precision) if "value" in r else None for r in records]
    widths = _widths([c for c in rows if c is not None], width)
    segment, header = [], True
    for i, r in enumerate(records):
        if not only_failures and "value" in r:
            segment.append(rows[i])
        if len(segment) == TABLE_ROWS:
            out.append(_indent(_table(segment, widths, header)))
            segment, header = [], False
        if "error" in r:
            if segment:
                out.append(_indent(_table(segment, widths, header)))
                segment, header = [], False
            out.append(_diagnostic(r, text))
    if segment:
        out.append(_indent(_table(segment, widths, header)))
    return out


TABLE_ROWS = 100        # rich lays a table out as a whole: long files print in parts


def _indent(thing):
    from rich.padding import Padding
    return Padding(thing, (0, 0, 0, 2), expand=False)


def _cells(r: dict, precision: int):
    import numpy
    from rich.text import Text

    from gradcli.render import format as fmt
    value = numpy.asarray(r["value"], dtype=float)
    v = Text(_array(value, precision, 3))
    for w in r.get("warnings", ()):
        v.append(f"\n⚠ {w.split(' (')[0]}", style="yellow")
    grads = r.get("grads")
    if grads is None:
        g = Text(f"— shape {fmt.shape(value.shape)}: not a scalar", style="dim")
    elif not grads:
        g = Text("— no inputs", style="dim")
    else:
        g = Text()
        for k, a in grads.items():
            if g:
                g.append("\n")
            g.append(f"∂{k} ", style="green")
            g.append(_array(numpy.asarray(a, dtype=float), precision, 2))
    return Text(str(r["line"]), style="dim"), Text(r["source"] or ""), v, g


def _array(a, precision: int, edge: int) -> str:
    """fmt.array's one-line text; small arrays without numpy's slow printer."""
    from gradcli.render import format as fmt
    if a.size == 0 or a.size > 2 * edge * edge or a.ndim > 2:
        return fmt.array(a, precision, edge=edge)
    if a.ndim == 0:
        return fmt.number(a, precision)
    if a.ndim == 1:
        return "[" + ", ".join(fmt.number(v, precision) for v in a.tolist()) + "]"
    return "[" + ", ".join(_array(row, precision, edge) for row in a) + "]"


def _widths(rows, width: int) -> tuple[int, int, int, int]:
    """Column widths shared by every segment of a file's table."""
    def longest(col, floor):
        return max([floor] + [max(map(len, c[col].plain.split("\n"))) for c in rows])
    line = longest(0, 4)
    source = min(longest(1, 6), max(12, int(width * SOURCE_SHARE)))
    value = min(longest(2, 5), max(10, int(width * VALUE_SHARE)))
    grad = max(10, width - line - source - value - 10)
    return line, source, value, min(grad, longest(3, 8))


def _table(rows, widths, header: bool):
    from rich.table import Table
    t = Table(box=None, show_header=header, header_style="bold dim", pad_edge=False, padding=(0, 1, 0, 1))
    line, source, value, grad = widths
    t.add_column("line", width=line, justify="right", no_wrap=True)
    t.add_column("source", width=source, no_wrap=True, overflow="ellipsis")
    t.add_column("value", width=value, overflow="fold")
    t.add_column("gradient", width=grad, overflow="fold")
    for row in rows:
        t.add_row(*row)
    return t


def _diagnostic(r: dict, text: str | None):
    """The record's error, as every gradcli message looks: caret and hint."""
    from rich.text import Text

    from gradcli.errors import GradcliError, Span
    from gradcli.render import diagnostics
    e = r["error"]
    span = None
    if e.get("line") is not None:
        span = Span(e["line"], e["column"], e.get("end_line", e["line"]), e.get("end_column", e["column"] + 1))
    err = GradcliError(e["message"], span, e.get("hint"))
    if text is not None and span is not None:
        err.locate(text, r["file"])
    rendered = diagnostics.render(err)
    # Indented line by line: a Padding would pad every line with spaces.
    return Text("\n").join(Text("  ") + line for line in rendered.split("\n"))


# ---- --compare: the same records, against an earlier run's
def load_expected(path: str) -> list[dict]:
    import json

    from gradcli.errors import InputFileError
    hint = "write it with: gradcli run FILE... --jsonl > EXPECTED.jsonl"
    try:
        with open(path, encoding="utf-8") as fh:
            lines = fh.readlines()
    except OSError as e:
        raise InputFileError(f"--compare {path}: cannot read it ({e.strerror or e})") from None
    except UnicodeDecodeError:
        raise InputFileError(f"--compare {path}: not a text file in UTF-8", hint=hint) from None
    records = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            r = json.loads(line)
        except ValueError as e:
            raise InputFileError(f"--compare {path}, line {n}: not a JSON record ({e})", hint=hint) from None
        if not isinstance(r, dict) or not isinstance(r.get("file"), str):
            raise InputFileError(f"--compare {path}, line {n}: a record needs a 'file'", hint=hint)
        records.append(r)
    return records


def _files_of(expected: list[dict]) -> list[str]:
    """The files an expected JSONL came from, in order (stdin cannot be reread)."""
    return list(dict.fromkeys(r["file"] for r in expected if r["file"] != STDIN))


def drifts(expected: list[dict], got: list[dict], rtol: float, atol: float, files=None) -> list[dict]:
    """Every difference between two runs' records: a value or gradient beyond
    the tolerance, a shape, a failure that came or went (or changed kind), a
    result missing or new. Records match by file and source text (the n-th
    statement with that text), so that a comment added above them does not
    unmatch them. Expected records of files that were not run are left out."""
    def keyed(records):
        seen: dict = {}
        for r in records:
            k = (r["file"], r.get("source"))
            seen[k] = seen.get(k, 0) + 1
            yield (*k, seen[k]), r
    pending = dict(keyed(got))
    out = []
    for k, e in keyed(r for r in expected if files is None or r["file"] in files):
        g = pending.pop(k, None)
        if g is None:
            out.append(_drift(e, "missing", _brief(e), None))
        else:
            out.extend(_compare(e, g, rtol, atol))
    out.extend(_drift(g, "new", None, _brief(g)) for g in pending.values())
    return out


def _compare(e: dict, g: dict, rtol: float, atol: float) -> list[dict]:
    e_err, g_err = e.get("error"), g.get("error")
    if (e_err is None) != (g_err is None) or (e_err and g_err and e_err.get("kind") != g_err.get("kind")):
        return [_drift(g, "failure", _brief(e), _brief(g))]
    if "value" not in e or "value" not in g:
        return []
    if list(e.get("shape", ())) != list(g.get("shape", ())):
        return [_drift(g, "shape", e.get("shape"), g.get("shape"))]
    out = []
    diff = _difference(e["value"], g["value"], rtol, atol)
    if diff is not None:
        out.append(_drift(g, "value", e["value"], g["value"], diff))
    eg, gg = e.get("grads") or {}, g.get("grads") or {}
    if set(eg) != set(gg):
        out.append(_drift(g, "gradients", sorted(eg), sorted(gg)))
        return out
    for name in eg:
        diff = _difference(eg[name], gg[name], rtol, atol)
        if diff is not None:
            out.append(_drift(g, "grad", eg[name], gg[name], diff, name))
    return out


def _difference(expected, got, rtol: float, atol: float):
    """None when got matches expected within tolerance (nan matching nan, inf
    matching inf), else the largest absolute difference (nan if incomparable)."""
    import numpy
    a = numpy.asarray(expected, dtype=float)
    b = numpy.asarray(got, dtype=float)
    if a.shape != b.shape:
        return math.nan
    if numpy.isclose(b, a, rtol=rtol, atol=atol, equal_nan=True).all():
        return None
    with numpy.errstate(invalid="ignore"):
        d = numpy.abs(a - b)
    finite = d[numpy.isfinite(d)]
    return float(finite.max()) if finite.size == d.size else math.inf if a.size else math.nan


def _drift(r: dict, what: str, expected, got, diff: float | None = None, name: str | None = None) -> dict:
    from gradcli.render.format import jsonable
    d = {"file": r["file"], "line": r.get("line"), "source": r.get("source"), "drift": what,
         **({"input": name} if name else {}), "expected": expected, "got": got}
    if diff is not None:
        d["max_abs_diff"] = jsonable(diff)
    return d


def _brief(r: dict):
    """A record's outcome in a few words: its value, or its failure."""
    if "error" in r and "value" not in r:
        e = r["error"]
        return f"{e.get('kind', 'error')}: {e.get('message', '')}"
    return r.get("value")


class CompareSink(Sink):
    """Collects the new records; at the end reports every drift (--compare)."""

    def __init__(self, opts, expected: list[dict], rtol: float, atol: float, jsonl: bool = False):
        self.opts, self.expected, self.rtol, self.atol, self.jsonl = opts, expected, rtol, atol, jsonl
        self.got: list[dict] = []
        self.drifts: list[dict] = []

    def file(self, result, text):
        self.got.extend(result["records"])

    def close(self, tally):
        from gradcli.render import jsonout
        self.drifts = drifts(self.expected, self.got, self.rtol, self.atol, tally.names)
        compared = sum(r["file"] in tally.names for r in self.expected)
        summary = {**summary_doc(tally), "compared": compared, "drifted": len(self.drifts),
                   "rtol": self.rtol, "atol": self.atol}
        if self.opts.json:
            jsonout.dump({"drifts": self.drifts, "summary": summary})
        elif self.jsonl:
            for d in self.drifts:
                jsonout.dump(d)
        else:
            for thing in drift_block(self.drifts, self.opts.precision):
                self.opts.out.print(thing)
        if not self.jsonl and not self.opts.json or self.drifts:
            self._say(summary)

    def _say(self, summary: dict) -> None:
        from rich.text import Text
        t = Text(f"compared {_count(summary['compared'], 'record')}: ")
        t.append("no drift" if not self.drifts else f"{len(self.drifts):,} drifted",
                 style="bold green" if not self.drifts else "bold red")
        t.append(f" (rtol {self.rtol:g}, atol {self.atol:g}) in {_seconds(summary['seconds'])}", style="dim")
        (self.opts.out if not (self.jsonl or self.opts.json) else self.opts.err).print(t)


def drift_block(found: list[dict], precision: int) -> list:
    """Each drift as a few lines: where and what, then expected and got."""
    from rich.table import Table
    from rich.text import Text
    out = []
    for d in found:
        head = Text(d["file"] + (f":{d['line']}" if d.get("line") else ""), style="bold")
        if d.get("source"):
            head.append("  " + d["source"].split("\n")[0])
        head.append("  " + (f"∂{d['input']}" if d["drift"] == "grad" else d["drift"]), style="bold red")
        if d.get("max_abs_diff") is not None:
            head.append(f"  |diff| {_show(d['max_abs_diff'], 3)}", style="dim")
        rows = Table.grid(padding=(0, 2), pad_edge=True)
        rows.add_column(style="dim", no_wrap=True)
        rows.add_column(overflow="fold")
        rows.add_row("  expected", _show(d["expected"], precision))
        rows.add_row("  got", _show(d["got"], precision))
        out += [head, rows]
    return out


def _show(v, precision: int) -> Text:
    import numpy
    from rich.text import Text

    from gradcli.render import format as fmt
    if v is None:
        return Text("—", style="dim")
    if isinstance(v, str):
        return Text(v)
    try:
        return Text(fmt.array(numpy.asarray(v, dtype=float), precision, edge=2))
    except (TypeError, ValueError):
        return Text(str(v))
