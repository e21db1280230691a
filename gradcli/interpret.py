"""The session: lowers statements onto the autograd engine.

Bindings whose value no input feeds become inputs (leaves of the graph);
the others are named intermediate nodes. User functions are inlined at each
call. Evaluation uses an explicit stack, so nesting depth costs no Python
recursion."""
from __future__ import annotations

import contextlib
import difflib
import math
from collections import ChainMap
from dataclasses import dataclass

from gradcli import ast
from gradcli.autograd import Tensor, apply, scope
from gradcli.autograd.context import Context
from gradcli.errors import ArgumentError, GradcliError, ShapeError, UnknownNameError, UsageError
from gradcli.ops import BUILTINS, SYNONYMS, F, bind
from gradcli.ops.binding import ALIASES, whole

CONSTANTS = {"pi": math.pi, "e": math.e, "inf": math.inf, "nan": math.nan}
KEYWORDS = {"True": True, "False": False, "None": None}
_BINARY = {"+": "add", "-": "sub", "*": "mul", "/": "div", "@": "matmul", "**": "pow"}
_COMPARE = {"<": "lt", "<=": "le", ">": "gt", ">=": "ge", "==": "eq", "!=": "ne"}
MAX_AXES = 32                      # NumPy allows 64, CuPy 32: the lower is the language's
_SEQ_KINDS = ("tensors", "shape", "dims", "axis", "axis1", "newaxis")


@dataclass
class Function:
    """A user function: its definition, inlined at every call."""
    name: str
    params: list[str]
    body: ast.Node
    span: object
    source: str


@dataclass
class CallScope:
    """The nodes one grad()/jacobian()/hessian() call created; drawn as one node."""
    func: str
    text: str
    args: tuple = ()


def resolve_builtin(name: str):
    return BUILTINS.get(SYNONYMS.get(name, name))


def is_reserved(name: str) -> bool:
    return resolve_builtin(name) is not None or name in KEYWORDS


