"""The graph as a rich Tree, from the result down to the inputs. A node met
again is referred to, not redrawn; depth and size are bounded so that a
100,000-node graph prints a readable tree. Built without recursion."""
from __future__ import annotations

from rich.text import Text
from rich.tree import Tree

from gradcli.render import format as fmt
from gradcli.report import Graph, GraphNode

DEPTH = 12
NODES = 60


def label(node: GraphNode, precision: int, show_value: bool = True, width: int | None = None) -> Text:
    """A node's line: its name or op, shape, value and gradient; with width
    (the room its line has), arrays are abbreviated to fit it where they can."""
    t = Text()
    if node.kind == "input":
        t.append(node.name, style="bold cyan")
        t.append("  input", style="cyan")
    elif node.kind == "intermediate":
        t.append(node.name, style="bold")
        t.append(f" = {node.op}", style="magenta")
    elif node.kind == "call":
        if node.name:
            t.append(node.name, style="bold")
            t.append(" = ", style="magenta")
        t.append(node.text or node.op, style="magenta")
    elif node.kind == "constant":
        if node.value.ndim == 0:        # a literal number: its value is its label
            t.append(fmt.array(node.value, precision))
            t.append("  const", style="dim")
            return t
        t.append("const", style="dim")
    else:
        t.append(node.op, style="magenta")
    t.append(f"  {fmt.shape(node.shape)}", style="dim")
    if show_value and node.value is None:
        t.append("  released", style="dim")         # a large value no rule needed (autograd/release.py)
    elif show_value:
        t.append("  " + _fit(node.value, precision, width and width - len(t) - 2))
    if node.grad is not None:
        grad = _fit(node.grad, precision, width and width - len(t) - 7)
        # A long label keeps its gradient on a line of its own, under the value.
        if len(t) + len(grad) > min(56, width or 56):
            grad = _fit(node.grad, precision, width and width - 5)
            t.append("\ngrad ", style="green")
        else:
            t.append("  grad ", style="green")
        t.append(grad, style="green")
    return t


def _fit(a, precision: int, room: int | None) -> str:
    """An array on one line, two items kept at each end of each axis, or one
    when that is what fits in room."""
    text = fmt.array(a, precision, edge=2)
    return text if room is None or len(text) <= room else fmt.array(a, precision, edge=1)


def build(graph: Graph, precision: int = fmt.DEFAULT_PRECISION, depth: int | None = DEPTH,
          max_nodes: int | None = NODES, width: int | None = None) -> Tree:
    """The tree; with width (the console's), each node's arrays are
    abbreviated to fit its line where they can."""
    nodes = graph.nodes
    root = Tree(label(nodes[graph.root], precision, width=width), guide_style="dim")
    drawn = {graph.root}
    elided: set[int] = set()
    count = 1
    stack = [(pid, root, 1) for pid in reversed(nodes[graph.root].parents)]
    hidden = 0
    while stack:
        nid, parent, level = stack.pop()
        node = nodes[nid]
        if nid in elided:
            parent.add(Text("… (elided above)", style="dim italic"))
            continue
        if nid in drawn:
            ref = Text("↑ ", style="dim")
            ref.append(node.label, style="bold" if node.name else "magenta")
            ref.append(" (shown above)", style="dim")
            parent.add(ref)
            continue
        too_deep = depth is not None and level > depth
        too_many = max_nodes is not None and count >= max_nodes
        if too_deep or too_many:
            n = _count_below(nodes, nid, drawn, elided)
            hidden += n
            parent.add(Text(f"… {n:,} more node{'s' * (n != 1)}", style="dim italic"))
            continue
        drawn.add(nid)
        count += 1
        branch = parent.add(label(node, precision, width=width and width - 4 * level))
        for pid in reversed(node.parents):
            stack.append((pid, branch, level + 1))
    if hidden:
        root.add(Text(f"({hidden:,} nodes not drawn: --depth N or --full shows more)", style="dim"))
    return root


def _count_below(nodes, nid, drawn, elided) -> int:
    """Nodes reachable from nid that are neither drawn nor already counted."""
    seen, stack = {nid}, [nid]
    while stack:
        for p in nodes[stack.pop()].parents:
            if p not in seen and p not in drawn and p not in elided:
                seen.add(p)
                stack.append(p)
    elided.update(seen)
    return len(seen)


def depth_of(graph: Graph) -> int:
    """The longest path from the root to an input, in edges."""
    order, seen, stack = [], {graph.root}, [(graph.root, iter(graph.nodes[graph.root].parents))]
    while stack:                        # post-order: parents before the nodes that read them
        nid, parents = stack[-1]
        for p in parents:
            if p not in seen:
                seen.add(p)
                stack.append((p, iter(graph.nodes[p].parents)))
                break
        else:
            stack.pop()
            order.append(nid)
    depth = {}
    for nid in order:
        depth[nid] = 1 + max((depth[p] for p in graph.nodes[nid].parents), default=-1)
    return depth[graph.root]


def listing(graph: Graph, precision: int = fmt.DEFAULT_PRECISION) -> Text:
    """Every node on one line, inputs first, each naming the nodes it reads:
    the whole graph when a tree would be too deep to draw."""
    out = Text()
    for node in sorted(graph.nodes.values(), key=lambda n: n.id):
        if node.id:
            out.append("\n")
        out.append(f"#{node.id:<5} ", style="dim")
        out.append_text(label(node, precision))
        if node.parents:
            out.append("  <- " + ", ".join(f"#{p}" for p in node.parents), style="dim")
    return out
