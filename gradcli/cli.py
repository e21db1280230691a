"""The command line: the only place (with the repl and batch packages) that prints
or exits. One boundary turns gradcli errors into messages and exit codes.
Heavy imports (numpy, lark, rich) wait until a command runs."""
from __future__ import annotations

import gc
import os
import sys
from dataclasses import dataclass, field

import click

from gradcli import __version__

EXAMPLES = """
\b
Examples:
  gradcli grad "x = ones(2); z = 4*x*x; y = z.norm(); y"
  gradcli grad "norm(4*x*x)" --at x="ones(2)" --json
  gradcli eval "hessian(sum(x^3), x)" --at x="[1, 2]"
  gradcli check "sum(sin(x)*x)" --at x="[0.3, 1.2]"
  gradcli graph "norm(4*x*x)" --at x="ones(2)" --format dot | dot -Tsvg > g.svg
  gradcli run samples/ --jsonl
"""


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


def common_options(f):
    """--dtype --device --seed --precision --json --no-color, on every command."""
    decorators = [
        click.option("--dtype", type=click.Choice(["float64", "float32"]), default="float64", show_default=True,
                     help="Floating-point precision of the computation."),
        click.option("--device", type=click.Choice(["cpu", "cuda"]), default="cpu", show_default=True,
                     help="cpu (NumPy) or cuda (CuPy, the [cuda] extra)."),
        click.option("--seed", type=int, default=0, show_default=True, help="Seed of rand() and randn()."),
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
        _silence_broken_pipe()
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


def _silence_broken_pipe():
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
            with open(file, encoding="utf-8") as fh:
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
        out[name] = inputs.load(value.strip()[1:]) if value.strip().startswith("@") else value
    return out


def prepare(opts: Options, program, file, at):
    """Parse options, bind inputs, run the program: (source, session, result tensor)."""
    from gradcli import api
    source, origin = read_program(program, file)
    session = api.setup(parse_at(at), device=opts.device, dtype=opts.dtype, seed=opts.seed)
    y = api.run_program(source, session, origin)
    return source, origin, session, y


def print_warnings(opts: Options, session, source, origin) -> None:
    from gradcli.render import diagnostics
    for w in diagnostics.warnings(session.ctx.events, source, origin):
        opts.err.print(w)


# ---- the commands
class ProgramCommand(click.Command):
    """`gradcli eval -- "-mean(x)" --at x=...`: the word after `--` is the
    program, and the options that follow it are still options."""

    def parse_args(self, ctx, args):
        if "--" in args:
            i = args.index("--")
            if i + 1 < len(args):
                args = args[:i] + args[i + 2:] + ["--", args[i + 1]]
        return super().parse_args(ctx, args)


class LazyGroup(click.Group):
    """Commands defined in other modules are imported only when used."""
    command_class = ProgramCommand
    # name -> (module:attribute, the one line `gradcli --help` shows), so
    # that the listing imports none of them.
    lazy = {
        "run": ("gradcli.batch:command", "Every result of every program file, in bulk (--jsonl, --jobs)."),
        "repl": ("gradcli.repl:command", "An interactive session (also bare gradcli on a terminal)."),
        "explain": ("gradcli.explain:command", "The backward pass, one chain-rule step at a time, in numbers."),
        "plot": ("gradcli.plot:command", "f and its derivative over a range (--at x=A:B), in the terminal."),
    }

    def list_commands(self, ctx):
        return sorted([*super().list_commands(ctx), *self.lazy])

    def main(self, args=None, prog_name=None, **extra):
        """The console script: click's usage errors get gradcli's message
        format (and the JSON error document with --json), exit code 2."""
        # A one-shot command builds large acyclic graphs (trees of the parser,
        # tensors) and then exits; the cyclic collector would only rescan them,
        # doubling the time of a 100,000-line program.
        gc.disable()
        extra["standalone_mode"] = False
        try:
            super().main(args, prog_name or "gradcli", **extra)
        except click.exceptions.NoSuchOption as e:
            _usage(e, hint="a program that starts with '-' goes after '--': gradcli eval -- \"-mean(x)\" --at x=..."
                   if e.option_name and not e.option_name.startswith("--") else None)
        except click.UsageError as e:
            _usage(e)
        except click.exceptions.Abort:
            sys.exit(130)
        except click.exceptions.Exit as e:
            sys.exit(e.exit_code)
        except BrokenPipeError:
            _silence_broken_pipe()
        sys.exit(0)

    def format_commands(self, ctx, formatter):
        rows = [(name, self.lazy[name][1] if name in self.lazy else self.commands[name].get_short_help_str(70))
                for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def get_command(self, ctx, name):
        if name in self.lazy:
            import importlib
            module, attr = self.lazy[name][0].split(":")
            return getattr(importlib.import_module(module), attr)
        return super().get_command(ctx, name)


def _version(ctx, _param, value):
    if not value or ctx.resilient_parsing:
        return
    from gradcli.backend import available_backends
    click.echo(f"gradcli {__version__}")
    for device, what in available_backends().items():
        click.echo(f"  {device}: {what}")
    ctx.exit()


@click.group(cls=LazyGroup, invoke_without_command=True, epilog=EXAMPLES,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_version,
              help="Show the version and the available devices.")
@click.pass_context
def main(ctx):
    """gradcli: values, exact gradients and computational graphs of small programs."""
    if ctx.invoked_subcommand is None:
        if sys.stdin.isatty():
            ctx.invoke(main.get_command(ctx, "repl"))
        else:
            click.echo(ctx.get_help())


@main.command("eval", epilog='\b\nExample:\n  gradcli eval "4*x*x" --at x="ones(2)"')
@program_options
@common_options
def eval_command(program, file, at, **kw):
    """The value of the program's last result."""
    opts = options_from(kw)

    def work():
        from gradcli.render import console
        source, origin, session, y = prepare(opts, program, file, at)
        print_warnings(opts, session, source, origin)
        console.show(opts, source, y, session, grads=None)
    boundary(opts, work)


@main.command("grad", epilog='\b\nExample:\n  gradcli grad "norm(4*x*x)" --at x="ones(2)"')
@program_options
@click.option("--wrt", multiple=True, metavar="NAME", help="Only these inputs' gradients (repeatable).")
@click.option("--depth", type=click.IntRange(1), default=None, help="Levels of the graph drawn.")
@click.option("--full", is_flag=True, help="Draw the whole graph, however large.")
@common_options
def grad_command(program, file, at, wrt, depth, full, **kw):
    """Value, gradients with respect to the inputs, and the graph."""
    opts = options_from(kw)

    def work():
        from gradcli import api
        from gradcli.render import console
        from gradcli.errors import GradcliError
        source, origin, session, y = prepare(opts, program, file, at)
        try:
            grads = api.differentiate(y, session, list(wrt))
        except GradcliError as e:
            if not opts.json:       # what was computed is not lost: the value, then the error
                console.show(opts, source, y, session, grads=None)
            raise e.locate(source, origin)
        print_warnings(opts, session, source, origin)
        console.show(opts, source, y, session, grads=grads, with_graph=True, depth=depth, full=full)
    boundary(opts, work)


@main.command("graph", epilog='\b\nExample:\n  gradcli graph "x = ones(2); z = 4*x*x; norm(z)" --format dot')
@program_options
@click.option("--format", "format_", type=click.Choice(["tree", "dot", "json"]), default="tree", show_default=True)
@click.option("--grads", is_flag=True, help="Show the gradient flowing into every node.")
@click.option("--depth", type=click.IntRange(1), default=None, help="Levels of the tree drawn.")
@click.option("--full", is_flag=True, help="Draw the whole tree, however large.")
@common_options
def graph_command(program, file, at, format_, grads, depth, full, **kw):
    """The computational graph alone, as a tree, Graphviz DOT or JSON."""
    opts = options_from(kw)

    def work():
        from gradcli import graphs
        source, origin, session, y = prepare(opts, program, file, at)
        print_warnings(opts, session, source, origin)
        graphs.show(opts, source, y, session, format_, grads, depth, full)
    boundary(opts, work)


@main.command("check", epilog='\b\nExample:\n  gradcli check "sum(sin(x)*x)" --at x="[0.3, 1.2]"')
@program_options
@click.option("--wrt", multiple=True, metavar="NAME", help="Only these inputs (repeatable).")
@click.option("--tol", type=float, default=1e-6, show_default=True,
              help="Largest accepted error, relative to max(1, |gradient|).")
@common_options
def check_command(program, file, at, wrt, tol, **kw):
    """Autograd's gradient against central finite differences (exit 1 if they differ)."""
    opts = options_from(kw)

    def work():
        from gradcli import checking
        source, origin = read_program(program, file)
        checking.run(opts, source, origin, parse_at(at), list(wrt), tol)
    boundary(opts, work)


@main.command("functions")
@click.argument("name", required=False)
@common_options
def functions_command(name, **kw):
    """List the builtin functions (or show one) with signature and doc."""
    opts = options_from(kw)

    def work():
        from gradcli.render import console
        console.functions(opts, name)
    boundary(opts, work)


def _usage(e, hint=None):
    from gradcli.errors import UsageError
    err = UsageError(e.format_message(), hint=hint)
    argv = e.ctx.params if e.ctx is not None else {}
    opts = Options(json=bool(argv.get("json_")) or "--json" in sys.argv[1:], no_color="--no-color" in sys.argv[1:])
    report_error(opts, err)
    if e.ctx is not None and not opts.json:
        opts.err.print(f"Try '{e.ctx.command_path} --help' for help.", style="dim")
    sys.exit(2)
