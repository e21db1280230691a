"""parse.py's fast path, for long programs written a statement a line (issue 17).

Lark lexes at a few microseconds a token and its tree is then transformed
node by node: 40 to 80 µs a statement. But a long program repeats a few
statement shapes: `x2 = sin(x1)*1.0001` and `x3 = sin(x2)*1.0001` differ only
in the texts of their NAME and NUMBER tokens. A line's shape key is its text
with each token made a mark of its kind. The first line of a shape is parsed by
Lark alone, as a probe line of the same key whose tokens all differ, so that
the AST says which token each name, number and span end came from; that AST
is compiled into a builder, a function that makes the same AST for any line
of the shape from the line's tokens, a few µs a statement. The tokens' texts
never enter the compiled code: it reads them from the line.

A line qualifies when Lark parses it alone as one statement (no ';', no line
continuation, no bracket left open), with no string and no attribute (what
`x.T` or `x.values` means depends on the name). A program with a line that
does not qualify, or an error, goes the general way, whole, so that errors
are Lark's, in the whole program's context. So does a program with few
lines for each shape not met before: a builder costs more to make than
Lark's parse of a few lines."""
from __future__ import annotations

import functools
from itertools import accumulate, count
from operator import itemgetter
import re
from collections.abc import Callable, Sequence

from gradcli import ast
from gradcli.codegen import Generator, Irregular
from gradcli.errors import Source, Span

# The grammar's NAME and NUMBER in one pattern, captured: a line split on it
# alternates the text between tokens (even items) and the tokens (odd items).
# It starts with one character class, so the regex engine skips to a token's
# first character (a fifth fewer instructions than NAME|NUMBER); what follows
# depends on that character's kind. A test holds it to the grammar's.
_TOKENS = (r"([A-Za-z_0-9.](?:(?<=[A-Za-z_])[A-Za-z0-9_]*|(?<=[0-9])[0-9]*\.?[0-9]*(?:[eE][+-]?[0-9]+)?"
           r"|(?<=\.)[0-9]+(?:[eE][+-]?[0-9]+)?))")
NUMBER_MARK, NAME_MARK = "\x01", "\x02"     # a token in a line's key (a source holding one goes the general way)
_COMMENT = r"#[^\n]*"      # to the line's end, unless a quote is before it: then the line does not qualify
# The grammar's blanks: str.strip's own would also take characters the
# grammar rejects (a vertical tab), so a line with one would qualify.
_BLANKS = " \t\f\r"
# Between the tokens of a line that qualifies: no string (Lark would parse
# its words as one token), no '.' outside a number (an attribute: what it
# means depends on the name). Whatever else a line may not hold (';', a line
# continuation, an open bracket) fails when it is parsed alone.
_IRREGULAR = r"['\".]"
CHUNK = 1 << 16                         # characters of a long program read at once (then the next piece)

_BUILDERS: dict[str, object] = {}       # shape key -> builder (see _builder), None for a shape that does not qualify
_BUILDERS_MAX = 1024                    # a builder takes about 250 bytes a character of its line
# Making a shape's builder costs what Lark takes for 6 to 15 lines (bench/bench_parse.py):
# a program with fewer lines than this a new shape is left to the general path.
LINES_PER_NEW_SHAPE = 16
# A process that parses many short programs (the API in a loop, a batch of small files)
# learns a shape once it has met it in that many of them; it starts counting after that
# many programs, so that a command's one-liner is not even split.
LEARN_AFTER = 8
_MET: dict[str, int] = {}               # shape key -> the short programs it was met in, not learned yet
_short = 0                              # the short programs parsed before counting starts
_CLASSES = {cls.__name__: cls for cls in vars(ast).values()
            if isinstance(cls, type) and issubclass(cls, ast.Node)}


