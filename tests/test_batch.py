"""SPEC.md section 2, "Batch": `gradcli run FILE...` (issue 6).

Records, failures that never stop the batch, --jsonl, --compare, --jobs,
--scheduler (Dask), and the samples' values against independent references
(NumPy formulas written here, and constants computed once with PyTorch)."""
from __future__ import annotations

import io
import json
import math
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
DATA = ROOT / "tests" / "data"


def jsonl(text: str) -> list[dict]:
    """Every line must be one JSON object (JSON proper: no NaN or Infinity)."""
    def strict(token):
        raise AssertionError(f"non-standard JSON number {token}")
    return [json.loads(line, parse_constant=strict) for line in text.splitlines() if line.strip()]


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# ---- records
def test_every_result_is_one_record_with_its_fields(cli, tmp_path):
    f = write(tmp_path, "a.grad", "x = ones(2)\nz = 4*x*x\ny = z.norm()\ny\nz\nf(t) = t^2\nf(3)\n")
    r = cli("run", str(f), "--jsonl", "--jobs", "1")
    assert r.code == 0, r.err
    recs = jsonl(r.out)
    assert [(x["line"], x["source"]) for x in recs] == [(4, "y"), (5, "z"), (7, "f(3)")]
    y, z, f3 = recs
    assert set(y) == {"file", "line", "source", "value", "shape", "dtype", "grads"}
    assert y["file"] == str(f) and y["dtype"] == "float64" and y["shape"] == []
    assert y["value"] == pytest.approx(math.sqrt(32))
    assert y["grads"] == {"x": pytest.approx([math.sqrt(32)] * 2)}
    assert z["value"] == [4.0, 4.0] and z["shape"] == [2] and z["grads"] is None    # not a scalar
    assert f3["value"] == 9.0 and f3["grads"] == {}                                 # no inputs


def test_non_finite_values_are_strings_and_warned(cli, tmp_path):
    f = write(tmp_path, "nan.grad", "x = [-1.0, 0.0, 1.0]\nlog(x)\nsum(1/x)\n")
    r = cli("run", str(f), "--jsonl", "--jobs", "1")
    logx, inv = jsonl(r.out)
    assert logx["value"][:2] == ["nan", "-inf"] and logx["value"][2] == 0.0
    assert any("log" in w for w in logx["warnings"])
    assert inv["value"] == "inf"          # -1 + inf + 1
    assert inv["grads"]["x"] == [-1.0, "-inf", -1.0]
    assert r.code == 0                    # a nan is a value, not a failure


def test_the_jsonl_of_the_samples_is_valid(cli):
    r = cli("run", str(SAMPLES), "--jsonl", "--jobs", "1")
    assert r.code == 0, r.out + r.err
    recs = jsonl(r.out)
    files = {Path(x["file"]).name for x in recs}
    assert len(files) >= 12 and all(n.endswith(".grad") for n in files)
    assert all("error" not in x for x in recs)
    for x in recs:
        assert {"file", "line", "source", "value", "shape", "dtype", "grads"} <= set(x)
        assert np.shape(np.asarray(x["value"], dtype=float)) == tuple(x["shape"])
        if x["shape"] in ([], [1], [1, 1]):
            assert isinstance(x["grads"], dict)


# ---- failures
def test_a_failing_statement_is_reported_and_the_file_goes_on(cli, tmp_path):
    f = write(tmp_path, "f.grad", "x = [1.0, 2.0]\nsum(x + [1, 2, 3])\nsum(x)\n")
    r = cli("run", str(f), "--jsonl", "--jobs", "1")
    assert r.code == 1
    bad, good = jsonl(r.out)
    assert bad["error"]["kind"] == "shape" and (bad["error"]["line"], bad["error"]["column"]) == (2, 5)
    assert "value" not in bad
    assert good["value"] == 3.0 and good["grads"] == {"x": [1.0, 1.0]}


