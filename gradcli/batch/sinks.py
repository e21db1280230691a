"""Where a batch's records go. A sink gets each file's result in input order
and is closed with the tally; this module has the machine-readable ones:
JSONL (on stdout, or the --output file) and the one --json document. The
display and --compare are sinks too (display.py, compare.py)."""
from __future__ import annotations


class Sink:
    terminal = None                     # the progress bar's console, while one runs

    def through(self, console) -> None:
        self.terminal = console

    def file(self, result: dict, text: str | None) -> None:
        raise NotImplementedError

    def close(self, tally) -> None:
        pass

    def abort(self) -> None:
        """The batch was stopped (Ctrl-C): keep what was written, say nothing."""


class JsonlSink(Sink):
    """One JSON object per record, flushed per file so that nothing computed
    is lost if the batch is stopped."""

    def __init__(self, fh, opts, owned: bool = False):
        self.fh, self.opts, self.owned = fh, opts, owned

    def file(self, result, text):
        from gradcli.batch.records import jsonl
        lines = result.get("jsonl") or jsonl(result["records"])     # the worker's, when it encoded them
        if self.terminal is not None and not self.owned and self.fh.isatty():
            self.terminal.out(lines, end="", highlight=False)
        else:
            self.fh.write(lines)
            self.fh.flush()

    def close(self, tally):
        from gradcli.batch.records import summary_line
        if self.owned:
            self.fh.close()
        elif tally.failures:
            self.opts.err.print(summary_line(tally))

    def abort(self):
        if self.owned:
            self.fh.close()


def jsonl_file(path: str) -> JsonlSink:
    """--output FILE: the records written there."""
    from gradcli.errors import InputFileError
    try:
        fh = open(path, "w", encoding="utf-8")
    except OSError as e:
        raise InputFileError(f"--output {path}: cannot write it ({e.strerror or e})") from None
    return JsonlSink(fh, None, owned=True)


class JsonSink(Sink):
    """--json: one document at the end: {"results": [...], "summary": {...}}."""

    def __init__(self, opts, records: bool = True):
        self.opts, self.keep, self.records = opts, records, []

    def file(self, result, text):
        if self.keep:
            self.records.extend(result["records"])

    def close(self, tally):
        from gradcli.batch.records import summary_doc, summary_line
        from gradcli.render import jsonout
        doc = {"results": self.records} if self.keep else {}
        jsonout.dump({**doc, "summary": summary_doc(tally)})
        if tally.failures:
            self.opts.err.print(summary_line(tally))
