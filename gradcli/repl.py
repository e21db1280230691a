"""`gradcli repl`: an interactive session whose bindings persist across lines.

`Repl` is the command interpreter: it takes one entry (statements, or a
`:command`) and prints to the consoles of its Options. The terminal layer
(prompt_toolkit: history, completion, highlighting, multi-line input) and the
piped layer (stdin line by line, for scripts and tests) both feed it, so tests
can drive it directly. Like cli.py, this is an edge: it prints, the core
below it does not. Heavy imports wait until the command runs."""
from __future__ import annotations

import copy
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import click

from gradcli.cli import boundary, common_options, options_from

# name -> (arguments, what it does); the order is the order of :help.
COMMANDS = {
    "grad": ("EXPR [wrt NAME...]", "value, gradients and graph of a scalar expression"),
    "tree": ("EXPR", "the computational graph of an expression"),
    "check": ("EXPR [wrt NAME...]", "autograd against finite differences"),
    "vars": ("", "the bindings: inputs, intermediates, functions"),
    "help": ("[NAME]", "this help, or a builtin's signature and doc"),
    "reset": ("", "forget every binding"),
    "load": ("FILE", "run a program file into the session"),
    "save": ("FILE", "write the session as a program (:load and gradcli run read it)"),
    "set": ("[NAME VALUE]", "precision N, dtype float32|float64, device cpu|cuda, seed N; alone: show them"),
    "quit": ("", "leave (Ctrl-D too)"),
}
COMMAND_ALIASES = {"q": "quit", "exit": "quit", "h": "help", "?": "help"}
EXPR_COMMANDS = ("grad", "tree", "check")
SETTINGS = {"precision": (), "dtype": ("float64", "float32"), "device": ("cpu", "cuda"), "seed": ()}
RANDOM = ("rand", "randn")
_WRT = re.compile(r"^(?P<expr>.*?)\s+wrt(?:\s+(?P<names>[A-Za-z_][\w@]*(?:\s*,?\s*[A-Za-z_][\w@]*)*))?[\s,]*$", re.S)


class Quit(Exception):
    """:quit: the loop that fed the line stops."""


@dataclass
class _Entry:
    """One statement that changed the session, kept for :save."""
    kind: str                 # input | binding | function | result
    name: str | None
    text: str                 # its source (an input is saved as its value instead)
    reads: frozenset          # names it reads, through the user functions it calls
    value: object = None      # an input's tensor
    random: bool = False      # calls rand()/randn(): replaying it draws other numbers


class _Doc:
    """Every line the session has read, numbered from 1. Statements are parsed
    one entry at a time, then their spans are moved to these numbers, so that a
    span from any earlier entry (a user function's body, met again when it is
    called) still points at its own line."""

    def __init__(self):
        self.lines: list[str] = []
        self.segments: list[tuple[int, str, int]] = []   # (first doc line, origin, its own line number)

    def add(self, text: str, origin: str, first: int) -> int:
        """Append an entry; returns the number of doc lines before it."""
        start = len(self.lines)
        self.segments.append((start + 1, origin, first))
        self.lines.extend(text.split("\n"))
        return start

    def source(self, text: str) -> _DocText:
        return _DocText(text, self.lines)

    def local(self, line: int) -> tuple[str, int]:
        """(origin, line number there) of a doc line."""
        import bisect
        i = bisect.bisect_right(self.segments, (line, "\uffff")) - 1
        start, origin, first = self.segments[max(i, 0)]
        return origin, first + line - start


class _DocText(str):
    """An entry's text whose lines are the whole doc's: the engine and the
    caret formatter find a span's line with splitlines(), and this answers
    without joining the session's text again for every statement."""

    def __new__(cls, text, lines):
        s = super().__new__(cls, text)
        s.doc_lines = lines
        return s

    def splitlines(self, keepends=False):
        return self.doc_lines if not keepends else str(self).splitlines(keepends)   # read, never changed


