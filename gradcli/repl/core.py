"""`Repl`, the interpreter of entries: it takes one entry (statements, or a
`:command`) and prints, through its Output (output.py), to the consoles of its
Options. The terminal and the piped layers both feed it, so tests can drive
it directly. It keeps the session, the log of what changed it (for :save)
and the numbered lines it has read (for error locations, text.py); the
:commands live in commands.py and gradients.py."""
from __future__ import annotations

import os
import re

from gradcli.repl import commands, gradients
from gradcli.repl import program as prog
from gradcli.repl import text as doctext
from gradcli.repl.commands import ALIASES, COMMANDS, EXPR_COMMANDS, WRT
from gradcli.repl.output import Output
from gradcli.repl.program import Entry

# :command -> what runs it: f(repl, arg) or, for EXPR_COMMANDS, f(repl, arg, text, line0, col0).
HANDLERS = {"grad": gradients.grad, "tree": gradients.tree, "check": gradients.check,
            "vars": commands.show_vars, "help": commands.show_help, "reset": commands.reset,
            "load": commands.load, "save": commands.save, "set": commands.set_option}


class Quit(Exception):
    """:quit: the loop that fed the line stops."""


class Repl:
    """The interpreter of entries. `feed(text)` runs one entry and prints its
    results, or its error, and returns whether it succeeded; `:quit` raises
    Quit. Output goes to opts.out, messages and errors to opts.err."""

    def __init__(self, opts, origin: str = "<stdin>"):
        self.opts = opts
        self.origin = origin
        self.doc = doctext.Doc()
        self.lines_read = 0
        self.failures = 0
        self.log: list[Entry] = []
        self.last: tuple[Entry, int] | None = None   # the last result, and len(log) then
        self.session = self.new_session()
        self.output = Output(self)

    @property
    def out(self):
        return self.opts.out

    @property
    def err(self):
        return self.opts.err

    def new_session(self, device=None, dtype=None, rng=None):
        """A fresh session; its random numbers come from rng (a generator carried
        on from another session), or from the seed."""
        from gradcli import api
        session = api.setup(None, device=device or self.opts.device, dtype=dtype or self.opts.dtype,
                            seed=self.opts.seed if rng is None else rng)
        session.unbound = "bind it first: {name} = ones(2), say"
        session.no_value_yet = dict.fromkeys(prog.ANS, "it holds the last result, and there is none yet")
        return session

    def reset(self):
        """Forget every binding."""
        self.session = self.new_session()
        self.log, self.last = [], None

    def rebuild(self, device=None, dtype=None):
        """Another dtype or device: replay the session (inputs as their values)
        on a new backend; the random generator carries on where it was.
        Returns the names bound to random numbers, drawn again."""
        program = self.program_text() if self.log else ""
        old = (self.session, self.log, self.last)
        self.session = self.new_session(device, dtype, rng=self.session.bk.rng)
        self.log, self.last = [], None
        try:
            if program:
                self.run(program, "<session>", 1, echo=False)
        except BaseException:
            self.session, self.log, self.last = old
            raise
        return [e.name for e in self.log if e.random]

    # ---- entries
    def needs_more(self, text: str) -> bool:
        """An open bracket or a trailing operator: the entry goes on next line."""
        stripped = text.lstrip()
        if stripped.startswith(":"):
            name, _, arg = stripped[1:].partition(" ")
            if ALIASES.get(name, name) not in EXPR_COMMANDS or not arg.strip():
                return False
            m = WRT.match(arg)
            return doctext.incomplete(m.group("expr") if m else arg)
        return doctext.incomplete(text)

    def feed(self, text: str, first: int | None = None) -> bool:
        from gradcli.errors import GradcliError, classify
        first = self.lines_read + 1 if first is None else first
        self.lines_read = first + text.count("\n")
        try:
            stripped = text.strip()
            if stripped.startswith(":"):
                self._command(text, first)
            elif stripped in ("quit", "exit") and stripped not in self.session.env:
                raise Quit
            elif stripped == "help" and stripped not in self.session.env:     # as in Python's REPL
                self._command(":help", first)
            elif stripped:
                self.run(text, self.origin, first, echo=True)
            return True
        except (Quit, KeyboardInterrupt, BrokenPipeError):      # the boundary stops quietly
            raise
        except Exception as e:          # noqa: BLE001 - one line, never a traceback
            if os.environ.get("GRADCLI_DEBUG") and not isinstance(e, GradcliError):
                raise
            self.output.report(classify(e))
        finally:
            self.output.flush_warnings()
        self.failures += 1
        return False

    def run(self, text: str, origin: str, first: int, echo: bool) -> list[str]:
        """Run the statements of text; returns the names they bound."""
        start = self.doc.add(text, origin, first)
        source = self.doc.source(text)
        bound = []
        for stmt, stmt_text in self.parse(text, source, start, 0):
            self._statement(stmt, stmt_text, source, echo)
            if getattr(stmt, "name", None):
                bound.append(stmt.name)
        return bound

    def parse(self, text: str, source, line0: int, col0: int) -> list:
        """Parse text (which starts at doc line line0 + 1, column col0 + 1):
        its statements, with doc-wide spans, and each one's source text."""
        from gradcli.errors import GradcliError
        from gradcli.parse import parse
        try:
            program = parse(text)
        except GradcliError as e:
            if e.span is not None:
                e.span = doctext.move(e.span, line0, col0, source)
                e.source, e.origin = e.span.source.text, e.span.source.origin        # the doc's, not the entry's
                if e.hint:      # "the '(' opened at line 1, column 5" is relative to the entry
                    e.hint = doctext.move_hint(e.hint, line0, col0)
            raise
        texts = doctext.statement_texts(text)
        if len(texts) != len(program.statements):       # never expected; spans are a fallback
            texts = [s.span.text(text.split("\n")) for s in program.statements]
        doctext.shift(program.statements, line0, col0, source)
        return list(zip(program.statements, texts))

    def _statement(self, stmt, text: str, source, echo: bool):
        from gradcli import ast
        from gradcli.autograd import Tensor
        session = self.session
        n_inputs = len(session.inputs)
        rebound = getattr(stmt, "name", None) in session.env
        y = session.execute(stmt)
        self.output.flush_warnings()
        reads = self.reads(stmt.value if not isinstance(stmt, ast.FunctionDef) else None)
        if isinstance(stmt, ast.Result):
            self.result(y, text, reads, random=prog.calls(stmt.value, prog.RANDOM))
            if echo:
                self.output.value(y, text)
            return y
        if isinstance(stmt, ast.FunctionDef):
            # A body's free names are read where the function is called (see reads).
            self.log.append(Entry("function", stmt.name, text, frozenset()))
            return None
        value = session.env[stmt.name]
        if isinstance(value, Tensor) and len(session.inputs) > n_inputs and session.inputs[-1] is value:
            entry = Entry("input", stmt.name, text, frozenset(), value)
        else:
            entry = Entry("binding", stmt.name, text, reads, random=prog.calls(stmt.value, prog.RANDOM))
        self._bind([stmt.name] if rebound else [], [entry], echo)
        return None

    def result(self, y, text: str, reads: frozenset, random: bool = False) -> None:
        """A result: the last one (for :save), and the value of ans and _, as in
        qalc and IPython. They are bindings of its source, so they are computed
        again when what they read is rebound. A new result is the next value in
        a history, not an edit of a cell: bindings that read the previous ans
        keep the value they read (recomputing them would read the new one: y =
        ans + 1 and then y would chase itself)."""
        self.last = (Entry("result", None, text, reads), len(self.log))
        self.session.env.update(dict.fromkeys(prog.ANS, y))
        ans, underscore = prog.ANS        # _ is written after ans, from it: the text may read ans itself
        self.log += [Entry("binding", ans, f"{ans} = {text}", reads, random=random),
                     Entry("binding", underscore, f"{underscore} = {ans}", frozenset({ans}))]

    def _bind(self, rebound, entries: list[Entry], echo: bool) -> None:
        """Log the entries of names just bound. Bindings are reactive, as a
        spreadsheet's cells: those computed from a rebound name are computed
        again, in order, from their source, and move after the entries in the
        log (so :save computes them from the new value), but for those the new
        value was itself computed from. One that now fails is reported and
        keeps no stale value."""
        from gradcli.errors import GradcliError
        from gradcli.parse import parse
        changed, redone = set(rebound), []
        current = {e.name: e for e in self.log if e.name is not None and e.name not in changed}
        upstream = self._upstream(entries, current)
        for e in self.log if rebound else ():
            if e.kind != "binding" or current.get(e.name) is not e or not e.reads & changed or e.name in upstream:
                continue
            changed.add(e.name)
            try:
                self.session.execute(parse(e.text, f"{e.name}, computed again").statements[0])
                redone.append(e)
            except GradcliError as err:
                self.session.env.pop(e.name, None)
                self.output.report(err)
        self.log = [e for e in self.log if not any(e is r for r in redone)] + entries + redone
        if redone and echo:
            self.output.info(f"recomputed: {', '.join(e.name for e in redone)}")

    @staticmethod
    def _upstream(entries, current) -> set:
        """The names the new entries' values were computed from, through the
        current bindings: those are not computed again from the new value (x
        = y * 2 after y = x + 1 would go round in a circle)."""
        names, todo = set(), [n for e in entries for n in e.reads]
        while todo:
            name = todo.pop()
            if name not in names:
                names.add(name)
                todo += current[name].reads if name in current else ()
        return names

    def reads(self, node) -> frozenset:
        """Names an expression reads, and those of the user functions it calls
        (their free names are looked up when they are called, that is now)."""
        from gradcli.values import Function
        if node is None:
            return frozenset()
        from gradcli import ast
        names = set(ast.names(node))
        env = self.session.env
        todo = [n for n in names if isinstance(env.get(n), Function)]
        seen = set(todo)
        while todo:
            fn = env[todo.pop()]
            for n in prog.free_names(fn):
                names.add(n)
                if isinstance(env.get(n), Function) and n not in seen:
                    seen.add(n)
                    todo.append(n)
        return frozenset(names)

    # ---- :commands
    def _command(self, text: str, first: int):
        from gradcli.errors import UsageError
        from gradcli.spellings import suggest
        m = re.match(r"\s*:(\S*)\s*", text)
        name, arg = m.group(1), text[m.end():].rstrip()
        name = ALIASES.get(name, name)
        if name not in COMMANDS:
            raise UsageError(f"unknown command ':{name}'" + suggest(name, COMMANDS),
                             hint=":help lists the commands")
        start = self.doc.add(text, self.origin, first)
        if name in EXPR_COMMANDS:
            if not arg:
                raise UsageError(f":{name} needs an expression", hint=f"usage: :{name} {COMMANDS[name][0]}")
            line0, col0 = doctext.position(text, m.end())
            HANDLERS[name](self, arg, text, start + line0, col0)
        elif name == "quit":
            raise Quit
        else:
            HANDLERS[name](self, arg)

    # ---- the session as a program
    def program_text(self) -> str:
        """The session as a program (what :save writes)."""
        return self.program()[0]

    def program(self) -> tuple[str, list[Entry]]:
        """The session as a program, and the input entries it writes, in order."""
        return prog.write(self.log, self.last, self.session.env, self.session.bk.dtype_name)

    # ---- for completion and highlighting
    def names(self) -> dict[str, str]:
        """Bound names -> their kind."""
        from gradcli.autograd import Tensor
        from gradcli.values import Function
        out = {}
        for name, value in self.session.env.items():
            out[name] = ("function" if isinstance(value, Function) else
                         "input" if isinstance(value, Tensor) and value.is_input else
                         "intermediate" if isinstance(value, Tensor) else "tuple")
        return out
