"""Operators and binary functions, with NumPy broadcasting (the engine sums
each cotangent back to its input's shape), comparisons, where and clip."""
from __future__ import annotations

import math
import operator

from gradcli.autograd.tensor import Tensor
from gradcli.ops.core import F, Op, at, case, over
from gradcli.ops.reference import elementwise

PAIRS = (case((), ()), case((3,), (3,)), case((2, 3), (2, 3)), case((3, 1), (1, 4)),
         case((), (2, 3)))


def binary(name, forward, rules, doc, domain="real", kinks=(), smooth=True, builtin=True, singular=(), *,
           ref, **row):
    """ref(mp, a, b): the function at two mpmath numbers, the tests' reference."""
    return Op(name, "a, b", forward=forward, grads=rules, doc=doc, family="arith", domain=domain,
              examples=PAIRS, kinks=kinks, smooth=smooth, builtin=builtin, reference=elementwise(ref),
              singular=singular, **row)


def _pow_base_grad(g, y, a, b):
    # PyTorch's pow_backward. A literal exponent is a number there: b·a^(b-1)
    # with b - 1 a number again, and no gradient at all for b = 0 (so x^2 has
    # exact higher derivatives at 0). Any other exponent is a tensor: 0 where
    # b == 0 is masked (x^0 has gradient 0 even at x = 0).
    if b.op is None and b.const:
        if not b.bk.any(b.data != 0):
            return None
        return g * (b * a ** Tensor(b.data - 1, b.bk, const=True))     # PyTorch's grouping: one product with g
    zero = F.eq(b, 0)
    return g * F.where(zero, 0.0, b * F.where(zero, 1.0, a) ** (b - 1))


def _pow_exponent_grad(g, y, a, b):
    # PyTorch: d(a^b)/db = a^b·log(a), taken as 0 where a == 0 and b >= 0.
    zero = F.eq(a, 0) * F.ge(b, 0)
    return F.where(zero, 0.0, g * y * F.log(F.where(zero, 1.0, a)))


def _unless_below(g, a, b):
    # PyTorch's maximum/minimum: a's share of g is all of it, half on a tie,
    # and exactly 0 where a < b (selected, so an infinite g does not make nan;
    # a nan on either side gets all of it, as in PyTorch).
    return F.where(F.lt(a, b), 0.0, F.where(F.eq(a, b), g * 0.5, g))


def compare(name, forward, symbol, ref):
    return Op(name, "a:mask, b:mask", forward=forward, doc=f"1 where a {symbol} b, else 0 (not differentiable)",
              family="compare", builtin=False, examples=PAIRS, reference=elementwise(lambda mp, a, b: ref(a, b)),
              form=(f"{{a:4}} {symbol} {{b:4}}", 3))


BATCH = "elementwise"          # how its rows run on a batch (ops/batching.py)

