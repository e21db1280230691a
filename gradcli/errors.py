"""The errors gradcli raises. Each carries its exit code (SPEC.md section 2),
the span of source it is about and a hint; the edges turn them into messages.
Nothing here prints."""
from __future__ import annotations

from typing import NamedTuple


class Span(NamedTuple):
    """1-based line and column; end_column is one past the last character."""
    line: int
    column: int
    end_line: int
    end_column: int


class GradcliError(Exception):
    exit_code = 1
    kind = "error"

    def __init__(self, message: str, span: Span | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.span = span
        self.hint = hint
        self.source: str | None = None      # the text the span points into
        self.origin: str | None = None      # where that text came from: a file, "--at x"

    def locate(self, source: str, origin: str | None = None) -> GradcliError:
        """Attach the source text, unless a deeper frame already did."""
        if self.source is None:
            self.source, self.origin = source, origin
        return self


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


class CheckFailed(ComputeError):
    kind = "check_failed"
