"""The syntax tree: small typed nodes, each with the span it came from.

Plain classes with slots, not dataclasses: making the 19 dataclasses took
a start-up 6-7 ms (slots=True makes each class twice). A node's fields are
its class's `fields`, span first; nodes are equal only to themselves."""
from __future__ import annotations

from gradcli.errors import Span


class Node:
    __slots__ = ("span",)
    fields: tuple[str, ...] = ("span",)     # span, then the class's own slots, in order
    _hidden = ("span", "func_span")         # not in repr

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.fields = ("span", *cls.__slots__)

    def __repr__(self):
        shown = ", ".join(f"{f}={getattr(self, f)!r}" for f in self.fields if f not in self._hidden)
        return f"{type(self).__name__}({shown})"


# ---- expressions
class Number(Node):
    __slots__ = ("value",)

    def __init__(self, value: float, *, span: Span):
        self.span, self.value = span, value


class String(Node):
    """A string literal: an argument of a builtin (reduction='sum'), never a number."""
    __slots__ = ("value",)

    def __init__(self, value: str, *, span: Span):
        self.span, self.value = span, value


class Name(Node):
    __slots__ = ("id",)

    def __init__(self, id: str, *, span: Span):
        self.span, self.id = span, id


class List(Node):
    __slots__ = ("items",)

    def __init__(self, items: list[Node], *, span: Span):
        self.span, self.items = span, items


class Tuple(Node):
    __slots__ = ("items",)

    def __init__(self, items: list[Node], *, span: Span):
        self.span, self.items = span, items


class BinOp(Node):
    __slots__ = ("op", "left", "right")     # op: + - * / @ ** (^ is normalised to **)

    def __init__(self, op: str, left: Node, right: Node, *, span: Span):
        self.span, self.op, self.left, self.right = span, op, left, right


class UnaryOp(Node):
    __slots__ = ("op", "operand")           # op: - +

    def __init__(self, op: str, operand: Node, *, span: Span):
        self.span, self.op, self.operand = span, op, operand


class Compare(Node):
    __slots__ = ("op", "left", "right")

    def __init__(self, op: str, left: Node, right: Node, *, span: Span):
        self.span, self.op, self.left, self.right = span, op, left, right


class Keyword(Node):
    __slots__ = ("name", "value")

    def __init__(self, name: str, value: Node, *, span: Span):
        self.span, self.name, self.value = span, name, value


class Call(Node):
    """`f(args)`, or `recv.f(args)` when receiver is set (method sugar)."""
    __slots__ = ("func", "args", "keywords", "receiver", "func_span")

    def __init__(self, func: str, args: list[Node], keywords: list[Keyword], receiver: Node | None = None,
                 func_span: Span | None = None, *, span: Span):
        self.span, self.func, self.args, self.keywords = span, func, args, keywords
        self.receiver, self.func_span = receiver, func_span


class Slice(Node):
    __slots__ = ("start", "stop", "step")

    def __init__(self, start: Node | None, stop: Node | None, step: Node | None, *, span: Span):
        self.span, self.start, self.stop, self.step = span, start, stop, step


class Index(Node):
    __slots__ = ("value", "items")          # items: expressions and Slices

    def __init__(self, value: Node, items: list[Node], *, span: Span):
        self.span, self.value, self.items = span, value, items


class Transpose(Node):
    __slots__ = ("value",)

    def __init__(self, value: Node, *, span: Span):
        self.span, self.value = span, value


FIELDS = ("values", "indices", "eigenvalues", "eigenvectors", "U", "S", "Vh", "sign", "logabsdet", "L", "info")
"""The names of builtins' several results (PyTorch's: sort(x).values), the
attributes that are not method calls."""


class Field(Node):
    """`sort(x).values`: one of a builtin's named results."""
    __slots__ = ("value", "name")

    def __init__(self, value: Node, name: str, *, span: Span):
        self.span, self.value, self.name = span, value, name


# ---- statements
class Binding(Node):
    __slots__ = ("name", "value")

    def __init__(self, name: str, value: Node, *, span: Span):
        self.span, self.name, self.value = span, name, value


class FunctionDef(Node):
    __slots__ = ("name", "params", "body")

    def __init__(self, name: str, params: list[str], body: Node, *, span: Span):
        self.span, self.name, self.params, self.body = span, name, params, body


class Result(Node):
    __slots__ = ("value",)

    def __init__(self, value: Node, *, span: Span):
        self.span, self.value = span, value


class Program:
    __slots__ = ("statements", "source")

    def __init__(self, statements: list[Node], source: str):
        self.statements, self.source = statements, source

    def __repr__(self):
        return f"Program(statements={self.statements!r}, source={self.source!r})"


def walk(node):
    """node and every node below it, without recursion."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        for f in n.fields:
            v = getattr(n, f)
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
