"""The benchmark of issue 17, run by hand (not in CI):

    python bench/run.py                           # every row, full sizes, 3 repeats
    python bench/run.py --quick                   # smaller sizes: a smoke run of a few minutes
    python bench/run.py --rows perop,matmul --repeats 5

Each row runs one computation in every engine, in the same run: the floor
(plain NumPy, a hand-written backward, no graph), PyTorch eager on the CPU and
HIPS autograd when installed (Python code, no parsing) and gradcli (program
text, parse included). Every engine's value and gradients are checked against
the floor's before anything is timed. The engines take turns in rounds, a
repeat being ten rounds of short samples (three for the cold row, one for the
batch row); a sample is the mean wall time of as many calls as fill its slice
(at least one). The table shows each engine's median sample and, as its ratio,
the median over the rounds of its sample over the floor's of the same round:
this machine's speed flips between two states every few tenths of a second
(the floor of the perop row: 1.3 or 2.3 µs an op), and samples taken side by
side share the state, where the medians of three long samples were a draw
between the states (the notes give the ratio of the medians too). One BLAS
thread everywhere, set before NumPy or PyTorch is imported.

  cold    `gradcli grad "x = ones(2); norm(4*x*x)"` as a whole process (the console
          script). Floor: a process importing numpy, lark (gradcli's grammar, Lark's
          disk cache) and rich, parsing the program and printing value and gradient;
          PyTorch, HIPS: a process importing it and computing the same.
  perop   2,000 elementwise ops on a 10-vector, one op a statement, sin and *1.0001 in
          turn (x1 = sin(x0); x2 = x1*1.0001; ...), then sum: forward + backward, per
          op. gradcli: gradcli.grad(text, x0=..., wrt=["x0"]), parse included. The cycle
          collector as each engine leaves it (on: HIPS pays for it, and gradcli's API is
          to pause it itself); the note splits gradcli's time into parse, forward, backward.
  matmul  sum(tanh(A @ B)), 1000x1000 float64, gradients of A and B. Memory: the
          peak RSS growth over one call (after a warm call) in a fresh process per
          engine, the peak reset through /proc/self/clear_refs: what a call adds.
          (The same for the deep row's in-process engines, on their first call.)
  mlp     mean(logsumexp(Z, 1) - sum(Y*Z, 1)), Z = tanh(X@W1 + b1)@W2 + b2 (softmax
          cross-entropy, one-hot Y, written so in every engine), batch 512,
          784->256->10; gradients of W1, b1, W2, b2.
  deep    x0 = 0.5; x{i} = sin(x{i-1})*1.0001, 100,000 statements, through
          `gradcli grad - --wrt x0 --json` as a whole process (program on stdin; its
          peak RSS by os.wait4 in a small launcher), against the floor's, PyTorch's and
          HIPS's Python loops, each in a fresh process too, timed after its imports, the
          cycle collector paused as gradcli's command line pauses it. At most 3 repeats.
  batch   bench_batch.py's result lines, 10,000 in one file through `gradcli run FILE
          --jsonl` (results/s), and the same lines in 20 files, --jobs 1 against 2.

Long (about 590 lines): six rows, each with its four engines written out side by side, so
that what each engine computes can be read and compared in one place."""
from __future__ import annotations

import argparse
import functools
import gc
import importlib
import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"
import numpy as np  # noqa: E402  (after the thread count)

HERE = Path(__file__).resolve().parent
GRAMMAR = HERE.parent / "grammar" / "gradcli.lark"
_script = Path(sys.executable).with_name("gradcli")
GRADCLI = [str(_script)] if _script.exists() else [sys.executable, "-m", "gradcli"]
ENGINES = {"floor": "numpy", "torch": "torch", "hips": "autograd", "gradcli": "gradcli"}
TITLES = {"floor": "floor", "torch": "PyTorch", "hips": "HIPS", "gradcli": "gradcli"}
ROWS = ("cold", "perop", "matmul", "mlp", "deep", "batch")
GOALS = {"cold": "<= 1.05x", "perop": "< PyTorch (<= 4.5x), aiming at 3x", "matmul": "<= 1.03x, peak memory <= 1.1x",
         "mlp": "<= 1.1x", "deep": "faster than PyTorch's loop, peak RSS <= 200 MiB",
         "batch": ">= 6,000 results/s per core, --jobs 2 >= 1.7x"}