def statements(source: str, text: Source, alone: Callable[[str], ast.Node | None],
               lines_per_new_shape: int = LINES_PER_NEW_SHAPE, lazy: bool = False):
    """The statements of source, their spans in text (the program's Source);
    None when a line does not qualify, or when the program has fewer than
    lines_per_new_shape lines for each shape not met before. alone(line)
    parses one line by the general path: its one statement, or None. With
    lazy, a Statements that builds each when it is read, unless a line
    defines a function (its parameters are checked as it is built)."""
    global _short
    known = _BUILDERS
    if len(known) > _BUILDERS_MAX:              # between programs: a program's own shapes are made once
        known.clear()
    if not known and source.count("\n") < lines_per_new_shape - 1 and _short < LEARN_AFTER:
        _short += 1
        return None                             # the rule below, before splitting: every line would be new
    if NUMBER_MARK in source or NAME_MARK in source:
        return None
    lines, shapes = _shapes(source)
    new = shapes.keys() - known.keys()
    if len(new) * lines_per_new_shape > len(lines) and not _met_often(new):
        return None
    for key in new:
        known[key] = _builder(shapes[key].parts, alone)
    for key, shape in shapes.items():
        # get: a parse in another thread may empty the cache meanwhile (the general path then parses this one)
        shape.build = known.get(key)
        if shape.build is None:
            return None
    if lazy and not any(shape.build.defines for shape in shapes.values()):
        return Statements(lines, text)
    try:
        return [shape.build(cut(line), number, text) for shape, cut, line, number in lines]
    except Irregular:                          # a parameter named twice
        return None


class _Shape:
    """The lines of one shape share it: the parts of the first (the texts
    between its tokens and the tokens), then the shape's builder, and the
    kernel a run found for it (gradcli/kernels.py; False until then)."""
    __slots__ = ("parts", "build", "kernel")

    def __init__(self, parts: list[str]):
        self.parts, self.build, self.kernel = parts, None, False


class Statements(Sequence):
    """A program's statements, each built from its line's tokens when it is
    read: a long program's syntax tree is never held whole (a run reads each
    statement once). Each read builds new nodes."""

    def __init__(self, lines: list[tuple], text: Source):
        self._lines, self._text = lines, text       # (its _Shape, its cut, the line, its number) a line

    def __len__(self) -> int:
        return len(self._lines)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        shape, cut, line, number = self._lines[i]
        return shape.build(cut(line), number, self._text)

    def __iter__(self):
        text = self._text
        for shape, cut, line, number in self._lines:
            yield shape.build(cut(line), number, text)

    def lines(self) -> tuple[list[tuple], Source]:
        """(shape, cut, line, line number) of each line, and the Source: what
        a run that need not build a statement's tree reads (cut(line) is its
        tokens, shape.build the line's builder; gradcli/kernels.py)."""
        return self._lines, self._text


def _met_often(new) -> bool:
    """Whether each of a short program's new shapes has been met in LEARN_AFTER
    programs now (counting this one): then they are learned."""
    if len(_MET) > _BUILDERS_MAX:
        _MET.clear()
    for key in new:
        _MET[key] = _MET.get(key, 0) + 1
    if any(_MET[key] < LEARN_AFTER for key in new):
        return False
    for key in new:
        del _MET[key]
    return True


def _shapes(source: str) -> tuple[list[tuple[_Shape, Callable, str, int]], dict[str, _Shape]]:
    """(its shape, its cut, the line, its number) of each line that holds a
    statement, and the shapes by key, each with the parts of its first line
    (they alternate the texts between tokens and the tokens). A line's key is
    its text with each NUMBER token made NUMBER_MARK and each NAME NAME_MARK.

    The regex engine costs ~300 instructions a character, so a line is split
    on the tokens only when its layout is new: its text with every digit made
    0. Lines of one layout differ only in the digits of their tokens (a digit
    is always in a NAME or a NUMBER, and where tokens start and end depends on
    a character's class, not on which digit it is), so their tokens lie at the
    same places: `x12 = sin(x11)` and `x13 = sin(x12)` are cut by one
    itemgetter of slices, in C. cut(line) is the line's tokens, cut when the
    line is read: a long program holds its lines, not their tokens (half the
    memory). A piece of the source (CHUNK characters of whole lines) at a
    time, so that what a piece is turned into is not made for the whole text."""
    tokens, comment = _patterns()
    if "#" in source:
        source = comment.sub("", source)
    out, shapes, layouts, begin, number = [], {}, {}, 0, 1
    while begin < len(source):
        end = source.find("\n", begin + CHUNK)
        end = len(source) if end < 0 else end
        number = _lines(source[begin:end], number, tokens, out, shapes, layouts)
        begin = end + 1
    return out, shapes


