"""SPEC section 2, output: `grad --output FILE.npz` writes the value and the
gradients (and the Hessian) as named arrays instead of printing their numbers;
a sweep's --output reports itself the same way. The file's name is checked
before any work; a write that fails says so, in one line, and keeps what the
terminal shows. Whole processes leave without the interpreter's teardown
(edge.leave): the file, stdout and the exit code must not suffer for it."""
from __future__ import annotations

import errno
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from gradcli.render.format import number

MM = ("sum(tanh(A @ B))", "--at", "A=[[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]",
      "--at", "B=[[0.3, 0.8], [-0.6, 1.1], [0.2, -0.4]]")


# ---- grad --output FILE.npz
def test_the_file_holds_what_json_prints(cli, tmp_path):
    out = tmp_path / "r.npz"
    printed = cli("grad", *MM, "--json").json()
    r = cli("grad", *MM, "--output", str(out))
    assert r.code == 0, r.err
    saved = np.load(out)
    assert sorted(saved.files) == ["grad_A", "grad_B", "value"]
    np.testing.assert_array_equal(saved["value"], printed["value"])
    for name in ("A", "B"):
        np.testing.assert_array_equal(saved[f"grad_{name}"], printed["grads"][name])
    assert saved["grad_A"].shape == (2, 3) and saved["grad_B"].shape == (3, 2)


def test_the_terminal_shows_the_value_and_the_files_shapes_not_the_gradients(cli, tmp_path):
    out = tmp_path / "r.npz"
    r = cli("grad", *MM, "--output", str(out))
    value = number(np.load(out)["value"])
    assert r.out.splitlines() == [f"value  {value}  () float64",
                                  f"written to {out}: value (), grad_A (2, 3), grad_B (3, 2)"]


def test_json_with_output_is_small_and_names_the_file(cli, tmp_path):
    out = tmp_path / "r.npz"
    doc = cli("grad", *MM, "--output", str(out), "--json").json()
    assert doc == {"program": MM[0], "value": float(np.load(out)["value"]), "shape": [], "dtype": "float64",
                   "output": str(out), "shapes": {"value": [], "grad_A": [2, 3], "grad_B": [3, 2]}}


def test_wrt_float32_and_an_intermediate_keep_their_names_and_dtype(cli, tmp_path):
    out = tmp_path / "r.npz"
    r = cli("grad", "z = 4*x*x; norm(z)", "--at", "x=[1, 2]", "--wrt", "z", "--dtype", "float32",
            "--output", str(out))
    assert r.code == 0, r.err
    saved = np.load(out)
    assert sorted(saved.files) == ["grad_z", "value"] and saved["grad_z"].dtype == np.float32
    np.testing.assert_allclose(saved["grad_z"], np.array([4, 16]) / np.hypot(4, 16), rtol=1e-6)


def test_hessian_goes_to_the_file_with_its_eigenvalues(cli, tmp_path):
    out = tmp_path / "h.npz"
    args = ("grad", "sum(x^3) + x[0]*y", "--at", "x=[1, 2]", "--at", "y=3", "--hessian")
    printed = cli(*args, "--json").json()
    doc = cli(*args, "--output", str(out), "--json").json()
    saved = np.load(out)
    np.testing.assert_array_equal(saved["hessian"], printed["hessian"]["matrix"])
    np.testing.assert_array_equal(saved["eigenvalues"], printed["hessian"]["eigenvalues"])
    assert doc["shapes"]["hessian"] == [3, 3] and "matrix" not in doc["hessian"]
    assert doc["hessian"]["kind"] == printed["hessian"]["kind"]
    shown = cli(*args, "--output", str(out)).out
    assert "hessian (3, 3), eigenvalues (3,)" in shown and "not a critical point" in shown


def test_an_upper_case_suffix_is_the_file_written(cli, tmp_path):
    """numpy.savez given a name would write R.NPZ.npz."""
    assert cli("grad", *MM, "--output", str(tmp_path / "R.NPZ")).code == 0
    assert os.listdir(tmp_path) == ["R.NPZ"]


# ---- mistakes: refused before any work, one line, exit 2
@pytest.mark.parametrize("name, says", [
    ("r.npy", "a grad result, several arrays (the value and each gradient), is written as .npz"),
    ("r.csv", "is written as .npz"),
    ("r", "is written as .npz"),
    ("no/such/r.npz", "no folder"),
    ("folder.npz", "that is a folder"),
])
def test_a_bad_name_is_refused_before_the_program_runs(cli, tmp_path, name, says):
    (tmp_path / "folder.npz").mkdir()
    # The program fails with exit 1 when it runs: a 2 shows the name was refused first.
    r = cli("grad", "sum(x + [1, 2, 3])", "--at", "x=[1, 2]", "--output", str(tmp_path / name))
    assert r.code == 2 and says in r.err and "Traceback" not in r.err
    assert len(r.err.strip().splitlines()) <= 3 and os.listdir(tmp_path) == ["folder.npz"]
    doc = cli("grad", "sum(x)", "--at", "x=[1, 2]", "--output", str(tmp_path / name), "--json").json()
    assert doc["error"]["kind"] == "usage" and says in doc["error"]["message"]


