"""A plain snapshot of a computation: value, gradients and graph, taken once.
Every renderer (rich tree, JSON, DOT) is a function of this data."""
from __future__ import annotations

from dataclasses import dataclass, field

from gradcli.autograd import Tensor


@dataclass
class GraphNode:
    id: int
    kind: str                  # input | intermediate | op | constant | call
    op: str | None             # the operation (None for inputs and constants)
    name: str | None           # binding name, or the input's key
    shape: tuple
    value: object              # host array
    grad: object = None        # host array: an input's gradient (or any node's, with --grads)
    parents: list[int] = field(default_factory=list)
    text: str | None = None    # a folded call's source text
    scope: int | None = None   # unfolded: the id of the call node this belongs to

    @property
    def label(self) -> str:
        return self.name or (self.text if self.kind == "call" else self.op) or "const"


@dataclass
class Graph:
    root: int
    nodes: dict[int, GraphNode]

    def edges(self):
        for n in self.nodes.values():
            for p in n.parents:
                yield p, n.id


def snapshot(root: Tensor, fold: bool = True, node_grads: dict | None = None) -> Graph:
    """The graph below root. fold draws each grad()/jacobian()/hessian() call
    as one node; node_grads (tensor id -> Tensor) adds every node's gradient.
    Long: one iterative walk that discovers the nodes, folds calls and numbers
    them; split up, its state would travel between three functions."""
    to_host = root.bk.to_host
    ids: dict[int, int] = {}           # key (tensor id or scope id) -> node id
    nodes: dict[int, GraphNode] = {}
    order: list = []                   # (key, tensor-or-scope members) in discovery order

    def key_of(t):
        return ("s", id(t.scope)) if fold and t.scope is not None else ("t", id(t))

    # Discover nodes iteratively; a folded call's parents are the tensors
    # outside it that its members read.
    stack = [root]
    seen = {key_of(root)}
    members: dict = {}
    while stack:
        t = stack.pop()
        k = key_of(t)
        inside = [t]
        parents = []
        if k[0] == "s":
            # walk the whole call from t
            inner, seen_inner = [t], {id(t)}
            while inner:
                m = inner.pop()
                for p in m.parents:
                    if key_of(p) == k:
                        if id(p) not in seen_inner:
                            seen_inner.add(id(p))
                            inner.append(p)
                            inside.append(p)
                    elif p not in parents:
                        parents.append(p)
            if k in members:
                continue
            if t.scope.args:
                parents = list(t.scope.args)
        else:
            parents = list(t.parents)
        members[k] = (t, parents)
        order.append(k)
        for p in reversed(parents):
            pk = key_of(p)
            if pk not in seen:
                seen.add(pk)
                stack.append(p)
    # Number nodes in creation order, so ids are stable.
    for n, k in enumerate(sorted(order, key=lambda k: members[k][0].id)):
        ids[k] = n
    scope_ids: dict[int, int] = {}
    for k in order:
        t, parents = members[k]
        if k[0] == "s":
            kind, op, text = "call", t.scope.func, t.scope.text
        elif t.is_input:
            kind, op, text = "input", None, None
        elif t.op is None:
            kind, op, text = "constant", None, None
        else:
            kind, op, text = ("intermediate" if t.name else "op"), t.op.name, None
        grad = None
        if t.grad is not None:
            grad = to_host(t.grad)
        elif node_grads is not None and id(t) in node_grads:
            grad = to_host(node_grads[id(t)].data)
        node = GraphNode(ids[k], kind, op, t.key or t.name, t.shape, to_host(t.data), grad,
                         [ids[key_of(p)] for p in parents], text)
        if not fold and t.scope is not None:
            node.scope = scope_ids.setdefault(id(t.scope), len(scope_ids))
        nodes[node.id] = node
    return Graph(ids[key_of(root)], nodes)
