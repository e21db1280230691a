"""A program and its inputs from the command line: read from an argument,
stdin or a file; --at NAME=EXPR and @FILE; parsed, bound and run, with the
warnings a reader needs (an --at the program never reads, a result that is
the last binding, floating-point events)."""
from __future__ import annotations

import contextlib
import os
import sys

from gradcli.edge import Options, unbalanced


def read_program(program: str | None, file: str | None) -> tuple[str, str | None]:
    """The program's text and where it came from (for error locations)."""
    from gradcli.errors import InputFileError, UsageError
    if file is not None:
        if program is not None:
            raise UsageError("give the program as an argument or with -f FILE, not both")
        from gradcli.inputs import NOT_REGULAR, regular
        if not regular(file):
            raise InputFileError(f"{file}: {NOT_REGULAR}")
        try:
            with open(file, encoding="utf-8-sig") as fh:     # a byte-order mark is not part of the program
                return fh.read(), file
        except FileNotFoundError:
            raise InputFileError(f"{file}: no such file") from None
        except UnicodeDecodeError:
            raise InputFileError(f"{file}: not a text file in UTF-8") from None
        except OSError as e:
            raise InputFileError(f"{file}: {e.strerror}") from None
    if program is None:
        raise UsageError("no program given", hint='gradcli grad "norm(4*x*x)" --at x="ones(2)"; '
                                                  "or - to read it from stdin, or -f FILE")
    if program == "-":
        return sys.stdin.read(), "<stdin>"
    return program, None


def parse_at(at: tuple[str, ...]) -> dict[str, object]:
    """NAME=EXPR pairs; EXPR may be @FILE."""
    from gradcli.errors import UsageError
    out = {}
    for item in at:
        name, eq, value = item.partition("=")
        name = name.strip()
        if not eq or not name or not value.strip():
            raise UsageError(f"--at {item!r}: expected NAME=EXPR", hint='e.g. --at x="ones(2)" or --at w=@w.npy')
        if unbalanced(value):
            raise UsageError(f"--at {item}: its brackets do not close (did the shell split it at a space?)",
                             hint=f'quote it: --at {name}="{value} ..."')
        if value.strip().startswith("@"):
            from gradcli import inputs      # only for a file (its pathlib costs every command start-up time)
            value = inputs.load(value.strip()[1:])
        out[name] = value
    return out


def builtin_names(prefix: str) -> list[str]:
    """Shell completion of `gradcli functions so<Tab>`."""
    from gradcli.ops import BUILTINS, SYNONYMS
    return sorted(n for n in (*BUILTINS, *SYNONYMS) if n.startswith(prefix))


def prepare(opts: Options, program, file, at):
    """Parse options, bind inputs, run the program: (source, session, result tensor)."""
    from gradcli import api
    from gradcli.parse import parse
    source, origin = read_program(program, file)
    inputs = parse_at(at)
    session = api.setup(inputs, device=opts.device, dtype=opts.dtype, seed=opts.seed)
    parsed = parse(source, origin, lazy=True)          # run once: its statements are built as they run
    _warn_unread(opts, parsed, inputs)
    y = api.run_program(source, session, origin, parsed)
    if session.reported and not opts.json:
        opts.err.print(f"the result is {session.reported}, the program's last binding", style="dim", markup=False)
    return source, origin, session, y


def _warn_unread(opts: Options, program, inputs: dict) -> None:
    """An --at for a name the program never reads is a warning, not silence."""
    from gradcli import ast
    from gradcli.errors import GradcliError
    from gradcli.render import diagnostics
    from gradcli.spellings import suggest
    read, missing = set(), set(inputs)
    for stmt in program.statements:         # stops once every --at name is found (long programs)
        if not missing:
            return
        read.update(ast.names(stmt.body if isinstance(stmt, ast.FunctionDef) else stmt.value))
        missing -= read
    for name in inputs:
        if name not in read:
            w = GradcliError(f"--at {name}: the program never reads '{name}'" + suggest(name, read))
            opts.err.print(diagnostics.render(w, "warning", opts.err.width))


def print_warnings(opts: Options, session) -> None:
    from gradcli.render import diagnostics
    for w in diagnostics.warnings(session.ctx.events):
        opts.err.print(w)


