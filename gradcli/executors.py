"""Where batch work runs, and the work itself.

`evaluate_chunk` is the one unit of work: top-level (so it pickles by
reference), it takes file names and texts and returns plain data — dicts of
lists, never Tensors — so any `concurrent.futures`-style executor can run it:
this process (`--jobs 1`), a local process pool (`--jobs N`), or a Dask
cluster (`--scheduler ADDRESS`, through `Client.get_executor()`). The files
are read by the caller and sent as text, so workers need no shared disk.

Nothing here prints: failures become records."""
from __future__ import annotations

import contextlib
import gc
import math
import os
import time
from concurrent.futures import Executor, Future


# ---- the work
def evaluate_chunk(files: list[tuple[str, str]], settings: dict) -> list[dict]:
    """Evaluate (name, text) programs one after another; one dict per file."""
    out = []
    for name, text in files:
        out.append(evaluate_file(name, text, settings))
        if not gc.isenabled():
            # One-shot commands run with the cyclic collector off (cli.run);
            # a long batch still frees the cycles a file left (exceptions and
            # their tracebacks) before the next one. Generation 0 is cheap.
            gc.collect(0)
    return out


def evaluate_file(name: str, text: str, settings: dict) -> dict:
    """One file as one program in a fresh session (the generator reseeded),
    every statement in turn: {"file", "seconds", "records"}. A record per
    result statement and per failed statement; a syntax error is the file's
    one record."""
    from gradcli.errors import GradcliError
    start = time.perf_counter()
    try:
        records = _evaluate(name, text, settings)
    except GradcliError as e:       # the session itself (a device, a dtype)
        records = [file_error(name, e.message, e.kind)]
    except Exception as e:          # noqa: BLE001 - a bug must not take the batch down
        records = [file_error(name, _unexpected(e).message, "internal")]
    return {"file": name, "seconds": time.perf_counter() - start, "records": records}


def _evaluate(name: str, text: str, settings: dict) -> list[dict]:
    from gradcli import api, ast
    from gradcli.errors import GradcliError, UnknownNameError
    from gradcli.parse import parse

    session = api.setup(None, device=settings.get("device", "cpu"), dtype=settings.get("dtype", "float64"),
                        seed=settings.get("seed", 0))
    # Split on "\n" alone, as the parser counts lines (splitlines would also
    # split at a form feed, which the language treats as a space).
    lines = [line.rstrip("\r") for line in text.split("\n")]
    try:
        program = parse(text)
    except GradcliError as e:
        return [_error_record(name, lines, None, e)]
    except Exception as e:          # noqa: BLE001 - see _unexpected
        return [_error_record(name, lines, None, _unexpected(e))]
    records = []
    failed: dict[str, int] = {}         # name -> line of its binding that failed
    for stmt in program.statements:
        try:
            try:
                record = _statement(session, stmt, name, text, lines)
            except GradcliError:
                raise
            except Exception as e:  # noqa: BLE001 - one statement's bug keeps the others' results
                raise _unexpected(e) from None
        except GradcliError as e:
            if isinstance(e, UnknownNameError) and e.span is not None:
                _explain_failed_name(e, lines, failed)
            if isinstance(stmt, (ast.Binding, ast.FunctionDef)):
                # Forget the name, so that later statements cannot silently
                # use an older value; their errors then say why it is missing.
                session.env.pop(stmt.name, None)
                failed[stmt.name] = stmt.span.line
            records.append(_error_record(name, lines, stmt, e))
            continue
        if isinstance(stmt, (ast.Binding, ast.FunctionDef)):
            failed.pop(stmt.name, None)
        if record is not None:
            records.append(record)
    return records


def _statement(session, stmt, name: str, text: str, lines: list[str]) -> dict | None:
    """Run one statement: a result's record (value, shape, dtype, gradients), else None."""
    from gradcli import api
    from gradcli.errors import GradcliError
    bk = session.bk
    first_event = len(bk.events)
    value = session.execute(stmt, text)
    if value is None:
        return None
    record = _record(name, lines, stmt)
    record["value"] = _plain(bk.to_host(value.data))
    record["shape"] = list(value.shape)
    record["dtype"] = bk.dtype_name
    record["grads"] = None              # only a scalar result has gradients
    if value.size == 1:
        try:
            grads = api.differentiate(value, session)
            record["grads"] = {k: _plain(g) for k, g in grads.items()}
        except GradcliError as e:
            # The value stands; the record still counts as a failure.
            record["error"] = _error_record(name, lines, stmt, e)["error"]
    warnings = _warnings(bk.events[first_event:])
    if warnings:
        record["warnings"] = warnings
    return record


def _unexpected(e: BaseException):
    """Anything that is not a gradcli error, as one (a bug, or no memory)."""
    from gradcli.errors import GradcliError
    if isinstance(e, MemoryError):
        message = "out of memory: the arrays are too large for this machine"
    elif isinstance(e, RecursionError):
        message = "the program is nested too deeply"
    else:
        message = f"internal error: {type(e).__name__}: {e}"
    err = GradcliError(message)
    err.kind = "internal"
    return err