def test_a_failed_binding_is_not_silently_replaced_by_an_older_value(cli, tmp_path):
    f = write(tmp_path, "b.grad", "x = 1\nx = ones(2) + ones(3)\nx\nsum(x)\ny = 2\ny\n")
    r = cli("run", str(f), "--jsonl", "--jobs", "1")
    recs = jsonl(r.out)
    assert [x["line"] for x in recs] == [2, 3, 4, 6]
    assert [("error" in x) for x in recs] == [True, True, True, False]
    assert "line 2 failed" in recs[1]["error"]["message"]       # not "unknown name", not the old 1
    assert recs[3]["value"] == 2.0 and r.code == 1


def test_an_unexpected_error_in_one_statement_keeps_the_other_results(monkeypatch):
    from gradcli import api
    from gradcli.batch.worker import evaluate_file
    real, calls = api.differentiate, []

    def flaky(y, session, wrt=None):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("boom")
        return real(y, session, wrt)
    monkeypatch.setattr(api, "differentiate", flaky)
    recs = evaluate_file("f", "x = 2\nx^2\nx^3\nx^4\n", {})["records"]
    assert [r.get("value") for r in recs] == [4.0, None, 16.0]
    assert recs[1]["error"]["kind"] == "internal" and "RuntimeError: boom" in recs[1]["error"]["message"]
    assert recs[2]["grads"] == {"x": 32.0}


def test_a_syntax_error_fails_the_file_as_one_record(cli, tmp_path):
    f = write(tmp_path, "s.grad", "x = 1\nx\ny = (x +\n")
    r = cli("run", str(f), "--jsonl", "--jobs", "1")
    (rec,) = jsonl(r.out)
    assert rec["error"]["kind"] == "syntax" and rec["error"]["line"] == 3 and r.code == 1


def test_unreadable_non_utf8_missing_and_empty_inputs_do_not_stop_the_batch(cli, tmp_path, monkeypatch):
    from gradcli.batch import sources
    good = write(tmp_path, "good.grad", "x = 2\nx^2\n")
    latin = tmp_path / "latin1.grad"
    latin.write_bytes("x = 1 # café\nx\n".encode("latin-1"))
    locked = write(tmp_path, "locked.grad", "1\n")
    empty_dir = tmp_path / "nothing"
    empty_dir.mkdir()
    real_open = open

    def fake_open(path, *a, **k):         # root can read a chmod 000 file, so refuse here
        if str(path) == str(locked):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *a, **k)
    monkeypatch.setattr(sources, "open", fake_open, raising=False)
    args = [str(latin), str(locked), str(tmp_path / "missing.grad"), str(empty_dir), str(good)]
    r = cli("run", *args, "--jsonl", "--jobs", "1")
    assert r.code == 1
    recs = jsonl(r.out)
    assert [x["file"] for x in recs] == args            # in input order, one record each
    messages = [x.get("error", {}).get("message", "") for x in recs]
    assert "not a text file in UTF-8" in messages[0]
    assert "Permission denied" in messages[1]
    assert "no such file" in messages[2]
    assert "no .grad files" in messages[3]
    assert recs[4]["value"] == 4.0 and recs[4]["grads"] == {"x": 4.0}
    assert "4 failures" in r.err                        # the summary, on stderr beside JSONL