class Repl:
    """The interpreter of entries. `feed(text)` runs one entry and prints its
    results, or its error, and returns whether it succeeded; `:quit` raises
    Quit. Output goes to opts.out, messages and errors to opts.err."""

    def __init__(self, opts, origin: str = "<stdin>"):
        self.opts = opts
        self.origin = origin
        self.doc = _Doc()
        self.lines_read = 0
        self.failures = 0
        self.log: list[_Entry] = []
        self.last: tuple[_Entry, int] | None = None   # the last result, and len(log) then
        self._lines_of: dict[int, int] = {}           # id(input) -> doc line of its binding
        self.session = self._new_session()

    @property
    def out(self):
        return self.opts.out

    @property
    def err(self):
        return self.opts.err

    def _new_session(self, device=None, dtype=None, rng=None):
        from gradcli import api
        session = api.setup(None, device=device or self.opts.device, dtype=dtype or self.opts.dtype,
                            seed=self.opts.seed)
        if rng is not None:
            session.bk.rng = rng
        return session

    # ---- entries
    def needs_more(self, text: str) -> bool:
        """An open bracket or a trailing operator: the entry goes on next line."""
        stripped = text.lstrip()
        if stripped.startswith(":"):
            name, _, arg = stripped[1:].partition(" ")
            if COMMAND_ALIASES.get(name, name) not in EXPR_COMMANDS or not arg.strip():
                return False
            m = _WRT.match(arg)
            return _incomplete(m.group("expr") if m else arg)
        return _incomplete(text)

    def feed(self, text: str, first: int | None = None) -> bool:
        from gradcli.errors import GradcliError
        first = self.lines_read + 1 if first is None else first
        self.lines_read = first + text.count("\n")
        try:
            stripped = text.strip()
            if stripped.startswith(":"):
                self._command(text, first)
            elif stripped in ("quit", "exit") and stripped not in self.session.env:
                raise Quit
            elif stripped:
                self._run(text, self.origin, first, echo=True)
            return True
        except GradcliError as e:
            self._report(e)
        except RecursionError:
            self._report(_error("the expression is nested too deeply"))
        except MemoryError:
            self._report(_error("out of memory: the arrays are too large for this machine"))
        except (Quit, KeyboardInterrupt):
            raise
        except Exception as e:          # noqa: BLE001 - one line, never a traceback
            if os.environ.get("GRADCLI_DEBUG"):
                raise
            self._report(_error(f"internal error: {type(e).__name__}: {e} (set GRADCLI_DEBUG=1 for the traceback)"))
        finally:
            self._flush_warnings()
        self.failures += 1
        return False

    def _run(self, text: str, origin: str, first: int, echo: bool) -> list[str]:
        """Run the statements of text; returns the names they bound."""
        start = self.doc.add(text, origin, first)
        source = self.doc.source(text)
        bound = []
        for stmt, stmt_text in self._parse(text, source, start, 0):
            self._statement(stmt, stmt_text, source, echo)
            if getattr(stmt, "name", None):
                bound.append(stmt.name)
        return bound

    def _parse(self, text: str, source, line0: int, col0: int) -> list:
        """Parse text (which starts at doc line line0 + 1, column col0 + 1):
        its statements, with doc-wide spans, and each one's source text."""
        from gradcli.errors import GradcliError
        from gradcli.parse import parse
        try:
            program = parse(text)
        except GradcliError as e:
            if e.span is not None:
                e.span = _move(e.span, line0, col0)
                if e.hint:      # "the '(' opened at line 1, column 5" is relative to the entry
                    e.hint = re.sub(r"line (\d+), column (\d+)", lambda m: _moved_position(m, line0, col0), e.hint)
            e.source, e.origin = source, None
            raise
        texts = _statement_texts(text)
        if len(texts) != len(program.statements):       # never expected; spans are a fallback
            texts = [_span_text(text.split("\n"), s.span) for s in program.statements]
        _shift(program.statements, line0, col0)
        return list(zip(program.statements, texts))

    def _statement(self, stmt, text: str, source, echo: bool):
        from gradcli import ast
        from gradcli.autograd import Tensor
        session = self.session
        n_inputs = len(session.inputs)
        y = session.execute(stmt, source)
        self._flush_warnings()
        reads = self._reads(stmt.value if not isinstance(stmt, ast.FunctionDef) else None)
        if isinstance(stmt, ast.Result):
            self.last = (_Entry("result", None, text, reads), len(self.log))
            if echo:
                self._show_value(y, text)
            return y
        if isinstance(stmt, ast.FunctionDef):
            # A body's free names are read where the function is called (see _reads).
            self.log.append(_Entry("function", stmt.name, text, frozenset()))
            return None
        value = session.env[stmt.name]
        if isinstance(value, Tensor) and len(session.inputs) > n_inputs and session.inputs[-1] is value:
            self._lines_of[id(value)] = stmt.span.line
            self._current_key(stmt.name, value)
            self.log.append(_Entry("input", stmt.name, text, frozenset(), value))
        else:
            self.log.append(_Entry("binding", stmt.name, text, reads, random=_calls(stmt.value, RANDOM)))
        return None

    def _current_key(self, name: str, new):
        """In a session a name is rebound to try another point: the current
        binding keeps the plain name as its gradient's key, and the input it
        replaced is renamed name@LINE (LINE: where it was bound)."""
        if new.key == name:
            return
        for t in self.session.inputs:
            if t.key == name and t is not new:
                t.key = f"{name}@{self._lines_of.get(id(t), 0)}"
        new.key = name

    def _reads(self, node) -> frozenset:
        """Names an expression reads, and those of the user functions it calls
        (their free names are looked up when they are called, that is now)."""
        from gradcli.interpret import Function
        if node is None:
            return frozenset()
        names = set(_names(node))
        env = self.session.env
        todo = [n for n in names if isinstance(env.get(n), Function)]
        seen = set(todo)
        while todo:
            fn = env[todo.pop()]
            for n in self._free_names(fn):
                names.add(n)
                if isinstance(env.get(n), Function) and n not in seen:
                    seen.add(n)
                    todo.append(n)
        return frozenset(names)

    @staticmethod
    def _free_names(fn) -> frozenset:
        return frozenset(n for n in _names(fn.body) if n not in fn.params)

    def _show_value(self, y, text: str):
        from rich.text import Text

        from gradcli.render import format as fmt
        value = y.bk.to_host(y.data)
        if self.opts.json:
            from gradcli.render import jsonout
            self._json(jsonout.result_document(text, value, y.shape, y.bk.dtype_name, None))
        else:
            self.out.print(Text(fmt.array(value, self.opts.precision, oneline=False)))

    # ---- messages
    def _report(self, e):
        from gradcli.render import diagnostics
        shown = self._localize(e)
        self.err.print(diagnostics.render(shown))
        if self.opts.json:
            from gradcli.render import jsonout
            self._json(jsonout.error_document(shown))

    def _json(self, doc):
        from gradcli.render import jsonout
        jsonout.dump(doc, file=self.out.file)

    def _localize(self, e):
        """The error as its reader knows the place: <stdin>:12, or file:3."""
        if e.span is None or not isinstance(e.source, _DocText):
            return e
        from gradcli.errors import Span
        span = e.span
        origin, line = self.doc.local(span.line)
        shown = copy.copy(e)
        text = self.doc.lines[span.line - 1] if 0 < span.line <= len(self.doc.lines) else ""
        shown.source, shown.origin = "\n" * (line - 1) + text, origin
        shown.span = Span(line, span.column, line + span.end_line - span.line, span.end_column)
        return shown

    def _flush_warnings(self):
        from gradcli.errors import GradcliError
        from gradcli.render import diagnostics
        events, seen = self.session.bk.events, set()
        for op, what, span in events:
            if (op, what, span) in seen:
                continue
            seen.add((op, what, span))
            w = GradcliError("", span).locate(self.doc.source(""))
            w = self._localize(w) if span is not None else w
            for message in diagnostics.warnings([(op, what, w.span)], w.source, w.origin):
                self.err.print(message)
        events.clear()

    def _info(self, message: str):
        """A confirmation (saved, loaded...): on stderr, so piped stdout keeps only results."""
        self.err.print(message, style="dim", markup=False)

    # ---- :commands
    def _command(self, text: str, first: int):
        from gradcli.errors import UsageError
        from gradcli.interpret import _suggest
        m = re.match(r"\s*:(\S*)\s*", text)
        name, arg = m.group(1), text[m.end():].rstrip()
        name = COMMAND_ALIASES.get(name, name)
        if name not in COMMANDS:
            raise UsageError(f"unknown command ':{name}'" + _suggest(name, COMMANDS),
                             hint=":help lists the commands")
        start = self.doc.add(text, self.origin, first)
        if name in EXPR_COMMANDS:
            if not arg:
                raise UsageError(f":{name} needs an expression", hint=f"usage: :{name} {COMMANDS[name][0]}")
            line0, col0 = _position(text, m.end())
            getattr(self, f"_cmd_{name}")(arg, text, start + line0, col0)
        elif name == "quit":
            raise Quit
        else:
            getattr(self, f"_cmd_{name}")(arg)

    def _expression(self, arg: str, text: str, line0: int, col0: int):
        """Evaluate a command's expression: (its statement, tensor)."""
        from gradcli import ast
        from gradcli.errors import UsageError
        source = self.doc.source(text)
        statements = self._parse(arg, source, line0, col0)
        if len(statements) != 1 or not isinstance(statements[0][0], ast.Result):
            span = statements[0][0].span if statements else None
            raise UsageError("expected one expression", span,
                             hint="bind names on their own line first").locate(source)
        stmt, stmt_text = statements[0]
        y = self.session.execute(stmt, source)
        self._flush_warnings()
        self.last = (_Entry("result", None, stmt_text, self._reads(stmt.value)), len(self.log))
        return stmt, y, source

    def _wrt(self, arg: str) -> tuple[str, list[str]]:
        """Split `EXPR wrt a, b` and resolve the names to input keys."""
        from gradcli.autograd import Tensor
        from gradcli.errors import UsageError
        m = _WRT.match(arg)
        if not m:
            return arg, []
        if not m.group("names"):
            raise UsageError("wrt needs the names of inputs", hint="e.g. :grad sum(x*w) wrt x, w")
        keys = {t.key for t in self.session.inputs}
        out = []
        for name in re.split(r"[\s,]+", m.group("names").strip()):
            value = self.session.env.get(name)
            if isinstance(value, Tensor) and value.is_input:
                out.append(value.key)
            elif name in keys:
                out.append(name)
            else:
                known = ", ".join(n for n, v in self.session.env.items()
                                  if isinstance(v, Tensor) and v.is_input) or "none yet"
                raise UsageError(f"wrt {name}: '{name}' is not an input (inputs: {known})",
                                 hint="an input is a name bound to a value that no other name feeds: x = ones(2)")
        return m.group("expr"), out

    def _clear_grads(self):
        for t in self.session.inputs:
            t.grad = None

    def _cmd_grad(self, arg, text, line0, col0):
        from gradcli import api
        from gradcli.errors import NotScalarError
        from gradcli.render import console
        from gradcli.report import snapshot
        expr, wrt = self._wrt(arg)
        stmt, y, source = self._expression(expr, text, line0, col0)
        self._clear_grads()
        try:
            grads = api.differentiate(y, self.session, wrt)
        except NotScalarError as e:
            e.span = stmt.span
            raise e.locate(source)
        self._flush_warnings()
        bk = self.session.bk
        try:
            if self.opts.json:
                from gradcli.render import jsonout
                self._json(jsonout.result_document(expr.strip(), bk.to_host(y.data), y.shape, bk.dtype_name, grads))
                return
            self.out.print(console.summary(bk.to_host(y.data), y.shape, bk.dtype_name, grads, self.opts.precision))
            if not grads:
                self.out.print("(it depends on no input: bind one, e.g. x = ones(2))", style="dim", markup=False)
            self.out.print()
            self.out.print(console.draw(snapshot(y), self.opts.precision))
        finally:
            self._clear_grads()

    def _cmd_tree(self, arg, text, line0, col0):
        from gradcli.render import console
        from gradcli.report import snapshot
        _, y, _ = self._expression(arg, text, line0, col0)
        self._clear_grads()
        self.out.print(console.draw(snapshot(y), self.opts.precision))

    def _cmd_check(self, arg, text, line0, col0):
        """Finite differences rerun the session as a program, in float64, with
        one input's value moved at a time and the expression last."""
        from gradcli import api, autograd
        from gradcli.errors import CheckFailed, ComputeError, NotScalarError, UsageError
        from gradcli.gradcheck import compare, numeric_gradient
        expr, wrt = self._wrt(arg)
        stmt, y, source = self._expression(expr, text, line0, col0)
        if y.size != 1:
            raise NotScalarError(f"check needs a scalar result, but this one has shape {y.shape}", stmt.span,
                                 hint="reduce it: sum(...), mean(...)").locate(source)
        text, entries = self._program()

        def run(values=None):
            session = api.setup(None, dtype="float64", seed=self.opts.seed)
            return api.run_program(self._program(values)[0] if values else text, session), session

        y64, fresh = run()
        if len(fresh.inputs) != len(entries):
            raise ComputeError(":check could not replay the session as a program", hint="try :save and gradcli check")
        twin = {id(e.value): t for e, t in zip(entries, fresh.inputs)}      # same order, same values
        if wrt:
            chosen = [t for t in self.session.inputs if t.key in wrt]
            for t in chosen:
                if id(t) not in twin:
                    raise UsageError(f"wrt {t.key}: no binding of the session reads this input any more")
        else:
            reached = {id(t) for t in api.depends_on(y64, fresh.inputs)}
            chosen = [e.value for e in entries if id(twin[id(e.value)]) in reached]
        if not chosen:
            raise UsageError("the expression depends on no input, so there is no gradient to check")
        xs64 = [twin[id(t)] for t in chosen]
        autograd.backward(y64, xs64)
        values = [x.numpy() for x in xs64]

        def f(vals):
            return run(dict(zip(map(id, chosen), vals)))[0].item()
        tol = 1e-6
        results = [compare(t.key, x.grad, *numeric_gradient(f, values, i), tol)
                   for i, (t, x) in enumerate(zip(chosen, xs64))]
        self._print_check(y64.item(), results, tol)
        if not all(r.ok for r in results):
            raise CheckFailed(f"autograd and finite differences disagree for "
                              f"{', '.join(r.name for r in results if not r.ok)} (tolerance {tol:g})",
                              hint="a wrong gradient rule, a kink, or a step too coarse for this function")

    def _print_check(self, value, results, tol):
        from rich.table import Table
        from rich.text import Text

        from gradcli.render import format as fmt
        p = self.opts.precision
        self.out.print(Text.assemble(("value  ", "bold"), fmt.number(value, p)))
        table = Table(box=None, padding=(0, 2), header_style="bold", pad_edge=False)
        for col in ("input", "autograd", "finite differences", "max abs err", "max rel err", ""):
            table.add_column(col)
        for r in results:
            table.add_row(r.name, fmt.array(r.autograd, p, oneline=False), fmt.array(r.numeric, p, oneline=False),
                          f"{r.abs_err:.2e}", f"{r.rel_err:.2e}",
                          Text("ok", style="green") if r.ok else Text("MISMATCH", style="bold red"))
        self.out.print(table)
        for r in results:
            for idx, left, right in r.kinks:
                where = f"{r.name}[{', '.join(map(str, idx))}]" if idx else r.name
                self.out.print(Text(f"kink at {where}: slope {fmt.number(left, p)} from the left, "
                                    f"{fmt.number(right, p)} from the right", style="yellow"))
        if all(r.ok for r in results):
            self.out.print(Text(f"gradients agree within {tol:g}", style="green"))

    def _cmd_vars(self, arg):
        from rich.table import Table
        from rich.text import Text

        from gradcli.autograd import Tensor
        from gradcli.interpret import Function
        from gradcli.render import format as fmt
        env = self.session.env
        if not env:
            self._info("no bindings yet: x = ones(2) binds an input")
            return
        inputs = {id(t) for t in self.session.inputs}
        table = Table(box=None, padding=(0, 2), header_style="bold", pad_edge=False)
        for col in ("name", "kind", "shape", "value"):
            table.add_column(col, no_wrap=col != "value")
        p = self.opts.precision
        for name, value in env.items():
            if isinstance(value, Function):
                row = ("function", "", self._definition(name))
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
        self.out.print(table)

    def _definition(self, name: str) -> str:
        for e in reversed(self.log):
            if e.name == name and e.kind == "function":
                return " ".join(e.text.split())
        return f"{name}(...)"

    def _cmd_help(self, arg):
        from rich.table import Table
        from rich.text import Text

        from gradcli.autograd import Tensor
        from gradcli.errors import UnknownNameError
        from gradcli.interpret import Function, _suggest, resolve_builtin
        from gradcli.ops import BUILTINS, SYNONYMS
        from gradcli.render import format as fmt
        name, say = arg.strip(), self.out.print
        if not name:
            say(Text("Statements: x = ones(2) binds a name; f(a, b) = a*b + sin(a) defines a function; "
                     "any other expression prints its value. Commands:"))
            table = Table(box=None, padding=(0, 2), show_header=False, pad_edge=False)
            table.add_column(style="bold yellow", no_wrap=True)
            table.add_column()
            for cmd, (args, doc) in COMMANDS.items():
                table.add_row(Text(f":{cmd} {args}".rstrip()), Text(doc))
            say(table)
            say(Text("Builtins: " + " ".join(BUILTINS), style="dim"))
            say(Text(":help NAME shows one. Tab completes; an open bracket continues on the next line; "
                     "Ctrl-C abandons a line; Ctrl-D leaves.", style="dim"))
            return
        value, cmd = self.session.env.get(name), COMMAND_ALIASES.get(name[1:], name[1:])
        if name.startswith(":") and cmd in COMMANDS:
            title, lines = f":{cmd} {COMMANDS[cmd][0]}".rstrip(), [COMMANDS[cmd][1]]
        elif isinstance(value, Function):
            title, lines = self._definition(name), ["a function defined in this session"]
        elif isinstance(value, Tensor):
            title = f"{name}: {'an input' if value.is_input else 'an intermediate'} of shape {fmt.shape(value.shape)}"
            lines = [fmt.array(value.numpy(), self.opts.precision, edge=2)]
        elif (op := resolve_builtin(name)) is not None:
            also = [s for s, t in SYNONYMS.items() if t == op.name]
            title, lines = op.signature(), [op.doc] + ([f"also spelled {', '.join(also)}"] if also else [])
        else:
            raise UnknownNameError(f"no help for '{name}'" + _suggest(name, [*BUILTINS, *SYNONYMS, *self.session.env,
                                                                          *(f":{c}" for c in COMMANDS)]),
                                   hint=":help lists the commands and the builtins")
        say(Text(title, style="bold"))
        for line in lines:
            say(Text(f"  {line}"))

    def _cmd_reset(self, arg):
        self.session = self._new_session()
        self.log, self.last, self._lines_of = [], None, {}
        self._info("the session is empty")

    def _cmd_load(self, arg):
        from gradcli.errors import InputFileError
        path = _path(arg, "load")
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise InputFileError(f"{path}: no such file") from None
        except UnicodeDecodeError:
            raise InputFileError(f"{path}: not a text file in UTF-8") from None
        except OSError as e:
            raise InputFileError(f"{path}: {e.strerror or e}") from None
        bound = self._run(text.replace("\r\n", "\n"), path, 1, echo=True)
        names = list(dict.fromkeys(bound))
        self._info(f"loaded {path}" + (f": {', '.join(names)}" if names else ""))

    def _cmd_save(self, arg):
        from gradcli.errors import InputFileError, UsageError
        path = _path(arg, "save")
        if not self.log:
            raise UsageError("nothing to save: the session has no bindings yet")
        try:
            Path(path).write_text(self.program_text(), encoding="utf-8")
        except OSError as e:
            raise InputFileError(f"cannot write {path}: {e.strerror or e}") from None
        self._info(f"saved the session to {path}")

    def _cmd_set(self, arg):
        from rich.text import Text

        from gradcli.errors import UsageError
        parts = arg.split()
        if not parts:
            o = self.opts
            self.out.print(Text(f"precision {o.precision}  dtype {o.dtype}  device {o.device}  seed {o.seed}"))
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
                import numpy
                self.session.bk.rng = numpy.random.default_rng(number)
            setattr(self.opts, what, number)
        else:
            self._rebuild(**{what: value})
            setattr(self.opts, what, value)
        self._info(f"{what} {value}")

    def _rebuild(self, device=None, dtype=None):
        """Another dtype or device: replay the session (inputs as their values)
        on a new backend; the random generator carries on where it was."""
        program = self.program_text() if self.log else ""
        old = (self.session, self.log, self.last, self._lines_of)
        self.session = self._new_session(device, dtype, rng=self.session.bk.rng)
        self.log, self.last, self._lines_of = [], None, {}
        try:
            if program:
                self._run(program, "<session>", 1, echo=False)
        except BaseException:
            self.session, self.log, self.last, self._lines_of = old
            raise
        redrawn = [e.name for e in self.log if e.random]
        if redrawn:
            self._info(f"{', '.join(redrawn)}: computed again, with new random numbers")

    # ---- the session as a program
    def program_text(self) -> str:
        """The session as a program (what :save writes)."""
        return self._program()[0]

    def _program(self, values: dict | None = None) -> tuple[str, list[_Entry]]:
        """The bindings still needed for the current state, in order: inputs
        as literals of their values (so random ones survive; `values` replaces
        some, by id of the input), functions and intermediates as their source;
        then the last result, when it still means what it meant. Also the
        input entries written, in order."""
        env = self.session.env
        tail = None
        if self.last is not None:
            entry, at = self.last
            if not any(e.name in entry.reads for e in self.log[at:]):
                tail = entry
        live = set(env) | (tail.reads if tail else set())
        keep = []
        for e in reversed(self.log):
            if e.name in live:
                keep.append(e)
                live.discard(e.name)
                live |= e.reads
        keep.reverse()
        dtype = self.session.bk.dtype_name
        lines = [f"# a gradcli session ({dtype}): :load it in gradcli repl, or gradcli run it"
                 + (" --dtype float32" if dtype == "float32" else "")]
        for e in keep:
            if e.kind == "input":
                value = (values or {}).get(id(e.value))
                value = e.value.numpy() if value is None else value
                lines.append(f"{e.name} = {_literal(value, len(e.name) + 3)}")
                continue
            if e.random:
                lines.append(f"# {e.name} draws random numbers: they differ when this is run again")
            lines.append(e.text)
        if tail is not None:
            lines.append(tail.text)
        return "\n".join(lines) + "\n", [e for e in keep if e.kind == "input"]

    # ---- for completion and highlighting
    def names(self) -> dict[str, str]:
        """Bound names -> their kind."""
        from gradcli.autograd import Tensor
        from gradcli.interpret import Function
        out = {}
        for name, value in self.session.env.items():
            out[name] = ("function" if isinstance(value, Function) else
                         "input" if isinstance(value, Tensor) and value.is_input else
                         "intermediate" if isinstance(value, Tensor) else "tuple")
        return out


