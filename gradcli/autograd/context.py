"""Where an evaluation is: the source span of the expression being
evaluated, the operation running, the grad() call it is inside (for
displays), and the floating-point events (0/0, log(-1), overflow) met on
the way.

A run owns one Context (a Session does); `with ctx:` makes it the thread's
current one. apply() stamps its span on every node it records, and the
reverse pass points it at the node whose gradient rule is running, so that
an event inside sqrt's rule is reported as sqrt's gradient, at sqrt(x), and
the nodes the rule records carry sqrt(x)'s span."""
from __future__ import annotations

import contextlib
import threading
from typing import NamedTuple

class _Contexts(threading.local):
    def __init__(self):
        self.stack: list = []       # the thread's current contexts, innermost last


_local = _Contexts()
NOTHING = contextlib.nullcontext()     # a context that does nothing: one, reused (it holds nothing)


_WHAT = {
    "invalid value": "invalid value (the result has nan)",
    "divide by zero": "division by zero (the result has inf)",
    "overflow": "overflow (the result has inf)",
    "underflow": "underflow",
}


class Event(NamedTuple):
    op: str | None          # the operation that met it
    what: str               # "divide by zero", "invalid value", "overflow"
    span: object            # where in the source
    gradient: bool = False  # met by the op's gradient rule, not its forward

    @property
    def message(self) -> str:
        """"log: invalid value (the result has nan)", "the gradient of sqrt: division by zero (...)"."""
        where = f"the gradient of {self.op}" if self.gradient else self.op or "a number"
        return f"{where}: {_WHAT.get(self.what, self.what)}"


class Context:
    def __init__(self):
        self.span = None            # the expression being evaluated
        self.op = None              # the operation running
        self.rule = None            # the node whose gradient rule is running, if any
        self.scope = None           # the grad()/jacobian() call being evaluated, if any (for displays)
        self.events: list[Event] = []
        self._watching = False

    def __enter__(self):
        _local.stack.append(self)
        return self

    def __exit__(self, *exc):
        _local.stack.pop()

    @property
    def node_span(self):
        """The span a node recorded now carries: its rule's node's, in a backward pass."""
        return self.rule.span if self.rule is not None else self.span

    def record(self, what: str, _flag=None) -> None:
        if self.rule is not None:
            self.events.append(Event(self.rule.op.name, what, self.rule.span, gradient=True))
        else:
            self.events.append(Event(self.op, what, self.span))

    @contextlib.contextmanager
    def scoped(self, tag):
        """Tag every node made inside with tag (a grad() call's nodes are drawn as one)."""
        outer = self.scope
        self.scope = tag if outer is None else outer
        try:
            yield
        finally:
            self.scope = outer

    @property
    def watched(self) -> bool:
        """Whether this run's floating-point events are being watched now."""
        return self._watching

    def watching(self, bk):
        """Record (not print) the floating-point events of bk's arrays; a whole
        run is watched once, however deeply this is nested (inside, this is a
        context that does nothing, and costs nearly nothing: a backward pass
        per result of a batch enters it)."""
        return NOTHING if self._watching else self._watch(bk)

    @contextlib.contextmanager
    def _watch(self, bk):
        self._watching = True
        try:
            with bk.floating_point_events(self.record):
                yield
        finally:
            self._watching = False


def messages(events) -> list[str]:
    """The events' messages, once each, in order (the "warnings" of a JSON record)."""
    return list(dict.fromkeys(event.message for event in events))


def current() -> Context | None:
    stack = _local.stack
    return stack[-1] if stack else None
