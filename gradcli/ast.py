"""The syntax tree: small typed nodes, each with the span it came from."""
from __future__ import annotations

from dataclasses import dataclass, field

from gradcli.errors import Span


@dataclass(eq=False, slots=True)
class Node:
    span: Span = field(repr=False, kw_only=True)


# ---- expressions
@dataclass(eq=False, slots=True)
class Number(Node):
    value: float


@dataclass(eq=False, slots=True)
class String(Node):
    """A string literal: an argument of a builtin (reduction='sum'), never a number."""
    value: str


@dataclass(eq=False, slots=True)
class Name(Node):
    id: str


@dataclass(eq=False, slots=True)
class List(Node):
    items: list[Node]


@dataclass(eq=False, slots=True)
class Tuple(Node):
    items: list[Node]


@dataclass(eq=False, slots=True)
class BinOp(Node):
    op: str                       # + - * / @ ** (^ is normalised to **)
    left: Node
    right: Node


@dataclass(eq=False, slots=True)
class UnaryOp(Node):
    op: str                       # - +
    operand: Node


@dataclass(eq=False, slots=True)
class Compare(Node):
    op: str
    left: Node
    right: Node


@dataclass(eq=False, slots=True)
class Keyword(Node):
    name: str
    value: Node


@dataclass(eq=False, slots=True)
class Call(Node):
    """`f(args)`, or `recv.f(args)` when receiver is set (method sugar)."""
    func: str
    args: list[Node]
    keywords: list[Keyword]
    receiver: Node | None = None
    func_span: Span | None = field(default=None, repr=False)


@dataclass(eq=False, slots=True)
class Slice(Node):
    start: Node | None
    stop: Node | None
    step: Node | None


@dataclass(eq=False, slots=True)
class Index(Node):
    value: Node
    items: list[Node]             # expressions and Slices


@dataclass(eq=False, slots=True)
class Transpose(Node):
    value: Node


FIELDS = ("values", "indices", "eigenvalues", "eigenvectors", "U", "S", "Vh", "sign", "logabsdet", "L", "info")
"""The names of builtins' several results (PyTorch's: sort(x).values), the
attributes that are not method calls."""


@dataclass(eq=False, slots=True)
class Field(Node):
    """`sort(x).values`: one of a builtin's named results."""
    value: Node
    name: str


# ---- statements
@dataclass(eq=False, slots=True)
class Binding(Node):
    name: str
    value: Node


@dataclass(eq=False, slots=True)
class FunctionDef(Node):
    name: str
    params: list[str]
    body: Node


@dataclass(eq=False, slots=True)
class Result(Node):
    value: Node


@dataclass(eq=False, slots=True)
class Program:
    statements: list[Node]
    source: str


def walk(node):
    """node and every node below it, without recursion."""
    import dataclasses
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        for f in dataclasses.fields(n):
            v = getattr(n, f.name)
            if isinstance(v, Node):
                stack.append(v)
            elif isinstance(v, list):
                stack.extend(x for x in v if isinstance(x, Node))


def names(node):
    """The names an expression reads and the functions it calls."""
    for n in walk(node):
        if isinstance(n, Name):
            yield n.id
        elif isinstance(n, Call):
            yield n.func
