"""Parsing long programs (issue 17), run by hand:

    python bench/bench_parse.py [N]      (default N = 20000 statements a program)

µs a statement for gradcli.parse.parse (the fast path, gradcli/fastparse.py)
and for the general path (Lark and the AST builder) on the same program, in
the same run, with the cycle collector off as the command line runs: the
best of 7 rounds (of this process's time), the paths alternating. "cold" is the first parse after
the shape caches are emptied, "warm" a later one. The fast path's target:
well under 8 µs a statement of `x{i} = sin(x{i-1})*1.0001` (100,000 of them
through parse, evaluate and backward in about 1.5 s), 4-6 µs hoped for. The
results of both paths are checked to be the same AST first."""
from __future__ import annotations

import gc
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gradcli import fastparse  # noqa: E402
from gradcli import parse as parsing  # noqa: E402
from gradcli.errors import Source  # noqa: E402
from tests.test_parse_templates import tree  # noqa: E402


def one_op(n: int) -> str:
    return "\n".join(["x0 = 0.5"] + [f"x{i} = sin(x{i - 1})" if i % 2 else f"x{i} = x{i - 1}*1.0001"
                                     for i in range(1, n)])


def chain(n: int) -> str:
    return "\n".join(["x0 = 0.5"] + [f"x{i} = sin(x{i - 1})*1.0001" for i in range(1, n)])


def mixed(n: int) -> str:
    """Blocks of a model a person might write: comments, blank lines, a
    function, lists, calls with keywords, indexing, powers, comparisons."""
    block = ["# layer {i}: weights, activation, loss", "W{i} = [[0.{i}, -0.2], [0.3, {i}.5e-1]]  # 2 x 2",
             "b{i} = zeros(2)", "f{i}(a, c) = a*c + sin(a)^2 - c/{i}", "",
             "h{i} = tanh(h{j} @ W{i} + b{i})", "r{i} = f{i}(h{i}, 2)[0, 1:]",
             "loss{i} = mean((h{i} - y)^2) + 0.01*sum(W{i}^2, axis=0)[0]", "ok{i} = loss{i} < 1e-3", "loss{i}"]
    lines = ["y = [1, -1]", "h0 = [0.5, 0.25]"]
    i = 0
    while len(lines) < n:
        i += 1
        lines += [s.format(i=i, j=i - 1) for s in block]
    return "\n".join(lines[:n])


def distinct(n: int) -> str:
    """Every line a shape of its own (the fast path leaves it to the general one)."""
    return "\n".join(f"y{i} = x" + " + x" * (i % 50) + "*2" * (i // 50) for i in range(n))


def statements(source: str) -> int:
    return sum(1 for line in source.split("\n") if line.split("#")[0].strip())


def fast(source):
    return parsing.parse(source)


def general(source):
    return parsing._general(source, Source(source))


def timed(fn, source: str, cold: bool) -> float:
    if cold:
        fastparse._BUILDERS.clear()
        parsing._SHAPES.clear()
    gc.collect()                                    # what earlier rounds left, not timed
    t = time.process_time()                         # this process's time: not what else the machine runs
    program = fn(source)
    elapsed = time.process_time() - t
    del program                                     # freeing it is not parsing it
    return elapsed


def row(name: str, source: str, cold: bool) -> None:
    """µs a statement, the best of 7 rounds (the machine may be busy with
    other work: the best is the parser's own cost), the paths alternating."""
    count = statements(source)
    rounds = {fast: [], general: []}
    for _ in range(7):
        for fn in rounds:
            rounds[fn].append(timed(fn, source, cold) / count * 1e6)
    f, g = min(rounds[fast]), min(rounds[general])
    print(f"{name:<34}{'cold' if cold else 'warm':>6}{f:9.2f}{g:9.2f}{g / f:7.1f}x")


def main(n: int) -> None:
    gc.disable()
    fast("x = 1")                                   # lark and the grammar: loaded
    print(f"µs a statement, the best of 7; {n:,}-line programs; collector off")
    print(f"{'program':<40}{'parse':>9}{'general':>9}{'ratio':>8}")
    for name, source in [("one op a line", one_op(n)), ("x{i} = sin(x{i-1})*1.0001", chain(n)),
                         ("mixed (a model's blocks)", mixed(n))]:
        assert fastparse.statements(source, Source(source), parsing._alone) is not None, name
        assert tree(fast(source)) == tree(general(source)), name
        for cold in (True, False):
            row(name, source, cold)
    # Programs that parse() leaves to the general path pay for trying: every
    # line a new shape (split, then left), and a chain whose last line does
    # not qualify (every shape made, then left).
    row("every line a new shape", distinct(min(n, 2500)), True)
    row("chain, then x.sum() (left)", chain(n) + f"\nx{n - 1}.sum()", False)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)
