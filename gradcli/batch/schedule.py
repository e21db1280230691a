"""Running a batch: the files read and cut into chunks, the chunks handed to
an executor a few at a time, and each file's result passed to the sinks in
input order, as soon as it and every file before it are done."""
from __future__ import annotations

import math
import time
from collections import deque

CHUNK_FILES = 64                # files sent to a worker at once, at most ...
CHUNK_BYTES = 256 * 1024        # ... and this much program text
SHARES = 4                      # a chunk: 1/(SHARES * workers) of the files left
HALT_SECONDS = 10               # on Ctrl-C, for the workers to finish the file each is on


def execute(items: list, settings: dict, jobs: int, scheduler: str | None, sinks, tally, opts) -> None:
    """Evaluate every item (sources.Item); each sink gets each file's result
    in input order, as soon as it and all before it are done. A worker that
    dies (killed, out of memory) breaks the pool: it is made again, and the
    files that were in flight run again one at a time, so that only a file
    that kills a worker when alone is blamed. Ctrl-C writes every result
    already computed before it stops. Long: the loop's state (the chunks to
    come, those in flight, the files to run again alone) is one piece."""
    from concurrent.futures import FIRST_COMPLETED, wait

    from gradcli.batch.display import progress_bar
    from gradcli.batch.pool import executor

    start = time.perf_counter()
    n = len(items)
    done: list = [None] * n              # index -> (result, text) until emitted
    emitted = 0
    # A forked worker cannot use a CUDA context: with a GPU, fresh interpreters.
    with executor(jobs, n, scheduler, fork=settings.get("device", "cpu") == "cpu") as (pool, workers):
        window = 2 * workers if workers > 1 else 1
        chunks = _chunks(items, workers, done)
        exhausted = False
        inflight: dict = {}              # future -> [(index, text)]
        again: deque = deque()           # (index, text) to run alone, one at a time, after a worker died
        solo = None                      # the future of a file running alone
        progress, asked = None, False     # the bar, once asked for (None: no bar)
        try:
            while True:
                while (again and not inflight) or (not again and not exhausted and len(inflight) < window):
                    if again:
                        chunk = [again.popleft()]
                        solo = _submit(pool, chunk, items, settings)
                        inflight[solo] = chunk
                    else:
                        chunk = next(chunks, None)
                        exhausted = chunk is None
                        if chunk:
                            inflight[_submit(pool, chunk, items, settings)] = chunk
                    if not asked and inflight:
                        # Only after the first submit: a forking pool has
                        # started its workers, and the bar may start a thread.
                        # Once: asking whether stderr is a terminal takes 60 µs.
                        progress, asked = progress_bar(opts, n, sinks), True
                    emitted = _emit(done, emitted, sinks, tally, progress)
                if not inflight:
                    if exhausted and not again:
                        break
                    continue
                ready, _ = wait(list(inflight), return_when=FIRST_COMPLETED)
                if any(_broken(f) for f in ready):
                    _recover(inflight, solo, again, items, done)
                    pool.restart()
                else:
                    for future in ready:
                        _collect(future, inflight.pop(future), items, done)
                emitted = _emit(done, emitted, sinks, tally, progress)
        except KeyboardInterrupt:
            if getattr(pool, "halt", None) is not None:     # workers return what they have done
                pool.halt.set()
                wait(list(inflight), timeout=HALT_SECONDS)
            for future, chunk in inflight.items():
                if future.done() and not future.cancelled() and future.exception() is None:
                    _collect(future, chunk, items, done)
            _emit(done, emitted, sinks, tally, progress, gaps=True)      # every result computed, then stop
            raise
        finally:
            if progress is not None:
                progress.stop()
    tally.seconds = time.perf_counter() - start


def _submit(pool, chunk, items, settings):
    """The chunk's future; a pool that cannot take it gives a failed one."""
    from concurrent.futures import Future

    from gradcli.batch.worker import evaluate_chunk
    try:
        return pool.submit(evaluate_chunk, [(items[i].name, text) for i, text in chunk], settings)
    except Exception as e:              # noqa: BLE001 - a broken pool: handled as a worker that died
        future = Future()
        future.set_exception(e)
        return future


def _recover(inflight: dict, solo, again: deque, items, done) -> None:
    """After a worker died: the chunks that finished are kept, the file that
    was running alone when it died is blamed, and every other file in flight
    is queued to run again alone. inflight is emptied (its pool is broken)."""
    for future, chunk in inflight.items():
        if future.done() and not _broken(future):
            _collect(future, chunk, items, done)
        elif future is solo:
            i, text = chunk[0]
            done[i] = ({"file": items[i].name, "seconds": 0.0, "records": [_died(items[i].name)]}, text)
        else:
            again.extend(chunk)
    inflight.clear()


def _broken(future) -> bool:
    if not future.done() or future.cancelled() or future.exception() is None:
        return False
    from concurrent.futures.process import BrokenProcessPool     # not loaded by a run in this process
    return isinstance(future.exception(), BrokenProcessPool)


def _died(name: str) -> dict:
    from gradcli.batch.records import file_error
    return file_error(name, f"{name}: the worker evaluating it died (killed, or out of memory)", "compute")


def _chunks(items: list, workers: int, done: list):
    """Lists of (index, text); a file that cannot be read goes straight to
    done (and an empty list is yielded, so that it is shown without delay).
    With one worker a chunk is a file (each is shown when done); with more,
    a chunk is 1/(SHARES * workers) of the files left, so chunks shrink to a
    file as the batch ends and the workers finish together (guided
    scheduling; fixed chunks of 3 left one of two workers 12 of 20 files)."""
    from gradcli.batch.sources import read
    chunk, size, per = [], 0, 1
    for i, item in enumerate(items):
        text, problem = (None, item.problem) if item.problem else read(item)
        if problem is not None:
            done[i] = ({"file": item.name, "seconds": 0.0, "records": [problem]}, None)
            yield []
            continue
        if not chunk and workers > 1:
            per = min(CHUNK_FILES, math.ceil((len(items) - i) / (SHARES * workers)))
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


def _emit(done, emitted, sinks, tally, progress, gaps: bool = False) -> int:
    """The results done, in input order, up to the first not yet done; with
    gaps (on Ctrl-C), every result done, skipping the files still running."""
    while emitted < len(done) and (done[emitted] is not None or gaps):
        if done[emitted] is not None and done[emitted] is not True:
            result, text = done[emitted]
            done[emitted] = True            # drop the text and the records
            tally.add(result)
            for s in sinks:
                s.file(result, text)
            if progress is not None:
                progress.advance()
        emitted += 1
    return emitted
