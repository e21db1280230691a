"""The records of `gradcli run`, and the tally of them.

A record is plain JSON data (dicts, lists, floats, strings), built by the
workers and read by every sink as it is: one per result statement, one per
failed statement, and a file's one record when it could not be read or
parsed. Every record has `file`, `line` and `source`; a result adds `value`,
`shape`, `dtype`, `grads` (and `warnings`); a failure adds `error`, the
object of a --json error document plus where its span ends."""
from __future__ import annotations

from dataclasses import dataclass, field


def location(name: str, lines: list[str], stmt) -> dict:
    """The start of a statement's record: where it is and its source."""
    return {"file": name, "line": stmt.span.line, "source": stmt.span.text(lines)}


def error_record(name: str, lines: list[str], stmt, e) -> dict:
    """The record of a failure: the statement's (or, with no statement, the
    line the error points at), with the error."""
    span = e.span
    if stmt is not None:
        record = location(name, lines, stmt)
    else:
        line = span.line if span else None
        record = {"file": name, "line": line, "source": line_text(lines, line) if line else None}
    record["error"] = error_fields(e)
    return record


def file_error(name: str, message: str, kind: str = "input_file") -> dict:
    """The one record of a file that could not be read or evaluated at all."""
    from gradcli.errors import GradcliError
    e = GradcliError(message)
    e.kind = kind
    return {"file": name, "line": None, "source": None, "error": error_fields(e)}


def error_fields(e) -> dict:
    """A --json error document's object, and where the span ends (for the caret)."""
    from gradcli.render.jsonout import error_document
    error = error_document(e)["error"]
    if e.span is not None:
        error["end_line"], error["end_column"] = e.span.end_line, e.span.end_column
    return error


def jsonl(records: list[dict]) -> str:
    """The records as JSON Lines: an object a line."""
    from gradcli.render.jsonout import dumps
    return "".join(dumps(r) + "\n" for r in records)


def line_text(lines: list[str], line: int) -> str:
    return lines[line - 1] if 0 < line <= len(lines) else ""


@dataclass
class Tally:
    """What the batch has emitted so far; `seconds` is set at the end."""
    files: int = 0
    results: int = 0
    failures: int = 0
    seconds: float = 0.0
    names: set = field(default_factory=set)

    def add(self, result: dict) -> None:
        """A file's result: its records, or only their counts (worker.evaluate_chunk)."""
        self.files += 1
        self.names.add(result["file"])
        results, failures = result.get("counts") or counts(result["records"])
        self.results += results
        self.failures += failures


def counts(records: list[dict]) -> tuple[int, int]:
    """(results, failures) among records."""
    return sum("value" in r for r in records), sum("error" in r for r in records)


def summary_doc(tally: Tally) -> dict:
    return {"files": tally.files, "results": tally.results, "failures": tally.failures,
            "seconds": round(tally.seconds, 6)}


def summary_line(tally):
    """'13 files, 44 results, 0 failures in 507 ms'."""
    from rich.text import Text
    t = Text()
    t.append(f"{plural(tally.files, 'file')}, {plural(tally.results, 'result')}, ")
    t.append(plural(tally.failures, "failure"), style="bold red" if tally.failures else "bold green")
    t.append(f" in {duration(tally.seconds)}", style="dim")
    return t


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'s' * (n != 1)}"


def duration(s: float) -> str:
    return f"{s * 1000:.0f} ms" if s < 1 else f"{s:.2f} s"
