"""Running a batch: the files read and cut into chunks, the chunks handed to
an executor a few at a time, and each file's result passed to the sinks in
input order, as soon as it and every file before it are done."""
from __future__ import annotations

import math
import time

CHUNK_FILES = 64                # files sent to a worker at once, at most ...
CHUNK_BYTES = 256 * 1024        # ... and this much program text


def execute(items: list, settings: dict, jobs: int, scheduler: str | None, sinks, tally, opts) -> None:
    """Evaluate every item (sources.Item); each sink gets each file's result
    in input order, as soon as it and all before it are done."""
    from concurrent.futures import FIRST_COMPLETED, Future, wait

    from gradcli.batch.display import progress_bar
    from gradcli.batch.pool import executor
    from gradcli.batch.worker import evaluate_chunk

    start = time.perf_counter()
    n = len(items)
    done: list = [None] * n              # index -> (result, text) until emitted
    emitted = 0
    # A forked worker cannot use a CUDA context: with a GPU, fresh interpreters.
    with executor(jobs, n, scheduler, fork=settings.get("device", "cpu") == "cpu") as (pool, workers):
        per = 1 if workers == 1 else max(1, min(CHUNK_FILES, math.ceil(n / (workers * 4))))
        window = 2 * workers if workers > 1 else 1
        chunks = _chunks(items, per, done)
        exhausted = False
        inflight: dict = {}              # future -> [(index, text)]
        progress = None
        try:
            while True:
                while not exhausted and len(inflight) < window:
                    chunk = next(chunks, None)
                    if chunk is None:
                        exhausted = True
                    elif chunk:
                        try:
                            future = pool.submit(evaluate_chunk, [(items[i].name, t) for i, t in chunk], settings)
                        except Exception as e:      # noqa: BLE001 - a broken pool: those files fail
                            future = Future()
                            future.set_exception(e)
                        inflight[future] = chunk
                        if progress is None:
                            # Only after the first submit: a forking pool has
                            # started its workers, and the bar may start a thread.
                            progress = progress_bar(opts, n, sinks)
                    emitted = _emit(done, emitted, sinks, tally, progress)
                if not inflight:
                    if exhausted:
                        break
                    continue
                ready, _ = wait(list(inflight), return_when=FIRST_COMPLETED)
                for future in ready:
                    _collect(future, inflight.pop(future), items, done)
                emitted = _emit(done, emitted, sinks, tally, progress)
        finally:
            if progress is not None:
                progress.stop()
    tally.seconds = time.perf_counter() - start


def _chunks(items: list, per: int, done: list):
    """Lists of (index, text); a file that cannot be read goes straight to
    done (and an empty list is yielded, so that it is shown without delay)."""
    from gradcli.batch.sources import read
    chunk, size = [], 0
    for i, item in enumerate(items):
        text, problem = (None, item.problem) if item.problem else read(item)
        if problem is not None:
            done[i] = ({"file": item.name, "seconds": 0.0, "records": [problem]}, None)
            yield []
            continue
        chunk.append((i, text))
        size += len(text)
        if len(chunk) >= per or size >= CHUNK_BYTES:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def _collect(future, chunk, items, done) -> None:
    from gradcli.batch.records import file_error
    try:
        results = future.result()
    except Exception as e:              # noqa: BLE001 - a worker died, or the cluster failed
        results = [{"file": items[i].name, "seconds": 0.0,
                    "records": [file_error(items[i].name, f"the worker failed: {type(e).__name__}: {e}",
                                           "internal")]} for i, _ in chunk]
    for (i, text), result in zip(chunk, results):
        done[i] = (result, text)


def _emit(done, emitted, sinks, tally, progress) -> int:
    while emitted < len(done) and done[emitted] is not None:
        result, text = done[emitted]
        done[emitted] = True            # drop the text and the records
        tally.add(result)
        for s in sinks:
            s.file(result, text)
        emitted += 1
        if progress is not None:
            progress.advance()
    return emitted
