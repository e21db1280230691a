"""Special functions and the binary elementwise functions PyTorch users reach
for; the special functions are scipy.special's (cupyx.scipy.special's on the
GPU, which has every one used here), imported when first used.

Each rule is PyTorch's derivative formula written with the table's own ops
(lgamma' = digamma, digamma' = polygamma(1, x), polygamma(n)' = polygamma(n + 1)),
so higher orders are exact, and where that formula makes a particular number
at an edge (hypot at the origin, logaddexp of two infinities, xlogy at a = 0)
gradcli makes the same one."""
from __future__ import annotations

import math

from gradcli.errors import ArgumentError
from gradcli.ops.arith import PAIRS
from gradcli.ops.core import F, Op, at, case
from gradcli.ops.elementwise import SHAPES
from gradcli.ops.reference import elementwise

INF, NAN = math.inf, math.nan
SQRT_PI, SQRT_2PI = math.sqrt(math.pi), math.sqrt(2 * math.pi)

SYNONYMS = {"ln": "log", "gammaln": "lgamma", "psi": "digamma", "fix": "trunc"}


def row(name, sig, forward, rules, doc, domain="real", *, ref, **more):
    """ref(mp, *numbers, **params): the function at mpmath numbers, the tests' reference."""
    more.setdefault("examples", PAIRS if sig == "a, b" else SHAPES)
    return Op(name, sig, forward=forward, grads=rules, doc=doc, family="special", domain=domain,
              reference=elementwise(ref), **more)


def scipy(name):
    """A forward that is scipy.special's function of that name."""
    return lambda bk, *arrays: bk.special(name)(*arrays)


def _polygamma(bk, x, n):
    if n < 0:
        raise ArgumentError(f"polygamma: n is the order of the derivative, a whole number >= 0, not {n}")
    # n as an array like x: CuPy's polygamma broadcasts its arguments as arrays, and x's dtype is kept
    return bk.special("polygamma")(bk.xp.full_like(x, n), x)


def _lerp(bk, x, end, weight):
    # PyTorch's two formulas, each exact at its end: x at weight 0, end at weight 1
    xp = bk.xp
    return xp.where(xp.abs(weight) < 0.5, x + weight * (end - x), end - (end - x) * (1 - weight))


def _unless_zero_at(d, a, b, edge):
    # PyTorch's xlogy and xlog1py: a's gradient g·log(b) (an xlogy, so 0 where g is)
    # is masked only where a = 0 and the log is -inf or nan: it is inf at a = 0, b = inf
    return F.where(F.eq(a, 0) * F.le(b, edge), 0.0, d)


def _sinc_grad(g, y, x):
    # PyTorch's sinc_backward: g·(πx·cos(πx) - sin(πx))/(x²π), 0 where x²π is 0. There
    # gradcli's 0 is -(π²/3)·x, so that the second derivative at 0 is sinc''(0) = -π²/3
    # (PyTorch's is nan) and the third is 0, as they should be.
    px, den = math.pi * x, x * x * math.pi
    zero = F.eq(den, 0)
    return F.where(zero, g * (-math.pi ** 2 / 3) * x, g * (px * F.cos(px) - F.sin(px)) / F.where(zero, 1.0, den))


def _entropy(mp, x):
    return -x * mp.log(x) if x > 0 else 0 if x == 0 else -INF


def _lgamma(mp, x):
    # mp.loggamma is complex for negative x: PyTorch's lgamma is log|Γ(x)|
    return INF if x <= 0 and x == mp.floor(x) else mp.log(abs(mp.gamma(x)))


def _trunc(mp, x):
    return mp.floor(x) if x >= 0 else mp.ceil(x)


BATCH = "elementwise"          # how its rows run on a batch (ops/batching.py)

