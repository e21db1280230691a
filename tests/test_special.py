"""SPEC section 1, builtins: what the generated op checks (tests/test_ops.py)
do not reach in the special family: derivatives beyond the second, which the
rules get by calling one another, and sinc's derivatives at 0."""
from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.special

import gradcli
from gradcli.errors import ArgumentError

X = [0.7, 1.5, 3.0, -2.5]


def test_lgamma_differentiates_through_the_polygamma_ladder():
    """lgamma' = digamma, digamma' = polygamma(1, x), polygamma(n)' = polygamma(n + 1):
    the fourth derivative of lgamma is polygamma(3, x)."""
    r = gradcli.evaluate("grad(sum(grad(sum(grad(sum(grad(sum(lgamma(x)), x)), x)), x)), x)", x=X)
    np.testing.assert_allclose(r.value, scipy.special.polygamma(3, X), rtol=1e-13)


def test_sinc_at_zero_has_its_true_derivatives():
    """1, 0 and -π²/3, then 0 (sinc is even): PyTorch's second derivative there is nan."""
    derivatives = ["sinc(x)", "grad(sinc(x), x)", "grad(grad(sinc(x), x), x)", "grad(grad(grad(sinc(x), x), x), x)"]
    got = [float(gradcli.evaluate(p, x=0.0).value) for p in derivatives]
    assert got == pytest.approx([1.0, 0.0, -math.pi ** 2 / 3, 0.0], abs=1e-15)


def test_polygamma_takes_a_whole_order_from_zero():
    assert float(gradcli.evaluate("polygamma(0, x)", x=2.0).value) == pytest.approx(1 - np.euler_gamma, rel=1e-15)
    with pytest.raises(ArgumentError, match="polygamma: n .* >= 0, not -1"):
        gradcli.evaluate("polygamma(-1, x)", x=2.0)
