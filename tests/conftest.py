"""Shared fixtures: a CPU backend, and running the CLI in-process."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradcli.backend import make_backend

DATA = Path(__file__).parent / "data"


@pytest.fixture
def bk():
    return make_backend("cpu", "float64", seed=0)


class Invoke:
    """gradcli's CLI through click's runner: .code, .out, .err, .json()."""

    def __init__(self, result):
        self.code = result.exit_code
        self.out = result.stdout
        self.err = result.stderr

    def json(self):
        return json.loads(self.out)


@pytest.fixture
def cli(monkeypatch):
    from gradcli.cli import main
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "100")

    def invoke(*args, input=None):
        runner = CliRunner()
        return Invoke(runner.invoke(main, list(args), input=input, catch_exceptions=False))
    return invoke
