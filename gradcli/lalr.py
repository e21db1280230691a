"""The grammar's LALR parser, built once per process (and cached on disk by Lark)."""
from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path


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
def parser():
    from lark import Lark
    return Lark(_grammar_text(), parser="lalr", postlex=_BracketNewlines(), cache=True)