@functools.lru_cache(maxsize=None)
def lib(engine):
    """The engine's module (imported on first use), or None when not installed."""
    name = ENGINES[engine]
    if importlib.util.find_spec(name) is None:
        return None
    module = importlib.import_module(name)
    if name == "torch":
        module.set_num_threads(1)
    return module


def sample(fn, slice_s):
    n, t0 = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        t = time.perf_counter() - t0
        if t >= slice_s:
            return t / n


class Timings(dict):
    """Each engine's median sample (seconds) and the samples of each round."""

    def __init__(self, samples: dict):
        super().__init__({k: statistics.median(v) for k, v in samples.items()})
        self.samples = samples

    def paired(self, k, base="floor") -> float:
        """The median over the rounds of k's sample over base's in the same round."""
        return statistics.median(a / b for a, b in zip(self.samples[k], self.samples[base]))


def timed(fns, repeats, slice_s, rounds=10):
    """Timings of the engines taking turns: repeats * rounds rounds, each a
    sample of slice_s / rounds seconds (at least one call) of every engine."""
    samples = {k: [] for k in fns}
    for _ in range(repeats * rounds):
        for k, fn in fns.items():
            samples[k].append(sample(fn, slice_s / rounds))
    return Timings(samples)


def checked(fns, notes, rtol=1e-8):
    """Runs each engine once (its warm-up) and compares its outputs (value,
    gradients...) with the floor's: the largest difference relative to the
    largest element of each array."""
    ref = [np.asarray(a, dtype=float) for a in fns["floor"]()]
    errs = []
    for k, fn in fns.items():
        if k == "floor":
            continue
        out = [np.asarray(a, dtype=float) for a in fn()]
        err = max(float(np.max(np.abs(a - b)) / (np.max(np.abs(b)) or 1.0)) for a, b in zip(out, ref))
        errs.append(f"{TITLES[k]} {err:.0e}" + ("" if err <= rtol else " DISAGREES"))
    notes.append(f"agrees with the floor (max relative difference): {', '.join(errs)}")


# Children write their bytecode, as a user's Python does: with PYTHONDONTWRITEBYTECODE set
# (some sandboxes set it), every process would compile each changed module again, 50-100 ms.
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def child(argv, stdin=None):
    """One process run to its end: its stdout (it must succeed)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            open(stdin or os.devnull, "rb") as inp:
        proc = subprocess.run(argv, stdin=inp, stdout=out, stderr=err, env=CHILD_ENV)
        out.seek(0), err.seek(0)
        if proc.returncode != 0:
            sys.exit(f"{' '.join(argv)[:200]} failed ({proc.returncode}):\n{err.read().decode()[-3000:]}")
        return out.read().decode()


LAUNCH = """import os, subprocess, sys
proc = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(proc.pid, 0)
open(sys.argv[1], "w").write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))"""


def measured(argv, stdin=None):
    """(peak RSS MiB, stdout) of a process, by os.wait4 in a small launcher: a child's
    ru_maxrss starts from the RSS of the process it was forked from (Linux keeps it
    across exec), and this benchmark's own process is large."""
    with tempfile.NamedTemporaryFile("r") as report:
        out = child([sys.executable, "-c", LAUNCH, report.name, *argv], stdin)
        return int(Path(report.name).read_text()) / 1024, out


def available(fns):
    return {k: f for k, f in fns.items() if lib(k) is not None}


# ---- row 1: cold start ----------------------------------------------------------------------------
COLD = "x = ones(2); norm(4*x*x)"
COLD_CODE = {
    "floor": f"""import numpy as np
from lark import Lark
from rich.console import Console
class Post:
    always_accept = ("_SEP",)
    def process(self, stream):
        return stream
Lark(open({str(GRAMMAR)!r}).read(), parser="lalr", postlex=Post(), cache=True).parse({COLD!r})
x = np.ones(2); z = 4 * x * x; y = np.sqrt(np.sum(z * z)); g = z / y * 8 * x
Console().print(f"value  {{y:.4f}}\\n∂/∂x   {{g.round(4).tolist()}}")""",
    "torch": """import torch
x = torch.ones(2, dtype=torch.float64, requires_grad=True)
y = torch.linalg.norm(4 * x * x); y.backward(); print(y.item(), x.grad.tolist())""",
    "hips": """import autograd.numpy as np
from autograd import value_and_grad
y, g = value_and_grad(lambda x: np.linalg.norm(4 * x * x))(np.ones(2)); print(y, g.tolist())""",
}


