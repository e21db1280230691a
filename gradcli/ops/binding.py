"""How a call's values become an op's inputs: the signature's parameters
matched to positional and keyword arguments (with PyTorch's spellings), then
each value converted by its parameter's kind, one converter per kind."""
from __future__ import annotations

from typing import Any

from gradcli.autograd.tensor import Tensor, table
from gradcli.errors import ArgumentError, ShapeError

# Keyword spellings accepted for PyTorch users.
ALIASES = {"dim": "axis", "keepdim": "keepdims", "input": "x"}

# Parameter kinds. Tensor kinds are graph inputs; the rest are plain values.
TENSOR_KINDS = ("T", "mask", "tensors")
KINDS = TENSOR_KINDS + ("axis", "axis1", "newaxis", "dims", "int", "float", "bool", "shape", "sizes", "key", "str")


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


def ints(value, what: str) -> tuple[int, ...]:
    if isinstance(value, (tuple, list)):
        return tuple(whole(v, what) for v in value)
    if isinstance(value, Tensor) and value.ndim == 1:
        return tuple(whole(v, what) for v in value.numpy().tolist())
    return (whole(value, what),)


def normalize_axis(axis: int, ndim: int, fname: str) -> int:
    """axis as a non-negative int; a scalar has axis 0 (also -1), as in PyTorch."""
    if not -max(ndim, 1) <= axis < max(ndim, 1):
        raise ShapeError(f"{fname}: axis {axis} is out of range for a {ndim}-D array"
                         + (f" (valid: {-ndim} to {ndim - 1})" if ndim else " (a scalar's only axis is 0 or -1)"))
    return axis % ndim if ndim else 0


def bind(op, args: list, kwargs: dict, bk):
    """Match a call's values to op's signature: (tensor inputs, params).
    Tensors are Tensors; tuple/list values arrive as Python tuples."""
    if not kwargs and op.arrays_only and len(args) == len(op.params) and all(isinstance(a, Tensor) for a in args):
        return list(args), {}          # what the steps below come to, for sin(x) or atan2(y, x)
    values = _match(op, args, kwargs)
    tensors, out = [], {}
    for p in op.params:
        call = _Call(op, p, tensors[0] if tensors else None, bk)
        if values[p.name] is None and p.kind not in TENSOR_KINDS and (p.required or p.default is not None):
            raise ArgumentError(f"{call.what} cannot be None", hint=call.usage())
        v = _CONVERT[p.kind](call, values[p.name])
        if p.kind in TENSOR_KINDS:
            tensors.extend(v)
        else:
            out[p.name] = v
    return tensors, out


def given(op, tensors: list, n_positional: int, kwargs: dict) -> tuple:
    """The tensors of a call that its text gave (not those a default filled
    in, as cross_entropy's weight=1): what a drawing of the call shows."""
    if any(p.variadic for p in op.tensor_params):
        return tuple(tensors)
    named = {p.name for p in op.params[:n_positional]} | {ALIASES.get(k, k) for k in kwargs}
    return tuple(t for p, t in zip(op.tensor_params, tensors) if p.required or p.name in named)


def _match(op, args: list, kwargs: dict) -> dict[str, Any]:
    """Each parameter's value: positional, then keywords, then defaults."""
    params, values, positional = op.params, {}, list(args)
    for p in params:
        if p.variadic:
            values[p.name], positional = tuple(positional), []
        elif positional:
            values[p.name] = positional.pop(0)
    if positional:
        raise ArgumentError(f"{op.name}() takes at most {len(params)} argument{'s' * (len(params) != 1)}, "
                            f"but {len(args)} were given", hint=_usage(op))
    for key, v in kwargs.items():
        name = ALIASES.get(key, key)
        p = next((p for p in params if p.name == name and not p.variadic), None)
        if p is None:
            if key == "requires_grad":
                raise ArgumentError(f"{op.name}() has no keyword 'requires_grad'",
                                    hint="every input gets a gradient in gradcli: drop requires_grad=True")
            known = [q.name for q in params if q.kind not in TENSOR_KINDS or not q.required]
            raise ArgumentError(f"{op.name}() has no keyword '{key}'",
                                hint=_usage(op) + (f"; keywords: {', '.join(known)}" if known else ""))
        if name in values:
            raise ArgumentError(f"{op.name}() got '{name}' twice", hint=_usage(op))
        values[name] = v
    for p in params:
        if p.name not in values:
            if p.required:
                raise ArgumentError(f"{op.name}() is missing its argument '{p.name}'", hint=_usage(op))
            values[p.name] = p.default
    return values


def _usage(op) -> str:
    return f"usage: {op.signature()}"


class _Call:
    """What a converter knows: the op, the parameter, how to name it in an
    error, the first tensor input (axes are counted against it), the backend."""
    __slots__ = ("op", "param", "first", "bk")

    def __init__(self, op, param, first, bk):
        self.op, self.param, self.first, self.bk = op, param, first, bk

    @property
    def what(self) -> str:
        return f"{self.op.name}()'s {self.param.name}"

    def usage(self) -> str:
        return _usage(self.op)


def _tensor_value(c: _Call, v):
    if v is None and not c.param.required and c.param.default is not None:
        v = c.param.default
    return [_tensor(v, c.bk, c.what)]


