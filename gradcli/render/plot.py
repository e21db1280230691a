"""The chart of `gradcli plot`, drawn in the terminal in braille by hand: f
as a solid line, df/dx dotted and d2f/dx2 (--order 2) dashed, so they read
apart without color too; its legend, notes and the samples as JSON. The
picture in a file (--output) is render/figure.py's."""
from __future__ import annotations

import math

from gradcli.plot import Samples

MAX_WIDTH = 100     # columns of the chart on a wide terminal (2 dots each)
_BITS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))   # braille dot (row, column) -> bit
# Each curve's dots on and off along it (None: solid), and its color.
DASHES = {"f": None, "df": (1, 2), "d2f": (4, 3)}
STYLES = {"f": "cyan", "df": "magenta", "d2f": "green"}


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


def pixels(xs, values, px, py, columns: int) -> list:
    """A curve's points in dots, None at a gap (a value not finite). Samples
    denser than the dot columns keep, in each column, their first, lowest,
    highest and last (M4 decimation): the lines joining them light the same
    dots, and 10,000 samples cost what a few hundred do."""
    import numpy
    xs, values = numpy.asarray(xs, dtype=float), numpy.asarray(values, dtype=float)
    finite = numpy.isfinite(values)
    keep = numpy.arange(len(values))
    if len(values) > 4 * columns:
        col = numpy.floor(px(xs)).astype(int)
        starts = numpy.flatnonzero(numpy.r_[True, (col[1:] != col[:-1]) | (finite[1:] != finite[:-1])])
        ends = numpy.r_[starts[1:], len(values)]
        kept = []
        for a, b in zip(starts, ends):
            chunk = values[a:b]
            picks = {a, b - 1} if not finite[a] else {a, b - 1, a + int(chunk.argmin()), a + int(chunk.argmax())}
            kept += sorted(picks)
        keep = numpy.asarray(kept)
    return [(px(xs[i]), py(values[i])) if finite[i] else None for i in keep]


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
    """Every finite value of the curves as drawn, with a little room; or --ylim."""
    import numpy
    if ylim is not None:
        return ylim
    drawn = numpy.concatenate(list(s.curves().values()))
    finite = drawn[numpy.isfinite(drawn)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (-1.0, 1.0)
    if hi - lo < 1e-12 * max(1.0, abs(lo), abs(hi)):     # a constant: centre it
        pad = max(abs(lo) * 0.5, 1.0)
        return lo - pad, hi + pad
    margin = (hi / 2 - lo / 2) * 0.1        # halves: hi - lo may overflow
    big = numpy.finfo(float).max
    return max(lo - margin, -big), min(hi + margin, big)


def show(opts, s: Samples, height: int, ylim=None, output=None) -> None:
    """What plot prints: the JSON document (--json), or where the chart was
    written (--output; its notes are in the picture), or the chart and its notes."""
    import os

    from rich.text import Text

    from gradcli.render import jsonout
    if opts.json:
        jsonout.dump(to_json(s))
    elif output:
        opts.out.print(f"wrote {output}: {', '.join(symbols(s).values())} at {len(s.xs)} points",
                       markup=False, highlight=False, soft_wrap=True)
    else:
        color = not (opts.no_color or os.environ.get("NO_COLOR"))
        opts.out.print(draw(s, opts.out.width, height, opts.precision, color, ylim), soft_wrap=True)
        for line in notes(s, opts.precision, ylim):
            opts.out.print(Text(line, style="dim"))


def draw(s: Samples, width: int, height: int, precision: int, color: bool = True, ylim=None):
    """The chart as rich Text: legend, y axis with ticks, the curves, x axis."""
    import numpy
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

    curves = s.curves()
    canvas = Canvas(plot_w, height, len(curves))
    for layer, (key, values) in enumerate(curves.items()):
        canvas.curve(layer, pixels(s.xs, values, px, py, 2 * plot_w), dash=DASHES[key])
    tick_rows = {}
    for t, label in zip(yticks, ylabels):
        tick_rows.setdefault(int(round(py(t))) // 4, label)
    zero_row = int(round(py(0.0))) // 4 if lo < 0 < hi else None
    zero_col = int(round(px(0.0))) // 2 if s.lo < 0 < s.hi else None

    styles = [STYLES[key] if color else "" for key in curves]
    out = Text()
    out.append_text(legend(s, plot_w + lw + 2, styles))
    for r in range(height):
        out.append("\n")
        out.append(f"{tick_rows.get(r, ''):>{lw}} ", style="dim")
        out.append("┤" if r in tick_rows else "│", style="dim")
        for c in range(plot_w):
            bits = [layer[r][c] for layer in canvas.cells]
            if any(bits):       # a cell that curves share takes the first one's color
                style = next(st for b, st in zip(bits, styles) if b)
                out.append(chr(0x2800 + int(numpy.bitwise_or.reduce(bits))), style=style)
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


def labels(s: Samples, room: int) -> dict:
    """What each curve is, by key, as the legends say it: f by the program's
    result (cut to `room` characters), the derivatives "by autograd"."""
    statements = [line.split("#")[0].strip() for line in s.program.replace(";", "\n").splitlines()]
    program = ([st for st in statements if st] or [""])[-1]     # the result; earlier lines define its names
    if len(program) > room:
        program = program[:room - 1] + "…"
    return {key: f"f({s.name}) = {program}" if key == "f" else f"{symbol}, by autograd"
            for key, symbol in symbols(s).items()}


def symbols(s: Samples) -> dict:
    """Each curve's symbol, by key: f, df/dx and (--order 2) d²f/dx²."""
    out = {"f": "f", "df": f"df/d{s.name}"}
    if s.d2f is not None:
        out["d2f"] = f"d²f/d{s.name}²"
    return out


def legend(s: Samples, width: int, styles):
    """A sample of each curve's line and what it is, on as few lines as fit."""
    from rich.text import Text
    out, line = Text(), 0
    for (key, label), style in zip(labels(s, max(10, width - 10)).items(), styles):
        if line:        # after the entry before: on its line if this one fits there
            line = 0 if line + 3 + 5 + len(label) > width else line + 3
            out.append("   " if line else "\n")
        out.append(_sample_line(DASHES[key]), style=style)
        out.append(f" {label}")
        line += 5 + len(label)
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
    """What the chart does not show by itself: the points, how the derivatives
    were found, and the points left out (and why)."""
    import numpy

    from gradcli.render import format as fmt
    names = symbols(s)
    curves = s.curves()
    derivatives = " and ".join(names[k] for k in curves if k != "f")
    verb = "is" if len(curves) == 2 else "are"
    n = len(s.xs)
    out = [f"{n} points on [{fmt.number(s.lo, precision)}, {fmt.number(s.hi, precision)}]; "
           f"{derivatives} by autograd{' at each point' if len(curves) == 2 else ''}, not finite differences"]
    if not s.depends:
        out.append(f"f does not depend on {s.name}: {derivatives} {verb} 0 everywhere")
    gone = ~numpy.isfinite(s.f)
    if gone.any():
        out.append(f"f is nan or infinite at {int(gone.sum())} of {n} points: not drawn (--json keeps them)")
        out.append(f"{derivatives} {verb} not drawn there either: no slope where f has no value")
    for key, v in curves.items():
        bad = int((~numpy.isfinite(v) & ~gone).sum())
        if key != "f" and bad:
            out.append(f"{names[key]} is nan or infinite at {bad} of {n} points where f is finite: not drawn")
        if ylim is not None:
            off = int((numpy.isfinite(v) & ((v < ylim[0]) | (v > ylim[1]))).sum())     # nan/inf: counted above
            if off:
                out.append(f"{names[key]} leaves the chart (--ylim) at {off} of {n} points")
    return out


def to_json(s: Samples) -> dict:
    from gradcli.render.format import jsonable
    doc = {"program": s.program, "input": s.name, "range": [s.lo, s.hi], "points": len(s.xs), "dtype": s.dtype,
           "xs": jsonable(s.xs), "f": jsonable(s.f), "df": jsonable(s.df)}
    if s.d2f is not None:
        doc["d2f"] = jsonable(s.d2f)
    return doc
