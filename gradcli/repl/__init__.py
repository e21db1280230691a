"""`gradcli repl`: an interactive session whose bindings persist across lines.

One interpreter, fed two ways:
  core.py       Repl: runs one entry (statements or a :command) and prints it
  commands.py   the :command table; :vars :help :reset :load :save :set
  gradients.py  :grad :tree :check (the check is gradcli check's own)
  program.py    the log of entries, and the session written as a program
  text.py       the session's numbered lines; spans moved into them
  terminal.py   prompt_toolkit: history, completion, highlighting, keys
  piped.py      stdin line by line, for scripts and tests
Like cli.py, this is an edge: it prints, the core below it does not. Heavy
imports (prompt_toolkit, numpy, rich) wait inside the functions that use
them, so importing the package (`gradcli repl --help`) stays fast."""
from __future__ import annotations

import sys

import click

from gradcli.collector import collecting
from gradcli.edge import boundary
from gradcli.options import common_options, options_from
from gradcli.repl.core import Quit, Repl
from gradcli.repl.piped import piped
from gradcli.repl.terminal import history_file, interactive

__all__ = ["Quit", "Repl", "command", "history_file", "interactive", "piped"]


@click.command("repl", epilog="\b\nExamples:\n  gradcli repl\n"
               "  printf 'x = ones(2)\\nnorm(4*x*x)\\n:grad norm(4*x*x)\\n' | gradcli repl")
@common_options
def command(**kw):
    """Interactive session: statements, :grad EXPR, :tree, :vars, :help...

    On a terminal: history (in $XDG_DATA_HOME/gradcli/history, or
    $GRADCLI_HISTORY), Tab completion, highlighting. From a pipe: one
    statement per line, exit code 1 if any line failed."""
    opts = options_from(kw)

    def work():
        terminal = sys.stdin.isatty() and sys.stdout.isatty()
        if not terminal and hasattr(sys.stdin, "reconfigure"):
            sys.stdin.reconfigure(errors="replace")     # bytes that are not UTF-8: an error on that line only
        repl = Repl(opts, origin="input" if terminal else "<stdin>")
        with collecting(True):              # a session lives long
            code = interactive(repl, history_file()) if terminal else piped(repl, sys.stdin)
        sys.stdout.flush()
        sys.exit(code)
    boundary(opts, work)
