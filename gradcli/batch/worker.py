"""The work of a batch: programs in, plain records out.

`evaluate_chunk` is the one unit of work: top-level (so it pickles by
reference), it takes file names and texts and returns plain data — dicts of
lists, never Tensors — so any `concurrent.futures`-style executor can run it
(pool.py). The files are read by the caller and sent as text, so workers need
no shared disk.

Nothing here prints: failures become records.

This module is imported only where files are evaluated (pool.py, schedule.py,
a worker process), so it imports the engine at its top: an import inside the
per-statement code costs a microsecond per result."""
from __future__ import annotations

import gc
import time

from gradcli import api, ast
from gradcli.autograd.context import messages
from gradcli.batch.records import counts, error_fields, error_record, file_error, jsonl, location
from gradcli.collector import collect_between
from gradcli.errors import GradcliError, UnknownNameError, classify
from gradcli.parse import parse
from gradcli.render.format import jsonable


HALT = None         # a pool worker's event, set on Ctrl-C (pool.py)


def evaluate_chunk(files: list[tuple[str, str]], settings: dict) -> list[dict]:
    """Evaluate (name, text) programs one after another; one dict per file,
    for the files done before HALT was set (all of them, but on Ctrl-C).
    With settings["jsonl"], each also has its records as JSON Lines: encoded
    here, by the workers at once, rather than by the parent one file after
    another (with many jobs, the parent would be the batch's bottleneck).
    When JSON Lines are all the parent writes (settings["records"] false),
    the records themselves stay here and only their counts go back: the
    parent would otherwise unpickle every one, for nothing (a tenth of a
    --jobs 2 run's time)."""
    out = []
    for name, text in files:
        if HALT is not None and HALT.is_set():
            break
        result = evaluate_file(name, text, settings)
        if settings.get("jsonl"):
            result["jsonl"] = jsonl(result["records"])
            if not settings.get("records", True):
                result["counts"] = counts(result.pop("records"))
        out.append(result)
        collect_between()
    return out


def evaluate_file(name: str, text: str, settings: dict) -> dict:
    """One file as one program in a fresh session (the generator reseeded),
    every statement in turn: {"file", "seconds", "records"}. A record per
    result statement and per failed statement; a syntax error is the file's
    one record."""
    start = time.perf_counter()
    try:
        records = _evaluate(name, text, settings)
    except Exception as e:          # noqa: BLE001 - the session itself (a device), or a bug: not the batch
        err = classify(e)
        records = [file_error(name, err.message, err.kind)]
    return {"file": name, "seconds": time.perf_counter() - start, "records": records}


def warm() -> None:
    """Load what every file needs, once: before workers are forked, or before
    the first file in this process, so that its time is its own. Importing
    this module loaded the modules; this builds (or loads) the parser. With
    the collector off (a command: collector.py), what is loaded by then is
    frozen: the collection after the first file (collect_between) would
    otherwise scan every module, the op table and the grammar (about 30 ms
    a process), and in a forked worker it would write to the pages of all of
    them, which fork shares until they are written (Python's gc.freeze
    documentation recommends it before a fork)."""
    parse("0")
    if not gc.isenabled():
        gc.freeze()


def _evaluate(name: str, text: str, settings: dict) -> list[dict]:
    session = api.setup(None, device=settings.get("device", "cpu"), dtype=settings.get("dtype", "float64"),
                        seed=settings.get("seed", 0))
    session.unbound = "bind it in the file before it: {name} = ..."
    # Split on "\n" alone, as the parser counts lines (splitlines would also
    # split at a form feed, which the language treats as a space).
    lines = [line.rstrip("\r") for line in text.split("\n")]
    try:
        program = parse(text, name, lazy=True)      # each statement is read once: built as it is read
    except Exception as e:          # noqa: BLE001 - a bug in the parser is this file's record
        return [error_record(name, lines, None, classify(e))]
    # The floating-point flags watched once for the whole file: execute and
    # differentiate nested inside do not watch again, where each of them would
    # enter NumPy's errstate per result (a tenth of the time of a result).
    with session.evaluating():
        return _records(session, program.statements, name, lines)


def _records(session, statements, name: str, lines: list[str]) -> list[dict]:
    """The statements run in turn: a record per result and per failure."""
    records = []
    failed: dict[str, int] = {}         # name -> line of its binding that failed
    for stmt in statements:
        try:
            try:
                record = _statement(session, stmt, name, lines)
            except Exception as e:  # noqa: BLE001 - one statement's bug keeps the others' results
                raise classify(e) from None
        except GradcliError as e:
            if isinstance(e, UnknownNameError) and e.span is not None:
                _explain_failed_name(e, lines, failed)
            if isinstance(stmt, (ast.Binding, ast.FunctionDef)):
                # Forget the name, so that later statements cannot silently
                # use an older value; their errors then say why it is missing.
                session.env.pop(stmt.name, None)
                failed[stmt.name] = stmt.span.line
            records.append(error_record(name, lines, stmt, e))
            continue
        if isinstance(stmt, (ast.Binding, ast.FunctionDef)):
            failed.pop(stmt.name, None)
        if record is not None:
            records.append(record)
    return records


def _statement(session, stmt, name: str, lines: list[str]) -> dict | None:
    """Run one statement: a result's record (value, shape, dtype, gradients), else None."""
    bk = session.bk
    first_event = len(session.ctx.events)
    value = session.execute(stmt)
    if value is None:
        return None
    record = location(name, lines, stmt)
    record["value"] = jsonable(bk.to_host(value.data))
    record["shape"] = list(value.shape)
    record["dtype"] = bk.dtype_name
    record["grads"] = None              # only a scalar result has gradients
    if value.size == 1:
        try:
            grads = api.differentiate(value, session)
            record["grads"] = {k: jsonable(g) for k, g in grads.items()}
        except GradcliError as e:
            # The value stands; the record still counts as a failure.
            record["error"] = error_fields(e)
    events = session.ctx.events
    if len(events) > first_event:
        record["warnings"] = messages(events[first_event:])
    return record


def _explain_failed_name(e, lines: list[str], failed: dict) -> None:
    """'unknown name x' where x's binding failed: say so instead."""
    span = e.span
    if span.line != span.end_line:
        return
    word = span.text(lines)
    if word in failed:
        e.message = f"'{word}' has no value: its definition on line {failed[word]} failed"
        e.hint = f"fix line {failed[word]} first"
