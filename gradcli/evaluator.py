"""Expressions to values, for a Session: one table keyed by AST node type
gives each kind of node its sub-expressions and how their values combine.
Evaluation uses an explicit stack, so nesting depth costs no Python
recursion; user functions are inlined at each call."""
from __future__ import annotations

import math
from collections import ChainMap
from typing import Callable

from gradcli import ast, subscripts
from gradcli.autograd import Tensor
from gradcli.errors import ArgumentError, GradcliError, UsageError
from gradcli.ops import BUILTINS, METHODS, SYNONYMS, F, bind
from gradcli.ops.binding import given, param_kinds, receiver_place
from gradcli.ops.core import Results, dispatch
from gradcli.spellings import unknown_call, unknown_name
from gradcli.values import Function, describe, not_an_array, stacked, within_budget
from gradcli.vmap import is_vmap, named_function, vmap

CONSTANTS = {"pi": math.pi, "e": math.e, "inf": math.inf, "nan": math.nan}
KEYWORDS = {"True": True, "False": False, "None": None}
RESERVED = frozenset((*BUILTINS, *SYNONYMS, *KEYWORDS))    # names not to bind: builtins' (a synonym names one), keywords'
BINARY = {"+": "add", "-": "sub", "*": "mul", "/": "div", "@": "matmul", "**": "pow"}
COMPARE = {"<": "lt", "<=": "le", ">": "gt", ">=": "ge", "==": "eq", "!=": "ne"}
QUICK_DEPTH = 64                   # Evaluator._quick's recursion, at most
_SEQ_KINDS = ("tensors", "shape", "sizes", "dims", "axis", "axis1", "newaxis")


class CallScope:
    """The nodes one grad()/jacobian()/hessian() call created; drawn as one
    node. (Here and in NodeRule, plain classes: see errors.Source.)"""
    __slots__ = ("func", "text", "args")

    def __init__(self, func: str, text: str, args: tuple = ()):
        self.func, self.text, self.args = func, text, args


def resolve_builtin(name: str):
    return BUILTINS.get(SYNONYMS.get(name, name))


def is_reserved(name: str) -> bool:      # a builtin's name or a keyword's (True, None): not a name to bind
    return name in RESERVED


def called_builtin(node: ast.Call):
    """The builtin a call names: by name, or for x.f(), also a method-only op (x.t())."""
    op = resolve_builtin(node.func)
    return op if op is not None or node.receiver is None else METHODS.get(node.func)


class NodeRule:
    """children(node): the sub-expressions, in order (None for an empty slice
    bound); combine(evaluator, node, values, seq): the node's value
    from theirs; sequences(evaluator, node, env, seq): whether each child
    that is a list is a sequence (a tuple of values, as a shape or the
    arrays of stack) rather than an array."""
    __slots__ = ("children", "combine", "sequences")

    def __init__(self, children: Callable, combine: Callable, sequences: Callable | None = None):
        self.children, self.combine, self.sequences = children, combine, sequences


