"""The command line: the root command and its commands. What they share
with the REPL and batch (options, consoles, the error boundary) is in
gradcli/edge.py; what they compute is in the modules they call, and how it
looks in gradcli/render/."""
from __future__ import annotations

import sys

import click

from gradcli import __version__
from gradcli.collector import collecting
from gradcli.edge import boundary, encodable_streams, leave, report_usage, silence_broken_pipe
from gradcli.options import ProgramCommand, Tolerance, common_options, options_from, program_options, sweep_options
from gradcli.programs import builtin_names, grad_point, parse_at, prepare, print_warnings, read_program, sweep_points
from gradcli.errors import UsageError

STEPS = 30          # explain: the steps shown without --full
POINTS = 121        # plot: the range in 120 equal steps, ends included
HEIGHT = 16         # plot: rows of the chart (4 braille dots each)

EXAMPLES = """
\b
Examples:
  gradcli grad "x = ones(2); z = 4*x*x; y = z.norm(); y"
  gradcli grad "norm(4*x*x)" --at x="ones(2)" --json
  gradcli eval "hessian(sum(x^3), x)" --at x="[1, 2]"
  gradcli check "sum(sin(x)*x)" --at x="[0.3, 1.2]"
  gradcli graph "sum(x*x)" --at x="ones(2)" --format dot | dot -Tsvg > g.svg
  gradcli run samples/ --jsonl
"""


# ---- the commands
class LazyGroup(click.Group):
    """Commands defined in other modules are imported only when used."""
    command_class = ProgramCommand
    # name -> (module:attribute, the one line `gradcli --help` shows): the listing imports none of them.
    lazy = {
        "run": ("gradcli.batch:command", "Every result of every program file, in bulk (--jsonl, --jobs)."),
        "repl": ("gradcli.repl:command", "An interactive session (also bare gradcli on a terminal)."),
    }

    def list_commands(self, ctx):
        return sorted([*super().list_commands(ctx), *self.lazy])

    def main(self, args=None, prog_name=None, **extra):
        """The console script. Run on the process's own command line (args
        None), nothing follows the command: it leaves without the
        interpreter's teardown (edge.leave says why)."""
        encodable_streams()
        with collecting(False):         # a one-shot command (collector.py says why)
            try:
                self._main(args, prog_name, extra)
            except SystemExit as e:
                if args is None:
                    leave(e.code)
                raise

    def _main(self, args, prog_name, extra):
        """click's main: its usage errors get gradcli's message format (and
        the JSON error document with --json), exit code 2."""
        extra["standalone_mode"] = False
        try:
            super().main(args, prog_name or "gradcli", **extra)
        except click.exceptions.NoSuchOption as e:
            report_usage(e, hint="a program that starts with '-' goes after '--': gradcli eval -- \"-mean(x)\" "
                         "--at x=..." if e.option_name and not e.option_name.startswith("--") else None)
        except click.UsageError as e:
            report_usage(e)
        except click.exceptions.Abort:
            sys.exit(130)
        except click.exceptions.Exit as e:
            sys.exit(e.exit_code)
        except BrokenPipeError:
            silence_broken_pipe()
        sys.exit(0)

    def resolve_command(self, ctx, args):
        """A first word that is no command is a program: `gradcli "norm(4*x*x)" --at x=...`
        runs grad (SPEC), as `qalc 2+2` evaluates its argument. A word close to
        a command's name (`gradcli grd ...`) stays a mistyped command."""
        word = args[0] if args else ""
        if word and not word.startswith("-") and self.get_command(ctx, word) is None:
            import difflib
            if not (word.isidentifier() and difflib.get_close_matches(word, self.list_commands(ctx), 1, 0.7)):
                return "grad", self.get_command(ctx, "grad"), args
        return super().resolve_command(ctx, args)

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
    if ctx.invoked_subcommand is None:      # a session on a terminal; from a pipe, its lines (as qalc)
        ctx.invoke(main.get_command(ctx, "repl"))


