"""Autograd against central finite differences, in float64.

The step for each element is scaled to its magnitude, h = eps^(1/3)·max(1, |x|),
which balances truncation against rounding error for central differences.
One-sided differences are kept too: where they disagree the function has a
kink there, and autograd's value is a convention (PyTorch's), not an error.

Everything is judged element by element, and only an element that disagrees
is explained: a kink or a domain edge elsewhere in the array is no culprit.
Where one side of the step leaves the function's domain (sqrt at 0: x - h < 0
gives nan) while the point is inside it, the difference is taken on the other
side only, to second order. Where autograd's gradient is infinite, it agrees
with differences that grow without bound as the step shrinks."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy

EPS = float(numpy.finfo(numpy.float64).eps) ** (1 / 3)
SHRINK = (1, 4, 16)         # steps h/k that tell a diverging or converging difference from noise: an infinite
                            # derivative's differences keep growing
GROWTH = 1.5                # ... each at least this many times the last (|x|^(1/2) at 0 doubles per h/4)
CONVERGE = 3                # elements of one input that disagree unexplained, tried at smaller steps


def step(x: float) -> float:
    return EPS * max(1.0, abs(x))


@dataclass
class Comparison:
    """One input's two gradients, and what is known about the elements that
    disagree. An index is a tuple (() for a scalar input)."""
    name: str
    autograd: numpy.ndarray
    numeric: numpy.ndarray
    abs_err: float | None               # over the elements compared as numbers (None: there were none)
    rel_err: float | None
    ok: bool
    kinks: list = field(default_factory=list)       # (index, left slope, right slope): disagrees, step crosses a kink
    one_sided: list = field(default_factory=list)   # (index, side): +1 steps right only (x - h is outside the
                                                    # domain), -1 left only
    infinite: list = field(default_factory=list)    # (index, differences at SHRINK steps): autograd's ±inf, and
                                                    # differences that grow with its sign (agrees)
    settles: list = field(default_factory=list)     # (index, differences at SHRINK steps): autograd's ±inf, and
                                                    # differences that do not grow (disagrees)
    converges: list = field(default_factory=list)   # (index, errors at SHRINK steps): disagrees, but the
                                                    # differences close in on autograd as the step shrinks
    mismatches: list = field(default_factory=list)  # indexes of the elements that disagree, in order
    steps: numpy.ndarray | None = None              # the step h taken at each element

    def where(self, idx: tuple) -> str:
        """An element's name: x, or x[1, 0]."""
        return f"{self.name}[{', '.join(map(str, idx))}]" if idx else self.name

    def outside(self, idx: tuple, side: int) -> str:
        """The point a one-sided difference left out: x - h when it steps right."""
        return f"{self.where(idx)} {'-' if side > 0 else '+'} h"


@dataclass
class Slopes:
    """The finite differences of f at each element of one input."""
    estimate: numpy.ndarray     # central, or one-sided where `side` says so
    left: numpy.ndarray         # (f(x) - f(x - h)) / h
    right: numpy.ndarray        # (f(x + h) - f(x)) / h
    side: numpy.ndarray         # 0 central; +1 right only; -1 left only
    h: numpy.ndarray            # the step


class Probe:
    """f as a function of one element of one input, the others held."""

    def __init__(self, f: Callable[[list], float], xs: list, which: int):
        self.f, self.which = f, which
        self.args = [numpy.array(a, dtype=numpy.float64) for a in xs]
        self.x = self.args[which]
        self.f0 = self.f(self.args) if self.x.size else None

    def at(self, idx: tuple, t: float) -> float:
        """f with element idx moved by t."""
        moved = self.x.copy()
        moved[idx] += t
        self.args[self.which] = moved
        try:
            return self.f(self.args)
        finally:
            self.args[self.which] = self.x

    def difference(self, idx: tuple, h: float, side: int | None = None) -> tuple[float, float, float, int]:
        """(estimate, left slope, right slope, side) with step h: central,
        unless one side of the step leaves f's domain while the point is
        inside it (or `side` asks for one side)."""
        f0, fp, fm = self.f0, self.at(idx, h), self.at(idx, -h)
        left, right = (f0 - fm) / h, (fp - f0) / h
        if side is None:
            side = 0
            if numpy.isfinite(f0) and numpy.isfinite(fp) != numpy.isfinite(fm):
                side = 1 if numpy.isfinite(fp) else -1
        if side == 0:
            return (fp - fm) / (2 * h), left, right, 0
        near = fp if side == 1 else fm
        far = self.at(idx, 2 * side * h)
        if not numpy.isfinite(far):         # first order, if the second point is outside too
            return side * (near - f0) / h, left, right, side
        return side * (-3 * f0 + 4 * near - far) / (2 * h), left, right, side

    def slopes(self) -> Slopes:
        """The differences at every element of the input."""
        x = self.x
        out = Slopes(*(numpy.zeros_like(x) for _ in range(3)), numpy.zeros(x.shape, dtype=numpy.int8),
                     numpy.zeros_like(x))
        for idx in numpy.ndindex(x.shape):
            out.h[idx] = step(x[idx])
            out.estimate[idx], out.left[idx], out.right[idx], out.side[idx] = self.difference(idx, out.h[idx])
        return out


