"""Shape changes and indexing, and the internal operations that gradient rules
use to move cotangents between shapes (broadcast_to, sum_to, scatter)."""
from __future__ import annotations

from gradcli.errors import ShapeError
from gradcli.ops import batching, reference
from gradcli.ops.core import F, Op, case


def _back_to_shape(g, y, x, **_):
    return F.reshape(g, shape=x.shape)


def _reshape(bk, x, shape):
    # The array's methods, not NumPy's functions of the same names (here and in the
    # reductions): those add a Python dispatch that is most of their time on a small array.
    try:
        return x.reshape(shape)
    except ValueError:
        raise ShapeError(f"reshape: cannot reshape an array of shape {tuple(x.shape)} ({x.size} elements) "
                         f"into shape {shape}") from None


def _broadcast_to(bk, x, shape):
    # PyTorch's spelling: -1 keeps the size of x's axis there (aligned at the right)
    lead = len(shape) - x.ndim
    if lead < 0:
        raise ShapeError(f"broadcast_to: cannot broadcast an array of shape {tuple(x.shape)} to {len(shape)} axes")
    full = shape
    if -1 in shape:
        if -1 in shape[:lead]:
            raise ShapeError(f"broadcast_to: -1 stands for a size of x, but {shape} puts one before x's axes")
        full = tuple(x.shape[i - lead] if n == -1 else n for i, n in enumerate(shape))
    # The copy that broadcast_to(x, full) is, made without NumPy's broadcast_to: ten times
    # as slow on a small array (a reduction's rule broadcasts its g so at every pass).
    out = bk.xp.empty(full, dtype=x.dtype)
    try:
        out[...] = x
    except ValueError:
        bk.xp.broadcast_to(x, full)         # x does not broadcast: NumPy's own error, as before
        raise
    return out


def _sum_to(bk, x, shape):
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and x.shape[lead + i] != 1)
    out = x.sum(axis=axes, keepdims=True) if axes else x
    return out.reshape(shape)


def _unsqueeze(bk, x, axis):
    at = axis if axis >= 0 else axis + x.ndim + 1
    return x.reshape(x.shape[:at] + (1,) + x.shape[at:])


def _squeeze(bk, x, axis):
    if axis is not None and any(x.shape[a] != 1 for a in axis):
        raise ShapeError(f"squeeze: axis {axis[0]} has size {x.shape[axis[0]]}, not 1")
    return x.squeeze(axis=axis)


def _scatter(bk, g, key, shape):
    out = bk.xp.zeros(shape, dtype=g.dtype)
    bk.scatter_add(out, key, g)
    return out


def _stack_piece(g, y, *xs, axis, index):
    return F.getitem(g, key=(slice(None),) * axis + (index,))


def _concat_piece(g, y, *xs, axis, index):
    start = sum(x.shape[axis] for x in xs[:index])
    return F.getitem(g, key=(slice(None),) * axis + (slice(start, start + xs[index].shape[axis]),))


def _concat(bk, *xs, axis):
    try:
        return bk.xp.concatenate(xs, axis=axis)
    except ValueError:
        raise ShapeError("concat: the arrays must match in every axis but " + str(axis) + ", got shapes "
                         + ", ".join(str(tuple(x.shape)) for x in xs)) from None


def _stack(bk, *xs, axis):
    if len({tuple(x.shape) for x in xs}) > 1:
        raise ShapeError("stack: the arrays must have the same shape, got "
                         + ", ".join(str(tuple(x.shape)) for x in xs))
    return bk.xp.stack(xs, axis=axis)


RESHAPE_CASES = (case((2, 3), shape=(3, 2)), case((6,), shape=(2, -1)))

BATCH = "axes"          # how its rows run on a batch (ops/batching.py); some have their own