def test_npy_names_npz_in_its_hint(cli, tmp_path):
    r = cli("grad", *MM, "--output", str(tmp_path / "r.npy"))
    assert f"name it {tmp_path / 'r'}.npz" in r.err


def test_options_that_draw_the_graph_are_refused_with_output(cli, tmp_path):
    for option in ("--grads", "--full", "--depth=2"):
        r = cli("grad", *MM, option, "--output", str(tmp_path / "r.npz"))
        assert r.code == 2 and "which --output does not show" in r.err


def test_a_write_that_fails_keeps_the_value_and_leaves_no_half_file(cli, tmp_path, monkeypatch):
    def full_disk(fh, **arrays):
        fh.write(b"PK half")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    monkeypatch.setattr(np, "savez", full_disk)
    out = tmp_path / "r.npz"
    r = cli("grad", "sum(x*x)", "--at", "x=[1, 2]", "--output", str(out))
    assert r.code == 2 and r.out.startswith("value  5  () float64")
    assert f"--output {out}: No space left on device" in r.err and not out.exists()
    assert cli("grad", "sum(x*x)", "--at", "x=[1, 2]", "--output", str(out), "--json").json()["error"]["kind"] \
        == "usage"


def test_a_gradient_that_fails_writes_no_file(cli, tmp_path):
    out = tmp_path / "r.npz"
    r = cli("grad", "x * 2", "--at", "x=[1, 2]", "--output", str(out))
    assert r.code == 1 and "needs a scalar" in r.err and not out.exists()


# ---- sweeps report a file the same way
def test_a_sweeps_json_with_output_is_small_too(cli, tmp_path):
    args = ("grad", "sin(x)*x", "--at", "x=linspace(-3, 3, 101)", "--sweep", "x")
    full = cli(*args, "--json").json()
    doc = cli(*args, "--output", str(tmp_path / "s.npz"), "--json").json()
    assert doc["output"] == str(tmp_path / "s.npz") and "value" not in doc and "grads" not in doc
    assert doc["shapes"] == {"value": [101], "grad_x": [101], "at_x": [101]} and doc["points"] == 101
    saved = np.load(tmp_path / "s.npz")
    np.testing.assert_array_equal(saved["grad_x"], full["grads"]["x"])
    doc = cli(*args, "--output", str(tmp_path / "S.CSV"), "--json").json()
    assert doc["columns"] == ["x", "value", "d_x"] and os.path.exists(tmp_path / "S.CSV")


def test_a_sweeps_bad_folder_is_refused_before_it_runs(cli, tmp_path):
    r = cli("grad", "x + [1, 2, 3]", "--at", "x=[[1, 2]]", "--sweep", "x", "--output", str(tmp_path / "no" / "s.csv"))
    assert r.code == 2 and "no folder" in r.err


# ---- whole processes (the console script leaves through edge.leave)
def _gradcli(*args, code="from gradcli.cli import main; main()"):
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("PYTHONUNBUFFERED", None)       # stdout buffered: leave() must flush it
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60, env=env)


def test_a_whole_process_writes_a_complete_file_and_flushes_stdout(tmp_path):
    out = tmp_path / "r.npz"
    p = _gradcli("grad", *MM, "--output", str(out), "--json")
    assert p.returncode == 0 and p.stderr == ""
    assert json.loads(p.stdout)["shapes"]["grad_A"] == [2, 3] and np.load(out)["grad_B"].shape == (3, 2)


def test_a_whole_process_keeps_its_exit_code_and_runs_atexit_handlers(tmp_path):
    code = "import atexit; atexit.register(print, 'atexit ran'); from gradcli.cli import main; main()"
    p = _gradcli("grad", "sum(x)", "--at", "x=1", "--output", str(tmp_path / "r.npy"), code=code)
    assert p.returncode == 2 and "is written as .npz" in p.stderr and p.stdout == "atexit ran\n"
    p = _gradcli("grad", "x * 2", "--at", "x=[1, 2]", code=code)
    assert p.returncode == 1 and p.stdout.startswith("value  [2, 4]") and p.stdout.endswith("atexit ran\n")
