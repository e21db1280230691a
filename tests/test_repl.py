"""The REPL (SPEC section 2, REPL; issue 5), driven three ways: the
interpreter directly, piped stdin (in-process and as a real process), and
a terminal through prompt_toolkit's pipe input."""
from __future__ import annotations

import io
import subprocess
import sys
import threading
import time

import numpy
import pytest
from rich.console import Console

from gradcli import api
from gradcli.edge import Options
from gradcli.repl import Repl, history_file, interactive

EXAMPLE = "x = ones(2)\nnorm(4*x*x)\n:grad norm(4*x*x)\n"


class Consoles:
    def __init__(self, opts):
        self.opts = opts

    @property
    def out(self):
        return self.opts.out.file.getvalue()

    @property
    def err(self):
        return self.opts.err.file.getvalue()


def make(seed=0, origin="<stdin>"):
    """A Repl printing into strings, without color, 100 columns wide."""
    opts = Options(seed=seed, no_color=True)
    opts._out = Console(file=io.StringIO(), no_color=True, width=100, highlight=False)
    opts._err = Console(file=io.StringIO(), no_color=True, width=100, highlight=False)
    return Repl(opts, origin=origin), Consoles(opts)


def feed(repl, *lines):
    return [repl.feed(line) for line in lines]


# ---- piped stdin
def test_piped_example_prints_value_gradient_and_tree(cli):
    r = cli("repl", input=EXAMPLE)
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    assert lines[0] == "5.6569"                            # the result line
    assert any(line.startswith("∂/∂x") and "[5.6569, 5.6569]" in line for line in lines)
    assert any("x  input  (2,)  [1, 1]  grad [5.6569, 5.6569]" in line for line in lines)
    assert r.err == ""


def test_piped_error_then_good_line_exits_1(cli):
    r = cli("repl", input="x = ones(2)\ny = lg(x)\nnorm(x)\n")
    assert r.code == 1
    assert "1.4142" in r.out                               # the line after the error still ran
    assert "unknown function 'lg' — did you mean 'log'?" in r.err
    assert "--> <stdin>:2:5" in r.err                      # stdin's own line number
    assert "2 | y = lg(x)" in r.err and "|     ^^" in r.err
    assert "Traceback" not in r.err


def test_piped_brackets_continue_on_next_lines(cli):
    r = cli("repl", input="w = [1,\n  2,\n  3]\nsum(w *\n  2)\nk = 1  # (a bracket in a comment\nv = (1 +\n:vars\n")
    assert r.code == 1                                     # v's bracket never closes
    assert r.out.splitlines()[0] == "12"
    assert "'(' is never closed" in r.err and "<stdin>:7" in r.err
    assert "k       input" in r.out                         # a :command ends the open bracket, and runs


def test_real_process_exit_codes_and_no_traceback():
    def run(text):
        return subprocess.run([sys.executable, "-c", "from gradcli.cli import main; main()", "repl", "--no-color"],
                              input=text, capture_output=True, text=True, timeout=60)
    ok = run(EXAMPLE)
    assert ok.returncode == 0 and "5.6569" in ok.stdout and ok.stderr == ""
    bad = run("x = ones(2)\n:grad 4*x\n(((\n:load /no/such/file\n:set precision 99\n:nope\n\x00\nsum(x)\n")
    assert bad.returncode == 1
    assert bad.stdout.strip() == "2"                       # every error was survived
    assert bad.stderr.count("error:") == 6 and "Traceback" not in bad.stderr


def test_quit_stops_reading(cli):
    r = cli("repl", input="1 + 1\n:quit\n2 + 2\n")
    assert r.code == 0 and r.out.split() == ["2"]


# ---- the interpreter
def test_environment_persists_and_results_print():
    repl, io_ = make()
    assert feed(repl, "x = ones(2)", "z = 4*x*x", "norm(z)", "y = z; y") == [True] * 4
    assert io_.out.splitlines() == ["5.6569", "[4, 4]"]


def test_vars_lists_inputs_intermediates_and_functions():
    repl, io_ = make()
    feed(repl, "x = ones(2)", "z = 4*x*x", "f(a, b) = a*b + sin(a)", ":vars")
    rows = {line.split()[0]: line.split() for line in io_.out.splitlines()[1:]}
    assert rows["x"][1:] == ["input", "(2,)", "[1,", "1]"]
    assert rows["z"][1:] == ["intermediate", "(2,)", "[4,", "4]"]
    assert rows["f"][1] == "function" and "f(a, b) = a*b + sin(a)" in io_.out


