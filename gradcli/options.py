"""The command line's options: the groups every command shares (--dtype
--device --seed --precision --json --no-color; the program and its --at
inputs; grad's --sweep), their value types, and the Options they make."""
from __future__ import annotations

import functools
import math

import click

from gradcli.backend import DEVICES, DTYPES
from gradcli.edge import Options


class Checked(click.ParamType):
    """A number of a kind: parse makes it from the text (its error: "is not a
    number"), and ok tells whether it is one of the kind (else: "is not"
    what). click's own range messages read "x>=0", and x is the name of the
    user's input."""

    def __init__(self, name: str, parse, ok, what: str):
        self.name, self.parse, self.ok, self.what = name, parse, ok, what

    def convert(self, value, param, ctx):
        try:
            v = self.parse(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a {'whole ' if self.parse is int else ''}number", param, ctx)
        if not self.ok(v):
            self.fail(f"{value} is not {self.what}", param, ctx)
        return v


# A tolerance: a finite number >= 0 (nan and inf would accept, or refuse, everything).
Tolerance = functools.partial(Checked, "float", float, lambda v: math.isfinite(v) and v >= 0,
                              "a tolerance: a finite number >= 0")
Seed = functools.partial(Checked, "integer", int, lambda v: v >= 0, "a seed: a seed is a whole number, 0 or more")


def common_options(f):
    """--dtype --device --seed --precision --json --no-color, on every command."""
    decorators = [
        click.option("--dtype", type=click.Choice(DTYPES), default="float64", show_default=True,
                     help="Floating-point precision of the computation."),
        click.option("--device", type=click.Choice(DEVICES), default="cpu", show_default=True,
                     help="cpu (NumPy) or cuda (CuPy, the [cuda] extra)."),
        click.option("--seed", type=Seed(), default=0, show_default=True,
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


class ProgramCommand(click.Command):
    """`gradcli eval -- "-mean(x)" --at x=...`: the word after `--` is the
    program, and the options that follow it are still options."""

    def parse_args(self, ctx, args):
        if "--" in args:
            i = args.index("--")
            if i + 1 < len(args):
                args = args[:i] + args[i + 2:] + ["--", args[i + 1]]
        return super().parse_args(ctx, args)


def sweep_options(f):
    """grad's --sweep NAME and what goes with it; --output writes a sweep's
    points, or else a result's arrays, to a file."""
    decorators = [
        click.option("--sweep", "swept", multiple=True, metavar="NAME",
                     help="Evaluate at every point of this input's leading axis, in one vectorized pass "
                          "(repeatable)."),
        click.option("--grid", is_flag=True, help="Sweep every combination of the swept inputs' points (else: zip)."),
        click.option("--chunk", type=click.IntRange(1), default=None, metavar="N",
                     help="Points per pass of a sweep (default: what a memory budget allows)."),
        click.option("--jsonl", is_flag=True, help="A sweep as JSON lines: a record a point."),
        click.option("--output", "output", metavar="FILE", default=None,
                     help="Write the value and gradients to FILE.npz (arrays value, grad_NAME) instead of showing "
                          "them; a sweep also to .csv or .npy."),
    ]
    for d in reversed(decorators):
        f = d(f)
    return f


# One for every command: making a click.Path looks up gettext's catalogues on
# disk each time (~0.5 ms of start-up apiece).
_PROGRAM_FILE = click.Path(dir_okay=False)


def program_options(f):
    """PROGRAM (or - for stdin, or -f FILE) and --at NAME=EXPR."""
    f = click.option("--at", "at", multiple=True, metavar="NAME=EXPR",
                     help="Bind an input: an expression, or @FILE (.npy .csv .txt .json).")(f)
    f = click.option("-f", "--file", "file", type=_PROGRAM_FILE, default=None,
                     help="Read the program from a file.")(f)
    return click.argument("program", required=False)(f)
