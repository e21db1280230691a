"""The REPL fed from a pipe: stdin line by line, for scripts and tests.

An open bracket continues the entry on the next line. As in Python's REPL,
an entry that can no longer be completed (a stray "(" followed by x = 1) is
reported where it went wrong, and the lines after that point run as they
would have. The cost stays linear in the input: brackets are counted line by
line, and an open entry is parsed again only each time it has doubled."""
from __future__ import annotations

from collections import deque

from gradcli.repl.core import Quit


def piped(repl, stream) -> int:
    """Run stdin's entries; exit code 1 if any failed."""
    lines = _Lines(stream)
    pending, depth, first, check_at = [], 0, 1, 2
    try:
        for number, line in lines:
            if pending and line.lstrip().startswith(":"):     # a command is never inside an expression
                repl.feed("\n".join(pending), first)
                pending = []
            if not pending:
                first, depth, check_at = number, 0, 2
            pending.append(line)
            depth += _depth(line)
            if depth > 0:
                if len(pending) >= check_at:        # still completable? asked at 2, 4, 8... lines
                    check_at *= 2
                    stop = _dead_end("\n".join(pending))
                    if stop is not None:
                        repl.feed("\n".join(pending[:stop]), first)
                        lines.push_back(first + stop, pending[stop:])
                        pending = []
                continue
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


class _Lines:
    """stdin's lines, numbered, with lines pushed back read again first."""

    def __init__(self, stream):
        self.stream = enumerate(stream, 1)
        self.back: deque = deque()

    def __iter__(self):
        return self

    def __next__(self):
        if self.back:
            return self.back.popleft()
        number, raw = next(self.stream)
        return number, raw.rstrip("\n").rstrip("\r")

    def push_back(self, number: int, lines: list[str]) -> None:
        self.back.extendleft(reversed(list(enumerate(lines, number))))


def _depth(line: str) -> int:
    """Brackets a line opens less those it closes (a comment's do not count)."""
    code = line.split("#", 1)[0]
    return sum(code.count(c) for c in "([") - sum(code.count(c) for c in ")]")


def _dead_end(text: str) -> int | None:
    """The number of lines of text up to the one where it stops being a
    program's beginning (a token no continuation can accept), or None while
    more lines could still complete it."""
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

    from gradcli.lalr import parser
    try:
        parser().parse(text)
    except UnexpectedEOF:
        return None
    except UnexpectedToken as e:
        return None if e.token.type == "$END" else e.line
    except UnexpectedCharacters as e:
        return e.line
    except Exception:       # noqa: BLE001 - anything else is for feed() to report
        return len(text.split("\n"))
    return None
