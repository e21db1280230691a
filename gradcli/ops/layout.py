"""Arrangements of an array's elements in PyTorch's spellings: flips, rolls,
triangles, repeats, splits and padding. Each moves or copies elements, so
each gradient moves or sums them back: t, flip and movedim by rules that
undo their move on g, triu and tril by keeping g's same triangle; the others
are made of the table's indexing, joining and broadcasting, whose rules
(scatter, slicing, sum_to) give their gradients to every order. Their
whole-number arguments (shifts, sections, pad widths) are read here, as
numbers, tuples or lists.

Long: fifteen builtins of a few lines each, and beside them the batch rules
of those whose arguments mean something else on a batch (pad's widths, the
axes of roll, flip and movedim when absent)."""
from __future__ import annotations

import math
from itertools import accumulate

from gradcli.autograd.tensor import Tensor
from gradcli.errors import ArgumentError, ShapeError
from gradcli.ops import batching
from gradcli.ops import layout_reference as ref
from gradcli.ops.binding import whole
from gradcli.ops.core import F, Op, Results, case
from gradcli.ops.linalg import reversed_axes

BATCH = "axes"          # how its rows run on a batch (ops/batching.py); some have their own
SYNONYMS = {"view": "reshape", "moveaxis": "movedim", "swapaxes": "transpose", "swapdims": "transpose"}
# Spelled only as methods: x.t() (a name t stays free for inputs, as the contract wants of builtins)
METHODS = {"t": "t"}


def _ints(value, what: str) -> tuple[tuple[int, ...], bool]:
    """A whole number or a sequence of them (a tuple, or a list written as an
    array), and whether it was a sequence: split(x, 2) is not split(x, [2])."""
    if isinstance(value, Tensor) and value.ndim == 1:
        value = tuple(value.numpy().tolist())
    if isinstance(value, tuple):
        return tuple(whole(v, what) for v in value), True
    return (whole(value, what),), False


def _along(axis: int, item) -> tuple:
    """An index that applies item to one axis and keeps the others whole."""
    return (slice(None),) * axis + (item,)


def _has_axes(name: str, x) -> None:
    if x.ndim == 0:
        raise ShapeError(f"{name}: needs an array with at least one axis, got a number")


def _t(bk, x):
    if x.ndim > 2:
        raise ShapeError(f"t: needs a matrix, a vector or a number, got shape {tuple(x.shape)}",
                         hint="transpose(x, dim0, dim1) swaps two axes of any array")
    return bk.xp.transpose(x)


def _t_batch(b, op, inputs, params, run):
    """A matrix, a vector or a number: its axes reversed (none move in the last two)."""
    (x,) = inputs
    if b.ndim(x) > 2:
        return batching.loop(b, op, inputs, params, run)       # to fail as an item does
    return reversed_axes(b, x)


def _axes_given(b, op, inputs, params, run):
    """The axes rule where the op's axes are given (as many of each): without
    them roll rolls the flattened array and flip and movedim fail, and the
    batch axis would count as one of them, so then items run one by one."""
    given = [params[p.name] for p in op.params if p.kind == "axis"]
    if not all(given) or len({len(axes) for axes in given}) > 1:
        return batching.loop(b, op, inputs, params, run)
    return batching.axes(b, op, inputs, params, run)


def _flip(bk, x, dims):
    if dims is None and x.ndim:
        raise ArgumentError("flip: dims names the axes to reverse: flip(x, 0) or flip(x, (0, 1))")
    return bk.xp.flip(x, axis=dims) if x.ndim else bk.xp.copy(x)


def _roll(x, shifts, dims):
    """Each shift moves the elements along its axis, those pushed off one end
    coming back at the other; without dims (None or ()) the array rolls as
    one vector."""
    shifts, _ = _ints(shifts, "roll()'s shifts")
    if not dims:
        if len(shifts) != 1:
            raise ArgumentError(f"roll: without dims, shifts is one number (the array rolls as a vector), not {shifts}")
        return F.reshape(_rolled(F.flatten(x), shifts[0], 0), shape=x.shape)
    if len(shifts) != len(dims):
        raise ArgumentError(f"roll: {len(shifts)} shifts {shifts} for {len(dims)} dims {dims}: give one shift an axis")
    for shift, axis in zip(shifts, dims):
        x = _rolled(x, shift, axis)
    return x


