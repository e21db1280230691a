"""--json documents (SPEC.md section 2): one document on stdout."""
from __future__ import annotations

import functools
import sys

from gradcli.autograd.context import messages
from gradcli.render.format import jsonable


def result_document(program: str, value, shape, dtype: str, grads: dict | None, events=()) -> dict:
    """A result as JSON; floating-point events as "warnings", the same field as run --jsonl's records."""
    doc = {"program": program, "value": jsonable(value), "shape": list(shape), "dtype": dtype}
    if grads is not None:
        doc["grads"] = {k: jsonable(v) for k, v in grads.items()}
    warnings = messages(events)
    if warnings:
        doc["warnings"] = warnings
    return doc


def error_document(e) -> dict:
    span = getattr(e, "span", None)
    return {"error": {"kind": getattr(e, "kind", "error"), "message": e.message,
                      "line": span.line if span else None, "column": span.column if span else None,
                      **({"hint": e.hint} if getattr(e, "hint", None) else {})}}


def dumps(doc) -> str:
    return _encoder()(doc)


@functools.lru_cache(maxsize=None)
def _encoder():
    """json.dumps(doc, allow_nan=False), made once: json is imported on the
    first document (a command without --json need not load it: start-up
    time), and not again for each of a batch's records. gradcli's documents
    are plain trees, never circular: the check for it is skipped (a tenth of
    a record's encoding)."""
    import json
    return json.JSONEncoder(allow_nan=False, check_circular=False).encode


def dump(doc, file=None) -> None:
    file = file or sys.stdout
    file.write(dumps(doc) + "\n")
    file.flush()
