"""Activations (torch.nn.functional's names and defaults): elementwise functions of one array, each rule
PyTorch's backward formula written with F branch for branch (so its one-sided choices at kinks, and second
derivatives, are PyTorch's too); then glu, softmin and prelu, composed of other ops."""
from __future__ import annotations

import math


from gradcli.errors import ArgumentError, ShapeError
from gradcli.ops import reference
from gradcli.ops.core import TABLE, F, Op, at, case
from gradcli.ops.elementwise import SHAPES
from gradcli.ops.reference import elementwise

SQRT_HALF, INV_SQRT_2PI = math.sqrt(0.5), 1 / math.sqrt(2 * math.pi)
TANH_C, CUBIC = math.sqrt(2 / math.pi), 0.044715          # gelu's tanh approximation
SELU = "1.6732632423543772848170429916717", "1.0507009873554804934193349852946"   # alpha, scale
SELU_ALPHA, SELU_SCALE = map(float, SELU)


def activation(name, forward, rule, doc, sig="x", examples=SHAPES, domain="real", *, ref, **row):
    """A row of the family; ref(mp, x, **params), at one mpmath number, is the tests' reference."""
    return Op(name, sig, forward=forward, grads=(rule,), doc=doc, family="activation", domain=domain,
              examples=examples, reference=elementwise(ref), **row)


def kink(x, slope, **params):
    """A kink pinned: the gradient of sum(op(x)) is slope there."""
    return (x,), params, (slope,)


def _gelu(bk, x, approximate):
    if approximate == "tanh":
        return 0.5 * x * (1 + bk.xp.tanh(TANH_C * (x + CUBIC * x * x * x)))
    return x * 0.5 * (1 + bk.special("erf")(x * SQRT_HALF))


def _gelu_grad(g, y, x, approximate):
    # PyTorch's gelu_backward: Φ(x) + x·φ(x), or the tanh form's derivative.
    if approximate == "tanh":
        t = F.tanh(TANH_C * (x + CUBIC * x * x * x))
        return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * TANH_C * (1 + 3 * CUBIC * x * x))
    return g * (0.5 * (1 + F.erf(x * SQRT_HALF)) + x * INV_SQRT_2PI * F.exp(-0.5 * x * x))


def _gelu_explain(approximate):
    tanh = "½·(1 + t) + ½·{x:p}·dt/d{x}, t = tanh(√(2/π)·({x} + 0.044715·{x:p}³))"
    return {"x": tanh if approximate == "tanh" else "Φ({x}) + {x:p}·φ({x})"}


def _silu_grad(g, y, x):
    s = F.sigmoid(x)
    return g * s * (1 + x * (1 - s))


def _mish_grad(g, y, x):
    t = F.tanh(F.softplus(x))
    return g * (t + x * F.sigmoid(x) * (1 - t * t))


def _elu(bk, x, alpha, scale=1.0, input_scale=1.0):
    """PyTorch's elu with its scales (selu and celu are elus): expm1 of x < 0
    only, so that the branch not taken cannot overflow, and ±0 kept as it is."""
    xp = bk.xp
    negative = alpha * scale * xp.expm1(xp.where(x < 0, x, 0) * input_scale)
    return xp.where(x > 0, scale * x, xp.where(x < 0, negative, x))


def _elu_grad(g, x, alpha, scale=1.0, input_scale=1.0):
    # PyTorch's elu_backward takes the exponential side's slope at 0, and its
    # double backward no curvature there: the exponent is a constant 0 at x = 0.
    exponent = F.where(F.ge(x, 0), 0.0, x * input_scale)
    return F.where(F.gt(x, 0), g * scale, g * (alpha * scale * input_scale) * F.exp(exponent))


def _celu_scale(alpha):
    if alpha == 0:
        raise ArgumentError("celu: alpha cannot be 0 (the exponential side is exp(x/alpha))")
    return 1 / alpha


def _clamp(bk, x, lo, hi):
    """x limited to [lo, hi] as PyTorch's kernels write it (-0 stays -0, nan stays nan)."""
    return bk.xp.where(x < lo, lo, bk.xp.where(x > hi, hi, x))


def _hardtanh(bk, x, min_val, max_val):
    if min_val > max_val:
        raise ArgumentError(f"hardtanh: min_val ({min_val:g}) cannot be greater than max_val ({max_val:g})")
    return _clamp(bk, x, min_val, max_val)


