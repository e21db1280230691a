"""Selection by index arrays in PyTorch's spellings (gather, take_along_dim,
index_select) and its inverse (scatter_add, index_add). The indices are
data, never differentiated: whole numbers in the run's float dtype, checked
here with errors that name the op, the axis and its size. Every builtin is
composed of one internal pair: take_along, and its gradient scatter_along,
which adds up repeated indices (PyTorch's scatter-add) and whose own
gradient is take_along again, so that every order is exact."""
from __future__ import annotations

import itertools
import math

from gradcli.errors import ArgumentError, ShapeError
from gradcli.ops import batching, reference
from gradcli.ops.core import F, Op, at, case


def _key(xp, index, axis):
    """The advanced index that reads index[i] along axis at each position i
    of index: x[key] is torch.gather(x, axis, index) (a negative index
    counting from the end, as NumPy's and CuPy's do)."""
    return tuple(xp.asarray(index, dtype=xp.int64) if d == axis
                 else xp.reshape(xp.arange(n), (1,) * d + (n,) + (1,) * (index.ndim - d - 1))
                 for d, n in enumerate(index.shape))


def _take_along(bk, x, index, axis):
    if not index.ndim:                      # a 0-d array's one element
        return bk.xp.copy(x)
    return x[_key(bk.xp, index, axis)]


def _scatter_along(bk, g, index, axis, shape):
    out = bk.xp.zeros(shape, dtype=g.dtype)
    if not index.ndim:
        return out + g
    bk.scatter_add(out, _key(bk.xp, index, axis), g)
    return out


def _along_batch(b, op, inputs, params, run):
    """take_along and scatter_along on a batch: one more axis, first, of x,
    index and scatter_along's shape, along which _key pairs them element for
    element; a 0-d item (one element, whatever the axis) runs alone."""
    if b.ndim(inputs[0]) == 0 or b.ndim(inputs[1]) == 0:
        return batching.loop(b, op, inputs, params, run)
    if "shape" in params:
        params = {**params, "shape": (b.n,) + tuple(params["shape"])}
    return batching.axes(b, op, inputs, params, run)


def _size(x, axis) -> int:
    return x.shape[axis] if x.ndim else 1


def checked(name, index, n, axis, negative=False):
    """index, once it is known to hold whole numbers that are indices of an
    axis of n elements (from -n with negative, as take_along_dim allows)."""
    bk, xp, data = index.bk, index.bk.xp, index.data
    low = -n if negative else 0
    bad = xp.logical_or(data != xp.floor(data), xp.logical_or(data < low, data >= n))
    if bk.any(bad):
        v = float(bk.to_host(data[bad])[0])
        if not (math.isfinite(v) and v.is_integer()):
            raise ArgumentError(f"{name}: an index must be a whole number, not {v:g}")
        raise ShapeError(f"{name}: index {v:g} is out of range for axis {axis} of size {n}",
                         hint=f"indices run from {low} to {n - 1}")
    return index


def _line(t):
    """t with at least one axis: PyTorch takes a 0-d array as one element along axis 0."""
    return t if t.ndim else F.reshape(t, shape=(1,))


def _same_rank(name, x, t, what="index"):
    if max(t.ndim, 1) != max(x.ndim, 1):
        raise ShapeError(f"{name}: {what} has {t.ndim} axes and x {x.ndim} (shapes {t.shape} and "
                         f"{x.shape}); they must have as many")


def _within(name, index, other, axis, what):
    """PyTorch's rule for gather and scatter_add: on every axis but `axis`
    (all of them for None), index is no longer than `other`."""
    for d, (i, n) in enumerate(zip(index.shape or (1,), other.shape or (1,))):
        if d != axis and i > n:
            raise ShapeError(f"{name}: index has {i} elements on axis {d}, more than {what}'s {n}")


def _gather(x, index, axis):
    _same_rank("gather", x, index)
    _within("gather", index, x, axis, "x")
    out = F.take_along(_line(x), _line(checked("gather", index, _size(x, axis), axis)), axis=axis)
    return out if index.ndim else F.reshape(out, shape=())