def test_grad_with_wrt_reports_only_those_inputs():
    repl, io_ = make()
    assert feed(repl, "x = ones(2)", "w = [1, 2]", ":grad sum(x*w) wrt w") == [True] * 3
    assert "∂/∂w" in io_.out and "∂/∂x" not in io_.out
    assert "w  input  (2,)  [1, 2]  grad [1, 1]" in io_.out
    assert feed(repl, ":grad sum(x*w) wrt q") == [False]
    assert "wrt q: 'q' is not a binding (bindings: x, w, ans, _)" in io_.err


def test_grad_wrt_an_intermediate_and_then_without():
    """:grad ... wrt z gives the cotangent at z, drawn at its node; the next tree is clean."""
    repl, io_ = make()
    assert feed(repl, "x = ones(2)", "z = 4*x*x", ":grad norm(z) wrt z") == [True] * 3
    assert "intermediate" in io_.out and "z = mul  (2,)  [4, 4]  grad [0.7071, 0.7071]" in io_.out
    assert feed(repl, ":grad norm(z)") == [True]
    assert io_.out.count("grad [0.7071, 0.7071]") == 1


def test_grad_of_non_scalar_points_at_the_expression():
    repl, io_ = make()
    assert feed(repl, "x = ones(2)", ":grad 4*x") == [True, False]
    assert "the gradient needs a scalar" in io_.err
    assert "2 | :grad 4*x" in io_.err and "|       ^^^" in io_.err


def test_rebinding_an_input_keeps_its_plain_name():
    repl, io_ = make()
    feed(repl, "x = 1", "x = 3", ":grad x^2")
    assert "∂/∂x   6" in io_.out and "@" not in io_.out


def test_error_inside_an_earlier_function_points_at_its_line():
    repl, io_ = make()
    assert feed(repl, "f(a) = sum(lg(a))", "x = ones(2)", "f(x)") == [True, True, False]
    assert "--> <stdin>:1:12" in io_.err and "1 | f(a) = sum(lg(a))" in io_.err


def test_warnings_name_the_operation_and_the_line():
    repl, io_ = make()
    assert feed(repl, "x = [1, -1]", "log(x)") == [True, True]
    assert io_.out.strip() == "[0, nan]"
    assert "warning: log: invalid value" in io_.err and "2 | log(x)" in io_.err


def test_save_then_load_round_trips_a_random_session(tmp_path, cli):
    path = tmp_path / "session.grad"
    first, out1 = make(seed=0)
    assert feed(first, "x = rand(3)", "f(a) = sum(a*a)", "scratch = 1", "scratch = 2", "z = 2*x", "f(z)",
                f":save {path}") == [True] * 7
    text = path.read_text()
    assert "rand" not in text and "scratch = 1" not in text          # values, and no dead bindings
    second, out2 = make(seed=7)                                      # another seed: values must come from the file
    assert feed(second, f":load {path}", ":grad f(z)") == [True, True]
    x1, x2 = first.session.env["x"].numpy(), second.session.env["x"].numpy()
    assert numpy.array_equal(x1, x2)                                 # every digit survived
    assert out1.out.splitlines()[0] in out2.out                      # f(z) printed the same value on :load
    assert numpy.array_equal(second.session.env["z"].numpy(), 2 * x1)
    # and it is a program the one-shot commands read
    result = api.grad(text.replace("# ", "#"), seed=3)
    assert result.value == pytest.approx(4 * float(x1 @ x1), rel=1e-15)
    r = cli("grad", "-f", str(path))
    assert r.code == 0 and "∂/∂x" in r.out


def test_load_reports_errors_at_the_files_own_lines(tmp_path):
    path = tmp_path / "bad.grad"
    path.write_text("a = 2\n\nb = a * lg(a)\nc = 3\n")
    repl, io_ = make()
    assert feed(repl, "x = 1", f":load {path}") == [True, False]
    assert f"--> {path}:3:9" in io_.err and "3 | b = a * lg(a)" in io_.err
    assert "a" in repl.session.env and "c" not in repl.session.env        # it stops at the error
    assert feed(repl, ":load /no/such.grad") == [False] and "no such file" in io_.err


def test_save_keeps_what_a_function_read_and_follows_it(tmp_path):
    """y reads k through f; rebinding k recomputes y, and the saved session loads as it was."""
    repl, _ = make()
    path = tmp_path / "s.grad"
    feed(repl, "f(a) = a*k", "k = 2", "x = ones(2)", "y = f(x)", "k = 3", f":save {path}")
    assert numpy.array_equal(repl.session.env["y"].numpy(), [3.0, 3.0])
    again, _ = make()
    feed(again, f":load {path}")
    assert numpy.array_equal(again.session.env["y"].numpy(), [3.0, 3.0])
    assert again.session.env["k"].item() == 3


