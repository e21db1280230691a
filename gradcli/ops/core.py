"""What an operation is: a row of the table (ops/binding.py turns a call's
values into its inputs).

An Op is one row of the table: its name and signature, its forward on the
backend's arrays, and one gradient rule per tensor input, written with F (the
table's own differentiable operations) so that gradients of gradients work.
A rule receives (g, out, *inputs, **params) and returns the cotangent of its
input, or None for zero; broadcasting is undone by the engine, not the rule.
"""
from __future__ import annotations

import math
import re
from functools import cache, partial
from typing import Any, Callable

from gradcli.autograd.engine import apply, array_backend, compute, state
from gradcli.autograd.tensor import Tensor, _batching, install
from gradcli.ops import batching
from gradcli.ops.binding import KINDS, TENSOR_KINDS, normalize_axis


class Param:
    """A parameter of a signature (parse_sig): never changed once made, so
    that the ops of one signature share theirs. A plain class, not a
    dataclass: making the two dataclasses of this module was 1 ms of every
    start-up."""
    __slots__ = ("name", "kind", "default", "required", "variadic", "choices")

    def __init__(self, name: str, kind: str, default: Any = None, required: bool = True, variadic: bool = False,
                 choices: tuple = ()):
        self.name, self.kind, self.default, self.required, self.variadic = name, kind, default, required, variadic
        self.choices = choices      # a str parameter's allowed values (any string when empty); a
                                    # float's strings besides numbers (matrix_norm's ord='fro')

    def _fields(self) -> tuple:
        return self.name, self.kind, self.default, self.required, self.variadic, self.choices

    def __eq__(self, other):
        return isinstance(other, Param) and self._fields() == other._fields()

    def __hash__(self):
        return hash(self._fields())

    def __repr__(self):
        return "Param" + repr(self._fields())

    def __str__(self):
        s = ("*" if self.variadic else "") + self.name
        if self.choices and self.kind == "str":         # reduction='mean'|'sum'|'none': the default first
            ordered = sorted(self.choices, key=lambda c: c != self.default)
            return f"{s}=" + "|".join(map(repr, ordered))
        return s if self.required or self.variadic else f"{s}={_show(self.default)}"


def _show(v):
    return "None" if v is None else repr(v) if not isinstance(v, float) else f"{v:g}"


_PARAM = re.compile(r"^(\*?)(\w+)(?::(\w+)(?:\(([\w|]+)\))?)?(?:=(.+))?$")


@cache
def parse_sig(sig: str) -> tuple[Param, ...]:
    """'x, axis:axis=None, keepdims:bool=False, reduction:str(mean|sum|none)=mean'
    -> Params (untyped means a tensor; a str parameter may list its choices,
    and a float parameter the strings it takes besides numbers). Read once
    per signature: 222 ops have 105."""
    params = []
    for part in filter(None, (p.strip() for p in sig.split(","))):
        star, name, kind, choices, default = _PARAM.match(part).groups()
        kind = kind or "T"
        assert kind in KINDS and (choices is None or kind in ("str", "float")), (sig, kind)
        named = kind == "str" or choices and default in choices.split("|")     # ord:float(fro|nuc)=fro
        value = default if named and default != "None" else _literal(default)
        params.append(Param(name, kind, value, default is None and not star, bool(star),
                            tuple(choices.split("|")) if choices else ()))
    return tuple(params)


def _literal(text):
    if text is None:
        return None
    named = {"None": None, "True": True, "False": False, "inf": math.inf, "-inf": -math.inf}
    if text in named:
        return named[text]
    return int(text) if text.lstrip("-").isdigit() else float(text)