@main.command("eval", epilog='\b\nExample:\n  gradcli eval "4*x*x" --at x="ones(2)"')
@program_options
@common_options
def eval_command(program, file, at, **kw):
    """The value of the program's last result."""
    opts = options_from(kw)

    def work():
        from gradcli.render import console
        source, origin, session, y = prepare(opts, program, file, at)
        print_warnings(opts, session)
        console.show(opts, source, y, session, grads=None)
    boundary(opts, work)


@main.command("grad", epilog='\b\nExamples:\n  gradcli grad "norm(4*x*x)" --at x="ones(2)"\n  gradcli grad '
                             '"sin(x)*x" --at x="linspace(-3, 3, 1001)" --sweep x')
@program_options
@click.option("--wrt", multiple=True, metavar="NAME", help="Only these inputs' gradients (repeatable).")
@click.option("--depth", type=click.IntRange(1), default=None, help="Levels of the graph drawn.")
@click.option("--full", is_flag=True, help="Draw the whole graph, however large.")
@click.option("--grads", "node_grads", is_flag=True, help="Show the gradient flowing into every node of the tree.")
@click.option("--hessian", is_flag=True, help="The Hessian, its eigenvalues, and what kind of point this is.")
@sweep_options
@common_options
def grad_command(program, file, at, wrt, depth, full, node_grads, hessian, swept, grid, chunk, jsonl, output, **kw):
    """Value, gradients with respect to the inputs, and the graph."""
    opts = options_from(kw)
    if swept or grid or chunk or jsonl:       # grad --sweep x: every point of x in one pass
        return boundary(opts, lambda: sweep_points(opts, program, file, at, wrt, swept, grid, chunk, jsonl, output))
    boundary(opts, lambda: grad_point(opts, program, file, at, wrt, depth, full, node_grads, hessian, output))


@main.command("graph", epilog='\b\nExamples:\n  gradcli graph "x = ones(2); z = 4*x*x; norm(z)" --format dot\n'
                              '  gradcli graph "sum(x - y)" --at x="[1, 2]" --at y=3 --format svg --output g.svg')
@program_options
@click.option("--format", "format_", type=click.Choice(["tree", "dot", "json", "svg", "png"]), default=None,
              help="The tree by default (json with --json); svg and png are drawn by Graphviz's dot program.")
@click.option("--grads", is_flag=True, help="Show the gradient flowing into every node.")
@click.option("--depth", type=click.IntRange(1), default=None, help="Levels of the tree drawn.")
@click.option("--full", is_flag=True, help="Draw the whole tree, however large.")
@click.option("--output", metavar="FILE", default=None, help="Write the dot, json, svg or png to FILE.")
@common_options
def graph_command(program, file, at, format_, grads, depth, full, output, **kw):
    """The computational graph alone, as a tree, Graphviz DOT or JSON."""
    opts = options_from(kw)

    def work():
        from gradcli import api
        from gradcli.render import console, graph
        from gradcli.report import snapshot
        kind, dot = graph.destination(format_, opts.json, output)     # refused before the program runs
        source, origin, session, y = prepare(opts, program, file, at)
        print_warnings(opts, session)
        node_grads = api.flows(y, session) if grads and y.size == 1 else None
        if kind == "tree":
            return opts.out.print(console.draw(snapshot(y, node_grads=node_grads), opts.precision, depth, full,
                                               opts.out.width))
        graph.emit(opts.out.file, graph.text(kind, y, source, opts.precision, node_grads), kind, dot, output)
    boundary(opts, work)


@main.command("check", epilog='\b\nExample:\n  gradcli check "sum(sin(x)*x)" --at x="[0.3, 1.2]"')
@program_options
@click.option("--wrt", multiple=True, metavar="NAME", help="Only these inputs (repeatable).")
@click.option("--tol", type=Tolerance(), default=1e-6, show_default=True,
              help="Largest accepted error, relative to max(1, |gradient|).")
@click.option("--per-op", is_flag=True,
              help="Also check each operation's own gradient rule, and name the first that is wrong.")