OPS = [
    row("hypot", "a, b", lambda bk, a, b: bk.xp.hypot(a, b),
        (lambda g, y, a, b: g * a / y, lambda g, y, a, b: g * b / y),
        "sqrt(a² + b²) without overflow; the gradient at the origin is nan, as in PyTorch",
        singular=(at([0.0, 3.0, 0.0, -1e-200], [0.0, 4.0, -1.0, 1e-200]), at([1e200], [-1e200], order=1)),
        ref=lambda mp, a, b: mp.hypot(a, b),
        explain={"a": "{a:p}/hypot({a}, {b})", "b": "{b:p}/hypot({a}, {b})"}),
    row("logaddexp", "a, b", lambda bk, a, b: bk.xp.logaddexp(a, b),
        (lambda g, y, a, b: g / (1 + F.exp(b - a)), lambda g, y, a, b: g / (1 + F.exp(a - b))),
        "log(e^a + e^b) without overflow; nan gradients where a = b = ±inf, as in PyTorch",
        singular=(at([-INF, INF, 0.0, -INF, 800.0, 0.0], [-INF, INF, 0.0, 1.0, 800.0, -800.0]),),
        ref=lambda mp, a, b: mp.log(mp.exp(a) + mp.exp(b)),
        explain={"a": "1/(1 + exp({b} - {a}))", "b": "1/(1 + exp({a} - {b}))"}),
    row("logaddexp2", "a, b", lambda bk, a, b: bk.xp.logaddexp2(a, b),
        (lambda g, y, a, b: g / (1 + 2.0 ** (b - a)), lambda g, y, a, b: g / (1 + 2.0 ** (a - b))),
        "log2(2^a + 2^b) without overflow",
        singular=(at([-INF, INF, 0.0, 800.0], [-INF, INF, 0.0, -800.0]),),
        ref=lambda mp, a, b: mp.log(2 ** a + 2 ** b, 2),
        explain={"a": "1/(1 + 2^({b} - {a}))", "b": "1/(1 + 2^({a} - {b}))"}),
    row("xlogy", "a, b", scipy("xlogy"),
        (lambda g, y, a, b: _unless_zero_at(F.xlogy(g, b), a, b, 0.0), lambda g, y, a, b: g * a / b),
        "a·log(b), 0 where a = 0; a's gradient log(b) is 0 where a = 0 and b <= 0, as in PyTorch", "positive",
        singular=(at([0.0, 0.0, 0.0, 1.0, 0.0, 2.0, 0.0, 0.0], [0.0, 1.0, -1.0, 0.0, NAN, -1.0, INF, 1e-300]),),
        ref=lambda mp, a, b: 0 if a == 0 else a * mp.log(b),
        explain={"a": "log({b}) (0 where {a:p} = 0 and {b:p} ≤ 0)", "b": "{a:p}/{b:p}"}),
    row("xlog1py", "a, b", scipy("xlog1py"),
        (lambda g, y, a, b: _unless_zero_at(F.xlog1py(g, b), a, b, -1.0), lambda g, y, a, b: g * a / (b + 1)),
        "a·log(1 + b), 0 where a = 0; a's gradient is 0 where a = 0 and b <= -1, as in PyTorch", "positive",
        singular=(at([0.0, 0.0, 0.0, 1.0, 0.0, 2.0, 0.0], [-1.0, 0.0, -2.0, -1.0, NAN, -2.0, INF]),),
        ref=lambda mp, a, b: 0 if a == 0 else a * mp.log1p(b),
        explain={"a": "log(1 + {b}) (0 where {a:p} = 0 and {b:p} ≤ -1)", "b": "{a:p}/(1 + {b})"}),
    row("sinc", "x", lambda bk, x: bk.xp.sinc(x), (_sinc_grad,),
        "sin(πx)/(πx), 1 at 0, as in PyTorch; at 0 the gradient is 0, the second derivative -π²/3",
        singular=(at([0.0, 1e-3, 1e-200], order=1), at([1.0, 0.5, -2.0])),
        ref=lambda mp, x: mp.sincpi(x),
        explain={"x": "(π{x:p}·cos(π{x:p}) - sin(π{x:p}))/(π{x:p}²), 0 at 0"}),
    row("lerp", "x, end, weight", _lerp,
        (lambda g, y, x, end, w: g * (1 - w), lambda g, y, x, end, w: g * w,
         lambda g, y, x, end, w: g * (end - x)),
        "x + weight·(end - x), as PyTorch's lerp(input, end, weight)",
        examples=(case((), (), ()), case((3,), (3,), (3,)), case((2, 3), (3,), ()), case((3, 1), (1, 4), (3, 4))),
        ref=lambda mp, x, end, w: x + w * (end - x),
        explain={"x": "1 - {weight:5}", "end": "{weight}", "weight": "{end} - {x:5}"}),
    row("fmod", "a, b", lambda bk, a, b: bk.xp.fmod(a, b),
        (lambda g, y, a, b: g, lambda g, y, a, b: -g * F.trunc(a / b)),
        "a - b·trunc(a/b), the sign of a's (C's fmod); b's gradient is -trunc(a/b), as in PyTorch",
        "nonzero", kinks=(((2.0, 1.0), {}, (1.0, -2.0)), ((-2.0, 1.0), {}, (1.0, 2.0))), smooth=False,
        singular=(at([2.0, -2.0, 1.0, 3.0, 1.0, 0.0], [1.0, 1.0, 0.1, 0.0, -0.3, 0.0]),),
        ref=lambda mp, a, b: a - b * _trunc(mp, a / b),
        explain={"a": "1", "b": "-trunc({a:5}/{b:6})"}),
    row("remainder", "a, b", lambda bk, a, b: bk.xp.remainder(a, b),
        (lambda g, y, a, b: g, lambda g, y, a, b: -g * F.floor_divide(a, b)),
        "a - b·floor(a/b), the sign of b's (Python's a % b); b's gradient -floor(a/b), as in PyTorch",
        "nonzero", kinks=(((2.0, 1.0), {}, (1.0, -2.0)), ((-2.0, 1.0), {}, (1.0, 2.0))), smooth=False,
        singular=(at([2.0, -2.0, 1.0, 3.0, 1.0, -1.0, 0.0], [1.0, 1.0, 0.1, 0.0, -0.3, 0.1, 0.0]),),
        ref=lambda mp, a, b: a - b * mp.floor(a / b),
        explain={"a": "1", "b": "-floor({a:5}/{b:6})"}),
    row("floor_divide", "a, b", lambda bk, a, b: bk.xp.floor_divide(a, b), None,
        "floor(a / b) as Python's a // b computes it (gradient 0)", "nonzero",
        singular=(at([1.0, -1.0, 0.0, 1.0, -7.0], [0.0, 0.0, 0.0, 0.1, 2.0]),),
        ref=lambda mp, a, b: mp.floor(a / b)),
    row("trunc", "x", lambda bk, x: bk.xp.trunc(x), None, "round toward 0 (gradient 0)", ref=_trunc),
    row("frac", "x", lambda bk, x: x - bk.xp.trunc(x), (lambda g, y, x: g,),
        "x - trunc(x), with the sign of x (gradient 1, as in PyTorch)",
        ref=lambda mp, x: x - _trunc(mp, x),
        explain={"x": "1"}),
    row("lgamma", "x", scipy("gammaln"), (lambda g, y, x: g * F.digamma(x),),
        "log|Γ(x)|: inf at 0 and the negative integers (gradient ∓inf, nan), as in PyTorch",
        # order 1 at ordinary points: PyTorch's trigamma is off by up to 5e-10 (SciPy's is exact)
        singular=(at([0.0, -0.0, 1e-300]), at([-1.0, -2.0, 1.0, 2.0, -2.5], order=1)),
        ref=_lgamma,
        explain={"x": "digamma({x})"}),
    row("digamma", "x", scipy("digamma"), (lambda g, y, x: g * F.polygamma(x, n=1),),
        "Γ'(x)/Γ(x), lgamma's derivative: ∓inf at ±0, nan at the negative integers, as in PyTorch",
        singular=(at([0.0, 1e-300]), at([-0.0])),
        ref=lambda mp, x: mp.psi(0, x),
        explain={"x": "polygamma(1, {x})"}),
    row("polygamma", "n:int, x", _polygamma, (lambda g, y, x, n: g * F.polygamma(x, n=n + 1),),
        "the n-th derivative of digamma, n a whole number >= 0 (torch.polygamma(n, x))", "positive",
        examples=(case((), n=0), case((3,), n=1), case((2, 3), n=2), case((3,), n=3)),
        singular=(at([0.0, 1.0, -2.5, 1e-300], n=1), at([0.0, -0.0, -1.0, 1.0, -2.5], n=2),
                  at([0.0, -1.0, 0.5], n=3)),
        ref=lambda mp, x, n: mp.psi(n, x),
        explain=lambda n: {"x": f"polygamma({n + 1}, {{x}})"}),
    row("erfc", "x", scipy("erfc"), (lambda g, y, x: -g * (2 / SQRT_PI) * F.exp(-x * x),),
        "1 - erf(x), accurate where erf(x) is near 1",
        singular=(at([0.0, 30.0, -30.0, 27.0]),),
        ref=lambda mp, x: mp.erfc(x),
        explain={"x": "-2/√π·exp(-{x:p}²)"}),
    row("erfcx", "x", scipy("erfcx"), (lambda g, y, x: g * (2 * x * y - 2 / SQRT_PI),),
        "e^(x²)·erfc(x), without overflow",
        singular=(at([0.0, 30.0, 1e10, -1.0]),),
        ref=lambda mp, x: mp.exp(x * x) * mp.erfc(x),
        explain={"x": "2·{x:p}·erfcx({x}) - 2/√π"}),
    row("erfinv", "x", scipy("erfinv"), (lambda g, y, x: g * (SQRT_PI / 2) * F.exp(y * y),),
        "the inverse of erf on (-1, 1); ±inf at ±1, nan beyond, as in PyTorch", "unit",
        singular=(at([1.0, -1.0, 0.0, 0.5, 1.5]),),
        ref=lambda mp, x: mp.erfinv(x),
        explain={"x": "√π/2·exp(erfinv({x})²)"}),
    row("ndtr", "x", scipy("ndtr"), (lambda g, y, x: g * F.exp(-x * x / 2) / SQRT_2PI,),
        "the standard normal distribution function, P(N(0, 1) < x)",
        singular=(at([0.0, 40.0, -40.0]),),
        ref=lambda mp, x: mp.ncdf(x),
        explain={"x": "exp(-{x:p}²/2)/√(2π)"}),
    row("log_ndtr", "x", scipy("log_ndtr"), (lambda g, y, x: g / SQRT_2PI * F.exp(-(y + x * x / 2)),),
        "log(ndtr(x)), accurate far into the lower tail",
        singular=(at([0.0, 40.0, -40.0, -1e5]),),
        ref=lambda mp, x: mp.log(mp.ncdf(x)),
        explain={"x": "exp(-{x:p}²/2)/(√(2π)·ndtr({x}))"}),
    row("entr", "x", scipy("entr"), (lambda g, y, x: -g * (1 + F.log(x)),),
        "-x·log(x), 0 at 0 and -inf below (elementwise entropy, as in PyTorch)", "positive",
        singular=(at([0.0, 1.0, -1.0]),),
        ref=_entropy,
        explain={"x": "-(1 + log({x}))"}),
]