def _take_along_dim(x, indices, axis):
    if axis is None:                        # over the flattened array, as PyTorch
        x, indices, axis = F.reshape(x, shape=(-1,)), F.reshape(indices, shape=(-1,)), 0
    _same_rank("take_along_dim", x, indices, "indices")
    sizes = [(a, b) for d, (a, b) in enumerate(zip(x.shape, indices.shape)) if d != axis]
    if any(a != b and 1 not in (a, b) for a, b in sizes):
        raise ShapeError(f"take_along_dim: x of shape {x.shape} and indices of shape {indices.shape} do not "
                         f"broadcast on the axes other than {axis}")
    indices = checked("take_along_dim", indices, _size(x, axis), axis, negative=True)

    def spread(t):
        full = tuple(t.shape[d] if d == axis else max(a, b) for d, (a, b) in enumerate(zip(x.shape, indices.shape)))
        return t if t.shape == full else F.broadcast_to(t, shape=full)
    return F.take_along(spread(x), spread(indices), axis=axis)


def _along(index, axis, shape):
    """A vector of indices for one axis, as an index array of shape (the
    same indices at every position of the other axes)."""
    lead = (1,) * axis
    return F.broadcast_to(F.reshape(index, shape=lead + (-1,) + (1,) * (len(shape) - axis - 1)), shape=shape)


def _vector(name, index):
    if index.ndim > 1:
        raise ShapeError(f"{name}: index must be a vector of indices, not an array of shape {index.shape}")
    return F.reshape(index, shape=(-1,))


def _index_select(x, index, axis):
    index = checked("index_select", _vector("index_select", index), _size(x, axis), axis)
    if not x.ndim and index.size != 1:
        raise ShapeError(f"index_select: a 0-d x has one element to select, not {index.size}")
    line = _line(x)
    out = F.take_along(line, _along(index, axis, line.shape[:axis] + index.shape + line.shape[axis + 1:]), axis=axis)
    return out if x.ndim else F.reshape(out, shape=())


def _scatter_add(x, index, src, axis):
    for what, t in (("index", index), ("src", src)):
        _same_rank("scatter_add", x, t, what)
    _within("scatter_add", index, x, axis, "x")
    _within("scatter_add", index, src, None, "src")
    index, src = _line(checked("scatter_add", index, _size(x, axis), axis)), _line(src)
    if src.shape != index.shape:            # only src's leading block is scattered, as in PyTorch
        src = src[tuple(slice(0, n) for n in index.shape)]
    return x + F.reshape(F.scatter_along(src, index, axis=axis, shape=x.shape or (1,)), shape=x.shape)


def _index_add(x, index, source, axis, alpha):
    index = checked("index_add", _vector("index_add", index), _size(x, axis), axis)
    shape = x.shape or (1,)
    want = shape[:axis] + index.shape + shape[axis + 1:]
    if source.shape != (want if x.ndim else ()):
        raise ShapeError(f"index_add: source has shape {source.shape}, but x of shape {x.shape} with "
                         f"{index.size} indices along axis {axis} needs {want if x.ndim else ()}")
    added = F.scatter_along(_line(source), _along(index, axis, want), axis=axis, shape=shape)
    added = added if x.ndim else F.reshape(added, shape=())
    return x + (added if alpha == 1 else alpha * added)


# ---- references: element by element, from where each comes
def _moved(i, axis, j):
    """Position i with its coordinate on axis replaced by j."""
    return i[:axis] + (int(j),) + i[axis + 1:]


def _gathered(x, index, axis):
    x = x.reshape(x.shape or (1,))
    return reference.by_index(index.shape, lambda i: x[_moved(i, axis, index[i])])


def _scattered(x, index, src, axis):
    out = x.reshape(x.shape or (1,)).copy()
    index, src = index.reshape(index.shape or (1,)), src.reshape(src.shape or (1,))
    for i in itertools.product(*map(range, index.shape)):
        out[_moved(i, axis, index[i])] += src[i]
    return out.reshape(x.shape)


def _selected(index, axis, shape):
    """index_select's vector of indices as the index array of a gather."""
    return reference.by_index(shape[:axis] + (index.size,) + shape[axis + 1:], lambda i: index.ravel()[i[axis]])


def _taken(x, indices, axis):
    if axis is None:
        x, indices, axis = x.ravel(), indices.ravel(), 0
    shape = tuple(indices.shape[d] if d == axis else max(x.shape[d], indices.shape[d]) for d in range(x.ndim))

    def corner(t, i):                       # a broadcast axis reads its one element
        return tuple(0 if n == 1 else k for k, n in zip(i, t.shape))
    return reference.by_index(shape, lambda i: x[_moved(corner(x, i), axis,
                                                        indices[corner(indices, i)] % x.shape[axis])])