def grad_point(opts: Options, program, file, at, wrt, depth, full, node_grads, hessian, output) -> None:
    """grad without --sweep: the value, the gradients and the graph (and,
    with hessian, the Hessian's story); with output, the arrays go to that
    .npz file, and the terminal shows the value and the arrays' shapes."""
    from gradcli import api
    from gradcli.errors import GradcliError
    from gradcli.render import console
    if output:
        _check_result_file(output, depth, full, node_grads)
    source, origin, session, y = prepare(opts, program, file, at)
    try:
        grads = api.differentiate(y, session, list(wrt), release=not (hessian or node_grads))
    except GradcliError:
        if not opts.json:       # what was computed is not lost: the value, then the error
            console.show(opts, source, y, session, grads=None)
        raise
    print_warnings(opts, session)
    s = None
    if hessian:
        from gradcli.curvature import story
        s = story(y, session, list(wrt))
    if output:
        return console.show_written(opts, source, y, session, grads, s, output)
    if hessian:
        return console.show_hessian(opts, source, y, session, grads, s)
    flows = api.flows(y, session) if node_grads else None
    console.show(opts, source, y, session, grads=grads, with_graph=True, depth=depth, full=full, flows=flows)


def _check_result_file(output: str, depth, full, node_grads) -> None:
    """grad --output FILE, before any work: a .npz (the value and every
    gradient are several arrays, which a .npy cannot hold), and none of the
    options that draw the graph, which a file of arrays does not show."""
    from gradcli.errors import UsageError
    from gradcli.render import files
    files.check(output, (".npz",), "a grad result, several arrays (the value and each gradient),",
                hint=f"name it {os.path.splitext(output)[0]}.npz; numpy.load(FILE) then gives "
                     "['value'], ['grad_x'] for an input x")
    if depth or full or node_grads:
        raise UsageError("--depth, --full and --grads draw the graph, which --output does not show",
                         hint="drop them, or drop --output to see the graph")


def sweep_points(opts: Options, program, file, at, wrt, swept, grid, chunk, jsonl, output) -> None:
    """grad --sweep: the program at every point of the swept inputs (their
    --at values' leading axis), shown as a table, --json, --jsonl or --output."""
    from gradcli import api
    from gradcli.errors import UsageError
    from gradcli.render import diagnostics, jsonout
    from gradcli.render import sweep as shown
    from gradcli import sweeps
    if not swept:
        raise UsageError("--grid, --chunk and --jsonl go with --sweep NAME",
                         hint='e.g. gradcli grad "sin(x)*x" --at x="linspace(-3, 3, 101)" --sweep x')
    if opts.json and jsonl:
        raise UsageError("--json prints one document and --jsonl a record a point: give one of them")
    if output:
        shown.check(output)         # before the sweep runs
    source, origin = read_program(program, file)
    inputs = parse_at(at)
    missing = [n for n in swept if n not in inputs]
    if missing:
        raise UsageError(f"--sweep {missing[0]}: give its points with --at {missing[0]}=...",
                         hint=f'e.g. --at {missing[0]}="linspace(-3, 3, 101)" --sweep {missing[0]}')
    scratch = api.setup(None, device=opts.device, dtype=opts.dtype, seed=opts.seed)
    values = {n: scratch.bk.to_host(api.to_tensor(scratch, n, inputs.pop(n)).data) for n in dict.fromkeys(swept)}
    with _progress(opts) as progress:
        s = sweeps.run(source, values, inputs, grid=grid, chunk=chunk, wrt=list(wrt), device=opts.device,
                  dtype=opts.dtype, seed=opts.seed, origin=origin, progress=progress)
    if output:
        shown.write(s, output)
    if jsonl:
        for rec in shown.records(s):
            jsonout.dump(rec)
    elif opts.json:
        jsonout.dump(shown.document(s, output))
    else:
        for w in diagnostics.warnings(s.events):
            opts.err.print(w)
        if not output:
            opts.out.print(shown.table(s, opts.precision, opts.out.width))
        opts.out.print(shown.summary(s) + (f"; written to {output}" if output else ""), style="dim",
                       markup=False, highlight=False, soft_wrap=True)


@contextlib.contextmanager
def _progress(opts: Options):
    """A progress bar on a terminal while a long sweep runs (its chunks)."""
    if not opts.err.is_terminal or opts.json:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    bar = Progress(TextColumn("sweeping"), BarColumn(), MofNCompleteColumn(), TextColumn("points"),
                   TimeElapsedColumn(), console=opts.err, transient=True)
    task = bar.add_task("points", total=None)
    with bar:
        yield lambda done, total: bar.update(task, completed=done, total=total)
