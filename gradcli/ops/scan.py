"""Scans along an axis (cumsum, cumprod, logcumsumexp, cummax, cummin) and
order statistics (sort, topk, kthvalue, median, quantile, argmax, argmin),
in PyTorch's spellings. An order is found by a stable argsort, which is data;
the values it picks are take_along's (select.py), so one scatter-add rule
gives every gradient, and a tie's gradient goes to the element the stable
order puts first, as torch.sort(stable=True) does. Index results are whole
numbers in the run's float dtype, usable as indices: x[argmax(x)]."""
from __future__ import annotations

from gradcli.errors import ComputeError, ShapeError
from gradcli.ops import scan_reference as refs
from gradcli.ops.core import F, Op, Results, at, case
from gradcli.ops.doubling import cut, decayed_sum, doubling
from gradcli.ops.reduce import extreme_grad, shaped

INF, NAN = float("inf"), float("nan")
_EVEN = shaped(extreme_grad)       # PyTorch's evenly_distribute_backward, as max's


def _on_line(forward):
    """forward(bk, x, axis, ...) written for an x of at least one axis: a 0-d
    x runs as one element along axis 0, and its result comes back 0-d."""
    def run(bk, x, axis, **params):
        if x.ndim:
            return forward(bk, x, axis, **params)
        return bk.xp.reshape(forward(bk, bk.xp.reshape(x, (1,)), axis, **params), ())
    return run


def _cumsum_grad(g, y, x, axis):
    # PyTorch's: g summed from the end (flipped, cumsum, flipped back)
    return F.cumsum(g[cut(axis, None, None, -1)], axis=axis)[cut(axis, None, None, -1)]


def _cumprod_grad(g, y, x, axis):
    # dy_k/dx_j = (x_0···x_(j-1))·(x_(j+1)···x_k) for k ≥ j: the product before j times S_j = g_j +
    # x_(j+1)·S_(j+1). No division (PyTorch's cumprod_backward divides where no element is 0), so the
    # gradient is exact with any number of zeros, and so is every higher order.
    n = x.shape[axis]
    before = F.concat(F.ones_like(x[cut(axis, 0, 1)]), F.cumprod(x[cut(axis, 0, n - 1)], axis=axis), axis=axis)
    return before * decayed_sum(g, x[cut(axis, 1, n)], axis)


@_on_line
def _logcumsumexp(bk, x, axis):
    return doubling([x], axis, lambda e, l: [bk.xp.logaddexp(e[0], l[0])],
                    lambda ps, ax: bk.xp.concatenate(ps, axis=ax))[0]


def _logcumsumexp_grad(g, y, x, axis):
    # sum over k ≥ j of g_k·exp(x_j - y_k) = exp(x_j - y_j)·S_j, S_j = g_j + exp(y_j - y_(j+1))·S_(j+1):
    # y never decreases along axis, so no exponent is positive and nothing overflows.
    n = x.shape[axis]
    return F.exp(x - y) * decayed_sum(g, F.exp(y[cut(axis, 0, n - 1)] - y[cut(axis, 1, n)]), axis)


@_on_line
def _argsort(bk, x, axis, descending, stable):
    xp = bk.xp
    if not descending:
        return xp.argsort(x, axis=axis, kind="stable")
    # as torch.sort(descending=True, stable=True): ties in their order, nans first. The stable ascending
    # order of x reversed along axis, read from its end, counts from the end of x.
    n = x.shape[axis]
    return (n - 1) - xp.flip(xp.argsort(xp.flip(x, axis=axis), axis=axis, kind="stable"), axis=axis)


def _arg(name):
    def forward(bk, x, axis, keepdims):
        fn = getattr(bk.xp, name)           # the first of equal extremes, and the first nan, as PyTorch
        if axis is None or not x.ndim:
            return bk.xp.reshape(fn(bk.xp.reshape(x, (-1,))), (1,) * x.ndim if keepdims else ())
        return fn(x, axis=axis, keepdims=keepdims)
    return forward


def _argcum(largest):
    @_on_line
    def forward(bk, x, axis):
        xp = bk.xp
        line = tuple(x.shape[axis] if d == axis else 1 for d in range(x.ndim))
        places = xp.broadcast_to(xp.reshape(xp.arange(x.shape[axis], dtype=x.dtype), line), x.shape)

        def later_wins(earlier, later):
            # PyTorch's cummax and cummin: a later element takes over when it is as large (as small),
            # so ties go to the last, or when it is nan; a nan stays until the next nan
            (a, i), (b, j) = earlier, later
            beats = b >= a if largest else b <= a
            take = xp.logical_or(xp.isnan(b), xp.logical_and(xp.logical_not(xp.isnan(a)), beats))
            return [xp.where(take, b, a), xp.where(take, j, i)]
        return doubling([x, places], axis, later_wins, lambda ps, ax: xp.concatenate(ps, axis=ax))[1]
    return forward


