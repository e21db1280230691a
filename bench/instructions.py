"""Instructions per statement of the deep chain, counted by valgrind, run by hand:

    python bench/instructions.py [--statements N] [--base PATH]

On a shared machine a run's speed moves by a third from one minute to the
next, so bench/run.py cannot tell a 2% change from noise. The number of
machine instructions a run executes can: this runs `gradcli grad - --wrt x0
--json` on the chain x{i} = sin(x{i-1})*1.0001 (bench/run.py's deep row)
under callgrind, at 1 and at N statements, and prints the difference per
statement: start-up cancels out, and what is left is each statement's parse,
forward and backward. String hashing is pinned (PYTHONHASHSEED=0) and BLAS
runs one thread, so that a count is the same from run to run. With
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


def counted(program: Path, path: str) -> int:
    """Instructions of one whole `gradcli grad` process on program, gradcli imported from path."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    # One BLAS thread: OpenBLAS's idle threads spin, a count that moved by 2% from run to run.
    env.update(PYTHONHASHSEED="0", PYTHONPATH=path, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    argv = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
            sys.executable, "-m", "gradcli", "grad", "-", "--wrt", "x0", "--json"]
    with open(program) as inp:
        proc = subprocess.run(argv, stdin=inp, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              env=env, cwd=tempfile.gettempdir())       # (-m would look in the cwd first)
    found = re.search(r"Collected : (\d+)", proc.stderr)
    if proc.returncode != 0 or not found:
        sys.exit(f"valgrind run failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return int(found[1])


def per_statement(n: int, folder: Path, path: str) -> float:
    counted(folder / "1.grad", path)                # its bytecode written, as after an install
    return (counted(folder / "n.grad", path) - counted(folder / "1.grad", path)) / (n - 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--statements", type=int, default=10_000)
    ap.add_argument("--base", help="a checkout of the revision to compare with")
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed")
    folder = Path(tempfile.mkdtemp())
    try:
        (folder / "1.grad").write_text(chain(1))
        (folder / "n.grad").write_text(chain(args.statements))
        here = per_statement(args.statements, folder, HERE)
        print(f"this checkout: {here:,.0f} instructions per statement ({args.statements:,} statements)")
        if args.base:
            base = per_statement(args.statements, folder, args.base)
            print(f"{args.base}: {base:,.0f}; this checkout is {here / base:.3f}x")
    finally:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
