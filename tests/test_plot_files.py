"""SPEC.md section 2, `gradcli plot`: the chart in a file (--output .svg or
.png, drawn with matplotlib), no derivative drawn where f has no value, and
--order 2's second derivative by autograd (gradcli/sweeps.py run(order=2))."""
from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from types import SimpleNamespace

import numpy
import pytest

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def gradcli(cli, monkeypatch):
    """The command line at 80 columns (cli: tests/conftest.py), never ending in a traceback."""
    monkeypatch.setenv("COLUMNS", "80")

    def invoke(*args):
        r = cli(*args)
        assert "Traceback" not in r.out + r.err
        return r
    return invoke


def samples(program: str, at: str, points: int = 121, order: int = 1):
    """What plot samples, as the command would (its Samples)."""
    from gradcli.plot import ranges, sample
    name, lo, hi, others, _ = ranges((at,), None)
    opts = SimpleNamespace(device="cpu", dtype="float64", seed=0)
    return sample(opts, program, None, name, lo, hi, {}, points, order)


def drawn_lines(fig) -> dict:
    """The curves a matplotlib figure draws, by their gid: (xs, ys)."""
    return {line.get_gid(): (numpy.asarray(line.get_xdata(), float), numpy.asarray(line.get_ydata(), float))
            for line in fig.axes[0].get_lines() if line.get_gid()}


# ---- --output: the chart in a file
def test_svg_file_is_svg_with_both_curves_and_the_legend(gradcli, tmp_path):
    path = tmp_path / "p.svg"
    r = gradcli("plot", "sin(x)*x", "--at", "x=-3:3", "--output", str(path))
    assert r.code == 0, r.err
    assert r.out.splitlines() == [f"wrote {path}: f, df/dx at 121 points"]     # one line, no chart
    root = ET.parse(path).getroot()
    assert root.tag == SVG + "svg"
    groups = {g.get("id"): g for g in root.iter(SVG + "g")}
    for key in ("f", "df"):                 # each curve a group holding its line's path
        assert groups[key].find(SVG + "path") is not None
    assert "d2f" not in groups
    texts = {t.text for t in root.iter(SVG + "text")}
    assert {"f(x) = sin(x)*x", "df/dx, by autograd", "x"} <= texts


def test_the_file_draws_f_and_its_derivative_at_the_sampled_points():
    from gradcli.render.figure import figure
    s = samples("sin(x)*x", "x=-3:3")
    lines = drawn_lines(figure(s, 4))
    xs = numpy.linspace(-3, 3, 121)
    assert numpy.allclose(lines["f"][0], xs) and numpy.allclose(lines["f"][1], numpy.sin(xs) * xs, atol=1e-15)
    assert numpy.allclose(lines["df"][1], numpy.sin(xs) + xs * numpy.cos(xs), atol=1e-15)
    looks = {line.get_gid(): (line.get_linestyle(), line.get_marker()) for line in figure(s, 4).axes[0].get_lines()}
    assert looks["f"] != looks["df"] and looks["f"][0] != looks["df"][0] and looks["f"][1] != looks["df"][1]


def test_png_file_starts_with_the_png_signature(gradcli, tmp_path):
    path = tmp_path / "p.PNG"                     # the extension in any case
    r = gradcli("plot", "sin(x)*x", "--at", "x=-3:3", "--output", str(path))
    assert r.code == 0, r.err
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_output_with_json_writes_the_file_and_prints_only_the_document(gradcli, tmp_path):
    path = tmp_path / "p.svg"
    r = gradcli("plot", "x^2", "--at", "x=0:1", "--points", "5", "--output", str(path), "--json")
    assert r.code == 0 and r.json()["f"] == [0, 0.0625, 0.25, 0.5625, 1]
    ET.parse(path)


@pytest.mark.parametrize("name", ["p.pdf", "p", "p.svg.txt"])
def test_other_extensions_are_a_usage_error_naming_svg_and_png(gradcli, tmp_path, name):
    r = gradcli("plot", "sin(x)", "--at", "x=-3:3", "--output", str(tmp_path / name))
    assert r.code == 2 and "a chart is written as .svg or .png" in r.err and "hint" in r.err
    assert list(tmp_path.iterdir()) == []