def _plain(a):
    """A host array as JSON's numbers: nested lists, "nan"/"inf"/"-inf" strings."""
    from gradcli.render.format import jsonable
    if a.ndim == 0:
        v = float(a)
        return v if math.isfinite(v) else jsonable(a)
    return jsonable(a)


def _record(name: str, lines: list[str], stmt) -> dict:
    return {"file": name, "line": stmt.span.line, "source": statement_text(lines, stmt.span)}


def _error_record(name: str, lines: list[str], stmt, e) -> dict:
    span = e.span
    if stmt is not None:
        record = _record(name, lines, stmt)
    else:
        line = span.line if span else None
        record = {"file": name, "line": line, "source": _line(lines, line) if line else None}
    error = {"message": e.message, "line": span.line if span else None, "column": span.column if span else None,
             "kind": e.kind}
    if span is not None:
        error["end_line"], error["end_column"] = span.end_line, span.end_column
    if e.hint:
        error["hint"] = e.hint
    record["error"] = error
    return record


def file_error(name: str, message: str, kind: str = "input_file") -> dict:
    """The one record of a file that could not be read or evaluated at all."""
    return {"file": name, "line": None, "source": None,
            "error": {"message": message, "line": None, "column": None, "kind": kind}}


def _explain_failed_name(e, lines: list[str], failed: dict) -> None:
    """'unknown name x' where x's binding failed: say so instead."""
    span = e.span
    if span.line != span.end_line:
        return
    word = _line(lines, span.line)[span.column - 1:span.end_column - 1]
    if word in failed:
        e.message = f"'{word}' has no value: its definition on line {failed[word]} failed"
        e.hint = f"fix line {failed[word]} first"


def _warnings(events) -> list[str]:
    """Floating-point events (log(-1), 0/0) as short messages, once each."""
    from gradcli.render.diagnostics import _WHAT
    out = []
    for op, what, _span in events:
        message = f"{op}: {_WHAT.get(what, what)}"
        if message not in out:
            out.append(message)
    return out


def _line(lines: list[str], line: int) -> str:
    return lines[line - 1] if 0 < line <= len(lines) else ""


def statement_text(lines: list[str], span) -> str:
    """The source of a statement, as written (several lines joined by newlines)."""
    if not 0 < span.line <= len(lines):
        return ""
    if span.line == span.end_line:
        return lines[span.line - 1][span.column - 1:span.end_column - 1]
    part = lines[span.line - 1:span.end_line]
    part[-1] = part[-1][:span.end_column - 1]
    part[0] = part[0][span.column - 1:]
    return "\n".join(part)


# ---- where it runs
class InlineExecutor(Executor):
    """Runs each task in this process when it is submitted (--jobs 1): the
    same interface as the pools, with no process start-up or pickling."""

    def submit(self, fn, /, *args, **kwargs):
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as e:      # noqa: BLE001 - delivered through the future, as pools do
            future.set_exception(e)
        return future


def _ignore_sigint():
    # Ctrl-C goes to the whole process group; only the parent handles it and
    # shuts the pool down, so the workers do not each print a traceback.
    import signal
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def warm() -> None:
    """Load what every file needs, once, before workers are forked."""
    from gradcli import api  # noqa: F401
    from gradcli.parse import _parser
    from gradcli.render import diagnostics, format  # noqa: F401
    _parser()


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


@contextlib.contextmanager
def executor(jobs: int, tasks: int, scheduler: str | None = None, fork: bool = True):
    """(executor, workers): a Dask cluster's, a process pool, or this process."""
    if scheduler:
        with _dask(scheduler) as pair:
            yield pair
        return
    workers = max(1, min(jobs, tasks))
    if workers == 1:
        warm()                          # so that the first file's time is its own
        yield InlineExecutor(), 1
        return
    import multiprocessing
    import threading
    from concurrent.futures import ProcessPoolExecutor
    # fork shares the imported modules (numpy, lark, the op table, the built
    # parser) with the workers, so they start at once. It is safe only while
    # this process has one thread (the progress bar starts after the first
    # submit); otherwise, and where there is no fork, a fresh interpreter per
    # worker loads them itself.
    methods = multiprocessing.get_all_start_methods()
    if fork and "fork" in methods and threading.active_count() == 1:
        method = "fork"
        warm()
    else:
        method = "forkserver" if "forkserver" in methods else "spawn"
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(method),
                               initializer=_ignore_sigint)
    try:
        yield pool, workers
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


CONNECT_SECONDS = 15       # to reach a Dask scheduler before giving up


@contextlib.contextmanager
def _dask(address: str):
    from gradcli.errors import ComputeError, UsageError
    try:
        from distributed import Client
    except ImportError:
        raise UsageError("--scheduler needs Dask's distributed scheduler, which is not installed",
                         hint="pip install 'gradcli[dask]'") from None
    try:
        client = Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as e:
        raise ComputeError(f"--scheduler {address}: cannot reach the Dask scheduler ({e})",
                           hint="start one with `dask scheduler` and `dask worker ADDRESS`, "
                                "or check the address (e.g. tcp://host:8786)") from None
    try:
        workers = max(1, sum(client.nthreads().values()))
        pool = client.get_executor(pure=False)
        try:
            yield pool, workers
        finally:
            pool.shutdown(wait=True)
    finally:
        client.close()
