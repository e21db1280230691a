"""The errors gradcli raises. Each carries its exit code (SPEC.md section 2),
the span of source it is about (a span knows the Source it points into) and a
hint; the edges turn them into messages, all through `classify`. Nothing here
prints."""
from __future__ import annotations


class Source:
    """A text spans point into, and where it came from (a file, "--at x"; None
    for the command line); equal to another of the same text and origin.
    Plain classes, here and in the other modules every command imports, not
    dataclasses: making one was half a millisecond of every start-up."""
    __slots__ = ("text", "origin", "_lines")

    def __init__(self, text: str, origin: str | None = None):
        self.text, self.origin, self._lines = text, origin, None

    def __eq__(self, other):
        return isinstance(other, Source) and (self.text, self.origin) == (other.text, other.origin)

    def __hash__(self):
        return hash((self.text, self.origin))

    def __repr__(self):
        return f"Source({self.text!r}, {self.origin!r})"

    @property
    def lines(self) -> list[str]:
        """The text's lines, split once (not splitlines(): a form feed is a space to the grammar)."""
        if self._lines is None:
            self._lines = self.text.split("\n")
        return self._lines


class Span:
    """1-based line and column; end_column is one past the last character.
    A span knows the Source it points into (spans are equal by position)."""
    __slots__ = ("line", "column", "end_line", "end_column", "source")

    def __init__(self, line: int, column: int, end_line: int, end_column: int, source: Source | None = None):
        self.line, self.column, self.end_line, self.end_column = line, column, end_line, end_column
        self.source = source

    def _position(self):
        return self.line, self.column, self.end_line, self.end_column

    def __eq__(self, other):
        return isinstance(other, Span) and self._position() == other._position()

    def __hash__(self):
        return hash(self._position())

    def __repr__(self):
        return f"Span{self._position()}"

    def text(self, lines: list[str]) -> str:
        """The source under the span, its lines joined by newlines ("" where there is none)."""
        if not 0 < self.line <= len(lines):
            return ""
        part = lines[self.line - 1:self.end_line]
        part[-1] = part[-1][:self.end_column - 1]
        part[0] = part[0][self.column - 1:]
        return "\n".join(part)

    def excerpt(self) -> str:
        """The source under a one-line span (a grad() call's label, a hint), or '...'."""
        if self.source is None or self.line != self.end_line:
            return "..."
        return self.text(self.source.lines)


class GradcliError(Exception):
    exit_code = 1
    kind = "error"

    def __init__(self, message: str, span: Span | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.source: str | None = None      # the text the span points into
        self.origin: str | None = None      # where that text came from: a file, "--at x"
        self.span = span

    @property
    def span(self) -> Span | None:
        return self._span

    @span.setter
    def span(self, span: Span | None) -> None:
        """A span brings its source along (unless the error knows one already)."""
        self._span = span
        if span is not None and span.source is not None and self.source is None:
            self.source, self.origin = span.source.text, span.source.origin


# exit 2: the program or the command line could not be understood
class UsageError(GradcliError):
    exit_code = 2
    kind = "usage"


class SyntaxError_(UsageError):
    kind = "syntax"


class UnknownNameError(UsageError):
    kind = "unknown_name"


class ArgumentError(UsageError):
    """Wrong number of arguments, unknown keyword, a value that cannot be an axis."""
    kind = "argument"


class DeviceError(UsageError):
    kind = "device"


class InputFileError(UsageError):
    kind = "input_file"


# exit 1: understood, but could not be computed
class ComputeError(GradcliError):
    exit_code = 1
    kind = "compute"


class ShapeError(ComputeError):
    kind = "shape"


class NotScalarError(ComputeError):
    kind = "not_scalar"

    @classmethod
    def needed_by(cls, who: str, shape: tuple, span: Span | None = None) -> NotScalarError:
        """The one wording: "grad needs a scalar, but this result has shape (2,)"."""
        return cls(f"{who} needs a scalar, but this result has shape {shape}", span,
                   hint="reduce it first: sum(...), mean(...), norm(...) or y[0]; "
                        "jacobian(y, x) gives every partial derivative")


class CheckFailed(ComputeError):
    kind = "check_failed"


def classify(e: BaseException) -> GradcliError:
    """Any exception as the error an edge reports (the CLI, the REPL and a
    batch worker alike): gradcli's own as they are; no memory, nesting too
    deep, and anything else (a bug) as one line of kind "internal", exit 1."""
    if isinstance(e, GradcliError):
        return e
    if isinstance(e, MemoryError):
        message = "out of memory: the arrays are too large for this machine"
    elif isinstance(e, RecursionError):
        message = "the program is nested too deeply"
    else:
        message = f"internal error: {type(e).__name__}: {e} (set GRADCLI_DEBUG=1 for the traceback)"
    err = GradcliError(message)
    err.kind = "internal"
    return err