class Evaluator:
    """The values of a session's expressions."""

    def __init__(self, session):
        self.session = session

    def eval(self, root: ast.Node, env):
        """The value of an expression: a Tensor, a tuple, True/False/None."""
        return self._quick(root, env, QUICK_DEPTH)

    def _quick(self, node, env, depth: int):
        """The common case of a statement (names, numbers, operators, calls of
        builtins) evaluated by recursion, which costs less than the task stack;
        the rest, and whatever lies deeper than depth, by the task stack. Both
        combine values with NODES's rules."""
        kind = type(node)
        if kind is ast.Name:
            value = env.get(node.id)
            if isinstance(value, Tensor):
                return value
        elif kind is ast.Number:
            return self._atom(node, env)
        elif depth and (kind is ast.BinOp or kind is ast.UnaryOp or kind is ast.Call and _quick_call(node, env)):
            rule = NODES[kind]
            args = [self._quick(c, env, depth - 1) for c in rule.children(node)]
            self.session.ctx.span = node.span
            try:
                return rule.combine(self, node, args, False)
            except GradcliError as e:
                if e.span is None:
                    e.span = node.span
                raise
        return self._stacked(node, env)

    def _stacked(self, root: ast.Node, env):
        """The value of an expression, by an explicit stack of tasks (no recursion)."""
        ctx = self.session.ctx
        tasks: list = [("eval", root, env, False)]
        vals: list = []
        active: list[Function] = []      # user functions being inlined, innermost last
        node = root
        try:
            while tasks:
                task = tasks.pop()
                if task[0] == "leave":
                    active.pop()
                    continue
                if task[0] == "eval":
                    _, node, env, seq = task
                    if node is None or isinstance(node, (ast.Number, ast.Name, ast.String)):
                        vals.append(self._atom(node, env))
                        continue
                    rule = NODES[type(node)]
                    children = rule.children(node)
                    seqs = rule.sequences(self, node, env, seq) if rule.sequences else (False,) * len(children)
                    tasks.append(("combine", node, env, seq, len(children)))
                    tasks.extend(("eval", c, env, s) for c, s in zip(reversed(children), reversed(seqs)))
                    continue
                _, node, env, seq, n = task
                args = vals[len(vals) - n:]
                del vals[len(vals) - n:]
                ctx.span = node.span
                if isinstance(node, ast.Call) and is_vmap(node, env):
                    vals.append(vmap(self, node, args, env))
                    continue
                if isinstance(node, ast.Call) and isinstance(fn := self._function(node, env), Function):
                    local = self._enter(fn, node, args, active)
                    tasks.append(("leave",))
                    tasks.append(("eval", fn.body, local, False))
                    continue
                vals.append(NODES[type(node)].combine(self, node, args, seq))
        except GradcliError as e:
            if e.span is None and node is not None:
                e.span = node.span      # inside a function, its span points into the function's own text
            raise
        return vals[-1]

    def _atom(self, node, env):
        bk = self.session.bk
        if node is None:
            return None
        if isinstance(node, ast.Number):
            ctx = self.session.ctx          # an overflow here is the number's own (1e39 in float32)
            ctx.span, ctx.op = node.span, None
            return Tensor.constant(node.value, bk)
        if isinstance(node, ast.String):
            return node.value
        name = node.id
        if name in env:
            value = env[name]
            if isinstance(value, Function):
                raise UsageError(f"'{name}' is a function: call it, {name}(...)", node.span)
            return value
        if name in CONSTANTS:
            return Tensor.constant(CONSTANTS[name], bk)
        if name in KEYWORDS:
            return KEYWORDS[name]
        raise unknown_name(node, self.session, [*env, *CONSTANTS], builtin=resolve_builtin(name) is not None)

    def _function(self, node, env):
        """The user function a call names (None for a builtin)."""
        fn = env.get(node.func) if called_builtin(node) is None else None
        if fn is not None and not isinstance(fn, Function):
            raise UsageError(f"'{node.func}' is {describe(fn)}, not a function", node.func_span or node.span,
                             hint=f"multiply with '*': {node.func} * (...)")
        return fn

    def _enter(self, fn: Function, node: ast.Call, args: list, active: list[Function]):
        """Check a user function call and give its body's environment."""
        if not active:                      # the outermost call: what it inlines, measured before it runs
            within_budget(fn, self.session.env, node.span)
        names = [f.name for f in active]
        if fn.name in names:
            chain = " -> ".join(names[names.index(fn.name):] + [fn.name])
            raise UsageError(f"'{fn.name}' calls itself ({chain}); recursion is not supported", node.span)
        defined = f"defined as {fn.name}({', '.join(fn.params)})"
        npos = len(args) - len(node.keywords)
        if npos > len(fn.params):
            raise ArgumentError(f"{fn.name}() takes {len(fn.params)} argument{'s' * (len(fn.params) != 1)}, "
                                f"but {npos} were given", node.span, hint=defined)
        local = dict(zip(fn.params, args[:npos]))
        for k, v in zip(node.keywords, args[npos:]):
            if k.name not in fn.params:
                raise ArgumentError(f"{fn.name}() has no parameter '{k.name}'", k.span, hint=defined)
            local[k.name] = v
        missing = [p for p in fn.params if p not in local]
        if missing:
            raise ArgumentError(f"{fn.name}() is missing its argument '{missing[0]}'", node.span, hint=defined)
        active.append(fn)
        return ChainMap(local, self.session.env)

    def tensor(self, value, node) -> Tensor:
        if isinstance(value, Tensor):
            return value
        if isinstance(value, tuple) and not isinstance(value, Results):
            return self.array(list(value), node)
        raise not_an_array(value, node)

    def array(self, items, node) -> Tensor:
        """A list literal: one constant array, or a stack when inputs feed it."""
        return stacked(self.session.bk, [self.tensor(i, node) for i in items], node)

    def index(self, node: ast.Index, args):
        """x[...]; an item of a tuple of results (sort(x)[0])."""
        if isinstance(args[0], tuple) and len(node.items) == 1 and not isinstance(node.items[0], ast.Slice):
            return subscripts.item(args[0], args[1], node)
        t = self.tensor(args[0], node)
        return F.getitem(t, key=subscripts.key(node, t, args[1:]))

    def call(self, node: ast.Call, args) -> Tensor:
        op = called_builtin(node)
        npos = len(args) - len(node.keywords)
        kwargs = {k.name: v for k, v in zip(node.keywords, args[npos:])}
        positional = args[:npos]
        if node.receiver is not None:           # x.f(a) is f(x, a); x.polygamma(1) is polygamma(1, x)
            positional.insert(receiver_place(op), positional.pop(0))
        tensors, params = bind(op, positional, kwargs, self.session.bk)
        if op.impl is None:         # bind() completed the params: no defaults to fill again; bk for ops
            return dispatch(op, tuple(tensors),   # with no array to take it from (zeros(shape))
                            params if op.arrays_only else {**params, "bk": self.session.bk})
        with self.session.ctx.scoped(CallScope(op.name, node.span.excerpt(), given(op, tensors, len(positional),
                                                                                  kwargs))):
            return dispatch(op, tuple(tensors), params)

    def call_sequences(self, node: ast.Call, env, seq) -> list[bool]:
        """A list argument is a sequence where the builtin's parameter takes one (a shape, axes, arrays)."""
        if is_vmap(node, env):
            return [False] * len(_call_children(node))
        op = called_builtin(node)
        if op is None and not isinstance(self._function(node, env), Function):
            raise unknown_call(node, [*BUILTINS, *SYNONYMS, *(n for n, v in env.items() if isinstance(v, Function)),
                                      *(METHODS if node.receiver is not None else ())], METHODS)
        if op is None:
            return [False] * len(_call_children(node))
        kind = param_kinds(op)
        args = ([node.receiver] if node.receiver is not None else []) + node.args
        return ([kind(i, None) in _SEQ_KINDS and isinstance(a, ast.List) for i, a in enumerate(args)]
                + [kind(None, k.name) in _SEQ_KINDS and isinstance(k.value, ast.List) for k in node.keywords])