def row_cold(size, repeats, slice_s, notes):
    argv = {k: [sys.executable, "-c", code] for k, code in COLD_CODE.items()}
    argv["gradcli"] = GRADCLI + ["grad", COLD]
    argv = available(argv)
    outs = []
    for k, a in argv.items():           # warm: Lark's disk cache, the OS's page cache; and the check
        nums = [float(s) for s in re.findall(r"-?\d+\.\d+", child(a))[:3]]
        outs.append(f"{TITLES[k]} " + ("ok" if len(nums) == 3 and np.allclose(nums, 4 * 2 ** 0.5, rtol=1e-4) else f"DISAGREES {nums}"))
    notes.append("value and gradient printed (4 digits) agree: " + ", ".join(outs))
    return timed({k: functools.partial(child, a) for k, a in argv.items()}, repeats, 2 * slice_s, rounds=3)


# ---- row 2: per op ---------------------------------------------------------------------------------
def row_perop(size, repeats, slice_s, notes):
    n = size
    v = np.linspace(-0.5, 1.0, 10)
    text = "\n".join([f"x{i} = sin(x{i - 1})" if i % 2 else f"x{i} = x{i - 1}*1.0001" for i in range(1, n + 1)]
                     + [f"sum(x{n})"])

    def floor():
        x, saved = v, []
        for i in range(1, n + 1):
            if i % 2:
                saved.append(x)
                x = np.sin(x)
            else:
                x = x * 1.0001
        g = np.ones_like(x)
        for i in range(n, 0, -1):
            g = g * np.cos(saved.pop()) if i % 2 else g * 1.0001
        return x.sum(), g

    def torch():
        T = lib("torch")
        x = T.tensor(v, requires_grad=True)
        h = x
        for i in range(1, n + 1):
            h = T.sin(h) if i % 2 else h * 1.0001
        y = h.sum()
        return y.item(), T.autograd.grad(y, x)[0].numpy()

    def hips_f(x):
        anp = importlib.import_module("autograd.numpy")
        for i in range(1, n + 1):
            x = anp.sin(x) if i % 2 else x * 1.0001
        return anp.sum(x)

    def hips():
        return lib("hips").value_and_grad(hips_f)(v)

    def gradcli():
        r = lib("gradcli").grad(text, x0=v, wrt=["x0"])
        return r.value, r.grads["x0"]

    fns = available({"floor": floor, "torch": torch, "hips": hips, "gradcli": gradcli})
    checked(fns, notes)
    t = timed(fns, repeats, slice_s)
    notes.append(f"{n:,} ops, one a statement, then sum; per op: " + phases(text, v, n))
    return Timings({k: [s / n for s in v] for k, v in t.samples.items()})


def phases(text, v, n):
    """gradcli's parse, forward and backward per op, by its internal API (best
    of 3), with the cycle collector paused as gradcli.grad pauses it."""
    try:
        from gradcli import api
        from gradcli.parse import parse
        best = [float("inf")] * 3
        for _ in range(3):
            gc.disable()
            t0 = time.perf_counter()
            program = parse(text, lazy=True)      # as the API's run: statements built (or kernels run) as they run
            t1 = time.perf_counter()
            session = api.setup({"x0": v})
            y = api.run_program(text, session, program=program)
            t2 = time.perf_counter()
            api.differentiate(y, session, ["x0"])
            t3 = time.perf_counter()
            best = [min(b, d) for b, d in zip(best, (t1 - t0, t2 - t1, t3 - t2))]
        return "gradcli parse {:.1f} µs, forward {:.1f}, backward {:.1f}".format(*(b / n * 1e6 for b in best))
    except Exception as e:              # the internal API moves; the row does not need it
        return f"gradcli's phases not measured ({type(e).__name__}: {e})"
    finally:
        gc.enable()


# ---- row 3: sum(tanh(A @ B)) -----------------------------------------------------------------------
def matmul_engines(n):
    rng = np.random.default_rng(0)
    A, B = rng.normal(size=(n, n)), rng.normal(size=(n, n)) / n ** 0.5

    def floor():
        T = np.tanh(A @ B)
        G = 1.0 - T * T
        return T.sum(), G @ B.T, A.T @ G

    def torch():
        T = lib("torch")
        a, b = T.from_numpy(A).requires_grad_(), T.from_numpy(B).requires_grad_()
        y = T.tanh(a @ b).sum()
        ga, gb = T.autograd.grad(y, (a, b))
        return y.item(), ga.numpy(), gb.numpy()

    def hips():
        anp = importlib.import_module("autograd.numpy")
        y, (ga, gb) = lib("hips").value_and_grad(lambda a, b: anp.sum(anp.tanh(a @ b)), (0, 1))(A, B)
        return y, ga, gb

    def gradcli():
        r = lib("gradcli").grad("sum(tanh(A @ B))", A=A, B=B, wrt=["A", "B"])
        return r.value, r.grads["A"], r.grads["B"]

    return available({"floor": floor, "torch": torch, "hips": hips, "gradcli": gradcli})