class Op:
    """A row: its fields are Op.FIELDS, in that order; the rest is derived
    from them once, when the row is made.
    A plain class, not a dataclass (see Param); replaced() is
    dataclasses.replace."""
    FIELDS = ("name", "sig", "forward", "grads", "doc", "impl", "builtin", "family", "domain", "examples", "kinks",
              "smooth", "reference", "singular", "form", "batch", "explain", "tensor_rules")
    __slots__ = FIELDS + ("params", "arrays_only", "options", "values_only", "passes", "_fixed_diff", "_values",
                          "arity_rules")

    def __init__(self, name: str, sig: str, forward: Callable | None = None, grads: Any = None, doc: str = "",
                 impl: Callable | None = None, builtin: bool = True, family: str = "", domain: str = "real",
                 examples: tuple = (), kinks: tuple = (), smooth: bool = True, reference: Callable | None = None,
                 singular: tuple = (), form: tuple | None = None, batch: Any = None, explain: Any = None,
                 tensor_rules: bool = False):
        self.name, self.sig, self.doc, self.family = name, sig, doc, family
        self.forward = forward          # (bk, *arrays, **params) -> array
        self.grads = grads              # tuple of rules, one per input; or one rule (variadic, gets index=)
        self.impl = impl                # a builtin computed from other ops: (*tensors, **params) -> Tensor
        self.builtin = builtin          # callable from the language (else internal to rules)
        self.domain = domain            # where its tests draw inputs: real, positive, unit, gt1, nonzero
        self.examples = examples        # case(...)s: the input shapes and parameters its tests run on
        self.kinks = kinks              # ((input values...), params, (expected gradients...))
        self.smooth = smooth            # False: random points may sit on a kink (second order not checked)
        self.reference = reference      # (*host arrays, **params) -> host array: an independent forward (tests)
        self.singular = singular        # at(...) points where PyTorch's numbers are pinned (tests/data)
        self.form = form                # how it reads infix, for explain: ("{a:4} + {b:5}", binding level)
        self.batch = batch              # how it runs on a batch (ops/batching.py): a rule's name or
                                        # function; None takes its family's BATCH
        self.explain = explain          # its derivative for explain (see gradcli/explaining.py): {param: local
                                        # derivative} if elementwise, else (derivative, what is sent) or
                                        # {param: (derivative, sent)}, or a function of the params giving one
        self.tensor_rules = tensor_rules    # its rules read Tensors' own attributes (.bk, .op, .const): a
                                            # first-order pass gives them Tensors, not the arrays it gives others
        self.params = parse_sig(sig)
        self.arrays_only = all(p.kind == "T" and not p.variadic for p in self.params)  # sin(x), atan2(y, x)
        self.options = tuple(p for p in self.params if p.kind not in TENSOR_KINDS)   # not arrays (axis, shape)
        kinds = [p.kind for p in self.params if p.kind in TENSOR_KINDS]
        fixed = None if grads is None or callable(grads) else tuple(r is not None for r in grads)
        if impl is not None and "tensors" not in kinds:
            fixed = tuple(k == "T" for k in kinds)      # a composite differentiates its T inputs
        assert fixed is None or len(fixed) == len(kinds), (name, "one gradient rule per array input")
        self._fixed_diff = fixed
        self._values = None if "tensors" in kinds else tuple(k == "T" for k in kinds)
        self.values_only = self._values is None or all(self._values)    # every array read as a value (no mask)
        self.passes = self.differentiable(len(self.params)) if self.arrays_only else ()   # which get a gradient
        self.arity_rules = {}           # n inputs -> rules(n), as found

    def replaced(self, **changes) -> Op:
        """A new row: this one's fields, changes made (the tests' altered rows)."""
        return Op(**{**{f: getattr(self, f) for f in self.FIELDS}, **changes})

    def __repr__(self):
        return f"Op({self.name!r}, {self.sig!r})"

    @property
    def tensor_params(self) -> tuple[Param, ...]:
        return tuple(p for p in self.params if p.kind in TENSOR_KINDS)

    @property
    def differentiable_op(self) -> bool:
        return self.grads is not None or self.impl is not None

    def differentiable(self, n_inputs: int) -> tuple[bool, ...]:
        """Which inputs the op passes a gradient to (computed once for fixed arity)."""
        if self._fixed_diff is not None:
            return self._fixed_diff
        return (self.grads is not None,) * n_inputs

    def value_inputs(self, n_inputs: int) -> tuple[bool, ...]:
        """Which inputs the op reads as values (all but masks), whether or
        not it passes them a gradient: an input read so has a gradient."""
        return self._values if self._values is not None else (True,) * n_inputs

    def rule(self, i: int) -> Callable:
        return partial(self.grads, index=i) if callable(self.grads) else self.grads[i]

    def rules(self, n_inputs: int) -> tuple[tuple[int, Callable], ...]:
        """(i, rule(i)) of each input the op passes a gradient to, of n_inputs:
        what a backward pass runs at its node (found once per arity)."""
        found = self.arity_rules.get(n_inputs)
        if found is None:
            found = self.arity_rules[n_inputs] = tuple((i, self.rule(i))
                                                  for i, d in enumerate(self.differentiable(n_inputs)) if d)
        return found

    def signature(self) -> str:
        return f"{self.name}({', '.join(str(p) for p in self.params)})"


