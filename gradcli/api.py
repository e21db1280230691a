"""Running a program: the shared core of the Python API and the commands.
Parses, binds the inputs, evaluates and differentiates; prints nothing."""
from __future__ import annotations

import re

from gradcli import autograd
from gradcli.autograd import Tensor
from gradcli.backend import make_backend
from gradcli.collector import collecting
from gradcli.display import Shown
from gradcli.errors import NotScalarError, UsageError
from gradcli.interpret import Session
from gradcli.parse import parse, parse_expression

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class Result(Shown):
    """A program's last result: its value and, for grad, the gradients. It
    shows itself as gradcli grad prints it (display.Shown)."""

    def __init__(self, program: str, value, shape: tuple, dtype: str, grads: dict | None = None,
                 tensor: Tensor | None = None, session: Session | None = None, warnings: list | None = None):
        self.program, self.shape, self.dtype = program, shape, dtype
        self.value = value              # a NumPy array (0-d for a scalar) on the host
        self.grads = grads              # input key -> NumPy array
        self.tensor, self.session = tensor, session
        self.warnings = [] if warnings is None else warnings

    def __float__(self):
        return float(self.value)

    def __repr__(self):
        return f"Result(program={self.program!r}, value={self.value!r}, grads={self.grads!r})"

    def draw(self, opts) -> None:
        from gradcli.render import console
        from gradcli.report import snapshot
        opts.out.print(console.summary(self.value, self.shape, self.dtype, self.grads, opts.precision))
        if self.tensor is not None:
            opts.out.print()
            opts.out.print(console.draw(snapshot(self.tensor), opts.precision, width=opts.out.width))


def setup(at: dict | None, *, device="cpu", dtype="float64", seed=0, overrides=None, per_point=None) -> Session:
    """A session with the inputs bound: values, or expressions as strings.
    overrides (input number, in binding order -> value) replaces that input's
    value; per_point is a sweep's (Session.per_point)."""
    session = Session(make_backend(device, dtype, seed), overrides)
    session.per_point = per_point
    for name, value in (at or {}).items():
        if not _NAME.match(name):
            raise UsageError(f"'{name}' is not a valid input name", hint="names are letters, digits and _")
        session.fix_input(name, to_tensor(session, name, value))
    return session


def to_tensor(session: Session, name: str, value) -> Tensor:
    bk = session.bk
    if isinstance(value, Tensor):
        return value
    if isinstance(value, str):
        result = session.eval(parse_expression(value, f"--at {name}"))
        if not isinstance(result, Tensor):
            raise UsageError(f"--at {name}: the value must be an array or a number")
        return result
    if value is None:
        raise UsageError(f"input '{name}' is None, not a value", hint=f"give it a number or an array: {name}=1.5")
    import numpy
    if numpy.iscomplexobj(value):
        raise UsageError(f"input '{name}' holds complex numbers", hint="gradcli computes with real numbers: "
                                                                    "pass the real part, x.real")
    try:
        return Tensor.constant(value, bk)
    except (TypeError, ValueError) as e:
        raise UsageError(f"input '{name}' is not an array of numbers ({e})") from None


def run_program(source: str, session: Session, origin: str | None = None, program=None) -> Tensor:
    """Run every statement; the last must be a result, or a binding, whose
    tensor is returned (the binding's name is then session.reported).
    A program already parsed from source may be passed, to run it again
    (or one parsed lazily, to run once)."""
    from gradcli import ast
    statements = (program or parse(source, origin, lazy=True)).statements
    if not statements:
        raise UsageError("the program is empty", hint="write an expression, e.g. norm(4*x*x)")
    value = session.execute_all(statements)
    last = statements[-1]
    if isinstance(last, ast.Binding) and isinstance(session.env.get(last.name), Tensor):
        session.reported = last.name        # as a notebook shows its last cell's value
        return session.env[last.name]
    if value is None:
        raise UsageError("the program ends with a function definition, not a result", last.span,
                         hint=f"add a last line with the expression to report, e.g. {last.name}(...)")
    return value


