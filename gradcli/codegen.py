"""The code of a statement shape's builder (gradcli/fastparse.py), which
kernels.py extends into a kernel: from the statement Lark made of a probe
line, the source of a function that makes the same objects for any line of
the shape, reading each name and number from the line's tokens."""
from __future__ import annotations

from gradcli import ast
from gradcli.errors import Span


class Irregular(Exception):
    """A line the fast path does not build: the program goes the general way."""


class Generator:
    """The source of a builder, from the statement of a probe line: every
    name and number becomes the line's token at the same place, and every
    span's ends move by the lengths of the tokens before them. The objects
    are made by setting their slots: a class call with a Python __init__
    costs as much again (the AST's nodes and Span only assign them)."""

    def __init__(self, between: list[str], tokens: list[str]):
        self.after = {}         # each probe position not inside a token -> how many tokens are before it
        self.before = [0]       # the lengths of the first k probe tokens
        position = 0
        for k, (gap, token) in enumerate(zip(between, tokens + [""])):
            self.after.update(dict.fromkeys(range(position, position + len(gap) + 1), k))
            position += len(gap) + len(token)
            self.before.append(self.before[-1] + len(token))
        self.width = len(tokens)
        self.names = {t: k for k, t in enumerate(tokens) if t[0] == "_"}
        self.numbers = {float(t): k for k, t in enumerate(tokens) if t[0] != "_"}
        self.body, self.local = [], {}          # the code that makes the objects; id(object) -> its variable
        self.sums = 0                           # c1 ... c{sums}: the lengths of the first k tokens, as used

    def function(self, statement: ast.Node) -> str:
        """def build(tokens, line, source): a line's NAME and NUMBER tokens."""
        for node in reversed(list(ast.walk(statement))):   # each node after the nodes it holds
            self.node(node)
        body = [*self.prologue(), *self.body, f"return {self.local[id(statement)]}"]
        return "def build(tokens, line, source):\n" + "".join(f"    {s}\n" for s in body)

    def prologue(self) -> list[str]:
        """The code's first lines, once the rest is written: the line's tokens
        unpacked, and the sums of their lengths that the columns use."""
        unpack = ["".join(f"t{k}, " for k in range(self.width)) + "= tokens"] if self.width else []
        return unpack + [f"c{k} = {f'c{k - 1} + ' if k > 1 else ''}len(t{k - 1})" for k in range(1, self.sums + 1)]

    def node(self, node: ast.Node) -> None:
        if id(node) in self.local:
            return
        values = {f: self.value(getattr(node, f)) for f in node.fields}
        if isinstance(node, ast.FunctionDef):       # a parameter named twice is an error: the general path's
            self.body.append(f"if len(set({values['params']})) < {len(node.params)}: raise Irregular")
        self.make(node, values)

    def make(self, thing, values: dict[str, str]) -> str:
        self.local[id(thing)] = name = f"v{len(self.local)}"
        self.body.append(f"{name} = new({type(thing).__name__})")
        self.body += [f"{name}.{field} = {value}" for field, value in values.items()]
        return name

    def value(self, v) -> str:
        """The expression of a field's value: a node or span made before, a
        token, a list of them, or a constant (an operator)."""
        if isinstance(v, (ast.Node, Span)) and id(v) in self.local:
            return self.local[id(v)]
        if isinstance(v, Span):
            return self.span(v)
        if isinstance(v, list):
            return f"[{', '.join(map(self.value, v))}]"
        if isinstance(v, str):
            return f"t{self.names[v]}" if v in self.names else repr(v)
        if isinstance(v, float) and v in self.numbers:
            return f"float(t{self.numbers[v]})"
        if v is None:
            return "None"
        raise Irregular            # a field this generator does not know: the general path builds it

    def span(self, span: Span) -> str:
        if span.line != 1 or span.end_line != 1:
            raise Irregular
        start, end = self.column(span.column - 1), self.column(span.end_column - 1)
        return self.make(span, {"line": "line", "column": start, "end_line": "line", "end_column": end,
                                "source": "source"})

    def column(self, at: int) -> str:
        """The 1-based column, in a line of this shape, of the probe's 0-based
        position at, which must not fall inside a token."""
        k = self.after.get(at)
        if k is None:
            raise Irregular
        self.sums = max(self.sums, k)
        fixed = at - self.before[k] + 1
        return f"{fixed} + c{k}" if k else str(fixed)
