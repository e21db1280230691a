#!/usr/bin/env python3
"""--device cuda against the CPU, in one run of under five minutes.

    python3 bench/cuda_check.py --install --device cuda      # on a GPU machine
    python3 bench/cuda_check.py --device cpu --size 1024     # the same steps on the CPU path

1. --install: installs gradcli from this working tree, and lark (which a bare
   GPU machine lacks), into .whl/site with `pip install --no-index --no-deps`,
   from wheels brought along in .whl/ (ignored by git). Fill .whl/ on a
   machine with network access, for the GPU machine's Python (3.12):
       pip download --only-binary=:all: --python-version 3.12 --implementation cp \\
           --abi cp312 --platform manylinux2014_x86_64 -d .whl lark hatchling
   (lark is what gradcli needs at run time; hatchling and its dependencies
   build gradcli's wheel from the tree, offline.) CuPy, NumPy, click and rich
   come from the machine's own Python. Without hatchling in .whl/, a
   gradcli-*.whl there is installed instead; without pip, wheels are unzipped
   and the package tree is copied.
2. Prints the versions, the GPU and gradcli --version's backends, and runs
   one CLI call on the device.
3. Runs the public cases (bench/data/public_cases.jsonl, a copy of
   shared/cases/public.jsonl) on --device and on the CPU, in float64 and
   float32: values and gradients must agree to the dtype's precision, and the
   CPU's float64 results must match the cases' expected numbers.
4. Times sum(tanh(A @ B)) with --size x --size inputs from randn (default
   4096), forward and backward, on the CPU and on --device, and prints the
   ratio. Random inputs are drawn on the host, so both devices see the same A
   and B, and their values and gradients are compared too.

Exit status: 0 when everything agrees, 1 when something does not, 2 when the
device cannot be used. Stages left when --budget seconds have passed are
skipped (and say so)."""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "bench" / "data" / "public_cases.jsonl"
WHEELS = ROOT / ".whl"
RUNTIME_WHEELS = ("lark", "prompt_toolkit", "wcwidth")      # what gradcli imports that a GPU machine may lack
PROGRAM = "sum(tanh(A @ B))"
START = time.perf_counter()


def say(*parts):
    print(*parts, flush=True)


# ---- 1. install from the working tree, offline
def install() -> Path:
    site, build_env = WHEELS / "site", WHEELS / "build-env"
    for d in (site, build_env):
        shutil.rmtree(d, ignore_errors=True)
    wheels = sorted(WHEELS.glob("*.whl"))
    runtime = [w for w in wheels if w.name.split("-")[0].lower() in RUNTIME_WHEELS]
    prebuilt = [w for w in wheels if w.name.startswith("gradcli-")]
    tools = [w for w in wheels if w not in runtime and w not in prebuilt]
    if not any(w.name.startswith("lark-") for w in runtime):
        sys.exit(f"no lark wheel in {WHEELS}: fill it with pip download (see the top of {Path(__file__).name})")
    os.environ.setdefault("PIP_ROOT_USER_ACTION", "ignore")
    has_pip = subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True).returncode == 0
    if has_pip:
        pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-index", "--no-deps",
               "--disable-pip-version-check", "--target"]
        subprocess.run([*pip, str(site), *map(str, runtime)], check=True)
        if any(w.name.startswith("hatchling-") for w in tools):
            subprocess.run([*pip, str(build_env), *map(str, tools)], check=True)
            env = dict(os.environ, PYTHONPATH=str(build_env))
            subprocess.run([*pip, str(site), "--no-build-isolation", str(ROOT)], check=True, env=env)
            how = "built from the working tree with hatchling from .whl/"
        elif prebuilt:
            subprocess.run([*pip, str(site), str(prebuilt[-1])], check=True)
            how = f"from {prebuilt[-1].name} (not rebuilt: no hatchling wheel in .whl/)"
        else:
            _copy_tree(site)
            how = "copied from the working tree (no hatchling wheel in .whl/)"
    else:
        for w in runtime:
            zipfile.ZipFile(w).extractall(site)
        _copy_tree(site)
        how = "unzipped and copied (this Python has no pip)"
    sys.path.insert(0, str(site))
    say(f"installed into {site.relative_to(ROOT)}: {', '.join(w.name for w in runtime)}; gradcli {how}")
    return site


def _copy_tree(site: Path) -> None:
    """gradcli laid out as its wheel is: the package, with the grammar inside."""
    shutil.copytree(ROOT / "gradcli", site / "gradcli", ignore=shutil.ignore_patterns("__pycache__"))
    (site / "gradcli" / "grammar").mkdir(exist_ok=True)
    shutil.copy(ROOT / "grammar" / "gradcli.lark", site / "gradcli" / "grammar" / "gradcli.lark")


