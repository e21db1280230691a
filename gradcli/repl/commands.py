"""The :commands: their table (read by :help, completion and the
interpreter), and those about the session itself: :vars, :help, :reset,
:load, :save, :set. Each takes the Repl and the text after its name; :grad,
:tree and :check are in gradients.py."""
from __future__ import annotations

import os
import re

from gradcli.backend import DEVICES, DTYPES

# name -> (arguments, what it does); the order is the order of :help.
COMMANDS = {
    "grad": ("EXPR [wrt NAME...]", "value, gradients and graph of a scalar expression"),
    "tree": ("EXPR", "the computational graph of an expression"),
    "check": ("EXPR [wrt NAME...]", "autograd against finite differences"),
    "vars": ("", "the bindings: inputs, intermediates, functions"),
    "help": ("[NAME]", "this help, or a builtin's signature and doc"),
    "reset": ("", "forget every binding"),
    "load": ("FILE", "run a program file into the session"),
    "save": ("FILE", "the session as a program, for :load or gradcli run"),
    "set": ("[NAME VALUE]", "precision N, dtype float32|float64, device cpu|cuda, seed N (alone: the settings)"),
    "quit": ("", "leave (Ctrl-D too)"),
}
ALIASES = {"q": "quit", "exit": "quit", "h": "help", "?": "help"}
EXPR_COMMANDS = ("grad", "tree", "check")
SETTINGS = {"precision": (), "dtype": DTYPES, "device": DEVICES, "seed": ()}
WRT = re.compile(r"^(?P<expr>.*?)\s+wrt(?:\s+(?P<names>[A-Za-z_][\w@]*(?:\s*,?\s*[A-Za-z_][\w@]*)*))?[\s,]*$", re.S)


def show_vars(repl, arg):
    """:vars"""
    from rich.table import Table
    from rich.text import Text

    from gradcli.autograd import Tensor
    from gradcli.values import Function
    from gradcli.render import format as fmt
    env = repl.session.env
    if not env:
        repl.output.info("no bindings yet: x = ones(2) binds an input")
        return
    inputs = {id(t) for t in repl.session.inputs}
    table = Table(box=None, padding=(0, 2), header_style="bold", pad_edge=False)
    for col in ("name", "kind", "shape", "value"):
        table.add_column(col, no_wrap=col != "value")
    p = repl.opts.precision
    for name, value in env.items():
        if isinstance(value, Function):
            row = ("function", "", _definition(repl, name))
        elif isinstance(value, Tensor):
            kind = "input" if id(value) in inputs else "intermediate"
            if kind == "input" and value.key != name:
                kind += f" ({value.key})"
            row = (kind, fmt.shape(value.shape), fmt.array(value.numpy(), p, edge=2))
        elif isinstance(value, tuple):
            items = ", ".join(fmt.array(v.numpy(), p, edge=2) if isinstance(v, Tensor) else repr(v)
                              for v in value)
            row = ("tuple", f"{len(value)} items", f"({items})")
        else:
            row = ("value", "", repr(value))
        style = {"input": "cyan", "function": "magenta"}.get(row[0].split()[0], "")
        table.add_row(Text(name, style="bold " + style), Text(row[0], style=style), Text(row[1], style="dim"),
                      Text(row[2]))
    repl.out.print(table)


def _definition(repl, name: str) -> str:
    for e in reversed(repl.log):
        if e.name == name and e.kind == "function":
            return " ".join(e.text.split())
    return f"{name}(...)"