def test_set_dtype_keeps_the_bindings_and_precision_changes_the_display():
    repl, io_ = make()
    feed(repl, "x = rand(2)", "z = 2*x", ":set dtype float32", ":set precision 8", "z")
    assert repl.session.bk.dtype_name == "float32"
    assert repl.session.env["z"].numpy().dtype == numpy.float32
    assert io_.out.strip() == "[1.2739234, 0.53957343]"              # float32's digits


def test_check_agrees_with_finite_differences_even_after_rebinding():
    repl, io_ = make()
    assert feed(repl, "k = 2", "x = 1.5", "k = 5", ":check x*k") == [True] * 4
    assert "gradients agree" in io_.out
    assert feed(repl, ":check relu(x - 1.5)") == [False]
    assert "kink at x" in io_.out and "disagree for x" in io_.err


def test_help_reads_the_op_table_and_lists_commands():
    repl, io_ = make()
    feed(repl, ":help", ":help norm", ":help clamp")
    assert ":grad EXPR [wrt NAME...]" in io_.out and ":save FILE" in io_.out
    assert "norm(x, p=2, axis=None, keepdims=False)" in io_.out
    assert "clip(x" in io_.out                                       # a synonym finds its builtin
    assert feed(repl, ":help nrm", ":grda x") == [False, False]
    assert "did you mean 'norm'" in io_.err and "did you mean 'grad'" in io_.err


def test_reset_forgets_everything():
    repl, io_ = make()
    assert feed(repl, "x = ones(2)", ":reset", "x") == [True, True, False]
    assert "'x' has no value" in io_.err and "bind it first: x = " in io_.err and repl.session.env == {}