def status(key):
    """A line of /proc/self/status in MiB: VmRSS (now), VmHWM (the peak)."""
    return int(re.search(key + r":\s+(\d+)", Path("/proc/self/status").read_text())[1]) / 1024


def fresh_child(which, n):
    """In a fresh process (--child ROW:ENGINE): the peak RSS growth over one call, in MiB.
    matmul: after a warm call (its big arrays go back to the system when freed); deep:
    the first call, after the imports (a warm call would leave its small blocks in
    malloc's free lists, and the second graph would reuse them unseen). deep-time:
    the seconds of that first call instead."""
    row, engine = which.split(":")
    fn = {"matmul": matmul_engines, "deep": deep_engines, "deep-time": deep_engines}[row](n)[engine]
    importlib.import_module({"hips": "autograd.numpy"}.get(engine, ENGINES[engine]))
    if row == "deep-time":
        t0 = time.perf_counter()
        fn()
        return print(time.perf_counter() - t0)
    if row == "matmul":
        fn()
    gc.collect()
    before = status("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")      # resets VmHWM to the current RSS
    fn()
    print(status("VmHWM") - before)


def row_matmul(size, repeats, slice_s, notes):
    fns = matmul_engines(size)
    checked(fns, notes)
    t = timed(fns, repeats, slice_s)
    notes.append(memory("matmul", fns, size))
    return t


def memory(row, engines, size):
    """The note of each engine's peak RSS growth over a call, each in a fresh process."""
    try:
        mib = {k: float(child([sys.executable, __file__, "--child", f"{row}:{k}", "--size", str(size)]))
               for k in engines}
    except (SystemExit, ValueError) as e:
        return f"memory not measured: {str(e)[-200:]}"
    ratio = lambda m: f" ({m / mib['floor']:.2f}x)" if mib.get("floor", 0) >= 1 else ""   # noqa: E731
    return "peak RSS growth over a call, fresh process each: " + ", ".join(
        f"{TITLES[k]} {m:.0f} MiB{ratio(m)}" for k, m in mib.items())


# ---- row 4: MLP ------------------------------------------------------------------------------------
MLP = "H = tanh(X @ W1 + b1)\nZ = H @ W2 + b2\nmean(logsumexp(Z, axis=1) - sum(Y * Z, axis=1))"


def row_mlp(size, repeats, slice_s, notes):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(size, 784))
    Y = np.eye(10)[rng.integers(0, 10, size)]
    W1, b1 = rng.normal(size=(784, 256)) / 28, rng.normal(size=256) * 0.1
    W2, b2 = rng.normal(size=(256, 10)) / 16, rng.normal(size=10) * 0.1

    def floor():
        H = np.tanh(X @ W1 + b1)
        Z = H @ W2 + b2
        m = Z.max(axis=1, keepdims=True)
        E = np.exp(Z - m)
        S = E.sum(axis=1, keepdims=True)
        loss = np.mean(m[:, 0] + np.log(S[:, 0]) - (Y * Z).sum(axis=1))
        dZ = (E / S - Y) / size
        dH = (dZ @ W2.T) * (1.0 - H * H)
        return loss, X.T @ dH, dH.sum(axis=0), H.T @ dZ, dZ.sum(axis=0)

    def torch():
        T = lib("torch")
        ws = [T.from_numpy(w).requires_grad_() for w in (W1, b1, W2, b2)]
        Z = T.tanh(T.from_numpy(X) @ ws[0] + ws[1]) @ ws[2] + ws[3]
        loss = (T.logsumexp(Z, 1) - (T.from_numpy(Y) * Z).sum(1)).mean()
        return [loss.item()] + [g.numpy() for g in T.autograd.grad(loss, ws)]

    def hips_loss(w1, c1, w2, c2):
        anp = importlib.import_module("autograd.numpy")
        lse = importlib.import_module("autograd.scipy.special").logsumexp
        Z = anp.tanh(X @ w1 + c1) @ w2 + c2
        return anp.mean(lse(Z, axis=1) - anp.sum(Y * Z, axis=1))

    def hips():
        loss, grads = lib("hips").value_and_grad(hips_loss, (0, 1, 2, 3))(W1, b1, W2, b2)
        return [loss, *grads]

    def gradcli():
        r = lib("gradcli").grad(MLP, X=X, Y=Y, W1=W1, b1=b1, W2=W2, b2=b2, wrt=["W1", "b1", "W2", "b2"])
        return [r.value] + [r.grads[k] for k in ("W1", "b1", "W2", "b2")]

    fns = available({"floor": floor, "torch": torch, "hips": hips, "gradcli": gradcli})
    checked(fns, notes)
    return timed(fns, repeats, slice_s)


