"""`gradcli plot`: the program's scalar result f as a function of one scalar
input over [A, B], with its derivative computed by reverse-mode autograd at
each point (not finite differences), drawn in the terminal in braille by
hand: f as a solid line, df/dx dotted, so the two read apart without color
too. Each point is its own run of the program, so a program that reduces or
reshapes its input behaves exactly as it would at that one value."""
from __future__ import annotations

import math
from dataclasses import dataclass

import click

from gradcli.cli import boundary, common_options, options_from, parse_at, program_options, read_program

EXAMPLE = '\b\nExamples:\n  gradcli plot "sin(x)" --at x=-3:3\n  gradcli plot "x^3 - 3*x" --at x=-pi:pi --points 200'
POINTS = 121        # the default: the range in 120 equal steps, ends included
HEIGHT = 16         # rows of the chart (4 braille dots each)
MAX_WIDTH = 100     # columns of the chart on a wide terminal (2 dots each)


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
    from gradcli.errors import GradcliError, UsageError
    from gradcli.parse import parse_expression
    given = f"{option}{a}:{b}"
    if not a or not b:
        raise UsageError(f"{given}: expected A:B with both ends given", hint=f"e.g. {option}-3:3")
    ends = []
    for which, text in (("start", a), ("end", b)):
        session = api.setup({})
        try:
            t = session.eval(parse_expression(text))
        except GradcliError as e:
            raise e.locate(text, option.rstrip("= "))
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


# ---- sampling
def sample(opts, source: str, origin, name: str, lo: float, hi: float, at: dict, n: int) -> Samples:
    """f and df/dx at n evenly spaced points, each from its own run of the program."""
    import numpy

    from gradcli import api, autograd
    from gradcli.errors import GradcliError, NotScalarError
    xs = numpy.linspace(lo, hi, n)
    f = numpy.empty(n)
    df = numpy.empty(n)
    depends = False
    session = None
    # Floating-point warnings are not printed: nan points are expected
    # here, and notes() counts them instead.
    program = api.parse_program(source, origin)
    for i, x in enumerate(xs):
        session = api.setup({**at, name: float(x)}, device=opts.device, dtype=opts.dtype, seed=opts.seed)
        xt = next(t for t in session.inputs if t.key == name)
        try:
            y = api.run_program(source, session, origin, program)
            if y.size != 1:
                raise NotScalarError.needed_by("plot", y.shape)
            g = autograd.gradients(y, [xt]).get(id(xt))
        except GradcliError as e:
            if e.kind not in ("syntax", "unknown_name", "usage", "not_scalar"):     # it may depend on the point
                e.message += f" (at {name} = {x:g})"
            raise
        xs[i] = xt.item()           # the point as the dtype holds it
        f[i] = y.item()
        df[i] = g.item() if g is not None else 0.0
        depends = depends or g is not None
    return Samples(source, name, lo, hi, xs, f, df, session.bk.dtype_name, depends)


# ---- drawing
_BITS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))   # braille dot (row, column) -> bit
DASH = (1, 2)       # df/dx: dots on, dots off, along the curve (dotted)


class Canvas:
    """Braille cells: 2 dots across and 4 down each; one layer per curve."""

    def __init__(self, width: int, height: int, layers: int):
        self.w, self.h = width, height
        self.cells = [[[0] * width for _ in range(height)] for _ in range(layers)]

    def dot(self, layer: int, px: int, py: int) -> None:
        if 0 <= px < 2 * self.w and 0 <= py < 4 * self.h:
            self.cells[layer][py // 4][px // 2] |= _BITS[py % 4][px % 2]

    def curve(self, layer: int, points, dash=None) -> None:
        """Join consecutive points (pixel coordinates, None for a gap) with lines."""
        step = 0
        prev = None
        for p in points:
            if p is None:
                prev = None
                continue
            if prev is None:
                segment = [p]
            elif (prev[1] < 0 and p[1] > 4 * self.h) or (p[1] < 0 and prev[1] > 4 * self.h):
                segment = [p]               # from off the top to off the bottom in one step: a pole, not a line
            else:
                a, b = self.clip(prev, p)
                n = int(math.ceil(max(abs(b[0] - a[0]), abs(b[1] - a[1]), 1)))
                segment = [(a[0] + (b[0] - a[0]) * k / n, a[1] + (b[1] - a[1]) * k / n) for k in range(1, n + 1)]
            for px, py in segment:
                if dash is None or step % sum(dash) < dash[0]:
                    self.dot(layer, int(round(px)), int(round(py)))
                step += 1
            prev = p


    def clip(self, a, b):
        """The part of the line from a to b that crosses the canvas (a point
        off it when none does), so that a point far off (--ylim) costs nothing."""
        lo_t, hi_t = 0.0, 1.0
        for d, start, size in ((b[0] - a[0], a[0], 2 * self.w), (b[1] - a[1], a[1], 4 * self.h)):
            if d == 0:
                if not -1 <= start <= size:
                    return (-2, -2), (-2, -2)
                continue
            t0, t1 = (-1 - start) / d, (size - start) / d
            lo_t, hi_t = max(lo_t, min(t0, t1)), min(hi_t, max(t0, t1))
        if lo_t > hi_t:
            return (-2, -2), (-2, -2)
        return ((a[0] + (b[0] - a[0]) * lo_t, a[1] + (b[1] - a[1]) * lo_t),
                (a[0] + (b[0] - a[0]) * hi_t, a[1] + (b[1] - a[1]) * hi_t))


def nice_ticks(lo: float, hi: float, most: int) -> list[float]:
    """The most round numbers (1, 2, 2.5 or 5 times a power of ten) apart
    by one step that fit in [lo, hi] and number at most `most`."""
    span = hi - lo
    if span <= 0 or not math.isfinite(span):
        return [lo]
    power = 10.0 ** (math.floor(math.log10(span / most)) - 1)
    for _ in range(5):
        for m in (1, 2, 2.5, 5):
            step = m * power
            first, last = math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9)
            if last - first + 1 <= most:
                return [round(i * step, 12) + 0.0 for i in range(first, last + 1)]
        power *= 10
    return [lo, hi]