def targets(y: Tensor, session: Session, wrt=None) -> dict[str, Tensor]:
    """What to differentiate y with respect to, by key: the inputs y reads as
    values, or the bindings named in wrt: inputs (by key) or intermediates
    (by name; their gradient is the cotangent at the node, PyTorch's retain_grad)."""
    if not wrt:
        return {x.key: x for x in autograd.reaches(y, session.inputs)}
    by_key = {t.key: t for t in session.inputs}
    out = {}
    for name in wrt:
        t = by_key.get(name, session.env.get(name))
        if not isinstance(t, Tensor):
            bindings = ", ".join([*by_key, *intermediates(session)]) or "none"
            raise UsageError(f"--wrt {name}: '{name}' is not a binding of the program (bindings: {bindings})")
        out[name] = t
    return out


def intermediates(session: Session) -> list[str]:
    """Names bound to computed (not input) values."""
    return [n for n, v in session.env.items() if isinstance(v, Tensor) and not v.is_input]


def differentiate(y: Tensor, session: Session, wrt=None, release: bool = False) -> dict:
    """The gradients of y by key (targets). release: nothing differentiates
    y's graph again, so its large values no rule reads may go (engine.gradients)."""
    if y.size != 1:
        raise NotScalarError.needed_by("the gradient", y.shape, y.span)
    xs = targets(y, session, wrt)
    # The session's inputs are the only leaves that need a gradient: with no wrt,
    # every one y reads is among xs; with a wrt, all are wanted only if each is named.
    all_leaves = not wrt or {id(x) for x in xs.values()}.issuperset(map(id, session.inputs))
    with session.evaluating():
        autograd.backward(y, list(xs.values()), release=release, all_leaves=all_leaves)
    return {key: session.bk.to_host(x.grad) for key, x in xs.items()}


def flows(y: Tensor, session: Session) -> dict:
    """The cotangent of y at every node on the way to its inputs (by tensor
    id): what grad --grads and graph --grads draw on each node."""
    with session.evaluating():
        return autograd.backward(y, autograd.reaches(y, session.inputs), keep_all=True)


def _result(source, session, y, grads=None) -> Result:
    bk = session.bk
    return Result(source, bk.to_host(y.data), y.shape, bk.dtype_name, grads, y, session, list(session.ctx.events))


def merged(at, inputs) -> dict:
    """at={...} and keyword inputs, as one dict (a keyword wins)."""
    merged = dict(at or {})
    merged.update(inputs)
    return merged


API_UNBOUND = "give it a value: gradcli.grad(program, {name}=...), or {name} = ... in the program"


@collecting(False)
def evaluate(program: str, at: dict | None = None, *, device="cpu", dtype="float64", seed=0, **inputs) -> Result:
    """The value of a program's last result. Inputs: keywords or at={...}."""
    session = setup(merged(at, inputs), device=device, dtype=dtype, seed=seed)
    session.unbound = API_UNBOUND
    y = run_program(program, session)
    return _result(program, session, y)


@collecting(False)
def grad(program: str, at: dict | None = None, *, wrt=None, device="cpu", dtype="float64", seed=0,
         **inputs) -> Result:
    """Value and gradients of a program's scalar last result."""
    return graded(program, merged(at, inputs), wrt, device, dtype, seed, release=True)


def graded(program: str, at: dict, wrt, device: str, dtype: str, seed: int, release: bool) -> Result:
    """grad's work. release=False keeps every value of the graph, for a
    caller that differentiates it again (the Hessian's story)."""
    session = setup(at, device=device, dtype=dtype, seed=seed)
    session.unbound = API_UNBOUND
    y = run_program(program, session)
    grads = differentiate(y, session, wrt, release=release)
    return _result(program, session, y, grads)