# ---- helpers of the interpreter
def _incomplete(text: str) -> bool:
    from gradcli.parse import is_incomplete
    code = re.sub(r"#[^\n]*", "", text).rstrip()        # a bracket in a comment opens nothing
    if not code:
        return False
    depth = sum(code.count(c) for c in "([") - sum(code.count(c) for c in ")]")
    if depth <= 0 and (code[-1].isalnum() or code[-1] in "_)]"):
        return False        # only an open bracket or a trailing operator asks for more: skip parsing
    return is_incomplete(code)


def _error(message: str):
    from gradcli.errors import GradcliError
    e = GradcliError(message)
    e.kind = "internal"
    return e


def _path(arg: str, command: str) -> str:
    from gradcli.errors import UsageError
    path = arg.strip()
    if len(path) >= 2 and path[0] == path[-1] and path[0] in "'\"":
        path = path[1:-1]
    if not path:
        raise UsageError(f":{command} needs a file name", hint=f"usage: :{command} session.grad")
    return os.path.expanduser(path)


def _position(text: str, index: int) -> tuple[int, int]:
    """(lines before, column offset) of text[index]."""
    line0 = text.count("\n", 0, index)
    return line0, index - (text.rfind("\n", 0, index) + 1)


def _move(span, line0: int, col0: int):
    from gradcli.errors import Span
    return Span(span.line + line0, span.column + (col0 if span.line == 1 else 0),
                span.end_line + line0, span.end_column + (col0 if span.end_line == 1 else 0))


