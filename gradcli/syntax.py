"""Syntax errors as a person reads them: "expected an expression after '+',
found the end of the line", and a bracket left open named where it opened."""
from __future__ import annotations

from gradcli.errors import Source, Span, SyntaxError_
from gradcli.lalr import parser

OPENERS, CLOSERS = "([", ")]"

# Terminals as a person would name them, for "expected ..." messages.
_WORDS = {
    "NAME": "a name", "NUMBER": "a number", "LPAR": "'('", "RPAR": "')'",
    "LSQB": "'['", "RSQB": "']'", "COMMA": "','", "COLON": "':'", "DOT": "'.'",
    "EQUAL": "'='", "_SEP": "a new statement", "$END": "the end of the program",
    "ADD_OP": "'+' or '-'", "MUL_OP": "'*', '/' or '@'", "POW_OP": "'**' or '^'",
    "COMP_OP": "a comparison", "STRING": "a string",
}
_EXPRESSION_START = {"NAME", "NUMBER", "LPAR", "LSQB", "ADD_OP", "STRING"}


_OPERATORS = {"ADD_OP", "MUL_OP", "POW_OP", "COMP_OP"}


def _describe(expected: set[str], open_bracket: bool = True) -> str:
    """What the parser would have accepted, in a few words: "an expression",
    "an operator" for any of them, no closing bracket when none is open."""
    if not open_bracket:
        expected = expected - {"RPAR", "RSQB"}
    words = []
    if expected & _EXPRESSION_START == _EXPRESSION_START or {"NAME", "NUMBER"} <= expected:
        words.append("an expression")
        expected = expected - _EXPRESSION_START - {"_SEP", "$END"}
    if len(expected & _OPERATORS) > 1:
        words.append("an operator")
        expected = expected - _OPERATORS
    words += sorted(_WORDS.get(t, f"'{t}'") for t in expected)
    if len(words) > 4:
        words = words[:4] + ["..."]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def syntax_error(e, text: Source) -> SyntaxError_:
    """Lark's parse error as gradcli's: where, what was expected, and an
    unclosed bracket named where it was opened."""
    from lark.exceptions import UnexpectedCharacters, UnexpectedToken
    source = text.text
    line, col = getattr(e, "line", 1), getattr(e, "column", 1)
    if line is None or line < 1:
        lines = source.splitlines() or [""]
        line, col = len(lines), len(lines[-1]) + 1
    if isinstance(e, UnexpectedCharacters):
        ch = source[e.pos_in_stream] if e.pos_in_stream < len(source) else "?"
        if ch in "'\"":
            return SyntaxError_(f"this string is never closed: expected {ch} before the end of the line",
                                Span(line, col, line, col + 1, text))
        return SyntaxError_(f"unexpected character {ch!r}", Span(line, col, line, col + 1, text))
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
        width = max(1, len(str(tok.value))) if tok.type not in ("$END", "_SEP") else 1
        span = Span(line, col, line, col + width, text)
        unclosed = _unclosed_bracket(source, tok)
        # A closing bracket forgotten before the next line reads as one long
        # statement: say so, rather than what the parser would have accepted.
        if unclosed and (tok.type in ("$END", "_SEP", "RPAR", "RSQB") or line > unclosed[1]):
            want = ")" if unclosed[0] == "(" else "]"
            return SyntaxError_(f"'{unclosed[0]}' is never closed: expected '{want}' before {found}", span,
                                hint=f"the '{unclosed[0]}' opened at line {unclosed[1]}, column {unclosed[2]}")
        after = f" after {prev}" if prev else ""
        # A value straight after a value (2x, def f): what is missing is an operator between them.
        wanted = "an operator" if expected & _OPERATORS and tok.type in ("NAME", "NUMBER", "STRING") else \
            _describe(expected, unclosed is not None)
        return SyntaxError_(f"expected {wanted}{after}, found {found}", span,
                            hint=_other_language(source, tok))
    return SyntaxError_("could not parse the program", Span(line, col, line, col + 1, text))


def _other_language(source: str, tok) -> str | None:
    """What to write instead of another language's spelling: 2x, x += 1, def, lambda."""
    pos = tok.start_pos if tok.type != "$END" and tok.start_pos is not None else len(source)
    before = source[:pos].rstrip()
    line = source[:pos].rsplit("\n", 1)[-1].lstrip()
    if line.startswith(("def ", "lambda")) or line.startswith("fn ") or " lambda " in f" {line}":
        return "a function is written f(a, b) = a*b + 1, and called f(x, 2)"
    if tok.type == "EQUAL" and before.endswith(("+", "-", "*", "/", "^")):
        return f"there is no {before[-1]}=: write x = x {before[-1]} ..."
    if tok.type in ("NAME", "LPAR") and before[-1:].isdigit() and pos > 0 and not source[pos - 1].isspace():
        number = before.split()[-1] if before.split() else before
        return f"multiplication is written with '*': {number}*{tok.value}"
    return None


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
        if ch in OPENERS:
            stack.append((ch, line, col))
        elif ch in CLOSERS and stack:
            stack.pop()
        if ch == "\n":
            line, col = line + 1, 1
        else:
            col += 1
    if tok.type in ("RPAR", "RSQB") and stack:
        closer = str(tok.value)
        if OPENERS[CLOSERS.index(closer)] == stack[-1][0]:
            return None
    return stack[-1] if stack else None


def is_incomplete(source: str) -> bool:
    """True when more lines could complete the program (an open bracket, a
    trailing operator): the REPL then asks for a continuation line."""
    from lark.exceptions import UnexpectedEOF, UnexpectedToken
    depth = 0
    for line in source.splitlines():
        for ch in line.split("#", 1)[0]:            # brackets in a comment do not count
            depth += (ch in OPENERS) - (ch in CLOSERS)
    if depth > 0:
        return True
    try:
        parser().parse(source)
    except UnexpectedEOF:
        return True
    except UnexpectedToken as e:
        return e.token.type == "$END"
    except Exception:
        return False
    return False
