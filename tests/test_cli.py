"""SPEC section 2: commands, options, output, exit codes. Visible output is
pinned by golden files (no color, 100 columns); regenerate them with
GRADCLI_UPDATE_GOLDEN=1 after a deliberate change, and read the diff."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradcli
from gradcli.errors import UsageError
from tests.conftest import DATA

GOLDEN = DATA / "golden"
TUTORIAL = "x = ones(2); z = 4*x*x; y = z.norm(); y"
TUTORIAL_MM = ('L = mean(sin(mm(x1, x2) + x2)); L', "--at", "x1=[[0.5, -1.0], [1.5, 0.25]]",
               "--at", "x2=[[0.3, 0.8], [-0.6, 1.1]]")


def golden(name: str, text: str) -> None:
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("GRADCLI_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert text == path.read_text(), f"output differs from {path}"


# ---- grad and eval
def test_tutorial_grad_display(cli):
    r = cli("grad", TUTORIAL)
    assert r.code == 0
    golden("grad_tutorial", r.out)
    assert "5.6569" in r.out and "z = mul" in r.out and "↑ x" in r.out


def test_tutorial_mm_display(cli):
    r = cli("grad", *TUTORIAL_MM)
    assert r.code == 0
    golden("grad_tutorial_mm", r.out)


def test_grad_json_is_the_spec_document(cli):
    r = cli("grad", "norm(4*x*x)", "--at", "x=ones(2)", "--json")
    assert r.code == 0
    doc = r.json()
    assert list(doc) == ["program", "value", "shape", "dtype", "grads"]
    assert doc["program"] == "norm(4*x*x)" and doc["shape"] == [] and doc["dtype"] == "float64"
    assert doc["value"] == 5.656854249492381
    np.testing.assert_allclose(doc["grads"]["x"], [5.656854249492381] * 2, rtol=1e-15)   # PyTorch: ...238


def test_eval_json_has_no_grads_and_encodes_non_finite_numbers(cli):
    r = cli("eval", "log(x)", "--at", "x=[0, -1, 1]", "--json")
    assert r.code == 0
    assert r.json()["value"] == ["-inf", "nan", 0.0]
    assert "grads" not in r.json()
    assert "warning: log" in r.err


def test_tutorial_with_rand_inputs_is_reproducible(cli):
    args = ("grad", "mean(sin(mm(x1, x2) + x2))", "--at", "x1=rand(2,2)", "--at", "x2=rand(2,2)", "--json")
    a, b, c = cli(*args, "--seed", "3"), cli(*args, "--seed", "3"), cli(*args, "--seed", "4")
    assert a.json() == b.json() and a.json()["value"] != c.json()["value"]


def test_program_from_stdin_and_from_file(cli, tmp_path):
    assert cli("eval", "-", "--json", input="x = 2\nx * 3\n").json()["value"] == 6
    f = tmp_path / "p.grad"
    f.write_text("# a file\ny = 5\ny^2\n")
    assert cli("eval", "-f", str(f), "--json").json()["value"] == 25


def test_program_starting_with_a_dash_after_double_dash(cli):
    assert cli("eval", "--", "-mean(x)", "--at", "x=[1,2]", "--json").json()["value"] == -1.5
    r = cli("eval", "-mean(x)", "--at", "x=[1,2]")
    assert r.code == 2 and "--" in r.err


def test_precision_and_dtype(cli):
    r = cli("eval", "pi", "--precision", "8")
    assert "3.14159265" in r.out
    assert cli("eval", "x", "--at", "x=[1,2]", "--dtype", "float32", "--json").json()["dtype"] == "float32"


@pytest.mark.parametrize("case", json.loads((DATA / "float32_torch.json").read_text()),
                         ids=lambda c: c["program"])
def test_float32_agrees_with_pytorch(cli, case):
    at = [a for k, v in case["at"].items() for a in ("--at", f"{k}={v}")]
    doc = cli("grad", case["program"], *at, "--dtype", "float32", "--json").json()
    assert doc["dtype"] == "float32"
    np.testing.assert_allclose(doc["value"], case["value"], rtol=2e-6, atol=2e-6)
    for k, g in case["grads"].items():
        np.testing.assert_allclose(doc["grads"][k], g, rtol=2e-5, atol=2e-6, err_msg=k)


# ---- inputs from files
def test_inputs_from_npy_csv_txt_json(cli, tmp_path):
    np.save(tmp_path / "w.npy", np.array([[1.0, 2.0], [3.0, 4.0]]))
    (tmp_path / "w.csv").write_text("1,2\n3,4\n")
    (tmp_path / "w.txt").write_text("1 2\n3 4\n")
    (tmp_path / "w.json").write_text("[[1, 2], [3, 4]]")
    for ext in ("npy", "csv", "txt", "json"):
        r = cli("eval", "sum(w * w)", "--at", f"w=@{tmp_path / ('w.' + ext)}", "--json")
        assert r.code == 0 and r.json()["value"] == 30, ext


def test_pickled_npy_is_refused(cli, tmp_path):
    np.save(tmp_path / "o.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    r = cli("eval", "sum(w)", "--at", f"w=@{tmp_path / 'o.npy'}")
    assert r.code == 2 and "o.npy" in r.err and "Traceback" not in r.err


@pytest.mark.parametrize("name, content", [("missing.npy", None), ("bad.json", "[1, 2"), ("bad.csv", "1,a\n"),
                                           ("x.bin", "1")])
def test_bad_input_files_are_one_clear_error(cli, tmp_path, name, content):
    if content is not None:
        (tmp_path / name).write_text(content)
    r = cli("eval", "sum(w)", "--at", f"w=@{tmp_path / name}")
    assert r.code == 2 and name in r.err and r.err.count("error:") == 1


# ---- errors
def test_syntax_error_golden(cli):
    r = cli("grad", "norm(4*x*x", "--at", "x=ones(2)")
    assert r.code == 2 and r.out == ""
    golden("error_unclosed", r.err)


def test_expected_an_expression_after_an_operator(cli):
    r = cli("eval", "1 + * 2")
    assert r.code == 2 and "expected an expression after '+'" in r.err


def test_shape_mismatch_names_the_operation_shapes_and_span(cli):
    r = cli("eval", "y = x + 1\nsum(y @ w)", "--at", "x=ones(3)", "--at", "w=ones((2,2))")
    assert r.code == 1
    assert "matmul" in r.err and "(3,)" in r.err and "(2, 2)" in r.err and "program:2:5" in r.err


def test_json_error_document(cli):
    r = cli("eval", "sum(zz)", "--json")
    assert r.code == 2
    err = r.json()["error"]
    assert err["kind"] == "unknown_name" and (err["line"], err["column"]) == (1, 5)
    assert "error: 'zz' has no value" in r.err and "--at zz=" in err["hint"]


def test_a_name_with_no_value_says_how_to_bind_it(cli):
    r = cli("grad", "sum(x*x)")
    assert r.code == 2 and "'x' has no value" in r.err and "bind it with --at x=..." in r.err
    r = cli("grad", "sum(xx*x)", "--at", "x=1")
    assert r.code == 2 and "did you mean 'x'" in r.err
    with pytest.raises(gradcli.errors.UnknownNameError) as e:
        gradcli.grad("sum(x*x)")
    assert "gradcli.grad(program, x=...)" in e.value.hint


def test_gradient_of_a_non_scalar_says_shape_and_suggests(cli):
    r = cli("grad", "x * 2", "--at", "x=[1, 2]")
    assert r.code == 1 and "(2,)" in r.err and "jacobian" in r.err


def test_bad_option_and_missing_program(cli):
    assert cli("grad", "x", "--bogus").code == 2
    r = cli("grad")
    assert r.code == 2 and "no program" in r.err


# ---- check
def test_check_agrees(cli):
    r = cli("check", "sum(sin(x)*x)", "--at", "x=[0.3, 1.2]")
    assert r.code == 0 and "agree" in r.out


def test_check_at_a_kink_fails_and_explains(cli):
    r = cli("check", "relu(x)", "--at", "x=0")
    assert r.code == 1
    assert "kink" in r.err and "relu'(0) = 0" in " ".join(r.err.split())     # the hint is wrapped


def test_check_json(cli):
    doc = cli("check", "sum(x^2)", "--at", "x=[1, 2]", "--json").json()
    assert doc["ok"] is True and doc["inputs"]["x"]["abs_err"] < 1e-6


# ---- graph
def test_graph_dot_is_valid_graphviz(cli):
    pydot = pytest.importorskip("pydot")
    r = cli("graph", "x = ones(2); z = 4*x*x; norm(z)", "--format", "dot", "--grads")
    assert r.code == 0
    [g] = pydot.graph_from_dot_data(r.out)
    labels = [n.get_label() for n in g.get_nodes() if n.get_label()]
    assert any("z = mul" in label for label in labels)
    assert len(g.get_edges()) == 5


def test_graph_json_lists_nodes_and_edges(cli):
    doc = cli("graph", "y = sum(x^3); g = grad(y, x); sum(g) + y", "--at", "x=[1, 2]", "--format", "json").json()
    kinds = {n["kind"] for n in doc["nodes"]}
    assert {"input", "intermediate", "op"} <= kinds
    assert any("scope" in n for n in doc["nodes"])           # the grad() call's own nodes, unfolded
    ids = {n["id"] for n in doc["nodes"]}
    assert all(e["from"] in ids and e["to"] in ids for e in doc["edges"]) and doc["root"] in ids


def test_graph_tree_folds_a_grad_call(cli):
    r = cli("graph", "y = sum(x^3); g = grad(y, x); sum(g)", "--at", "x=[1, 2]")
    assert "g = grad(y, x)" in r.out and "mul" not in r.out.split("g = grad")[1].split("\n")[0]


def test_big_graph_prints_a_bounded_tree(cli):
    program = "x0 = 0.5\n" + "\n".join(f"x{i} = sin(x{i-1})" for i in range(1, 2001)) + "\nx2000"
    r = cli("graph", "-", input=program)
    assert r.code == 0 and len(r.out.splitlines()) < 80 and "more node" in r.out
    full = cli("graph", "-", "--full", input=program)
    assert len(full.out.splitlines()) == 2001 and "x1 = sin" in full.out and "<- #0" in full.out


# ---- listing, version, colors, the real script
def test_functions_lists_every_builtin(cli):
    """Every builtin with its signature and doc (a long signature may fold at the
    terminal's width; the JSON has each whole)."""
    from gradcli.ops import BUILTINS
    r = cli("functions")
    assert r.code == 0
    flat = " ".join(r.out.split())
    assert [op.name for op in BUILTINS.values() if " ".join(op.doc.split()[:3]) not in flat] == []
    listed = {d["name"]: d["signature"] for d in json.loads(cli("functions", "--json").out)}
    assert listed == {name: op.signature() for name, op in BUILTINS.items()}
    assert "sum(x, axis=None, keepdims=False)" in cli("functions", "sum").out


def test_version_reports_backends(cli):
    r = cli("--version")
    assert r.code == 0 and "cpu: numpy" in r.out and "cuda" in r.out


def test_help_shows_examples(cli):
    assert "Examples:" in cli("--help").out
    assert "Examples:" in cli("grad", "--help").out and "--sweep x" in cli("grad", "--help").out


def test_installed_script_no_escape_codes_when_piped():
    env = dict(os.environ)
    env.pop("NO_COLOR", None)
    p = subprocess.run([sys.executable, "-m", "gradcli", "grad", TUTORIAL], capture_output=True, text=True,
                       env=env, timeout=60)
    assert p.returncode == 0 and "\x1b[" not in p.stdout and "5.6569" in p.stdout
    p = subprocess.run([sys.executable, "-m", "gradcli", "eval", "sum(zz)"], capture_output=True, text=True,
                       env=env, timeout=60)
    assert p.returncode == 2 and "Traceback" not in p.stderr and "did you mean" not in p.stdout


@pytest.mark.parametrize("args", ["eval 'arange(1000)' --json", "functions"])
def test_broken_pipe_is_silent(args):
    """The reader is gone before the first byte (`| true`), so every write
    meets the closed pipe, for JSON and for rich's display alike."""
    script = f"{sys.executable} -m gradcli {args} | true; exit ${{PIPESTATUS[0]}}"
    p = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and p.stderr == ""


def test_lazily_imported_commands_exist_under_their_names():
    import click

    from gradcli.cli import main
    ctx = click.Context(main)
    for name in main.lazy:
        assert main.get_command(ctx, name).name == name


def test_a_warning_met_by_a_gradient_rule_names_its_op_and_place(cli, tmp_path):
    """sqrt's rule divides by 2·sqrt(0): the warning is sqrt's gradient, at
    sqrt(x) on line 2, not a 'div' the user never wrote at the last line."""
    program = tmp_path / "p.grad"
    program.write_text("x = 0.0\ny = sqrt(x)\nz = y * 2\nz + 1\n")
    r = cli("grad", "-f", str(program))
    assert r.code == 0
    assert r.err.splitlines()[:4] == [
        "warning: the gradient of sqrt: division by zero (the result has inf)",
        f" --> {program}:2:5", " 2 | y = sqrt(x)", "   |     ^^^^^^^"]
    assert r.err.count("warning:") == 1


@pytest.mark.parametrize("program, at, op", [("sqrt(x)", "x=0", "sqrt"), ("sum(log(x))", "x=[0, 1]", "log"),
                                             ("sum(x^0.5)", "x=[0, 1]", "pow")])
def test_every_warning_names_an_op_of_the_program(cli, program, at, op):
    r = cli("grad", program, "--at", at)
    assert r.code == 0 and f"warning: the gradient of {op}: division by zero" in r.err, r.err
    assert "warning: div" not in r.err and "of div" not in r.err


def test_a_negative_seed_is_a_usage_error(cli):
    r = cli("eval", "rand(2)", "--seed", "-1")
    assert r.code == 2 and "--seed" in r.err and "Traceback" not in r.err
    with pytest.raises(UsageError):
        gradcli.evaluate("rand(2)", seed=-1)


def test_a_first_word_that_is_no_command_is_a_program(cli):
    """SPEC: `gradcli PROGRAM ...` is `gradcli grad PROGRAM ...`; a mistyped command stays one."""
    r = cli("norm(4*x*x)", "--at", "x=ones(2)", "--json")
    assert r.code == 0 and r.json()["grads"]["x"] == pytest.approx([32 ** 0.5] * 2)
    r = cli("grd", "x")
    assert r.code == 2 and "Did you mean 'grad'" in r.err


def test_bare_gradcli_reads_a_piped_program():
    p = subprocess.run([sys.executable, "-m", "gradcli"], input="x = 2\nx * 3\n", capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0 and p.stdout.strip() == "6"


def test_the_piped_repl_stops_quietly_at_a_closed_pipe():
    script = f"printf 'x = ones(2)\\n:grad sum(x*x)\\n' | {sys.executable} -m gradcli | true; exit ${{PIPESTATUS[1]}}"
    p = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and p.stderr == ""


def test_an_input_the_program_never_reads_is_a_warning(cli):
    r = cli("grad", "sum(x*x)", "--at", "X=1", "--at", "x=2")
    assert r.code == 0 and "warning: --at X: the program never reads 'X' — did you mean 'x'?" in r.err
    assert "warning" not in cli("grad", "x = ones(2); sum(x)", "--at", "x=[3, 4]").err


def test_grad_json_carries_warnings_as_run_jsonl_does(cli):
    doc = cli("grad", "sum(log(x))", "--at", "x=[0, 1]", "--json").json()
    assert doc["warnings"] == ["log: division by zero (the result has inf)",
                               "the gradient of log: division by zero (the result has inf)"]
    assert "warnings" not in cli("grad", "sum(x)", "--at", "x=[0, 1]", "--json").json()


def test_complex_npy_and_empty_csv_are_clear_errors(cli, tmp_path):
    np.save(tmp_path / "c.npy", np.array([1 + 2j]))
    (tmp_path / "e.csv").write_text("")
    r = cli("eval", "x", "--at", f"x=@{tmp_path / 'c.npy'}")
    assert r.code == 2 and "holds complex numbers" in r.err and "Warning" not in r.err
    r = cli("eval", "x", "--at", f"x=@{tmp_path / 'e.csv'}")
    assert r.code == 2 and "holds no numbers" in r.err and "Warning" not in r.err


@pytest.mark.parametrize("args, says", [
    (["grad", "x", "=", "ones(2)"], 'quote it, gradcli grad "x = ones(2)"'),
    (["grad", "sum(x)", "--at", "x=[1,", "2]"], 'the shell split --at x=[1, at a space: quote it, --at "x=[1, 2]"'),
    (["grad", "sum(x)", "--at", "x=[1, 2"], "its brackets do not close"),
])
def test_a_program_the_shell_split_says_to_quote_it(cli, args, says):
    r = cli(*args)
    assert r.code == 2 and says in " ".join(r.err.split()), r.err       # a long hint is wrapped


@pytest.mark.parametrize("program, says", [
    ("torch.ones(2)", "drop the prefix"),
    ("np.linalg.norm(x)", "'np.' is not needed in gradcli"),
    ("x = ones(2, requires_grad=True); sum(x)", "every input gets a gradient in gradcli"),
    ("y = sum(x * x); y.backward()", "gradcli differentiates for you"),
    ("x.grad", "gradcli grad PROGRAM reports the gradient of every input it reads"),
    ("sum(x).item()", "drop .item()"),
    ("sum(x).detach()", "drop .detach()"),
])
def test_pytorch_spellings_get_one_helpful_sentence(cli, program, says):
    """What a reader of the PyTorch autograd tutorial types (issue 15)."""
    r = cli("grad", program, "--at", "y=1" if program.startswith("x =") else "x=[1, 2]")
    assert r.code == 2 and says in " ".join(r.err.split()) and "Traceback" not in r.err, r.err


def test_shell_completion_of_builtins_and_files():
    """Issue 15: `gradcli functions so<Tab>` and `gradcli run sam<Tab>` (click's shell completion)."""
    from click.shell_completion import ShellComplete

    from gradcli.cli import main
    complete = ShellComplete(main, {}, "gradcli", "_GRADCLI_COMPLETE").get_completions
    assert [c.value for c in complete(["functions"], "softp")] == ["softplus"]
    assert "softmax" in [c.value for c in complete(["functions"], "so")]
    assert [c.type for c in complete(["run"], "sam")] == ["file"]
    assert [c.value for c in complete([], "ex")] == ["explain"]


# ---- issue 18, class 4 and 7: small things that were internal errors or silent
def test_an_overflowing_number_is_named_and_placed(cli):
    r = cli("eval", "y = sin(2); x = 1e39; x", "--dtype", "float32")
    assert r.code == 0 and "warning: a number: overflow" in r.err and "program:1:17" in r.err


@pytest.mark.parametrize("args", [["check", "x*2", "--at", "x=1", "--tol", "nan"],
                                  ["check", "x*2", "--at", "x=1", "--tol", "-1"],
                                  ["run", "nothing.grad", "--rtol", "nan"]])
def test_a_tolerance_is_a_finite_number_at_least_0(cli, args):
    r = cli(*args)
    assert r.code == 2 and "is not a tolerance" in r.err


def test_digits_are_ascii_and_a_none_input_is_an_error(cli):
    r = cli("eval", "ones(٣)")
    assert r.code == 2 and "unexpected character" in r.err
    with pytest.raises(UsageError):
        gradcli.grad("x * 2", x=None)


def test_a_byte_order_mark_is_dropped_by_f_as_by_run(cli, tmp_path):
    path = tmp_path / "bom.grad"
    path.write_bytes(b"\xef\xbb\xbfx = 2\nx * 3\n")
    assert cli("eval", "-f", str(path), "--json").json()["value"] == 6
    assert cli("run", str(path), "--jsonl").code == 0


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize("args", [["eval", "x*2", "--at", "x=1", "--json"], ["grad", "x*2", "--at", "x=1"]])
def test_a_full_output_is_one_clear_error(args):
    """Issue 18: a failing stdout is named on stderr, and nothing fails again trying to write to it."""
    with open("/dev/full", "w") as full:
        p = subprocess.run([sys.executable, "-m", "gradcli", *args], stdout=full, stderr=subprocess.PIPE,
                           text=True, timeout=60)
    assert p.returncode == 1 and p.stderr.strip() == "error: cannot write the output: No space left on device"


def test_an_ascii_terminal_gets_question_marks_not_an_error():
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    p = subprocess.run([sys.executable, "-m", "gradcli", "grad", "sum(x*x)", "--at", "x=[1, 2]"],
                       capture_output=True, text=True, timeout=60, env=env)
    assert p.returncode == 0 and "?/?x   [2, 4]" in p.stdout and p.stderr == ""


def test_user_text_cannot_reach_the_terminal_as_escape_sequences(cli, tmp_path):
    """Issue 18, class 5: a program, a file name or an argument with ESC sequences is shown, not obeyed."""
    path = tmp_path / "e\x1b[2Jvil.grad"
    path.write_text("x = 1\ny = x \x1b]0;owned\x1b\\ + 1\n")
    for r in (cli("eval", "-f", str(path)), cli("functions", "so\x1b[2J"), cli("run", str(path))):
        shown = r.out + r.err
        assert "\x1b" not in shown and "\\x1b" in shown, shown


def test_non_regular_files_are_one_clear_error_each(cli, tmp_path):
    """Issue 18: a FIFO or a device would hang or never end; each is one clear error (a record in a batch)."""
    fifo = tmp_path / "f.npy"
    os.mkfifo(fifo)
    good = tmp_path / "b.grad"
    good.write_text("x = 2\nx\n")
    for r in (cli("eval", "-f", str(fifo)), cli("eval", "x", "--at", f"x=@{fifo}")):
        assert r.code == 2 and "not a regular file" in r.err
    r = cli("run", str(good), "/dev/zero", str(fifo), "--jsonl")
    records = [json.loads(line) for line in r.out.splitlines()]
    assert r.code == 1 and [rec.get("value") for rec in records] == [2.0, None, None]
    assert all("not a regular file" in rec["error"]["message"] for rec in records[1:])


def test_an_interrupt_under_json_still_prints_one_document(capsys):
    """Issue 18: SIGINT during grad --json exits 130 with the JSON error document on stdout."""
    from gradcli.edge import Options, boundary

    def work():
        raise KeyboardInterrupt
    with pytest.raises(SystemExit) as e:
        boundary(Options(json=True, no_color=True), work)
    assert e.value.code == 130 and json.loads(capsys.readouterr().out)["error"]["kind"] == "interrupted"


# ---- layout at 80 columns (issue 15): arrays abbreviated to fit, never broken inside a number
NARROW = {
    "narrow_check": ("check", "sum(x @ x) + sum(sin(w)*v)", "--at", "x=[[10, 20], [30, 4]]",
                     "--at", "w=linspace(0, 1, 12).reshape(3, 4)", "--at", "v=linspace(-1, 1, 12).reshape(3, 4)"),
    "narrow_run": ("run", "samples/03_logistic_regression.grad", "samples/04_two_layer_mlp.grad",
                   "samples/05_softmax_cross_entropy.grad"),
    "narrow_grad": ("grad", "L = mean(sin(mm(x1, x2) + x3)); L", "--at", "x1=linspace(-1, 1, 30).reshape(5, 6)",
                    "--at", "x2=linspace(0, 2, 36).reshape(6, 6)", "--at", "x3=linspace(2, 3, 30).reshape(5, 6)"),
    "narrow_help": ("--help",),
}


@pytest.mark.parametrize("name", NARROW)
def test_output_fits_80_columns(cli, monkeypatch, name):
    from pathlib import Path
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.chdir(Path(__file__).parent.parent)
    r = cli(*NARROW[name])
    assert r.code == 0, r.err
    import re
    text = "\n".join(re.sub(r" in \d+ ms$", "", line) for line in r.out.splitlines()
                     if not line.startswith("samples/"))        # the timings vary
    assert max(map(len, text.splitlines())) <= 80
    golden(name, text)


@settings(max_examples=200, deadline=None)
@given(shape=st.lists(st.integers(1, 7), min_size=1, max_size=3), width=st.integers(8, 60), seed=st.integers(0, 99))
def test_an_array_fit_to_a_width_breaks_between_numbers_only(shape, width, seed):
    import re

    from gradcli.render import format as fmt
    a = np.random.default_rng(seed).normal(scale=100, size=shape).round(3)
    lines = fmt.fit(a, width)
    tokens = [t for line in lines for t in re.split(r"[\[\],\s]+", line) if t]
    assert all(t == "..." or re.fullmatch(r"-?\d+(\.\d+)?", t) for t in tokens)       # whole numbers only
    shown = {float(t) for t in tokens if t != "..."}
    assert shown <= {float(fmt.number(v)) for v in a.ravel()}
    longest = max(len(fmt.number(v)) for v in a.ravel())
    if width >= longest + 2 * a.ndim + 5:         # room for one number, its brackets, ", ..."
        assert max(map(len, lines)) <= width


@pytest.mark.parametrize("args, says, code", [
    (("grad", "sum(x*x)", "--at", "X=1"), "'x' has no value", 2),
    (("grad", "sum(x*x)", "--at", "X=1"), "(--at X binds 'X': names are case-sensitive)", 2),
    (("eval", "[[1, 2], [3]]"), " 1 | [[1, 2], [3]]\n   |          ^^^", 1),
    (("eval", "2x", "--at", "x=1"), "expected an operator, found 'x'", 2),
    (("eval", "(1 2)"), "expected an operator, found '2'", 2),
    (("grad", "x", "--at", "x=1", "--seed", "-1"), "-1 is not a seed: a seed is a whole number, 0 or more", 2),
])
def test_a_newcomers_mistakes_read_plainly(cli, args, says, code):
    """From a tmux walk of the tutorial (issue 15): each answer says what to do, no more."""
    r = cli(*args)
    assert r.code == code and (says in r.err or says in " ".join(r.err.split())), r.err     # a hint may wrap
    assert "did you mean 'X'" not in r.err and "'(', ')'" not in r.err


def test_a_star_the_shell_expanded_into_file_names_is_quoted_back(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("data.csv", "notes.txt"):
        (tmp_path / name).write_text("")
    r = cli("grad", "x", "data.csv", "notes.txt", "2")          # what `gradcli grad x * 2` arrives as
    assert r.code == 2 and 'quote it, gradcli grad "x * 2"' in " ".join(r.err.split()), r.err


@pytest.mark.parametrize("name, content, says", [
    ("e.npy", b"", "not a .npy array"),
    ("n.json", b"[null, 1]", "null at [0] is not a number"),
    ("s.json", b'["1", "2"]', "the string '1' at [0] is not a number"),
    ("b.json", b'[true]', "true/false at [0] is not a number"),
    ("big.json", b"[" + b"9" * 400 + b"]", "holds a number too large for a float"),
    ("deep.json", b"[" * 100_000 + b"]" * 100_000, "its lists nest deeper than any array's"),
])
def test_a_bad_input_file_is_one_message_naming_it(cli, tmp_path, name, content, says):
    """Issue 18, bad files: one message naming the file and what is wrong, exit 2, no internal error."""
    (tmp_path / name).write_bytes(content)
    r = cli("eval", "x", "--at", f"x=@{tmp_path / name}")
    assert r.code == 2 and f"{tmp_path / name}: {says}" in r.err and "internal" not in r.err, r.err


def test_an_npy_header_that_claims_more_than_the_file_holds_is_refused_before_reading(cli, tmp_path):
    import io

    from numpy.lib import format as npy
    header = io.BytesIO()
    npy.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)})
    (tmp_path / "h.npy").write_bytes(header.getvalue() + bytes(40))
    r = cli("eval", "x", "--at", f"x=@{tmp_path / 'h.npy'}")
    assert r.code == 2 and "header says 1,000,000,000,000 elements" in r.err and "holds 40 bytes" in r.err
    (tmp_path / "ok.json").write_text('[[1, 2], ["nan", "-inf"]]')     # gradcli's own spelling reads back
    assert cli("eval", "x", "--at", f"x=@{tmp_path / 'ok.json'}", "--json").json()["value"] == [[1, 2], ["nan", "-inf"]]