# ---- row 5: deep -----------------------------------------------------------------------------------
def deep_engines(n, program=None):
    """The floor's, PyTorch's and HIPS's loops, each with the cycle collector paused as
    gradcli's command line pauses it (HIPS takes twice as long with it on); gradcli,
    the whole process on the program file, when there is one."""
    def floor():
        x, saved = np.float64(0.5), []
        for _ in range(n):
            saved.append(x)
            x = np.sin(x) * 1.0001
        g = 1.0
        for s in reversed(saved):
            g = g * 1.0001 * np.cos(s)
        return x, g

    def torch():
        T = lib("torch")
        x0 = T.tensor(0.5, dtype=T.float64, requires_grad=True)
        h = x0
        for _ in range(n):
            h = T.sin(h) * 1.0001
        return h.item(), T.autograd.grad(h, x0)[0].item()

    def hips_f(x):
        anp = importlib.import_module("autograd.numpy")
        for _ in range(n):
            x = anp.sin(x) * 1.0001
        return x

    def hips():
        return lib("hips").value_and_grad(hips_f)(0.5)

    def gradcli():
        rss, out = measured(GRADCLI + ["grad", "-", "--wrt", "x0", "--json"], stdin=program)
        gradcli.peak.append(rss)
        doc = json.loads(out)
        return doc["value"], doc["grads"]["x0"]

    def paused(fn):
        def run():
            gc.disable()
            try:
                return fn()
            finally:
                gc.enable()
        return run

    gradcli.peak = []
    fns = {"floor": paused(floor), "torch": paused(torch), "hips": paused(hips)}
    return available({**fns, "gradcli": gradcli} if program else fns)


def row_deep(size, repeats, slice_s, notes):
    program = Path(tempfile.mkdtemp()) / "deep.grad"
    program.write_text("\n".join(["x0 = 0.5"] + [f"x{i} = sin(x{i - 1})*1.0001" for i in range(1, size + 1)]
                                 + [f"x{size}"]) + "\n")
    fns = deep_engines(size, program)
    checked(fns, notes)
    # Each engine in a process of its own, as gradcli's is: a loop that makes 200,000
    # objects runs slower in this process, large after the other rows (PyTorch's by a
    # third). The Python engines time their loop after their imports.
    fresh = {k: functools.partial(lambda k: float(child([sys.executable, __file__, "--child", f"deep-time:{k}",
                                                         "--size", str(size)])), k) for k in fns if k != "gradcli"}
    times = {k: [] for k in fns}
    for _ in range(min(repeats, 3)):
        for k, fn in fns.items():
            if k == "gradcli":
                t0 = time.perf_counter()
                fn()
                times[k].append(time.perf_counter() - t0)
            else:
                times[k].append(fresh[k]())
    t = Timings(times)
    if "gradcli" in fns:
        notes.append(f"gradcli's whole process: peak RSS {statistics.median(fns['gradcli'].peak):.0f} MiB "
                     "(os.wait4; timed with its small launcher); the others each in a fresh process, "
                     "imports not counted")
    notes.append(memory("deep", [k for k in fns if k != "gradcli"], size))
    shutil.rmtree(program.parent)
    return t


