"""gradcli graph as a picture (SPEC.md section 2, README "Commands"): the
DOT is valid Graphviz with abbreviated values, edges into operations whose
inputs are not interchangeable say which parameter they fill (in DOT and
JSON), and --format svg/png go through Graphviz's dot program — a fake one
here, since the machine has none — or say how to install it."""
from __future__ import annotations

import os
import re
import stat
import subprocess
import sys

import numpy
import pytest

from gradcli import api
from gradcli.errors import GradcliError
from gradcli.ops import TABLE
from gradcli.render.graph import LINES, WIDTH
from gradcli.report import COMMUTATIVE


def dot_graph(cli, program, *args):
    pydot = pytest.importorskip("pydot")
    r = cli("graph", program, *args, "--format", "dot")
    assert r.code == 0, r.err
    [g] = pydot.graph_from_dot_data(r.out)
    return g


def node_labels(g) -> dict[str, str]:
    """Node name (n0) -> its label as drawn, with real newlines."""
    return {n.get_name(): n.get_label().strip('"').replace("\\n", "\n") for n in g.get_nodes() if n.get_label()}


def dot_edges(cli, program, *args) -> list[tuple]:
    """(from, to, label) for every edge, nodes by the first line of their label."""
    g = dot_graph(cli, program, *args)
    title = {name: label.split("\n")[0] for name, label in node_labels(g).items()}
    return sorted(((title[e.get_source()], title[e.get_destination()], (e.get_label() or "").strip('"') or None)
                   for e in g.get_edges()), key=str)


def json_edges(cli, program, *args) -> list[tuple]:
    doc = cli("graph", program, *args, "--format", "json").json()
    title = {n["id"]: n["name"] or n["op"] or "const" for n in doc["nodes"]}
    return sorted(((title[e["from"]], title[e["to"]], e["arg"]) for e in doc["edges"]), key=str)


XY = ("--at", "x=[1, -2]", "--at", "y=[3, 4]")


# ---- values abbreviated
def test_a_large_input_is_a_few_short_lines(cli):
    g = dot_graph(cli, "sum(x*x)", "--at", "x=randn(20, 30)", "--grads")
    [x] = [label for label in node_labels(g).values() if label.startswith("x\n")]
    lines = x.split("\n")
    numbers = re.findall(r"-?\d+\.\d+", x)          # the entries (the shape's are whole)
    assert lines[1] == "(20, 30)" and "..." in x
    assert len(numbers) == 2 * (4 * 4), x           # value and gradient: 2 rows at each end, 2 items in each
    assert len(lines) <= 2 + 2 * (LINES + 1) and max(map(len, lines)) <= WIDTH, x
    assert lines[2].startswith("[[") and lines[-1].startswith(" [") and "grad" in x


@pytest.mark.parametrize("shape, shown", [("1000", 4), ("4, 5, 6", 4), ("2, 3, 4, 5, 6", 4), ("3, 4", 12)])
def test_every_shape_fits_a_node(cli, shape, shown):
    """A vector or matrix keeps its layout; more axes than a few lines hold are flattened."""
    g = dot_graph(cli, "x", "--at", f"x=rand({shape})")
    [label] = node_labels(g).values()
    value = label.split("\n", 2)[1].split("  ", 1)[-1] + "\n".join(label.split("\n")[2:])
    assert len(re.findall(r"\d\.\d+", value)) == shown, label
    assert max(map(len, label.split("\n"))) <= WIDTH
    assert ("flattened" in label) == (shape.count(",") >= 2)


# ---- edges name the parameter they fill
@pytest.mark.parametrize("program, op, expected", [
    ("x - y", "sub", [("x", "a"), ("y", "b")]),
    ("y - x", "sub", [("x", "b"), ("y", "a")]),
    ("y / x", "div", [("x", "b"), ("y", "a")]),
    ("B @ A", "matmul", [("A", "b"), ("B", "a")]),
    ("x ^ y", "pow", [("x", "a"), ("y", "b")]),
    ("where(x > 0, y, x)", "where", [("gt", "cond"), ("x", "b"), ("y", "a")]),
    ("x - x", "sub", [("x", "a"), ("x", "b")]),                 # one input, two parameters: two edges
    ("stack([y, x])", "stack", [("x", "xs[1]"), ("y", "xs[0]")]),
    ("x + y", "add", [("x", None), ("y", None)]),               # commutative: nothing to tell apart
    ("maximum(y, x)", "maximum", [("x", None), ("y", None)]),
    ("x * x", "mul", [("x", None), ("x", None)]),
    ("x[0]", "getitem", [("x", None)]),                         # one input: nothing to tell apart
])
def test_edges_say_which_argument_they_are(cli, program, op, expected):
    at = XY + ("--at", "A=[[1, 2], [3, 4]]", "--at", "B=eye(2)")
    for edges in (dot_edges(cli, program, *at), json_edges(cli, program, *at)):
        assert [(a, arg) for a, b, arg in edges if b == op] == expected