def _moved_position(m, line0: int, col0: int) -> str:
    line, col = int(m.group(1)), int(m.group(2))
    return f"line {line + line0}, column {col + (col0 if line == 1 else 0)}"


def _shift(statements, line0: int, col0: int):
    """Move every span of the statements from entry to doc coordinates."""
    import dataclasses

    from gradcli import ast
    from gradcli.errors import Span
    if not line0 and not col0:
        return
    stack, seen = list(statements), set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for f in dataclasses.fields(node):
            v = getattr(node, f.name)
            if isinstance(v, Span):
                setattr(node, f.name, _move(v, line0, col0))
            elif isinstance(v, ast.Node):
                stack.append(v)
            elif isinstance(v, list):
                stack.extend(x for x in v if isinstance(x, ast.Node))


def _walk(node):
    import dataclasses

    from gradcli import ast
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        for f in dataclasses.fields(n):
            v = getattr(n, f.name)
            if isinstance(v, ast.Node):
                stack.append(v)
            elif isinstance(v, list):
                stack.extend(x for x in v if isinstance(x, ast.Node))


def _names(node):
    from gradcli import ast
    for n in _walk(node):
        if isinstance(n, ast.Name):
            yield n.id
        elif isinstance(n, ast.Call):
            yield n.func


def _calls(node, funcs) -> bool:
    from gradcli import ast
    return any(isinstance(n, ast.Call) and n.func in funcs for n in _walk(node))