def test_a_thousand_files_with_two_failures(tmp_path):
    """The issue's batch: 1,000 files, a syntax error in one and a shape error
    in another; --jobs 2 in a real process pool, through the console script."""
    for i in range(1000):
        third = "sum(x * * w)" if i == 137 else "sum(x*w)"
        fourth = "norm(x + [1, 2, 3])" if i == 642 else "norm(x)"
        write(tmp_path / "many", f"f{i:04d}.grad", f"x = [{i}, 1]\nw = [0.5, -2]\n{third}\n{fourth}\n")
    out = tmp_path / "out.jsonl"
    proc = subprocess.run([sys.executable, "-m", "gradcli", "run",
                           str(tmp_path / "many"), "--jobs", "2", "--output", str(out), "--no-color"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env={**os.environ, "COLUMNS": "100"})
    assert proc.returncode == 1, proc.stderr
    recs = jsonl(out.read_text())
    failures = [x for x in recs if "error" in x]
    assert [(Path(x["file"]).name, x["error"]["kind"], x["error"]["line"], x["error"]["column"])
            for x in failures] == [("f0137.grad", "syntax", 3, 9), ("f0642.grad", "shape", 4, 6)]
    values = [x for x in recs if "value" in x]
    assert len(values) == 998 * 2 + 1 and len(recs) == 1999
    names = [Path(x["file"]).name for x in recs]
    assert names == sorted(names)                       # input order, whatever finished first
    for x in values:
        i = int(Path(x["file"]).stem[1:])
        expect = 0.5 * i - 2 if x["line"] == 3 else math.hypot(i, 1)
        assert x["value"] == pytest.approx(expect)
    # The terminal shows the two failures with their carets, and the summary.
    assert "f0137.grad:3:9" in proc.stdout and "f0642.grad:4:6" in proc.stdout
    assert "1,000 files, 1,997 results, 2 failures" in proc.stdout


# ---- parallel and distributed runs give the same records
RANDOM_PROGRAM = "W = randn(3, 2)\nx = rand(3)\nsum(tanh(x @ W))\nmean(rand(4) * {k})\n"


def _random_batch(folder: Path, n: int = 24) -> list[Path]:
    return [write(folder, f"r{k:02d}.grad", RANDOM_PROGRAM.format(k=k)) for k in range(n)]


def test_jobs_never_change_the_results(cli, tmp_path):
    files = _random_batch(tmp_path)
    one = cli("run", str(tmp_path), "--jsonl", "--jobs", "1")
    two = cli("run", str(tmp_path), "--jsonl", "--jobs", "2")
    assert one.code == two.code == 0
    assert one.out == two.out
    # Reseeded per file: a file alone gives what it gave inside the batch.
    alone = jsonl(cli("run", str(files[5]), "--jsonl").out)
    assert alone == [x for x in jsonl(one.out) if x["file"] == str(files[5])]
    # ... and those are NumPy's numbers for --seed 0.
    rng = np.random.default_rng(0)
    W, x = rng.standard_normal((3, 2)), rng.random(3)
    assert alone[0]["value"] == pytest.approx(np.tanh(x @ W).sum())
    assert cli("run", str(files[5]), "--jsonl", "--seed", "1").out != cli("run", str(files[5]), "--jsonl").out


def test_worker_results_are_plain_data():
    from gradcli.batch.worker import evaluate_chunk
    out = evaluate_chunk([("a", "x = [1.0, 2.0]\nsum(x^2)\nx\nx +\n"), ("b", "y = 3\ny * ones(2)\n")], {"seed": 0})
    assert pickle.loads(pickle.dumps(out)) == out
    json.dumps(out, allow_nan=False)                    # lists, dicts, floats and strings only
    assert [len(f["records"]) for f in out] == [1, 1]   # a's syntax error is its one record


# ---- --compare
def test_compare_reports_drift_beyond_the_tolerance(cli, tmp_path):
    f = write(tmp_path, "c.grad", "x = [1.0, 2.0]\nsum(x^2)\nx * 3\n")
    expected = tmp_path / "expected.jsonl"
    assert cli("run", str(f), "--output", str(expected)).code == 0
    same = cli("run", "--compare", str(expected))         # the files come from the records
    assert same.code == 0 and "no drift" in same.out

    recs = jsonl(expected.read_text())
    recs[0]["value"] *= 1 + 1e-4
    recs[0]["grads"]["x"][1] += 1e-3
    expected.write_text("".join(json.dumps(x) + "\n" for x in recs))
    drift = cli("run", "--compare", str(expected), "--json")
    assert drift.code == 1
    found = drift.json()["drifts"]
    assert [(d["line"], d["drift"], d.get("input")) for d in found] == [(2, "value", None), (2, "grad", "x")]
    assert found[0]["max_abs_diff"] == pytest.approx(5e-4)
    assert cli("run", "--compare", str(expected), "--rtol", "1e-3").code == 0

    f.write_text("# now x has three items\nx = [1.0, 2.0, 3.0]\nsum(x^2)\nx * 3\n")
    moved = cli("run", "--compare", str(expected), "--json").json()["drifts"]
    assert [(d["line"], d["drift"]) for d in moved] == [(3, "value"), (3, "grad"), (4, "shape")]

    f.write_text("x = [1.0, 2.0] * ones(3)\nsum(x^2)\nx * 3\n")   # the results now fail
    shown = cli("run", "--compare", str(expected), "--rtol", "1e-3")
    assert shown.code == 1 and "failure" in shown.out and "c.grad:2" in shown.out


def test_compare_needs_a_jsonl_file(cli, tmp_path):
    bad = write(tmp_path, "bad.jsonl", '{"file": "a.grad", "line": 1}\nnot json\n')
    r = cli("run", "--compare", str(bad))
    assert r.code == 2 and "line 2" in r.err


# ---- the display
def test_display_tables_errors_with_carets_and_a_summary(cli, tmp_path):
    write(tmp_path, "a.grad", "x = ones(2)\nnorm(4*x*x)\nx + ones(3)\nsum(x)\n")
    write(tmp_path, "b.grad", "# only a definition\nf(t) = t\n")
    r = cli("run", str(tmp_path), "--jobs", "1")
    assert r.code == 1
    out = r.out
    assert out.index("a.grad") < out.index("b.grad")
    assert "line" in out and "source" in out and "gradient" in out
    assert "5.6569" in out and "∂x [5.6569, 5.6569]" in out
    assert "a.grad:3:1" in out and "^^^^^^^^^^^" in out           # the caret under x + ones(3)
    assert out.index("^^^") < out.index("sum(x)")                  # inline, where it happened
    assert "no results" in out
    assert "2 files, 2 results, 1 failure" in out


def test_a_progress_bar_on_a_terminal_only(tmp_path):
    from rich.console import Console

    from gradcli.batch import display, records, schedule, sources
    from gradcli.edge import Options
    _random_batch(tmp_path, display.PROGRESS_MIN_FILES + 1)
    opts = Options(no_color=True)
    opts._out = Console(file=io.StringIO(), width=100)
    opts._err = Console(file=io.StringIO(), width=100, force_terminal=True)
    tally = records.Tally()
    schedule.execute(sources.discover([str(tmp_path)]), {}, 2, None, [display.DisplaySink(opts)], tally, opts)
    assert "running" in opts._err.file.getvalue()
    assert opts._out.file.getvalue().count(".grad") == tally.files == display.PROGRESS_MIN_FILES + 1
    quiet = Options(no_color=True)
    quiet._out, quiet._err = Console(file=io.StringIO()), Console(file=io.StringIO())
    schedule.execute(sources.discover([str(tmp_path)]), {}, 1, None, [display.DisplaySink(quiet)], records.Tally(),
                     quiet)
    assert quiet._err.file.getvalue() == ""


def test_output_file_keeps_the_terminal_short(cli, tmp_path):
    f = write(tmp_path, "o.grad", "x = 3\nx^2\nx^3\n")
    out = tmp_path / "r.jsonl"
    r = cli("run", str(f), "-o", str(out))
    assert r.code == 0 and "wrote 2 records" in r.out and "x^2" not in r.out
    assert [x["value"] for x in jsonl(out.read_text())] == [9.0, 27.0]


def test_stdin_json_and_usage(cli, tmp_path):
    r = cli("run", "-", "--json", input="x = [3.0, 4.0]\nnorm(x)\n")
    doc = r.json()
    assert doc["results"][0]["file"] == "<stdin>" and doc["results"][0]["value"] == 5.0
    assert doc["summary"] == {**doc["summary"], "files": 1, "results": 1, "failures": 0}
    assert cli("run").code == 2                          # nothing to run


def test_directories_are_walked_sorted_and_hidden_ones_skipped(tmp_path):
    from gradcli.batch.sources import discover
    for name in ("b.grad", "a/z.grad", "a/b/c.grad", ".hidden/x.grad", "notes.txt", "c.grad"):
        write(tmp_path, name, "1\n")
    names = [Path(i.name).relative_to(tmp_path).as_posix() for i in discover([str(tmp_path)])]
    assert names == ["a/b/c.grad", "a/z.grad", "b.grad", "c.grad"]


# ---- the samples, against independent values
# Computed once with PyTorch 2.13 (float64), e.g. for 02:
#   x1 = torch.tensor([[0.5, -1.0], [1.5, 0.25]], requires_grad=True); x2 = ...
#   L = torch.sin(torch.mm(x1, x2) + x2).mean(); L.backward()
TORCH = {
    "02": (0.3021241772588126,
           [[0.2363186616474847, 0.1989904882676981], [-0.09709672285437707, -0.3753275427346875]],
           [[0.5448403263814998, 0.05672601284401438], [0.17414989087882013, -0.5124181655988775]]),
    # F.binary_cross_entropy(sigmoid(X @ w + b), t): loss, dw, db
    "03": (0.7865024123256935, [0.02040228948293385, -0.5712538035814826], 0.021953218047892853),
    # F.mse_loss(tanh(x @ W1 + b1) @ W2 + b2, y): loss, dW1, db1, dW2, db2
    "04": (0.7991458738814972,
           [[-0.6724155920641752, 0.34323920722448426, -0.3119425415704895, -0.9872523281712509],
            [0.3120322676265199, -0.1714581306413824, 0.1436768175529955, 0.468444049091186],
            [-0.4987945817520237, 0.3314936838701672, -0.22458560111783812, -0.7974385920135002]],
           [-0.3735246282510075, 0.3200711064575695, -0.16181756712968526, -0.6579890858446285],
           [[0.3390542189482397], [-0.02047135384842569], [-0.5720695837969212], [-0.06451277223066808]],
           [-0.6868661105854913]),
    # F.cross_entropy(logits, [0, 2]): loss, dlogits
    "05": (2.035104111700061, [[-0.17049943055701605, 0.12121648535235695, 0.0492829452046591],
                               [0.058057267337070576, 0.4289884053042286, -0.4870456726412992]]),
    # abs, relu, clamp(0, 1) of [-1, 0, 2]; amax, maximum(t, 1), norm(t - t) of [3, 1, 3]
    "10": [(3.0, [-1.0, 0.0, 1.0]), (2.0, [0.0, 0.0, 1.0]), (1.0, [0.0, 1.0, 0.0]),
           (3.0, [0.5, 0.0, 0.5]), (7.0, [1.0, 0.5, 1.0]), (0.0, [0.0, 0.0, 0.0])],
}


@pytest.fixture(scope="module")
def samples():
    """The samples' records, by sample number: a list of records each."""
    from click.testing import CliRunner

    from gradcli.cli import main
    result = CliRunner().invoke(main, ["run", str(SAMPLES), "--jsonl", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    by: dict = {}
    for rec in jsonl(result.stdout):
        by.setdefault(Path(rec["file"]).name[:2], []).append(rec)
    return by


def close(a, b, tol=1e-12):
    np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=tol, atol=tol)


def test_sample_pytorch_tutorials(samples):
    y, z = samples["01"]
    close(y["value"], math.sqrt(32))                    # |[4, 4]|
    close(y["grads"]["x"], [32 / math.sqrt(32)] * 2)    # 32 x / |z|
    close(z["value"], [4, 4])
    (L,) = samples["02"]
    assert round(L["value"], 14) == 0.30212417725881    # the number
    value, g1, g2 = TORCH["02"]
    close(L["value"], value)
    close(L["grads"]["x1"], g1)
    close(L["grads"]["x2"], g2)


def test_sample_logistic_regression_mlp_and_cross_entropy(samples):
    p, loss, stable = samples["03"]
    value, dw, db = TORCH["03"]
    for r in (loss, stable):
        close(r["value"], value)
        close(r["grads"]["w"], dw)
        close(r["grads"]["b"], db)
    X = np.array([[1.0, 2.0], [2.0, -1.0], [-1.5, 0.5], [0.5, 1.5]])
    close(p["value"], 1 / (1 + np.exp(-(X @ [0.3, -0.2] + 0.1))))
    _, loss, _ = samples["04"]
    value, dW1, db1, dW2, db2 = TORCH["04"]
    close(loss["value"], value)
    for name, g in (("W1", dW1), ("b1", db1), ("W2", dW2), ("b2", db2)):
        close(loss["grads"][name], g)
    probs, ce, via_lse = samples["05"]
    value, dlogits = TORCH["05"]
    for r in (ce, via_lse):
        close(r["value"], value)
        close(r["grads"]["logits"], dlogits)
    logits = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0]])
    close(probs["value"], np.exp(logits) / np.exp(logits).sum(1, keepdims=True))


