"""Issue 17: the fast path of parsing (gradcli/fastparse.py) gives exactly the
general path's AST (every node, field and span, and the Source each span
points into), and every program it does not take, or that has an error,
goes the general way whole, with the same error."""
from __future__ import annotations

import random
import re
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradcli import ast, fastparse
from gradcli import parse as parsing
from gradcli.errors import GradcliError, Source, Span
from tests import fuzz

ORIGIN = "model.grad"


# ---- the two paths, and what they give
def fast(source: str):
    """The fast path, forced (by itself it leaves a program with few lines a
    shape to the general path): a Program, or None where it does not take it."""
    statements = fastparse.statements(source, Source(source, ORIGIN), parsing._alone, lines_per_new_shape=0)
    return None if statements is None else ast.Program(statements, source)


def general(source: str):
    return parsing._general(source, Source(source, ORIGIN))


@pytest.fixture
def general_calls(monkeypatch) -> list:
    """The programs parse() sends to the general path, from now on."""
    calls, original = [], parsing._general
    monkeypatch.setattr(parsing, "_general", lambda source, text: calls.append(source) or original(source, text))
    return calls


def public(source: str):
    return parsing.parse(source, ORIGIN)


def outcome(parse, source: str):
    """What a parse gives, as plain data: the tree, or the error as a person sees it."""
    try:
        return tree(parse(source))
    except GradcliError as e:
        span = e.span and (e.span.line, e.span.column, e.span.end_line, e.span.end_column)
        return ("error", type(e).__name__, e.message, span, e.hint, e.exit_code, e.source, e.origin)


def tree(program) -> list:
    """Every node of the program in order: its type, then each field's value
    (a span as every slot of it, its Source as the text and origin)."""
    out, stack = [], list(reversed(program.statements))
    while stack:
        v = stack.pop()
        if isinstance(v, ast.Node):
            out.append(type(v).__name__)
            stack += [getattr(v, f) for f in reversed(v.fields)]
        elif isinstance(v, list):
            out.append(("list", len(v)))
            stack += reversed(v)
        elif isinstance(v, Span):
            out.append(tuple((s.text, s.origin) if isinstance(s, Source) else s
                             for s in (getattr(v, slot) for slot in Span.__slots__)))
        else:
            out.append((type(v).__name__, v))
    return out


def objects(program) -> list:
    """Every node and span of the program (the objects, not copies)."""
    found = []
    for statement in program.statements:
        for node in ast.walk(statement):
            found += [node, *(getattr(node, f) for f in node.fields if isinstance(getattr(node, f), Span))]
    return found


def same_as_general(source: str) -> bool:
    """The fast path takes source (True) or leaves it (False); either way
    parse() gives what the general path gives, tree or error."""
    want = outcome(general, source)
    assert outcome(public, source) == want, source
    taken = fast(source)
    if taken is not None:
        assert tree(taken) == want, source
    return taken is not None


# ---- random programs: statements made from the grammar
NAMES = ["x", "y", "x_1", "True", "None", "e", "inf", "W2", "_t", "sum_x", "abc123", "f", "b"]
NUMBERS = ["1", "0.5", "1e5", "1.", ".5", "2.5e-3", "1E+2", "12", "0", "3.", "1e-07"]
OPERATORS = ["+", "-", "*", "/", "@", "^", "**", "<", "<=", "==", "!=", ">"]