INDEX = "index:mask"
BATCH = "traced"        # how its rows run on a batch (ops/batching.py): the builtins are made of the internal pair
SYNONYMS = {"take_along_axis": "take_along_dim"}       # NumPy's name, with the same arguments

OPS = [
    Op("gather", f"x, axis:axis1, {INDEX}", impl=_gather, family="select",
       doc="x's elements picked along axis by index (torch.gather): out[i][j] = x[index[i][j]][j] for axis 0",
       examples=(case((3, 4), (2, 4), axis=0), case((3, 4), (3, 5), axis=1), case((2, 3), (1, 2), axis=1)),
       reference=_gathered, singular=(at([[1.0, 2.0], [3.0, 4.0]], [[0.0, 0.0, 1.0], [1.0, 1.0, 1.0]], axis=1),)),
    Op("take_along_dim", "x, indices:mask, axis:axis1=None", impl=_take_along_dim, family="select",
       doc="x's elements picked along axis by indices, which broadcast against x (over the flattened x with no "
           "axis); negative indices count from the end",
       examples=(case((3, 4), (2, 4), axis=0), case((2, 3), (1, 4), axis=1), case((1, 3), (2, 2), axis=1),
                 case((2, 3), (5,))),
       reference=_taken, singular=(at([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [[-1.0, 0.0, -1.0]], axis=1),)),
    Op("index_select", f"x, axis:axis1, {INDEX}", impl=_index_select, family="select",
       doc="the slices of x along axis at the given indices, repeats allowed (torch.index_select)",
       examples=(case((3, 2), (5,), axis=0), case((2, 3), (2,), axis=1), case((2, 3), (), axis=1)),
       reference=lambda x, index, axis: _gathered(x, _selected(index, axis, x.shape), axis),
       singular=(at([[1.0, 2.0], [3.0, 4.0]], [1.0, 0.0, 1.0, 1.0], axis=1),)),
    Op("scatter_add", f"x, axis:axis1, {INDEX}, src", impl=_scatter_add, family="select",
       doc="x with src's elements added at index along axis, repeats adding up (torch.scatter_add)",
       examples=(case((3, 4), (2, 4), (2, 4), axis=0), case((2, 3), (2, 4), (3, 4), axis=1),
                 case((2,), (3,), (3,), axis=0)),
       reference=_scattered,
       singular=(at([[1.0, 2.0], [3.0, 4.0]], [[1.0, 1.0], [1.0, 0.0]], [[0.5, -2.0], [7.0, 3.0]], axis=0),)),
    Op("index_add", f"x, axis:axis1, {INDEX}, source, alpha:float=1", impl=_index_add, family="select",
       doc="x with alpha times source's slices added at the given indices along axis (torch.index_add)",
       examples=(case((3, 2), (4,), (4, 2), axis=0), case((2, 3), (2,), (2, 2), axis=1, alpha=-0.5)),
       reference=lambda x, index, source, axis, alpha: _scattered(
           x, _selected(index, axis, x.shape or (1,)), alpha * source, axis),
       singular=(at([1.0, 2.0, 3.0], [2.0, 0.0, 2.0], [0.5, -1.0, 4.0], axis=0, alpha=2.0),)),
    # internal: the pair every selection is made of
    Op("take_along", f"x, {INDEX}, axis:axis1", forward=_take_along, batch=_along_batch,
       grads=(lambda g, y, x, index, axis: F.scatter_along(g, index, axis=axis, shape=x.shape), None),
       doc="x[index] along axis at each position of index (torch.gather, unchecked)", family="select",
       builtin=False, examples=(case((3, 4), (2, 4), axis=0), case((2, 3), (2, 5), axis=1)),
       reference=_gathered,
       explain=("1 at each element picked (once per pick), else 0", "g added at the picked elements")),
    Op("scatter_along", f"g, {INDEX}, axis:axis1, shape:shape", forward=_scatter_along, batch=_along_batch,
       grads=(lambda g, y, x, index, axis, shape: F.take_along(g, index, axis=axis), None),
       doc="zeros of shape with g added at index along axis, repeats adding up (the gradient of take_along)",
       family="select", builtin=False,
       examples=(case((2, 4), (2, 4), axis=0, shape=(3, 4)), case((2, 5), (2, 5), axis=1, shape=(2, 3))),
       reference=lambda g, index, axis, shape: _scattered(reference.filled(shape, 0.0), index, g, axis),
       explain=("1 at each element it is added to", "g picked at those elements")),
]