def test_json_edges_always_carry_arg(cli):
    doc = cli("graph", "sum(x - y) + sum(x * y)", *XY, "--format", "json").json()
    assert all(set(e) == {"from", "to", "arg"} for e in doc["edges"])
    assert sorted(e["arg"] for e in doc["edges"] if e["arg"]) == ["a", "b"]


def test_a_folded_call_names_its_arguments_where_that_is_sure(cli):
    """grad(y, x) and conv1d(x, w) give their required arguments; layer_norm(x,
    (2,), bias=b) skips weight, and two arguments of three could be either pair."""
    edges = dot_edges(cli, "sum(grad(sum(x^3), x))", *XY)
    assert [(a, arg) for a, b, arg in edges if b.startswith("grad(")] == [("sum", "y"), ("x", "x")]
    edges = dot_edges(cli, "conv1d(reshape(x, (1, 1, 2)), reshape(y, (1, 1, 2)))", *XY)
    assert sorted(arg for a, b, arg in edges if b.startswith("conv1d")) == ["weight", "x"]
    edges = dot_edges(cli, "layer_norm(x, (2,), bias=y)", *XY)
    assert [arg for a, b, arg in edges if b.startswith("layer_norm")] == [None, None]
    edges = dot_edges(cli, "layer_norm(x, (2,), y, x)", *XY)
    assert [(a, arg) for a, b, arg in edges if b.startswith("layer_norm")] == [("x", "bias"), ("x", "x"),
                                                                             ("y", "weight")]


OPERATORS = {"add": "p + q", "sub": "p - q", "mul": "p * q", "div": "p / q", "lt": "p < q", "le": "p <= q",
             "gt": "p > q", "ge": "p >= q", "eq": "p == q", "ne": "p != q"}
# Symmetric in value, and yet labelled: their inputs differ in role (x and
# target), or they are symmetric only at this test's shapes (tensordot's
# default dims=2 over two 3x3 matrices is sum(p*q); a jacobian between
# unrelated inputs is zeros).
ROLES = {"mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "soft_margin_loss", "hinge_embedding_loss",
         "tensordot", "jacobian"}


def swapped(name, p, q) -> tuple:
    text = OPERATORS.get(name, f"{name}(p, q)")
    return api.evaluate(text, p=p, q=q).value, api.evaluate(text, p=q, q=p).value


def test_the_commutative_set_is_the_tables_symmetric_ops():
    """Each op named commutative gives the same value with its inputs
    swapped; each other two-input op of the table that runs on two random
    matrices gives another value, or is one of ROLES."""
    rng = numpy.random.default_rng(0)
    p, q = rng.uniform(0.1, 0.9, (2, 3, 3))
    for name in COMMUTATIVE:
        a, b = swapped(name, p[0], q[0]) if name == "dot" else swapped(name, p, q)
        assert numpy.allclose(a, b), name
    symmetric = set()
    for name, op in TABLE.items():
        params = op.tensor_params
        if (len(params) != 2 or not all(t.required and t.kind != "tensors" for t in params)
                or not (op.builtin or name in OPERATORS)):
            continue
        try:
            a, b = swapped(name, p, q)
        except GradcliError:            # needs other inputs (indices, a vector): not comparable here
            continue
        if numpy.shape(a) == numpy.shape(b) and numpy.allclose(a, b):
            symmetric.add(name)
    assert symmetric - {"dot"} == (COMMUTATIVE - {"dot"}) | ROLES
    assert {"sub", "div", "matmul", "mm", "pow", "atan2", "outer", "kron", "cross", "solve", "lt"} & COMMUTATIVE == set()


# ---- svg and png through Graphviz's dot
def fake_dot(folder, monkeypatch, script: str) -> None:
    """An executable `dot` first on PATH that runs script (sh), having saved its arguments and stdin."""
    path = folder / "dot"
    path.write_text(f'#!/bin/sh\necho "$@" > "{folder}/args"\ncat > "{folder}/stdin"\n{script}\n')
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ.get('PATH', '')}")


SVG = "printf '<?xml version=\"1.0\"?>\\n<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>\\n'"
PNG = "printf '\\211PNG\\r\\n\\032\\nfake'"


def test_svg_is_dot_drawn_by_graphviz(cli, tmp_path, monkeypatch):
    fake_dot(tmp_path, monkeypatch, SVG)
    r = cli("graph", "sum(x - y)", *XY, "--format", "svg")
    assert r.code == 0 and r.out.startswith("<?xml") and "<svg" in r.out
    assert (tmp_path / "args").read_text().split() == ["-Tsvg"]
    dot = cli("graph", "sum(x - y)", *XY, "--format", "dot").out
    assert (tmp_path / "stdin").read_text() == dot