class Statements:
    """Random statements: `shape` chooses the structure, operators and
    spacing; `leaf` the names and numbers. The same shape seed with another
    leaf seed gives a statement of the same shape with other tokens."""

    def __init__(self, shape: int, leaf: int):
        self.r, self.leaf = random.Random(shape), random.Random(leaf)

    def gap(self) -> str:
        return self.r.choice(["", "", " ", " ", "  ", "\t"])

    def atom(self) -> str:
        return self.leaf.choice(NAMES if self.r.random() < 0.6 else NUMBERS)

    def expr(self, depth: int = 0) -> str:
        r, g = self.r, self.gap
        kind = r.randrange(12) if depth < 4 else 0
        if kind < 2:
            return self.atom()
        if kind == 2:
            return f"{self.expr(depth + 1)}{g()}{r.choice(OPERATORS[:7])}{g()}{self.expr(depth + 1)}"
        if kind == 3:
            return f"{r.choice('-+')}{g()}{self.expr(depth + 1)}"
        if kind == 4:                                   # a call, with keywords after the positional arguments
            args = [self.expr(depth + 1) for _ in range(r.randrange(3))]
            args += [f"{self.leaf.choice(NAMES)}{g()}={g()}{self.expr(depth + 1)}" for _ in range(r.randrange(2))]
            return f"{self.leaf.choice(NAMES)}({f',{g()}'.join(args)}{r.choice(['', ','] if args else [''])})"
        if kind == 5:
            return f"[{g()}{', '.join(self.expr(depth + 1) for _ in range(r.randrange(4)))}{g()}]"
        if kind == 6:
            return f"({g()}{self.expr(depth + 1)}{g()})"
        if kind == 7:
            return r.choice(["()", f"({self.expr(depth + 1)},)", f"({self.expr(depth + 1)}, {self.expr(depth + 1)})"])
        if kind == 8:
            items = r.choice([["a"], ["a", "a:a"], [":"], ["::a"], ["a:", ":a:a"], ["a", "a::"]])
            subs = ", ".join(s.replace("a", self.atom()) for s in items)
            return f"{self.atom()}[{subs}]"
        if kind == 9:
            return f"{self.expr(depth + 2)}{g()}{r.choice(OPERATORS[7:])}{g()}{self.expr(depth + 2)}"
        if kind == 10:
            return f"{self.atom()}{g()}**{g()}-{self.atom()}"
        return f"{self.leaf.choice(NAMES)}({self.leaf.choice(NAMES)}({self.expr(depth + 1)}))"

    def statement(self) -> str:
        r = self.r
        kind = r.random()
        if kind < 0.45:
            return f"{self.leaf.choice(NAMES)}{self.gap()}={self.gap()}{self.expr()}"
        if kind < 0.55:                                 # a function; a parameter may be named twice
            params = ", ".join(self.leaf.choice(NAMES[:4]) for _ in range(r.randrange(1, 4)))
            return f"{self.leaf.choice(NAMES)}({params}) = {self.expr()}"
        return self.expr()


def statement(shape: int, leaf: int) -> str:
    return Statements(shape, leaf).statement()


def program(r: random.Random, lines: int = 12) -> str:
    """Lines of a few shapes, each repeated with other tokens, among
    comments, blank lines, indentation and Windows line ends."""
    shapes = [r.randrange(10**6) for _ in range(r.randrange(1, 5))]
    out = []
    for _ in range(lines):
        line = r.choice([" ", "\t", ""]) * (r.random() < 0.1) + statement(r.choice(shapes), r.randrange(10**6))
        extra = r.random()
        if extra < 0.1:
            line += r.choice(["  # it's (open; a \\ b.T", "#", "\t# \"x\"", " \r", "  \f"])
        elif extra < 0.15:
            out.append(r.choice(["", "   ", "# only a comment: f(a; 'b')", "\r"]))
        out.append(line)
    return "\n".join(out)


def test_random_programs_of_repeated_shapes_parse_as_the_general_path():
    """The fast path takes most of them, and gives the general path's AST;
    where it does not, or there is an error (a parameter named twice, a
    chained comparison, a keyword before a positional argument), parse()
    still gives the general path's outcome."""
    r = random.Random(17)
    taken = sum(same_as_general(program(r)) for _ in range(150))
    assert taken > 60


