"""The REPL fed from a pipe: stdin line by line, for scripts and tests."""
from __future__ import annotations

from gradcli.repl.core import Quit


def piped(repl, stream) -> int:
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