# ---- 2. what is here
def environment(device: str) -> None:
    import numpy

    import gradcli
    from gradcli.backend import available_backends, make_backend
    from gradcli.errors import DeviceError
    say(f"python {sys.version.split()[0]}, numpy {numpy.__version__}, "
        f"gradcli {gradcli.__version__} from {Path(gradcli.__file__).parent}")
    for name, what in available_backends().items():
        say(f"  {name}: {what}")
    try:
        make_backend(device)
    except DeviceError as e:
        say(f"error: {e.message}" + (f"\n = hint: {e.hint}" if e.hint else ""))
        sys.exit(2)


def cli_smoke(device: str) -> bool:
    import gradcli
    package = Path(gradcli.__file__).parent
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(package.parent), os.environ.get("PYTHONPATH", "")]))
    entry = ["-m", "gradcli"] if (package / "__main__.py").exists() else \
        ["-c", "from gradcli.cli import main; main(prog_name='gradcli')"]
    cmd = [sys.executable, *entry, "grad", "norm(4*x*x)", "--at", "x=ones(2)", "--device", device, "--json"]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd="/")
    try:
        doc = json.loads(r.stdout)
        ok = r.returncode == 0 and abs(doc["value"] - 4 * math.sqrt(2)) < 1e-12 \
            and all(abs(g - 4 * math.sqrt(2)) < 1e-12 for g in doc["grads"]["x"])
    except (ValueError, KeyError, TypeError):
        ok = False
    say(f"cli: gradcli grad 'norm(4*x*x)' --at x=ones(2) --device {device} --json -> exit {r.returncode}: "
        f"{r.stdout.strip() or r.stderr.strip()}" + ("" if ok else "   MISMATCH"))
    return ok


# ---- 3. the public cases on both devices
def _decode(v):
    if isinstance(v, list):
        return [_decode(i) for i in v]
    return float(v) if isinstance(v, str) else v     # "nan", "inf", "-inf"


def _tolerance(dtype: str) -> float:
    return 1e-10 if dtype == "float64" else 1e-4     # "to the dtype's precision": ~1e6 and ~1e3 ulps


def _agree(a, b, rtol, atol=None):
    """Largest error relative to max(1, |b|), and whether it is within rtol (nan matches nan)."""
    import numpy as np
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        return math.inf, False
    same_nan = np.array_equal(np.isnan(a), np.isnan(b))
    finite = np.isfinite(a) & np.isfinite(b)
    same_inf = np.array_equal(a[~finite & ~np.isnan(a)], b[~finite & ~np.isnan(b)])
    err = float(np.max(np.abs(a - b)[finite] / np.maximum(1.0, np.abs(b[finite])), initial=0.0))
    return err, same_nan and same_inf and err <= (rtol if atol is None else atol)


def _graph(result):
    from gradcli.report import snapshot
    graph = snapshot(result.tensor)
    return [(n.kind, n.op, n.name, tuple(n.shape), tuple(n.parents)) for n in graph.nodes.values()]


def run_cases(device: str, dtype: str) -> bool:
    import gradcli
    cases = [json.loads(line) for line in CASES.read_text().splitlines() if line.strip()]
    tol = _tolerance(dtype)
    worst, failures, gpu_quiet = 0.0, [], 0
    t0 = time.perf_counter()
    for case in cases:
        at = {k: _decode(v) if not isinstance(v, str) else v for k, v in case["at"].items()}
        run = gradcli.grad if case.get("grads") is not None else gradcli.evaluate
        kw = {"wrt": case["wrt"]} if run is gradcli.grad and case.get("wrt") else {}
        try:
            cpu = run(case["program"], at=at, device="cpu", dtype=dtype, **kw)
            dev = run(case["program"], at=at, device=device, dtype=dtype, **kw)
        except Exception as e:      # noqa: BLE001 - reported, and the check goes on
            failures.append(f"{case['id']}: {type(e).__name__}: {e}")
            continue
        problems = []
        err, ok = _agree(dev.value, cpu.value, tol)
        worst = max(worst, err)
        if not ok:
            problems.append(f"value {dev.value!r} vs cpu {cpu.value!r} (err {err:.1e})")
        if (dev.grads or {}).keys() != (cpu.grads or {}).keys():
            problems.append(f"gradients of {sorted(dev.grads or {})} vs cpu {sorted(cpu.grads or {})}")
        for name, g in (cpu.grads or {}).items():
            if name in (dev.grads or {}):
                err, ok = _agree(dev.grads[name], g, tol)
                worst = max(worst, err)
                if not ok:
                    problems.append(f"d/d{name} err {err:.1e}")
        if _graph(dev) != _graph(cpu):
            problems.append("the graphs differ")
        if dtype == "float64":        # the CPU against the reference numbers
            if not _agree(cpu.value, _decode(case["value"]), 1e-6)[1]:
                problems.append(f"cpu value {cpu.value!r} vs expected {case['value']!r}")
            for name, want in (case.get("grads") or {}).items():
                if not _agree(cpu.grads.get(name), _decode(want), 1e-6)[1]:
                    problems.append(f"cpu d/d{name} vs expected")
        gpu_quiet += bool(cpu.warnings) and not dev.warnings
        if problems:
            failures.append(f"{case['id']}: " + "; ".join(problems))
    say(f"cases {dtype}: {len(cases) - len(failures)}/{len(cases)} agree on {device} and cpu "
        f"(largest difference {worst:.1e} relative, tolerance {tol:.0e}; {time.perf_counter() - t0:.1f}s)"
        + (f"; {gpu_quiet} with a floating-point warning on cpu only" if gpu_quiet and device != "cpu" else ""))
    for f in failures:
        say(f"  MISMATCH {f}")
    return not failures