def _rolled(x, shift, axis):
    n = x.shape[axis]
    cut = n - shift % n if n else 0
    parts = [part for part in (slice(cut, n), slice(0, cut)) if part.stop > part.start] or [slice(None)]
    pieces = [F.getitem(x, key=_along(axis, part)) for part in parts]
    return F.concat(*pieces, axis=axis) if len(pieces) > 1 else pieces[0]


def _triangle(name, upper):
    """triu or tril: the elements on and above (below) a diagonal, zeros elsewhere."""
    side = "above" if upper else "below"

    def forward(bk, x, diagonal):
        if x.ndim < 2:
            raise ShapeError(f"{name}: needs a matrix (or a stack of them), got shape {tuple(x.shape)}")
        return (bk.xp.triu if upper else bk.xp.tril)(x, k=diagonal)

    return Op(name, "x, diagonal:int=0", forward=forward, reference=ref.triangle(upper), batch="stacked",
              grads=(lambda g, y, x, diagonal: getattr(F, name)(g, diagonal=diagonal),),
              doc=f"the elements on and {side} a diagonal (1: the next {'up' if upper else 'down'}), zeros elsewhere",
              family="shape",
              examples=(case((3, 3)), case((3, 4), diagonal=1), case((2, 3, 3), diagonal=-1)),
              explain=lambda diagonal: (f"1 on and {side} diagonal {diagonal}, 0 elsewhere", f"{name}(g, {diagonal})"))


def _expand(x, sizes):
    lead = len(sizes) - x.ndim
    if lead < 0:
        raise ShapeError(f"expand: {len(sizes)} sizes {sizes} for an array of shape {x.shape}: give one an axis")
    if -1 in sizes[:lead]:
        raise ShapeError(f"expand: -1 keeps a size of x, but {sizes} puts one before the axes of shape {x.shape}")
    for axis, (n, want) in enumerate(zip(x.shape, sizes[lead:])):
        if want not in (-1, n) and n != 1:
            raise ShapeError(f"expand: axis {axis} of shape {x.shape} has size {n}, which cannot become {want}",
                             hint="only an axis of size 1 expands; repeat(x, ...) copies whole arrays")
    return F.broadcast_to(x, shape=sizes)


def _tiled(x, reps):
    """x laid reps[i] times along axis i (NumPy's tile): each axis of size n
    becomes (reps, n) by broadcasting, and the pairs are then merged."""
    x = F.reshape(x, shape=(1,) * (len(reps) - x.ndim) + x.shape)
    pairs = tuple(zip(reps, x.shape))
    spread = F.reshape(x, shape=tuple(v for _, n in pairs for v in (1, n)))
    copies = F.broadcast_to(spread, shape=tuple(v for pair in pairs for v in pair))
    return F.reshape(copies, shape=tuple(r * n for r, n in pairs))


def _repeat(x, sizes):
    if len(sizes) < x.ndim:
        raise ShapeError(f"repeat: {len(sizes)} sizes {sizes} for an array of shape {x.shape}: give one an axis",
                         hint="tile(x, dims) takes fewer, repeating the last axes")
    return _tiled(x, sizes)


def _repeat_interleave(x, repeats, axis):
    counts, _ = _ints(repeats, "repeat_interleave()'s repeats")
    if axis is None or x.ndim == 0:
        x, axis = F.flatten(x), 0
    n = x.shape[axis]
    if len(counts) not in (1, n) or min(counts, default=0) < 0:
        raise ShapeError(f"repeat_interleave: repeats {counts} for axis {axis} of shape {x.shape}: "
                         f"give one count, or one for each of its {n} elements, none negative")
    counts = counts * n if len(counts) == 1 else counts
    return F.getitem(x, key=_along(axis, tuple(i for i, c in enumerate(counts) for _ in range(c))))


