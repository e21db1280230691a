"""The operation table: every builtin and every operation a gradient rule
uses, gathered from the op families. Evaluator, method sugar, listings,
completion and the generated tests all read TABLE."""
from __future__ import annotations

from gradcli.ops import arith, calculus, create, elementwise, linalg, reduce, shape
from gradcli.ops.binding import ALIASES, bind
from gradcli.ops.core import TABLE, F, Op

FAMILIES = (create, elementwise, arith, reduce, linalg, shape, calculus)

for _family in FAMILIES:
    for _op in _family.OPS:
        assert _op.name not in TABLE, _op.name
        TABLE[_op.name] = _op

BUILTINS: dict[str, Op] = {name: op for name, op in TABLE.items() if op.builtin}

# Spellings that also name a builtin (PyTorch's and NumPy's).
SYNONYMS = {"clamp": "clip", "cat": "concat", "concatenate": "concat", "arctan2": "atan2",
            "amax": "max", "amin": "min", "power": "pow"}

__all__ = ["ALIASES", "BUILTINS", "F", "FAMILIES", "Op", "SYNONYMS", "TABLE", "bind"]
