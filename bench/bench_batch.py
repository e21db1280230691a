"""Benchmark of `gradcli run` (issue 6), run by hand:

    python bench/bench_batch.py            # the full sizes
    python bench/bench_batch.py --quick    # a tenth of them

1. One file of 10,000 result lines (short expressions over a few inputs):
   results per second, end to end through the console script, beside two
   baselines measured in the same run — the engine alone (parse, execute,
   differentiate, the floating-point flags watched once: the floor any
   batch runner pays) and the batch worker in-process (that, plus building
   the records and encoding them as JSON Lines, as --jsonl has it do).
2. A batch of 1,000 small files with --jobs 1 and --jobs 2, beside the same
   work done in-process with no process at all.

Timings on a shared machine vary; the ratios, measured in one run, are what
to compare between versions."""
from __future__ import annotations

import argparse
import gc
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EXPRESSIONS = ["sum(x*y)", "norm(x - y)", "mean(sin(x) * w)", "sum(x @ A)", "x[0] * y[1]",
               "sum(exp(-x) + y^2)", "logsumexp(x + w)", "dot(x, y) / (1 + sum(w))", "sum(tanh(A @ x))",
               "max(x * y)"]
INPUTS = ["x = [0.5, -1.0, 2.0]", "y = [1.5, 0.25, -0.75]", "w = [0.1, 0.2, 0.3]",
          "A = [[1, 2, 3], [0, 1, 0], [2, 0, 1]]"]


def big_file(folder: Path, lines: int) -> Path:
    path = folder / "big.grad"
    body = [EXPRESSIONS[i % len(EXPRESSIONS)] for i in range(lines)]
    path.write_text("\n".join(INPUTS + body) + "\n")
    return path


def many_files(folder: Path, count: int) -> Path:
    top = folder / "many"
    top.mkdir()
    for i in range(count):
        (top / f"f{i:04d}.grad").write_text(f"x = [{i}, 1.0]\nw = [0.5, -2.0]\nsum(x*w)\nnorm(x)\n")
    return top


def timed(fn, repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def cli(*args: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "gradcli", "run", *args], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    if proc.returncode not in (0, 1):
        sys.exit(f"gradcli run {' '.join(args)} failed: {proc.stderr}")


def engine_only(text: str) -> None:
    """Parse, execute, differentiate: no records, no output."""
    from gradcli import api
    from gradcli.parse import parse
    session = api.setup(None)
    with session.evaluating():
        for stmt in parse(text, lazy=True).statements:      # as the worker reads a file
            y = session.execute(stmt)
            if y is not None and y.size == 1:
                api.differentiate(y, session)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="a tenth of the sizes")
    ap.add_argument("--repeat", type=int, default=2, help="best of N for each timing")
    args = ap.parse_args()
    lines, files = (1_000, 100) if args.quick else (10_000, 1_000)

    from gradcli.batch.worker import evaluate_chunk, warm
    jsonl = {"jsonl": True}              # the workers encode the records, as with --jsonl
    gc.disable()                         # as the console script runs
    warm()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        big = big_file(tmp, lines)
        text = big.read_text()
        tiny = tmp / "tiny.grad"
        tiny.write_text("1\n")
        many = many_files(tmp, files)
        sources = [(str(p), p.read_text()) for p in sorted(many.iterdir())]

        print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
        print(f"\n1. one file of {lines:,} result lines")
        t_engine = timed(lambda: engine_only(text), args.repeat)
        t_worker = timed(lambda: evaluate_chunk([("big", text)], jsonl), args.repeat)
        t_start = timed(lambda: cli(str(tiny), "--jsonl"), args.repeat)
        t_cli = timed(lambda: cli(str(big), "--jsonl"), args.repeat)
        t_show = timed(lambda: cli(str(big), "--no-color"), 1)
        rows = [("engine alone (baseline)", t_engine), ("batch worker, in-process", t_worker),
                ("gradcli run --jsonl", t_cli), ("gradcli run (rich display)", t_show)]
        for name, t in rows:
            print(f"   {name:<30} {t:7.2f} s  {lines / t:8,.0f} results/s  {t / t_engine:5.2f}x baseline")
        print(f"   {'(process start, 1-line file)':<30} {t_start:7.2f} s")

        print(f"\n2. {files:,} files of 2 results each")
        t_inproc = timed(lambda: evaluate_chunk(sources, jsonl), args.repeat)
        t_j1 = timed(lambda: cli(str(many), "--jsonl", "--jobs", "1"), args.repeat)
        t_j2 = timed(lambda: cli(str(many), "--jsonl", "--jobs", "2"), args.repeat)
        for name, t in [("in-process, no CLI (baseline)", t_inproc), ("gradcli run --jobs 1", t_j1),
                        ("gradcli run --jobs 2", t_j2)]:
            print(f"   {name:<30} {t:7.2f} s  {files / t:8,.0f} files/s  {t / t_inproc:5.2f}x baseline")
        print(f"   --jobs 2 / --jobs 1: {t_j2 / t_j1:.2f} of the time")


if __name__ == "__main__":
    main()