def _median_all(bk, x, keepdims):
    xp = bk.xp
    flat = xp.sort(xp.reshape(x, (-1,)))    # nans last
    n = flat.shape[0]
    m = xp.where(xp.isnan(flat[n - 1]), flat[n - 1], flat[(n - 1) // 2]) if n else xp.asarray(NAN, dtype=x.dtype)
    return xp.reshape(m, (1,) * x.ndim if keepdims else ())


def _results_on_line(impl):
    """impl for an x of at least one axis: a 0-d x is run as a line of one
    element, and its results are given back 0-d, as PyTorch gives them."""
    def run(x, *rest, **params):
        if x.ndim:
            return impl(x, *rest, **params)
        out = impl(F.reshape(x, shape=(1,)), *rest, **params)
        return Results(**{name: F.reshape(t, shape=()) for name, t in zip(out.names, out)})
    return run


def _picked(x, places, axis, keepdims=True):
    """The elements of x at places along axis, and the places, as Results."""
    values = F.take_along(x, places, axis=axis)
    if not keepdims:
        values, places = F.squeeze(values, axis=(axis,)), F.squeeze(places, axis=(axis,))
    return Results(values=values, indices=places)


def _sort(x, axis, descending, stable):
    return _picked(x, F.argsort(x, axis=axis, descending=descending), axis)


def _checked_k(name, x, k, axis, low):
    if not low <= k <= x.shape[axis]:
        raise ShapeError(f"{name}: k must be from {low} to {x.shape[axis]} (the size of axis {axis}), not {k}")
    return k


@_results_on_line
def _topk(x, k, axis, largest, sorted):
    k = _checked_k("topk", x, k, axis, 0)
    return _picked(x, F.argsort(x, axis=axis, descending=largest)[cut(axis, 0, k)], axis)


@_results_on_line
def _kthvalue(x, k, axis, keepdims):
    k = _checked_k("kthvalue", x, k, axis, 1)
    return _picked(x, F.argsort(x, axis=axis)[cut(axis, k - 1, k)], axis, keepdims)


def _nans(x, axis):
    """How many nans each line along axis has (kept as an axis of 1)."""
    return F.sum(F.ne(x, x), axis=(axis,), keepdims=True)


@_results_on_line
def _median_along(x, axis, keepdims):
    n = x.shape[axis]
    if not n:
        raise ShapeError(f"median: axis {axis} has no elements")
    nans = _nans(x, axis)
    # the lower median's place in the stable order, or the first nan's (nans sort last), as torch.median
    place = F.where(F.gt(nans, 0), n - nans, (n - 1) // 2)
    return _picked(x, F.take_along(F.argsort(x, axis=axis), place, axis=axis), axis, keepdims)


def _quantile(x, q, axis, keepdims, interpolation):
    bk = x.bk
    if q.ndim > 1:
        raise ShapeError(f"quantile: q must be a number or a vector, not an array of shape {q.shape}")
    if bk.any(bk.xp.logical_not(bk.xp.logical_and(q.data >= 0, q.data <= 1))):
        raise ComputeError("quantile: q must lie in [0, 1]")
    line, a = (F.reshape(x, shape=(-1,)), 0) if axis is None or not x.ndim else (x, axis)
    n = line.shape[a]
    if not n:
        raise ShapeError("quantile: x has no elements")
    values = F.take_along(line, F.argsort(line, axis=a), axis=a)
    # PyTorch's ranks: q·(n - 1) along axis, or the last place (a nan's) in a line that has a nan
    qs = F.reshape(F.tensor(q), shape=(1,) * a + (-1,) + (1,) * (line.ndim - a - 1))  # q's values (data) along axis
    rank = F.where(F.gt(_nans(line, a), 0), n - 1, qs * (n - 1))
    rank = {"lower": F.floor, "higher": F.ceil, "nearest": F.round}.get(interpolation, lambda r: r)(rank)
    out = F.take_along(values, F.floor(rank), axis=a)
    if interpolation in ("linear", "midpoint"):
        above = F.take_along(values, F.ceil(rank), axis=a)
        w = rank - F.floor(rank) if interpolation == "linear" else F.zeros_like(rank) + 0.5
        out = F.where(F.lt(w, 0.5), out + w * (above - out), above - (above - out) * (1 - w))    # torch.lerp's
    if q.ndim and a:                        # q's axis first, as PyTorch
        out = F.permute(out, dims=(a,) + tuple(d for d in range(out.ndim) if d != a))
    kept = tuple(1 if axis is None or d == axis else s for d, s in enumerate(x.shape))
    return F.reshape(out, shape=q.shape + (kept if keepdims else tuple(s for d, s in enumerate(x.shape)
                                                                        if axis is not None and d != axis)))


AXIS1 = (case((4,), axis=0), case((2, 3), axis=1), case((2, 3), axis=0), case((), axis=0))
ARG = (case((4,)), case((2, 3), axis=1), case((2, 3), axis=0, keepdims=True), case((2, 3), keepdims=True),
       case((), axis=0))
SORTS = (case((4,)), case((2, 3), axis=0, descending=True), case((2, 3), axis=1), case((), descending=True))


def scan(name, grad, doc, explain, singular, forward=None):
    """A running function along axis: the forward is NumPy's of the name
    unless given; grad(g, y, x, axis) for x of at least one axis (a 0-d x's
    gradient is g)."""
    forward = forward or _on_line(lambda bk, x, axis: getattr(bk.xp, name)(x, axis=axis))
    return Op(name, "x, axis:axis1", forward=forward, doc=doc, family="scan", examples=AXIS1, singular=singular,
              grads=(lambda g, y, x, axis: grad(g, y, x, axis) if x.ndim else g,), explain=explain,
              reference=getattr(refs, name))


def _running(name, largest, singular):
    """cummax or cummin, and the internal op that finds where its running extreme is."""
    which = "largest" if largest else "smallest"
    return (Op(name, "x, axis:axis1", impl=lambda x, axis: _picked(x, getattr(F, "arg" + name)(x, axis=axis), axis),
               doc=f"running {which} along axis and where it is (of ties, the last); the gradient goes there",
               family="scan", examples=AXIS1, singular=singular, reference=refs.running_extreme(largest)),
            Op("arg" + name, "x:mask, axis:axis1", forward=_argcum(largest), family="scan", builtin=False,
               doc=f"where {name}'s running {which} is", examples=AXIS1, reference=refs.running_extreme(largest, 1)))


def _statistic(name, sig, impl, doc, examples, singular=(), batch=None):
    return Op(name, sig, impl=impl, doc=doc, family="scan", examples=examples, singular=singular,
              reference=getattr(refs, name), batch=batch)


def _index_of(name, which, pick):
    return Op(name, "x:mask, axis:axis1=None, keepdims:bool=False", forward=_arg(name), family="scan",
              doc=f"index of the {which} element (in the flattened x with no axis): the first of ties, or the "
                  "first nan", examples=ARG, reference=refs.extreme_index(pick))


BATCH = "axes"          # how its rows run on a batch (ops/batching.py)

OPS = [
    scan("cumsum", _cumsum_grad, "running sums along axis (PyTorch requires the axis)",
         ("1 for every running sum from here on", "g summed from the end"), (at([1.0, 2.0, 3.0], axis=0),)),
    scan("cumprod", _cumprod_grad, "running products along axis; exact gradients at zeros too",
         ("the running product without {x:p}", "later g times the products without {x:p}, summed"),
         (at([2.0, 0.0, 3.0, 0.0, 4.0], axis=0), at([0.0, 0.0], axis=0), at([3.0, 0.0, 2.0, 5.0], axis=0),
          at([[1.0, 0.0, 2.0], [0.0, 3.0, 0.0]], axis=1), at([[2.0, -1.0], [0.5, 0.0]], axis=0))),
    scan("logcumsumexp", _logcumsumexp_grad,
         "log of the running sums of exp(x) along axis, without overflow",
         ("exp({x:p} - y_k) for every running y_k from here on", "later g_k·exp({x:p} - y_k), summed"),
         # at an infinity the gradient is nan in places, and the second order spreads it further than PyTorch's
         (at([-INF, -INF], axis=0), at([-INF, 0.0], axis=0, order=1), at([0.0, -INF], axis=0),
          at([1000.0, 0.0, 1000.0], axis=0), at([-1000.0, 0.0], axis=0), at([INF, 0.0], axis=0, order=1),
          at([0.0, INF], axis=0, order=1)), _logcumsumexp),
    *_running("cummax", True, (at([1.0, 3.0, 3.0, 2.0, 3.0], axis=0), at([NAN, 1.0, NAN, 2.0], axis=0))),
    *_running("cummin", False, (at([3.0, 1.0, 1.0, 2.0, 1.0], axis=0), at([1.0, NAN, 0.0], axis=0))),
    _index_of("argmax", "largest", max),
    _index_of("argmin", "smallest", min),
    Op("argsort", "x:mask, axis:axis1=-1, descending:bool=False, stable:bool=False", forward=_argsort,
       family="scan", doc="the indices that sort x along axis; always stable, nans last (first descending)",
       examples=SORTS, reference=refs.argsort),
    _statistic("sort", "x, axis:axis1=-1, descending:bool=False, stable:bool=False", _sort,
               "values and indices of x sorted along axis; always stable, as torch.sort(stable=True)", SORTS,
               (at([2.0, 1.0, 2.0, 1.0, 2.0]), at([[1.0, 1.0, 0.0], [3.0, 3.0, 3.0]], descending=True),
                at([NAN, 1.0, NAN, -INF]), at([1.0, NAN, 2.0, NAN], descending=True))),
    _statistic("msort", "x", lambda x: _sort(x, 0, False, True)[0], "x sorted along its first axis",
               (case((3, 2)), case((4,)))),
    _statistic("topk", "x, k:int, axis:axis1=-1, largest:bool=True, sorted:bool=True", _topk,
               "the k largest (smallest) values along axis, sorted, and their indices; of ties, the first",
               (case((5,), k=3), case((2, 4), k=2, axis=0), case((3, 4), k=2, axis=1, largest=False), case((), k=1)),
               (at([1.0, 3.0, 2.0, 3.0], k=2), at([[2.0, 2.0, 1.0], [0.0, 5.0, 0.0]], k=3, largest=False),
                at([1.0, NAN, 2.0], k=2), at([1.0, NAN, 2.0], k=2, largest=False))),
    _statistic("kthvalue", "x, k:int, axis:axis1=-1, keepdims:bool=False", _kthvalue,
               "the k-th smallest value along axis and its index (of ties, the first in the stable order)",
               (case((5,), k=2), case((3, 4), k=3, axis=0, keepdims=True), case((), k=1)),
               (at([3.0, 1.0, 2.0], k=2), at([[1.0, 5.0, 0.0], [2.0, 0.0, 2.0]], k=3))),
    _statistic("median", "x, axis:axis1=None, keepdims:bool=False",
               lambda x, axis, keepdims: (F.median_all(x, keepdims=keepdims) if axis is None
                                          else _median_along(x, axis, keepdims)),
               "the lower median: with no axis a number, equal elements sharing the gradient (as PyTorch's); "
               "along an axis its values and indices",
               (case((5,)), case((4,)), case((2, 3), axis=1), case((3, 4), axis=0, keepdims=True),
                case((2, 3), keepdims=True), case(()), case((), axis=0)),
               (at([1.0, 2.0, 2.0, 3.0, 2.0]), at([1.0, 2.0, 2.0, 3.0, 2.0], axis=0), at([1.0, NAN, 2.0, NAN]),
                at([1.0, NAN, 2.0, NAN], axis=0), at([[0.0, 1.0, 1.0, 0.0], [4.0, 4.0, 4.0, 4.0]], axis=1))),
    _statistic("quantile", "x, q:mask, axis:axis1=None, keepdims:bool=False, "
                           "interpolation:str(linear|lower|higher|midpoint|nearest)=linear", _quantile,
               "the q-th quantiles of x, or along axis (q a number or a vector in [0, 1], data); the gradient "
               "flows to the sorted values it interpolates, as in PyTorch",
               (case((5,), ()), case((2, 3), (2,), axis=1), case((3, 4), (), axis=0, keepdims=True,
                                                                 interpolation="midpoint"),
                case((2, 3), (3,), keepdims=True, interpolation="nearest"), case((), (), axis=0)),
               tuple(at([1.0, 2.0, 3.0, 4.5], [0.3, 0.5, 1 / 3, 0.125, 0.75], interpolation=mode)
                     for mode in ("linear", "lower", "higher", "midpoint", "nearest"))
               + (at([1.0, 1.0, 1.0, 2.0], [0.1, 0.25, 0.5]), at([[3.0, 1.0, NAN], [2.0, 2.0, 0.0]], 0.4, axis=1),
                  at([[1.0, 2.0], [4.0, 3.0]], [0.2, 0.9], axis=0, keepdims=True)), batch="loop"),
    # internal
    Op("median_all", "x, keepdims:bool=False", forward=_median_all, family="scan", builtin=False,
       grads=(lambda g, y, x, keepdims: _EVEN(g, y, x, axis=None, keepdims=keepdims),),
       doc="the lower median of all elements (nan if any is)", examples=(case((5,)), case((2, 3), keepdims=True)),
       reference=lambda x, keepdims: refs.median(x, None, keepdims),
       explain=("1 at the median, shared evenly by the elements equal to it", "g to the median element")),
]