def _hardtanh_grad(g, y, x, min_val, max_val):
    # PyTorch's hardtanh_backward: g strictly inside, 0 at the bounds (clamp passes it there).
    return F.where(F.gt(x, min_val) * F.lt(x, max_val), g, 0.0)


def _hardswish_grad(g, y, x):
    # PyTorch's hardswish_backward: x/3 + 1/2 strictly inside (-3, 3), the
    # outer slopes at the bounds (0 at -3, 1 at 3), so no curvature there.
    return F.where(F.ge(x, 3), g, F.where(F.le(x, -3), 0.0, g * (x / 3 + 0.5)))


def _logit(bk, x, eps):
    x = x if eps is None else _clamp(bk, x, eps, 1 - eps)
    return bk.xp.log(x / (1 - x))


def _logit_grad(g, y, x, eps):
    # PyTorch's logit_backward: 1/(x(1 - x)) on [eps, 1 - eps] and 0 outside;
    # with no eps, nan outside [0, 1]. The outside divides by 1, not by 0.
    lo, hi, outside = (0.0, 1.0, math.nan) if eps is None else (eps, 1 - eps, 0.0)
    inside = F.ge(x, lo) * F.le(x, hi)
    return F.where(inside, g / F.where(inside, x * (1 - x), 1.0), outside)


def _softshrink(bk, x, lambd):
    if lambd < 0:
        raise ArgumentError(f"softshrink: lambd must be 0 or more, not {lambd:g}")
    xp = bk.xp                          # x·0 in the middle, as PyTorch: -0 for x ≤ 0
    return xp.where(x > lambd, x - lambd, xp.where(x < -lambd, x + lambd, x * 0))


def _beyond(g, x, lambd):
    # PyTorch's softshrink and hardshrink backward: g where |x| > lambd, so 0 at ±lambd.
    return F.where(F.gt(F.abs(x), lambd), g, 0.0)


def _shrink_explain(lambd):
    return {"x": f"1 where |{{x}}| > {lambd:g}, else 0"}


def _glu(x, axis):
    """a·σ(b), a and b the halves of x along axis (of even size, as in PyTorch)."""
    if not x.ndim or x.shape[axis] % 2:
        raise ShapeError(f"glu: x of shape {x.shape} cannot be halved along axis {axis}: it needs an even size")
    n, lead = x.shape[axis] // 2, (slice(None),) * axis
    return x[lead + (slice(0, n),)] * F.sigmoid(x[lead + (slice(n, 2 * n),)])




def _slopes(x, weight):
    """prelu's weight, shaped to broadcast along x's channels (axis 1, as in PyTorch)."""
    channels = x.shape[1] if x.ndim >= 2 else 1
    if weight.ndim > 1 or weight.size not in (1, channels):
        takes = f"one, or one per channel (its axis 1: {channels})" if x.ndim >= 2 else "one (no channel axis)"
        raise ShapeError(f"prelu: weight has {weight.size} slopes (shape {weight.shape}); "
                         f"x of shape {x.shape} takes {takes}")
    return () if weight.size == 1 else (channels,) + (1,) * (x.ndim - 2)


def _prelu(x, weight):
    # weight multiplies x only where x ≤ 0: where x > 0 no gradient passes between them, as in PyTorch
    positive = F.gt(x, 0)
    return F.where(positive, x, F.reshape(weight, shape=_slopes(x, weight)) * F.where(positive, 0.0, x))


def _prelu_ref(x, weight):
    slopes = weight.reshape(_slopes(x, weight))
    return elementwise(lambda mp, a, w: a if a > 0 else w * a)(x, slopes)


LARGE = [0.0, 10.0, -10.0, 40.0, -40.0]        # where the forms without overflow matter
BATCH = "elementwise"          # how its rows run on a batch (ops/batching.py)

