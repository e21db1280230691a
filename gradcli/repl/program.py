"""The session as a program: the log of entries that changed it, and the
program written from them (what :save writes, :set replays on another
backend and :check reruns), with inputs as literals of their values."""
from __future__ import annotations

from dataclasses import dataclass

RANDOM = ("rand", "randn")
ANS = ("ans", "_")          # the names of the last result


@dataclass
class Entry:
    """One statement that changed the session, kept for :save."""
    kind: str                 # input | binding | function | result
    name: str | None
    text: str                 # its source (an input is saved as its value instead)
    reads: frozenset          # names it reads, through the user functions it calls
    value: object = None      # an input's tensor
    random: bool = False      # calls rand()/randn(): replaying it draws other numbers


def write(log: list[Entry], last: tuple[Entry, int] | None, env: dict, dtype: str) -> tuple[str, list[Entry]]:
    """The bindings still needed for the current state (env), in order: inputs
    as literals of their values (so random ones survive), functions and
    intermediates as their source; then the last result (with len(log) when it
    was computed), when it still means what it meant, else the binding of ans
    that holds it. ans and _ are written only where something reads them.
    Also the input entries written, in order."""
    tail = None
    if last is not None:
        entry, at = last
        if not any(e.name in entry.reads for e in log[at:]):
            tail = entry
    live = (set(env) - set(ANS)) | (tail.reads if tail else {ANS[0]} & set(env))
    keep = []
    for e in reversed(log):
        if e.name in live:
            keep.append(e)
            live.discard(e.name)
            live |= e.reads
    keep.reverse()
    lines = [f"# a gradcli session ({dtype}): :load it in gradcli repl, or gradcli run it"
             + (" --dtype float32" if dtype == "float32" else "")]
    for e in keep:
        if e.kind == "input":
            lines.append(f"{e.name} = {literal(e.value.numpy(), len(e.name) + 3)}")
            continue
        if e.random:
            lines.append(f"# {e.name} draws random numbers: they differ when this is run again")
        lines.append(e.text)
    if tail is not None:
        lines.append(tail.text)
    return "\n".join(lines) + "\n", [e for e in keep if e.kind == "input"]


def literal(a, indent: int = 0) -> str:
    """An array as the language's literal, exactly (repr keeps every digit)."""
    import math

    import numpy
    a = numpy.asarray(a, dtype=float)
    if a.size == 0:
        return f"zeros({', '.join(map(str, a.shape))})"

    def number(v):
        v = float(v)
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v)

    def nested(x, depth):
        if x.ndim == 0:
            return number(x)
        if x.ndim == 1:
            return "[" + ", ".join(number(v) for v in x) + "]"
        sep = ",\n" + " " * (indent + depth + 1)
        return "[" + sep.join(nested(row, depth + 1) for row in x) + "]"
    return nested(a, 0)


# ---- what a statement reads
def free_names(fn) -> frozenset:
    """A user function's names that are not its parameters."""
    from gradcli import ast
    return frozenset(n for n in ast.names(fn.body) if n not in fn.params)


def calls(node, funcs) -> bool:
    from gradcli import ast
    return any(isinstance(n, ast.Call) and n.func in funcs for n in ast.walk(node))
