"""What an operation is, and how a call's arguments become its inputs.

An Op is one row of the table: its name and signature, its forward on the
backend's arrays, and one gradient rule per tensor input, written with F (the
table's own differentiable operations) so that gradients of gradients work.
A rule receives (g, out, *inputs, **params) and returns the cotangent of its
input, or None for zero; broadcasting is undone by the engine, not the rule.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable

from gradcli.autograd.engine import apply
from gradcli.autograd.tensor import Tensor, install
from gradcli.errors import ArgumentError, ShapeError

# Keyword spellings accepted for PyTorch users.
ALIASES = {"dim": "axis", "keepdim": "keepdims", "input": "x"}

# Parameter kinds. Tensor kinds are graph inputs; the rest are plain values.
TENSOR_KINDS = ("T", "mask", "tensors")
KINDS = TENSOR_KINDS + ("axis", "axis1", "newaxis", "dims", "int", "float", "bool", "shape", "key")


@dataclass(frozen=True)
class Param:
    name: str
    kind: str
    default: Any = None
    required: bool = True
    variadic: bool = False

    def __str__(self):
        s = ("*" if self.variadic else "") + self.name
        return s if self.required or self.variadic else f"{s}={_show(self.default)}"


def _show(v):
    return "None" if v is None else repr(v) if not isinstance(v, float) else f"{v:g}"


_PARAM = re.compile(r"^(\*?)(\w+)(?::(\w+))?(?:=(.+))?$")


def parse_sig(sig: str) -> tuple[Param, ...]:
    """'x, axis:axis=None, keepdims:bool=False' -> Params (untyped means a tensor)."""
    params = []
    for part in filter(None, (p.strip() for p in sig.split(","))):
        star, name, kind, default = _PARAM.match(part).groups()
        kind = kind or "T"
        assert kind in KINDS, (sig, kind)
        params.append(Param(name, kind, _literal(default), default is None and not star, bool(star)))
    return tuple(params)


def _literal(text):
    if text is None:
        return None
    named = {"None": None, "True": True, "False": False, "inf": math.inf, "-inf": -math.inf}
    if text in named:
        return named[text]
    return int(text) if text.lstrip("-").isdigit() else float(text)


@dataclass(frozen=True, eq=False)
class Op:
    name: str
    sig: str
    forward: Callable | None = None    # (bk, *arrays, **params) -> array
    grads: Any = None                  # tuple of rules, one per input; or one rule (variadic, gets index=)
    doc: str = ""
    impl: Callable | None = None       # a builtin computed from other ops: (*tensors, **params) -> Tensor
    builtin: bool = True               # callable from the language (else internal to rules)
    family: str = ""
    domain: str = "real"               # where its tests draw inputs: real, positive, unit, gt1, nonzero
    examples: tuple = ()               # case(...)s: the input shapes and parameters its tests run on
    kinks: tuple = ()                  # ((input values...), params, (expected gradients...))
    smooth: bool = True                # False: random points may sit on a kink (second order not checked)
    reference: Callable | None = None  # (*host arrays, **params) -> host array: an independent forward (tests)
    singular: tuple = ()               # at(...) points where PyTorch's numbers are pinned (tests/data)
    form: tuple | None = None          # how it reads infix, for explain: ("{a:4} + {b:5}", binding level)
    explain: Any = None                # its derivative for explain (see gradcli/explain.py): {param: local
                                       # derivative} if elementwise, else (derivative, what is sent) or
                                       # {param: (derivative, sent)}, or a function of the params giving one
    params: tuple = field(default=(), init=False)
    _fixed_diff: tuple | None = field(default=None, init=False, repr=False)
    _values: tuple | None = field(default=None, init=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "params", parse_sig(self.sig))
        fixed = None if self.grads is None or callable(self.grads) else tuple(r is not None for r in self.grads)
        object.__setattr__(self, "_fixed_diff", fixed)
        kinds = [p.kind for p in self.params if p.kind in TENSOR_KINDS]
        object.__setattr__(self, "_values", None if "tensors" in kinds else tuple(k == "T" for k in kinds))

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

    def signature(self) -> str:
        return f"{self.name}({', '.join(str(p) for p in self.params)})"


def case(*shapes, **params) -> tuple:
    """An example a row's tests are run on: its inputs' shapes and its parameters."""
    return shapes, params


def at(*values, order: int = 2, **params) -> tuple:
    """A singular point of a row (a zero, a tie, a domain edge): the tests
    hold value, gradient and, to order 2, second derivatives there to
    PyTorch's, recorded in tests/data/singular_torch.json."""
    return values, params, order