OPS = [
    activation("gelu", _gelu, _gelu_grad, "x·Φ(x), Φ the normal CDF (exact, by erf) or approximate='tanh'",
               sig="x, approximate:str(none|tanh)=none", examples=SHAPES + (case((2, 3), approximate="tanh"),),
               singular=(at(LARGE), at(LARGE, approximate="tanh")),
               ref=lambda mp, x, approximate: 0.5 * x * (1 + (mp.erf(x / mp.sqrt(2)) if approximate == "none" else
                                                            mp.tanh(mp.sqrt(2 / mp.pi) * (x + CUBIC * x ** 3)))),
               explain=_gelu_explain),
    activation("silu", lambda bk, x: x * TABLE["sigmoid"].forward(bk, x), _silu_grad,
               "x·σ(x) (also swish), without overflow", singular=(at(LARGE + [800.0, -800.0]),),
               ref=lambda mp, x: x / (1 + mp.exp(-x)),
               explain={"x": "σ({x})·(1 + {x:p}·(1 - σ({x})))"}),
    activation("mish", lambda bk, x: x * bk.xp.tanh(TABLE["softplus"].forward(bk, x)), _mish_grad,
               "x·tanh(softplus(x)), without overflow",
               # PyTorch's double backward overflows to nan at 800: second order off there
               singular=(at([0.0, 40.0, -40.0, -800.0]), at([800.0], order=1)),
               ref=lambda mp, x: x * mp.tanh(mp.log(1 + mp.exp(x))),
               explain={"x": "tanh(s) + {x:p}·σ({x})·(1 - tanh²(s)), s = softplus({x})"}),
    activation("logsigmoid", lambda bk, x: bk.xp.minimum(x, 0) - bk.xp.log1p(bk.xp.exp(-bk.xp.abs(x))),
               lambda g, y, x: g * F.sigmoid(-x),
               "log(σ(x)), without overflow", singular=(at([0.0, 800.0, -800.0]),),
               ref=lambda mp, x: -mp.log(1 + mp.exp(-x)),
               explain={"x": "σ(-{x:p})"}),
    activation("leaky_relu", lambda bk, x, negative_slope: bk.xp.where(x > 0, x, x * negative_slope),
               lambda g, y, x, negative_slope: F.where(F.gt(x, 0), g, g * negative_slope),
               "x, or negative_slope·x where x ≤ 0; the slope at 0 is negative_slope, as in PyTorch",
               sig="x, negative_slope:float=0.01", examples=SHAPES + (case((2, 3), negative_slope=0.2),),
               smooth=False, kinks=(kink([0.0], [0.01]), kink([0.0], [0.2], negative_slope=0.2)),
               singular=(at([0.0, -1.0, 1.0]), at([0.0, -1.0], negative_slope=0.2)),
               ref=lambda mp, x, negative_slope: x if x > 0 else x * negative_slope,
               explain=lambda negative_slope: {"x": f"1 where {{x:p}} > 0, else {negative_slope:g}"}),
    activation("elu", lambda bk, x, alpha: _elu(bk, x, alpha), lambda g, y, x, alpha: _elu_grad(g, x, alpha),
               "x, or alpha·(e^x - 1) where x ≤ 0; the slope at 0 is alpha, as in PyTorch",
               sig="x, alpha:float=1.0", examples=SHAPES + (case((2, 3), alpha=2.0),),
               smooth=False, kinks=(kink([0.0], [2.0], alpha=2.0),),
               singular=(at([0.0, -1.0, 1.0, -800.0, 800.0]), at([0.0, -1.0, 1.0], alpha=2.0)),
               ref=lambda mp, x, alpha: x if x > 0 else alpha * mp.expm1(x),
               explain=lambda alpha: {"x": f"1 where {{x:p}} > 0, else {alpha:g}·exp({{x}})"}),
    activation("selu", lambda bk, x: _elu(bk, x, SELU_ALPHA, SELU_SCALE),
               lambda g, y, x: _elu_grad(g, x, SELU_ALPHA, SELU_SCALE),
               "λ·elu(x, α), λ ≈ 1.0507, α ≈ 1.6733; the slope at 0 is λα, as in PyTorch",
               smooth=False, kinks=(kink([0.0], [SELU_ALPHA * SELU_SCALE]),),
               singular=(at([0.0, -1.0, 1.0, -800.0]),),
               ref=lambda mp, x: mp.mpf(SELU[1]) * (x if x > 0 else mp.mpf(SELU[0]) * mp.expm1(x)),
               explain={"x": "λ where {x:p} > 0, else λα·exp({x}) (λ ≈ 1.0507, α ≈ 1.6733)"}),
    activation("celu", lambda bk, x, alpha: _elu(bk, x, alpha, 1.0, _celu_scale(alpha)),
               lambda g, y, x, alpha: _elu_grad(g, x, alpha, 1.0, 1 / alpha),
               "x, or alpha·(e^(x/alpha) - 1) where x ≤ 0", sig="x, alpha:float=1.0",
               examples=SHAPES + (case((2, 3), alpha=2.0), case((3,), alpha=-0.5)),
               singular=(at([0.0, -1.0, 1.0, -800.0]), at([0.0, -1.0, 1.0], alpha=2.0)),
               ref=lambda mp, x, alpha: x if x > 0 else alpha * mp.expm1(x / alpha),
               explain=lambda alpha: {"x": f"1 where {{x:p}} > 0, else exp({{x:p}}/{alpha:g})"}),
    activation("softsign", lambda bk, x: x / (1 + bk.xp.abs(x)), lambda g, y, x: g / F.square(1 + F.abs(x)),
               "x / (1 + |x|)", singular=(at([0.0, 1.0, -1.0]),), ref=lambda mp, x: x / (1 + abs(x)),
               explain={"x": "1/(1 + |{x}|)²"}),
    activation("tanhshrink", lambda bk, x: x - bk.xp.tanh(x), lambda g, y, x: g * F.square(F.tanh(x)),
               "x - tanh(x)", singular=(at([0.0, 20.0, -20.0]),), ref=lambda mp, x: x - mp.tanh(x),
               explain={"x": "tanh²({x})"}),
    activation("hardtanh", _hardtanh, _hardtanh_grad,
               "x limited to [min_val, max_val]; the gradient is 0 at the bounds, as in PyTorch",
               sig="x, min_val:float=-1.0, max_val:float=1.0",
               examples=SHAPES + (case((2, 3), min_val=-0.5, max_val=2.0),),
               smooth=False, kinks=(kink([-1.0, 1.0], [0.0, 0.0]), kink([2.0], [0.0], min_val=-0.5, max_val=2.0)),
               singular=(at([-1.0, 1.0, 0.0, -2.0, 2.0]), at([-0.5, 2.0, 0.0], min_val=-0.5, max_val=2.0)),
               ref=lambda mp, x, min_val, max_val: min(max(x, min_val), max_val),
               explain=lambda min_val, max_val: {"x": f"1 where {min_val:g} < {{x:p}} < {max_val:g}, else 0"}),
    activation("relu6", lambda bk, x: _clamp(bk, x, 0.0, 6.0), lambda g, y, x: _hardtanh_grad(g, y, x, 0.0, 6.0),
               "min(max(x, 0), 6); the gradient is 0 at 0 and 6, as in PyTorch",
               smooth=False, kinks=(kink([0.0, 6.0], [0.0, 0.0]),),
               singular=(at([0.0, 6.0, 3.0, -1.0, 7.0]),), ref=lambda mp, x: min(max(x, 0), 6),
               explain={"x": "1 where 0 < {x:p} < 6, else 0"}),
    activation("hardsigmoid", lambda bk, x: _clamp(bk, x + 3, 0.0, 6.0) / 6,
               lambda g, y, x: _hardtanh_grad(g, y, x, -3.0, 3.0) / 6,
               "relu6(x + 3)/6; the gradient is 0 at ±3, as in PyTorch",
               smooth=False, kinks=(kink([-3.0, 3.0], [0.0, 0.0]),),
               singular=(at([-3.0, 3.0, 0.0, -4.0, 4.0]),), ref=lambda mp, x: min(max(x + 3, 0), 6) / 6,
               explain={"x": "1/6 where -3 < {x:p} < 3, else 0"}),
    activation("hardswish", lambda bk, x: x * _clamp(bk, x + 3, 0.0, 6.0) / 6, _hardswish_grad,
               "x·relu6(x + 3)/6; the slope is 0 at -3 and 1 at 3, as in PyTorch",
               smooth=False, kinks=(kink([-3.0, 3.0], [0.0, 1.0]),),
               singular=(at([-3.0, 3.0, 0.0, -4.0, 4.0]),), ref=lambda mp, x: x * min(max(x + 3, 0), 6) / 6,
               explain={"x": "{x:p}/3 + ½ where -3 < {x:p} < 3, 0 below, 1 above"}),
    activation("logit", _logit, _logit_grad,
               "log(x/(1 - x)); with eps, of x clamped to [eps, 1 - eps] (gradient 0 outside, as in PyTorch)",
               sig="x, eps:float=None", domain="unit",
               # the tests draw from (-0.9, 0.9): eps keeps them in (0, 1); eps=None is held at its points
               examples=(case((3,), eps=0.05), case((2, 3), eps=0.2), case((), eps=0.3)),
               smooth=False, kinks=(kink([0.1, 0.9, 0.05], [1 / 0.09, 1 / 0.09, 0.0], eps=0.1),),
               singular=(at([0.0, 1.0, 0.5, 0.25, -0.5, 1.5]),
                         at([0.5, 0.1, 0.9, 0.05, 0.95], eps=0.1), at([0.0, 1.0], eps=0.1, order=1)),
               ref=lambda mp, x, eps: mp.log((z := x if eps is None else min(max(x, eps), 1 - eps)) / (1 - z)),
               explain=lambda eps: {"x": "1/({x:p}·(1 - {x}))"
                                    + ("" if eps is None else f" on [{eps:g}, {1 - eps:g}], else 0")}),
    activation("softshrink", _softshrink, lambda g, y, x, lambd: _beyond(g, x, lambd),
               "x - clip(x, -lambd, lambd); the gradient is 0 at ±lambd, as in PyTorch",
               sig="x, lambd:float=0.5", examples=SHAPES + (case((2, 3), lambd=0.2),),
               smooth=False, kinks=(kink([0.5, -0.5], [0.0, 0.0]),),
               singular=(at([0.5, -0.5, 0.0, 1.0, -1.0]), at([0.2, -0.2, 1.0], lambd=0.2)),
               ref=lambda mp, x, lambd: x - min(max(x, -lambd), lambd),
               explain=_shrink_explain),
    activation("hardshrink", lambda bk, x, lambd: bk.xp.where(bk.xp.abs(x) <= lambd, 0.0, x),
               lambda g, y, x, lambd: _beyond(g, x, lambd),
               "x where |x| > lambd, else 0; the gradient is 0 at ±lambd, as in PyTorch",
               sig="x, lambd:float=0.5", examples=SHAPES + (case((2, 3), lambd=0.2),),
               smooth=False, kinks=(kink([0.5, -0.5], [0.0, 0.0]),),
               singular=(at([0.5, -0.5, 0.0, 1.0, -1.0]), at([0.2, -0.2, 1.0], lambd=0.2)),
               ref=lambda mp, x, lambd: 0 if abs(x) <= lambd else x,
               explain=_shrink_explain),
    activation("threshold", lambda bk, x, threshold, value: bk.xp.where(x <= threshold, value, x),
               lambda g, y, x, threshold, value: F.where(F.le(x, threshold), 0.0, g),
               "x where x > threshold, else value; the gradient is 0 at the threshold, as in PyTorch",
               sig="x, threshold:float, value:float",
               examples=(case((3,), threshold=0.0, value=-1.0), case((2, 3), threshold=0.5, value=2.0)),
               smooth=False, kinks=(kink([0.5], [0.0], threshold=0.5, value=2.0),),
               singular=(at([0.5, -0.5, 0.0, 1.0], threshold=0.5, value=2.0),),
               ref=lambda mp, x, threshold, value: x if x > threshold else value,
               explain=lambda threshold, value: {"x": f"1 where {{x:p}} > {threshold:g}, else 0"}),
    Op("glu", "x, axis:axis1=-1", impl=_glu, family="activation", reference=reference.glu,
       doc="a·σ(b), a and b the halves of x along axis (default the last)",
       examples=(case((4,)), case((2, 4)), case((4, 3), axis=0))),
    Op("softmin", "x, axis:axis1=-1", impl=lambda x, axis: F.softmax(-x, axis=axis), family="activation",
       reference=reference.along(lambda mp, v: reference.softmax(mp, [-a for a in v])),
       doc="softmax(-x) along axis (default the last)",
       examples=(case((3,)), case((2, 3), axis=0), case((2, 3)))),
    Op("prelu", "x, weight", impl=_prelu, batch="loop", family="activation", reference=_prelu_ref,
       doc="x, or weight·x where x ≤ 0: one slope, or one per channel (axis 1), as in PyTorch",
       examples=(case((3,), (1,)), case((2, 3), (3,)), case((2, 3, 2), (3,)), case((), ())),
       smooth=False, kinks=((([0.0, -1.0], [0.25]), {}, ([0.25, 0.25], [-1.0])),),
       # PyTorch's double backward takes x = 0 as positive, its backward as not: second order off there
       singular=(at([0.0, -1.0, 1.0], [0.25], order=1),
                 at([[1.0, -2.0, 0.5], [-1.0, 2.0, -3.0]], [0.1, 0.2, 0.3]))),
]
SYNONYMS = {"swish": "silu"}
