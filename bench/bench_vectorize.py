"""The vectorization benchmark of issue 14, run by hand (not in the tests):

    python bench/bench_vectorize.py [BASE] [REPEATS]      (defaults 55b0260~1, the tree before
                                                           the batch axis, and 3)

Each workload runs on this tree and on BASE (checked out in a temporary git
worktree), in the same run, alternating, each in a fresh process (warmed by
a small call first, but for plot, timed as a whole process), and the median
wall time of REPEATS is reported with the ratio base / this. The results of
both are checked to agree.

  hessian   hessian(sum(x^4) + norm(x)^2 + sum(sin(x)*x), x), x of 500     goal >= 20x
  mlp       samples/04's MLP loss and its gradient at 10,000 points of x:
            BASE: 10,000 gradcli.grad calls; this: one gradcli.sweep      goal >= 50x
  plot      gradcli plot "sin(x)*x" --at x=-3:3 --points 10000, whole
            process (and this tree's --points 121 beside it)            goal >= 10x, within 1.3x of 121
  jacobian  jacobian(softmax(W @ x), x), W 1000x1000                     goal >= 20x
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MLP = "h = tanh(x @ W1 + b1); mean((h @ W2 + b2 - y)^2)"
MLP_AT = ("{'y': [[1.0], [-1.0]], 'W1': [[0.2, -0.5, 0.1, 0.4], [0.7, 0.3, -0.2, 0.0], [-0.3, 0.8, 0.5, -0.6]], "
          "'b1': [0.1, 0.0, -0.1, 0.2], 'W2': [[0.6], [-0.4], [0.3], [0.9]], 'b2': [0.05]}")

# Each workload: a script run with the tree on sys.path, printing JSON {"seconds": ..., "check": ...}.
SCRIPTS = {
    "hessian": """
import time, numpy as np, gradcli
x = np.random.default_rng(0).normal(size=500)
gradcli.evaluate("hessian(sum(x^4) + norm(x)^2 + sum(sin(x)*x), x)", x=x[:3])      # imports, parser: warm
t = time.perf_counter()
h = gradcli.evaluate("hessian(sum(x^4) + norm(x)^2 + sum(sin(x)*x), x)", x=x).value
print(json.dumps({"seconds": time.perf_counter() - t, "check": float(np.sum(h * np.arange(500.0)))}))
""",
    "mlp": f"""
import time, numpy as np, gradcli
xs = np.random.default_rng(0).normal(size=(10000, 2, 3))
at = {MLP_AT}
gradcli.grad({MLP!r}, {{**at, "x": xs[0]}})                                          # imports, parser: warm
t = time.perf_counter()
if hasattr(gradcli, "sweep") and not BASE:
    s = gradcli.sweep({MLP!r}, at, x=xs)
    g = s.grads["x"]
else:
    g = np.stack([gradcli.grad({MLP!r}, {{**at, "x": x}}, wrt=["x"]).grads["x"] for x in xs])
print(json.dumps({{"seconds": time.perf_counter() - t, "check": float(np.sum(g * np.arange(g.size).reshape(g.shape)))}}))
""",
    "jacobian": """
import time, numpy as np, gradcli
rng = np.random.default_rng(0)
W, x = rng.normal(size=(1000, 1000)) / 30, rng.normal(size=1000)
gradcli.evaluate("jacobian(softmax(W @ x, 0), x)", W=W[:3, :3], x=x[:3])            # imports, parser: warm
t = time.perf_counter()
j = gradcli.evaluate("jacobian(softmax(W @ x, 0), x)", W=W, x=x).value
print(json.dumps({"seconds": time.perf_counter() - t, "check": float(np.sum(j * np.arange(j.size).reshape(j.shape)))}))
""",
}
PLOT = ["plot", "sin(x)*x", "--at", "x=-3:3", "--points"]


def run(tree: Path, args: list[str], base: bool) -> tuple[float, object]:
    env = {**os.environ, "PYTHONPATH": str(tree), "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    start = time.perf_counter()
    out = subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, check=True,
                         cwd=tempfile.gettempdir()).stdout
    wall = time.perf_counter() - start
    if args[0] == "-c":
        doc = json.loads(out.splitlines()[-1])
        return doc["seconds"], doc["check"]
    return wall, len(out)


def measure(name: str, base: Path, repeats: int) -> None:
    if name == "plot":
        args = {n: ["-m", "gradcli", *PLOT, str(n)] for n in (121, 10000)}
        times = {("base", 10000): [], ("this", 10000): [], ("this", 121): []}
        for _ in range(repeats):
            for (which, n) in times:
                times[which, n].append(run(base if which == "base" else ROOT, args[n], which == "base")[0])
        b, t, small = (statistics.median(times[k]) for k in times)
        print(f"{'plot':9} base {b:8.3f} s   this {t:8.3f} s   {b / t:6.1f}x faster; "
              f"--points 121: {small:.3f} s, 10000/121 = {t / small:.2f}x")
        return
    script = "import json\n" + SCRIPTS[name]
    times, checks = {"base": [], "this": []}, {}
    for _ in range(repeats):
        for which, tree in (("base", base), ("this", ROOT)):
            seconds, check = run(tree, ["-c", f"BASE = {which == 'base'}\n" + script], which == "base")
            times[which].append(seconds)
            checks[which] = check
    agree = abs(checks["base"] - checks["this"]) <= 1e-8 * max(1.0, abs(checks["base"]))
    b, t = statistics.median(times["base"]), statistics.median(times["this"])
    print(f"{name:9} base {b:8.3f} s   this {t:8.3f} s   {b / t:6.1f}x faster"
          f"   results {'agree' if agree else 'DIFFER: ' + str(checks)}")


def main(ref: str, repeats: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(base), ref], check=True)
        try:
            print(f"base: {ref}, this: the working tree; median wall time of {repeats}, one thread")
            for name in ("hessian", "mlp", "plot", "jacobian"):
                measure(name, base, repeats)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)], check=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "55b0260~1", int(sys.argv[2]) if len(sys.argv) > 2 else 3)