# ---- turning a call's values into an op's inputs
def whole(value, what: str) -> int:
    """A value in an integer position: a whole number, or an error."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, Tensor):
        if value.size != 1:
            raise ArgumentError(f"{what} must be a whole number, not an array of shape {value.shape}")
        value = value.item()
    if isinstance(value, (int, float)) and float(value).is_integer():
        return int(value)
    raise ArgumentError(f"{what} must be a whole number, not {value!r}")


def _ints(value, what: str) -> tuple[int, ...]:
    if isinstance(value, (tuple, list)):
        return tuple(whole(v, what) for v in value)
    if isinstance(value, Tensor) and value.ndim == 1:
        return tuple(whole(v, what) for v in value.numpy().tolist())
    return (whole(value, what),)


def normalize_axis(axis: int, ndim: int, fname: str) -> int:
    if not -ndim <= axis < max(ndim, 1):
        raise ShapeError(f"{fname}: axis {axis} is out of range for a {ndim}-D array"
                         + (f" (valid: {-ndim} to {ndim - 1})" if ndim else " (a scalar has no axes)"))
    return axis % ndim if ndim else 0


def bind(op: Op, args: list, kwargs: dict, bk):
    """Match a call's values to op's signature: (tensor inputs, params).
    Tensors are Tensors; tuple/list values arrive as Python tuples."""
    params = op.params
    values: dict[str, Any] = {}
    positional = list(args)
    for p in params:
        if p.variadic:
            values[p.name] = tuple(positional)
            positional = []
        elif positional:
            values[p.name] = positional.pop(0)
    if positional:
        most = len(params)
        raise ArgumentError(f"{op.name}() takes at most {most} argument{'s' * (most != 1)}, "
                            f"but {len(args)} were given", hint=f"usage: {op.signature()}")
    for key, v in kwargs.items():
        name = ALIASES.get(key, key)
        p = next((p for p in params if p.name == name and not p.variadic), None)
        if p is None:
            known = [q.name for q in params if q.kind not in TENSOR_KINDS or not q.required]
            raise ArgumentError(f"{op.name}() has no keyword '{key}'",
                                hint=f"usage: {op.signature()}" + (f"; keywords: {', '.join(known)}" if known else ""))
        if name in values:
            raise ArgumentError(f"{op.name}() got '{name}' twice", hint=f"usage: {op.signature()}")
        values[name] = v
    for p in params:
        if p.name not in values:
            if p.required:
                raise ArgumentError(f"{op.name}() is missing its argument '{p.name}'", hint=f"usage: {op.signature()}")
            values[p.name] = p.default

    tensors, out = [], {}
    first = None
    for p in params:
        v = values[p.name]
        what = f"{op.name}()'s {p.name}"
        if p.kind in ("T", "mask"):
            if v is None and not p.required and p.default is not None:
                v = p.default
            t = _tensor(v, bk, what)
            tensors.append(t)
            first = first or t
        elif p.kind == "tensors":
            items = v           # a list or tuple of arrays, or one array split along its first axis
            if isinstance(items, Tensor):
                items = tuple(items[i] for i in range(items.shape[0])) if items.ndim else (items,)
            if not items:
                raise ArgumentError(f"{what} needs at least one array", hint=f"usage: {op.signature()}")
            ts = [_tensor(i, bk, what) for i in items]
            tensors.extend(ts)
            first = first or ts[0]
        elif p.kind in ("shape", "dims"):
            items = v if p.variadic else (v,)
            if len(items) == 1 and (isinstance(items[0], tuple) or isinstance(items[0], Tensor) and items[0].ndim == 1):
                items = items[0]
                items = tuple(items.numpy().tolist()) if isinstance(items, Tensor) else items
            out[p.name] = tuple(whole(i, f"{what}") for i in items)
            if p.kind == "dims":        # an order of first's axes
                ndim = first.ndim if first is not None else 0
                out[p.name] = tuple(normalize_axis(a, ndim, op.name) for a in out[p.name])
                if sorted(out[p.name]) != list(range(ndim)):
                    raise ArgumentError(f"{what} must give each axis of a {ndim}-D array once, "
                                        f"not {tuple(whole(i, what) for i in items)}",
                                        hint=f"usage: {op.signature()}")
            elif any(n < 0 for n in out[p.name]) and op.name != "reshape":
                raise ArgumentError(f"{op.name}(): a shape cannot have negative sizes: {out[p.name]}")
        elif p.kind in ("axis", "axis1", "newaxis"):
            if v is None:
                out[p.name] = None
                continue
            ndim = (first.ndim if first is not None else 0) + (p.kind == "newaxis")
            axes = tuple(normalize_axis(a, ndim, op.name) for a in _ints(v, f"{what} (an axis)"))
            if p.kind != "axis":
                if len(axes) != 1:
                    raise ArgumentError(f"{what} is one axis, not {len(axes)}")
                axes = axes[0]
            elif len(set(axes)) != len(axes):
                raise ArgumentError(f"{what} repeats an axis: {axes}")
            out[p.name] = axes
        elif p.kind == "int":
            out[p.name] = None if v is None else whole(v, what)
        elif p.kind == "float":
            if isinstance(v, Tensor):
                if v.size != 1:
                    raise ArgumentError(f"{what} must be a number, not an array of shape {v.shape}")
                v = v.item()
            if v is not None and not isinstance(v, (int, float)):
                raise ArgumentError(f"{what} must be a number")
            out[p.name] = None if v is None else float(v)
        elif p.kind == "bool":
            if isinstance(v, Tensor) and v.size == 1:
                v = bool(v.item())
            if not isinstance(v, bool):
                raise ArgumentError(f"{what} must be True or False")
            out[p.name] = v
        else:
            out[p.name] = v
    return tensors, out


def _tensor(v, bk, what):
    if isinstance(v, Tensor):
        return v
    if isinstance(v, bool) or v is None:
        raise ArgumentError(f"{what} must be an array or a number, not {v}")
    if isinstance(v, (int, float)):
        return Tensor.constant(v, bk)
    if isinstance(v, tuple):
        items = [_tensor(i, bk, what) for i in v]
        return F.stack(*items, axis=0)
    raise ArgumentError(f"{what} must be an array or a number")


TABLE: dict[str, Op] = {}
"""Every operation by name, filled by gradcli.ops from the op families."""


class _Functional:
    """F.name(*tensors, **params): call table ops from rules and from Python."""

    def __getattr__(self, name):
        op = TABLE[name]
        fn = op.impl if op.impl is not None else partial(call, op)
        setattr(self, name, fn)         # found once; later lookups are plain attributes
        return fn


def call(op, *inputs, **params):
    """apply(), with Python numbers among the inputs made constants and the
    parameters not given set to their defaults."""
    if not all(isinstance(t, Tensor) for t in inputs):
        bk = next(t.bk for t in inputs if isinstance(t, Tensor))
        inputs = tuple(t if isinstance(t, Tensor) else Tensor.constant(t, bk) for t in inputs)
    return apply(op, *inputs, **with_defaults(op, params, inputs[0].ndim if inputs else 0))


def with_defaults(op, params: dict, ndim: int) -> dict:
    """params with the parameters not given set to their defaults (an axis
    default normalised for a first input of ndim axes)."""
    params = dict(params)
    for p in op.params:
        if p.name not in params and p.kind not in TENSOR_KINDS:
            default = p.default
            if p.kind in ("axis1", "newaxis") and default is not None:
                default = normalize_axis(default, ndim + (p.kind == "newaxis"), op.name)
            params[p.name] = default
    return params


F = _Functional()
install(F)