# ---- 4. a large program, timed on both devices
def timing(device: str, dtype: str, n: int, reps: int) -> bool:
    import numpy as np
    from gradcli import api, autograd
    results = {}
    for dev in dict.fromkeys(["cpu", device]):
        t0 = time.perf_counter()
        session = api.setup({"A": f"randn({n}, {n})", "B": f"randn({n}, {n})"}, device=dev, dtype=dtype, seed=0)
        bk = session.bk
        bk.synchronize()
        t_inputs = time.perf_counter() - t0
        fwd, bwd = [], []
        for rep in range(reps + 1):          # the first is a warm-up (kernels, cuBLAS handles)
            for x in session.inputs:
                x.grad = None
            t0 = time.perf_counter()
            y = api.run_program(PROGRAM, session)
            bk.synchronize()
            t1 = time.perf_counter()
            autograd.backward(y, session.inputs)
            bk.synchronize()
            t2 = time.perf_counter()
            if rep:
                fwd.append(t1 - t0)
                bwd.append(t2 - t1)
        t0 = time.perf_counter()
        value, grads = y.item(), [bk.to_host(x.grad) for x in session.inputs]
        t_host = time.perf_counter() - t0
        results[dev] = (statistics.median(fwd), statistics.median(bwd), value, grads)
        say(f"  {dev:>4} {dtype} n={n}: forward {statistics.median(fwd):.4f}s  backward {statistics.median(bwd):.4f}s"
            f"  (median of {reps}; inputs drawn and moved {t_inputs:.2f}s, gradients to host {t_host:.2f}s)")
        del session, y, grads
    cpu_f, cpu_b, cpu_v, cpu_g = results["cpu"]
    dev_f, dev_b, dev_v, dev_g = results[device]
    ratio = (cpu_f + cpu_b) / (dev_f + dev_b)
    say(f"  ratio cpu/{device} {dtype}: {ratio:.1f}x (forward {cpu_f / dev_f:.1f}x, backward {cpu_b / dev_b:.1f}x)")
    tol = _tolerance(dtype) * (10 if dtype == "float32" else 1)     # a sum of n*n terms
    ok = True
    rel = abs(dev_v - cpu_v) / max(1.0, abs(cpu_v))
    gerr = max(float(np.max(np.abs(d - c)) / max(1.0, float(np.max(np.abs(c))))) for d, c in zip(dev_g, cpu_g))
    ok = rel <= tol and gerr <= tol
    say(f"  agreement {dtype}: value {dev_v!r} vs cpu {cpu_v!r} (relative {rel:.1e}); gradients {gerr:.1e}"
        + ("" if ok else f"   MISMATCH (tolerance {tol:.0e})"))
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    ap.add_argument("--size", type=int, default=int(os.environ.get("CUDA_CHECK_SIZE", 4096)),
                    help="n for the n x n timing inputs (default 4096, or $CUDA_CHECK_SIZE)")
    ap.add_argument("--reps", type=int, default=3, help="timed repetitions after one warm-up (default 3)")
    ap.add_argument("--install", action="store_true", help="install gradcli and lark from .whl/ first")
    ap.add_argument("--budget", type=float, default=270, help="seconds after which stages are skipped (default 270)")
    args = ap.parse_args()

    if args.install:
        install()
    environment(args.device)
    ok = cli_smoke(args.device)
    stages = [("cases float64", lambda: run_cases(args.device, "float64")),
              ("timing float64", lambda: timing(args.device, "float64", args.size, args.reps)),
              ("cases float32", lambda: run_cases(args.device, "float32")),
              ("timing float32", lambda: timing(args.device, "float32", args.size, args.reps))]
    for name, stage in stages:
        elapsed = time.perf_counter() - START
        if elapsed > args.budget:
            say(f"{name}: skipped ({elapsed:.0f}s used of the {args.budget:.0f}s budget)")
            ok = False
            continue
        if name.startswith("timing"):
            say(f"timing {PROGRAM}, forward and backward:")
        ok = stage() and ok
    say(f"{'OK' if ok else 'FAILED'}: {args.device} against cpu, {time.perf_counter() - START:.0f}s in all")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
