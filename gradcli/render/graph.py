"""The graph of `gradcli graph` as Graphviz DOT or as JSON (the tree is render/tree.py)."""
from __future__ import annotations

from gradcli.render import format as fmt
from gradcli.report import Graph


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
    edges = [{"from": a, "to": b} for a, b in graph.edges()]
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


def to_dot(graph: Graph, precision: int) -> str:
    """Valid Graphviz text: edges point from inputs towards the result."""
    lines = ["digraph gradcli {", "  rankdir=BT;", '  node [fontname="Helvetica", fontsize=11];']
    for n in sorted(graph.nodes.values(), key=lambda n: n.id):
        title = n.label
        if n.name and n.kind in ("intermediate", "call"):
            title = f"{n.name} = {n.op if n.kind == 'intermediate' else n.text}"
        text = f"{title}\n{fmt.shape(n.shape)}  {fmt.array(n.value, precision, edge=2)}"
        if n.kind == "constant" and not n.shape:        # a literal number: its value is its label
            text = fmt.array(n.value, precision)
        if n.grad is not None:
            text += f"\ngrad {fmt.array(n.grad, precision, edge=2)}"
        extra = ", penwidth=2" if n.id == graph.root else ""
        lines.append(f"  n{n.id} [label={_quote(text)}, {_STYLE[n.kind]}{extra}];")
    for a, b in graph.edges():
        lines.append(f"  n{a} -> n{b};")
    lines.append("}")
    return "\n".join(lines) + "\n"
