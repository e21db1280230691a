"""Errors and warnings as one message: what, where (file:line:col), the
source line with a caret under the spot, and a hint. Every mode uses this."""
from __future__ import annotations

from rich.text import Text

from gradcli.errors import GradcliError, Span
from gradcli.render.format import visible

_WINDOW = 70      # characters of a long source line shown around the spot
HINT = " = hint: "


def caret_lines(source: str, span: Span) -> list[tuple[str, str]]:
    """(gutter, text) pairs: the source line and the caret line under it."""
    lines = source.split("\n")         # not splitlines(): a form feed is a space to the grammar
    if not 0 < span.line <= len(lines):
        return []
    raw = lines[span.line - 1].rstrip("\r").expandtabs(1)
    start = len(visible(raw[:max(span.column - 1, 0)]))       # columns as the line is shown
    end = len(visible(raw[:span.end_column - 1])) if span.end_line == span.line else len(visible(raw))
    line = visible(raw)
    end = max(min(end, len(line)), start + 1)
    offset = 0
    if len(line) > _WINDOW:
        offset = max(0, min(start - _WINDOW // 3, len(line) - _WINDOW))
        shown = line[offset:offset + _WINDOW]
        line = ("…" if offset else "") + shown + ("…" if offset + _WINDOW < len(line) else "")
        offset -= 1 if offset else 0
    width = min(end - start, _WINDOW)
    return [(str(span.line), line), ("", " " * (start - offset) + "^" * width)]


def render(err: GradcliError, level: str = "error", width: int | None = None) -> Text:
    """The message; with width (the console's), a long hint is wrapped at
    spaces and its lines are indented under its first word."""
    out = Text()
    out.append(f"{level}: ", style="bold red" if level == "error" else "bold yellow")
    out.append(visible(err.message), style="bold")
    if err.span is not None and err.source is not None:
        origin = visible(err.origin or "program")
        out.append(f"\n --> {origin}:{err.span.line}:{err.span.column}", style="blue")
        rows = caret_lines(err.source, err.span)
        gutter_width = max((len(g) for g, _ in rows), default=1)
        for gutter, text in rows:
            out.append(f"\n {gutter:>{gutter_width}} | ", style="blue")
            out.append(text, style="bold red" if not gutter else "")
    if err.hint:
        out.append("\n = hint: ", style="cyan")
        hint = visible(err.hint)
        if width is not None and len(hint) + len(HINT) > width:
            import textwrap
            hint = textwrap.fill(hint, max(width - 1, 2 * len(HINT)), initial_indent=HINT,
                                 subsequent_indent=" " * len(HINT), break_on_hyphens=False)[len(HINT):]
        out.append(hint)
    return out


def plain(err: GradcliError, level: str = "error") -> str:
    return render(err, level).plain


def warnings(events) -> list[Text]:
    """One message per distinct floating-point event (autograd.context.Event),
    drawn where its span points."""
    return [render(GradcliError(event.message, event.span), "warning") for event in dict.fromkeys(events)]

