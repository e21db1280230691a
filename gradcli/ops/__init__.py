"""The operation table: every builtin and every operation a gradient rule
uses, gathered from the op families. Evaluator, method sugar, listings,
completion and the generated tests all read TABLE."""
from __future__ import annotations

from gradcli.ops import (activation, arith, calculus, contract, create, elementwise, factor, layout, linalg, loss,
                         nn, reduce, scan, select, shape, special)
from gradcli.ops.batching import RULES, family_batch
from gradcli.ops.binding import ALIASES, bind
from gradcli.ops.core import TABLE, F, Op

FAMILIES = (create, elementwise, activation, special, arith, reduce, scan, linalg, factor, contract, shape, layout,
            select, loss, nn, calculus)
TITLES = {create: "creation", elementwise: "elementwise", activation: "activations",
          special: "special functions", arith: "binary and selection", reduce: "reductions",
          scan: "scans and order statistics", linalg: "linear algebra", factor: "factorisations",
          contract: "products and norms", shape: "shape", layout: "arrangement",
          select: "selection by index", loss: "losses", nn: "layers", calculus: "calculus"}
"""How `gradcli functions` and the README's generated list head each family."""

# Spellings that also name a builtin (PyTorch's and NumPy's): each family's
# SYNONYMS dict, beside its OPS.
SYNONYMS: dict[str, str] = {}
# Ops spelled only as methods (x.t()), so that their names stay free for a program's own.
METHODS: dict[str, Op] = {}

for _family in FAMILIES:
    for _op in _family.OPS:
        assert _op.name not in TABLE, _op.name
        TABLE[_op.name] = _op
        if _op.batch is None:       # the family's way, or item by item
            _op.batch = family_batch(_op, getattr(_family, "BATCH", "loop"))
        assert callable(_op.batch) or _op.batch in RULES, (_op.name, _op.batch)    # a misspelt rule fails here
    SYNONYMS.update(getattr(_family, "SYNONYMS", {}))
    METHODS.update({name: TABLE[op] for name, op in getattr(_family, "METHODS", {}).items()})

BUILTINS: dict[str, Op] = {name: op for name, op in TABLE.items() if op.builtin}
assert not set(SYNONYMS) & set(TABLE) and set(SYNONYMS.values()) <= set(BUILTINS), "a synonym names one builtin"

__all__ = ["ALIASES", "BUILTINS", "F", "FAMILIES", "METHODS", "Op", "SYNONYMS", "TABLE", "TITLES", "bind"]
