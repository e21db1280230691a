"""Text to AST. The LALR parser is built once per process (and cached on disk
by Lark); the AST is built from Lark's tree without recursion, so programs
nested thousands deep parse as well as flat ones."""
from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

from gradcli import ast
from gradcli.errors import Span, SyntaxError_

_OPENERS, _CLOSERS = "([", ")]"

# Terminals as a person would name them, for "expected ..." messages.
_WORDS = {
    "NAME": "a name", "NUMBER": "a number", "LPAR": "'('", "RPAR": "')'",
    "LSQB": "'['", "RSQB": "']'", "COMMA": "','", "COLON": "':'", "DOT": "'.'",
    "EQUAL": "'='", "_SEP": "a new statement", "$END": "the end of the program",
    "ADD_OP": "'+' or '-'", "MUL_OP": "'*', '/' or '@'", "POW_OP": "'**' or '^'",
    "COMP_OP": "a comparison",
}
_EXPRESSION_START = {"NAME", "NUMBER", "LPAR", "LSQB", "ADD_OP"}


def _grammar_text() -> str:
    # In a wheel the grammar ships as gradcli/grammar/; in a source checkout
    # (editable install, tests) it is the top-level grammar/ folder.
    packaged = resources.files("gradcli").joinpath("grammar/gradcli.lark")
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    return (Path(__file__).resolve().parent.parent / "grammar" / "gradcli.lark").read_text(encoding="utf-8")


class _BracketNewlines:
    """Post-lexer: a newline inside brackets continues the statement."""
    always_accept = ("_SEP",)

    def process(self, stream):
        depth = 0
        for tok in stream:
            kind = tok.type
            if kind == "LPAR" or kind == "LSQB":
                depth += 1
            elif kind == "RPAR" or kind == "RSQB":
                depth = max(0, depth - 1)
            elif depth and kind == "_SEP" and tok.value != ";":
                continue
            yield tok


@functools.lru_cache(maxsize=None)
def _parser():
    from lark import Lark
    return Lark(_grammar_text(), parser="lalr", postlex=_BracketNewlines(), cache=True)


def _tok_span(tok) -> Span:
    return Span(tok.line, tok.column, tok.end_line, tok.end_column)


def _span_of(item) -> Span:
    return item.span if hasattr(item, "span") else _tok_span(item)


def _join(first, last) -> Span:
    """The span from the start of first to the end of last (nodes or tokens)."""
    a, b = _span_of(first), _span_of(last)
    return Span(a.line, a.column, b.end_line, b.end_column)


