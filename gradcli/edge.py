"""What every edge shares (the command line, the REPL, batch): the Options
(gradcli/options.py makes them from the command line), the two consoles,
the one boundary that turns any failure into a message and an exit code,
and how a command's process ends (leave).
Heavy imports (numpy, lark, rich) wait until they are needed."""
from __future__ import annotations

import errno
import os
import sys

import click


class Options:
    """The options every command shares, and its two consoles (made on first use)."""

    def __init__(self, dtype: str = "float64", device: str = "cpu", seed: int = 0, precision: int = 4,
                 json: bool = False, no_color: bool = False, _out=None, _err=None):
        self.dtype, self.device, self.seed, self.precision = dtype, device, seed, precision
        self.json, self.no_color, self._out, self._err = json, no_color, _out, _err

    def __repr__(self):
        return (f"Options(dtype={self.dtype!r}, device={self.device!r}, seed={self.seed!r}, "
                f"precision={self.precision!r}, json={self.json!r}, no_color={self.no_color!r})")

    @property
    def out(self):
        """The rich console on stdout (no escape codes when not a terminal)."""
        if self._out is None:
            self._out = _console(self, sys.stdout)
        return self._out

    @property
    def err(self):
        if self._err is None:
            self._err = _console(self, sys.stderr)
        return self._err


class _TrimmedLines:
    """A text stream that drops the spaces rich pads table cells with at the
    ends of lines (they show up in copies, diffs and golden files)."""
    _TRAILING = None

    def __init__(self, file):
        self.file = file

    def write(self, text: str) -> int:
        if _TrimmedLines._TRAILING is None:
            import re
            _TrimmedLines._TRAILING = re.compile(r" +((?:\x1b\[[0-9;]*m)*)(?=\n)")
        return self.file.write(_TrimmedLines._TRAILING.sub(r"\1", text))

    def __getattr__(self, name):
        return getattr(self.file, name)


def _console(opts: Options, file):
    from rich.console import Console
    no_color = opts.no_color or bool(os.environ.get("NO_COLOR"))
    # Messages on stderr are not hard-wrapped (a wrapped caret line would point
    # at the wrong column); the terminal wraps them if it must.
    # markup=False: values such as "[nan, 0]" must print as they are.
    console = Console(file=_TrimmedLines(file), no_color=no_color, highlight=False, markup=False,
                      soft_wrap=file is sys.stderr, emoji=False, color_system=None if no_color else "auto")
    console.on_broken_pipe = _raise_broken_pipe     # rich would exit 1; the boundary exits 0
    return console


def _raise_broken_pipe():
    raise BrokenPipeError


# ---- the boundary
def boundary(opts: Options, work):
    """Run work(); map every failure to one message and its exit code."""
    from gradcli.errors import GradcliError, classify
    try:
        work()
    except KeyboardInterrupt:
        if opts.json:                # a script reading stdout still gets one JSON document
            interrupted = GradcliError("interrupted")
            interrupted.kind = "interrupted"
            report_error(opts, interrupted)
        else:
            opts.err.print("interrupted", style="yellow")
        sys.exit(130)
    except BrokenPipeError:
        silence_broken_pipe()
    except Exception as e:          # noqa: BLE001 - one line, never a traceback
        if os.environ.get("GRADCLI_DEBUG") and not isinstance(e, GradcliError):
            raise
        if isinstance(e, OSError) and e.errno in _OUTPUT_ERRNOS:
            # /dev/full, or a failing stdout: say so on stderr, and write nothing more there
            opts.json = False
            err = GradcliError(f"cannot write the output: {e.strerror or e}")
            _detach_stdout()
        else:
            err = classify(e)
        report_error(opts, err)
        sys.exit(err.exit_code)


def report_error(opts: Options, e) -> None:
    from gradcli.render import diagnostics
    opts.err.print(diagnostics.render(e, width=opts.err.width))
    if opts.json:
        from gradcli.render import jsonout
        try:
            jsonout.dump(jsonout.error_document(e))
        except OSError:             # stdout itself is what failed
            _detach_stdout()


