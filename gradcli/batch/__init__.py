"""`gradcli run FILE...`: every result of every program file (SPEC.md
section 2, "Batch").

The parent finds and reads the files, cuts them into chunks and hands each
chunk to an executor; the workers send back plain records; the sinks emit
them in input order; this command owns the exit code: 1 when anything failed.

  sources.py    the files named: directories walked, stdin; each one read
  schedule.py   chunks to the executor, results back in input order
  pool.py       where the work runs: this process, a process pool, Dask
  worker.py     one file evaluated into plain records (top-level, picklable)
  records.py    what a record is, and the tally of them
  sinks.py      records out as JSONL (stdout or --output) or one --json document
  display.py    the rich tables, the progress bar and the summary line
  compare.py    --compare: records matched with an earlier run's, drifts shown

Like cli.py, this is an edge: it prints and exits, the core below it does
not. Heavy imports (numpy, rich, dask) wait inside the functions that use
them."""
from __future__ import annotations

import sys

import click

from gradcli.edge import boundary
from gradcli.options import Tolerance, common_options, options_from

EPILOG = """
\b
Examples:
  gradcli run samples/
  gradcli run samples/ --jsonl > expected.jsonl
  gradcli run --compare expected.jsonl
  gradcli run a.grad b.grad --jobs 4 --output results.jsonl
  gradcli run many/ --scheduler tcp://scheduler:8786
"""

__all__ = ["command"]


@click.command("run", epilog=EPILOG)
@click.argument("files", nargs=-1, metavar="FILE...", type=click.Path())
@click.option("--jsonl", is_flag=True, help="One JSON object per result on stdout instead of the display.")
@click.option("-o", "--output", metavar="FILE", default=None,
              help="Write the JSONL records to FILE (the terminal shows the failures and a summary).")
@click.option("-j", "--jobs", type=click.IntRange(1), default=None, metavar="N",
              help="Files evaluated in parallel processes  [default: the number of cores]")
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="Send the work to a Dask cluster (tcp://host:8786; the [dask] extra).")
@click.option("--compare", metavar="EXPECTED", default=None,
              help="Re-evaluate and report results that drifted from an earlier --jsonl file (exit 1).")
@click.option("--rtol", type=Tolerance(), default=1e-7, show_default=True,
              help="Relative tolerance of --compare.")
@click.option("--atol", type=Tolerance(), default=1e-10, show_default=True,
              help="Absolute tolerance of --compare.")
@common_options
def command(files, jsonl, output, jobs, scheduler, compare, rtol, atol, **kw):
    """Evaluate program files (or directories of *.grad files; - for stdin):
    every result's value and, for scalars, its gradients. Exit 1 if anything failed."""
    opts = options_from(kw)

    def work():
        from gradcli.batch.pool import default_jobs
        from gradcli.batch.records import Tally
        from gradcli.batch.schedule import execute
        from gradcli.batch.sinks import JsonlSink, jsonl_file
        from gradcli.batch.sources import discover
        from gradcli.errors import UsageError
        settings = {"dtype": opts.dtype, "device": opts.device, "seed": opts.seed}
        expected = None
        paths = list(files)
        if compare is not None:
            from gradcli.batch.compare import CompareSink, files_of, load_expected      # only here: start-up time
            expected = load_expected(compare)
            if not paths:
                paths = files_of(expected)
        if not paths:
            raise UsageError("no files given", hint="gradcli run FILE... (files, directories of *.grad files, "
                                                    "or - for stdin); or gradcli run --compare EXPECTED.jsonl")
        if opts.device != "cpu":
            # A missing GPU or CuPy is one usage error (exit 2), not a failure per file.
            from gradcli.backend import make_backend
            make_backend(opts.device, opts.dtype, opts.seed)
        items = discover(paths)
        if expected is not None:
            # --output keeps the new records: the next reference file.
            sinks = [CompareSink(opts, expected, rtol, atol, jsonl)] + ([jsonl_file(output)] if output else [])
        else:
            sinks = _sinks(opts, jsonl, output)
        settings["jsonl"] = any(isinstance(s, JsonlSink) for s in sinks)      # the workers encode the records
        settings["records"] = not all(isinstance(s, JsonlSink) for s in sinks)  # ...and keep them, if that is all
        tally = Tally()
        try:
            execute(items, settings, jobs or default_jobs(), scheduler, sinks, tally, opts)
        except BaseException:
            for s in sinks:
                s.abort()
            raise
        for s in sinks:
            s.close(tally)
        # With --compare, a failure that the expected file has too is no drift.
        failed = sinks[0].drifts if expected is not None else tally.failures
        sys.exit(1 if failed else 0)
    boundary(opts, work)


def _sinks(opts, jsonl: bool, output: str | None) -> list:
    """Where the records go, without --compare."""
    from gradcli.batch.display import DisplaySink
    from gradcli.batch.sinks import JsonlSink, JsonSink, jsonl_file
    if output is not None:
        terminal = JsonSink(opts, records=False) if opts.json else DisplaySink(opts, results=False, wrote=output)
        return [jsonl_file(output), terminal]
    if opts.json:
        return [JsonSink(opts)]
    if jsonl:
        return [JsonlSink(sys.stdout, opts)]
    return [DisplaySink(opts)]