@functools.lru_cache(maxsize=None)
def _builder_class():
    # Positions come from tokens and child spans, not Lark's propagate_positions,
    # which doubles the parse time of long programs.
    from lark import Transformer_NonRecursive

    class Build(Transformer_NonRecursive):
        def __init__(self, source: str):
            super().__init__()
            self.source = source        # for hints quoting the program
        def number(self, ch):
            return ast.Number(float(ch[0]), span=_tok_span(ch[0]))

        def name(self, ch):
            return ast.Name(str(ch[0]), span=_tok_span(ch[0]))

        def list(self, ch):
            return ast.List([c for c in ch[1:-1] if c is not None], span=_join(ch[0], ch[-1]))

        def group(self, ch):
            # (expr) is expr, but its span takes in the brackets: a caret
            # under (x + 1) * 2 starts at the '('.
            node = _plain(ch[1])
            node.span = _join(ch[0], ch[2])
            return node

        def tuple(self, ch):
            return ast.Tuple([c for c in ch[1:-1] if c is not None], span=_join(ch[0], ch[-1]))

        def binop(self, ch):
            left, op, right = ch
            return ast.BinOp("**" if op == "^" else str(op), _plain(left), _plain(right), span=_join(left, right))

        def unop(self, ch):
            return ast.UnaryOp(str(ch[0]), _plain(ch[1]), span=_join(ch[0], ch[1]))

        def comparison(self, ch):
            if len(ch) > 3:
                a, op1, b, op2, c = ch[:5]
                raise SyntaxError_(
                    "comparisons cannot be chained", _tok_span(op2),
                    hint=f"write ({_text(self.source, a)} {op1} {_text(self.source, b)}) * "
                         f"({_text(self.source, b)} {op2} {_text(self.source, c)})")
            return ast.Compare(str(ch[1]), _plain(ch[0]), _plain(ch[2]), span=_join(ch[0], ch[2]))

        def keyword(self, ch):
            return ast.Keyword(str(ch[0]), _plain(ch[1]), span=_join(ch[0], ch[1]))

        def arguments(self, ch):
            return [_plain(c) if not isinstance(c, ast.Keyword) else c for c in ch]

        def subscripts(self, ch):
            return [_plain(c) for c in ch]

        def slice(self, ch):
            present = [c for c in ch if c is not None]
            span = _join(present[0], present[-1]) if present else None
            return ast.Slice(*ch, span=span)

        def attr(self, ch):
            value, name = ch
            if name == "T":
                return ast.Transpose(_plain(value), span=_join(value, name))
            return _Attr(_plain(value), str(name), _tok_span(name))

        def index(self, ch):
            value, items, close = ch
            node = ast.Index(_plain(value), items, span=_join(value, close))
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
            span = _join(target, close)
            if isinstance(target, _Attr):
                return ast.Call(target.name, args, keywords, receiver=target.value,
                                span=_join(target.value, close), func_span=target.span)
            if isinstance(target, ast.Name):
                return ast.Call(target.id, args, keywords, span=span, func_span=target.span)
            raise SyntaxError_("only a function's name can be called", target.span,
                               hint="multiply with '*' if that was meant")

        def assign(self, ch):
            target, value = _plain(ch[0]), _plain(ch[1])
            span = _join(target, value)
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
    """`value.name` before it is known to be a method call."""
    __slots__ = ("value", "name", "span")

    def __init__(self, value, name, span):
        self.value, self.name, self.span = value, name, span


def _plain(node):
    if isinstance(node, _Attr):
        raise SyntaxError_(f"'.{node.name}' must be called: {node.name}(...)", node.span,
                           hint="'.T' is the only attribute; other names after '.' are methods")
    return node


def _text(source: str, node) -> str:
    """The source text of a node on one line (for hints)."""
    s = node.span
    lines = source.split("\n")
    if s.line == s.end_line and 0 < s.line <= len(lines):
        return lines[s.line - 1][s.column - 1:s.end_column - 1]
    return "..."


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
        tokens = list(parser.lex(source))
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
            shape = tuple(t.type if t.type in ("NAME", "NUMBER") else (t.type, t.value) for t in toks)
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


def parse(source: str) -> ast.Program:
    """Parse a program; raises SyntaxError_ with a span and 'expected ...'."""
    from lark.exceptions import UnexpectedInput, VisitError
    try:
        tree = _tree(source)
    except UnexpectedInput as e:
        raise _syntax_error(e, source).locate(source) from None
    try:
        statements = _builder_class()(source).transform(tree)
    except VisitError as e:
        if isinstance(e.orig_exc, SyntaxError_):
            raise e.orig_exc.locate(source) from None
        raise
    return ast.Program(statements, source)


def parse_expression(source: str) -> ast.Node:
    """Parse one expression (an --at value, a REPL :command's argument)."""
    program = parse(source)
    if len(program.statements) != 1 or not isinstance(program.statements[0], ast.Result):
        raise SyntaxError_("expected one expression", Span(1, 1, 1, len(source) + 1)).locate(source)
    return program.statements[0].value


def is_incomplete(source: str) -> bool:
    """True when more lines could complete the program (an open bracket, a
    trailing operator): the REPL then asks for a continuation line."""
    from lark.exceptions import UnexpectedEOF, UnexpectedToken
    depth = 0
    for line in source.splitlines():
        for ch in line.split("#", 1)[0]:            # brackets in a comment do not count
            depth += (ch in _OPENERS) - (ch in _CLOSERS)
    if depth > 0:
        return True
    try:
        _parser().parse(source)
    except UnexpectedEOF:
        return True
    except UnexpectedToken as e:
        return e.token.type == "$END"
    except Exception:
        return False
    return False