def test_without_matplotlib_output_exits_2_with_the_install_hint(gradcli, tmp_path, monkeypatch):
    for module in ("matplotlib", "matplotlib.figure"):      # as if it were not installed
        monkeypatch.setitem(sys.modules, module, None)
    r = gradcli("plot", "sin(x)", "--at", "x=-3:3", "--output", str(tmp_path / "p.svg"))
    assert r.code == 2 and "matplotlib, which is not installed" in r.err
    assert "pip install 'gradcli[plot]'" in r.err
    assert list(tmp_path.iterdir()) == []
    assert gradcli("plot", "sin(x)", "--at", "x=-3:3").code == 0          # the terminal chart needs none


@pytest.mark.parametrize("where", ["no/such/folder/p.svg", "folder.svg"])
def test_an_unwritable_path_is_a_clean_error(gradcli, tmp_path, where):
    (tmp_path / "folder.svg").mkdir()
    r = gradcli("plot", "sin(x)", "--at", "x=-3:3", "--output", str(tmp_path / where))
    assert r.code == 2 and r.err.startswith(f"error: --output {tmp_path / where}: ")
    assert "hint" in r.err


def test_the_file_breaks_a_curve_at_a_pole_instead_of_crossing_the_chart():
    from gradcli.render.figure import series
    s = samples("1/x", "x=-1:1", points=200)
    xs, ys = series(s, -5, 5)["f"]
    assert numpy.isnan(ys).sum() == 1 and xs[numpy.isnan(ys)].size == 1
    gap = numpy.flatnonzero(numpy.isnan(ys))[0]
    assert ys[gap - 1] < -5 and ys[gap + 1] > 5          # between the last point below and the first above


# ---- no derivative where f has no value
def test_log_draws_nothing_left_of_zero_in_the_data_for_the_terminal():
    s = samples("log(x)", "x=-1:3")
    for key, values in s.curves().items():
        assert not numpy.isfinite(values[s.xs <= 0]).any(), key
        assert numpy.isfinite(values[s.xs > 0]).all(), key
    assert numpy.isfinite(s.df[s.xs < 0]).all()          # autograd's numbers are kept, only not drawn


def test_log_draws_nothing_left_of_zero_in_the_terminal_chart(gradcli):
    r = gradcli("plot", "log(x)", "--at", "x=-1:3")
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    chart = lines[1:17]
    zero = chart[0].index("┊")           # the x = 0 column
    assert all(not any(0x2800 <= ord(ch) <= 0x28FF for ch in line[:zero]) for line in chart)
    assert any(0x2800 < ord(ch) <= 0x28FF for line in chart for ch in line[zero:])
    assert "f is nan or infinite at 31 of 121 points: not drawn (--json keeps them)" in r.out
    assert "df/dx is not drawn there either: no slope where f has no value" in r.out
    assert max(len(line) for line in lines) <= 80


def test_log_draws_nothing_left_of_zero_in_the_file():
    from gradcli.render.figure import figure
    s = samples("log(x)", "x=-1:3", order=2)
    lines = drawn_lines(figure(s, 4))
    assert set(lines) == {"f", "df", "d2f"}
    for key, (xs, ys) in lines.items():
        assert (xs[numpy.isfinite(ys)] > 0).all(), key
        assert numpy.isfinite(ys[xs > 0]).all(), key


def test_plot_json_keeps_the_raw_derivative_where_f_is_nan(gradcli):
    doc = gradcli("plot", "log(x)", "--at", "x=-1:3", "--points", "5", "--json").json()
    assert doc["f"][0] == "nan" and doc["df"][0] == -1.0


def test_a_derivative_not_finite_where_f_is_is_counted_apart(gradcli):
    r = gradcli("plot", "sqrt(x)", "--at", "x=0:1")
    assert r.code == 0 and "df/dx is nan or infinite at 1 of 121 points where f is finite: not drawn" in r.out
    assert "f is nan" not in r.out


