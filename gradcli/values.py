"""The values of a program besides arrays: tuples, strings, user functions,
a builtin's several results. How a message names each, and the error when
one stands where an array is needed."""
from __future__ import annotations

from functools import cached_property

from gradcli import ast
from gradcli.autograd import Tensor
from gradcli.errors import GradcliError, ShapeError, UsageError
from gradcli.ops.core import F, Results

MAX_AXES = 32                      # NumPy allows 64, CuPy 32: the lower is the language's


class Function:
    """A user function: its definition, inlined at every call."""

    def __init__(self, name: str, params: list[str], body: ast.Node, span):
        self.name, self.params, self.body, self.span = name, params, body, span

    def __repr__(self):
        return f"Function({self.name!r}, {self.params!r})"

    @cached_property
    def outline(self) -> tuple[int, tuple[str, ...]]:
        """The body's size in nodes, and the names of the functions it calls (once each call)."""
        nodes = list(ast.walk(self.body))
        return len(nodes), tuple(n.func for n in nodes if isinstance(n, ast.Call))


INLINE_BUDGET = 10_000_000      # operations a call may record once the functions it calls are inlined


def inline_cost(fn: Function, env) -> int:
    """The operations calling fn records, every user function it calls
    inlined: its body's nodes, plus the cost of each call it makes (a
    function that calls another twice doubles it). Without recursion, so a
    long chain of functions is measured as easily as a short one; a cycle
    counts once (calling it is refused where it runs)."""
    cost: dict[int, int] = {}
    stack = [(fn, False)]
    while stack:
        f, done = stack.pop()
        size, called = f.outline
        calls = [env[name] for name in called if isinstance(env.get(name), Function)]
        if done:
            cost[id(f)] = size + sum(cost.get(id(g), 0) for g in calls)
        elif id(f) not in cost:
            cost[id(f)] = 0                 # being measured: a cycle back to it adds nothing
            stack.append((f, True))
            stack += [(g, False) for g in calls if id(g) not in cost]
    return cost[id(fn)]


def within_budget(fn: Function, env, span) -> None:
    """A call that would inline more than INLINE_BUDGET operations is refused
    before it runs, with its size (a graph of 2^40 nodes would otherwise fill
    the memory for minutes before failing)."""
    from gradcli.errors import ComputeError
    cost = inline_cost(fn, env)
    if cost > INLINE_BUDGET:
        raise ComputeError(f"calling {fn.name} would record about {cost:.2g} operations (the limit is "
                           f"{INLINE_BUDGET:,})", span, hint="a function that calls another twice doubles "
                           "the graph at each level: bind a value once and use the name twice")


def describe(value) -> str:
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, Results):
        return f"{len(value)} results"
    if isinstance(value, tuple):
        return "a tuple"
    if isinstance(value, Function):
        return "a function"
    if isinstance(value, Tensor):
        return f"an array of shape {value.shape}"
    return repr(value)


def not_an_array(value, node) -> GradcliError:
    """The error for a value that is not an array where one is needed."""
    if isinstance(value, Results):
        text = node.span.excerpt()
        pick = f"{text}.{value.names[0]} or {text}[0]" if value.names[0] else f"{text}[0]"
        return UsageError(f"{text} has {len(value)} results, not one array", node.span, hint=f"pick one: {pick}")
    if isinstance(value, str):
        return UsageError(f"a string is not a number: {value!r}", node.span,
                          hint="strings are arguments of builtins, such as reduction='sum'")
    return UsageError(f"expected an array or a number, not {describe(value)}", node.span)


def stacked(bk, items: list[Tensor], node) -> Tensor:
    """A list literal's items as one array: a constant, or a stack when inputs feed it."""
    odd = next((k for k, t in enumerate(items) if t.shape != items[0].shape), None)
    if odd is not None:
        raise ShapeError(f"the items of a list must have one shape: item 1 has shape {items[0].shape}, "
                         f"item {odd + 1} {items[odd].shape}",
                         node.items[odd].span if isinstance(node, ast.List) else node.span)
    if not items:
        return Tensor(bk.xp.zeros((0,), dtype=bk.dtype), bk, const=True)
    if items[0].ndim >= MAX_AXES:
        raise ShapeError(f"lists nest at most {MAX_AXES} deep (arrays have at most {MAX_AXES} axes)", node.span)
    if all(t.const and t.op is None for t in items):
        return Tensor(bk.xp.stack([t.data for t in items]), bk, const=True)
    return F.stack(*items, axis=0)
