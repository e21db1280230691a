"""Autograd against central finite differences, in float64.

The step for each element is scaled to its magnitude, h = eps^(1/3)·max(1, |x|),
which balances truncation against rounding error for central differences.
One-sided differences are kept too: where they disagree the function has a
kink there, and autograd's value is a convention (PyTorch's), not an error."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy

EPS = float(numpy.finfo(numpy.float64).eps) ** (1 / 3)


@dataclass
class Comparison:
    name: str
    autograd: numpy.ndarray
    numeric: numpy.ndarray
    abs_err: float
    rel_err: float
    ok: bool
    kinks: list = field(default_factory=list)   # (index, left slope, right slope)


def numeric_gradient(f: Callable[[list], float], xs: list, which: int):
    """Central, left and right differences of scalar f w.r.t. xs[which]."""
    x = numpy.array(xs[which], dtype=numpy.float64)
    central, left, right = (numpy.zeros_like(x) for _ in range(3))
    args = [numpy.array(a, dtype=numpy.float64) for a in xs]
    f0 = None
    for idx in numpy.ndindex(x.shape):
        h = EPS * max(1.0, abs(x[idx]))
        plus, minus = x.copy(), x.copy()
        plus[idx] += h
        minus[idx] -= h
        args[which] = plus
        fp = f(args)
        args[which] = minus
        fm = f(args)
        if f0 is None:
            args[which] = x
            f0 = f(args)
        central[idx] = (fp - fm) / (2 * h)
        right[idx] = (fp - f0) / h
        left[idx] = (f0 - fm) / h
    args[which] = x
    return central, left, right


def compare(name: str, auto, central, left, right, tol: float) -> Comparison:
    auto = numpy.asarray(auto, dtype=numpy.float64)
    diff = numpy.abs(auto - central)
    scale = numpy.maximum(numpy.abs(central), 1.0)
    abs_err = float(diff.max()) if diff.size else 0.0
    rel_err = float((diff / scale).max()) if diff.size else 0.0
    ok = bool(numpy.all(diff <= tol * scale)) and not numpy.any(numpy.isnan(auto) != numpy.isnan(central))
    kinks = []
    # A kink: the one-sided slopes differ by far more than the step's error.
    for idx in numpy.ndindex(central.shape):
        if abs(left[idx] - right[idx]) > 1e-3 * max(1.0, abs(left[idx]), abs(right[idx])):
            kinks.append((idx, float(left[idx]), float(right[idx])))
    return Comparison(name, auto, central, abs_err, rel_err, ok, kinks)


def check_function(f: Callable[[list], float], xs: list, autograds: list, names: list[str],
                   tol: float = 1e-6) -> list[Comparison]:
    """Compare each autograd gradient of f with its finite differences."""
    out = []
    for i, (name, auto) in enumerate(zip(names, autograds)):
        central, left, right = numeric_gradient(f, xs, i)
        out.append(compare(name, auto, central, left, right, tol))
    return out
