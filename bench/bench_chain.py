"""The long-program benchmark of issue 2, run by hand:

    python bench/bench_chain.py [N]      (default N = 100000)

A generated chain `x0 = 0.5; x1 = sin(x0)*1.0001; ...; xN` through every
stage (parse, evaluate, differentiate, JSON), timed against Lark alone parsing
the same text with the same grammar: the baseline, measured in the same run.
The target: everything gradcli adds costs less than Lark's own parse. Also
the start-up of `gradcli eval 1` against a bare `python -c pass`."""
from __future__ import annotations

import gc
import subprocess
import sys
import time


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main(n: int) -> None:
    gc.disable()                        # as the command line runs
    from lark import Lark

    from gradcli import api
    from gradcli.lalr import _BracketNewlines, _grammar_text
    from gradcli.parse import parse
    from gradcli.render import jsonout

    source = "\n".join(["x0 = 0.5"] + [f"x{i} = sin(x{i - 1})*1.0001" for i in range(1, n + 1)] + [f"x{n}"])
    bare = Lark(_grammar_text(), parser="lalr", postlex=_BracketNewlines())
    t_lark, _ = timed(lambda: bare.parse(source))
    t_parse, program = timed(lambda: parse(source))
    session = api.setup({})
    t_eval, y = timed(lambda: api.run_program(source, session, program=program))
    t_grad, grads = timed(lambda: api.differentiate(y, session, ["x0"]))
    t_json, _ = timed(lambda: jsonout.dumps(jsonout.result_document(source, y.numpy(), y.shape, "float64", grads)))
    added = (t_parse - t_lark) + t_eval + t_grad + t_json
    print(f"chain of {n:,} statements")
    print(f"  Lark alone (baseline)   {t_lark:7.2f} s")
    print(f"  gradcli parse (AST)     {t_parse:7.2f} s   {t_parse / t_lark:5.2f}x baseline")
    print(f"  evaluate                {t_eval:7.2f} s   {t_eval / t_lark:5.2f}x")
    print(f"  differentiate           {t_grad:7.2f} s   {t_grad / t_lark:5.2f}x")
    print(f"  JSON document           {t_json:7.2f} s   {t_json / t_lark:5.2f}x")
    print(f"  gradcli's own work      {added:7.2f} s   {added / t_lark:5.2f}x baseline (target < 1)")

    def run(*argv):
        best = min(timed(lambda: subprocess.run(argv, capture_output=True, check=True))[0] for _ in range(5))
        return best
    py = run(sys.executable, "-c", "pass")
    cli = run(sys.executable, "-m", "gradcli", "eval", "1")
    print(f"start-up: python -c pass {py * 1000:.0f} ms, gradcli eval 1 {cli * 1000:.0f} ms "
          f"({cli / py:.1f}x; gradcli's share {1000 * (cli - py):.0f} ms)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
