"""The REPL on a terminal, through prompt_toolkit: file history, Tab
completion, highlighting as typed, and Enter that continues an entry while a
bracket is open. prompt_toolkit is imported only when a session starts."""
from __future__ import annotations

import os
import re
from pathlib import Path

from gradcli.repl.commands import ALIASES, COMMANDS, EXPR_COMMANDS, SETTINGS
from gradcli.repl.core import Quit, Repl


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

    from gradcli.evaluator import CONSTANTS, KEYWORDS, resolve_builtin

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
    """Completion of names, builtins, methods, :commands and files. Long: the
    Completer class is defined on first use, so that prompt_toolkit is
    imported only for a terminal session."""
    from prompt_toolkit.completion import Completer, Completion, PathCompleter
    from prompt_toolkit.document import Document

    from gradcli.evaluator import CONSTANTS, KEYWORDS
    from gradcli.ops import BUILTINS, METHODS, SYNONYMS
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
                command = ALIASES.get(m.group(1), m.group(1))
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
            elif head.endswith("."):        # a method: x.no -> x.norm (not x.ones); a menu in ABC order
                candidates = sorted((op.name, op.signature()) for op in (*BUILTINS.values(), *METHODS.values())
                                    if op.family != "create" and any(p.kind == "T" for p in op.params))
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