def show_help(repl, arg):
    """:help [NAME]"""
    from rich.table import Table
    from rich.text import Text

    from gradcli.autograd import Tensor
    from gradcli.errors import UnknownNameError
    from gradcli.evaluator import resolve_builtin
    from gradcli.values import Function
    from gradcli.ops import BUILTINS, SYNONYMS
    from gradcli.render import format as fmt
    from gradcli.spellings import suggest
    name, say = arg.strip(), repl.out.print
    if not name:
        say(Text("Statements: x = ones(2) binds a name; f(a, b) = a*b + sin(a) defines a function; "
                 "any other expression prints its value, which ans and _ then hold. Commands (help, quit "
                 "and exit need no colon):"))
        table = Table(box=None, padding=(0, 2), show_header=False, pad_edge=False)
        table.add_column(style="bold yellow", no_wrap=True)
        table.add_column()
        for cmd, (args, doc) in COMMANDS.items():
            table.add_row(Text(f":{cmd} {args}".rstrip()), Text(doc))
        say(table)
        say(Text("Builtins: " + " ".join(BUILTINS) + "; and vmap(f, x)", style="dim"))
        say(Text(":help NAME shows one. Tab completes; an open bracket continues on the next line; "
                 "Ctrl-C abandons a line; Ctrl-D leaves.", style="dim"))
        return
    value, cmd = repl.session.env.get(name), ALIASES.get(name[1:], name[1:])
    if name.startswith(":") and cmd in COMMANDS:
        title, lines = f":{cmd} {COMMANDS[cmd][0]}".rstrip(), [COMMANDS[cmd][1]]
    elif isinstance(value, Function):
        title, lines = _definition(repl, name), ["a function defined in this session"]
    elif isinstance(value, Tensor):
        title = f"{name}: {'an input' if value.is_input else 'an intermediate'} of shape {fmt.shape(value.shape)}"
        lines = [fmt.array(value.numpy(), repl.opts.precision, edge=2)]
    elif (op := resolve_builtin(name)) is not None:
        also = [s for s, t in SYNONYMS.items() if t == op.name]
        title, lines = op.signature(), [op.doc] + ([f"also spelled {', '.join(also)}"] if also else [])
    else:
        raise UnknownNameError(f"no help for '{name}'" + suggest(name, [*BUILTINS, *SYNONYMS, *repl.session.env,
                                                                      *(f":{c}" for c in COMMANDS)]),
                               hint=":help lists the commands and the builtins")
    say(Text(title, style="bold"))
    for line in lines:
        say(Text(f"  {line}"))


def reset(repl, arg):
    """:reset"""
    repl.reset()
    repl.output.info("the session is empty")


def load(repl, arg):
    """:load FILE"""
    from gradcli.programs import read_program
    path = _path(arg, "load")
    text, _ = read_program(None, path)
    bound = repl.run(text, path, 1, echo=True)
    names = list(dict.fromkeys(bound))
    repl.output.info(f"loaded {path}" + (f": {', '.join(names)}" if names else ""))


def save(repl, arg):
    """:save FILE"""
    from pathlib import Path

    from gradcli.errors import InputFileError, UsageError
    path = _path(arg, "save")
    if not repl.log:
        raise UsageError("nothing to save: the session has no bindings yet")
    try:
        Path(path).write_text(repl.program_text(), encoding="utf-8")
    except OSError as e:
        raise InputFileError(f"cannot write {path}: {e.strerror or e}") from None
    repl.output.info(f"saved the session to {path}")


def set_option(repl, arg):
    """:set [NAME VALUE]"""
    from rich.text import Text

    from gradcli.errors import UsageError
    parts = arg.split()
    if not parts:
        o = repl.opts
        repl.out.print(Text(f"precision {o.precision}  dtype {o.dtype}  device {o.device}  seed {o.seed}"))
        return
    what, value = parts[0], " ".join(parts[1:])
    usage = f"usage: :set NAME VALUE, with {COMMANDS['set'][1].split(';')[0]}"
    if what not in SETTINGS or not value:
        raise UsageError(f":set {arg.strip()}: expected a setting and its value", hint=usage)
    if SETTINGS[what] and value not in SETTINGS[what]:
        raise UsageError(f":set {what}: '{value}' is not one of {', '.join(SETTINGS[what])}")
    if what in ("precision", "seed"):
        try:
            number = int(value)
        except ValueError:
            raise UsageError(f":set {what}: '{value}' is not a whole number") from None
        if what == "precision" and not 1 <= number <= 17:
            raise UsageError(":set precision: between 1 and 17 digits")
        if what == "seed":
            repl.session.bk.reseed(number)
        setattr(repl.opts, what, number)
    else:
        redrawn = repl.rebuild(**{what: value})
        setattr(repl.opts, what, value)
        if redrawn:
            repl.output.info(f"{', '.join(redrawn)}: computed again, with new random numbers")
    repl.output.info(f"{what} {value}")


def _path(arg: str, command: str) -> str:
    from gradcli.errors import UsageError
    path = arg.strip()
    if len(path) >= 2 and path[0] == path[-1] and path[0] in "'\"":
        path = path[1:-1]
    if not path:
        raise UsageError(f":{command} needs a file name", hint=f"usage: :{command} session.grad")
    if "\x00" in path:         # the one character no file name holds (open() would raise on it)
        raise UsageError(f":{command}: a file name cannot hold a NUL character", hint=f"usage: :{command} session.grad")
    return os.path.expanduser(path)