class Session:
    """Bindings, user functions and inputs that persist across statements."""

    def __init__(self, bk, overrides: dict | None = None):
        self.bk = bk
        self.ctx = Context()              # spans, the running op and floating-point events
        self.overrides = overrides or {}  # input key -> value used instead (check perturbs inputs so)
        self.env: dict[str, object] = {}
        self.inputs: list[Tensor] = []
        self.fixed: set[str] = set()      # names bound by --at: constant rebindings are skipped
        self.source = ""

    # ---- inputs
    def add_input(self, name: str, value: Tensor, span=None) -> Tensor:
        """A new leaf named name; a name bound to an input before is keyed
        name@LINE (name@LINE:COLUMN when the line has two such bindings)."""
        keys = {t.key for t in self.inputs}
        key = name
        if key in keys:
            key = f"{name}@{span.line}" if span else f"{name}@{len(self.inputs) + 1}"
            if key in keys and span:
                key = f"{name}@{span.line}:{span.column}"
        if key in self.overrides:
            value = Tensor.constant(self.overrides[key], self.bk)
        leaf = value.as_input(key)
        self.inputs.append(leaf)
        self.env[name] = leaf
        return leaf

    def fix_input(self, name: str, value: Tensor) -> Tensor:
        """An --at input: later constant bindings of the same name are skipped."""
        if is_reserved(name):
            raise UsageError(f"cannot bind '{name}': it is a builtin function")
        self.fixed.add(name)
        return self.add_input(name, value)

    @contextlib.contextmanager
    def evaluating(self):
        """This run's context current, its floating-point events watched."""
        with self.ctx, self.ctx.watching(self.bk):
            yield

    # ---- statements
    def execute(self, stmt: ast.Node, source: str) -> Tensor | None:
        """Run one statement; a result's value is returned, bindings give None."""
        self.source = source
        try:
            with self.evaluating():
                return self._execute(stmt, source)
        except GradcliError as e:
            raise e.locate(source)

    def _execute(self, stmt: ast.Node, source: str) -> Tensor | None:
        if isinstance(stmt, ast.FunctionDef):
            self._check_bindable(stmt.name, stmt.span)
            self.env[stmt.name] = Function(stmt.name, stmt.params, stmt.body, stmt.span, source)
            return None
        if isinstance(stmt, ast.Binding):
            self._check_bindable(stmt.name, stmt.span)
            if stmt.name in self.fixed and self._is_constant(stmt.value):
                return None
            value = self.eval(stmt.value)
            if isinstance(value, Tensor):
                if value.const:
                    value = self.add_input(stmt.name, value, stmt.span)
                elif value.name is None:
                    value.name = stmt.name
            self.env[stmt.name] = value
            return None
        value = self.eval(stmt.value)
        if not isinstance(value, Tensor):
            raise UsageError(f"a result must be an array or a number, not {_describe(value)}", stmt.span)
        return value

    def _check_bindable(self, name, span):
        if is_reserved(name):
            raise UsageError(f"cannot bind '{name}': it is a builtin "
                             + ("function" if name not in KEYWORDS else "constant"), span,
                             hint="choose another name")

    def _is_constant(self, node) -> bool:
        """Static check: the expression reads no bound name (so --at wins)."""
        stack = [node]
        while stack:
            n = stack.pop()
            if isinstance(n, ast.Name) and n.id in self.env:
                return False
            if isinstance(n, ast.Call) and isinstance(self.env.get(n.func), Function):
                return False
            stack.extend(_children(n))
        return True

    # ---- expressions
    def eval(self, root: ast.Node, env=None):
        """The value of an expression: a Tensor, a tuple, True/False/None."""
        tasks: list = [("eval", root, env if env is not None else self.env, False)]
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
                    if node is None or isinstance(node, (ast.Number, ast.Name)):
                        vals.append(self._atom(node, env))
                        continue
                    plan = self._plan(node, env, seq)
                    tasks.append(("combine", node, env, seq, len(plan)))
                    tasks.extend(("eval", child, env, child_seq) for child, child_seq in reversed(plan))
                    continue
                _, node, env, seq, n = task
                args = vals[len(vals) - n:]
                del vals[len(vals) - n:]
                self.ctx.span = node.span
                if isinstance(node, ast.Call) and isinstance(fn := self._lookup_function(node, env), Function):
                    local = self._enter(fn, node, args, active)
                    tasks.append(("leave",))
                    tasks.append(("eval", fn.body, local, False))
                    continue
                vals.append(self._combine(node, env, seq, args, active[-1].source if active else self.source))
        except GradcliError as e:
            if e.span is None and node is not None:
                e.span = node.span
            if active:                  # the span points into the function's own text
                e.locate(active[-1].source)
            raise
        return vals[-1]

    def _atom(self, node, env):
        if node is None:
            return None
        if isinstance(node, ast.Number):
            return Tensor.constant(node.value, self.bk)
        name = node.id
        if name in env:
            value = env[name]
            if isinstance(value, Function):
                raise UsageError(f"'{name}' is a function: call it, {name}(...)", node.span)
            return value
        if name in CONSTANTS:
            return Tensor.constant(CONSTANTS[name], self.bk)
        if name in KEYWORDS:
            return KEYWORDS[name]
        if resolve_builtin(name):
            raise UsageError(f"'{name}' is a builtin function: call it, {name}(...)", node.span)
        raise UnknownNameError(f"unknown name '{name}'" + suggest(name, [*env, *CONSTANTS]), node.span)

    def _plan(self, node, env, seq) -> list[tuple[ast.Node | None, bool]]:
        """The children to evaluate first, each with whether a list there is a sequence."""
        if isinstance(node, ast.List):
            return [(c, seq) for c in node.items]
        if isinstance(node, ast.Tuple):
            return [(c, True) for c in node.items]
        if isinstance(node, (ast.BinOp, ast.Compare)):
            return [(node.left, False), (node.right, False)]
        if isinstance(node, (ast.UnaryOp, ast.Transpose)):
            return [(node.operand if isinstance(node, ast.UnaryOp) else node.value, False)]
        if isinstance(node, ast.Index):
            plan = [(node.value, False)]
            for item in node.items:
                parts = (item.start, item.stop, item.step) if isinstance(item, ast.Slice) else (item,)
                plan.extend((p, False) for p in parts)
            return plan
        if isinstance(node, ast.Call):
            args = ([node.receiver] if node.receiver is not None else []) + node.args
            op = resolve_builtin(node.func)
            fn = self._lookup_function(node, env)
            if op is None and not isinstance(fn, Function):
                raise self._unknown_function(node, env)
            kinds = _param_kinds(op) if op else None
            plan = []
            for i, a in enumerate(args):
                plan.append((a, kinds is not None and kinds(i, None) in _SEQ_KINDS and isinstance(a, ast.List)))
            for k in node.keywords:
                plan.append((k.value, kinds is not None and kinds(None, k.name) in _SEQ_KINDS
                             and isinstance(k.value, ast.List)))
            return plan
        raise AssertionError(type(node).__name__)

    def _lookup_function(self, node, env):
        fn = env.get(node.func) if node.func not in BUILTINS else None
        if fn is not None and not isinstance(fn, Function):
            raise UsageError(f"'{node.func}' is {_describe(fn)}, not a function", node.func_span or node.span,
                             hint=f"multiply with '*': {node.func} * (...)")
        return fn

    def _unknown_function(self, node, env):
        names = [*BUILTINS, *SYNONYMS, *(n for n, v in env.items() if isinstance(v, Function))]
        what = "method" if node.receiver is not None else "function"
        return UnknownNameError(f"unknown {what} '{node.func}'" + suggest(node.func, names),
                                node.func_span or node.span, hint="gradcli functions lists the builtins")

    def _enter(self, fn: Function, node: ast.Call, args: list, active: list[Function]):
        """Check a user function call and give its body's environment."""
        names = [f.name for f in active]
        if fn.name in names:
            chain = " -> ".join(names[names.index(fn.name):] + [fn.name])
            raise UsageError(f"'{fn.name}' calls itself ({chain}); recursion is not supported", node.span)
        npos = len(args) - len(node.keywords)
        if npos > len(fn.params):
            raise ArgumentError(f"{fn.name}() takes {len(fn.params)} argument{'s' * (len(fn.params) != 1)}, "
                                f"but {npos} were given", node.span, hint=f"defined as {fn.name}({', '.join(fn.params)})")
        local = dict(zip(fn.params, args[:npos]))
        for k, v in zip(node.keywords, args[npos:]):
            if k.name not in fn.params:
                raise ArgumentError(f"{fn.name}() has no parameter '{k.name}'", k.span,
                                    hint=f"defined as {fn.name}({', '.join(fn.params)})")
            local[k.name] = v
        missing = [p for p in fn.params if p not in local]
        if missing:
            raise ArgumentError(f"{fn.name}() is missing its argument '{missing[0]}'", node.span,
                                hint=f"defined as {fn.name}({', '.join(fn.params)})")
        active.append(fn)
        return ChainMap(local, self.env)

    def _combine(self, node, env, seq, args, source):
        if isinstance(node, ast.List):
            return tuple(args) if seq else self._array(args, node)
        if isinstance(node, ast.Tuple):
            return tuple(args)
        if isinstance(node, ast.BinOp):
            return getattr(F, _BINARY[node.op])(*(self._tensor(a, node) for a in args))
        if isinstance(node, ast.Compare):
            return getattr(F, _COMPARE[node.op])(*(self._tensor(a, node) for a in args))
        if isinstance(node, ast.UnaryOp):
            t = self._tensor(args[0], node)
            return F.neg(t) if node.op == "-" else t
        if isinstance(node, ast.Transpose):
            return F.transpose(self._tensor(args[0], node), dim0=None, dim1=None)
        if isinstance(node, ast.Index):
            return self._index(node, args)
        return self._call(node, args, source)

    def _tensor(self, value, node) -> Tensor:
        if isinstance(value, Tensor):
            return value
        if isinstance(value, tuple):
            return self._array(list(value), node)
        raise UsageError(f"expected an array or a number, not {_describe(value)}", node.span)

    def _array(self, items, node) -> Tensor:
        """A list literal: one constant array, or a stack when inputs feed it."""
        items = [self._tensor(i, node) for i in items]
        shapes = {t.shape for t in items}
        if len(shapes) > 1:
            a, b = list(shapes)[:2]
            raise ShapeError(f"the items of a list must have one shape, got {a} and {b}", node.span)
        if not items:
            return Tensor(self.bk.xp.zeros((0,), dtype=self.bk.dtype), self.bk, const=True)
        if items[0].ndim >= MAX_AXES:
            raise ShapeError(f"lists nest at most {MAX_AXES} deep (arrays have at most {MAX_AXES} axes)", node.span)
        if all(t.const and t.op is None for t in items):
            return Tensor(self.bk.xp.stack([t.data for t in items]), self.bk, const=True)
        return F.stack(*items, axis=0)

    def _index(self, node: ast.Index, args) -> Tensor:
        t = self._tensor(args[0], node)
        key, pos = [], 1
        for item in node.items:
            if isinstance(item, ast.Slice):
                parts = [None if v is None else whole(v, "a slice bound") for v in args[pos:pos + 3]]
                pos += 3
                if parts[2] == 0:
                    raise ArgumentError("a slice step cannot be 0", item.span)
                key.append(slice(*parts))
            else:
                key.append(whole(args[pos], "an index"))
                pos += 1
        if len(key) > t.ndim:
            raise ShapeError(f"too many indices ({len(key)}) for an array of shape {t.shape}", node.span)
        for axis, k in enumerate(key):
            if isinstance(k, int) and not -t.shape[axis] <= k < t.shape[axis]:
                raise ShapeError(f"index {k} is out of range for axis {axis} of size {t.shape[axis]}",
                                 node.items[axis].span)
        return F.getitem(t, key=tuple(key))

    def _call(self, node: ast.Call, args, source: str) -> Tensor:
        op = resolve_builtin(node.func)
        npos = len(args) - len(node.keywords)
        kwargs = {k.name: v for k, v in zip(node.keywords, args[npos:])}
        tensors, params = bind(op, args[:npos], kwargs, self.bk)
        if op.impl is not None:
            with scope(CallScope(op.name, _source_text(source, node.span), tuple(tensors))):
                return op.impl(*tensors, **params)
        return apply(op, *tensors, bk=self.bk, **params)


