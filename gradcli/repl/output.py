"""What a Repl prints: results, errors drawn at the line the reader knows
(<stdin>:12, or file:3), floating-point warnings, confirmations, and the
JSON documents of --json."""
from __future__ import annotations

import copy

from gradcli.repl import text as doctext


class Output:
    """The messages of one Repl, on its consoles (opts.out, opts.err)."""

    def __init__(self, repl):
        self.repl = repl

    def value(self, y, text: str):
        """A result's value (or its JSON document)."""
        from rich.text import Text

        from gradcli.render import format as fmt
        value = y.bk.to_host(y.data)
        if self.repl.opts.json:
            from gradcli.render import jsonout
            self.dump_json(jsonout.result_document(text, value, y.shape, y.bk.dtype_name, None))
        else:
            self.repl.out.print(Text(fmt.array(value, self.repl.opts.precision, oneline=False)))

    def report(self, e):
        """An error, drawn where it happened (and its JSON document)."""
        from gradcli.render import diagnostics
        shown = self.localize(e)
        self.repl.err.print(diagnostics.render(shown, width=self.repl.err.width))
        if self.repl.opts.json:
            from gradcli.render import jsonout
            self.dump_json(jsonout.error_document(shown))

    def dump_json(self, doc):
        from gradcli.render import jsonout
        jsonout.dump(doc, file=self.repl.out.file)

    def localize(self, e):
        """The error as its reader knows the place: <stdin>:12, or file:3."""
        if e.span is None or not isinstance(e.source, doctext.DocText):
            return e
        from gradcli.errors import Source, Span
        span = e.span
        origin, line = self.repl.doc.local(span.line)
        shown = copy.copy(e)
        text = self.repl.doc.lines[span.line - 1] if 0 < span.line <= len(self.repl.doc.lines) else ""
        local = Source("\n" * (line - 1) + text, origin)
        shown.source, shown.origin = local.text, local.origin
        shown.span = Span(line, span.column, line + span.end_line - span.line, span.end_column, local)
        return shown

    def flush_warnings(self):
        from gradcli.errors import GradcliError
        from gradcli.render import diagnostics
        events = self.repl.session.ctx.events
        shown = [event._replace(span=self.localize(GradcliError("", event.span)).span) for event in events]
        for message in diagnostics.warnings(shown):
            self.repl.err.print(message)
        events.clear()

    def info(self, message: str):
        """A confirmation (saved, loaded...): on stderr, so piped stdout keeps only results."""
        self.repl.err.print(message, style="dim", markup=False)