def test_token_soup_lines_parse_as_the_general_path():
    """tests/fuzz.py's random programs (tokens of the language, ';', '.',
    brackets, raw bytes), a few lines of them, each line twice over."""
    r = random.Random(18)
    for _ in range(200):
        lines = [fuzz.program(r, 8) for _ in range(r.randrange(1, 4))]
        same_as_general("\n".join(lines + lines))


def _grammar_tokens():
    """The grammar's NAME and NUMBER, in one captured pattern."""
    text = (Path(__file__).parent.parent / "grammar" / "gradcli.lark").read_text()
    name, number = (re.search(rf"^{kind}: /(.*)/$", text, re.M).group(1) for kind in ("NAME", "NUMBER"))
    return re.compile(f"({name}|{number.replace('(', '(?:')})")


GRAMMAR_TOKENS = _grammar_tokens()


@settings(max_examples=400, deadline=None)
@given(st.lists(st.text(alphabet="ae19E0._x+- *(\t\r#", max_size=12), max_size=8))
def test_lines_share_a_shape_only_with_the_same_text_between_tokens_of_the_same_kinds(lines):
    """Each line gets its own tokens, as a split of the line alone on the
    grammar's NAME and NUMBER finds them (1e5 is one number, x1 one name, 2x
    a number and a name, x.5 a name and a number), though a line is split
    only when its layout (its text, digits made 0) is new, and lines share a
    shape exactly when they have the same texts between tokens and tokens of
    the same kinds; and the same when the source is read a few lines at a
    time, as a long one is, or with no layout kept."""
    again = [line.translate(str.maketrans("19", "91")) for line in lines]       # the same layouts
    source = "\n".join(lines + again + again)
    found, shapes = fastparse._shapes(source)
    split, kinds = GRAMMAR_TOKENS.split, set()
    for shape, cut, line, number in found:
        tokens = cut(line)
        parts = split(source.split("\n")[number - 1].split("#")[0].rstrip(" \t\f\r"))
        kind = (*parts[0::2], *(t.isidentifier() for t in parts[1::2]))
        assert list(tokens) == parts[1::2]
        assert kind == (*shape.parts[0::2], *(t.isidentifier() for t in shape.parts[1::2]))
        kinds.add(kind)
    assert len(shapes) == len(kinds)        # and lines of the same texts and kinds share one (x and x1)
    for patch in (mock.patch.object(fastparse, "CHUNK", 5), mock.patch.object(fastparse, "_LAYOUTS_MAX", 0)):
        with patch:
            pieces, _ = fastparse._shapes(source)
        assert [(s.parts, list(c(line)), n) for s, c, line, n in pieces] == \
            [(s.parts, list(c(line)), n) for s, c, line, n in found]


@pytest.mark.parametrize("source", [
    "x = 1\ny = 1e5 + 1. + .5 + 1E-3 + 12\nz = 2.5e+3",
    "a = True\nb = None\nc = x_1\nd = e\n",
    "f(a, b) = a*b + 1\ng(c, d) = c/d\nf(1, 2) + g(3, 4)",
    "y = sum(x, axis=0, keepdims=1)\nz = max(w, dim=1)\n",
    "p = [1, [2, 3], []]\nq = [[4], 5, [6, 7]]\n",
    "v = x[0, 1:2, ::3, :]\nw = y[1:, :2:, 5]\n",
    "m = -x ** -2 ^ 3\nn = +y ^ 2 ** 2\no = 2^-1",
    "u = (1 + 2) * 3\nt = ((x))\ns = (x, y,)\nr = ()\n(q) = (1,)",
    "k = x < 2\nj = y != 3\ni = z >= 4",
    "a = b\nc = 1\nd = e\nf = 2.5\ng(h) = 1\ni(j) = k",   # the same text between tokens, names or numbers
    "h = sin(cos(tan(x)))\ng = f(f(f(y)))",
    "  x = 1  # indented, comment's quote; and a.b\n\n\n  y = 2\r\n  z = 3\r\n",
    "x = 1  # it's a # in a comment\ny = 2 #",
    "x = 1 +\t2\f+ 3\r\ny = 4\t+ 5\f+ 6\nz = 7\r+ 8",
    "# only comments\n\n# and blanks\n   \n",
    "",
    "x = " + "(" * 300 + "1" + ")" * 300 + "\ny = " + "(" * 300 + "2" + ")" * 300,
])
def test_what_the_grammar_allows_on_a_line(source):
    assert same_as_general(source)