def _pieces(x, sizes, axis):
    return Results(*(F.getitem(x, key=_along(axis, slice(start, start + n)))
                     for start, n in zip(accumulate((0,) + sizes), sizes)))


def _split(x, split_size_or_sections, axis):
    _has_axes("split", x)
    sizes, listed = _ints(split_size_or_sections, "split()'s split_size_or_sections")
    n = x.shape[axis]
    if listed and (sum(sizes) != n or min(sizes, default=0) < 0):
        raise ShapeError(f"split: sections {sizes} must add up to the {n} elements of axis {axis} "
                         f"(shape {x.shape}), none negative")
    if not listed:
        if sizes[0] <= 0:
            raise ArgumentError(f"split: split_size must be positive, not {sizes[0]}",
                                hint="a list gives each piece's size: split(x, [2, 1])")
        sizes = (sizes[0],) * (n // sizes[0]) + ((n % sizes[0],) if n % sizes[0] else ())
    return _pieces(x, sizes, axis)


def _chunk(x, chunks, axis):
    _has_axes("chunk", x)
    if chunks <= 0:
        raise ArgumentError(f"chunk: chunks must be positive, not {chunks}")
    return _split(x, max(-(-x.shape[axis] // chunks), 1), axis)


def _pad(x, pad, mode, value):
    widths, _ = _ints(pad, "pad()'s pad")
    if len(widths) % 2 or len(widths) > 2 * x.ndim:
        raise ArgumentError(f"pad: pad lists (left, right) pairs from the last axis back, so an even count up to "
                            f"{2 * x.ndim} for shape {x.shape}, not {len(widths)}: {widths}")
    if mode != "constant" and value != 0:
        raise ArgumentError(f"pad: value is for mode 'constant'; mode {mode!r} takes its values from x")
    for k in range(len(widths) // 2):
        x = _pad_axis(x, x.ndim - 1 - k, widths[2 * k], widths[2 * k + 1], mode, value)
    return x if widths else F.reshape(x, shape=x.shape)


def _pad_batch(b, op, inputs, params, run):
    """pad on the batch: its widths name an item's axes from the last back, so
    the batch axis is never padded; more widths than an item has axes for
    run item by item, to fail as they would."""
    (x,) = inputs
    widths, _ = _ints(params["pad"], "pad()'s pad")
    if len(widths) > 2 * b.ndim(x):
        return batching.loop(b, op, inputs, params, run)
    return run(op, inputs, params)


def _pad_axis(x, axis, left, right, mode, value):
    """One axis padded. Negative widths crop, as in PyTorch: what reflect and
    replicate padding made, but x before constant and circular padding."""
    n = x.shape[axis]
    if mode in ("reflect", "replicate"):
        if max(left, right) > (n - 1 if mode == "reflect" else math.inf) or n + left + right < 1:
            raise ShapeError(f"pad: mode {mode!r} cannot pad axis {axis} of size {n} (shape {x.shape}) by "
                             f"({left}, {right})" + (f": at most {n - 1} a side" if mode == "reflect" else ""))
        return F.getitem(x, key=_along(axis, tuple(_held(i, n, mode) for i in range(-left, n + right))))
    if max(-left, 0) + max(-right, 0) > n:
        raise ShapeError(f"pad: widths ({left}, {right}) crop more than the {n} elements of axis {axis} "
                         f"(shape {x.shape})")
    x = F.getitem(x, key=_along(axis, slice(max(-left, 0), n - max(-right, 0))))
    n, left, right = x.shape[axis], max(left, 0), max(right, 0)
    if mode == "constant":
        side = [F.full(shape=x.shape[:axis] + (w,) + x.shape[axis + 1:], value=value, bk=x.bk) for w in (left, right)]
        parts = [p for p, w in zip((side[0], x, side[1]), (left, 1, right)) if w]
        return F.concat(*parts, axis=axis) if len(parts) > 1 else x
    if max(left, right) > n:
        raise ShapeError(f"pad: mode 'circular' pads axis {axis} of size {n} (shape {x.shape}) by at most {n} "
                         f"a side, not ({left}, {right})")
    return F.getitem(x, key=_along(axis, tuple(i % n for i in range(-left, n + right))))


def _held(i, n, mode):
    """Where position i of a line of n comes from when padding reflects the
    line at its ends (without repeating them) or repeats its end elements."""
    if mode == "replicate":
        return min(max(i, 0), n - 1)
    return -i if i < 0 else 2 * (n - 1) - i if i >= n else i


def _diag_embed(x, offset, dim1, dim2):
    """x's last axis laid on a diagonal of two new axes: placed into the last
    two axes of zeros (indexing's gradient, scatter), then moved."""
    _has_axes("diag_embed", x)
    if dim1 == dim2:
        raise ArgumentError(f"diag_embed: dim1 and dim2 are both axis {dim1} of the result: give two axes")
    n, top, left = x.shape[-1], max(-offset, 0), max(offset, 0)
    rows, cols = tuple(range(top, top + n)), tuple(range(left, left + n))
    square = F.scatter(x, key=_along(x.ndim - 1, rows) + (cols,), shape=x.shape[:-1] + (n + abs(offset),) * 2)
    return F.movedim(square, source=(x.ndim - 1, x.ndim), destination=(dim1, dim2))


def _movedim(bk, x, source, destination):
    if x.ndim == 0:
        return bk.xp.copy(x)
    if source is None or destination is None or len(source) != len(destination):
        raise ArgumentError(f"movedim: source {source} and destination {destination} must name as many axes",
                            hint="movedim(x, 0, 2) or movedim(x, (0, 1), (2, 0))")
    return bk.xp.moveaxis(x, source, destination)


def _narrow(x, axis, start, length):
    _has_axes("narrow", x)
    n = x.shape[axis]
    begin = start + n if start < 0 else start
    if not 0 <= begin <= n:
        raise ShapeError(f"narrow: start {start} is out of range for axis {axis} of shape {x.shape} "
                         f"(valid: {-n} to {n})")
    if length < 0 or begin + length > n:
        raise ShapeError(f"narrow: {length} elements from {start} do not fit in axis {axis} of shape {x.shape}")
    return F.getitem(x, key=_along(axis, slice(begin, begin + length)))


OPS = [
    Op("t", "x", forward=_t, grads=(lambda g, y, x: F.t(g),), reference=ref.t, builtin=False, batch=_t_batch,
       doc="a matrix's transpose (a vector or a number as it is)", family="shape",
       examples=(case((2, 3)), case((3,)), case(())), form=("{x:8}ᵀ", 8),
       explain=("1, with the axes swapped back", "gᵀ")),
    Op("flip", "x, dims:axis", forward=_flip, grads=(lambda g, y, x, dims: F.flip(g, dims=dims),), batch=_axes_given,
       reference=ref.flip, doc="the elements in reverse order along the axes given: flip(x, 0)",
       family="shape", examples=(case((2, 3), dims=(0,)), case((2, 3, 4), dims=(0, 2)), case((), dims=None)),
       explain=("1: the elements only move", "g flipped back")),
    Op("roll", "x, shifts:key, dims:axis=None", impl=_roll, reference=ref.roll, batch=_axes_given,
       doc="the elements rotated along axes (the flattened array without): roll(x, 1, 0)",
       family="shape", examples=(case((5,), shifts=2), case((2, 3), shifts=-4, dims=()),
                                 case((2, 3), shifts=(1, -4), dims=(0, 1)), case((2, 3), shifts=(3,), dims=(1,)))),
    _triangle("triu", upper=True),
    _triangle("tril", upper=False),
    Op("expand", "x, *sizes:sizes", impl=_expand, reference=ref.expand, batch="traced",
       doc="axes of size 1 repeated to sizes (-1 keeps one): expand(x, 3, -1)", family="shape",
       examples=(case((3, 1), sizes=(2, 3, 4)), case((3,), sizes=(2, -1)))),
    Op("repeat", "x, *sizes:shape", impl=_repeat, reference=ref.repeat, batch="traced",
       doc="x tiled sizes[i] times along each axis (NumPy's tile): repeat(x, 2, 1)",
       family="shape", examples=(case((2, 3), sizes=(2, 1)), case((3,), sizes=(2, 1, 2)))),
    Op("tile", "x, dims:shape", impl=lambda x, dims: _tiled(x, (1,) * (x.ndim - len(dims)) + dims), batch="traced",
       reference=ref.tile, doc="x tiled dims[i] times along its last len(dims) axes: tile(x, (2,))",
       family="shape", examples=(case((2, 3), dims=(2,)), case((2,), dims=(2, 3)))),
    Op("repeat_interleave", "x, repeats:key, axis:axis1=None", impl=_repeat_interleave,
       reference=ref.repeat_interleave,
       doc="each element repeated in place, or each its own count: [1, 1, 2, 2]",
       family="shape", examples=(case((2, 3), repeats=2), case((2, 3), repeats=(1, 0, 2), axis=1))),
    Op("split", "x, split_size_or_sections:key, axis:axis1=0", impl=_split, reference=ref.split,
       doc="pieces of a size, or of the sizes listed, along an axis: split(x, 2)[1]",
       family="shape", examples=(case((5, 3), split_size_or_sections=2),
                                 case((2, 5), split_size_or_sections=(1, 0, 4), axis=1))),
    Op("chunk", "x, chunks:int, axis:axis1=0", impl=_chunk, reference=ref.chunk,
       doc="at most chunks pieces of equal size along an axis: chunk(x, 3)[0]", family="shape",
       examples=(case((5,), chunks=3), case((2, 4), chunks=2, axis=1), case((6,), chunks=4))),
    Op("pad", "x, pad:key, mode:str(constant|reflect|replicate|circular)=constant, value:float=0", impl=_pad,
       batch=_pad_batch,
       reference=ref.pad, doc="widened by (left, right) pairs from the last axis back: pad(x, (1, 1))",
       family="shape", examples=(case((3,), pad=(1, 2)), case((2, 3), pad=(1, 0, 2, 1), value=0.5),
                                 case((2, 3), pad=(-1, 2)), case((2, 4), pad=(-1, 2, 1, 1), mode="reflect"),
                                 case((2, 3), pad=(3, -2), mode="replicate"),
                                 case((2, 3), pad=(1, 3, -1, 1), mode="circular"))),
    Op("diag_embed", "x, offset:int=0, dim1:newaxis=-2, dim2:newaxis=-1", impl=_diag_embed,
       reference=ref.diag_embed, family="shape",
       doc="matrices with x's last axis on a diagonal (offset: above the main one)",
       examples=(case((2, 3)), case((3,), offset=1), case((2, 3), offset=1, dim1=0, dim2=2),
                 case((2, 3), offset=-2, dim1=2, dim2=1))),
    Op("movedim", "x, source:axis, destination:axis", forward=_movedim, reference=ref.movedim, batch=_axes_given,
       grads=(lambda g, y, x, source, destination: F.movedim(g, source=destination, destination=source),),
       doc="axes moved to new places, the others in order: movedim(x, 0, -1)", family="shape",
       examples=(case((2, 3, 4), source=(0,), destination=(2,)), case((2, 3, 4), source=(0, 1), destination=(2, 0))),
       explain=("1: the elements only move", "g with the axes moved back")),
    Op("narrow", "x, axis:axis1, start:int, length:int", impl=_narrow, reference=ref.narrow,
       doc="length elements from start along an axis: narrow(x, 0, 1, 2) is x[1:3]", family="shape",
       examples=(case((4, 3), axis=0, start=1, length=2), case((2, 5), axis=1, start=-3, length=2))),
]