def test_png_goes_to_a_file_or_to_stdout_as_bytes(cli, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from gradcli.cli import main
    fake_dot(tmp_path, monkeypatch, PNG)
    out = tmp_path / "g.png"
    r = cli("graph", "x - y", *XY, "--format", "png", "--output", str(out))
    assert r.code == 0 and r.out == "" and out.read_bytes() == b"\x89PNG\r\n\x1a\nfake"
    assert (tmp_path / "args").read_text().split() == ["-Tpng"]
    assert "digraph gradcli" in (tmp_path / "stdin").read_text()
    piped = CliRunner().invoke(main, ["graph", "x - y", *XY, "--format", "png"])
    assert piped.exit_code == 0 and piped.stdout_bytes == b"\x89PNG\r\n\x1a\nfake"


def test_png_is_not_written_on_a_terminal(tmp_path):
    """A terminal gets no binary: the command asks for --output first (no dot needed)."""
    import pty
    leader, follower = pty.openpty()
    try:
        done = subprocess.run([sys.executable, "-m", "gradcli", "graph", "x", "--at", "x=1", "--format", "png"],
                              stdout=follower, stderr=subprocess.PIPE, env={**os.environ, "NO_COLOR": "1"},
                              timeout=60)
    finally:
        os.close(follower)
        os.close(leader)
    assert done.returncode == 2 and b"--output FILE" in done.stderr


@pytest.mark.parametrize("kind", ["svg", "png"])
def test_without_graphviz_the_message_says_how_to_install_it(cli, tmp_path, monkeypatch, kind):
    monkeypatch.setenv("PATH", str(tmp_path))           # an empty folder: no dot anywhere
    r = cli("graph", "sum(x*x)", "--at", "x=[1, 2]", "--format", kind)
    assert r.code == 2 and r.out == ""
    assert "Graphviz" in r.err and "apt install graphviz" in r.err and "brew install graphviz" in r.err
    assert "--format dot" in r.err and "Traceback" not in r.err
    # Asked before the program runs: a program that would fail gets the same answer.
    assert "Graphviz" in cli("graph", "nonesuch + 1", "--format", kind).err


@pytest.mark.parametrize("script, said", [
    ("echo 'Error: <stdin>: syntax error in line 3' >&2; exit 1", "exit status 1: Error: <stdin>: syntax error"),
    ("echo 'not a picture'", "its output is no SVG"),
    ("exit 0", "its output is no SVG"),
])
def test_a_failing_dot_is_one_clean_error(cli, tmp_path, monkeypatch, script, said):
    fake_dot(tmp_path, monkeypatch, script)
    r = cli("graph", "x*2", "--at", "x=1", "--format", "svg")
    assert r.code == 1 and said in r.err and "Traceback" not in r.err and r.out == ""


def test_a_dot_that_cannot_start_is_one_clean_error(cli, tmp_path, monkeypatch):
    path = tmp_path / "dot"
    path.write_text("#!/nonexistent/interpreter\n")
    path.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    r = cli("graph", "x*2", "--at", "x=1", "--format", "svg")
    assert r.code == 1 and "could not run" in r.err and "Traceback" not in r.err


# ---- --output, --json
def test_output_writes_dot_and_json_to_a_file(cli, tmp_path):
    for kind, check in (("dot", lambda t: t.startswith("digraph gradcli {")),
                        ("json", lambda t: '"arg": "a"' in t)):
        out = tmp_path / f"g.{kind}"
        r = cli("graph", "x - y", *XY, "--format", kind, "--output", str(out))
        assert r.code == 0 and r.out == "" and check(out.read_text())


def test_output_mistakes_are_usage_errors(cli, tmp_path):
    r = cli("graph", "x", "--at", "x=1", "--output", str(tmp_path / "tree.txt"))
    assert r.code == 2 and "the tree is for the terminal" in r.err and "--format dot" in r.err
    r = cli("graph", "x", "--at", "x=1", "--format", "dot", "--output", str(tmp_path / "no" / "such" / "g.dot"))
    assert r.code == 2 and "No such file or directory" in r.err and "Traceback" not in r.err


def test_json_flag_alone_gives_the_json_graph_and_refuses_pictures(cli):
    doc = cli("graph", "x - y", *XY, "--json").json()
    assert {e["arg"] for e in doc["edges"]} == {"a", "b"}
    for kind in ("svg", "png", "dot"):
        r = cli("graph", "x - y", *XY, "--format", kind, "--json")
        assert r.code == 2 and r.json()["error"]["kind"] == "usage"
