"""Issue 18: random command lines, REPL sessions and API calls (tests/fuzz.py)
give a result or one gradcli message with its exit code, never a traceback
or an internal error. Bounded here; bench/fuzz.py runs the same for longer."""
from __future__ import annotations

import random

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import fuzz


@pytest.fixture(scope="module")
def runner():
    return CliRunner()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1))
def test_random_command_lines(runner, seed, monkeypatch):
    from gradcli.cli import main
    monkeypatch.setenv("NO_COLOR", "1")
    args = fuzz.command_line(random.Random(seed))
    result = runner.invoke(main, args, catch_exceptions=True)
    text = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.exception)
    assert fuzz.bad_answer(result.exit_code, text) is None, (args, text)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1))
def test_random_repl_sessions(runner, seed, monkeypatch):
    from gradcli.cli import main
    monkeypatch.setenv("NO_COLOR", "1")
    lines = fuzz.repl_lines(random.Random(seed))
    result = runner.invoke(main, ["repl"], input=lines, catch_exceptions=True)
    text = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert result.exception is None or isinstance(result.exception, SystemExit), (lines, result.exception)
    assert fuzz.bad_answer(result.exit_code, text) is None and result.exit_code in (0, 1), (lines, text)
