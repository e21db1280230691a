"""The chart of `gradcli plot` in a file (--output NAME.svg or .png), for a
person to keep: the curves the terminal chart draws, with the same legend
and notes, drawn with matplotlib (the optional extra gradcli[plot]).
matplotlib is imported here only, when a file is asked for, and used
through a Figure object alone: pyplot would keep global state and may pick
a window backend; a Figure saves straight to the file."""
from __future__ import annotations

import os

from gradcli.errors import UsageError
from gradcli.plot import Samples

FORMATS = (".svg", ".png")
MARKS = 10          # markers along each curve: enough to tell them apart, few enough to keep the line clean
# Each curve differs in line style and marker as well as color, so the
# picture reads in grey (printed, or to a reader who does not see the colors).
LOOKS = {"f": {"linestyle": "-", "marker": "o", "color": "#1f77b4"},
         "df": {"linestyle": "--", "marker": "^", "color": "#d62728"},
         "d2f": {"linestyle": ":", "marker": "s", "color": "#2ca02c"}}
PROGRAM_ROOM = 60   # characters of the program shown in the legend and title


def check(path: str) -> str:
    """The file's format ("svg" or "png") from its name, before any work is
    done: an unknown extension, or no matplotlib to draw with, is a usage error."""
    ext = os.path.splitext(path)[1].lower()
    if ext not in FORMATS:
        raise UsageError(f"--output {path}: a chart is written as {' or '.join(FORMATS)}",
                         hint="name the file by its format: plot.svg (for a browser) or plot.png")
    _figure_class()
    return ext[1:]


def _figure_class():
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise UsageError("--output draws the chart with matplotlib, which is not installed",
                         hint="pip install 'gradcli[plot]'") from None
    return Figure


def series(s: Samples, lo: float, hi: float) -> dict:
    """The points each curve is drawn through, by key: (xs, values), nan at
    a gap. s.curves() leaves out the points where f has no value; a curve
    also breaks where it leaves the chart at the top and comes back at the
    bottom in one step (a pole, as 1/x at 0 with --ylim), as the terminal
    chart does, instead of a line straight across the chart."""
    import numpy
    out = {}
    for key, values in s.curves().items():
        v = numpy.where(numpy.isfinite(values), values, numpy.nan)
        above, below = v > hi, v < lo
        poles = numpy.flatnonzero((above[:-1] & below[1:]) | (below[:-1] & above[1:])) + 1
        out[key] = (numpy.insert(s.xs, poles, numpy.nan), numpy.insert(v, poles, numpy.nan))
    return out


def figure(s: Samples, precision: int, ylim=None):
    """The chart as a matplotlib Figure: the curves (render/plot.py's labels),
    axis labels, a zero line on each axis that crosses 0, the notes beneath."""
    from gradcli.render.plot import labels, notes, symbols, y_range
    lo, hi = y_range(s, ylim)
    fig = _figure_class()(figsize=(8, 5), layout="constrained")
    ax = fig.add_subplot()
    named = labels(s, PROGRAM_ROOM)
    for key, (xs, values) in series(s, lo, hi).items():
        line, = ax.plot(xs, values, label=named[key], linewidth=1.6, markersize=5,
                        markevery=max(1, len(s.xs) // MARKS), **LOOKS[key])
        line.set_gid(key)           # the SVG names each curve's group: f, df, d2f
    if lo < 0 < hi:
        ax.axhline(0, color="0.5", linewidth=0.8, zorder=0)
    if s.lo < 0 < s.hi:
        ax.axvline(0, color="0.5", linewidth=0.8, zorder=0)
    ax.set_xlim(s.lo, s.hi)
    ax.set_ylim(lo, hi)
    ax.set_xlabel(s.name)
    ax.set_ylabel(", ".join(symbols(s).values()))
    ax.set_title(named["f"])
    ax.grid(True, color="0.9")
    ax.legend(loc="best")
    fig.text(0.01, 0, "\n".join(notes(s, precision, ylim)), va="top", fontsize=8, color="0.35")
    return fig


def write(s: Samples, path: str, precision: int, ylim=None) -> None:
    """The chart to path, an SVG or PNG file (check() has read its name)."""
    import matplotlib
    fig = figure(s, precision, ylim)
    # Text as text in an SVG (not glyph outlines): smaller, and a browser can
    # search and copy it. bbox tight: room for the notes beneath the axes.
    try:
        with matplotlib.rc_context({"svg.fonttype": "none"}):
            fig.savefig(path, format=check(path), dpi=150, bbox_inches="tight")
    except OSError as e:
        raise UsageError(f"--output {path}: {e.strerror or e}",
                         hint="give a path in a folder that exists and you can write to") from None
