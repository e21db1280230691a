"""Issue 17, the batch row, second pass: costs paid per file or per result
outside the engine (the general path's lexer, a result's conversion to JSON
data and its encoding, the host copy, the collector after the first file).
Each test pins one saving and the output it must keep."""
from __future__ import annotations

import builtins
import gc
import json
import math
import subprocess
import sys

import numpy as np
import pytest

# Tokens after a newline inside brackets (the post-lexer drops it), ';',
# comments, strings, a continued line, and characters no token starts with.
SOURCES = ["x = [1,\n 2]\nsum(x)  # a comment\n", "a = 1; b = (a +\n 2)\nf(u) = u^2\nf(b)\n",
           's = "text"\nnorm(ones(2)) \\\n + 1\n', "x = 1\n", "", "x = 1 $ 2\n", "y = [1, 2\n\n  , 3] ? 4\n"]


def _tokens(stream):
    return [(t.type, t.value, t.line, t.column, t.end_line, t.end_column, t.start_pos, t.end_pos) for t in stream]


def _lexed(lex, source):
    """The tokens, or the error where Lark stopped."""
    from lark.exceptions import UnexpectedInput
    try:
        return _tokens(lex(source))
    except UnexpectedInput as e:
        return type(e).__name__, e.line, e.column, getattr(e, "char", None)


@pytest.mark.parametrize("source", SOURCES)
def test_the_cached_lexer_gives_larks_tokens_and_errors(source):
    from gradcli import lalr
    assert _lexed(lalr.lex, source) == _lexed(lalr.parser().lex, source)


def test_the_general_path_builds_no_lexer_per_program(monkeypatch):
    """Lark.lex builds a lexer and its scanner on every call (a third of a
    small program's parse); the general path lexes with one lexer a process."""
    from lark.lexer import BasicLexer

    from gradcli.parse import parse
    programs = ["a = 1; b = [a,\n 2]\nsum(b)\n", "c = 3; d = (c +\n 1)\nd * 2\n"]
    parse(programs[0])                   # the lexer made (or not) once
    built = []
    real = BasicLexer._build_scanner
    monkeypatch.setattr(BasicLexer, "_build_scanner", lambda self: built.append(1) or real(self))
    for source in programs * 2:
        parse(source)
    assert built == []


FINITE = [2.5, np.float32(0.1), 3, True, np.arange(3), [1e308, 1e308, -1e308], np.zeros((2, 0)), np.zeros(0),
          np.ones((2, 3, 2)), np.float64(-0.0), [[1.5, 2.5], [3.5, 4.5]]]
NOT_FINITE = [np.nan, np.inf, -np.inf, [1.0, np.nan], [np.inf, -np.inf, 2.0], [[1.0, np.nan], [-np.inf, 2.0]],
              np.array([np.inf, 1.0], dtype=np.float32)]


def _expected(a):
    """jsonable's contract, written independently: float64 numbers, nested
    as the array; nan, inf and -inf as strings."""
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 0:
        v = float(a)
        return v if math.isfinite(v) else "nan" if math.isnan(v) else "inf" if v > 0 else "-inf"
    return [_expected(row) for row in a]


@pytest.mark.parametrize("value", FINITE + NOT_FINITE)
def test_jsonable_gives_float64_numbers_and_names_the_non_finite(value):
    from gradcli.render.format import jsonable
    got = jsonable(value)
    assert got == _expected(value) and json.dumps(got, allow_nan=False) == json.dumps(_expected(value))
    assert all(type(v) in (float, str) for v in _leaves(got))      # Python floats, as the encoder writes them


def _leaves(x) -> list:
    return [v for item in x for v in _leaves(item)] if isinstance(x, list) else [x]


def _imports_during(fn) -> list[str]:
    """The modules fn imports (an import statement, even of a module loaded already)."""
    seen = []
    real = builtins.__import__

    def spy(name, *args, **kwargs):
        seen.append(name)
        return real(name, *args, **kwargs)
    builtins.__import__ = spy
    try:
        fn()
    finally:
        builtins.__import__ = real
    return seen