def _statement_texts(text: str) -> list[str]:
    """The source of each statement, split where the grammar splits them (';'
    or a newline outside brackets), without comments. Spans cannot give it:
    they leave out the parentheses around an operand."""
    pieces, current, depth, i = [], [], 0, 0
    while i < len(text):
        ch = text[i]
        if ch == "#":
            while i < len(text) and text[i] != "\n":
                i += 1
            continue
        if ch == "\\" and text[i + 1:i + 2] == "\n":
            current.append("\\\n")
            i += 2
            continue
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        if ch == ";" or (ch == "\n" and not depth):
            pieces.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    pieces.append("".join(current))
    return [p.strip() for p in pieces if p.strip()]


def _span_text(lines: list[str], span) -> str:
    if span.line == span.end_line:
        return lines[span.line - 1][span.column - 1:span.end_column - 1]
    return "\n".join([lines[span.line - 1][span.column - 1:], *lines[span.line:span.end_line - 1],
                      lines[span.end_line - 1][:span.end_column - 1]])


def _literal(a, indent: int = 0) -> str:
    """An array as the language's literal, exactly (repr keeps every digit)."""
    import math

    import numpy
    a = numpy.asarray(a, dtype=float)
    if a.size == 0:
        return f"zeros({', '.join(map(str, a.shape))})"

    def number(v):
        v = float(v)
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v)

    def nested(x, depth):
        if x.ndim == 0:
            return number(x)
        if x.ndim == 1:
            return "[" + ", ".join(number(v) for v in x) + "]"
        sep = ",\n" + " " * (indent + depth + 1)
        return "[" + sep.join(nested(row, depth + 1) for row in x) + "]"
    return nested(a, 0)