_DIGITS = str.maketrans("123456789", "000000000")
_LAYOUTS_MAX = 4096     # layouts kept while a program is read (one with few shared layouts holds no more)


def _lines(text: str, first: int, tokens, out: list, shapes: dict, layouts: dict) -> int:
    """_shapes' work on whole lines, the first numbered first: the next line's number."""
    append, number = out.append, first - 1
    for number, layout, line in zip(count(first), text.translate(_DIGITS).split("\n"), text.split("\n")):
        cut = layouts.get(layout)
        if cut:
            append((cut[0], cut[1], line, number))
        else:
            record = _record(line, number, tokens, shapes, layouts, layout)
            if record:
                append(record)
    return number + 1


def _record(line: str, number: int, tokens, shapes: dict, layouts: dict, layout: str) -> tuple | None:
    """The record of a line whose layout has no cut yet, or None for a blank
    line; its shape is made if it is the first line of it. A program whose
    names differ in their letters meets most layouts once: such a line
    holds its tokens, cut already (_held), and the layout is marked met
    (False); the cut of slices is made, and kept, for a layout met again."""
    stripped = line.rstrip(_BLANKS)
    if not stripped:
        return None
    parts = tokens.split(stripped)
    marks = parts.copy()
    marks[1::2] = map((NUMBER_MARK, NAME_MARK).__getitem__, map(str.isidentifier, parts[1::2]))
    key = "".join(marks)
    shape = shapes.get(key)
    if shape is None:
        shape = shapes[key] = _Shape(parts)
    if layouts.get(layout) is None:
        if len(layouts) < _LAYOUTS_MAX:
            layouts[layout] = False
        return shape, _held, parts[1::2], number
    ends = list(accumulate(map(len, parts)))
    places = [slice(start, end) for start, end in zip(ends[0::2], ends[1::2])]
    if len(places) > 1:
        cut = itemgetter(*places)
    elif places:
        cut = lambda line: (line[places[0]],)       # noqa: E731 (an itemgetter of one gives no tuple)
    else:
        cut = lambda line: ()                       # noqa: E731
    layouts[layout] = shape, cut
    return shape, cut, line, number


def _held(tokens: list[str]) -> list[str]:
    """The cut of a line that holds its tokens."""
    return tokens


@functools.cache
def _patterns():
    """Compiled on first use, not at start-up: a program shorter than
    LINES_PER_NEW_SHAPE never needs them."""
    return re.compile(_TOKENS), re.compile(_COMMENT)


def _builder(parts: list[str], alone: Callable[[str], ast.Node | None]):
    """A function (tokens, line number, Source) -> the statement of a line of
    the shape of parts, or None when the shape does not qualify. Two tokens
    side by side (2x) would run together in the probe; Lark rejects them."""
    between = parts[0::2]
    if re.search(_IRREGULAR, "".join(between)) or "" in between[1:-1]:
        return None
    tokens = [f"_{k}" if token.isidentifier() else str(k) for k, token in enumerate(parts[1::2])]
    probe = "".join(a + b for a, b in zip(between, tokens + [""]))
    statement = alone(probe)
    if statement is None:
        return None
    try:
        code = Generator(between, tokens).function(statement)
    except Irregular:
        return None
    scope = {**_CLASSES, "Span": Span, "Irregular": Irregular, "new": object.__new__}
    exec(compile(code, "<gradcli statement shape>", "exec"), scope)
    build = scope["build"]
    build.defines = isinstance(statement, ast.FunctionDef)
    build.probe = (between, tokens, statement)          # what gradcli/kernels.py makes a kernel from
    return build