def _describe(expected: set[str]) -> str:
    if expected & _EXPRESSION_START == _EXPRESSION_START or {"NAME", "NUMBER"} <= expected:
        rest = sorted(_WORDS.get(t, repr(t)) for t in expected - _EXPRESSION_START
                      if t not in ("_SEP", "$END"))
        words = ["an expression"] + rest
    else:
        words = sorted(_WORDS.get(t, f"'{t}'") for t in expected)
    if len(words) > 4:
        words = words[:4] + ["..."]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _syntax_error(e, source: str) -> SyntaxError_:
    from lark.exceptions import UnexpectedCharacters, UnexpectedToken
    line, col = getattr(e, "line", 1), getattr(e, "column", 1)
    if line is None or line < 1:
        lines = source.splitlines() or [""]
        line, col = len(lines), len(lines[-1]) + 1
    if isinstance(e, UnexpectedCharacters):
        ch = source[e.pos_in_stream] if e.pos_in_stream < len(source) else "?"
        return SyntaxError_(f"unexpected character {ch!r}", Span(line, col, line, col + 1))
    expected = set(getattr(e, "expected", None) or getattr(e, "accepts", None) or ())
    if isinstance(e, UnexpectedToken):
        tok = e.token
        prev = _previous_token(source, tok)
        if tok.type == "$END":
            lines = source.splitlines() or [""]
            line, col = len(lines), len(lines[-1]) + 1
            found = "the end of the program"
        elif tok.type == "_SEP":
            found = "';'" if tok.value == ";" else "the end of the line"
        else:
            found = repr(str(tok.value))
        span = Span(line, col, line, col + max(1, len(str(tok.value)) if tok.type not in ("$END", "_SEP") else 1))
        unclosed = _unclosed_bracket(source, tok)
        # A closing bracket forgotten before the next line reads as one long
        # statement: say so, rather than what the parser would have accepted.
        if unclosed and (tok.type in ("$END", "_SEP", "RPAR", "RSQB") or line > unclosed[1]):
            want = ")" if unclosed[0] == "(" else "]"
            return SyntaxError_(f"'{unclosed[0]}' is never closed: expected '{want}' before {found}", span,
                                hint=f"the '{unclosed[0]}' opened at line {unclosed[1]}, column {unclosed[2]}")
        after = f" after {prev}" if prev else ""
        return SyntaxError_(f"expected {_describe(expected)}{after}, found {found}", span)
    return SyntaxError_("could not parse the program", Span(line, col, line, col + 1))


def _previous_token(source: str, tok) -> str | None:
    pos = tok.start_pos if tok.type != "$END" and tok.start_pos is not None else len(source)
    text = source[:pos].rstrip()
    if not text:
        return None
    for op in ("**", "<=", ">=", "==", "!=", "+", "-", "*", "/", "@", "^", "<", ">", "=", ",", "(", "[", ":"):
        if text.endswith(op):
            return f"'{op}'"
    return None


def _unclosed_bracket(source: str, tok):
    """The innermost bracket still open where parsing stopped: (char, line, col)."""
    stop = tok.start_pos if tok.type != "$END" and tok.start_pos is not None else len(source)
    stack, line, col = [], 1, 1
    for ch in source[:stop]:
        if ch in _OPENERS:
            stack.append((ch, line, col))
        elif ch in _CLOSERS and stack:
            stack.pop()
        if ch == "\n":
            line, col = line + 1, 1
        else:
            col += 1
    if tok.type in ("RPAR", "RSQB") and stack:
        closer = str(tok.value)
        if _OPENERS[_CLOSERS.index(closer)] == stack[-1][0]:
            return None
    return stack[-1] if stack else None