def test_sample_rosenbrock_and_gaussian_likelihood(samples):
    two, vec, hess, minimum = samples["06"]
    a, b = -1.2, 1.0
    f = (1 - a) ** 2 + 100 * (b - a * a) ** 2
    da, db = -2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a)
    close(two["value"], f)
    close([two["grads"]["a"], two["grads"]["b"]], [da, db])
    close(vec["grads"]["p"], [da, db])
    close(hess["value"], [[2 - 400 * (b - 3 * a * a), -400 * a], [-400 * a, 200]])
    assert minimum["value"] == 0.0 and minimum["grads"] == {}

    at_start, at_mle, from_data = samples["07"]
    data = np.array([2.1, 1.7, 3.4, 2.8, 2.2])
    n = len(data)
    close(at_start["value"], np.sum(-0.5 * (data - 2.0) ** 2 - 0.5 * np.log(2 * np.pi)))
    close(at_start["grads"]["mu"], np.sum(data - 2.0))
    close(at_start["grads"]["log_sigma"], np.sum((data - 2.0) ** 2) - n)
    close(at_mle["grads"]["mu_hat"], 0, tol=1e-9)        # the maximum-likelihood equations
    close(at_mle["grads"]["log_sigma_hat"], 0, tol=1e-9)
    var = data.var()
    close(from_data["value"], -0.5 * n - 0.5 * n * np.log(2 * np.pi * var))