def test_history_file_location(monkeypatch, tmp_path):
    monkeypatch.delenv("GRADCLI_HISTORY", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert history_file() == tmp_path / "gradcli" / "history"
    monkeypatch.setenv("GRADCLI_HISTORY", str(tmp_path / "h"))
    assert history_file() == tmp_path / "h"
    monkeypatch.setenv("GRADCLI_HISTORY", "")
    assert history_file() is None


# ---- the terminal, through prompt_toolkit
def terminal(repl, keys, history=None):
    """Type the key chunks into a real prompt_toolkit session, one chunk at a
    time (completion runs between key presses, as when a person types)."""
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput
    with create_pipe_input() as inp:
        done = threading.Event()

        def typist():
            try:
                pause = 0.3                 # the prompt starts and loads its history
                for chunk in [*keys, "\x04"]:
                    time.sleep(pause)
                    inp.send_text(chunk)
                    pause = 0.3 if chunk == "\t" else 0.05   # completion runs between key presses
                if not done.wait(10):       # never hang the suite
                    inp.send_text("\x04\x04")
            except OSError:                 # the session ended first (:quit)
                pass
        threading.Thread(target=typist, daemon=True).start()
        try:
            return interactive(repl, history, input=inp, output=DummyOutput())
        finally:
            done.set()


def test_terminal_history_is_kept_in_the_file(tmp_path):
    history = tmp_path / "deep" / "history"
    repl, _ = make(origin="input")
    assert terminal(repl, ["w = [1,\r", "2]\r", "x = ones(2)\r"], history) == 0
    saved = history.read_text()
    assert "+x = ones(2)" in saved and "+w = [1,\n+2]" in saved     # a multi-line entry is one entry
    again, io_ = make(origin="input")
    terminal(again, ["\x1b[A", "\r", "sum(x)\r"], history)         # up: x = ones(2)
    assert io_.out.strip() == "2"


def test_terminal_ctrl_c_abandons_the_line_and_an_error_is_survived():
    repl, io_ = make(origin="input")
    code = terminal(repl, ["x = ones(", "\x03", "y = lg(2)\r", "1 + 1\r"])
    assert code == 0
    assert "x" not in repl.session.env                                # the abandoned line never ran
    assert "unknown function 'lg'" in io_.err and "--> input:1:5" in io_.err
    assert io_.out.strip() == "2"


def test_terminal_ctrl_c_during_a_computation(monkeypatch):
    repl, io_ = make(origin="input")
    real = repl.session.execute
    calls = []

    def slow(stmt):
        calls.append(stmt)
        if len(calls) == 1:
            raise KeyboardInterrupt
        return real(stmt)
    monkeypatch.setattr(repl.session, "execute", slow)
    assert terminal(repl, ["sum(ones(10**6))\r", "2 * 3\r"]) == 0
    assert "interrupted" in io_.err and io_.out.strip() == "6"


def test_terminal_tab_completes_a_bound_name():
    repl, io_ = make(origin="input")
    terminal(repl, ["alpha_beta = 3\r", "2 * alp", "\t", "\r"])
    assert io_.out.strip() == "6" and "error" not in io_.err


def test_terminal_quit_command():
    repl, io_ = make(origin="input")
    assert terminal(repl, [":quit\r", "1 + 1\r"]) == 0
    assert io_.out == ""


def completions(repl, text):
    from prompt_toolkit.completion import CompleteEvent
    from prompt_toolkit.document import Document
    from gradcli.repl.terminal import _make_completer
    event = CompleteEvent(completion_requested=True)
    return [c.text for c in _make_completer(repl).get_completions(Document(text), event)]


def test_completion_of_names_builtins_and_commands():
    repl, _ = make()
    feed(repl, "xval = ones(2)", "xfun(a) = a", "w = 1")
    assert completions(repl, "1 + xv") == ["xval"]
    assert set(completions(repl, "x")) >= {"xval", "xfun"}
    assert completions(repl, "sigm") == ["sigmoid"]
    assert completions(repl, "sum(w") == ["w", "where"]                  # a whole name is not replaced
    assert completions(repl, "xval.no") == ["norm", "normalize"]         # methods: builtins only
    assert "t" in completions(repl, "xval.t")                            # and the method-only x.t()
    assert completions(repl, ":gr") == ["grad"]
    assert set(completions(repl, ":")) == {"grad", "tree", "check", "vars", "help", "reset", "load", "save",
                                           "set", "quit"}
    assert completions(repl, ":set dt") == ["dtype"] and completions(repl, ":set dtype f") == ["float64", "float32"]
    assert completions(repl, ":grad sum(xval) wr") == ["wrt"]
    assert completions(repl, ":grad sum(xval) wrt ") == ["xval", "w"]      # inputs only
    assert completions(repl, ":help :sa") == ["save"]


def test_highlighting_classes():
    from prompt_toolkit.document import Document
    from gradcli.repl.terminal import _make_lexer
    repl, _ = make()
    feed(repl, "x = ones(2)")
    line = _make_lexer(repl).lex_document(Document(":grad norm(x) wrt x  # c"))(0)
    styles = {text: style for style, text in line}
    assert styles[":grad"] == "class:command" and styles["norm"] == "class:builtin"
    assert styles["x"] == "class:bound" and styles["wrt"] == "class:keyword" and styles["# c"] == "class:comment"


def test_completion_after_a_dot_offers_methods_only():
    """x.o offers no ones, x.e no eye or exp-less creation: only builtins that take x first (issue 15)."""
    repl, _ = make()
    feed(repl, "x = ones(2)")
    assert "ones" not in completions(repl, "x.o") and "outer" in completions(repl, "x.o")
    assert completions(repl, "x.ey") == [] and "exp" in completions(repl, "x.e")
    assert completions(repl, "x.n") == ["narrow", "ndtr", "neg", "nll_loss", "norm", "normalize"]     # ABC order


def test_help_quit_and_exit_work_without_the_colon():
    repl, io_ = make()
    assert feed(repl, "help") == [True] and ":grad" in io_.out
    from gradcli.repl.core import Quit
    with pytest.raises(Quit):
        repl.feed("quit")
    repl, _ = make()
    assert feed(repl, "help = 2", "help * 3") == [True, True]     # a name bound so is the name


def test_rebinding_an_input_recomputes_what_was_computed_from_it():
    """Reactive bindings (issue 15): z follows the new x, with one line naming what was recomputed."""
    repl, io_ = make()
    assert feed(repl, "x = ones(2)", "z = 4*x*x", "w = sum(z)", "x = 2*ones(2)") == [True] * 4
    assert "recomputed: z, w" in io_.err
    assert feed(repl, ":grad norm(z) wrt x", "w") == [True, True]
    assert "∂/∂x   [11.3137, 11.3137]" in io_.out and io_.out.strip().endswith("32")


def test_a_dependent_that_now_fails_is_reported_and_keeps_no_stale_value():
    repl, io_ = make()
    assert feed(repl, "x = ones(2)", "z = x + [1, 2]", "x = ones(3)") == [True] * 3
    assert "cannot be broadcast" in io_.err and "z" not in repl.session.env


def test_a_binding_that_reads_its_own_name_is_not_computed_again_by_its_rebinding():
    repl, io_ = make()
    assert feed(repl, "x = ones(2)", "x = x + 1", "x = x * 2", "x") == [True] * 4
    assert io_.out.strip() == "[4, 4]" and "recomputed" not in io_.err


def test_ans_and_underscore_hold_the_last_result():
    """As in qalc and IPython (issue 15): after a result, ans and _ are its value."""
    repl, io_ = make()
    assert feed(repl, "ans") == [False] and "it holds the last result, and there is none yet" in io_.err
    assert feed(repl, "x = ones(2)", "sum(x*x)", "ans * 3", "_ + 1", ":grad sum(ans * x)") == [True] * 5
    assert io_.out.splitlines()[:3] == ["2", "6", "7"]
    assert "∂/∂x   [19, 19]" in io_.out      # ans is a node of the graph: 7 + sum(x)*6x
    assert float(repl.session.env["ans"].numpy()) == 14     # :grad's expression is a result too


def test_ans_is_computed_again_with_what_it_read_and_saved_only_where_read(tmp_path):
    repl, io_ = make()
    feed(repl, "x = ones(2)", "sum(x*x)", "y = ans * 10", "x = 2*ones(2)")
    assert "recomputed: ans, _, y" in io_.err and float(repl.session.env["y"].numpy()) == 80
    saved = repl.program_text()
    assert saved.splitlines()[1:] == ["x = [2.0, 2.0]", "ans = sum(x*x)", "y = ans * 10"]    # no _: nothing reads it
    again, io2 = make()
    (tmp_path / "s.grad").write_text(saved)
    assert feed(again, f":load {tmp_path / 's.grad'}", "y") == [True, True] and io2.out.strip().endswith("80")


def test_save_after_a_rebinding_computes_the_dependents_from_the_new_value():
    repl, _ = make()
    feed(repl, "x = ones(2)", "z = 4*x*x", "x = 2*ones(2)")
    assert repl.program_text().splitlines()[1:] == ["x = [2.0, 2.0]", "z = 4*x*x"]


def test_a_saved_session_whose_results_read_ans_and_underscore_runs_to_the_same_values(tmp_path):
    repl, _ = make()
    feed(repl, "x = [1.0, 2.0]", "sum(x)", "ans * 2", "_ + 1", "y = ans + _")
    again, io2 = make()
    (tmp_path / "s.grad").write_text(repl.program_text())
    assert feed(again, f":load {tmp_path / 's.grad'}", "y", "ans", "_") == [True] * 4
    assert io2.out.split()[-3:] == ["14", "14", "14"]


def test_a_rebinding_computed_from_its_dependent_does_not_go_round_in_a_circle():
    repl, io_ = make()
    assert feed(repl, "x = ones(2)", "y = x + 1", "x = y * 2", "x", "y") == [True] * 5
    assert io_.out.split("\n")[:2] == ["[4, 4]", "[2, 2]"] and "recomputed" not in io_.err


def test_a_stray_bracket_is_reported_where_the_entry_cannot_go_on_and_the_rest_runs(cli):
    """As Python's REPL (issue 18): '(' then x1 = 1 is an error at '=', and the following lines run."""
    r = cli("repl", input="(\nx1 = 1\nx2 = 2\nx2 * 3\n")
    assert r.code == 1 and "'(' is never closed: expected ')' before '='" in r.err and "2 | x1 = 1" in r.err
    assert r.out.strip() == "6"


def test_a_long_open_bracket_is_parsed_a_logarithmic_number_of_times(monkeypatch):
    """Accumulating an open entry is linear: it is parsed again only each time it doubles."""
    import importlib
    piped = importlib.import_module("gradcli.repl.piped")
    calls = []
    real = piped._dead_end
    monkeypatch.setattr(piped, "_dead_end", lambda text: calls.append(len(text)) or real(text))
    repl, io_ = make()
    lines = ["x = ["] + [f"{i}," for i in range(5000)] + ["0]", "sum(x)"]
    assert piped.piped(repl, io.StringIO("\n".join(lines) + "\n")) == 0
    assert io_.out.strip() == str(sum(range(5000)))
    assert len(calls) <= 13                 # 2, 4, ..., 4096 lines


def test_a_file_name_with_a_nul_is_a_message(cli):
    """Found by bench/fuzz.py (issue 18): :load of a name holding NUL was an internal error."""
    r = cli("repl", input=":load /dev/null\x00x\n:save /tmp/a\x00b\n1+1\n")
    assert r.code == 1 and "internal" not in r.err and r.err.count("cannot hold a NUL character") == 2
    assert r.out.strip() == "2"
