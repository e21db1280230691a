"""gradcli in Python and Jupyter: the whole toolkit, not only grad.
gradcli.check, gradcli.explain, gradcli.graph and gradcli.hessian return
result objects holding the data their --json has, and showing themselves as
the commands do: rich text in a terminal (IPython, print()), HTML in a
notebook (_repr_html_), a graph as SVG where Graphviz is present. The
IPython extension (%load_ext gradcli) adds %grad and %%gradcli."""
from __future__ import annotations

import shlex
from dataclasses import dataclass, field

from gradcli import api
from gradcli.collector import collecting
from gradcli.display import Shown

STEPS = 30          # explain: the steps a notebook shows, as the command does without --full


@dataclass(repr=False)
class Check(Shown):
    """gradcli.check: autograd against central finite differences. .ok, and
    .data as `gradcli check --json` gives it (per input: autograd, numeric,
    abs_err, rel_err, ok, kinks)."""
    program: str
    value: float
    ok: bool
    tol: float
    data: dict
    results: list = field(repr=False)

    def draw(self, opts) -> None:
        from gradcli import checking
        from gradcli.errors import CheckFailed
        from gradcli.render import check, diagnostics
        check.show(opts.out, self.value, self.results, self.tol, opts.precision)
        try:
            checking.verdict(self.results, self.tol)
        except CheckFailed as e:
            opts.out.print(diagnostics.render(e, width=opts.out.width))

    def __repr__(self):
        return f"Check(program={self.program!r}, value={self.value!r}, ok={self.ok})"


@dataclass(repr=False)
class Explain(Shown):
    """gradcli.explain: the backward pass, step by step. .data as `gradcli
    explain --json` gives it."""
    explanation: object
    data: dict

    def draw(self, opts) -> None:
        from gradcli.render import explain
        explain.show(opts, self.explanation, STEPS)

    def __repr__(self):
        return f"Explain(result={self.explanation.result!r}, steps={len(self.explanation.steps)})"


@dataclass(repr=False)
class Graph(Shown):
    """gradcli.graph: the computational graph. .data as `gradcli graph
    --format json` gives it, .dot its Graphviz text; in a notebook an SVG
    where Graphviz's dot is installed, else the tree."""
    graph: object
    data: dict
    dot: str

    def draw(self, opts) -> None:
        from gradcli.render import console
        opts.out.print(console.draw(self.graph, opts.precision, width=opts.out.width))

    def _repr_svg_(self):
        import shutil
        import subprocess
        if shutil.which("dot") is None:
            return None                     # IPython then shows the HTML tree
        done = subprocess.run(["dot", "-Tsvg"], input=self.dot, capture_output=True, text=True, timeout=30)
        return done.stdout if done.returncode == 0 and "<svg" in done.stdout else None

    def __repr__(self):
        return f"Graph(nodes={len(self.data['nodes'])}, root={self.data['root']})"


@dataclass(repr=False)
class Hessian(Shown):
    """gradcli.hessian: value, gradients, the Hessian, its eigenvalues and
    what kind of point this is (.kind: minimum, maximum, saddle, degenerate,
    or None where the gradient is not zero)."""
    result: api.Result
    story: object

    @property
    def matrix(self):
        return self.story.matrix

    @property
    def eigenvalues(self):
        return self.story.eigenvalues

    @property
    def kind(self):
        return self.story.kind

    def draw(self, opts) -> None:
        from gradcli.render import console
        r = self.result
        opts.out.print(console.summary(r.value, r.shape, r.dtype, r.grads, opts.precision))
        opts.out.print()
        opts.out.print(console.hessian(self.story, opts.precision))

    def __repr__(self):
        return f"Hessian(value={float(self.result.value)!r}, kind={self.kind!r})"


@collecting(False)
def check(program: str, at: dict | None = None, *, wrt=None, tol: float = 1e-6, seed=0, **inputs) -> Check:
    """Autograd's gradient of the program's scalar result against central
    finite differences, in float64 on the CPU; a Check (never raises for a
    disagreement: see .ok)."""
    from gradcli import checking
    from gradcli.errors import NotScalarError
    from gradcli.render import check as shown
    replay = checking.Replay(program, None, api.merged(at, inputs), seed)
    y, session = replay.run()
    if y.size != 1:
        raise NotScalarError.needed_by("check", y.shape)
    results = checking.compare(replay, y, session, list(wrt or ()), tol)
    return Check(program, y.item(), all(r.ok for r in results), tol, shown.to_json(program, results, tol), results)


