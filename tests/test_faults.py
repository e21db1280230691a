"""Issue 18, fault injection: a batch whose worker is killed, runs out of
memory, or whose parent is interrupted or killed. No traceback, the
documented exit code, valid JSONL, and no computed record lost.

The faults are injected by a sitecustomize module on PYTHONPATH, so that
every process of the batch (the parent, forked or spawned workers) has them:
a file whose name says "kill" makes the worker evaluating it SIGKILL itself,
one that says "oom" makes it run out of memory under an address-space limit,
and "slow" files take a while, so that a signal can arrive mid-batch."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="signals, rlimits and fork: Linux")

HOOK = '''
import os, resource, signal, time
import gradcli.batch.worker as worker
_evaluate = worker._evaluate

def faulty(name, text, settings):
    base = os.path.basename(name)
    if "kill" in base:
        os.kill(os.getpid(), signal.SIGKILL)
    if "slow" in base:
        time.sleep(0.05)
    if "oom" in base:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (2 * 1024**3, hard))
        try:
            return _evaluate(name, "x = zeros(400000000)\\nsum(x)\\n", settings)
        finally:
            resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    records = _evaluate(name, text, settings)
    if "slow" in base and os.environ.get("FAULT_DONE"):       # each file evaluated, as the worker saw it
        open(os.path.join(os.environ["FAULT_DONE"], base), "w").close()
    return records

worker._evaluate = faulty
'''


def batch(tmp_path, names, *args, wait=True):
    """gradcli run over files with these names (each 'x = 2; x*3'), as a real process with the hook."""
    (tmp_path / "hook").mkdir(exist_ok=True)
    (tmp_path / "hook" / "sitecustomize.py").write_text(HOOK)
    files = []
    for name in names:
        (tmp_path / name).write_text("x = 2\nx*3\n")
        files.append(str(tmp_path / name))
    (tmp_path / "done").mkdir(exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "hook"), "NO_COLOR": "1", "FAULT_DONE": str(tmp_path / "done")}
    cmd = [sys.executable, "-m", "gradcli", "run", *files, *args]
    if not wait:
        return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)


def records(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_a_killed_worker_blames_only_its_file_and_the_batch_goes_on(tmp_path):
    names = [f"f{i:03d}.grad" for i in range(60)]
    names[17] = "f017_kill.grad"
    r = batch(tmp_path, names, "--jobs", "2", "--jsonl")
    assert "Traceback" not in r.stderr and r.returncode == 1
    got = records(r.stdout)
    assert [rec["file"] for rec in got] == [str(tmp_path / n) for n in names]       # every file, in order
    failed = [rec for rec in got if "error" in rec]
    assert len(failed) == 1 and failed[0]["file"].endswith("f017_kill.grad")
    assert "the worker evaluating it died" in failed[0]["error"]["message"]
    assert all(rec["value"] == 6.0 for rec in got if "error" not in rec)


def test_a_worker_out_of_memory_fails_only_its_file(tmp_path):
    names = [f"f{i:03d}.grad" for i in range(20)]
    names[5] = "f005_oom.grad"
    r = batch(tmp_path, names, "--jobs", "2", "--jsonl")
    got = records(r.stdout)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert {rec["file"] for rec in got} == {str(tmp_path / n) for n in names}
    failed = [rec for rec in got if "error" in rec]
    assert {rec["file"] for rec in failed} == {str(tmp_path / "f005_oom.grad")}     # its two statements
    assert "Unable to allocate 2.98 GiB" in failed[0]["error"]["message"]


def test_ctrl_c_writes_every_record_computed_then_exits_130(tmp_path):
    names = [f"f{i:03d}_slow.grad" for i in range(300)]
    out = tmp_path / "out.jsonl"
    p = batch(tmp_path, names, "--jobs", "2", "--output", str(out), wait=False)
    _until(lambda: out.exists() and out.read_text().count("\n") >= 5)       # mid-batch, however slow the start
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130 and "Traceback" not in err and "interrupted" in err
    got = records(out.read_text())
    assert got and all(rec["value"] == 6.0 for rec in got)                # valid, whole records
    assert len({rec["file"] for rec in got}) == len(got) < 300
    finished = {p.name for p in (tmp_path / "done").iterdir()}
    assert finished and {os.path.basename(rec["file"]) for rec in got} == finished     # none computed is lost


def test_workers_die_with_their_parent(tmp_path):
    names = [f"f{i:03d}_slow.grad" for i in range(300)]
    p = batch(tmp_path, names, "--jobs", "2", "--jsonl", wait=False)
    _until(lambda: len(list((tmp_path / "done").iterdir())) >= 5)           # the workers are at work
    children = [pid for pid in os.listdir("/proc") if pid.isdigit() and _parent(pid) == p.pid]
    assert children, "the batch started no workers"
    p.kill()
    p.wait()
    deadline = time.time() + 10
    while time.time() < deadline and any(os.path.exists(f"/proc/{c}") for c in children):
        time.sleep(0.1)
    alive = [c for c in children if os.path.exists(f"/proc/{c}")
             and open(f"/proc/{c}/stat").read().split()[2] != "Z"]
    assert alive == []


def _parent(pid: str) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _until(ready, seconds: float = 60) -> None:
    """Wait until ready() (a batch has started its work), polling."""
    deadline = time.time() + seconds
    while not ready() and time.time() < deadline:
        time.sleep(0.05)
    assert ready(), "the batch did not start"
