"""Releasing large values a backward pass no longer needs, as PyTorch frees
what autograd did not save (issue 17).

The graph holds every node's value, for the tree. A caller that will not
differentiate the graph again may let a first-order pass release the large
values of anonymous nodes (no binding's name, not an input, not the result,
not a view of another array, whose release would free nothing):
at once those that no rule of the pass reads (A @ B in tanh(A @ B): tanh's
rule reads its output, matmul's its operands), the others once their own
node's rules have run, after which nothing reads them. The tree then shows
such a node's shape, and "released" for its value.

What a rule reads is what its code loads: a rule that never names its
output (or an input) cannot read it. Nothing is declared by hand, so no
declaration can go stale; a rule whose code is not plain (a callable object,
*args) reads everything.
"""
from __future__ import annotations

from functools import lru_cache, partial

RELEASE_FROM = 1 << 17      # elements (1 MiB of float64): a smaller value is kept for the tree, whatever reads it


class Released:
    """A released value: its shape and dtype, which the pass still asks of it."""
    __slots__ = ("shape", "dtype", "ndim", "size")

    def __init__(self, array):
        self.shape, self.dtype, self.ndim, self.size = array.shape, array.dtype, array.ndim, array.size


def large(t) -> bool:
    """Whether t is an operation's node whose value is large enough to release."""
    return t.op is not None and t.data.size >= RELEASE_FROM


def releasable(order: list, y, wanted: set[int]) -> set[int]:
    """The ids of the nodes of a pass (order) whose values it may release
    once their rules have run; those that no rule reads are released now."""
    free = candidates(order, y, wanted)
    if free:
        unread_now = unread(order, free)
        for t in order:
            if id(t) in unread_now:
                t.data = Released(t.data)
    return free


def candidates(order: list, y, wanted: set[int]) -> set[int]:
    """Ids of the nodes in order whose values may be released."""
    return {id(t) for t in order
            if large(t) and t.name is None and t is not y
            and id(t) not in wanted and t.data.base is None}       # (a view, x.T, would free nothing)


def unread(order: list, free: set[int]) -> set[int]:
    """Those of free that no rule the pass may run reads: its own (as its
    output) nor its consumers' (as an input); a rule may run for every input
    the op differentiates (some will not: the pass may keep a value longer)."""
    read = set()
    for t in order:
        if t.op is None or (not free.intersection(map(id, t.parents)) and id(t) not in free):
            continue
        for i, d in enumerate(t.op.differentiable(len(t.parents))):
            if not d:
                continue
            loads = reads(t.op.rule(i), len(t.parents))
            if loads[0]:
                read.add(id(t))
            read.update(id(p) for p, r in zip(t.parents, loads[1:]) if r)
    return free - read


def reads(rule, n_inputs: int) -> tuple[bool, ...]:
    """Whether rule(g, out, *inputs) reads out and each input."""
    fn = rule.func if isinstance(rule, partial) else rule
    code = getattr(fn, "__code__", None)
    if code is None or getattr(fn, "__self__", None) is not None:
        return (True,) * (1 + n_inputs)
    named, loaded, rest = _loads(code)
    flags = [name in loaded for name in named[1:]] + [rest] * (1 + n_inputs)     # named[0] is g
    return tuple(flags[:1 + n_inputs])


@lru_cache(maxsize=None)
def _loads(code) -> tuple[tuple, frozenset, bool]:
    """The positional parameters' names, the names the code reads (a cell,
    read by an inner function, counts), and whether *args is read."""
    import dis          # (only when a pass releases: not at start-up)
    named = code.co_varnames[:code.co_argcount]
    names = set(code.co_cellvars)
    for ins in dis.get_instructions(code):
        if "FAST" in ins.opname or "DEREF" in ins.opname:
            names.update(ins.argval if isinstance(ins.argval, tuple) else (ins.argval,))
    rest = bool(code.co_flags & 0x04)           # CO_VARARGS: read as a whole, so every one
    return named, frozenset(names), rest
