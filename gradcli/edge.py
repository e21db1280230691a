"""What every edge shares (the command line, the REPL, batch): the options
every command takes, the two consoles, reading a program and its inputs, and
the one boundary that turns any failure into a message and an exit code.
Heavy imports (numpy, lark, rich) wait until they are needed."""
from __future__ import annotations

import contextlib
import gc
import os
import sys
from dataclasses import dataclass, field

import click

from gradcli.backend import DEVICES, DTYPES

@dataclass
class Options:
    dtype: str = "float64"
    device: str = "cpu"
    seed: int = 0
    precision: int = 4
    json: bool = False
    no_color: bool = False
    _out: object = field(default=None, repr=False)
    _err: object = field(default=None, repr=False)

    @property
    def out(self):
        """The rich console on stdout (no escape codes when not a terminal)."""
        if self._out is None:
            self._out = _console(self, sys.stdout)
        return self._out

    @property
    def err(self):
        if self._err is None:
            self._err = _console(self, sys.stderr)
        return self._err


class _TrimmedLines:
    """A text stream that drops the spaces rich pads table cells with at the
    ends of lines (they show up in copies, diffs and golden files)."""
    _TRAILING = None

    def __init__(self, file):
        self.file = file

    def write(self, text: str) -> int:
        if _TrimmedLines._TRAILING is None:
            import re
            _TrimmedLines._TRAILING = re.compile(r" +((?:\x1b\[[0-9;]*m)*)(?=\n)")
        return self.file.write(_TrimmedLines._TRAILING.sub(r"\1", text))

    def __getattr__(self, name):
        return getattr(self.file, name)


def _console(opts: Options, file):
    from rich.console import Console
    no_color = opts.no_color or bool(os.environ.get("NO_COLOR"))
    # Messages on stderr are not hard-wrapped (a wrapped caret line would point
    # at the wrong column); the terminal wraps them if it must.
    # markup=False: values such as "[nan, 0]" must print as they are.
    console = Console(file=_TrimmedLines(file), no_color=no_color, highlight=False, markup=False,
                      soft_wrap=file is sys.stderr, emoji=False, color_system=None if no_color else "auto")
    console.on_broken_pipe = _raise_broken_pipe     # rich would exit 1; the boundary exits 0
    return console


def _raise_broken_pipe():
    raise BrokenPipeError


class Tolerance(click.ParamType):
    """A tolerance: a finite number >= 0 (nan and inf would accept, or refuse, everything)."""
    name = "float"

    def convert(self, value, param, ctx):
        import math
        try:
            v = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        if not (math.isfinite(v) and v >= 0):
            self.fail(f"{value} is not a tolerance: a finite number >= 0", param, ctx)
        return v


def common_options(f):
    """--dtype --device --seed --precision --json --no-color, on every command."""
    decorators = [
        click.option("--dtype", type=click.Choice(DTYPES), default="float64", show_default=True,
                     help="Floating-point precision of the computation."),
        click.option("--device", type=click.Choice(DEVICES), default="cpu", show_default=True,
                     help="cpu (NumPy) or cuda (CuPy, the [cuda] extra)."),
        click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
                     help="Seed of rand() and randn()."),
        click.option("--precision", type=click.IntRange(1, 17), default=4, show_default=True,
                     help="Digits shown (display only; JSON has full precision)."),
        click.option("--json", "json_", is_flag=True, help="Print one JSON document instead of the display."),
        click.option("--no-color", is_flag=True, help="No colors (NO_COLOR is honoured too)."),
    ]
    for d in reversed(decorators):
        f = d(f)
    return f


def options_from(kw: dict) -> Options:
    return Options(kw.pop("dtype"), kw.pop("device"), kw.pop("seed"), kw.pop("precision"),
                   kw.pop("json_"), kw.pop("no_color"))


def program_options(f):
    """PROGRAM (or - for stdin, or -f FILE) and --at NAME=EXPR."""
    f = click.option("--at", "at", multiple=True, metavar="NAME=EXPR",
                     help="Bind an input: an expression, or @FILE (.npy .csv .txt .json).")(f)
    f = click.option("-f", "--file", "file", type=click.Path(dir_okay=False), default=None,
                     help="Read the program from a file.")(f)
    return click.argument("program", required=False)(f)


# ---- the boundary
def boundary(opts: Options, work):
    """Run work(); map every failure to one message and its exit code."""
    from gradcli.errors import GradcliError, classify
    try:
        work()
    except KeyboardInterrupt:
        opts.err.print("interrupted", style="yellow")
        sys.exit(130)
    except BrokenPipeError:
        silence_broken_pipe()
    except Exception as e:          # noqa: BLE001 - one line, never a traceback
        if os.environ.get("GRADCLI_DEBUG") and not isinstance(e, GradcliError):
            raise
        err = classify(e)
        report_error(opts, err)
        sys.exit(err.exit_code)


