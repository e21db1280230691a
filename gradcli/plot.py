"""`gradcli plot`: the program's scalar result f as a function of one scalar
input over [A, B], with its derivative computed by reverse-mode autograd at
each point (not finite differences); render/plot.py draws them. Each point
is computed as its own run of the program would compute it (a sweep, one
vectorized pass over all of them), so a program that reduces or reshapes
its input behaves exactly as it would at that one value."""
from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class Samples:
    program: str
    name: str
    lo: float
    hi: float
    xs: object          # host arrays: the points, and f and df/dx there (nan/inf kept)
    f: object
    df: object
    dtype: str
    depends: bool       # whether f depends on the input at all
    d2f: object = None  # --order 2: d2f/dx2 at each point, by autograd too

    def curves(self) -> dict:
        """The curves as drawn (key -> values, f first): a derivative is left
        out (nan) wherever f is nan or infinite. Autograd gives log(x) the
        derivative 1/x at x < 0, where log(x) is nan: the slope of a curve
        that is not there would mislead."""
        import numpy
        gone = ~numpy.isfinite(self.f)
        derivatives = {"df": self.df} if self.d2f is None else {"df": self.df, "d2f": self.d2f}
        return {"f": self.f, **{k: numpy.where(gone, numpy.nan, v) for k, v in derivatives.items()}}


# ---- the range
def split_range(at: tuple[str, ...]) -> tuple[tuple[str, str, str], tuple[str, ...]]:
    """The one --at NAME=A:B, and the other --at items."""
    from gradcli.errors import UsageError
    ranges, others = [], []
    for item in at:
        name, eq, value = item.partition("=")
        parts = _top_level_split(value) if eq and not value.strip().startswith("@") else [value]
        if len(parts) == 1:
            others.append(item)
        elif len(parts) == 2:
            ranges.append((name.strip(), parts[0].strip(), parts[1].strip()))
        else:
            raise UsageError(f"--at {item!r}: expected NAME=A:B, a range with one ':'",
                             hint="e.g. --at x=-3:3 or --at x=0:2*pi")
    if any(not r[0] for r in ranges):
        raise UsageError("--at =A:B: the range needs the input's name", hint="e.g. --at x=-3:3")
    if not ranges:
        raise UsageError("plot needs the range of one input: --at NAME=A:B",
                         hint='e.g. gradcli plot "sin(x)" --at x=-3:3')
    if len(ranges) > 1:
        names = ", ".join(r[0] for r in ranges)
        raise UsageError(f"plot draws along one input, but --at gives ranges for {names}",
                         hint="give the others a single value: --at w=2")
    return ranges[0], tuple(others)


def _top_level_split(text: str) -> list[str]:
    """Split at the colons outside brackets, so x[1:2] stays whole."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += 1 if ch in "([{" else -1 if ch in ")]}" else 0
        if ch == ":" and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    return parts + [text[start:]]


def parse_range(option: str, a: str, b: str) -> tuple[float, float]:
    """A:B as two finite numbers with A < B; each end may be an expression
    (-pi, 2*pi). `option` is how the user wrote its start: "--at x=", "--ylim "."""
    from gradcli import api
    from gradcli.errors import UsageError
    from gradcli.parse import parse_expression
    given = f"{option}{a}:{b}"
    if not a or not b:
        raise UsageError(f"{given}: expected A:B with both ends given", hint=f"e.g. {option}-3:3")
    ends = []
    for which, text in (("start", a), ("end", b)):
        session = api.setup({})
        session.unbound = "the ends of a range are numbers, or expressions of them and pi, e"
        t = session.eval(parse_expression(text, option.rstrip("= ")))
        if not hasattr(t, "size") or t.size != 1:
            what = f"an array of shape {t.shape}" if hasattr(t, "shape") else "a tuple"
            raise UsageError(f"{given}: the {which} of the range must be a number, not {what}")
        v = t.item()
        if not math.isfinite(v):
            raise UsageError(f"{given}: the {which} of the range must be finite, not {v}")
        ends.append(v)
    if not ends[0] < ends[1]:
        raise UsageError(f"{given}: the range is empty: its start must be less than its end",
                         hint=f"{option}{b}:{a}" if ends[0] > ends[1] else f"e.g. {option}-3:3")
    return ends[0], ends[1]


def ranges(at: tuple[str, ...], ylim: str | None):
    """The swept input and its range from the --at options, the other --at
    options, and the --ylim limits: (name, lo, hi, others, limits or None)."""
    from gradcli.errors import UsageError
    (name, a, b), others = split_range(at)
    lo, hi = parse_range(f"--at {name}=", a, b)
    limits = None
    if ylim is not None:
        parts = _top_level_split(ylim)
        if len(parts) != 2:
            raise UsageError(f"--ylim {ylim}: expected LO:HI", hint="e.g. --ylim -2:2")
        limits = parse_range("--ylim ", parts[0].strip(), parts[1].strip())
    if any(item.partition("=")[0].strip() == name for item in others):
        raise UsageError(f"--at {name} is given twice: as a range and as a value")
    return name, lo, hi, others, limits


# ---- sampling
def sample(opts, source: str, origin, name: str, lo: float, hi: float, at: dict, n: int,
           order: int = 1) -> Samples:
    """f and df/dx (and d2f/dx2 with order 2) at n evenly spaced points, in
    one vectorized pass of the program (gradcli/sweeps.py): each point as
    its own run would give it."""
    import numpy

    from gradcli.errors import NotScalarError
    from gradcli import sweeps
    # Floating-point warnings are not printed: nan points are expected
    # here, and notes() counts them instead.
    s = sweeps.run(source, {name: numpy.linspace(lo, hi, n)}, at, device=opts.device, dtype=opts.dtype,
              seed=opts.seed, origin=origin, order=order)
    if s.grads is None:
        raise NotScalarError.needed_by("plot", s.value.shape[1:])
    xs = s.at[name].astype(s.dtype).astype(float)       # the points as the dtype holds them
    return Samples(source, name, lo, hi, xs, s.value.reshape(n).astype(float), s.grads[name].reshape(n),
                   s.dtype, name in s.reads, None if s.second is None else s.second[name].reshape(n))