def test_sample_hessian_jacobian_and_least_squares(samples):
    g, h, tr, quad = samples["08"]
    x0, x1 = 1.0, 2.0
    close(g["value"], [2 * x0 * x1, x0 ** 2 + np.cos(x1)])
    close(h["value"], [[2 * x1, 2 * x0], [2 * x0, -np.sin(x1)]])
    close(tr["value"], 2 * x1 - np.sin(x1))
    close(tr["grads"]["x"], [0, 2 - np.cos(x1)])        # a third derivative
    close(quad["value"], [[4, 1], [1, 6]])

    xy, J, det, jexp, jlin = samples["09"]
    r, t = 2.0, 0.5
    close(xy["value"], [r * np.cos(t), r * np.sin(t)])
    close(J["value"], [[np.cos(t), -r * np.sin(t)], [np.sin(t), r * np.cos(t)]])
    close(det["value"], r)
    close(det["grads"]["q"], [1, 0])
    close(jexp["value"], np.diag(np.exp([0.5, 1.0, 2.0])))
    close(jlin["value"], [[1, 2, 3], [4, 5, 6]])

    beta, slope, rss = samples["11"]
    X = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0], [1.0, 3.0]])
    y = np.array([1.1, 2.9, 5.2, 6.8])
    fit, res, *_ = np.linalg.lstsq(X, y, rcond=None)
    close(beta["value"], fit, tol=1e-10)
    close(slope["grads"]["y"], np.linalg.pinv(X)[1], tol=1e-10)
    close(rss["value"], res[0], tol=1e-10)
    close(rss["grads"]["y"], 2 * (y - X @ fit), tol=1e-10)


