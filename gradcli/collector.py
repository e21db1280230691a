"""Python's cycle collector, paused where gradcli builds large acyclic
graphs. One-shot commands and API calls run with it off: it would only
rescan the parser's trees and the tensors, doubling the time of a
100,000-line program (the API's 30,000-statement chain: 7.4 s on, 3.2 s
off). A REPL session lives long and runs with it on; a batch frees what each
file leaves (collect_between)."""
from __future__ import annotations

import contextlib
import gc


@contextlib.contextmanager
def collecting(enabled: bool):
    """The collector on or off for a while, then as it was; also a decorator."""
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        yield
    finally:
        (gc.enable if was else gc.disable)()


def collect_between() -> None:
    """Between two files of a batch with the collector off: free the cycles
    a file left (exceptions and their tracebacks). Generation 0 is cheap."""
    if not gc.isenabled():
        gc.collect(0)
