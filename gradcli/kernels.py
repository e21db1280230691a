"""Statement kernels (issue 17): a line of a long program run straight from
its tokens, without the tree the evaluator would walk.

fastparse.py compiles, for each statement shape, a builder of its AST. For a
shape whose statement is a binding or a result of names, numbers, the
operators + - * / @ ** and unary minus, and calls of builtins with
positional arguments, a kernel is compiled too: code that looks up the
line's names and builtins, then runs its operations in the evaluator's order
with the evaluator's spans (a number's only when its constant is made: in
float64, once per token, as nothing can be reported of it later). Each step is what the evaluator does for that
node, and anything else goes to the general path: a name
that is not an array, a call that is not of a plain builtin of that many
arrays, a binding the session treats specially (Miss, raised before any
operation runs) and any error (the general path then runs the statement
again and raises it, where and as it would have, with the floating-point
events of the failed attempt dropped)."""
from __future__ import annotations

from gradcli import ast
from gradcli.autograd import Tensor
from gradcli.autograd.engine import apply, state
from gradcli.autograd.tensor import batch_level, node
from gradcli.codegen import Generator, Irregular
from gradcli.errors import Span
from gradcli.evaluator import BINARY, RESERVED, resolve_builtin
from gradcli.ops.core import TABLE, dispatch

OPERATORS = {f"OP_{name}": TABLE[name] for name in BINARY.values()}     # a kernel's globals


class Miss(Exception):
    """The line is not the kernel's to run: the general path runs it."""


def kernel(build):
    """The kernel of a builder's shape (made on first use), or None."""
    made = getattr(build, "kernel", False)
    if made is False:
        made = build.kernel = _compiled(*build.probe)
    return made


def _compiled(between, tokens, statement):
    try:
        code = _Kernel(between, tokens).function(statement)
    except Irregular:
        return None
    scope = {**OPERATORS, "Span": Span, "new": object.__new__, "NEG": TABLE["neg"],
             "Tensor": Tensor, "node": node, "Miss": Miss, "RESERVED": RESERVED}
    exec(compile(code, "<gradcli statement kernel>", "exec"), scope)
    return scope["run"]


class _Kernel(Generator):
    """The source of a kernel: the lookups first (a Miss there leaves nothing
    done), then each operation after its operands, with its node's span."""

    def function(self, statement: ast.Node) -> str:
        """def run(tokens, line, source, k), k a Run."""
        self.lookups, self.values = [], 0
        if isinstance(statement, ast.Binding):
            name = self.value(statement.name)
            self.lookups.append(f"if {name} in k.session.fixed or {name} in RESERVED: raise Miss")
            value = self.expression(statement.value)
            start, end = self.column(statement.span.column - 1), self.column(statement.span.end_column - 1)
            # Session.bind: a constant becomes an input (k.bind); an array made of inputs, nearly
            # every line's, is bound here, taking the name if it has none (no call: a test holds
            # the kernels' graphs, names and inputs to the evaluator's).
            self.body += [f"if {value}.const: return k.bind({name}, {value}, line, {start}, {end}, source)",
                          f"if {value}.name is None: {value}.name = {name}", f"k.env[{name}] = {value}"]
        elif isinstance(statement, ast.Result):
            self.body.append(f"return {self.expression(statement.value)}")
        else:
            raise Irregular
        # k's attributes are read where used: k.unary(...) makes no bound method, as a
        # local read of k.unary would at every line.
        body = [*self.prologue(), *self.lookups, *self.body]
        return "def run(tokens, line, source, k):\n" + "".join(f"    {s}\n" for s in body)

    def expression(self, node: ast.Node) -> str:
        """The variable that will hold node's value (its operands' code first)."""
        kind, out = type(node), f"e{self.values}"
        self.values += 1
        if kind is ast.Name:         # what the evaluator's lookup does when it finds an array
            self.lookups += [f"{out} = k.env.get({self.value(node.id)})", f"if not isinstance({out}, Tensor): raise Miss"]
            return out
        # Each step as the evaluator takes it: the node's span current (an overflow in a
        # number is the number's own: no op), then the operation, by its row (F.mul(a, b)
        # and F.neg(a) are these for Tensors; a builtin of arrays alone, the same).
        if kind is ast.Number:      # (its span made only when its array is: see Run.number)
            if node.value not in self.numbers:
                raise Irregular
            token, span = f"t{self.numbers[node.value]}", node.span
            start, end = self.column(span.column - 1), self.column(span.end_column - 1)
            if span.line != 1 or span.end_line != 1:
                raise Irregular
            self.body += [f"{out} = k.numbers.get({token})",
                          f"{out} = node({out}, k.bk, const=True) if {out} is not None else "
                          f"k.number({token}, line, {start}, {end}, source)"]
        elif kind is ast.BinOp and node.op in BINARY:
            a, b = self.expression(node.left), self.expression(node.right)
            self.body += [f"k.ctx.span = {self.span(node.span)}", f"{out} = k.binary(OP_{BINARY[node.op]}, {a}, {b})"]
        elif kind is ast.UnaryOp:
            a = self.expression(node.operand)
            self.body += [f"k.ctx.span = {self.span(node.span)}",
                          f"{out} = k.unary(NEG, {a})" if node.op == "-" else f"{out} = {a}"]
        elif kind is ast.Call and node.receiver is None and not node.keywords:
            op = f"f{self.values}"
            name, n = self.value(node.func), len(node.args)
            self.lookups += [f"{op} = k.builtins.get(({name}, {n}))", f"if {op} is None: {op} = k.builtin({name}, {n})"]
            args = "".join(f", {self.expression(a)}" for a in node.args)
            run = {1: "unary", 2: "binary"}.get(len(node.args), "run_op")
            self.body += [f"k.ctx.span = {self.span(node.span)}", f"{out} = k.{run}({op}{args})"]
        else:
            raise Irregular
        return out