def test_each_document_is_encoded_as_json_dumps_does_without_importing_again():
    from gradcli.render.jsonout import dumps
    docs = [{"file": "f", "line": 2, "value": [1.5, "nan"], "shape": [2], "grads": None, "é": "ü\n"}, [1, {"a": []}]]
    assert [dumps(d) for d in docs] == [json.dumps(d, allow_nan=False) for d in docs]
    assert _imports_during(lambda: [dumps(d) for d in docs]) == []
    with pytest.raises(ValueError):
        dumps({"value": math.nan})           # never a bare NaN in a record


def test_to_host_is_the_array_itself_and_imports_nothing():
    from gradcli.backend import make_backend
    bk = make_backend()
    a = bk.asarray([1.0, 2.0])
    assert bk.to_host(a) is a and type(bk.to_host(2.5)) is np.ndarray
    assert _imports_during(lambda: bk.to_host(a)) == []


def test_warm_freezes_what_a_command_loaded_and_only_then():
    from gradcli.batch.worker import warm
    from gradcli.collector import collecting
    gc.unfreeze()
    try:
        warm()                               # the collector on (a REPL, these tests): nothing frozen
        assert gc.get_freeze_count() == 0
        with collecting(False):
            warm()
        assert gc.get_freeze_count() > 1000
    finally:
        gc.unfreeze()


def test_a_jsonl_run_loads_no_compare_and_writes_its_records(tmp_path):
    f = tmp_path / "f.grad"
    f.write_text("x = [1.0, 2.0]\nsum(x^2)\nlog(-1)\n")
    code = ("import sys\nfrom gradcli.cli import main\ntry:\n    main(['run', sys.argv[1], '--jsonl'])\n"
            "except SystemExit:\n    pass\nprint('compare' if 'gradcli.batch.compare' in sys.modules else 'no compare')\n")
    out = subprocess.run([sys.executable, "-c", code, str(f)], capture_output=True, text=True, timeout=60).stdout
    *records, last = out.splitlines()
    assert last == "no compare"
    assert [json.loads(r) for r in records] == [
        {"file": str(f), "line": 2, "source": "sum(x^2)", "value": 5.0, "shape": [], "dtype": "float64",
         "grads": {"x": [2.0, 4.0]}},
        {"file": str(f), "line": 3, "source": "log(-1)", "value": "nan", "shape": [], "dtype": "float64",
         "grads": {}, "warnings": ["log: invalid value (the result has nan)"]}]


def test_the_progress_bar_is_asked_for_once_not_per_file(monkeypatch, tmp_path):
    """Whether stderr is a terminal costs 60 µs to ask: once a batch."""
    from click.testing import CliRunner

    from gradcli.batch import display
    from gradcli.cli import main
    asked = []
    monkeypatch.setattr(display, "progress_bar", lambda *args: asked.append(args) and None)
    for i in range(5):
        (tmp_path / f"f{i}.grad").write_text(f"{i} + 1\n")
    try:
        result = CliRunner().invoke(main, ["run", str(tmp_path), "--jsonl", "--jobs", "1"])
    finally:
        gc.unfreeze()                        # what the command froze (warm) is this test process's
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 5
    assert len(asked) == 1


def test_a_jsonl_only_batch_sends_counts_back_not_records():
    """With JSON Lines as the only output, a worker returns the encoded lines
    and the counts the tally needs: the parent unpickles no record."""
    from gradcli.batch.records import Tally
    from gradcli.batch.worker import evaluate_chunk
    files = [("a.grad", "x = [1, 2]\nsum(x^2)\nlog(-x)\nnope(x)\n"), ("b.grad", "1 +\n")]
    kept = evaluate_chunk(files, {"jsonl": True})
    lean = evaluate_chunk(files, {"jsonl": True, "records": False})
    assert [r["jsonl"] for r in lean] == [r["jsonl"] for r in kept]
    assert all("records" not in r for r in lean)
    tallies = []
    for results in (kept, lean):
        tally = Tally()
        for r in results:
            tally.add(r)
        tallies.append((tally.files, tally.results, tally.failures))
    assert tallies[0] == tallies[1] == (2, 2, 2)
