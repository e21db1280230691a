"""Issue 17, the batch's own costs: what `gradcli run` does per result and per
file besides the engine's work. Each test pins one of the savings, so that a
change that brings the cost back fails here, not only in a benchmark."""
from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

SEVERAL = "x = [1.0, 2.0]\nsum(x^2)\nsum(log(x - 1))\nnorm(x)\nx * 3\n"


def test_a_file_watches_the_floating_point_flags_once_and_each_record_keeps_its_warnings(monkeypatch):
    """NumPy's errstate is entered once per file, not twice per result (a tenth of a result's time)."""
    from gradcli.backend import Backend
    from gradcli.batch.worker import evaluate_file
    real, entered = Backend.floating_point_events, []

    def counted(self, record):
        entered.append(1)
        return real(self, record)
    monkeypatch.setattr(Backend, "floating_point_events", counted)
    recs = evaluate_file("f", SEVERAL, {})["records"]
    assert len(entered) == 1
    assert [r["line"] for r in recs] == [2, 3, 4, 5]
    assert [("warnings" in r) for r in recs] == [False, True, False, False]     # only log(0)'s
    assert recs[1]["warnings"][0].startswith("log: division by zero")


def _chunk_sizes(monkeypatch, files: int, workers: int) -> list[int]:
    from gradcli.batch import schedule, sources
    from gradcli.batch.sources import Item
    monkeypatch.setattr(sources, "read", lambda item: ("1\n", None))
    items = [Item(f"f{i}.grad", f"f{i}.grad") for i in range(files)]
    chunks = list(schedule._chunks(items, workers, [None] * files))
    assert [i for chunk in chunks for i, _ in chunk] == list(range(files))     # every file once, in order
    return [len(chunk) for chunk in chunks]


def _finish(sizes: list[int], workers: int) -> int:
    """Equal files, each chunk to the worker free first: the files the busiest worker runs."""
    load = [0] * workers
    for size in sizes:
        load[load.index(min(load))] += size
    return max(load)


def test_chunks_shrink_to_one_file_as_the_batch_ends_so_the_workers_finish_together(monkeypatch):
    sizes = _chunk_sizes(monkeypatch, 20, 2)
    assert sizes[-2:] == [1, 1] and sizes == sorted(sizes, reverse=True)
    assert _finish(sizes, 2) == 10                  # chunks of 3 left one worker 12 files to the other's 8
    assert _chunk_sizes(monkeypatch, 5, 1) == [1] * 5                   # one worker: each file shown when done
    from gradcli.batch.schedule import CHUNK_FILES
    assert max(_chunk_sizes(monkeypatch, 1000, 2)) == CHUNK_FILES


def test_the_workers_encode_the_jsonl_lines_and_the_sink_writes_theirs():
    from gradcli.batch.records import jsonl
    from gradcli.batch.sinks import JsonlSink
    from gradcli.batch.worker import evaluate_chunk
    (plain,), (encoded,) = evaluate_chunk([("f", SEVERAL)], {}), evaluate_chunk([("f", SEVERAL)], {"jsonl": True})
    assert "jsonl" not in plain and encoded["records"] == plain["records"]
    assert encoded["jsonl"] == jsonl(plain["records"])
    assert [json.loads(line) for line in encoded["jsonl"].splitlines()] == plain["records"]
    out = io.StringIO()
    JsonlSink(out, None).file({**encoded, "jsonl": "the worker's\n"}, SEVERAL)
    assert out.getvalue() == "the worker's\n"
    JsonlSink(out := io.StringIO(), None).file(plain, SEVERAL)          # a record made by the parent
    assert out.getvalue() == encoded["jsonl"]


@pytest.mark.parametrize("args, encode", [(["--jsonl"], True), (["--output", "OUT"], True),
                                          (["--json"], False), ([], False)])
def test_the_workers_encode_only_for_a_jsonl_sink(cli, tmp_path, monkeypatch, args, encode):
    from gradcli.batch import schedule
    seen = []
    monkeypatch.setattr(schedule, "execute", lambda items, settings, *rest: seen.append(settings))
    f = tmp_path / "f.grad"
    f.write_text("1\n")
    cli("run", str(f), *[str(tmp_path / "out.jsonl") if a == "OUT" else a for a in args])
    assert [s["jsonl"] for s in seen] == [encode]


def test_a_batch_in_this_process_loads_no_process_pool(tmp_path):
    """--jobs 1 runs inline: the process pool's modules are not start-up time it pays."""
    f = tmp_path / "f.grad"
    f.write_text("x = 2\nx^2\n")
    code = ("import sys\nfrom gradcli.cli import main\n"
            f"try:\n    main(['run', {str(f)!r}, '--jsonl', '--jobs', '1'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('concurrent.futures.process', 'multiprocessing') if m in sys.modules))")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and p.stdout.splitlines()[-1] == "[]", p.stdout + p.stderr
    assert json.loads(p.stdout.splitlines()[0])["value"] == 4.0
