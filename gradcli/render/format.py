"""Numbers and arrays as people read them: aligned, abbreviated, one line."""
from __future__ import annotations

import math
import re

import numpy

DEFAULT_PRECISION = 4


def number(x: float, precision: int = DEFAULT_PRECISION) -> str:
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "0"
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    if 1e-4 <= abs(x) < 1e6:
        s = f"{x:.{precision}f}".rstrip("0").rstrip(".")
        return s if s not in ("0", "-0") else f"{x:.{precision}g}"
    return f"{x:.{precision}g}"


def array(a, precision: int = DEFAULT_PRECISION, oneline: bool = True, edge: int = 3, width: int = 78) -> str:
    """NumPy-style text; large arrays keep `edge` items at each end. Not on
    one line: a matrix row a line, a row wider than width broken between
    numbers."""
    a = numpy.asarray(a)
    if a.ndim == 0:
        return number(a, precision)
    if oneline and a.ndim <= 2 and 0 < a.size <= 2 * edge * edge:
        # Small arrays are joined directly: NumPy's printer is slow for them.
        if a.ndim == 1:
            return "[" + ", ".join(number(v, precision) for v in a.tolist()) + "]"
        return "[" + ", ".join(array(row, precision, True, edge) for row in a) + "]"
    text = numpy.array2string(a, separator=", ", threshold=2 * edge * edge, edgeitems=edge,
                              formatter={"float_kind": lambda v: number(v, precision)},
                              max_line_width=10_000 if oneline else max(width, 1))
    return " ".join(text.split()) if oneline else text


def fit(a, width: int, precision: int = DEFAULT_PRECISION) -> list[str]:
    """An array in lines at most width wide, for a table's cell: on one line
    when it fits with 3, 2 or 1 items kept at each end of each axis; else a
    matrix row a line, abbreviated the same way; a row that still does not
    fit breaks between numbers, never inside one."""
    a = numpy.asarray(a)
    for edge in (3, 2, 1):
        text = array(a, precision, edge=edge)
        if len(text) <= width:
            return [text]
    if a.ndim >= 2:
        for edge in (3, 2, 1):
            lines = array(a, precision, oneline=False, edge=edge, width=10_000).split("\n")
            if max(map(len, lines)) <= width:
                return lines
    return array(a, precision, oneline=False, edge=1, width=width).split("\n")


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def visible(text: str) -> str:
    """User text made safe to show on a terminal: control characters (ESC,
    BEL...) as \\x1b, so that a program or a file name cannot move the
    cursor, clear the screen or retitle the window."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def shape(s) -> str:
    return "(" + ", ".join(map(str, s)) + ("," if len(s) == 1 else "") + ")"


def jsonable(a):
    """Nested lists of floats; non-finite numbers as "nan", "inf", "-inf".
    Every value and gradient of a batch comes here, most of them a number or
    a vector: their finiteness is checked on the Python floats, where NumPy's
    isfinite costs more than the conversion. A vector's sum is finite only
    when every term is (one that overflows goes the slow way, which leaves
    finite numbers as they are)."""
    a = numpy.asarray(a, dtype=float)
    out = a.tolist()
    if a.ndim == 0:
        return out if math.isfinite(out) else _finite(out)
    if math.isfinite(sum(out)) if a.ndim == 1 else numpy.isfinite(a).all():
        return out
    stack = [out]
    while stack:
        items = stack.pop()
        for i, v in enumerate(items):
            if isinstance(v, list):
                stack.append(v)
            else:
                items[i] = _finite(v)
    return out


def _finite(v: float):
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v