# ---- the terminal: prompt_toolkit
def history_file() -> Path | None:
    """$GRADCLI_HISTORY (empty: none), else $XDG_DATA_HOME/gradcli/history,
    else ~/.local/share/gradcli/history."""
    override = os.environ.get("GRADCLI_HISTORY")
    if override is not None:
        return Path(override).expanduser() if override else None
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "gradcli" / "history"


def _history(path: Path | None, repl: Repl):
    from prompt_toolkit.history import FileHistory, InMemoryHistory
    if path is None:
        return InMemoryHistory()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(exist_ok=True)
        return FileHistory(str(path))
    except OSError as e:
        repl.err.print(f"warning: history is not kept: cannot write {path} ({e.strerror or e})",
                       style="yellow", markup=False)
        return InMemoryHistory()


_TOKEN = re.compile(r"(?P<comment>#.*)|(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
                    r"|(?P<word>[A-Za-z_]\w*)|(?P<op>\*\*|[<>=!]=|[-+*/@^<>=])|(?P<other>\s+|.)")
STYLE = {
    "prompt": "ansigreen bold", "continuation": "ansibrightblack",
    "number": "ansicyan", "constant": "ansicyan", "builtin": "ansigreen", "bound": "bold",
    "function": "ansimagenta", "command": "ansiyellow bold", "keyword": "ansiyellow",
    "comment": "ansibrightblack italic", "op": "ansibrightblack",
}


