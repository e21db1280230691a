"""Where batch work runs, all behind the `concurrent.futures` interface:
this process (`--jobs 1`), a local process pool (`--jobs N`), or a Dask
cluster (`--scheduler ADDRESS`, through `Client.get_executor()`)."""
from __future__ import annotations

import contextlib
import os
from concurrent.futures import Executor, Future

CONNECT_SECONDS = 15       # to reach a Dask scheduler before giving up


class InlineExecutor(Executor):
    """Runs each task in this process when it is submitted (--jobs 1): the
    same interface as the pools, with no process start-up or pickling."""

    def submit(self, fn, /, *args, **kwargs):
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as e:      # noqa: BLE001 - delivered through the future, as pools do
            future.set_exception(e)
        return future


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


@contextlib.contextmanager
def executor(jobs: int, tasks: int, scheduler: str | None = None, fork: bool = True):
    """(executor, workers): a Dask cluster's, a process pool, or this process."""
    from gradcli.batch.worker import warm
    if scheduler:
        with _dask(scheduler) as pair:
            yield pair
        return
    workers = max(1, min(jobs, tasks))
    if workers == 1:
        warm()                          # so that the first file's time is its own
        yield InlineExecutor(), 1
        return
    import multiprocessing
    import threading
    from concurrent.futures import ProcessPoolExecutor
    # fork shares the imported modules (numpy, lark, the op table, the built
    # parser) with the workers, so they start at once. It is safe only while
    # this process has one thread (the progress bar starts after the first
    # submit); otherwise, and where there is no fork, a fresh interpreter per
    # worker loads them itself.
    methods = multiprocessing.get_all_start_methods()
    if fork and "fork" in methods and threading.active_count() == 1:
        method = "fork"
        warm()
    else:
        method = "forkserver" if "forkserver" in methods else "spawn"
    context = multiprocessing.get_context(method)
    halt = context.Event()              # set on Ctrl-C: each worker returns the files it has done
    pool = Restartable(lambda: ProcessPoolExecutor(max_workers=workers, initializer=_worker_start,
                                                   initargs=(halt,), mp_context=context), halt)
    try:
        yield pool, workers
    except BaseException:
        pool.stop()                     # Ctrl-C or a failure: the workers' files are not waited for
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


class Restartable:
    """A process pool that is made again after a worker died (killed, out of
    memory): the pool it replaces is broken for good, as concurrent.futures
    makes it."""

    def __init__(self, make, halt):
        self.make, self.halt = make, halt
        self.pool = make()

    def submit(self, fn, /, *args, **kwargs):
        return self.pool.submit(fn, *args, **kwargs)

    def restart(self) -> None:
        self.stop()
        self.pool = self.make()

    def stop(self) -> None:
        """The pool shut down now, its workers ended rather than waited for;
        then its manager thread, which sees them end, is waited for (a
        shutdown without waiting forgets it: left running, the interpreter's
        exit races it for its wake-up pipe, "Bad file descriptor" on 3.11)."""
        processes = list((getattr(self.pool, "_processes", None) or {}).values())
        manager = getattr(self.pool, "_executor_manager_thread", None)
        self.pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        if manager is not None:
            manager.join(timeout=10)

    def shutdown(self, wait=True, cancel_futures=False) -> None:
        self.pool.shutdown(wait=wait, cancel_futures=cancel_futures)


def _worker_start(halt):
    """Each worker: Ctrl-C goes to the whole process group, and only the
    parent handles it (so the workers do not each print a traceback): it sets
    halt, and the worker returns the files of its chunk it has done. A worker
    dies with its parent (on Linux), so a parent killed with -9 does not
    leave workers holding the output pipes for minutes."""
    import signal

    from gradcli.batch import worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    worker.HALT = halt
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)      # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass                            # not Linux: the workers notice the closed pipes instead


def _reachable(address: str, hint: str) -> None:
    """A usage error for an address that is not [tcp|tls]://HOST:PORT (or a
    process-local inproc://), a compute error for one where nothing listens;
    before a Client is made, because a Client that failed to start complains
    for 30 s at exit."""
    import socket

    from gradcli.errors import ComputeError, UsageError
    scheme, _, rest = address.rpartition("://")
    if scheme == "inproc":
        return
    host, _, port = rest.rpartition(":")
    if scheme not in ("", "tcp", "tls"):
        raise UsageError(f"--scheduler {address}: gradcli reaches a scheduler over tcp:// or tls://", hint=hint)
    if not host or not port.isdigit():
        raise UsageError(f"--scheduler {address}: not a scheduler's address (HOST:PORT)", hint=hint)
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_SECONDS).close()
    except OSError as e:
        raise ComputeError(f"--scheduler {address}: cannot reach the Dask scheduler ({e.strerror or e})",
                           hint=hint) from None


@contextlib.contextmanager
def _dask(address: str):
    from gradcli.errors import ComputeError, UsageError
    try:
        from distributed import Client
    except ImportError:
        raise UsageError("--scheduler needs Dask's distributed scheduler, which is not installed",
                         hint="pip install 'gradcli[dask]'") from None
    hint = "start one with `dask scheduler` and `dask worker ADDRESS`, or check the address (e.g. tcp://host:8786)"
    _reachable(address, hint)
    try:
        client = Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as e:
        raise ComputeError(f"--scheduler {address}: cannot reach the Dask scheduler ({e})", hint=hint) from None
    try:
        workers = max(1, sum(client.nthreads().values()))
        pool = client.get_executor(pure=False)
        try:
            yield pool, workers
        finally:
            pool.shutdown(wait=True)
    finally:
        client.close()