def report_error(opts: Options, e) -> None:
    from gradcli.render import diagnostics
    opts.err.print(diagnostics.render(e))
    if opts.json:
        from gradcli.render import jsonout
        jsonout.dump(jsonout.error_document(e))


def silence_broken_pipe():
    # `gradcli ... | head`: stop quietly, and keep Python from complaining at exit.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass
    sys.exit(0)


def read_program(program: str | None, file: str | None) -> tuple[str, str | None]:
    """The program's text and where it came from (for error locations)."""
    from gradcli.errors import InputFileError, UsageError
    if file is not None:
        if program is not None:
            raise UsageError("give the program as an argument or with -f FILE, not both")
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
    from gradcli import inputs
    from gradcli.errors import UsageError
    out = {}
    for item in at:
        name, eq, value = item.partition("=")
        name = name.strip()
        if not eq or not name or not value.strip():
            raise UsageError(f"--at {item!r}: expected NAME=EXPR", hint='e.g. --at x="ones(2)" or --at w=@w.npy')
        if _unbalanced(value):
            raise UsageError(f"--at {item}: its brackets do not close (did the shell split it at a space?)",
                             hint=f'quote it: --at {name}="{value} ..."')
        out[name] = inputs.load(value.strip()[1:]) if value.strip().startswith("@") else value
    return out


def builtin_names(prefix: str) -> list[str]:
    """Shell completion of `gradcli functions so<Tab>`."""
    from gradcli.ops import BUILTINS, SYNONYMS
    return sorted(n for n in (*BUILTINS, *SYNONYMS) if n.startswith(prefix))


def _unbalanced(text: str) -> bool:
    return sum(map(text.count, "([")) != sum(map(text.count, ")]"))


def prepare(opts: Options, program, file, at):
    """Parse options, bind inputs, run the program: (source, session, result tensor)."""
    from gradcli import api
    from gradcli.parse import parse
    source, origin = read_program(program, file)
    inputs = parse_at(at)
    session = api.setup(inputs, device=opts.device, dtype=opts.dtype, seed=opts.seed)
    parsed = parse(source, origin)
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
    read = {n for stmt in program.statements
            for n in ast.names(stmt.body if isinstance(stmt, ast.FunctionDef) else stmt.value)}
    for name in inputs:
        if name not in read:
            w = GradcliError(f"--at {name}: the program never reads '{name}'" + suggest(name, read))
            opts.err.print(diagnostics.render(w, "warning"))


def print_warnings(opts: Options, session) -> None:
    from gradcli.render import diagnostics
    for w in diagnostics.warnings(session.ctx.events):
        opts.err.print(w)


# ---- the cycle collector
@contextlib.contextmanager
def collecting(enabled: bool):
    """Python's cycle collector on or off for a while, then as it was. A
    one-shot command runs with it off: it builds large acyclic graphs (parser
    trees, tensors) that the collector would only rescan, doubling the time
    of a 100,000-line program. A REPL session lives long and runs with it on;
    a batch frees what each file leaves (collect_between)."""
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        yield
    finally:
        (gc.enable if was else gc.disable)()


def collect_between() -> None:
    """Between two files of a batch with the collector off: free the cycles
    a file left (exceptions and their tracebacks). Generation 0 is cheap."""
    if not gc.isenabled():
        gc.collect(0)


def report_usage(e: click.UsageError, hint: str | None = None):
    """click's usage error in gradcli's format (and its JSON document with --json); exit 2."""
    from gradcli.errors import UsageError
    if hint is None and "unexpected extra argument" in e.format_message():
        split = [a for a in (e.ctx.params.get("at") or () if e.ctx else ()) if _unbalanced(a)]
        hint = (f'the shell split --at {split[0]} at a space: quote it, e.g. --at "{split[0]} ..."' if split else
                'the shell split the program into words (or expanded * into file names): quote it, '
                'e.g. gradcli grad "x = ones(2); sum(x * 2)"')
    err = UsageError(e.format_message(), hint=hint)
    argv = e.ctx.params if e.ctx is not None else {}
    opts = Options(json=bool(argv.get("json_")) or "--json" in sys.argv[1:], no_color="--no-color" in sys.argv[1:])
    report_error(opts, err)
    if e.ctx is not None and not opts.json:
        opts.err.print(f"Try '{e.ctx.command_path} --help' for help.", style="dim")
    sys.exit(2)
