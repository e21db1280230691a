"""Random inputs for gradcli's three doors, shared by tests/test_fuzz.py
(bounded, in the suite) and bench/fuzz.py (a long run, by hand): what each
door is given, and what it may answer. Any answer but a result or a
gradcli message (an internal error, a traceback, an exit code outside 0, 1,
2) is a finding."""
from __future__ import annotations

import random

from tests.test_robustness import TOKENS

OPTIONS = {
    "--at": lambda r: f"{r.choice(['x', 'y', 'w', 'X', '1x', '', 'x x'])}={program(r, 4)}",
    "--dtype": lambda r: r.choice(["float64", "float32", "float16", "", "int"]),
    "--seed": lambda r: r.choice(["0", "7", "-1", "1e3", "x", str(2**70)]),
    "--precision": lambda r: r.choice(["1", "4", "17", "0", "99", "-3", "four"]),
    "--wrt": lambda r: r.choice(["x", "y", "z", "x@1", "", "1"]),
    "--device": lambda r: r.choice(["cpu", "gpu", ""]),
}
COMMANDS = ["eval", "grad", "check", "graph", "explain", "functions", "plot"]


def program(r: random.Random, most: int = 12) -> str:
    """A program: grammar-shaped (the language's tokens), or raw bytes as text."""
    if r.random() < 0.2:
        return bytes(r.randrange(256) for _ in range(r.randrange(1, 20))).decode("latin-1")
    return " ".join(r.choice(TOKENS) for _ in range(r.randrange(1, most)))


def command_line(r: random.Random) -> list[str]:
    """A command, a program, and a few random options."""
    args = [r.choice(COMMANDS), program(r)]
    for _ in range(r.randrange(0, 4)):
        option = r.choice(list(OPTIONS))
        args += [option, OPTIONS[option](r)]
    if r.random() < 0.1:
        args.append("--json")
    return args


def repl_lines(r: random.Random) -> str:
    """Lines for the piped REPL: programs, :commands, brackets left open."""
    lines = []
    for _ in range(r.randrange(1, 6)):
        kind = r.random()
        if kind < 0.15:
            lines.append(r.choice([":grad ", ":tree ", ":check ", ":vars", ":save /nonexistent/x", ":set precision ",
                                   ":load /dev/null", ":help ", ":reset", "help", "ans", "_"]) + program(r, 5))
        else:
            lines.append(program(r, 8))
    return "\n".join(lines) + "\n"


def bad_answer(code: int, text: str) -> str | None:
    """What is wrong with an answer, or None."""
    if code not in (0, 1, 2):
        return f"exit code {code}"
    for sign in ("Traceback", "internal error"):
        if sign in text:
            return sign
    return None
