"""`gradcli check` and the REPL's :check: a program's autograd gradient
against central finite differences of the whole program, input by input,
always in float64 on the CPU. `compare` computes the comparisons and
`verdict` turns a disagreement into the error; render/check.py shows them,
and each caller adds its own framing (the CLI's JSON document, the REPL's
names for its inputs)."""
from __future__ import annotations

from dataclasses import dataclass, field

from gradcli import api
from gradcli.errors import CheckFailed, UsageError
from gradcli.gradcheck import check_function
from gradcli.parse import parse
from gradcli.render import format as fmt


@dataclass
class Replay:
    """A program run again and again, in float64 on the CPU, parsed once."""
    source: str
    origin: str | None = None
    at: dict | None = None
    seed: int = 0
    program: object = field(init=False, repr=False)

    def __post_init__(self):
        self.program = parse(self.source, self.origin)

    def run(self, overrides: dict | None = None):
        """(the last result, the session); overrides: input number (in binding
        order) -> the value it takes instead."""
        session = api.setup(self.at, device="cpu", dtype="float64", seed=self.seed, overrides=overrides)
        return api.run_program(self.source, session, self.origin, self.program), session


def compare(replay: Replay, y, session, wrt: list[str] | None, tol: float) -> list:
    """Autograd's gradient of y (a scalar result of replay.run()) against finite
    differences, for the inputs of wrt (keys), or every input y depends on.
    Each difference reruns the program with one input moved, found by its
    place in binding order (a key may change as the program runs)."""
    inputs = {t.key: t for t in session.inputs}
    inner = [k for k in wrt or () if k not in inputs]
    if inner:
        raise UsageError(f"--wrt {inner[0]}: check compares gradients with respect to inputs, and "
                         f"'{inner[0]}' is an intermediate", hint="finite differences move an input; "
                         "use gradcli grad --wrt for the gradient at an intermediate")
    grads = api.differentiate(y, session, wrt)
    keys = list(grads)
    place = {id(t): i for i, t in enumerate(session.inputs)}
    places = [place[id(inputs[k])] for k in keys]

    def f(values):
        return replay.run(dict(zip(places, values)))[0].item()
    return check_function(f, [inputs[k].numpy() for k in keys], [grads[k] for k in keys], keys, tol)


def verdict(results: list, tol: float, hint: str | None = None) -> None:
    """CheckFailed when any comparison disagrees; its hint explains the first
    kink, unless the caller gives one."""
    if all(r.ok for r in results):
        return
    bad = ", ".join(r.name for r in results if not r.ok)
    raise CheckFailed(f"autograd and finite differences disagree for {bad} (tolerance {tol:g})",
                      hint=hint or _kink_hint(results))


def _kink_hint(results) -> str | None:
    kinks = [(r, k) for r in results if not r.ok for k in r.kinks]
    if not kinks:
        return "a wrong gradient rule, or a step too coarse for this function: try --tol"
    r, (idx, left, right) = kinks[0]
    where = f"{r.name}[{', '.join(map(str, idx))}]" if idx else r.name
    return (f"{where} sits on a kink (slope {fmt.number(left)} from the left, {fmt.number(right)} from the right): "
            "the central difference averages the two sides, while autograd takes one of them, as PyTorch "
            "does (e.g. relu'(0) = 0, abs'(0) = 0). Both are right; check at a point off the kink")