def test_sample_kinks_user_functions_and_random(samples):
    for rec, (value, grad) in zip(samples["10"], TORCH["10"]):
        close(rec["value"], value)
        close(next(iter(rec["grads"].values())), grad)

    fu, g, g2, soft = samples["12"]
    k, u = 3.0, 0.5
    close(fu["value"], k * u * u + np.sin(u))
    close([fu["grads"]["u"], fu["grads"]["k"]], [2 * k * u + np.cos(u), u * u])
    close(g["value"], 2 * k * u + np.cos(u))
    close(g2["value"], 2 * k - np.sin(u))
    close(soft["grads"]["v"], [1 / 9, 1, 1 / 9])

    W, loss, noise = samples["13"]
    rng = np.random.default_rng(0)                      # --seed 0, reseeded for the file
    Wv = rng.standard_normal((3, 2)) * 0.1
    close(W["value"], Wv)
    x = np.array([1.0, -1.0, 0.5])
    close(loss["value"], np.tanh(x @ Wv).sum())
    close(loss["grads"]["x"], Wv @ (1 - np.tanh(x @ Wv) ** 2))
    close(noise["value"], rng.random(3).mean())


def test_sample_losses_special_functions_and_gathers_match_pytorch(samples):
    """14-16: cross_entropy with label smoothing, a gamma likelihood with
    lgamma/digamma, and picks with repeated indices, against PyTorch's
    numbers (tests/data/make_sample_refs.py)."""
    torch = json.loads((DATA / "samples_torch.json").read_text())
    for number, extra in (("14", 1), ("15", 1), ("16", 0)):
        records = samples[number]
        assert len(records) == len(torch[number]) + extra
        for rec, want in zip(records, torch[number]):
            close(rec["value"], want["value"])
            for name, g in want.get("grads", {}).items():
                close(rec["grads"][name], g)
    *_, per_sample, by_hand = samples["14"]
    close(by_hand["value"], np.mean(per_sample["value"]))   # no smoothing: the mean of the 'none' losses
    assert set(samples["14"][0]["grads"]) == {"logits"}      # class indices are data
    loglik, score, curvature = samples["15"]
    close(loglik["grads"]["a"], score["value"])              # lgamma' = digamma
    # -n·polygamma(1, 2) = -6·(π²/6 - 1) exactly; PyTorch's trigamma is 4e-10 off (README)
    close(curvature["value"], -(math.pi ** 2 - 6))
    close(score["grads"]["a"], -(math.pi ** 2 - 6))