def _quick_call(node: ast.Call, env) -> bool:
    """A call of a builtin with no list among its arguments: no argument is
    read as a sequence, so it needs none of the task stack's care."""
    if called_builtin(node) is None or is_vmap(node, env) or type(node.receiver) is ast.List:
        return False
    for c in node.args:
        if type(c) is ast.List:
            return False
    return not node.keywords or not any(type(k.value) is ast.List for k in node.keywords)


def _call_children(node: ast.Call) -> list:
    if named_function(node):
        return node.args[1:]            # vmap(f, x): f is the function's name, not a value
    return ([node.receiver] if node.receiver is not None else []) + node.args + [k.value for k in node.keywords]



def _index_children(node: ast.Index) -> list:
    return [node.value, *(c for i in node.items
                          for c in ((i.start, i.stop, i.step) if isinstance(i, ast.Slice) else (i,)))]


def _operands(ev, node, args):
    """The two sides of an operator as arrays (an error points at the side that is not)."""
    return ev.tensor(args[0], node.left), ev.tensor(args[1], node.right)


def _unary(ev, node, args, seq):
    t = ev.tensor(args[0], node.operand)
    return F.neg(t) if node.op == "-" else t


NODES: dict[type, NodeRule] = {
    ast.List: NodeRule(lambda n: n.items, lambda ev, n, args, seq: tuple(args) if seq else ev.array(args, n),
                       lambda ev, n, env, seq: [seq] * len(n.items)),
    ast.Tuple: NodeRule(lambda n: n.items, lambda ev, n, args, seq: tuple(args),
                        lambda ev, n, env, seq: [True] * len(n.items)),
    ast.BinOp: NodeRule(lambda n: [n.left, n.right],
                        lambda ev, n, args, seq: getattr(F, BINARY[n.op])(*_operands(ev, n, args))),
    ast.Compare: NodeRule(lambda n: [n.left, n.right],
                          lambda ev, n, args, seq: getattr(F, COMPARE[n.op])(*_operands(ev, n, args))),
    ast.UnaryOp: NodeRule(lambda n: [n.operand], _unary),
    ast.Transpose: NodeRule(lambda n: [n.value],
                            lambda ev, n, args, seq: F.transpose(ev.tensor(args[0], n), dim0=None, dim1=None)),
    ast.Index: NodeRule(_index_children, lambda ev, n, args, seq: ev.index(n, args)),
    ast.Field: NodeRule(lambda n: [n.value], lambda ev, n, args, seq: subscripts.field(args[0], n)),
    ast.Call: NodeRule(_call_children, lambda ev, n, args, seq: ev.call(n, args),
                       lambda ev, n, env, seq: ev.call_sequences(n, env, seq)),
}


def children(node) -> list:
    """A node's sub-expressions (for static checks of a statement)."""
    rule = NODES.get(type(node))
    return [c for c in rule.children(node) if c is not None] if rule else []