@collecting(False)
def explain(program: str, at: dict | None = None, *, seed=0, **inputs) -> Explain:
    """The backward pass of the program's scalar result, one step at a time."""
    from gradcli.explaining import trace
    from gradcli.render import explain as shown
    session = api.setup(api.merged(at, inputs), seed=seed)
    session.unbound = api.API_UNBOUND
    ex = trace(api.run_program(program, session), session, program)
    return Explain(ex, shown.to_json(ex))


@collecting(False)
def graph(program: str, at: dict | None = None, *, grads=True, seed=0, **inputs) -> Graph:
    """The program's computational graph, with the gradient flowing into
    every node when the result is a scalar (grads=False: without)."""
    from gradcli.render import graph as shown
    from gradcli.report import snapshot
    session = api.setup(api.merged(at, inputs), seed=seed)
    session.unbound = api.API_UNBOUND
    y = api.run_program(program, session)
    flows = api.flows(y, session) if grads and y.size == 1 else None
    g = snapshot(y, node_grads=flows)
    return Graph(g, shown.to_json(snapshot(y, fold=False, node_grads=flows), program), shown.to_dot(g, 4))


@collecting(False)
def hessian(program: str, at: dict | None = None, *, wrt=None, device="cpu", dtype="float64", seed=0,
            **inputs) -> Hessian:
    """The program's scalar result: value, gradients and the Hessian's story
    (gradcli grad --hessian)."""
    from gradcli.curvature import story
    r = api.graded(program, api.merged(at, inputs), wrt, device, dtype, seed, release=False)    # story walks it again
    return Hessian(r, story(r.tensor, r.session, wrt))


# ---- the IPython extension
def load(ipython) -> None:
    """%load_ext gradcli: %grad PROGRAM [--at NAME=EXPR]... [--wrt NAME]...
    [--hessian | --check | --explain | --graph], and %%gradcli with the same
    options, the cell being the program. Names the program reads and does
    not bind are taken from the notebook's variables when it has them."""
    ipython.register_magic_function(lambda line: magic(line, None, ipython.user_ns), "line", "grad")
    ipython.register_magic_function(lambda line, cell: magic(line, cell, ipython.user_ns), "cell", "gradcli")


def magic(line: str, cell: str | None, namespace: dict):
    """A magic's result, or its error as gradcli prints it (caret and hint),
    raised as IPython's UsageError: a message, not a traceback."""
    from IPython.core.error import UsageError as Shown

    from gradcli.errors import GradcliError
    from gradcli.render import diagnostics
    try:
        return run(line, cell, namespace)
    except GradcliError as e:
        raise Shown("\n" + diagnostics.plain(e)) from None


MODES = ("--hessian", "--check", "--explain", "--graph")


def run(line: str, cell: str | None, namespace: dict):
    """A magic's line (and cell): the result object to display: grad's for a
    scalar result, else its value."""
    from gradcli.errors import NotScalarError, UsageError
    from gradcli.programs import parse_at
    words, given, wrt, mode, program = shlex.split(line), [], [], None, cell
    while words:
        word = words.pop(0)
        if word in ("--at", "--wrt") and words:
            (given if word == "--at" else wrt).append(words.pop(0))
        elif word in MODES:
            mode = word
        elif program is None and not word.startswith("--"):
            program = word
        else:
            raise UsageError(f"unexpected {word!r}", hint="%grad PROGRAM [--at NAME=EXPR] [--wrt NAME] "
                                                          f"[{' | '.join(MODES)}]")
    if not program:
        raise UsageError("no program given", hint='%grad "norm(4*x*x)" --at x="ones(2)"')
    at = parse_at(tuple(given))             # as the command line reads them: NAME=EXPR or NAME=@FILE
    at = {**_from_namespace(program, namespace, at), **at}
    if mode == "--hessian":
        return hessian(program, at, wrt=wrt or None)
    if mode == "--check":
        return check(program, at, wrt=wrt or None)
    if mode == "--explain":
        return explain(program, at)
    if mode == "--graph":
        return graph(program, at)
    try:
        return api.grad(program, at, wrt=wrt or None)
    except NotScalarError:
        return api.evaluate(program, at)


def _from_namespace(program: str, namespace: dict, given: dict) -> dict:
    """The notebook's numbers and arrays for the names the program reads but
    neither binds nor is given."""
    import numbers

    import numpy

    from gradcli import ast
    from gradcli.parse import parse
    statements = parse(program).statements
    bound = {s.name for s in statements if hasattr(s, "name")}
    read = {n for s in statements for n in ast.names(s.body if isinstance(s, ast.FunctionDef) else s.value)}
    out = {}
    for name in sorted(read - bound - set(given)):
        value = namespace.get(name)
        if isinstance(value, (numbers.Real, numpy.ndarray)) and not isinstance(value, bool):
            out[name] = value
    return out