def y_range(s: Samples, ylim=None) -> tuple[float, float]:
    """Every finite value of both curves, with a little room; or --ylim."""
    import numpy
    if ylim is not None:
        return ylim
    both = numpy.concatenate([s.f, s.df])
    finite = both[numpy.isfinite(both)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (-1.0, 1.0)
    if hi - lo < 1e-12 * max(1.0, abs(lo), abs(hi)):     # a constant: centre it
        pad = max(abs(lo) * 0.5, 1.0)
        return lo - pad, hi + pad
    margin = (hi / 2 - lo / 2) * 0.1        # halves: hi - lo may overflow
    big = numpy.finfo(float).max
    return max(lo - margin, -big), min(hi + margin, big)


def draw(s: Samples, width: int, height: int, precision: int, color: bool = True, ylim=None):
    """The chart as rich Text: legend, y axis with ticks, the curves, x axis."""
    from rich.text import Text

    lo, hi = y_range(s, ylim)
    digits = min(precision, 4)
    yticks = nice_ticks(lo, hi, max(3, height // 3))
    ylabels = tick_labels(yticks, digits)
    lw = max(len(t) for t in ylabels)
    plot_w = max(16, min(MAX_WIDTH, width - lw - 3))

    def px(x):
        return (x - s.lo) / (s.hi - s.lo) * (2 * plot_w - 1)

    def py(v):
        return (hi / 2 - v / 2) / (hi / 2 - lo / 2) * (4 * height - 1)

    canvas = Canvas(plot_w, height, 2)
    for layer, values in enumerate((s.f, s.df)):
        canvas.curve(layer, [(px(x), py(v)) if math.isfinite(v) else None for x, v in zip(s.xs, values)],
                     dash=DASH if layer else None)
    tick_rows = {}
    for t, label in zip(yticks, ylabels):
        tick_rows.setdefault(int(round(py(t))) // 4, label)
    zero_row = int(round(py(0.0))) // 4 if lo < 0 < hi else None
    zero_col = int(round(px(0.0))) // 2 if s.lo < 0 < s.hi else None

    styles = ("cyan", "magenta") if color else ("", "")
    out = Text()
    out.append_text(legend(s, plot_w + lw + 2, styles))
    for r in range(height):
        out.append("\n")
        out.append(f"{tick_rows.get(r, ''):>{lw}} ", style="dim")
        out.append("┤" if r in tick_rows else "│", style="dim")
        for c in range(plot_w):
            f_bits, d_bits = canvas.cells[0][r][c], canvas.cells[1][r][c]
            if f_bits or d_bits:
                out.append(chr(0x2800 + (f_bits | d_bits)), style=styles[0] if f_bits else styles[1])
            elif r == zero_row:
                out.append("┈", style="dim")
            elif c == zero_col:
                out.append("┊", style="dim")
            else:
                out.append(" ")
    out.append("\n")
    out.append_text(x_axis(s, plot_w, lw, digits))
    return out


def tick_labels(ticks, digits: int) -> list[str]:
    """Numbers as short as they can be while telling the ticks apart."""
    from gradcli.render import format as fmt
    for p in range(digits, 16):
        labels = [fmt.number(t, p) for t in ticks]
        if len(set(labels)) == len(labels):
            return labels
    return labels


def legend(s: Samples, width: int, styles):
    from rich.text import Text
    statements = [line.split("#")[0].strip() for line in s.program.replace(";", "\n").splitlines()]
    program = ([st for st in statements if st] or [""])[-1]     # the result; earlier lines define its names
    room = max(10, width - 10)
    if len(program) > room:
        program = program[:room - 1] + "…"
    out = Text()
    out.append(_sample_line(None), style=styles[0])
    out.append(f" f({s.name}) = {program}")
    out.append("   " if len(out) + 28 + 2 * len(s.name) <= width else "\n")
    out.append(_sample_line(DASH), style=styles[1])
    out.append(f" df/d{s.name}, by autograd")
    return out


def _sample_line(dash) -> str:
    c = Canvas(4, 1, 1)
    c.curve(0, [(0, 1), (7, 1)], dash=dash)
    return "".join(chr(0x2800 + b) if b else "⠀" for b in c.cells[0][0])


def x_axis(s: Samples, plot_w: int, lw: int, digits: int):
    from rich.text import Text
    ticks = nice_ticks(s.lo, s.hi, max(2, plot_w // 10))
    labels = tick_labels(ticks, digits)
    cols = [int(round((t - s.lo) / (s.hi - s.lo) * (2 * plot_w - 1))) // 2 for t in ticks]
    axis = ["─"] * plot_w
    row = [" "] * (plot_w + 1)
    for col, label in zip(cols, labels):
        axis[col] = "┬"
        start = min(max(col - len(label) // 2, 0), len(row) - len(label))
        if all(ch == " " for ch in row[max(start - 1, 0):start + len(label) + 1]):
            row[start:start + len(label)] = label
    pad = " " * (lw + 1)
    out = Text(pad + "└" + "".join(axis), style="dim")
    out.append("\n" + pad + " " + "".join(row).rstrip(), style="dim")
    out.append("\n" + pad + " " + s.name.center(plot_w).rstrip(), style="bold")
    return out


def notes(s: Samples, precision: int, ylim=None) -> list[str]:
    import numpy

    from gradcli.render import format as fmt
    out = [f"{len(s.xs)} points on [{fmt.number(s.lo, precision)}, {fmt.number(s.hi, precision)}]; "
           f"df/d{s.name} by autograd at each point, not finite differences"]
    if not s.depends:
        out.append(f"f does not depend on {s.name}: df/d{s.name} is 0 everywhere")
    for what, v in (("f", s.f), (f"df/d{s.name}", s.df)):
        bad = int((~numpy.isfinite(v)).sum())
        if bad:
            out.append(f"{what} is nan or infinite at {bad} of {len(v)} points: not drawn (--json keeps them)")
        if ylim is not None:
            off = int(((v < ylim[0]) | (v > ylim[1])).sum())
            if off:
                out.append(f"{what} leaves the chart (--ylim) at {off} of {len(v)} points")
    return out


def to_json(s: Samples) -> dict:
    from gradcli.render.format import jsonable
    return {"program": s.program, "input": s.name, "range": [s.lo, s.hi], "points": len(s.xs), "dtype": s.dtype,
            "xs": jsonable(s.xs), "f": jsonable(s.f), "df": jsonable(s.df)}


@click.command("plot", epilog=EXAMPLE)
@program_options
@click.option("--points", type=click.IntRange(2, 10_000), default=POINTS, show_default=True,
              help="Points sampled over the range, ends included.")
@click.option("--height", type=click.IntRange(4, 100), default=HEIGHT, show_default=True,
              help="Rows of the chart.")
@click.option("--ylim", metavar="LO:HI", default=None,
              help="The range of the vertical axis (default: every finite value of f and df/dx).")
@common_options
def command(program, file, at, points, height, ylim, **kw):
    """f and its derivative over a range (--at x=A:B), drawn in the terminal."""
    opts = options_from(kw)

    def work():
        import os
        from rich.text import Text
        from gradcli.errors import UsageError
        from gradcli.render import jsonout
        source, origin = read_program(program, file)
        (name, a, b), others = split_range(at)
        lo, hi = parse_range(f"--at {name}=", a, b)
        limits = None
        if ylim is not None:
            parts = _top_level_split(ylim)
            if len(parts) != 2:
                raise UsageError(f"--ylim {ylim}: expected LO:HI", hint="e.g. --ylim -2:2")
            limits = parse_range("--ylim ", parts[0].strip(), parts[1].strip())
        fixed = parse_at(others)
        if name in fixed:
            raise UsageError(f"--at {name} is given twice: as a range and as a value")
        s = sample(opts, source, origin, name, lo, hi, fixed, points)
        if opts.json:
            jsonout.dump(to_json(s))
            return
        color = not (opts.no_color or os.environ.get("NO_COLOR"))
        opts.out.print(draw(s, opts.out.width, height, opts.precision, color, limits), soft_wrap=True)
        for line in notes(s, opts.precision, limits):
            opts.out.print(Text(line, style="dim"))
    boundary(opts, work)