@pytest.mark.parametrize("source", [
    "f(a, b) = a\ng(c, c) = c",                     # a shape known, then a parameter named twice
    "f(a, a) = a",
    "x = a < b < c\ny = 1",
    "y = f(x=1, 2)",
    "z = g(x)(y)",
    "1 = 2",
    "x = 2x",
    "x = 1e",
    "x = (1 + 2",
    "x = 1 + 2)\ny = 3",
    "x = 1\ny = ",
    "x = 1 $ 2",
    "x = 1\vy",
    "x = 1\v\ny = 2",                                # blanks to str.strip, not to the grammar
    "x = 1\n\x85\ny = 2",
    "x = 1\ny = \x01\nz = 2",                       # a line key's marks in the text itself
    "x = a\ny = \x02\nz = b",
    "x = é",
    "x = y.5",
    "x = 1.T",
    "x = [1, 2\n3]",
])
def test_an_error_is_the_general_path_s(source):
    """The fast path leaves the program to the general path, which raises
    in the whole program's context: message, span, hint and exit code."""
    assert fast(source) is None
    error = outcome(public, source)
    assert error[0] == "error" and error == outcome(general, source)


@pytest.mark.parametrize("source", [
    "x = 1; y = 2",                                 # two statements on a line
    "y = mean(x, reduction='sum')",                 # a string
    "y = x.T\nz = sort(x).values",                  # attributes: what they mean depends on the name
    "y = x .sum()",
    "m = [[1, 2],\n     [3, 4]]",                  # a bracket open across lines
    "y = 1 + \\\n2",                                # a continued line
])
def test_a_program_that_does_not_qualify_takes_the_general_path(source, general_calls):
    assert fast(source) is None
    assert same_as_general(source) is False
    general_calls.clear()
    parsing.parse(source)
    assert general_calls == [source]


def test_a_long_program_takes_the_fast_path_and_a_short_one_with_new_shapes_does_not(general_calls):
    """parse() itself: 2,000 lines of two shapes never reach the general
    path; one line of a shape not seen before does (learning a shape costs
    more than Lark's parse of a line)."""
    chain = "\n".join(["x0 = 0.5"] + [f"x{i} = sin(x{i - 1})*1.0001" for i in range(1, 2000)])
    want = tree(general(chain))
    general_calls.clear()
    assert tree(public(chain)) == want and general_calls == []
    fastparse._BUILDERS.clear()
    public("q = 1 + 2 * 3 - 4")
    assert general_calls == ["q = 1 + 2 * 3 - 4"]


def test_a_short_program_with_no_shape_known_is_not_even_split(monkeypatch):
    """The command line's one-liners pay nothing for the fast path (its
    patterns are not even compiled at start-up)."""
    def split(source):
        raise AssertionError("split")
    monkeypatch.setattr(fastparse, "_shapes", split)
    monkeypatch.setattr(fastparse, "_short", 0)       # the first programs of a process
    fastparse._BUILDERS.clear()
    assert tree(public("x = 1\n" * 14 + "y")) == tree(general("x = 1\n" * 14 + "y"))
    with pytest.raises(AssertionError, match="split"):
        public("x = 1\n" * 15 + "y")


