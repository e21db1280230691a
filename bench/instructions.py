"""Instructions per statement of the deep chain, counted by valgrind, run by hand:

    python bench/instructions.py [--statements N] [--base PATH] [--per-op]

On a shared machine a run's speed moves by a third from one minute to the
next, so bench/run.py cannot tell a 2% change from noise. The number of
machine instructions a run executes can: this runs `gradcli grad - --wrt x0
--json` on the chain x{i} = sin(x{i-1})*1.0001 (bench/run.py's deep row)
under callgrind, at 1 and at N statements, and prints the difference per
statement: start-up cancels out, and what is left is each statement's parse,
forward and backward. String hashing is pinned (PYTHONHASHSEED=0) and BLAS
runs one thread, so that a count is the same from run to run. With
--per-op, the perop row instead (one op a statement, through gradcli.grad). With
--base, the same for the gradcli found at PATH (a `git worktree add PATH REV`
of the revision to compare with), measured in the same run.

Needs valgrind. Slow: about 50 times the run, some minutes for 10,000 statements."""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def chain(n: int) -> str:
    return "\n".join(["x0 = 0.5"] + [f"x{i} = sin(x{i - 1})*1.0001" for i in range(1, n + 1)] + [f"x{n}"]) + "\n"


HERE = str(Path(__file__).resolve().parent.parent)      # this checkout


# bench/run.py's perop row through the API: after a call that compiles its shapes, the chain of
# n ops is written, then run or not (argv[2]); the teardown skipped (what it frees depends on n).
PEROP = """import os, sys, numpy as np, gradcli
def text(n):
    return "\\n".join([f"x{i} = sin(x{i - 1})" if i % 2 else f"x{i} = x{i - 1}*1.0001"
                      for i in range(1, n + 1)] + [f"sum(x{n})"])
v = np.linspace(-0.5, 1.0, 10)
gradcli.grad(text(200), x0=v, wrt=["x0"])
chain = text(int(sys.argv[1]))
if sys.argv[2] == "run":
    gradcli.grad(chain, x0=v, wrt=["x0"])
os._exit(0)"""


def counted(argv: list[str], path: str, stdin: Path | None = None) -> int:
    """Instructions of one whole Python process (argv after the interpreter), gradcli imported from path."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    # One BLAS thread: OpenBLAS's idle threads spin, a count that moved by 2% from run to run.
    env.update(PYTHONHASHSEED="0", PYTHONPATH=path, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    with open(stdin or os.devnull) as inp:
        proc = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
                               *argv], stdin=inp, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              env=env, cwd=tempfile.gettempdir())       # (-m would look in the cwd first)
    found = re.search(r"Collected : (\d+)", proc.stderr)
    if proc.returncode != 0 or not found:
        sys.exit(f"valgrind run failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return int(found[1])


def per_statement(n: int, folder: Path, path: str, per_op: bool) -> float:
    """The difference between n statements and one (n ops and none), per statement (op)."""
    if per_op:                      # n ops run, less the same process that runs none
        run = lambda k: counted(["-c", PEROP, str(n), "run" if k else "none"], path)    # noqa: E731
        small = 0
    else:
        grad = ["-m", "gradcli", "grad", "-", "--wrt", "x0", "--json"]
        run = lambda k: counted(grad, path, folder / ("1.grad" if k == 1 else "n.grad"))    # noqa: E731
        small = 1
    run(small)                                      # its bytecode written, as after an install
    return (run(n) - run(small)) / (n - small)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--statements", type=int, default=10_000)
    ap.add_argument("--base", help="a checkout of the revision to compare with")
    ap.add_argument("--per-op", action="store_true",
                    help="bench/run.py's perop row instead: per op of a chain through gradcli.grad, parse included")
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed")
    folder = Path(tempfile.mkdtemp())
    try:
        (folder / "1.grad").write_text(chain(1))
        (folder / "n.grad").write_text(chain(args.statements))
        unit = "op" if args.per_op else "statement"
        here = per_statement(args.statements, folder, HERE, args.per_op)
        print(f"this checkout: {here:,.0f} instructions per {unit} ({args.statements:,} {unit}s)")
        if args.base:
            base = per_statement(args.statements, folder, args.base, args.per_op)
            print(f"{args.base}: {base:,.0f}; this checkout is {here / base:.3f}x")
    finally:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