def _make_lexer(repl: Repl):
    from prompt_toolkit.lexers import Lexer

    from gradcli.interpret import CONSTANTS, KEYWORDS, resolve_builtin

    class GradcliLexer(Lexer):
        """Colors as typed: numbers, builtins, bound names, :commands, comments."""

        def lex_document(self, document):
            lines = document.lines
            names = repl.names()
            command = document.text.lstrip().startswith(":")

            def get_line(i):
                try:
                    return tokens(lines[i], i == 0 and command)
                except Exception:       # noqa: BLE001 - a coloring bug must not end the session
                    return [("", lines[i])]

            def tokens(text, command_line):
                out, pos = [], 0
                m = re.match(r"\s*:\S*", text) if command_line else None
                if m:
                    out.append(("class:command", m.group()))
                    pos = m.end()
                for m in _TOKEN.finditer(text, pos):
                    kind, tok = m.lastgroup, m.group()
                    if kind == "word":
                        kind = ("keyword" if command and tok == "wrt" else
                                "function" if names.get(tok) == "function" else
                                "bound" if tok in names else
                                "builtin" if resolve_builtin(tok) else
                                "constant" if tok in CONSTANTS or tok in KEYWORDS else "")
                    out.append((f"class:{kind}" if kind and kind != "other" else "", tok))
                return out
            return get_line
    return GradcliLexer()


def _make_completer(repl: Repl):
    from prompt_toolkit.completion import Completer, Completion, PathCompleter
    from prompt_toolkit.document import Document

    from gradcli.interpret import CONSTANTS, KEYWORDS
    from gradcli.ops import BUILTINS, SYNONYMS
    paths = PathCompleter(expanduser=True)

    def words(prefix: str, candidates):
        for word, meta in candidates:
            if word.startswith(prefix):     # a whole name stays: Tab after w offers w and where
                yield Completion(word, -len(prefix), display_meta=meta)

    class GradcliCompleter(Completer):
        """Bound names, builtins (with their signature), constants; :commands
        at the start of a line; file names after :load and :save."""

        def get_completions(self, document, event):
            try:
                yield from self.complete(document.text_before_cursor, event)
            except Exception:           # noqa: BLE001 - a completion bug must not end the session
                return

        def complete(self, before, event):
            stripped = before.lstrip()
            command = None
            if stripped.startswith(":"):
                m = re.match(r":(\S*)(\s+)?", stripped)
                if m.group(2) is None:
                    yield from words(m.group(1), ((c, COMMANDS[c][1]) for c in COMMANDS))
                    return
                command = COMMAND_ALIASES.get(m.group(1), m.group(1))
                arg = stripped[m.end():]
                if command in ("load", "save"):
                    yield from paths.get_completions(Document(arg, len(arg)), event)
                    return
                if command == "set":
                    parts = arg.split(" ")
                    if len(parts) == 1:
                        yield from words(parts[0], ((s, "setting") for s in SETTINGS))
                    elif len(parts) == 2 and parts[0] in SETTINGS:
                        yield from words(parts[1], ((v, parts[0]) for v in SETTINGS[parts[0]]))
                    return
                if command not in EXPR_COMMANDS and command != "help":
                    return
                if command == "help" and arg.startswith(":"):
                    yield from words(arg[1:], ((c, COMMANDS[c][1]) for c in COMMANDS))
                    return
            m = re.search(r"[A-Za-z_]\w*$", before)
            prefix = m.group() if m else ""
            if not prefix and not event.completion_requested:
                return
            head = before[:len(before) - len(prefix)]
            names = repl.names()
            if command in ("grad", "check") and re.search(r"\swrt\s+[\w@,\s]*$", head):
                candidates = [(n, k) for n, k in names.items() if k == "input"]
            elif head.endswith("."):        # a method: x.no -> x.norm
                candidates = [(op.name, op.signature()) for op in BUILTINS.values()]
            else:
                candidates = [*names.items(), *((op.name, op.signature()) for op in BUILTINS.values()),
                              *((s, f"= {t}") for s, t in SYNONYMS.items()),
                              *((c, "constant") for c in (*CONSTANTS, *KEYWORDS))]
                if command in ("grad", "check") and head[head.index(":"):].split(None, 1)[1:] and head.endswith(" "):
                    candidates.append(("wrt", "the inputs to differentiate"))
            seen = set()
            for c in words(prefix, candidates):
                if c.text not in seen:
                    seen.add(c.text)
                    yield c
    return GradcliCompleter()