def test_sample_gaussian_process_attention_and_cnn_match_pytorch(samples):
    """17-19: a Gaussian process likelihood through cholesky/solve/logdet, an
    attention head with einsum and softmax, and a small CNN's loss, against
    PyTorch's numbers (tests/data/make_sample_refs.py)."""
    torch = json.loads((DATA / "samples_torch.json").read_text())
    for number in ("17", "18", "19"):
        records = samples[number]
        assert len(records) == len(torch[number])
        for rec, want in zip(records, torch[number]):
            close(rec["value"], want["value"], tol=1e-10)
            assert set(rec["grads"]) == set(want["grads"])
            for name, g in want["grads"].items():
                close(rec["grads"][name], g, tol=1e-10)


# ---- Dask: last, because a cluster leaves threads behind in this process
def test_dask_scheduler_runs_the_same_work(cli, tmp_path):
    pytest.importorskip("distributed")
    from distributed import LocalCluster
    _random_batch(tmp_path, 8)
    write(tmp_path, "zz_bad.grad", "x = ones(2)\nx @ ones(3)\n")
    local = cli("run", str(tmp_path), "--jsonl", "--jobs", "1")
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster:
        remote = cli("run", str(tmp_path), "--jsonl", "--scheduler", cluster.scheduler_address)
    assert remote.code == local.code == 1
    assert remote.out == local.out
    assert len(jsonl(remote.out)) == 8 * 2 + 1


def test_an_unreachable_scheduler_is_a_clear_error(cli, tmp_path, monkeypatch):
    pytest.importorskip("distributed")
    from gradcli.batch import pool
    monkeypatch.setattr(pool, "CONNECT_SECONDS", 1)
    f = write(tmp_path, "a.grad", "1\n")
    r = cli("run", str(f), "--scheduler", "tcp://127.0.0.1:1", "--json")
    assert r.code == 1 and "cannot reach the Dask scheduler" in r.err
    assert "error" in r.json()