@common_options
def check_command(program, file, at, wrt, tol, per_op, **kw):
    """Autograd against finite differences (exit 1 if they differ)."""
    opts = options_from(kw)

    def work():
        from gradcli import checking
        from gradcli.errors import NotScalarError
        from gradcli.render import check, jsonout
        if (opts.device, opts.dtype) != ("cpu", "float64"):
            raise UsageError("check compares in float64 on the CPU (finite differences need the precision)",
                             hint="drop --device and --dtype; gradcli grad honours them")
        source, origin = read_program(program, file)
        replay = checking.Replay(source, origin, parse_at(at), opts.seed)
        y, session = replay.run()
        if y.size != 1:
            raise NotScalarError.needed_by("check", y.shape)
        results = checking.compare(replay, y, session, list(wrt), tol)
        if not results:
            raise UsageError("the result depends on no input, so there is no gradient to check",
                             hint="bind an input with --at NAME=EXPR")
        rules = checking.per_op(y, session, tol) if per_op else None
        if opts.json:
            jsonout.dump(check.to_json(source, results, tol, rules))
            opts.json = False       # that was the one document; a disagreement is told on stderr alone
        else:
            check.show(opts.out, y.item(), results, tol, opts.precision, rules)
        checking.verdict(results, tol, rules=rules)
    boundary(opts, work)


@main.command("functions")
@click.argument("name", required=False, shell_complete=lambda ctx, param, prefix: builtin_names(prefix))
@common_options
def functions_command(name, **kw):
    """List the builtin functions (or show one) with signature and doc."""
    opts = options_from(kw)

    def work():
        from gradcli.render import console
        console.functions(opts, name)
    boundary(opts, work)


@main.command("explain", epilog='\b\nExample:\n  gradcli explain "x = ones(2); z = 4*x*x; y = z.norm(); y"')
@program_options
@click.option("--full", is_flag=True, help=f"Show every step and every term of every sum (otherwise the "
              f"first {STEPS} steps, and a long sum's first and last terms).")
@common_options
def explain_command(program, file, at, full, **kw):
    """The backward pass, one chain-rule step at a time, in numbers."""
    opts = options_from(kw)

    def work():
        from gradcli.explaining import trace
        from gradcli.render import explain, jsonout
        source, origin, session, y = prepare(opts, program, file, at)
        ex = trace(y, session, source)
        print_warnings(opts, session)
        if opts.json:
            jsonout.dump(explain.to_json(ex))
        else:
            explain.show(opts, ex, None if full else STEPS)
    boundary(opts, work)


@main.command("plot", epilog='\b\nExamples:\n  gradcli plot "sin(x)" --at x=-3:3\n'
                             '  gradcli plot "x^3 - 3*x" --at x=-pi:pi --points 200 --order 2\n'
                             '  gradcli plot "sin(x)*x" --at x=-3:3 --output plot.svg')
@program_options
@click.option("--points", type=click.IntRange(2, 10_000), default=POINTS, show_default=True,
              help="Points sampled over the range, ends included.")
@click.option("--height", type=click.IntRange(4, 100), default=HEIGHT, show_default=True,
              help="Rows of the chart.")
@click.option("--ylim", metavar="LO:HI", default=None,
              help="The range of the vertical axis (default: every finite value of the curves).")
@click.option("--order", type=click.Choice(["1", "2"]), default="1", show_default=True,
              help="2 adds the second derivative, d²f/dx² (by autograd too).")
@click.option("--output", metavar="FILE", default=None,
              help="Write the chart to FILE, .svg or .png (needs gradcli[plot]), instead of the terminal.")
@common_options
def plot_command(program, file, at, points, height, ylim, order, output, **kw):
    """f and its derivative over a range (--at x=A:B), in the terminal.

    --output NAME.svg (or .png) draws it in a file instead."""
    opts = options_from(kw)

    def work():
        from gradcli import plot as sampling
        from gradcli.render import plot as chart
        source, origin = read_program(program, file)
        name, lo, hi, fixed, limits = sampling.ranges(at, ylim)
        if output:      # a bad name, or no matplotlib, before any work
            from gradcli.render import figure
            figure.check(output)
        s = sampling.sample(opts, source, origin, name, lo, hi, parse_at(fixed), points, int(order))
        if output:
            figure.write(s, output, opts.precision, limits)
        chart.show(opts, s, height, limits, output)
    boundary(opts, work)