def _param_kinds(op):
    """(position, keyword) -> the kind of parameter that argument fills."""
    params = op.params

    def kind(i, name):
        if name is not None:
            name = ALIASES.get(name, name)
            return next((p.kind for p in params if p.name == name), None)
        for j, p in enumerate(params):
            if p.variadic or j == i:
                return p.kind
        return None
    return kind


def _children(node):
    if isinstance(node, (ast.List, ast.Tuple)):
        return list(node.items)
    if isinstance(node, (ast.BinOp, ast.Compare)):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.Transpose):
        return [node.value]
    if isinstance(node, ast.Index):
        return [node.value, *(c for i in node.items for c in
                              ((i.start, i.stop, i.step) if isinstance(i, ast.Slice) else (i,)) if c is not None)]
    if isinstance(node, ast.Call):
        return ([node.receiver] if node.receiver else []) + node.args + [k.value for k in node.keywords]
    return []


def _describe(value) -> str:
    if isinstance(value, tuple):
        return "a tuple"
    if isinstance(value, Function):
        return "a function"
    if isinstance(value, Tensor):
        return f"an array of shape {value.shape}"
    return repr(value)


def suggest(name: str, candidates) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" — did you mean '{close[0]}'?" if close else ""


def _source_text(source: str, span) -> str:
    """The text of a one-line span (a grad() call's label)."""
    if span.line != span.end_line:
        return "..."
    start = 0
    for _ in range(span.line - 1):      # find the line without splitting the whole program
        start = source.find("\n", start) + 1
        if start == 0:
            return "..."
    end = source.find("\n", start)
    line = source[start:] if end < 0 else source[start:end]
    return line[span.column - 1:span.end_column - 1]
