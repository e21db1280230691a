"""The long fuzz of issue 18, run by hand (the suite runs a bounded one):

    python bench/fuzz.py [N] [SEED]        (defaults 100000 and 0)

N random inputs through gradcli's three doors (tests/fuzz.py): command lines
through click's runner, piped REPL sessions, and programs through the API,
in the ratio 4:1:5. Prints how many of each ran and every finding (an
internal error, a traceback, an exit code outside 0, 1, 2) with its input."""
from __future__ import annotations

import os
import random
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(n: int, seed: int) -> None:
    from click.testing import CliRunner

    import gradcli
    from gradcli.cli import main as cli
    from gradcli.errors import GradcliError
    from tests import fuzz
    os.environ["NO_COLOR"] = "1"
    runner, r = CliRunner(), random.Random(seed)
    counts, findings, start = {"cli": 0, "repl": 0, "api": 0}, [], time.perf_counter()
    for i in range(n):
        door = r.choices(["cli", "repl", "api"], weights=[4, 1, 5])[0]
        counts[door] += 1
        if door == "api":
            source = fuzz.program(r)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("error")
                    gradcli.grad(source, x=[0.5, -1.5, 2.0], y=[[1.0, 2.0, 3.0], [0.1, 0.2, 0.3]])
            except GradcliError:
                pass
            except Exception as e:          # noqa: BLE001 - a finding
                findings.append((door, source, f"{type(e).__name__}: {e}"))
            continue
        args = ["repl"] if door == "repl" else fuzz.command_line(r)
        lines = fuzz.repl_lines(r) if door == "repl" else None
        result = runner.invoke(cli, args, input=lines, catch_exceptions=True)
        text = result.output + (result.stderr if result.stderr_bytes is not None else "")
        bad = fuzz.bad_answer(result.exit_code, text)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            bad = f"{type(result.exception).__name__}: {result.exception}"
        if bad:
            findings.append((door, args if lines is None else lines, bad))
        if (i + 1) % 10000 == 0:
            print(f"{i + 1:,} inputs, {len(findings)} findings, {time.perf_counter() - start:.0f} s", flush=True)
    print(f"{n:,} inputs ({counts['cli']:,} command lines, {counts['repl']:,} REPL sessions, "
          f"{counts['api']:,} API programs) in {time.perf_counter() - start:.0f} s: {len(findings)} findings")
    for door, given, bad in findings[:50]:
        print(f"  {door}: {bad}\n    {given!r}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000, int(sys.argv[2]) if len(sys.argv) > 2 else 0)