OPS = [
    binary("add", lambda bk, a, b: a + b, (lambda g, y, a, b: g, lambda g, y, a, b: g), "a + b", builtin=False,
           ref=lambda mp, a, b: a + b,
           form=("{a:4} + {b:5}", 4),
           explain={"a": "1", "b": "1"}),
    binary("sub", lambda bk, a, b: a - b, (lambda g, y, a, b: g, lambda g, y, a, b: -g), "a - b", builtin=False,
           ref=lambda mp, a, b: a - b,
           form=("{a:4} - {b:5}", 4),
           explain={"a": "1", "b": "-1"}),
    binary("mul", lambda bk, a, b: a * b, (lambda g, y, a, b: g * b, lambda g, y, a, b: g * a), "a * b",
           builtin=False, ref=lambda mp, a, b: a * b,
           form=("{a:5}*{b:6}", 5),
           explain={"a": "{b}", "b": "{a}"}),
    binary("div", lambda bk, a, b: a / b, (lambda g, y, a, b: g / b, lambda g, y, a, b: -g * y / b), "a / b",
           "nonzero", builtin=False, singular=(at([0.0, 1.0, 0.0], [0.0, 0.0, 2.0]),), ref=lambda mp, a, b: a / b,
           form=("{a:5}/{b:6}", 5),
           explain={"a": "1/{b:p}", "b": "-{a:p}/{b:p}²"}),
    binary("pow", lambda bk, a, b: a ** b,
           (_pow_base_grad, _pow_exponent_grad),
           "a ** b (also a ^ b); the exponent's gradient is a^b·log(a), nan where a < 0", "positive",
           singular=(at([0.0, 0.0, 0.0, 2.0, -1.0], [0.0, 1.0, 2.0, 0.0, 2.0], order=1), at([0.0, 0.0], [0.5, -1.0])),
           ref=lambda mp, a, b: mp.power(a, b), tensor_rules=True,     # a literal exponent: b.op, b.const
           form=("{a:8}^{b:7}", 7),
           explain={"a": "{b:p}·{a:p}^({b} - 1)", "b": "{a:p}^{b:p}·log({a})"}),
    binary("maximum", lambda bk, a, b: bk.xp.maximum(a, b),
           (lambda g, y, a, b: _unless_below(g, a, b), lambda g, y, a, b: _unless_below(g, b, a)),
           "elementwise larger of a and b; a tie gives each half, as in PyTorch",
           kinks=(((1.0, 1.0), {}, (0.5, 0.5)),), smooth=False,
           singular=(at([1.0, 2.0, 0.0, math.nan, 2.0], [1.0, 1.0, 0.0, 2.0, math.nan]),),
           ref=lambda mp, a, b: max(a, b),
           explain={"a": "1 where {a:p} > {b:p} (½ on a tie), else 0",
                    "b": "1 where {b:p} > {a:p} (½ on a tie), else 0"}),
    binary("minimum", lambda bk, a, b: bk.xp.minimum(a, b),
           (lambda g, y, a, b: _unless_below(g, b, a), lambda g, y, a, b: _unless_below(g, a, b)),
           "elementwise smaller of a and b; a tie gives each half, as in PyTorch",
           kinks=(((1.0, 1.0), {}, (0.5, 0.5)),), smooth=False,
           singular=(at([1.0, 2.0, 0.0, math.nan, 2.0], [1.0, 1.0, 0.0, 2.0, math.nan]),),
           ref=lambda mp, a, b: min(a, b),
           explain={"a": "1 where {a:p} < {b:p} (½ on a tie), else 0",
                    "b": "1 where {b:p} < {a:p} (½ on a tie), else 0"}),
    binary("atan2", lambda bk, a, b: bk.xp.arctan2(a, b),
           # g·(b, -a) / (a² + b²), 0 at the origin (as PyTorch gives)
           (lambda g, y, a, b: over(g, a * a + b * b) * b, lambda g, y, a, b: -over(g, a * a + b * b) * a),
           "angle of the point (b, a): atan2(y, x)", "nonzero",
           singular=(at([0.0, 0.0, 1.0], [0.0, -1.0, 0.0], order=1),), ref=lambda mp, a, b: mp.atan2(a, b),
           explain={"a": "{b:p}/({a:p}² + {b:p}²)", "b": "-{a:p}/({a:p}² + {b:p}²)"}),
    compare("lt", lambda bk, a, b: a < b, "<", operator.lt),
    compare("le", lambda bk, a, b: a <= b, "<=", operator.le),
    compare("gt", lambda bk, a, b: a > b, ">", operator.gt),
    compare("ge", lambda bk, a, b: a >= b, ">=", operator.ge),
    compare("eq", lambda bk, a, b: a == b, "==", operator.eq),
    compare("ne", lambda bk, a, b: a != b, "!=", operator.ne),
    Op("where", "cond:mask, a, b", forward=lambda bk, c, a, b: bk.xp.where(c != 0, a, b),
       grads=(None, lambda g, y, c, a, b: F.where(c, g, 0.0), lambda g, y, c, a, b: F.where(c, 0.0, g)),
       doc="a where cond is nonzero, else b", family="arith",
       reference=elementwise(lambda mp, c, a, b: a if c else b),
       examples=(case((3,), (3,), (3,)), case((2, 3), (3,), ())),
       explain={"a": "1 where {cond}, else 0", "b": "0 where {cond}, else 1"}),
    Op("clip", "x, lo=-inf, hi=inf", forward=lambda bk, x, lo, hi: bk.xp.minimum(bk.xp.maximum(x, lo), hi),
       grads=(lambda g, y, x, lo, hi: F.where(F.ge(x, lo) * F.le(x, hi), g, 0.0),
              lambda g, y, x, lo, hi: F.where(F.lt(x, lo) * F.lt(lo, hi), g, 0.0),
              lambda g, y, x, lo, hi: F.where(F.gt(F.where(F.ge(x, lo), x, lo), hi), g, 0.0)),
       doc="x limited to [lo, hi] (None for no bound); the gradient passes at the bounds, as in PyTorch's clamp",
       family="arith", smooth=False, examples=(case((3,), (), ()),),
       reference=elementwise(lambda mp, x, lo, hi: min(max(x, lo), hi)),
       singular=(at([1.0, 2.0, 0.5, 3.0], 1.0, 2.0), at([1.0], 1.0, 1.0), at([-1.0, 0.5, 2.0], 1.0, 0.0),
                 at([-1.0], 0.0, 0.0)),
       kinks=(((1.0, 1.0, 2.0), {}, (1.0, 0.0, 0.0)),),
       explain={"x": "1 where {lo:p} ≤ {x:p} ≤ {hi:p}, else 0", "lo": "1 where {x:p} < {lo:p}, else 0",
                "hi": "1 where {x:p} > {hi:p}, else 0"}),
]

SYNONYMS = {"clamp": "clip", "arctan2": "atan2", "power": "pow"}