def interactive(repl: Repl, history: Path | None = None, *, input=None, output=None) -> int:
    """The prompt loop; returns the exit code (0: Ctrl-D and :quit)."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
    from prompt_toolkit.key_binding import KeyBindings
    from prompt_toolkit.output import ColorDepth
    from prompt_toolkit.shortcuts import CompleteStyle
    from prompt_toolkit.styles import Style

    from gradcli import __version__
    keys = KeyBindings()

    @keys.add("enter")
    def _enter(event):
        buf = event.current_buffer
        if buf.complete_state and buf.complete_state.current_completion:
            buf.apply_completion(buf.complete_state.current_completion)
        elif repl.needs_more(buf.text) and not (buf.text.endswith("\n") and buf.cursor_position == len(buf.text)):
            buf.insert_text("\n")        # a bracket is open; Enter on an empty line sends it anyway
        else:
            buf.validate_and_handle()

    no_color = repl.opts.no_color or bool(os.environ.get("NO_COLOR"))
    prompt = PromptSession(
        [("class:prompt", ">>> ")], multiline=True, key_bindings=keys,
        prompt_continuation=lambda width, line, wrap: [("class:continuation", "... ".rjust(width))],
        history=_history(Path(history) if history is not None else None, repl), auto_suggest=AutoSuggestFromHistory(),
        completer=_make_completer(repl), complete_while_typing=False, complete_style=CompleteStyle.COLUMN,
        lexer=_make_lexer(repl), style=Style.from_dict(STYLE), include_default_pygments_style=False,
        color_depth=ColorDepth.DEPTH_1_BIT if no_color else None, input=input, output=output)
    repl.err.print(f"gradcli {__version__}: :help for commands, Tab completes, Ctrl-D leaves",
                   style="dim", markup=False)
    while True:
        try:
            text = prompt.prompt()
        except KeyboardInterrupt:       # Ctrl-C at the prompt: abandon the line
            continue
        except EOFError:                # Ctrl-D
            return 0
        try:
            repl.feed(text)
        except KeyboardInterrupt:       # Ctrl-C while computing
            repl.err.print("interrupted", style="yellow")
        except Quit:
            return 0


# ---- piped stdin
def piped(repl: Repl, stream) -> int:
    """Statements line by line (a bracket left open continues on the next
    line); exit code 1 if any entry failed."""
    pending, first = [], 1
    try:
        for number, raw in enumerate(stream, 1):
            line = raw.rstrip("\n").rstrip("\r")
            if pending and line.lstrip().startswith(":"):     # a command is never inside an expression
                repl.feed("\n".join(pending), first)
                pending = []
            if not pending:
                first = number
            pending.append(line)
            text = "\n".join(pending)
            if repl.needs_more(text):
                continue
            pending = []
            repl.feed(text, first)
        if pending:
            repl.feed("\n".join(pending), first)
    except Quit:
        pass
    return 1 if repl.failures else 0


@click.command("repl", epilog="\b\nExamples:\n  gradcli repl\n"
               "  printf 'x = ones(2)\\nnorm(4*x*x)\\n:grad norm(4*x*x)\\n' | gradcli repl")
@common_options
def command(**kw):
    """Interactive session: statements, :grad EXPR, :tree, :vars, :help...

    On a terminal: history (in $XDG_DATA_HOME/gradcli/history, or
    $GRADCLI_HISTORY), Tab completion, highlighting. From a pipe: one
    statement per line, exit code 1 if any line failed."""
    opts = options_from(kw)

    def work():
        import gc
        gc.enable()             # the group's main disables it for one-shot commands; a session lives long
        terminal = sys.stdin.isatty() and sys.stdout.isatty()
        if not terminal and hasattr(sys.stdin, "reconfigure"):
            sys.stdin.reconfigure(errors="replace")     # bytes that are not UTF-8: an error on that line only
        repl = Repl(opts, origin="input" if terminal else "<stdin>")
        code = interactive(repl, history_file()) if terminal else piped(repl, sys.stdin)
        sys.stdout.flush()
        sys.exit(code)
    boundary(opts, work)
