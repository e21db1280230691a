"""The session: its bindings, user functions and inputs, and the statements
that change them, lowered onto the autograd engine (expressions are
gradcli/evaluator.py's).

Bindings whose value no input feeds become inputs (leaves of the graph);
the others are named intermediate nodes."""
from __future__ import annotations

import contextlib

from gradcli import ast
from gradcli.autograd import Tensor
from gradcli.autograd.context import NOTHING, Context, current
from gradcli.errors import UsageError
from gradcli.evaluator import KEYWORDS, Evaluator, children, is_reserved
from gradcli.fastparse import Statements
from gradcli.kernels import Run, kernel
from gradcli.ops.core import Results
from gradcli.values import Function, describe, not_an_array


class Session:
    """Bindings, user functions and inputs that persist across statements."""

    def __init__(self, bk, overrides: dict | None = None):
        self.bk = bk
        self.ctx = Context()              # spans, the running op and floating-point events
        self.overrides = overrides or {}  # input number (in binding order) -> value used instead (check's)
        self.env: dict[str, object] = {}
        self.inputs: list[Tensor] = []
        self.spans: list = []             # where each input was bound (None: --at)
        self.per_point = None             # a sweep's (level, points, names of inputs read per point)
        self.expanded: dict[str, Tensor] = {}   # those inputs' per-point copies, by name
        self.fixed: set[str] = set()      # names bound by --at: constant rebindings are skipped
        self.reported: str | None = None  # the binding a program that ends in one reports
        # How a reader of this session binds a name that has no value.
        self.unbound = "bind it with --at {name}=..., or with {name} = ... before it in the program"
        self.no_value_yet: dict[str, str] = {}   # names with a meaning but no value yet -> why

    # ---- inputs
    def add_input(self, name: str, value: Tensor, span=None) -> Tensor:
        """A new leaf named name. The current binding of a name keeps the plain
        name as its gradient's key; an input it replaces is keyed name@LINE,
        the line it was bound at (name@LINE:COLUMN when that key is taken,
        name@at for an --at input). The same rule in every command, the REPL
        and the API."""
        if len(self.inputs) in self.overrides:
            value = Tensor.constant(self.overrides[len(self.inputs)], self.bk)
        keys = {t.key for t in self.inputs}
        for old, old_span in zip(self.inputs, self.spans):
            if old.key == name:
                old.key = f"{name}@{old_span.line}" if old_span else f"{name}@at"
                if old.key in keys and old_span:
                    old.key = f"{name}@{old_span.line}:{old_span.column}"
        leaf = value.as_input(name)
        self.inputs.append(leaf)
        self.spans.append(span)
        self.env[name] = self._per_point(name, leaf)
        return leaf

    def _per_point(self, name: str, leaf: Tensor):
        """In a sweep, an input whose gradient is wanted at each point (sweep
        --wrt) is read as a copy per point, batched, whose cotangent is that."""
        if self.per_point is None or name not in self.per_point[2]:
            return leaf
        from gradcli.autograd.engine import batching_mode
        from gradcli.ops import F
        level, n, _ = self.per_point
        with batching_mode(0):
            copies = F.broadcast_to(F.reshape(leaf, shape=(1,) + leaf.shape), shape=(n,) + leaf.shape)
        copies.batch = level
        self.expanded[name] = copies
        return copies

    def fix_input(self, name: str, value: Tensor) -> Tensor:
        """An --at input: later constant bindings of the same name are skipped."""
        if is_reserved(name):
            raise UsageError(f"cannot bind '{name}': it is a builtin function")
        self.fixed.add(name)
        return self.add_input(name, value)

    def evaluating(self):
        """This run's context current, its floating-point events watched: a
        context manager, one that does nothing when that is so already (a
        statement of a batch's file, each watched once)."""
        if current() is self.ctx and self.ctx.watched:
            return NOTHING
        return self._evaluating()

    @contextlib.contextmanager
    def _evaluating(self):
        with self.ctx, self.ctx.watching(self.bk):
            yield

    # ---- statements
    def execute(self, stmt: ast.Node) -> Tensor | None:
        """Run one statement; a result's value is returned, bindings give None.
        Its errors point into its source (its spans know it)."""
        with self.evaluating():
            return self._execute(stmt)

    def execute_all(self, statements) -> Tensor | None:
        """Run statements in order, watched once; the last one's value (None
        for a binding). The lines of a long program read lazily run by their
        shape's kernel where it can (gradcli/kernels.py)."""
        value = None
        with self.evaluating():
            if not isinstance(statements, Statements):
                for stmt in statements:
                    value = self._execute(stmt)
                return value
            run, events = Run(self), self.ctx.events
            lines, source = statements.lines()
            for shape, cut, line, number in lines:
                tokens = cut(line)
                compiled = shape.kernel
                if compiled is False:           # the first line of its shape to run
                    compiled = shape.kernel = kernel(shape.build)
                if compiled is not None:
                    done = len(events)
                    try:
                        value = compiled(tokens, number, source, run)
                        continue
                    except Exception:       # Miss, or an error the general path raises as it would
                        del events[done:]
                value = self._execute(shape.build(tokens, number, source))
        return value

    def _execute(self, stmt: ast.Node) -> Tensor | None:
        if isinstance(stmt, ast.FunctionDef):
            self._check_bindable(stmt.name, stmt.span)
            self.env[stmt.name] = Function(stmt.name, stmt.params, stmt.body, stmt.span)
            return None
        if isinstance(stmt, ast.Binding):
            self._check_bindable(stmt.name, stmt.span)
            if stmt.name in self.fixed and self._is_constant(stmt.value):
                return None
            self.bind(stmt.name, self.eval(stmt.value), stmt.span)
            return None
        value = self.eval(stmt.value)
        if isinstance(value, Results):
            raise not_an_array(value, stmt.value)
        if not isinstance(value, Tensor):
            raise UsageError(f"a result must be an array or a number, not {describe(value)}", stmt.span)
        return value

    def bind(self, name: str, value, span) -> None:
        """name = value: a value no input feeds is an input (a sweep's per-point
        copies, maybe); an array made of inputs takes the name, if it has none."""
        if isinstance(value, Tensor):
            if value.const:
                self.add_input(name, value, span)
                return
            if value.name is None:
                value.name = name
        self.env[name] = value

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
            stack.extend(children(n))
        return True

    # ---- expressions
    def eval(self, root: ast.Node, env=None):
        """The value of an expression: a Tensor, a tuple, True/False/None. The
        evaluator is made for the call, not kept: a session that held one that
        holds it would be a reference cycle, its graph freed only by the cycle
        collector (a collection over every node, long after the last use)."""
        return Evaluator(self).eval(root, env if env is not None else self.env)
