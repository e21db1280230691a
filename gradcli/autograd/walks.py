"""Walks of the recorded graph: from a result to the nodes it passes
gradients to (a backward pass's order), or to those it reads at all, each
found once however many paths lead to it."""
from __future__ import annotations

from operator import attrgetter

from gradcli.autograd.tensor import Tensor

_MADE = attrgetter("id")        # a tensor's creation order


def _value_parents(node: Tensor) -> list[Tensor]:
    """The inputs a node reads as values, differentiable or not (floor's x,
    but not where's mask, nor an index or a shape)."""
    op = node.op
    if op is None:
        return ()
    if op.values_only:
        return node.parents
    return [p for p, v in zip(node.parents, op.value_inputs(len(node.parents))) if v]


def toposort(root: Tensor, parents_of=None) -> list[Tensor]:
    """Tensors whose gradient root depends on (or those parents_of walks to),
    each after all its parents: in the order they were made."""
    return (graded([root]) if parents_of is None else _reachable(root, parents_of))[::-1]


def reaches(y: Tensor, xs) -> list[Tensor]:
    """Those of xs that y reads as values, in their order: each has a
    gradient, 0 where the path to it is not differentiable (floor(x))."""
    reached = _walked(y, _value_parents)
    return [x for x in xs if id(x) in reached]


def _reachable(root: Tensor, parents_of) -> list[Tensor]:
    """root and the tensors parents_of walks to from it, latest made first:
    a node is made after its inputs, so each comes before its inputs."""
    return sorted(_walked(root, parents_of).values(), key=_MADE, reverse=True)


def _walked(root: Tensor, parents_of) -> dict[int, Tensor]:
    """root and the tensors parents_of walks to from it, by id, in no order."""
    seen = {id(root): root}
    stack = [root]
    while stack:
        for p in parents_of(stack.pop()):
            if id(p) not in seen:
                seen[id(p)] = p
                stack.append(p)
    return seen


def graded(roots: list[Tensor], constants: bool = False) -> list[Tensor]:
    """roots and the tensors they pass gradients to, transitively, latest
    made first: the inputs each op differentiates (not a where's mask, say),
    of those only the ones that need a gradient, or with constants also those
    made by round(x), say. _reachable's walk with the test inlined: the walk
    a pass starts with, where a call per node was a fifth of its time."""
    seen = {id(r): r for r in roots}
    stack = list(roots)
    pop, push = stack.pop, stack.append
    while stack:
        node = pop()
        op = node.op
        if op is None:
            continue
        parents = node.parents
        for i, _ in op.rules(len(parents)):
            p = parents[i]
            if (constants or p.requires_grad) and id(p) not in seen:
                seen[id(p)] = p
                push(p)
    return sorted(seen.values(), key=_MADE, reverse=True)


def leading(order: list[Tensor], wanted: set[int], constants: bool) -> set[int] | None:
    """The ids of the nodes in order (latest first) from which a wanted one
    is reachable; None for all of them, when every leaf on the way is wanted
    (a node that needs a gradient has an input that needs one, down to a
    leaf; not so when the walk passes through those that need none)."""
    if not constants and all(id(t) in wanted for t in order if t.op is None):
        return None
    leads = set(wanted)
    for t in reversed(order):
        for p in t.parents:
            if id(p) in leads:
                leads.add(id(t))
                break
    return leads