class Run:
    """What a kernel needs beside the code _Kernel writes (which looks its
    names up and refuses a binding the session treats specially, as
    gradcli/evaluator.py's _quick and interpret.py's _execute do): the
    builtins, the numbers' constants, the ops' nodes and the binding."""

    def __init__(self, session):
        self.session, self.env, self.ctx, self.bk = session, session.env, session.ctx, session.bk
        self.builtins: dict[tuple, object] = {}     # (name, arity) -> op: a builtin's name cannot be rebound
        self.numbers: dict[str, object] = {}        # a number token -> its float64 constant's array
        # Whether ops record, read once (a thread's state costs 500 instructions a read): no
        # line a kernel runs can change it (no rule, no user function, no nested grad()).
        self.enabled = state.enabled
        # An op on Tensors, as dispatch() runs it: apply(), or for one or two inputs the same
        # node made by a shorter way; but in a batched run (a sweep) dispatch() itself.
        if batch_level():
            self.run_op = self.unary = self.binary = self._dispatched
        else:
            self.run_op = apply

    @staticmethod
    def _dispatched(op, *inputs: Tensor) -> Tensor:
        return dispatch(op, inputs, {})

    # apply()'s node for an op of one or two arrays, made with what a kernel knows: the
    # session's context is current, outside any rule and grad() call (a top-level
    # statement), and the op takes no parameters. The forward is called as compute()
    # calls it, a value of another dtype converted, but an error is not translated: the
    # general path runs the statement again and raises it there.
    def unary(self, op, a: Tensor) -> Tensor:
        ctx, bk = self.ctx, self.bk
        ctx.op = op.name
        data = op.forward(bk, a.data)
        if data.dtype.type is not bk.dtype:
            data = bk.asarray(data)
        out = node(data, bk, op, (a,), a.requires_grad and self.enabled and op.passes[0], a.const)
        out.span = ctx.span
        return out

    def binary(self, op, a: Tensor, b: Tensor) -> Tensor:
        ctx, bk = self.ctx, self.bk
        ctx.op = op.name
        data = op.forward(bk, a.data, b.data)
        if data.dtype.type is not bk.dtype:
            data = bk.asarray(data)
        da, db = op.passes
        out = node(data, bk, op, (a, b), ((da and a.requires_grad) or (db and b.requires_grad)) and self.enabled,
                   a.const and b.const)
        out.span = ctx.span
        return out

    def builtin(self, name: str, n: int):
        """A builtin of n arrays, called the way the evaluator calls those (no
        defaults to fill, no scope to draw: not a composite)."""
        op = self.builtins.get((name, n))
        if op is None:
            op = resolve_builtin(name)
            if op is None or not op.arrays_only or len(op.params) != n or op.impl is not None:
                raise Miss
            self.builtins[name, n] = op
        return op

    def number(self, token: str, line: int, column: int, end: int, source) -> Tensor:
        """A number token's constant, as Tensor.constant makes it, with the
        number's span current (an overflow there is the number's own: no op);
        in float64 (exact: nothing to report) its array kept for the token's
        later lines, which take it with no span made."""
        self.ctx.span, self.ctx.op = Span(line, column, line, end, source), None
        data = Tensor.constant(float(token), self.bk).data
        if self.bk.dtype_name == "float64":
            self.numbers[token] = data
        return node(data, self.bk, const=True)

    def bind(self, name: str, value: Tensor, line: int, column: int, end: int, source) -> None:
        """The binding's span is made only for a constant, which becomes an input that keeps it."""
        self.session.bind(name, value, Span(line, column, line, end, source) if value.const else None)
