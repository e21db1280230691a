"""Text to AST (the parser is gradcli/lalr.py's, the error messages
gradcli/syntax.py's). The AST is built from Lark's tree without recursion, so
programs nested thousands deep parse as well as flat ones."""
from __future__ import annotations

import functools

from gradcli import ast, fastparse
from gradcli.errors import Source, Span, SyntaxError_
from gradcli.lalr import lex
from gradcli.lalr import parser as _parser
from gradcli.spellings import FOREIGN_ATTRIBUTES, PREFIX_HINT, PREFIXES
from gradcli.syntax import syntax_error


@functools.lru_cache(maxsize=None)
def _builder_class():
    """The Transformer that builds the AST from Lark's tree. Long: one class
    definition, made on first use so that lark is imported only when a
    program is parsed."""
    # Positions come from tokens and child spans, not Lark's propagate_positions,
    # which doubles the parse time of long programs.
    from lark import Transformer_NonRecursive

    class Build(Transformer_NonRecursive):
        def __init__(self, source: Source):
            super().__init__()
            self.source = source        # every span points into it; hints quote it

        def tok(self, tok) -> Span:
            return Span(tok.line, tok.column, tok.end_line, tok.end_column, self.source)

        def join(self, first, last) -> Span:
            """The span from the start of first to the end of last (nodes or tokens)."""
            a = first.span if hasattr(first, "span") else self.tok(first)
            b = last.span if hasattr(last, "span") else self.tok(last)
            return Span(a.line, a.column, b.end_line, b.end_column, self.source)

        def number(self, ch):
            return ast.Number(float(ch[0]), span=self.tok(ch[0]))

        def string(self, ch):
            return ast.String(str(ch[0])[1:-1], span=self.tok(ch[0]))

        def name(self, ch):
            return ast.Name(str(ch[0]), span=self.tok(ch[0]))

        def list(self, ch):
            return ast.List([c for c in ch[1:-1] if c is not None], span=self.join(ch[0], ch[-1]))

        def group(self, ch):
            # (expr) is expr, but its span takes in the brackets: a caret
            # under (x + 1) * 2 starts at the '('.
            node = _plain(ch[1])
            node.span = self.join(ch[0], ch[2])
            return node

        def tuple(self, ch):
            return ast.Tuple([c for c in ch[1:-1] if c is not None], span=self.join(ch[0], ch[-1]))

        def binop(self, ch):
            left, op, right = ch
            return ast.BinOp("**" if op == "^" else str(op), _plain(left), _plain(right), span=self.join(left, right))

        def unop(self, ch):
            return ast.UnaryOp(str(ch[0]), _plain(ch[1]), span=self.join(ch[0], ch[1]))

        def comparison(self, ch):
            if len(ch) > 3:
                a, op1, b, op2, c = (t.span.excerpt() if hasattr(t, "span") else t for t in ch[:5])
                raise SyntaxError_("comparisons cannot be chained", self.tok(ch[3]),
                                   hint=f"write ({a} {op1} {b}) * ({b} {op2} {c})")
            return ast.Compare(str(ch[1]), _plain(ch[0]), _plain(ch[2]), span=self.join(ch[0], ch[2]))

        def keyword(self, ch):
            return ast.Keyword(str(ch[0]), _plain(ch[1]), span=self.join(ch[0], ch[1]))

        def arguments(self, ch):
            return [_plain(c) if not isinstance(c, ast.Keyword) else c for c in ch]

        def subscripts(self, ch):
            return [_plain(c) for c in ch]

        def slice(self, ch):
            present = [c for c in ch if c is not None]
            span = self.join(present[0], present[-1]) if present else None
            return ast.Slice(*ch, span=span)

        def attr(self, ch):
            value, name = ch
            if name == "T":
                return ast.Transpose(_plain(value), span=self.join(value, name))
            return _Attr(_plain(value), str(name), self.tok(name), self.join(value, name))

        def index(self, ch):
            value, items, close = ch
            node = ast.Index(_plain(value), items, span=self.join(value, close))
            for item in items:
                if isinstance(item, ast.Slice) and item.span is None:
                    item.span = node.span
            return node

        def call(self, ch):
            target, arguments, close = ch[0], ch[1] or [], ch[2]
            args, keywords = [], []
            for a in arguments:
                if isinstance(a, ast.Keyword):
                    keywords.append(a)
                elif keywords:
                    raise SyntaxError_("a positional argument cannot follow a keyword argument", a.span)
                else:
                    args.append(a)
            span = self.join(target, close)
            if isinstance(target, _Attr):
                return ast.Call(target.name, args, keywords, receiver=target.value,
                                span=self.join(target.value, close), func_span=target.span)
            if isinstance(target, ast.Name):
                return ast.Call(target.id, args, keywords, span=span, func_span=target.span)
            raise SyntaxError_("only a function's name can be called", target.span,
                               hint="multiply with '*' if that was meant")

        def assign(self, ch):
            target, value = _plain(ch[0]), _plain(ch[1])
            span = self.join(target, value)
            if isinstance(target, ast.Name):
                return ast.Binding(target.id, value, span=span)
            if (isinstance(target, ast.Call) and target.receiver is None and not target.keywords
                    and all(isinstance(a, ast.Name) for a in target.args)):
                params = [a.id for a in target.args]
                dup = {p for p in params if params.count(p) > 1}
                if dup:
                    raise SyntaxError_(f"parameter '{dup.pop()}' is named twice", target.span)
                return ast.FunctionDef(target.func, params, value, span=span)
            raise SyntaxError_("cannot assign to this", target.span,
                               hint="the left of '=' is a name (x = ...) or a function head (f(a, b) = ...)")

        def start(self, ch):
            return [c if isinstance(c, (ast.Binding, ast.FunctionDef)) else
                    ast.Result(_plain(c), span=_plain(c).span) for c in ch]

    return Build


