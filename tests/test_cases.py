"""The reference cases (values and gradients computed independently in
float64, and error cases), copied from the project's shared corpus into
tests/data/cases. Value cases run through the command line's JSON document;
error cases check the exit code, a message on stderr and no traceback."""
from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest

from tests.conftest import DATA

RTOL, ATOL = 1e-6, 1e-9


def load(name):
    with open(DATA / "cases" / name) as f:
        return [json.loads(line) for line in f if line.strip()]


def literal(v):
    if isinstance(v, list):
        return "[" + ", ".join(literal(i) for i in v) + "]"
    return repr(float(v)) if math.isfinite(float(v)) else ("nan" if math.isnan(v) else ("inf" if v > 0 else "-inf"))


def decode(v):
    if isinstance(v, list):
        return [decode(i) for i in v]
    return float(v) if not isinstance(v, str) else float(v.replace("infinity", "inf"))


def argv(rec):
    out = []
    for name, v in (rec.get("at") or {}).items():
        out += ["--at", f"{name}={literal(v)}"]
    for name in rec.get("wrt") or []:
        out += ["--wrt", name]
    return out


def warned_ops(err: str) -> set:
    """The operations the warnings on stderr name ("warning: the gradient of sqrt: ...")."""
    return {m.group(1) for m in re.finditer(r"^warning: (?:the gradient of )?(\w+):", err, re.M)}


def spelled_ops(program: str) -> set:
    """The operations a program spells: by name, a synonym or an operator."""
    from gradcli.evaluator import BINARY, COMPARE
    from gradcli.ops import SYNONYMS, TABLE
    names = {n for n in re.findall(r"[A-Za-z_]\w*", program)}
    ops = {n for n in names if n in TABLE} | {SYNONYMS[n] for n in names if n in SYNONYMS}
    ops |= {op for sym, op in {**BINARY, **COMPARE, "^": "pow"}.items() if sym in program}
    if "-" in program:
        ops.add("neg")
    if "[" in program:
        ops.add("getitem")
    return ops


VALUES = load("public.jsonl")
ERRORS = load("errors.jsonl")


@pytest.mark.parametrize("rec", VALUES, ids=[r["id"] for r in VALUES])
def test_value_case(cli, rec):
    command = "eval" if rec.get("grads") is None else "grad"
    r = cli(command, rec["program"], *argv(rec), "--json")
    assert r.code == 0, r.err
    doc = r.json()
    assert doc["shape"] == rec["shape"]
    np.testing.assert_allclose(np.asarray(decode(doc["value"])), np.asarray(decode(rec["value"])),
                               rtol=RTOL, atol=ATOL)
    if rec.get("warn"):
        assert "warning" in r.err
    assert warned_ops(r.err) <= spelled_ops(rec["program"]), r.err
    if rec.get("grads") is None:
        assert "grads" not in doc
        return
    for name, want in rec["grads"].items():
        np.testing.assert_allclose(np.asarray(decode(doc["grads"][name])), np.asarray(decode(want)),
                                   rtol=RTOL, atol=ATOL, err_msg=name)
    for name, got in doc["grads"].items():
        if name not in rec["grads"]:
            assert not np.any(np.asarray(decode(got))), f"unexpected nonzero gradient {name}"


@pytest.mark.parametrize("rec", ERRORS, ids=[r["id"] for r in ERRORS])
def test_error_case(cli, rec):
    r = cli(rec["command"], rec["program"], *argv(rec), *(rec.get("args") or []))
    assert r.code == rec["exit"], r.err
    assert r.err.strip().startswith("error:")
    assert "Traceback" not in r.err + r.out
    if rec.get("stderr_any"):
        assert any(s.lower() in r.err.lower() for s in rec["stderr_any"])


@pytest.mark.parametrize("rec", VALUES[:12], ids=[r["id"] for r in VALUES[:12]])
def test_value_case_through_the_python_api(rec):
    import gradcli
    at = {k: np.asarray(v, dtype=float) for k, v in (rec.get("at") or {}).items()}
    if rec.get("grads") is None:
        r = gradcli.evaluate(rec["program"], at=at)
    else:
        r = gradcli.grad(rec["program"], at=at, wrt=rec.get("wrt"))
        for name, want in rec["grads"].items():
            np.testing.assert_allclose(r.grads[name], decode(want), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(r.value, decode(rec["value"]), rtol=RTOL, atol=ATOL)