def compare(name: str, auto, slopes: Slopes, tol: float, probe: Probe | None = None) -> Comparison:
    """Autograd's gradient against the differences, element by element. An
    element agrees within tol·max(1, |numeric|); where autograd is ±inf, it
    agrees when the differences keep growing with that sign as the step
    shrinks. Smaller steps are asked of probe (without one, an infinite
    gradient disagrees, and nothing is said about convergence)."""
    auto = numpy.asarray(auto, dtype=numpy.float64)
    central = slopes.estimate
    c = Comparison(name, auto, central, None, None, True, steps=slopes.h)
    diff = numpy.abs(auto - central)
    scale = numpy.maximum(numpy.abs(central), 1.0)
    bad = numpy.array(~(diff <= tol * scale))                    # nan differences disagree too...
    bad &= ~(numpy.isnan(auto) & numpy.isnan(central))           # ...unless both are nan
    compared = numpy.isfinite(auto) & numpy.isfinite(central)
    for idx in (i for i in numpy.ndindex(auto.shape) if numpy.isinf(auto[i])):
        ladder = _ladder(probe, slopes, idx) if probe is not None else []
        growing = len(ladder) == len(SHRINK) and all(
            numpy.isfinite(d) and numpy.sign(d) == numpy.sign(auto[idx]) for d in ladder) and all(
            abs(b) >= GROWTH * abs(a) for a, b in zip(ladder, ladder[1:]))
        (c.infinite if growing else c.settles).append((idx, ladder))
        bad[idx] = not growing
    if compared.any():
        c.abs_err = float(diff[compared].max())
        c.rel_err = float((diff / scale)[compared].max())
    c.mismatches = [idx for idx in numpy.ndindex(central.shape) if bad[idx]]
    c.one_sided = [(idx, int(slopes.side[idx])) for idx in numpy.ndindex(central.shape) if slopes.side[idx]]
    _explain(c, slopes, probe, compared)
    c.ok = not c.mismatches
    return c


def _explain(c: Comparison, slopes: Slopes, probe: Probe | None, compared) -> None:
    """Kinks and convergence, for the elements that disagree. A kink: the
    one-sided slopes differ by far more than the step's error. Otherwise,
    for the first few, whether the differences close in on autograd as the
    step shrinks (then the step, not the rule, is at fault)."""
    tried = 0
    for idx in c.mismatches:
        left, right = slopes.left[idx], slopes.right[idx]
        if abs(left - right) > 1e-3 * max(1.0, abs(left), abs(right)):
            c.kinks.append((idx, float(left), float(right)))
        elif probe is not None and compared[idx] and tried < CONVERGE:
            tried += 1
            errors = [abs(d - c.autograd[idx]) for d in _ladder(probe, slopes, idx)]
            if all(b <= a / 2 for a, b in zip(errors, errors[1:])):
                c.converges.append((idx, errors))


def _ladder(probe: Probe, slopes: Slopes, idx: tuple) -> list[float]:
    """The differences at element idx with steps h/k for k in SHRINK, on the
    same side(s) as at h."""
    h, side = slopes.h[idx], int(slopes.side[idx])
    return [float(slopes.estimate[idx])] + [float(probe.difference(idx, h / k, side)[0]) for k in SHRINK[1:]]


def check_function(f: Callable[[list], float], xs: list, autograds: list, names: list[str],
                   tol: float = 1e-6) -> list[Comparison]:
    """Compare each autograd gradient of f with its finite differences."""
    out = []
    for i, (name, auto) in enumerate(zip(names, autograds)):
        probe = Probe(f, xs, i)
        out.append(compare(name, auto, probe.slopes(), tol, probe))
    return out