# What writing the output (to /dev/full, a full disk, a closed terminal) fails with.
_OUTPUT_ERRNOS = {errno.ENOSPC, errno.EFBIG, errno.EIO, errno.EBADF}


def _detach_stdout() -> None:
    """Point stdout at /dev/null, so that Python's flush at exit cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def silence_broken_pipe():
    # `gradcli ... | head`: stop quietly, and keep Python from complaining at exit.
    _detach_stdout()
    sys.exit(0)


def leave(code) -> None:
    """End the process now with exit code `code` (sys.exit's), once stdout and
    stderr are flushed and the atexit handlers have run. What Python's own
    exit does after that is free the ~350 modules a command imports, object
    by object, after a last full collection: 25-60 ms of a 200 ms command,
    which the OS does at once (Instagram's servers skip it the same way).
    Returns, for the usual exit, where that is not safe: a thread still
    running (that exit waits for it), a code that is a message, a stream that
    cannot flush (that exit reports it)."""
    import threading
    if not (code is None or isinstance(code, int)) or not _flushed() or any(
            not t.daemon for t in threading.enumerate() if t is not threading.main_thread()):
        return
    import atexit
    atexit._run_exitfuncs()         # noqa: SLF001 - what the usual exit would run
    os._exit((code or 0) if _flushed() else 120)        # 120: the usual exit's status when it cannot flush


def _flushed() -> bool:
    """Whether stdout and stderr could be flushed (not a full disk, a closed pipe)."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return False
    return True


def unbalanced(text: str) -> bool:
    """Whether brackets open and close in different numbers (a value the shell split)."""
    return sum(map(text.count, "([")) != sum(map(text.count, ")]"))


def encodable_streams() -> None:
    """A terminal or PYTHONIOENCODING that cannot encode ∂ or the tree's lines
    gets '?' for them, never an error (the numbers are ASCII)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            "∂└─│".encode(stream.encoding or "ascii")
        except (UnicodeEncodeError, LookupError):
            if hasattr(stream, "reconfigure"):
                stream.reconfigure(errors="replace")


def _unglobbed(words: str) -> str:
    """The program as typed: a run of words that are files here was a * the shell expanded."""
    out = []
    for word in words.split(" "):
        if os.path.exists(word) and word not in ("", "."):
            if out[-1:] != ["*"]:
                out.append("*")
        else:
            out.append(word)
    return " ".join(out)


def report_usage(e: click.UsageError, hint: str | None = None):
    """click's usage error in gradcli's format (and its JSON document with --json); exit 2."""
    from gradcli.errors import UsageError
    if hint is None and "unexpected extra argument" in e.format_message():
        import re
        extra = re.search(r"\((.*)\)\s*$", e.format_message())
        extra = f" {extra.group(1)}" if extra else " ..."
        params = e.ctx.params if e.ctx else {}
        split = [a for a in params.get("at") or () if unbalanced(a)]
        program = params.get("program")
        command = f"gradcli {e.ctx.info_name if e.ctx else 'grad'}"
        hint = (f'the shell split --at {split[0]} at a space: quote it, --at "{split[0]}{extra}"' if split else
                "the shell split the program into words (or expanded * into file names): quote it, "
                + (f'{command} "{_unglobbed(program + extra)}"' if program
                   else f'e.g. {command} "x = ones(2); sum(x * 2)"'))
    err = UsageError(e.format_message(), hint=hint)
    argv = e.ctx.params if e.ctx is not None else {}
    opts = Options(json=bool(argv.get("json_")) or "--json" in sys.argv[1:], no_color="--no-color" in sys.argv[1:])
    report_error(opts, err)
    if e.ctx is not None and not opts.json:
        opts.err.print(f"Try '{e.ctx.command_path} --help' for help.", style="dim")
    sys.exit(2)