OPS = [
    Op("reshape", "x, *shape:sizes", forward=_reshape, grads=(_back_to_shape,),
       reference=reference.elements,
       doc="the same elements in a new shape (one size may be -1)", batch=batching.reshaped, family="shape", examples=RESHAPE_CASES,
       explain=("1: the elements only move", "g reshaped back")),
    Op("flatten", "x", forward=lambda bk, x: bk.xp.reshape(x, (-1,)), grads=(_back_to_shape,),
       reference=lambda x: reference.elements(x, (-1,)),
       doc="the elements as a vector", batch=batching.flattened, family="shape", examples=(case((2, 3)),),
       explain=("1: the elements only move", "g reshaped back")),
    Op("squeeze", "x, axis:axis=None", forward=_squeeze, grads=(_back_to_shape,),
       reference=lambda x, axis: reference.elements(x, tuple(n for i, n in enumerate(x.shape)
                                                              if n != 1 or axis is not None and i not in axis)),
       doc="drop axes of size 1 (all of them, or those given)", batch=batching.squeezed, family="shape",
       examples=(case((2, 1, 3)), case((2, 1, 3), axis=(1,))),
       explain=("1: the elements only move", "g reshaped back")),
    Op("unsqueeze", "x, axis:newaxis", forward=_unsqueeze,
       reference=lambda x, axis: reference.elements(x, x.shape[:axis] + (1,) + x.shape[axis:]),
       grads=(_back_to_shape,), doc="insert an axis of size 1", family="shape",
       examples=(case((2, 3), axis=1), case((3,), axis=0)),
       explain=("1: the elements only move", "g reshaped back")),
    Op("permute", "x, *dims:dims", forward=lambda bk, x, dims: x.transpose(dims),
       reference=lambda x, dims: reference.permuted(x, list(dims)),
       grads=(lambda g, y, x, dims: F.permute(g, dims=tuple(sorted(range(x.ndim), key=dims.__getitem__))),),
       doc="the axes in a new order: permute(x, 2, 0, 1) (PyTorch's permute, NumPy's transpose)", family="shape",
       explain=("1, with the axes moved back", "g permuted back"),
       examples=(case((2, 3, 4), dims=(2, 0, 1)), case((2, 3), dims=(1, 0)))),
    Op("concat", "xs:tensors, axis:axis1=0", forward=_concat, grads=_concat_piece,
       reference=lambda *xs, axis: reference.joined(xs, axis, new=False),
       doc="join arrays along an existing axis: concat([a, b], axis)", family="shape",
       examples=(case((2, 3), (1, 3), axis=0), case((2, 3), (2, 2), axis=1)),
       explain=("1 on this argument's block", "this argument's block of g")),
    Op("stack", "xs:tensors, axis:newaxis=0", forward=_stack, grads=_stack_piece,
       reference=lambda *xs, axis: reference.joined(xs, axis, new=True),
       doc="join same-shaped arrays along a new axis: stack([a, b], axis)", family="shape",
       examples=(case((3,), (3,), axis=0), case((3,), (3,), axis=1)),
       explain=("1 on this argument's slice", "this argument's slice of g")),
    # internal: what rules and the evaluator use
    Op("getitem", "x, key:key", forward=lambda bk, x, key: x[key],
       reference=reference.index,
       grads=(lambda g, y, x, key: F.scatter(g, key=key, shape=x.shape),),
       doc="x[key], NumPy basic indexing", batch=batching.indexed, family="shape", builtin=False,
       examples=(case((4,), key=(slice(1, 3),)), case((3, 4), key=(slice(None), 0)),
                 case((3, 4), key=(1, slice(None, None, 2)))),
       form=("{x:8}[{key}]", 8),
       explain=("1 at [{key}], 0 elsewhere", "g placed at [{key}], zeros elsewhere")),
    Op("scatter", "g, key:key, shape:shape", forward=_scatter,
       reference=reference.scatter,
       grads=(lambda g, y, x, key, shape: F.getitem(g, key=key),),
       doc="zeros of shape with g added at key (the gradient of indexing)", batch=batching.indexed, family="shape", builtin=False,
       examples=(case((2,), key=(slice(1, 3),), shape=(4,)), case((3,), key=((0, 2, 0),), shape=(3,))),
       explain=("1 at [{key}]", "g[{key}]")),
    Op("broadcast_to", "x, shape:sizes", forward=_broadcast_to,
       reference=reference.broadcast,
       grads=(lambda g, y, x, shape: F.sum_to(g, shape=x.shape),),
       doc="x repeated to shape, as broadcasting does", batch=batching.broadcast, family="shape",
       examples=(case((3,), shape=(2, 3)), case((2, 1), shape=(2, 3)), case((2, 1), shape=(3, -1, 4))),
       explain=("1 for every copy", "g summed over the copies")),
    Op("sum_to", "x, shape:shape", forward=_sum_to, grads=(lambda g, y, x, shape: F.broadcast_to(g, shape=x.shape),),
       reference=reference.sum_to,
       doc="sum x down to shape (the gradient of broadcasting)", batch=batching.summed_to, family="shape", builtin=False,
       examples=(case((2, 3), shape=(3,)), case((2, 3), shape=(2, 1))),
       explain=("1 for every element summed into it", "g copied back")),
]

SYNONYMS = {"cat": "concat", "concatenate": "concat"}
