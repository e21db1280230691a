"""Elementwise functions of one array. Each row: name, forward, rule, doc;
domain says where tests draw inputs, kinks pin PyTorch's one-sided choices."""
from __future__ import annotations

import math

from gradcli.ops.core import F, Op

_UNARY = ((),), {}
SHAPES = (((),), {}), (((3,),), {}), (((2, 3),), {})


def unary(name, forward, rule, doc, domain="real", kinks=(), smooth=True):
    return Op(name, "x", forward=forward, grads=(rule,) if rule else None, doc=doc,
              family="elementwise", domain=domain, examples=SHAPES, kinks=kinks, smooth=smooth)


def _sigmoid(xp, x):
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))


OPS = [
    unary("neg", lambda bk, x: -x, lambda g, y, x: -g, "-x"),
    unary("abs", lambda bk, x: bk.xp.abs(x), lambda g, y, x: g * F.sign(x),
          "|x|; the gradient at 0 is 0, as in PyTorch", kinks=(((0.0,), {}, (0.0,)),), smooth=False),
    unary("sign", lambda bk, x: bk.xp.sign(x), None, "-1, 0 or 1 (gradient 0)"),
    unary("sqrt", lambda bk, x: bk.xp.sqrt(x), lambda g, y, x: g / (2 * y), "square root", "positive"),
    unary("square", lambda bk, x: x * x, lambda g, y, x: g * 2 * x, "x^2"),
    unary("exp", lambda bk, x: bk.xp.exp(x), lambda g, y, x: g * y, "e^x"),
    unary("expm1", lambda bk, x: bk.xp.expm1(x), lambda g, y, x: g * (y + 1), "e^x - 1, accurate near 0"),
    unary("log", lambda bk, x: bk.xp.log(x), lambda g, y, x: g / x, "natural logarithm", "positive"),
    unary("log1p", lambda bk, x: bk.xp.log1p(x), lambda g, y, x: g / (1 + x), "log(1 + x), accurate near 0",
          "positive"),
    unary("log2", lambda bk, x: bk.xp.log2(x), lambda g, y, x: g / (x * math.log(2)), "base-2 logarithm",
          "positive"),
    unary("log10", lambda bk, x: bk.xp.log10(x), lambda g, y, x: g / (x * math.log(10)), "base-10 logarithm",
          "positive"),
    unary("sin", lambda bk, x: bk.xp.sin(x), lambda g, y, x: g * F.cos(x), "sine"),
    unary("cos", lambda bk, x: bk.xp.cos(x), lambda g, y, x: -g * F.sin(x), "cosine"),
    unary("tan", lambda bk, x: bk.xp.tan(x), lambda g, y, x: g * (1 + y * y), "tangent", "unit"),
    unary("asin", lambda bk, x: bk.xp.arcsin(x), lambda g, y, x: g / F.sqrt(1 - x * x), "inverse sine", "unit"),
    unary("acos", lambda bk, x: bk.xp.arccos(x), lambda g, y, x: -g / F.sqrt(1 - x * x), "inverse cosine", "unit"),
    unary("atan", lambda bk, x: bk.xp.arctan(x), lambda g, y, x: g / (1 + x * x), "inverse tangent"),
    unary("sinh", lambda bk, x: bk.xp.sinh(x), lambda g, y, x: g * F.cosh(x), "hyperbolic sine"),
    unary("cosh", lambda bk, x: bk.xp.cosh(x), lambda g, y, x: g * F.sinh(x), "hyperbolic cosine"),
    unary("tanh", lambda bk, x: bk.xp.tanh(x), lambda g, y, x: g * (1 - y * y), "hyperbolic tangent"),
    unary("asinh", lambda bk, x: bk.xp.arcsinh(x), lambda g, y, x: g / F.sqrt(x * x + 1), "inverse hyperbolic sine"),
    unary("acosh", lambda bk, x: bk.xp.arccosh(x), lambda g, y, x: g / F.sqrt(x * x - 1),
          "inverse hyperbolic cosine", "gt1"),
    unary("atanh", lambda bk, x: bk.xp.arctanh(x), lambda g, y, x: g / (1 - x * x), "inverse hyperbolic tangent",
          "unit"),
    unary("sigmoid", lambda bk, x: _sigmoid(bk.xp, x), lambda g, y, x: g * y * (1 - y),
          "1 / (1 + e^-x), without overflow"),
    unary("relu", lambda bk, x: bk.xp.maximum(x, 0), lambda g, y, x: F.where(x > 0, g, 0.0),
          "max(x, 0); the gradient at 0 is 0, as in PyTorch", kinks=(((0.0,), {}, (0.0,)),), smooth=False),
    unary("softplus", lambda bk, x: bk.xp.maximum(x, 0) + bk.xp.log1p(bk.xp.exp(-bk.xp.abs(x))),
          lambda g, y, x: g * F.sigmoid(x), "log(1 + e^x), without overflow"),
    unary("erf", lambda bk, x: bk.erf(x), lambda g, y, x: g * (2 / math.sqrt(math.pi)) * F.exp(-x * x),
          "error function"),
    unary("reciprocal", lambda bk, x: 1 / x, lambda g, y, x: -g * y * y, "1 / x", "nonzero"),
    unary("floor", lambda bk, x: bk.xp.floor(x), None, "round down (gradient 0)"),
    unary("ceil", lambda bk, x: bk.xp.ceil(x), None, "round up (gradient 0)"),
    unary("round", lambda bk, x: bk.xp.round(x), None, "round half to even (gradient 0)"),
]