class _Attr:
    """`value.name` before it is known to be a method call (or a named result)."""
    __slots__ = ("value", "name", "span", "whole")

    def __init__(self, value, name, span, whole):
        self.value, self.name, self.span, self.whole = value, name, span, whole


def _plain(node):
    if isinstance(node, _Attr) and node.name in ast.FIELDS:
        return ast.Field(node.value, node.name, span=node.whole)
    if isinstance(node, _Attr) and isinstance(node.value, ast.Name) and node.value.id in PREFIXES:
        raise SyntaxError_(f"'{node.value.id}.' is not needed in gradcli", node.value.span, hint=PREFIX_HINT)
    if isinstance(node, _Attr) and node.name in FOREIGN_ATTRIBUTES:
        raise SyntaxError_(f"'.{node.name}' is PyTorch's, not gradcli's", node.span,
                           hint=FOREIGN_ATTRIBUTES[node.name])
    if isinstance(node, _Attr):
        raise SyntaxError_(f"'.{node.name}' must be called: {node.name}(...)", node.span,
                           hint=FOREIGN_ATTRIBUTES.get(node.name, "'.T' and the names of several results "
                                                        "(.values, .indices, .eigenvalues...) are the attributes; "
                                                        "other names after '.' are methods"))
    return node


# Statement shapes already parsed: the token types (and operator spellings)
# of a statement -> its tree with those tokens, and where each sits.
_SHAPES: dict[tuple, tuple] = {}
_SHAPES_MAX = 4096


def _tree(source: str):
    """Lark's tree of the program. A long program repeats a few statement
    shapes (x1 = sin(x0)*1.0001, x2 = sin(x1)*1.0001, ...): each shape is
    parsed once, and later statements of the same shape get a copy of its
    tree holding their own tokens. Anything the parser would reject is
    parsed whole, so errors are exactly Lark's."""
    from lark import Token, Tree
    from lark.exceptions import UnexpectedInput

    parser = _parser()
    try:
        tokens = list(lex(source))
        statements, current = [], []
        for tok in tokens:
            if tok.type == "_SEP":
                if current:
                    statements.append(current)
                current = []
            else:
                current.append(tok)
        if current:
            statements.append(current)
        children = []
        for toks in statements:
            shape = tuple(t.type if t.type in ("NAME", "NUMBER", "STRING") else (t.type, t.value) for t in toks)
            known = _SHAPES.get(shape)
            if known is None:
                interactive = parser.parse_interactive()
                for tok in toks:
                    interactive.feed_token(tok)
                [stmt] = interactive.feed_eof().children
                if len(_SHAPES) >= _SHAPES_MAX:
                    _SHAPES.clear()
                _SHAPES[shape] = (stmt, {id(t): k for k, t in enumerate(toks)}, toks)   # toks keep ids valid
                children.append(stmt)
            else:
                children.append(_with_tokens(known[0], known[1], toks, Tree, Token))
        return Tree("start", children)
    except UnexpectedInput:
        return parser.parse(source)     # raises the error, in the whole program's context


def _with_tokens(template, where: dict, toks: list, Tree, Token):
    """A copy of template with toks in place of the tokens it was parsed from."""
    if isinstance(template, Token):
        return toks[where[id(template)]]
    root = Tree(template.data, list(template.children))
    stack = [root]
    while stack:
        node = stack.pop()
        for i, child in enumerate(node.children):
            if isinstance(child, Tree):
                node.children[i] = copy = Tree(child.data, list(child.children))
                stack.append(copy)
            elif isinstance(child, Token):
                node.children[i] = toks[where[id(child)]]
    return root


def parse(source: str, origin: str | None = None, lazy: bool = False) -> ast.Program:
    """Parse a program (from origin: a file, "--at x"; None for the command
    line); raises SyntaxError_ with a span and 'expected ...'. Every span of
    the AST points into Source(source, origin). A program written a
    statement a line takes the fast path (gradcli/fastparse.py); the rest,
    and every error, the general one, with the same AST. With lazy, the fast
    path may give a sequence that builds each statement as it is read (for a
    run that reads each once: a long program's tree is never held whole)."""
    text = Source(source, origin)
    statements = fastparse.statements(source, text, _alone, lazy=lazy)
    if statements is None:
        return _general(source, text)
    return ast.Program(statements, source)


def _alone(line: str):
    """The statement of a line parsed alone by Lark, or None when it is not
    one statement (the fast path then leaves the program to the general
    path, which raises whatever this raised, in the whole program's context)."""
    try:
        [statement] = _builder_class()(Source(line)).transform(_parser().parse(line))
    except Exception:
        return None
    return statement


def _general(source: str, text: Source) -> ast.Program:
    """Lark's tree of the program, transformed into the AST."""
    from lark.exceptions import UnexpectedInput, VisitError
    try:
        tree = _tree(source)
    except UnexpectedInput as e:
        raise syntax_error(e, text) from None
    try:
        statements = _builder_class()(text).transform(tree)
    except VisitError as e:
        if isinstance(e.orig_exc, SyntaxError_):
            raise e.orig_exc from None
        raise
    return ast.Program(statements, source)


def parse_expression(source: str, origin: str | None = None) -> ast.Node:
    """Parse one expression (an --at value, a REPL :command's argument)."""
    program = parse(source, origin)
    if len(program.statements) != 1 or not isinstance(program.statements[0], ast.Result):
        raise SyntaxError_("expected one expression", Span(1, 1, 1, len(source) + 1, Source(source, origin)))
    return program.statements[0].value
