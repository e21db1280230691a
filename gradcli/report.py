"""A plain snapshot of a computation: value, gradients and graph, taken once.
Every renderer (rich tree, JSON, DOT) is a function of this data."""
from __future__ import annotations

from gradcli.autograd import Tensor
from gradcli.autograd.release import Released


class GraphNode:
    """A node of the snapshot. (Here and in Graph, plain classes: see errors.Source.)"""

    def __init__(self, id: int, kind: str, op: str | None, name: str | None, shape: tuple, value,
                 grad=None, parents: list[int] | None = None, text: str | None = None, scope: int | None = None,
                 args: list | None = None):
        self.id = id
        self.kind = kind            # input | intermediate | op | constant | call
        self.op = op                # the operation (None for inputs and constants)
        self.name = name            # binding name, or the input's key
        self.shape = shape
        self.value = value          # host array, or None once released (autograd/release.py)
        self.grad = grad            # host array: an input's gradient (or any node's, with --grads)
        self.parents = [] if parents is None else parents
        self.text = text            # a folded call's source text
        self.scope = scope          # unfolded: the id of the call node this belongs to
        self.args = [] if args is None else args    # the parameter each parent fills, where that matters (args_of)

    def __repr__(self):
        return f"GraphNode({self.id}, {self.kind!r}, {self.label!r}, parents={self.parents})"

    @property
    def label(self) -> str:
        return self.name or (self.text if self.kind == "call" else self.op) or "const"


class Graph:
    def __init__(self, root: int, nodes: dict[int, GraphNode]):
        self.root, self.nodes = root, nodes

    def __repr__(self):
        return f"Graph(root={self.root}, nodes={len(self.nodes)})"

    def edges(self):
        """(from, to, arg): arg names the parameter the edge fills, or is None."""
        for n in self.nodes.values():
            for p, arg in zip(n.parents, n.args or [None] * len(n.parents)):
                yield p, n.id, arg


# Binary operations whose two inputs play one role, so that they can trade
# places without changing the value (nor, then, the gradients): their edges
# need no name. dot is here since it takes vectors alone (torch.dot); the
# losses are not, symmetric as mse_loss is, since x and target differ in
# role. Every other operation with several inputs names each edge after the
# parameter it fills: a - b, a @ b or where(cond, a, b) read differently
# with the inputs swapped. tests/test_graph_pictures.py holds the set to the table.
COMMUTATIVE = frozenset({"add", "mul", "maximum", "minimum", "hypot", "logaddexp", "logaddexp2", "eq", "ne",
                         "dot", "cosine_similarity"})


def args_of(op, n: int) -> list:
    """The parameter names of a node's n parents, in order; None for each
    where one input or a commutative op leaves nothing to tell apart, or
    where the names are not sure: a folded call's parents are the arguments
    its text gave, all the required ones and the optional ones named, so
    two of layer_norm's x, weight=1, bias=0 could be either pair."""
    params = op.tensor_params if op is not None else ()
    if n < 2 or not params or op.name in COMMUTATIVE:
        return [None] * n
    if params[0].kind == "tensors":             # stack(xs), einsum(eq, *operands): one parameter, many inputs
        return [f"{params[0].name}[{i}]" for i in range(n)]
    names = [p.name for p in params]
    required = [p.name for p in params if p.required]
    return names if n == len(names) else required if n == len(required) else [None] * n


def snapshot(root: Tensor, fold: bool = True, node_grads: dict | None = None) -> Graph:
    """The graph below root. fold draws each grad()/jacobian()/hessian() call
    as one node; node_grads (tensor id -> Tensor) adds every node's gradient.
    Long: one iterative walk that discovers the nodes, folds calls and numbers
    them; split up, its state would travel between three functions."""
    from gradcli.ops import TABLE       # loaded by the program that made root: free here
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
        if k[0] != "s":
            args = args_of(t.op, len(parents))
        elif t.scope.args:                       # a folded call: its parents are its arguments
            args = args_of(TABLE.get(t.scope.func), len(parents))
        else:                                    # ...or what its nodes read: no parameter to name
            args = [None] * len(parents)
        grad = None
        if t.grad is not None:
            grad = to_host(t.grad)
        elif node_grads is not None and id(t) in node_grads:
            grad = to_host(node_grads[id(t)].data)
        value = None if isinstance(t.data, Released) else to_host(t.data)
        node = GraphNode(ids[k], kind, op, t.key or t.name, t.shape, value, grad,
                         [ids[key_of(p)] for p in parents], text, args=args)
        if not fold and t.scope is not None:
            node.scope = scope_ids.setdefault(id(t.scope), len(scope_ids))
        nodes[node.id] = node
    return Graph(ids[key_of(root)], nodes)
