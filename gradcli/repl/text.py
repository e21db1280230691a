"""Where an entry's text sits in the session. Every line read is numbered
in one document; an entry is parsed on its own, then its spans are moved to
the document's numbers, so that a span from any earlier entry (a user
function's body, met again when it is called) still points at its own line.
Also: whether an entry needs another line, and its statements' texts."""
from __future__ import annotations

import re


class Doc:
    """Every line the session has read, numbered from 1."""

    def __init__(self):
        self.lines: list[str] = []
        self.segments: list[tuple[int, str, int]] = []   # (first doc line, origin, its own line number)

    def add(self, text: str, origin: str, first: int) -> int:
        """Append an entry; returns the number of doc lines before it."""
        start = len(self.lines)
        self.segments.append((start + 1, origin, first))
        self.lines.extend(text.split("\n"))
        return start

    def source(self, text: str) -> DocText:
        return DocText(text, self.lines)

    def local(self, line: int) -> tuple[str, int]:
        """(origin, line number there) of a doc line."""
        import bisect
        i = bisect.bisect_right(self.segments, (line, "\uffff")) - 1
        start, origin, first = self.segments[max(i, 0)]
        return origin, first + line - start


class DocText(str):
    """An entry's text whose lines are the whole doc's: the engine and the
    caret formatter find a span's line with splitlines(), and this answers
    without joining the session's text again for every statement."""

    def __new__(cls, text, lines):
        s = super().__new__(cls, text)
        s.doc_lines = lines
        return s

    def splitlines(self, keepends=False):
        return self.doc_lines if not keepends else str(self).splitlines(keepends)   # read, never changed


def incomplete(text: str) -> bool:
    """An open bracket or a trailing operator: the entry goes on next line."""
    from gradcli.syntax import is_incomplete
    code = re.sub(r"#[^\n]*", "", text).rstrip()        # a bracket in a comment opens nothing
    if not code:
        return False
    depth = sum(code.count(c) for c in "([") - sum(code.count(c) for c in ")]")
    if depth <= 0 and (code[-1].isalnum() or code[-1] in "_)]"):
        return False        # only an open bracket or a trailing operator asks for more: skip parsing
    return is_incomplete(code)


def position(text: str, index: int) -> tuple[int, int]:
    """(lines before, column offset) of text[index]."""
    line0 = text.count("\n", 0, index)
    return line0, index - (text.rfind("\n", 0, index) + 1)


def move(span, line0: int, col0: int, source=None):
    """A span of an entry that starts at doc line line0 + 1, column col0 + 1,
    in the doc's source (a DocText)."""
    from gradcli.errors import Source, Span
    return Span(span.line + line0, span.column + (col0 if span.line == 1 else 0),
                span.end_line + line0, span.end_column + (col0 if span.end_line == 1 else 0),
                Source(source) if source is not None else None)


def move_hint(hint: str, line0: int, col0: int) -> str:
    """'the '(' opened at line 1, column 5': the positions a hint names, moved."""
    def moved(m):
        line, col = int(m.group(1)), int(m.group(2))
        return f"line {line + line0}, column {col + (col0 if line == 1 else 0)}"
    return re.sub(r"line (\d+), column (\d+)", moved, hint)


def shift(statements, line0: int, col0: int, source):
    """Move every span of the statements from entry to doc coordinates, in
    the doc's source."""
    from gradcli import ast
    from gradcli.errors import Span
    stack, seen = list(statements), set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for f in node.fields:
            v = getattr(node, f)
            if isinstance(v, Span):
                setattr(node, f, move(v, line0, col0, source))
            elif isinstance(v, ast.Node):
                stack.append(v)
            elif isinstance(v, list):
                stack.extend(x for x in v if isinstance(x, ast.Node))


def statement_texts(text: str) -> list[str]:
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
