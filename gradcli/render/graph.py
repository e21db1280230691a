"""The graph of `gradcli graph` as Graphviz DOT, as a picture Graphviz's
`dot` program draws from it (SVG, PNG), or as JSON (the tree is render/tree.py)."""
from __future__ import annotations

import numpy

from gradcli.errors import ComputeError, UsageError
from gradcli.render import format as fmt
from gradcli.report import Graph, snapshot

LINES = 5           # a node's value: at most this many lines...
WIDTH = 64          # ...of at most this many characters


def to_json(graph: Graph, program: str) -> dict:
    nodes = []
    for n in sorted(graph.nodes.values(), key=lambda n: n.id):
        d = {"id": n.id, "kind": n.kind, "op": n.op, "name": n.name, "shape": list(n.shape),
             "value": fmt.jsonable(n.value)}
        if n.grad is not None:
            d["grad"] = fmt.jsonable(n.grad)
        if n.scope is not None:
            d["scope"] = n.scope
        nodes.append(d)
    edges = [{"from": a, "to": b, "arg": arg} for a, b, arg in graph.edges()]
    return {"program": program, "root": graph.root, "nodes": nodes, "edges": edges}


_STYLE = {
    "input": 'shape=box, style="rounded,filled", fillcolor="#d8ecff"',
    "intermediate": 'shape=box, style="filled", fillcolor="#fff3c4"',
    "call": 'shape=box, style="filled,dashed", fillcolor="#efe0ff"',
    "constant": 'shape=plaintext',
    "op": 'shape=ellipse',
}


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _value(a, precision: int) -> str:
    """An array short enough for a node: a matrix row a line, two items kept
    at each end of each axis, or one where that is too wide or too long; an
    array with more axes than that leaves room for, flattened."""
    for edge in (2, 1):
        text = fmt.array(a, precision, oneline=False, edge=edge, width=10_000)
        lines = [line for line in text.split("\n") if line.strip()]      # numpy parts blocks with blank lines
        if len(lines) <= LINES and max(map(len, lines)) <= WIDTH:
            return "\n".join(lines)
    return "flattened " + fmt.array(numpy.ravel(a), precision, edge=2)


def _with(head: str, value: str) -> str:
    """A value after its head (the shape, or "grad"): on the same line when it is one line."""
    return f"{head}  {value}" if "\n" not in value else f"{head}\n{value}"


def to_dot(graph: Graph, precision: int) -> str:
    """Valid Graphviz text: edges point from inputs towards the result, and
    an edge into an operation whose inputs are not interchangeable (a - b)
    is labelled with the parameter it fills."""
    lines = ["digraph gradcli {", "  rankdir=BT;", '  node [fontname="Helvetica", fontsize=11];',
             '  edge [fontname="Helvetica", fontsize=9, fontcolor="#555555"];']
    for n in sorted(graph.nodes.values(), key=lambda n: n.id):
        title = n.label
        if n.name and n.kind in ("intermediate", "call"):
            title = f"{n.name} = {n.op if n.kind == 'intermediate' else n.text}"
        text = f"{title}\n{_with(fmt.shape(n.shape), _value(n.value, precision))}"
        if n.kind == "constant" and not n.shape:        # a literal number: its value is its label
            text = fmt.array(n.value, precision)
        if n.grad is not None:
            text += "\n" + _with("grad", _value(n.grad, precision))
        extra = ", penwidth=2" if n.id == graph.root else ""
        lines.append(f"  n{n.id} [label={_quote(text)}, {_STYLE[n.kind]}{extra}];")
    for a, b, arg in graph.edges():
        lines.append(f"  n{a} -> n{b};" if arg is None else f"  n{a} -> n{b} [label={_quote(arg)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


PICTURES = {"svg": b"<svg", "png": b"\x89PNG\r\n\x1a\n"}      # a format, and what its output contains
INSTALL = ("install Graphviz (Debian/Ubuntu: sudo apt install graphviz; macOS: brew install graphviz), "
           "or write --format dot and paste it into an online Graphviz viewer")


def destination(format_: str | None, json: bool, output: str | None) -> tuple[str, str | None]:
    """The format (the tree unless --format or --json says), and for svg and
    png the path of Graphviz's dot program. What could not be written is
    refused here, before the program runs: --json with another format,
    --output with the tree, a PNG to a terminal, a picture without dot."""
    import shutil
    import sys
    if json and format_ not in (None, "json"):
        raise UsageError(f"--json prints the graph as JSON: give --format json or --json, not --format {format_}")
    kind = format_ or ("json" if json else "tree")
    if output and kind == "tree":
        raise UsageError("--output writes --format dot, json, svg or png (the tree is for the terminal)",
                         hint="add --format dot, json, svg or png; or drop --output to see the tree")
    if kind == "png" and not output and sys.stdout.isatty():
        raise UsageError("a PNG is no text for the terminal: give --output FILE, or redirect stdout",
                         hint="gradcli graph ... --format png --output graph.png")
    if kind not in PICTURES:
        return kind, None
    path = shutil.which("dot")
    if path is None:
        raise UsageError(f"--format {kind} is drawn by Graphviz's dot program, which is not on PATH", hint=INSTALL)
    return kind, path


def text(kind: str, y, program: str, precision: int, node_grads: dict | None) -> str:
    """The graph below y as JSON (every node, a call's own unfolded) or as
    DOT (a call folded into one node, as the tree draws it), for svg and png too."""
    from gradcli.render import jsonout
    if kind == "json":
        return jsonout.dumps(to_json(snapshot(y, fold=False, node_grads=node_grads), program)) + "\n"
    return to_dot(snapshot(y, node_grads=node_grads), precision)


def picture(dot: str, kind: str, program: str) -> bytes:
    """The DOT text drawn by Graphviz (program: the path of its dot) as svg or png."""
    import subprocess
    try:
        done = subprocess.run([program, f"-T{kind}"], input=dot.encode(), capture_output=True)
    except OSError as e:
        raise ComputeError(f"Graphviz's dot ({program}) could not run: {e.strerror or e}", hint=INSTALL) from None
    if done.returncode != 0 or PICTURES[kind] not in done.stdout[:4096]:
        said = done.stderr.decode(errors="replace").strip().splitlines()
        why = f"exit status {done.returncode}" if done.returncode else f"its output is no {kind.upper()}"
        raise ComputeError(f"Graphviz's dot ({program}) failed: {why}" + (f": {fmt.visible(said[0])}" if said else ""),
                           hint="check that `dot -V` works, or write --format dot and draw it elsewhere")
    return done.stdout


def emit(stdout, text: str, kind: str, dot: str | None, output: str | None) -> None:
    """The DOT or JSON text, or the picture dot draws from it, to --output
    FILE or to stdout (a picture as bytes: a PNG is no text)."""
    data = picture(text, kind, dot) if dot else text.encode() if output else None
    if output:
        from gradcli.render import files
        with files.opened(output) as f:
            f.write(data)
    elif data is not None:
        import sys
        stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        stdout.write(text)