class Results(tuple):
    """A builtin's several results (sort's values and indices, split's
    pieces), as every impl with several results returns them: a tuple, so
    sort(x)[0] indexes it, whose items may also be named, as PyTorch's are
    (sort(x).values; the names are among ast.FIELDS). Never an array:
    sort(x) + 1 is an error, not a stack of the two."""

    def __new__(cls, *items, **named):
        self = super().__new__(cls, items + tuple(named.values()))
        self.names = (None,) * len(items) + tuple(named)
        return self


def case(*shapes, **params) -> tuple:
    """An example a row's tests are run on: its inputs' shapes and its parameters."""
    return shapes, params


def at(*values, order: int = 2, **params) -> tuple:
    """A singular point of a row (a zero, a tie, a domain edge): the tests
    hold value, gradient and, to order 2, second derivatives there to
    PyTorch's, recorded in tests/data/singular_torch.json."""
    return values, params, order


TABLE: dict[str, Op] = {}
"""Every operation by name, filled by gradcli.ops from the op families."""


class _Functional:
    """F.name(*tensors, **params): call table ops from rules and from Python."""

    def __getattr__(self, name):
        op = TABLE[name]
        fn = op.impl if op.impl is not None else _caller(op)
        setattr(self, name, fn)         # found once; later lookups are plain attributes
        return fn


def _caller(op):
    """call() for op; in a first-order backward pass, a call of arrays alone
    with every option given (most calls in rules) goes straight to the op's
    forward: a rule's F call cost three times its NumPy work."""
    options = len(op.options)

    def caller(*inputs, **params):
        bk = state.arrays                 # (array_backend(), without its call)
        if bk is None or len(params) != options or (options and "bk" in params):
            return call(op, *inputs, **params)
        for t in inputs:
            if not hasattr(t, "dtype"):
                return call(op, *inputs, **params)
        return compute(op, inputs, params, bk)
    return caller


def call(op, *inputs, **params):
    """apply() (or a composite's impl), with Python numbers among the inputs
    made constants and the parameters not given set to their defaults. In a
    first-order backward pass, the forward alone, on plain arrays."""
    bk = array_backend()
    if bk is not None:
        arrays = [t if hasattr(t, "dtype") else t.data if isinstance(t, Tensor) else bk.asarray(t) for t in inputs]
        params = with_defaults(op, params, arrays[0].ndim if arrays else 0)
        return compute(op, arrays, params, params.pop("bk", None) or bk)
    for t in inputs:
        if not isinstance(t, Tensor):
            bk = next(t.bk for t in inputs if isinstance(t, Tensor))
            inputs = tuple(t if isinstance(t, Tensor) else Tensor.constant(t, bk) for t in inputs)
            break
    return dispatch(op, inputs, with_defaults(op, params, inputs[0].ndim if inputs else 0))


def dispatch(op, inputs: tuple, params: dict):
    """An op on tensors with its params complete (the evaluator's are, from
    binding): by its batch rule when an input is batched at the level
    honoured now, else as usual."""
    if _batching.level and batching.honoured(inputs):
        return batching.call(op, inputs, params, run)
    return run(op, inputs, params)


def run(op, inputs, params):
    """An op on its inputs, unbatched: its impl, or apply()."""
    if op.impl is not None:
        params = {k: v for k, v in params.items() if k != "bk"}
        return op.impl(*inputs, **params)
    return apply(op, *inputs, **params)


def with_defaults(op, params: dict, ndim: int) -> dict:
    """params with the parameters not given set to their defaults (an axis
    default normalised for a first input of ndim axes): a copy, but params
    itself for an op of arrays alone, which has none to fill."""
    if not op.options:
        return params
    params = dict(params)
    for p in op.options:
        if p.name not in params:
            default = p.default
            if p.kind in ("axis1", "newaxis") and default is not None:
                default = normalize_axis(default, ndim + (p.kind == "newaxis"), op.name)
            params[p.name] = default
    return params


F = _Functional()
install(F)


def over(g, y, power=1):
    """g / y^power in a rule, and exactly 0 where y is 0 (PyTorch masks these:
    the gradient at a zero norm or std, atan2 at the origin). Both selections
    are where, so no 0/0 is computed and higher derivatives stay finite."""
    zero = F.eq(y, 0)
    safe = F.where(zero, 1.0, y)
    return F.where(zero, 0.0, g / (safe if power == 1 else safe ** power))