def _tensors(c: _Call, items):
    """A list or tuple of arrays, or one array split along its first axis."""
    if not isinstance(items, (tuple, list, Tensor)):
        raise ArgumentError(f"{c.what} must be a list of arrays, not {items!r}", hint=c.usage())
    if isinstance(items, Tensor):
        items = tuple(items[i] for i in range(items.shape[0])) if items.ndim else (items,)
    if not items:
        raise ArgumentError(f"{c.what} needs at least one array", hint=c.usage())
    return [_tensor(i, c.bk, c.what) for i in items]


def _sizes(c: _Call, v) -> tuple[int, ...]:
    items = v if c.param.variadic else (v,)
    if len(items) == 1 and (isinstance(items[0], tuple) or isinstance(items[0], Tensor) and items[0].ndim == 1):
        items = items[0]
        items = tuple(items.numpy().tolist()) if isinstance(items, Tensor) else items
    return tuple(whole(i, c.what) for i in items)


def _shape(c: _Call, v):
    sizes = _sizes(c, v)
    if any(n < 0 for n in sizes):
        raise ArgumentError(f"{c.op.name}(): a shape cannot have negative sizes: {sizes}")
    return sizes


def _new_shape(c: _Call, v):
    """A shape in which -1 stands for a size the op works out (reshape, broadcast_to)."""
    sizes = _sizes(c, v)
    if any(n < -1 for n in sizes):
        raise ArgumentError(f"{c.op.name}(): a size is positive, 0, or -1 for one worked out, not {min(sizes)}")
    return sizes


def _dims(c: _Call, v):
    """An order of the first input's axes."""
    given = _sizes(c, v)
    ndim = c.first.ndim if c.first is not None else 0
    dims = tuple(normalize_axis(a, ndim, c.op.name) for a in given)
    if sorted(dims) != list(range(ndim)):
        raise ArgumentError(f"{c.what} must give each axis of a {ndim}-D array once, not {given}", hint=c.usage())
    return dims


def _axes(c: _Call, v):
    """None, or axes of the first input (of the result, for a new axis):
    a tuple for kind axis, one axis for axis1 and newaxis."""
    if v is None:
        return None
    ndim = (c.first.ndim if c.first is not None else 0) + (c.param.kind == "newaxis")
    axes = tuple(normalize_axis(a, ndim, c.op.name) for a in ints(v, f"{c.what} (an axis)"))
    if c.param.kind == "axis":
        if len(set(axes)) != len(axes):
            raise ArgumentError(f"{c.what} repeats an axis: {axes}")
        return axes if ndim else None          # a scalar reduced over its axis: its one element
    if len(axes) != 1:
        raise ArgumentError(f"{c.what} is one axis, not {len(axes)}")
    return axes[0]


def _float(c: _Call, v):
    if isinstance(v, str) and c.param.choices:      # matrix_norm(A, 'nuc')
        return _str(c, v)
    if isinstance(v, Tensor):
        if v.size != 1:
            raise ArgumentError(f"{c.what} must be a number, not an array of shape {v.shape}")
        v = v.item()
    if v is not None and not isinstance(v, (int, float)):
        named = f" or one of {', '.join(map(repr, c.param.choices))}" if c.param.choices else ""
        raise ArgumentError(f"{c.what} must be a number{named}")
    return None if v is None else float(v)


def _str(c: _Call, v):
    """A string argument; where the parameter lists its choices, one of them."""
    choices = c.param.choices
    if not isinstance(v, str):
        example = f", such as {c.param.name}={choices[0]!r}" if choices else ""
        raise ArgumentError(f"{c.what} must be a string{example}, not {_value_words(v)}", hint=c.usage())
    if choices and v not in choices:
        from gradcli.spellings import suggest
        raise ArgumentError(f"{c.what} must be one of {', '.join(map(repr, choices))}, not {v!r}"
                            + suggest(v, choices), hint=c.usage())
    return v


def _value_words(v) -> str:
    return f"an array of shape {v.shape}" if isinstance(v, Tensor) else repr(v)


def _bool(c: _Call, v):
    if isinstance(v, Tensor) and v.size == 1:
        v = bool(v.item())
    if not isinstance(v, bool):
        raise ArgumentError(f"{c.what} must be True or False")
    return v


_CONVERT = {
    "T": _tensor_value, "mask": _tensor_value, "tensors": _tensors,
    "shape": _shape, "sizes": _new_shape, "dims": _dims, "axis": _axes, "axis1": _axes, "newaxis": _axes,
    "int": lambda c, v: None if v is None else whole(v, c.what),
    "float": _float, "bool": _bool, "key": lambda c, v: v, "str": _str,
}
assert set(_CONVERT) == set(KINDS)


def _tensor(v, bk, what):
    if isinstance(v, Tensor):
        return v
    if isinstance(v, bool) or v is None or isinstance(v, str):
        raise ArgumentError(f"{what} must be an array or a number, not {v!r}")
    if isinstance(v, (int, float)):
        return Tensor.constant(v, bk)
    if isinstance(v, tuple):
        return table().stack(*[_tensor(i, bk, what) for i in v], axis=0)
    raise ArgumentError(f"{what} must be an array or a number")


def param_kinds(op):
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


def receiver_place(op) -> int:
    """Where x goes in x.f(...): f's first array parameter (the first, but
    for the few ops that take a number first, as polygamma(n, x))."""
    return next((i for i, p in enumerate(op.params) if p.kind in TENSOR_KINDS), 0)