# ---- --order 2
def test_order_2_is_the_exact_second_derivative_in_json(gradcli):
    doc = gradcli("plot", "x^3", "--at", "x=-2:2", "--order", "2", "--json").json()
    xs = numpy.array(doc["xs"])
    assert numpy.abs(numpy.array(doc["d2f"]) - 6 * xs).max() <= 1e-12
    assert numpy.array(doc["df"]) == pytest.approx(3 * xs ** 2, abs=1e-12)
    assert "d2f" not in gradcli("plot", "x^3", "--at", "x=-2:2", "--json").json()


@pytest.mark.parametrize("program, second", [
    ("sin(x)*x", lambda x: 2 * numpy.cos(x) - x * numpy.sin(x)),
    ("mean(exp(x*[1, 2]))", lambda x: (numpy.exp(x) + 4 * numpy.exp(2 * x)) / 2),     # a reduction per point
    ("g = grad(x^4, x); g", lambda x: 24 * x),            # calls grad(): evaluated point by point
    ("2*x + 1", lambda x: 0 * x),                          # a constant first derivative
    ("3", lambda x: 0 * x),                                # no x at all
])
def test_order_2_by_autograd_on_every_path(gradcli, program, second):
    doc = gradcli("plot", program, "--at", "x=-2:2", "--points", "41", "--order", "2", "--json").json()
    xs = numpy.array(doc["xs"])
    assert numpy.array(doc["d2f"]) == pytest.approx(second(xs), abs=1e-12, rel=1e-12)


def test_order_2_in_the_terminal_is_a_third_curve_with_its_own_dashes(gradcli):
    from gradcli.render.plot import DASHES
    r = gradcli("plot", "sin(x)*x", "--at", "x=-3:3", "--order", "2")
    assert r.code == 0, r.err
    assert "d²f/dx², by autograd" in r.out and "f(x) = sin(x)*x" in r.out
    assert "df/dx and d²f/dx² by autograd, not finite differences" in r.out
    assert len(set(map(str, DASHES.values()))) == 3
    assert max(len(line) for line in r.out.splitlines()) <= 80


def test_order_2_draws_the_third_curve_in_the_file(gradcli, tmp_path):
    path = tmp_path / "p.svg"
    r = gradcli("plot", "sin(x)*x", "--at", "x=-3:3", "--order", "2", "--output", str(path))
    assert r.code == 0 and "f, df/dx, d²f/dx² at 121 points" in r.out
    root = ET.parse(path).getroot()
    assert {g.get("id") for g in root.iter(SVG + "g")} >= {"f", "df", "d2f"}
    assert "d²f/dx², by autograd" in {t.text for t in root.iter(SVG + "text")}


def test_order_3_is_refused(gradcli):
    r = gradcli("plot", "x^3", "--at", "x=-2:2", "--order", "3")
    assert r.code == 2 and "--order" in r.err


# ---- sweeps.run(order=2)
def test_sweep_second_derivatives_are_the_same_in_chunks_and_point_by_point():
    from gradcli import sweeps
    xs = numpy.linspace(-2, 2, 9)
    whole = sweeps.run("x^4 * w", {"x": xs}, {"w": 2.0}, order=2)
    chunked = sweeps.run("x^4 * w", {"x": xs}, {"w": 2.0}, order=2, chunk=4)
    slow = sweeps.run("g = grad(x^4 * w, x); g", {"x": xs}, {"w": 2.0}, order=2)
    assert chunked.chunks == 3 and not slow.vectorized
    assert numpy.array_equal(whole.second["x"], 24 * xs ** 2)
    assert numpy.array_equal(chunked.second["x"], whole.second["x"])
    assert numpy.array_equal(slow.second["x"], 48 * xs)      # of 8x^3, the grad() the program took


def test_sweep_order_1_computes_no_second_derivative():
    from gradcli import sweeps
    assert sweeps.run("x^3", {"x": numpy.linspace(0, 1, 3)}).second is None


def test_sweep_second_derivative_needs_a_scalar_input_at_each_point():
    from gradcli import sweeps
    from gradcli.errors import UsageError
    with pytest.raises(UsageError, match="one number at each point, and x has shape"):
        sweeps.run("sum(x^3)", {"x": numpy.ones((4, 2))}, order=2)
