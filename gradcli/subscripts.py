"""Subscripts: x[...]'s values -> the key of getitem (numbers, slices,
index arrays, masks), checked against x's shape with errors that point at
the subscript; and picking one of a builtin's several results (sort(x)[0],
sort(x).values)."""
from __future__ import annotations

from gradcli import ast
from gradcli.autograd import Tensor
from gradcli.errors import ArgumentError, ShapeError, UsageError
from gradcli.ops.binding import whole


def key(node: ast.Index, t: Tensor, args) -> tuple:
    """getitem's key for t[...], from the subscripts' values (args, a slice's
    three bounds each): numbers, slices, index arrays (x[[0, 2]], repeats
    allowed) and masks made by a comparison (x[x > 1])."""
    key, axes, pos = [], [], 0        # axes: the first axis of t each key item indexes
    for sub in node.items:
        axis = len(key) and axes[-1] + _width(key[-1])
        if isinstance(sub, ast.Slice):
            parts = [None if v is None else whole(v, "a slice bound") for v in args[pos:pos + 3]]
            pos += 3
            if parts[2] == 0:
                raise ArgumentError("a slice step cannot be 0", sub.span)
            k = slice(*parts)
        else:
            k = _index_item(args[pos], t, axis, sub)
            pos += 1
        if axis + _width(k) > t.ndim:
            raise ShapeError(f"too many indices for an array of shape {t.shape}", sub.span)
        key.append(k)
        axes.append(axis)
    if any(isinstance(k, _Mask) for k in key):
        key = [part for k in key for part in (k.nonzero if isinstance(k, _Mask) else (k,))]
    return tuple(key)


def field(value, node: ast.Field):
    """sort(x).values: a named result."""
    names = getattr(value, "names", ())
    if node.name not in names:
        what = f"an array of shape {value.shape}" if isinstance(value, Tensor) else "this value"
        named = [n for n in names if n]
        has = f"; it has {', '.join('.' + n for n in named)}" if named else ""
        raise UsageError(f"{what} has no .{node.name}{has}", node.span,
                         hint=f"'.{node.name}' names a result of sort, topk and the like")
    return value[names.index(node.name)]


def item(items: tuple, index, node):
    """One of several results: sort(x)[0]."""
    i = whole(index, "an index")
    if not -len(items) <= i < len(items):
        raise ShapeError(f"index {i} is out of range for {len(items)} results", node.items[0].span)
    return items[i]


class _Mask:
    """A mask made by a comparison, used as an index: the axes it covers and
    where it is true (its elements' integer coordinates)."""
    def __init__(self, nonzero: tuple, ndim: int):
        self.nonzero, self.ndim = nonzero, ndim


def _width(k) -> int:
    """How many of the array's axes a key item takes up."""
    return k.ndim if isinstance(k, _Mask) else 1


def _index_item(value, t: Tensor, axis: int, item):
    """One index of x[...]: a whole number, an array of them (kept as nested
    tuples, which the gradient scatter-adds) or a comparison's mask."""
    if not isinstance(value, Tensor) or value.ndim == 0:
        k = whole(value, "an index")
        if axis < t.ndim and not -t.shape[axis] <= k < t.shape[axis]:
            raise ShapeError(f"index {k} is out of range for axis {axis} of size {t.shape[axis]}", item.span)
        return k
    data = value.numpy()
    if value.op is not None and value.op.family == "compare":
        covered = t.shape[axis:axis + value.ndim]
        if covered != value.shape:
            raise ShapeError(f"a mask of shape {value.shape} cannot select from axes of shape {covered} "
                             f"(the mask's shape must match them)", item.span)
        return _Mask(tuple(tuple(int(i) for i in ix) for ix in data.nonzero()), value.ndim)
    if not ((data == data.round()) & (abs(data) < 2 ** 53)).all():
        raise ArgumentError("an index array must hold whole numbers", item.span,
                            hint="a mask made by a comparison selects: x[x > 1]")
    size = t.shape[axis] if axis < t.ndim else 0
    bad = data[(data < -size) | (data >= size)]
    if bad.size:
        raise ShapeError(f"index {int(bad[0])} is out of range for axis {axis} of size {size}", item.span)
    return _nested(data.astype(int).tolist())


def _nested(v):
    return tuple(_nested(i) for i in v) if isinstance(v, list) else v
