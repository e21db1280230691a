"""Elementwise functions of one array. Each row: name, forward, rule, doc;
domain says where tests draw inputs, kinks pin PyTorch's one-sided choices."""
from __future__ import annotations

import math

from gradcli.ops.core import F, Op, at, case
from gradcli.ops.reference import elementwise

SHAPES = case(()), case((3,)), case((2, 3))


def unary(name, forward, rule, doc, domain="real", kinks=(), smooth=True, singular=(), *, ref, **row):
    """ref(mp, x): the function at one mpmath number, the tests' reference."""
    return Op(name, "x", forward=forward, grads=(rule,) if rule else None, doc=doc,
              family="elementwise", domain=domain, examples=SHAPES, kinks=kinks, smooth=smooth,
              reference=elementwise(ref), singular=singular, **row)


def _sigmoid(xp, x):
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))


BATCH = "elementwise"          # how its rows run on a batch (ops/batching.py)

OPS = [
    unary("neg", lambda bk, x: -x, lambda g, y, x: -g, "-x", ref=lambda mp, x: -x,
          form=("-{x:6}", 6),
          explain={"x": "-1"}),
    unary("abs", lambda bk, x: bk.xp.abs(x), lambda g, y, x: g * F.sign(x),
          "|x|; the gradient at 0 is 0, as in PyTorch", kinks=(((0.0,), {}, (0.0,)),), smooth=False,
          singular=(at([0.0, 1.0]),), ref=lambda mp, x: abs(x),
          explain={"x": "sign({x})"}),
    unary("sign", lambda bk, x: bk.xp.where(x != x, 0, bk.xp.sign(x)), None,
          "-1, 0 or 1 (0 for nan, as in PyTorch; gradient 0)",
          singular=(at([0.0, -2.0, 3.0, math.nan]),),
          ref=lambda mp, x: mp.sign(x)),
    unary("sqrt", lambda bk, x: bk.xp.sqrt(x), lambda g, y, x: g / (2 * y), "square root", "positive",
          singular=(at([0.0, 1.0]),), ref=lambda mp, x: mp.sqrt(x),
          explain={"x": "1/(2·sqrt({x}))"}),
    unary("square", lambda bk, x: x * x, lambda g, y, x: g * 2 * x, "x^2", ref=lambda mp, x: x ** 2,
          explain={"x": "2·{x:p}"}),
    unary("exp", lambda bk, x: bk.xp.exp(x), lambda g, y, x: g * y, "e^x", ref=lambda mp, x: mp.exp(x),
          explain={"x": "exp({x})"}),
    unary("expm1", lambda bk, x: bk.xp.expm1(x), lambda g, y, x: g * (y + 1), "e^x - 1, accurate near 0",
          ref=lambda mp, x: mp.expm1(x),
          explain={"x": "exp({x})"}),
    unary("log", lambda bk, x: bk.xp.log(x), lambda g, y, x: g / x, "natural logarithm", "positive",
          singular=(at([0.0, 1.0]),), ref=lambda mp, x: mp.ln(x),
          explain={"x": "1/{x:p}"}),
    unary("log1p", lambda bk, x: bk.xp.log1p(x), lambda g, y, x: g / (1 + x), "log(1 + x), accurate near 0",
          "positive", singular=(at([-1.0, 0.0]),), ref=lambda mp, x: mp.log1p(x),
          explain={"x": "1/(1 + {x})"}),
    unary("log2", lambda bk, x: bk.xp.log2(x), lambda g, y, x: g / (x * math.log(2)), "base-2 logarithm",
          "positive", ref=lambda mp, x: mp.log(x, 2),
          explain={"x": "1/({x:p}·ln 2)"}),
    unary("log10", lambda bk, x: bk.xp.log10(x), lambda g, y, x: g / (x * math.log(10)), "base-10 logarithm",
          "positive", ref=lambda mp, x: mp.log10(x),
          explain={"x": "1/({x:p}·ln 10)"}),
    unary("sin", lambda bk, x: bk.xp.sin(x), lambda g, y, x: g * F.cos(x), "sine", ref=lambda mp, x: mp.sin(x),
          explain={"x": "cos({x})"}),
    unary("cos", lambda bk, x: bk.xp.cos(x), lambda g, y, x: -g * F.sin(x), "cosine", ref=lambda mp, x: mp.cos(x),
          explain={"x": "-sin({x})"}),
    unary("tan", lambda bk, x: bk.xp.tan(x), lambda g, y, x: g * (1 + y * y), "tangent", "unit",
          ref=lambda mp, x: mp.tan(x),
          explain={"x": "1 + tan²({x})"}),
    unary("asin", lambda bk, x: bk.xp.arcsin(x), lambda g, y, x: g / F.sqrt(1 - x * x), "inverse sine", "unit",
          singular=(at([1.0, -1.0, 0.0]),), ref=lambda mp, x: mp.asin(x),
          explain={"x": "1/sqrt(1 - {x:p}²)"}),
    unary("acos", lambda bk, x: bk.xp.arccos(x), lambda g, y, x: -g / F.sqrt(1 - x * x), "inverse cosine", "unit",
          singular=(at([1.0, -1.0, 0.0]),), ref=lambda mp, x: mp.acos(x),
          explain={"x": "-1/sqrt(1 - {x:p}²)"}),
    unary("atan", lambda bk, x: bk.xp.arctan(x), lambda g, y, x: g / (1 + x * x), "inverse tangent",
          ref=lambda mp, x: mp.atan(x),
          explain={"x": "1/(1 + {x:p}²)"}),
    unary("sinh", lambda bk, x: bk.xp.sinh(x), lambda g, y, x: g * F.cosh(x), "hyperbolic sine",
          ref=lambda mp, x: mp.sinh(x),
          explain={"x": "cosh({x})"}),
    unary("cosh", lambda bk, x: bk.xp.cosh(x), lambda g, y, x: g * F.sinh(x), "hyperbolic cosine",
          ref=lambda mp, x: mp.cosh(x),
          explain={"x": "sinh({x})"}),
    unary("tanh", lambda bk, x: bk.xp.tanh(x), lambda g, y, x: g * (1 - y * y), "hyperbolic tangent",
          singular=(at([0.0, 20.0, -20.0]),), ref=lambda mp, x: mp.tanh(x),
          explain={"x": "1 - tanh²({x})"}),
    unary("asinh", lambda bk, x: bk.xp.arcsinh(x), lambda g, y, x: g / F.sqrt(x * x + 1), "inverse hyperbolic sine",
          ref=lambda mp, x: mp.asinh(x),
          explain={"x": "1/sqrt({x:p}² + 1)"}),
    unary("acosh", lambda bk, x: bk.xp.arccosh(x), lambda g, y, x: g / F.sqrt(x * x - 1),
          "inverse hyperbolic cosine", "gt1", singular=(at([1.0, 2.0]),), ref=lambda mp, x: mp.acosh(x),
          explain={"x": "1/sqrt({x:p}² - 1)"}),
    unary("atanh", lambda bk, x: bk.xp.arctanh(x), lambda g, y, x: g / (1 - x * x), "inverse hyperbolic tangent",
          "unit", singular=(at([1.0, -1.0, 0.0]),), ref=lambda mp, x: mp.atanh(x),
          explain={"x": "1/(1 - {x:p}²)"}),
    unary("sigmoid", lambda bk, x: _sigmoid(bk.xp, x), lambda g, y, x: g * y * (1 - y),
          "1 / (1 + e^-x), without overflow", singular=(at([0.0, 40.0, -40.0]),),
          ref=lambda mp, x: 1 / (1 + mp.exp(-x)),
          explain={"x": "σ({x})·(1 - σ({x}))"}),
    unary("relu", lambda bk, x: bk.xp.maximum(x, 0), lambda g, y, x: F.where(F.le(x, 0), 0.0, g),
          "max(x, 0); the gradient at 0 is 0, as in PyTorch", kinks=(((0.0,), {}, (0.0,)),), smooth=False,
          singular=(at([0.0, -1.0, 1.0]),), ref=lambda mp, x: max(x, 0),
          explain={"x": "1 where {x:p} > 0, else 0"}),
    unary("softplus", lambda bk, x: bk.xp.maximum(x, 0) + bk.xp.log1p(bk.xp.exp(-bk.xp.abs(x))),
          lambda g, y, x: g * F.sigmoid(x), "log(1 + e^x), without overflow",
          singular=(at([0.0, 40.0, -40.0]),), ref=lambda mp, x: mp.log(1 + mp.exp(x)),
          explain={"x": "σ({x})"}),
    unary("erf", lambda bk, x: bk.special("erf")(x), lambda g, y, x: g * (2 / math.sqrt(math.pi)) * F.exp(-x * x),
          "error function", ref=lambda mp, x: mp.erf(x),
          explain={"x": "2/√π·exp(-{x:p}²)"}),
    unary("reciprocal", lambda bk, x: 1 / x, lambda g, y, x: -g * y * y, "1 / x", "nonzero",
          singular=(at([0.0, 1.0]),), ref=lambda mp, x: 1 / x,
          explain={"x": "-1/{x:p}²"}),
    unary("floor", lambda bk, x: bk.xp.floor(x), None, "round down (gradient 0)", ref=lambda mp, x: mp.floor(x)),
    unary("ceil", lambda bk, x: bk.xp.ceil(x), None, "round up (gradient 0)", ref=lambda mp, x: mp.ceil(x)),
    unary("round", lambda bk, x: bk.xp.round(x), None, "round half to even (gradient 0)",
          ref=lambda mp, x: mp.nint(x)),
]
