"""--compare: a batch's records against an earlier run's (a --jsonl file),
every difference beyond the tolerance reported as a drift."""
from __future__ import annotations

import math
import os

from gradcli.batch.sinks import Sink
from gradcli.batch.sources import STDIN


def load_expected(path: str) -> list[dict]:
    """The records of an earlier --jsonl run; a file that is not one is a usage error."""
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
            r = json.loads(line, parse_constant=_no_constant)
        except ValueError as e:
            raise InputFileError(f"--compare {path}, line {n}: not a JSON record ({e})", hint=hint) from None
        if not isinstance(r, dict) or not isinstance(r.get("file"), str):
            raise InputFileError(f"--compare {path}, line {n}: a record needs a 'file'", hint=hint)
        records.append(_checked(r, f"--compare {path}, line {n}"))
    return records


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON: gradcli writes nan and infinities as \"nan\", \"inf\", \"-inf\"")


def _checked(r: dict, where: str) -> dict:
    """A record's fields of the types a --jsonl record has them: what is
    compared must be numbers (gradcli's "nan", "inf", "-inf" included), the
    source text or null, the shape whole numbers; else one message naming it."""
    from gradcli.errors import InputFileError
    from gradcli.inputs import numbers
    if "value" in r:
        numbers(r["value"], f"{where}, its 'value'")
    for name, g in (r.get("grads") or {}).items() if isinstance(r.get("grads"), dict) else ():
        numbers(g, f"{where}, its gradient of {name!r}")
    wrong = [k for k, ok in (("source", lambda v: v is None or isinstance(v, str)),
                             ("line", lambda v: v is None or isinstance(v, int) and not isinstance(v, bool)),
                             ("grads", lambda v: v is None or isinstance(v, dict)),
                             ("shape", lambda v: isinstance(v, list) and all(isinstance(i, int) for i in v)),
                             ("error", lambda v: isinstance(v, dict))) if k in r and not ok(r[k])]
    if wrong:
        raise InputFileError(f"{where}: its {wrong[0]!r} is not what a --jsonl record holds ({r[wrong[0]]!r:.60})",
                             hint="write it with: gradcli run FILE... --jsonl > EXPECTED.jsonl")
    return r


def files_of(expected: list[dict]) -> list[str]:
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
            k = (_path(r["file"]), r.get("source"))
            seen[k] = seen.get(k, 0) + 1
            yield (*k, seen[k]), r
    files = None if files is None else {_path(f) for f in files}
    pending = dict(keyed(got))
    out = []
    for k, e in keyed(r for r in expected if files is None or _path(r["file"]) in files):
        g = pending.pop(k, None)
        if g is None:
            out.append(_drift(e, "missing", _brief(e), None))
        else:
            out.extend(_compare(e, g, rtol, atol))
    out.extend(_drift(g, "new", None, _brief(g)) for g in pending.values())
    return out


def _path(name: str) -> str:
    """A file as the same file however it was named (./samples/x.grad is samples/x.grad)."""
    return name if name == STDIN else os.path.normpath(name)


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
        from gradcli.batch.records import summary_doc
        from gradcli.render import jsonout
        self.drifts = drifts(self.expected, self.got, self.rtol, self.atol, tally.names)
        ran = {_path(name) for name in tally.names}
        compared = sum(_path(r["file"]) in ran for r in self.expected)
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

        from gradcli.batch.records import duration, plural
        t = Text(f"compared {plural(summary['compared'], 'record')}: ")
        t.append("no drift" if not self.drifts else f"{len(self.drifts):,} drifted",
                 style="bold green" if not self.drifts else "bold red")
        t.append(f" (rtol {self.rtol:g}, atol {self.atol:g}) in {duration(summary['seconds'])}", style="dim")
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