# ---- row 6: batch ----------------------------------------------------------------------------------
def row_batch(size, repeats, slice_s, notes):
    sys.path.insert(0, str(HERE))
    from bench_batch import EXPRESSIONS, INPUTS
    folder = Path(tempfile.mkdtemp())
    lines = [EXPRESSIONS[i % len(EXPRESSIONS)] for i in range(size)]
    (folder / "big.grad").write_text("\n".join(INPUTS + lines) + "\n")
    (folder / "split").mkdir()
    for f in range(20):
        (folder / "split" / f"f{f:02d}.grad").write_text("\n".join(INPUTS + lines[f::20]) + "\n")
    runs = {"one file": ["run", str(folder / "big.grad"), "--jsonl"],
            "20 files, --jobs 1": ["run", str(folder / "split"), "--jsonl", "--jobs", "1"],
            "20 files, --jobs 2": ["run", str(folder / "split"), "--jsonl", "--jobs", "2"]}
    for name, argv in runs.items():
        records = [json.loads(s) for s in child(GRADCLI + argv).splitlines()]
        bad = sum("value" not in r for r in records)
        notes.append(f"{name}: {len(records):,} records, {bad} without a value")
    t = timed({k: functools.partial(lambda a: child(GRADCLI + a), a) for k, a in runs.items()}, repeats, 0.0,
              rounds=1)
    jobs = t.paired("20 files, --jobs 1", "20 files, --jobs 2")
    notes.append(", ".join(f"{k} {size / s:,.0f} results/s" for k, s in t.items()) +
                 f"; --jobs 2 is {jobs:.2f}x --jobs 1 "
                 f"({os.cpu_count()} cores, load {os.getloadavg()[0]:.1f})")
    shutil.rmtree(folder)
    return {"gradcli": t["one file"] / size}


# ---- the table -------------------------------------------------------------------------------------
def show(value, unit):
    if unit == "op":
        return f"{value * 1e6:.2f} µs/op"
    if unit == "result":
        return f"{1 / value:,.0f} results/s"
    return f"{value * 1e3:.0f} ms" if value < 1 else f"{value:.2f} s"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", default=",".join(ROWS), help=f"a comma-separated choice of {', '.join(ROWS)}")
    ap.add_argument("--repeats", type=int, default=3, help="samples per engine (the deep row: at most 3)")
    ap.add_argument("--quick", action="store_true", help="smaller sizes, shorter samples: a smoke run")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--size", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return fresh_child(args.child, args.size)
    rows = [r.strip() for r in args.rows.split(",") if r.strip()]
    if unknown := set(rows) - set(ROWS):
        ap.error(f"unknown rows: {', '.join(sorted(unknown))} (rows: {', '.join(ROWS)})")
    sizes = {"cold": 0, "perop": 2000, "matmul": 1000, "mlp": 512, "deep": 100_000, "batch": 10_000}
    if args.quick:
        sizes.update(perop=400, matmul=300, mlp=128, deep=10_000, batch=1_000)
    slice_s = 0.1 if args.quick else 0.3
    versions = ", ".join(f"{ENGINES[k]} {importlib.metadata.version(ENGINES[k])}" if lib(k) else
                         f"{ENGINES[k]} not installed" for k in ENGINES)
    print(f"python {sys.version.split()[0]}, {versions}; {os.cpu_count()} cores, 1 BLAS thread; "
          f"median of {args.repeats}{' (quick sizes)' if args.quick else ''}\n")
    table = []
    for row in rows:
        notes = []
        t0 = time.perf_counter()
        t = globals()[f"row_{row}"](sizes[row], args.repeats, slice_s, notes)
        table.append((row, t, notes))
        print(f"{row}: {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    head = f"{'row':<8}{'floor':>14}" + "".join(f"{TITLES[k] + ' x':>22}" for k in ("torch", "hips", "gradcli"))
    print(head + "   goal (gradcli)")
    for row, t, notes in table:
        unit = {"perop": "op", "batch": "result"}.get(row, "s")
        floor = t.get("floor")
        cells = [f"{show(floor, unit) if floor else '-':>14}"]
        for k in ("torch", "hips", "gradcli"):
            if k not in t:
                cells.append(f"{'-':>22}")
            elif floor:
                cells.append(f"{t.paired(k):>8.2f} ({show(t[k], unit)})".rjust(22))
            else:
                cells.append(f"({show(t[k], unit)})".rjust(22))
        print(f"{row:<8}" + "".join(cells) + f"   {GOALS[row]}")
        if floor:
            notes.append("ratio of the medians, beside the paired ratio above: " + ", ".join(
                f"{TITLES[k]} {t[k] / floor:.2f}" for k in ("torch", "hips", "gradcli") if k in t))
    print()
    for row, _, notes in table:
        for note in notes:
            print(f"{row:<8}{note}")


if __name__ == "__main__":
    main()