def test_compare_matches_a_file_however_its_path_is_spelled(cli, tmp_path, monkeypatch):
    """./samples/x.grad and samples/x.grad are one file (issue 15)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "samples").mkdir()
    write(tmp_path / "samples", "x.grad", "x = [1.0, 2.0]\nsum(x^2)\n")
    assert cli("run", "samples/x.grad", "--output", "expected.jsonl").code == 0
    r = cli("run", "./samples/x.grad", "--compare", "expected.jsonl", "--json")
    assert r.code == 0 and r.json()["drifts"] == [] and r.json()["summary"]["compared"] == 1


@pytest.mark.parametrize("address, says", [("not an address", "not a scheduler's address"),
                                           ("ucx://127.0.0.1:1", "over tcp:// or tls://")])
def test_a_bad_scheduler_address_fails_fast_and_cleanly(cli, tmp_path, address, says):
    """Issue 15 and 18: no Dask traceback 30 s later, no internal error."""
    f = write(tmp_path, "a.grad", "1 + 1\n")
    r = cli("run", str(f), "--scheduler", address)
    assert r.code == 2 and says in r.err and "Traceback" not in r.err


def test_an_unreadable_directory_is_a_record_not_silence(cli, tmp_path, monkeypatch):
    """Issue 18 (a stand-in: root reads every directory, so os.walk's error is made to happen)."""
    import os
    write(tmp_path, "a.grad", "1 + 1\n")
    (tmp_path / "locked").mkdir()
    real = os.walk

    def walk(top, onerror=None, **kw):
        onerror(PermissionError(13, "Permission denied", str(tmp_path / "locked")))
        yield from real(top, onerror=onerror, **kw)
    monkeypatch.setattr(os, "walk", walk)
    r = cli("run", str(tmp_path), "--jsonl")
    records = jsonl(r.out)
    assert r.code == 1 and records[0]["value"] == 2.0
    assert records[1]["file"].endswith("locked") and "cannot read this directory" in records[1]["error"]["message"]


@pytest.mark.parametrize("record, says", [
    ('"value": "abc"', "its 'value': the string 'abc' is not a number"),
    ('"value": 2.0, "source": ["x*2"]', "its 'source' is not what a --jsonl record holds"),
    ('"value": NaN', "NaN is not JSON"),
    ('"value": 2.0, "grads": {"x": [null]}', "its gradient of 'x': null at [0] is not a number"),
])
def test_a_malformed_compare_file_is_one_message(cli, tmp_path, record, says):
    """Issue 18: --compare files are checked record by record; exit 2, never an internal error."""
    (tmp_path / "p.grad").write_text("x = 1\nx*2\n")
    (tmp_path / "e.jsonl").write_text('{"file": "%s", "line": 2, "source": "x*2", %s}\n'
                                      % (tmp_path / "p.grad", record))
    r = cli("run", str(tmp_path / "p.grad"), "--compare", str(tmp_path / "e.jsonl"), "--json")
    assert r.code == 2 and says in r.err and "internal" not in r.err + r.out, r.err
    assert json.loads(r.out)["error"]["kind"] == "input_file"


def test_a_fifo_found_in_a_directory_is_one_record_not_a_hang(cli, tmp_path):
    """Issue 18: a FIFO named like a program, met while walking a directory, is read neither forever nor never."""
    import os
    (tmp_path / "a.grad").write_text("x = 1\nx*2\n")
    os.mkfifo(tmp_path / "b.grad")
    r = cli("run", str(tmp_path), "--jsonl")
    records = [json.loads(line) for line in r.out.splitlines()]
    assert r.code == 1 and [rec["file"] for rec in records] == [str(tmp_path / "a.grad"), str(tmp_path / "b.grad")]
    assert "not a regular file" in records[1]["error"]["message"]
