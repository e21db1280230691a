"""The grammar's LALR parser and its lexer, built once per process (the
parser cached on disk by Lark)."""
from __future__ import annotations

import functools
import os

_HERE = os.path.dirname(os.path.abspath(__file__))
# In a wheel the grammar ships as gradcli/grammar/; in a source checkout
# (editable install, tests) it is the top-level grammar/ folder. Plain paths,
# not importlib.resources: its import (zipfile, pathlib, urllib) is ~5 ms of
# every command's start-up, and a wheel installs as files, never zipped.
_PACKAGED = os.path.join(_HERE, "grammar", "gradcli.lark")
_CHECKOUT = os.path.join(os.path.dirname(_HERE), "grammar", "gradcli.lark")


def _grammar_text() -> str:
    with open(_PACKAGED if os.path.isfile(_PACKAGED) else _CHECKOUT, encoding="utf-8") as fh:
        return fh.read()


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
def parser():
    from lark import Lark
    return Lark(_grammar_text(), parser="lalr", postlex=_BracketNewlines(), cache=True)


@functools.lru_cache(maxsize=None)
def _lexer():
    """The lexer Lark.lex would build: Lark.lex builds a new one, and its
    scanner, on every call (a third of a four-line program's parse, 100 µs)."""
    from lark.lexer import BasicLexer
    return BasicLexer(parser().lexer_conf)


def lex(text: str):
    """Lark.lex(text): the tokens, through the post-lexer, and Lark's errors
    (UnexpectedCharacters) as the tokens are read, from one lexer per process."""
    from lark.lexer import LexerThread
    return parser().options.postlex.process(LexerThread.from_text(_lexer(), text).lex(None))
