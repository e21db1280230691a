"""vmap(f, x) in the language: a user function mapped over its arguments'
leading axis, run once on the whole batch (ops/batching.py), as JAX's vmap.
The evaluator calls it: its first argument is a function's name, not a value."""
from __future__ import annotations

from collections import ChainMap

from gradcli import ast
from gradcli.errors import ArgumentError, ShapeError, UsageError
from gradcli.ops import F
from gradcli.values import Function

VMAP = "vmap"


def is_vmap(node: ast.Call, env) -> bool:
    """vmap(...), unless the program defines a function of that name."""
    return node.func == VMAP and node.receiver is None and not isinstance(env.get(VMAP), Function)


def named_function(node: ast.Call) -> bool:
    """Whether a call's first argument names a function: vmap(f, x)."""
    return node.func == VMAP and node.receiver is None and bool(node.args) and isinstance(node.args[0], ast.Name)


def vmap(ev, node: ast.Call, args, env):
    """vmap(f, x, ...): the user function f at each item of its arguments'
    leading axis, the results stacked on a new leading axis (JAX's vmap).
    f's body runs once on the whole batch (ops/batching.py); item by item
    where it cannot (it calls grad(), or this vmap is inside another)."""
    from gradcli.autograd.engine import batching_mode
    from gradcli.autograd.tensor import batch_level, new_batch_level
    from gradcli.ops.batching import Unbatchable
    usage = "vmap(f, x) maps a function of the program, f(a) = ..., over x's first axis"
    fn = env.get(node.args[0].id) if node.args and isinstance(node.args[0], ast.Name) else None
    if not isinstance(fn, Function) or node.keywords:
        raise UsageError("vmap's first argument is the name of a function", node.span, hint=usage)
    xs = [ev.tensor(a, n) for a, n in zip(args, node.args[1:])]
    if len(xs) != len(fn.params):
        raise ArgumentError(f"vmap: {fn.name}() takes {len(fn.params)} argument{'s' * (len(fn.params) != 1)}, "
                            f"but {len(xs)} were given", node.span, hint=usage)
    if any(x.ndim == 0 for x in xs) or len({x.shape[0] for x in xs}) > 1:
        raise ShapeError("vmap maps over the first axis of each argument: they need one, of one length, "
                         f"not shapes {', '.join(str(x.shape) for x in xs)}", node.span, hint=usage)
    n = xs[0].shape[0]

    def body(values):
        return ev.tensor(ev.eval(fn.body, ChainMap(dict(zip(fn.params, values)), ev.session.env)), node)
    if batch_level() == 0:
        level = new_batch_level()
        with batching_mode(0):
            items = [F.reshape(x, shape=x.shape) for x in xs]       # x itself stays as it is
        for t in items:
            t.batch = level
        try:
            with batching_mode(level):
                out = body(items)
            with batching_mode(0):
                if out.batch == level:
                    return F.reshape(out, shape=out.shape)          # no longer a batch: an array
                return F.broadcast_to(F.reshape(out, shape=(1,) + out.shape), shape=(n,) + out.shape)
        except Unbatchable:
            pass
    return F.stack(*(body([x[i] for x in xs]) for i in range(n)), axis=0)