def test_every_parse_makes_its_own_objects_pointing_into_its_own_source(general_calls):
    """The evaluator and the error code set spans on nodes: no node or span
    is shared between two parses, or between two lines of the same shape."""
    source = "\n".join(f"x{i} = f(x, w={i}.5)[0:{i}]" for i in range(40))
    first, second = parsing.parse(source, ORIGIN), parsing.parse(source, ORIGIN)
    assert general_calls == []
    a, b = objects(first), objects(second)
    assert not {id(o) for o in a} & {id(o) for o in b}
    nodes = [o for o in a if isinstance(o, ast.Node)]
    assert len({id(n) for n in nodes}) == len(nodes) == 40 * 9      # Binding Index Call Name Keyword Slice, 3 Numbers
    assert len({id(s.source) for s in a if isinstance(s, Span)}) == 1
    assert a[0].span.source.text is source and a[0].span.source.origin == ORIGIN


def test_a_shape_that_does_not_qualify_is_remembered_as_such():
    """A string, or a line Lark rejects: not parsed again for the next line of its shape."""
    fastparse._BUILDERS.clear()
    assert fast("y = f('a')") is None and fast("y = 1 < 2 < 3") is None
    assert list(fastparse._BUILDERS.values()) == [None, None]


def test_the_builders_are_forgotten_between_programs_never_within_one(monkeypatch):
    """Past the bound, the cache is emptied before the next program, so that
    a program with many shapes does not make one twice."""
    monkeypatch.setattr(fastparse, "_BUILDERS_MAX", 3)
    fastparse._BUILDERS.clear()
    source = "a = 1\nb = (2)\nc = [3]\nd = -4\ne = 5 + 6"
    assert tree(fast(source)) == tree(general(source))
    assert len(fastparse._BUILDERS) == 5
    fast("f = 7")
    assert list(fastparse._BUILDERS) == [f"{fastparse.NAME_MARK} = {fastparse.NUMBER_MARK}"]


def test_a_lazy_program_reads_as_the_eager_one():
    """parse(lazy=True), a run's: each read builds the statements anew, the
    general path's tree again; a program that defines a function is built at
    once (its parameters are checked as it is built, before anything runs)."""
    r, lazily = random.Random(5), 0
    for _ in range(60):
        source = program(r, lines=80)
        assert outcome(lambda s: parsing.parse(s, ORIGIN, lazy=True), source) == outcome(public, source)
        try:
            statements = parsing.parse(source, ORIGIN, lazy=True).statements
        except GradcliError:
            continue
        if isinstance(statements, fastparse.Statements):
            lazily += 1
            assert statements[-1] is not statements[-1] and tree(ast.Program([statements[-1]], "")) == \
                tree(ast.Program(list(statements)[-1:], "")) == tree(ast.Program(statements[-1:], ""))
            assert not any(isinstance(s, ast.FunctionDef) for s in statements)
    assert lazily > 10
    defining = "f(a, b) = a * b\n" + "\n".join(f"y{i} = f(x, {i})" for i in range(40))
    assert isinstance(parsing.parse(defining, lazy=True).statements, list)


def test_a_short_program_met_often_is_learned(monkeypatch, general_calls):
    """The API in a loop, a batch of small files: once a process has parsed
    LEARN_AFTER short programs, it counts their shapes, and learns those met
    in LEARN_AFTER programs; the trees stay the general path's."""
    monkeypatch.setattr(fastparse, "_short", 0)
    monkeypatch.setattr(fastparse, "_MET", {})
    fastparse._BUILDERS.clear()
    source = "H = tanh(X @ W1 + b1)\nZ = H @ W2 + b2\nmean(logsumexp(Z, axis=1) - sum(Y * Z, axis=1))"
    want = tree(general(source))
    general_calls.clear()
    for _ in range(2 * fastparse.LEARN_AFTER + 3):
        assert tree(public(source)) == want
    assert len(general_calls) == 2 * fastparse.LEARN_AFTER - 1
    other = "A = tanh(B @ C + d)"                   # a shape learned, in another program
    want = tree(general(other))
    general_calls.clear()
    assert tree(public(other)) == want and general_calls == []
