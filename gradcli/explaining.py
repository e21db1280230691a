"""`gradcli explain`: the backward pass as a worked example. Each node, from
the result down to the inputs, shows the gradient that reached it, the local
rule of its operation, and what it sends to each argument, in numbers; an
argument used more than once shows its contributions adding up.

The steps are taken once into plain data (`trace`), which both the display
and --json read (render/explain.py). The numbers come from the same rules, in the same order, as
the engine's backward pass (autograd.gradients), which is also asked for the
totals, so the worked example cannot disagree with `gradcli grad`."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from gradcli.ops.binding import TENSOR_KINDS

LABEL = 16          # longest expression used as a node's label; longer ones are #1, #2...
NUMBER = re.compile(r"^-?\d+(\.\d*)?(e[+-]?\d+)?$")      # a label that is a number literal

# How each operation reads and what its derivative is live in its row of
# the op table (Op.form, Op.explain). In a form, {a:5} puts the argument in
# parentheses when it binds more loosely than level 5: 3 comparisons, 4 + and
# -, 5 * / @, 6 unary minus, 7 ^, 8 calls, indexing and ᵀ, 9 names and numbers.


# ---- the steps, as plain data
@dataclass
class Send:
    to: str                    # the argument's label
    param: str                 # the operation's name for it: a, b, x, xs[1]
    rule: str                  # "∂z/∂x = 4*x"
    how: str                   # "g·(4*x)"
    local: object | None       # host array: the elementwise local derivative (None for other ops)
    formula: str | None        # that derivative as a formula: "4*x", "cos(x)"
    raw: object | None         # host array: g·local before summing away broadcast axes (None if no sum)
    value: object              # host array: the contribution, in the argument's shape
    use: int = 1               # this is use `use` of `uses` of the argument
    uses: int = 1


@dataclass
class Step:
    label: str
    op: str
    expression: str            # the node in terms of its arguments' labels: (4*x)*x
    name: str | None
    shape: tuple
    value: object
    grad: object
    incoming: list = field(default_factory=list)    # (label of the node it came from, host array)
    id: int = 0                # the node's id(), while tracing
    sends: list = field(default_factory=list)


@dataclass
class Explanation:
    program: str
    result: str
    value: object
    shape: tuple
    dtype: str
    steps: list
    inputs: list               # (key, grad, incoming)


def trace(y, session, source: str) -> Explanation:
    """The engine's own backward pass, with each step it takes recorded."""
    from gradcli import autograd
    from gradcli.autograd.engine import grad_mode
    from gradcli.autograd.tensor import Tensor
    from gradcli.errors import NotScalarError

    bk = session.bk
    if y.size != 1:
        raise NotScalarError.needed_by("explain", y.shape)
    xs = autograd.reaches(y, session.inputs)
    taken: list = []                    # (node, i, parent, contribution, summed), in the engine's order
    events = len(session.ctx.events)
    grads = autograd.gradients(y, xs, keep_all=True, record=lambda *step: taken.append(step))
    order = autograd.toposort(y) if xs else []
    labels = _labels(order, y)
    host = bk.to_host
    incoming: dict[int, list] = {}
    steps: dict[int, Step] = {}
    with grad_mode(False), session.evaluating():
        for t, i, p, c, summed in taken:
            names = param_names(t)
            step = steps.get(id(t))
            if step is None:
                step = steps[id(t)] = Step(labels[id(t)], t.op.name, _expression(t, labels)[0], t.name, t.shape,
                                           host(t.data), host(grads[id(t)].data), id=id(t))
            subs = {n: labels[id(q)] for n, q in zip(names, t.parents)} | _param_text(t)
            subs["n"] = str(t.parents[0].size // max(t.size, 1)) if t.parents else "1"   # elements reduced
            rule, how, formula = _rule(t, names[i], subs, labels[id(t)])
            local = None
            if formula is not None:         # elementwise: the rule applied to ones is the local derivative
                ones = Tensor(bk.xp.ones_like(grads[id(t)].data), bk, const=True)
                local = host(t.op.rule(i)(ones, t, *t.parents, **t.params).data)
            send = Send(labels[id(p)], names[i], rule, how, local, formula,
                        host(c.data) if summed.shape != c.shape else None, host(summed.data))
            step.sends.append(send)
            incoming.setdefault(id(p), []).append((step.label, send))
    steps = list(steps.values())
    del session.ctx.events[events:]     # the engine's own pass has reported these already
    for sends in incoming.values():
        for k, (_, s) in enumerate(sends, 1):
            s.use, s.uses = k, len(sends)
    for step in steps:
        step.incoming = [(frm, s.value) for frm, s in incoming.get(step.id, [])]
    inputs = [(x.key, host(grads[id(x)].data if id(x) in grads else bk.xp.zeros_like(x.data)), [(frm, s.value) for frm, s in incoming.get(id(x), [])])
              for x in xs]
    return Explanation(source, labels.get(id(y), "result"), host(y.data), y.shape, bk.dtype_name, steps, inputs)


class _Label(str):
    """A node's label, with how tightly it binds (the levels of Op.form).
    In a format string {a:5} parenthesizes it below level 5; {a:p} below 8."""
    level: int = 9

    def __format__(self, spec):
        need = 8 if spec == "p" else int(spec) if spec else 0
        return f"({self})" if self.level < need else str(self)


def _label(text: str, level: int) -> _Label:
    out = _Label(text)
    out.level = level
    return out


def _level(text: str) -> int:
    """How tightly a formula binds: 9 for one name or call, lower when an
    operator stands outside every parenthesis."""
    if text.startswith("-"):
        return 6
    depth, bars = 0, False
    for ch in text:
        if ch == "‖":
            bars = not bars
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif depth == 0 and not bars and ch in " +*/@^,·":
            return 4
    return 9


def _labels(order, root) -> dict[int, _Label]:
    """A short name for every node and argument: the input's key, the
    binding's name, a small constant's value, or the expression itself; #1,
    #2... (in the order computed) when that is too long to read. The result,
    when nothing names it, is L."""
    from gradcli.render import format as fmt
    nodes, stack, seen = [], list(order) or [root], {id(t) for t in order} or {id(root)}
    while stack:
        t = stack.pop()
        nodes.append(t)
        for p in t.parents:
            if id(p) not in seen:
                seen.add(id(p))
                stack.append(p)
    names = {t.key or t.name for t in nodes}
    labels: dict[int, _Label] = {}
    taken: dict[str, int] = {}
    numbered = 0
    for t in sorted(nodes, key=lambda t: t.id):          # creation order: arguments before results
        level = 9
        if t.is_input or t.name:
            text = t.key or t.name
        elif t.op is None or t.const:           # a constant, even one computed (3 - 1): its value
            text = fmt.array(t.numpy(), edge=2) if t.size <= 4 else f"const{fmt.shape(t.shape)}"
            level = _level(text)
        elif t is root and "L" not in names:
            text = "L"
        else:
            text, level = _expression(t, labels)
            if len(text) > LABEL:
                numbered += 1
                text, level = f"#{numbered}", 9
        if t.op is not None and text in taken and not t.const:
            taken[text] += 1                # a rebound name, or the same expression twice: ([1, 1]*x)#2
            text = f"{text}#{taken[text]}" if level >= 8 else f"({text})#{taken[text]}"
            level = 9
        taken.setdefault(text, 1)
        labels[id(t)] = _label(text, level)
    return labels


def param_names(t) -> list[str]:
    """The names of node t's tensor arguments in its op's signature (xs[1]
    for one of a variadic op's); check --per-op names arguments so too."""
    params = t.op.tensor_params
    if len(params) == 1 and params[0].kind == "tensors":
        return [f"{params[0].name}[{i}]" for i in range(len(t.parents))]
    return [p.name for p in params][:len(t.parents)]


def _param_text(t) -> dict[str, str]:
    """The non-tensor arguments that differ from their defaults, as text."""
    out = {}
    for p in t.op.params:
        if p.kind in ("T", "mask", "tensors") or p.name not in t.params:
            continue
        v = t.params[p.name]
        if p.name == "key":
            out["key"] = ", ".join(_index_text(k) for k in v)
        elif v != _default(t, p) and not (p.kind == "shape" and t.op.name in ("sum_to", "broadcast_to")):
            out[p.name] = (str(v[0]) if isinstance(v, tuple) and len(v) == 1 and p.kind == "axis"
                           else repr(v) if isinstance(v, str) else str(v))
    return out


def _default(t, p):
    """A parameter's default as the binding normalises it (axis=-1 of a vector is 0)."""
    if p.kind in ("axis1", "newaxis") and isinstance(p.default, int) and t.parents:
        ndim = t.parents[0].ndim + (p.kind == "newaxis")
        return p.default % ndim if ndim else 0
    return p.default


def _index_text(k) -> str:
    if isinstance(k, slice):
        text = ":".join("" if v is None else str(v) for v in (k.start, k.stop, k.step))
        return text[:-1] if text.endswith(":") and k.step is None else text
    if isinstance(k, tuple):                # an index array, kept as nested tuples
        return str(_listed(k))
    if hasattr(k, "tolist"):                # or as an array (embedding's indices): [0, 1, 0]
        return str(k.tolist())
    return "None" if k is None else "..." if k is Ellipsis else str(k)


def _listed(k):
    return [_listed(i) for i in k] if isinstance(k, tuple) else k


def _expression(t, labels) -> tuple[str, int]:
    """The node in terms of its arguments' labels, and how tightly it binds."""
    names = param_names(t)
    subs = {n: labels[id(p)] for n, p in zip(names, t.parents)}
    extra = _param_text(t)
    form = t.op.form
    if form and not (t.op.name == "transpose" and extra):
        return form[0].format(**subs, **extra), form[1]
    lead = []                   # numbers a signature takes before its arrays: polygamma(2, x)
    for p in t.op.params:
        if p.kind in TENSOR_KINDS or p.name not in extra:
            break
        lead.append(extra.pop(p.name))
    args = lead + [str(subs[n]) for n in names] + [f"{k}={v}" for k, v in extra.items()]
    return f"{t.op.name}({', '.join(args)})", 8


def _rule(t, param: str, subs: dict, label: _Label) -> tuple[str, str, str | None]:
    """(the rule, what is sent in terms of g, the local derivative's formula
    for an elementwise operation or None)."""
    d = f"∂{label:9}/∂{subs[param]:9} = "
    name, entry = t.op.name, t.op.explain
    if callable(entry):
        entry = entry(**t.params)
    if isinstance(entry, dict) and isinstance(entry.get(param), str):      # elementwise: the local derivative
        local = entry[param].format(**subs)
        if name == "pow" and param == "a" and NUMBER.match(subs["b"]):
            local = _power_rule(subs["a"], float(subs["b"]))
        how = {"1": "g", "-1": "-g"}.get(local) or f"g·{_label(local, _level(local)):p}"
        return d + local, how, None if local in ("1", "-1") else local
    if isinstance(entry, dict):
        entry = entry.get(param)
    if entry is None:
        return d + "the rule of " + name, "g through the rule of " + name, None
    return d + entry[0].format(**subs), entry[1].format(**subs), None


def _power_rule(a: _Label, n: float) -> str:
    """d(a^n)/da for a number n, simplified: 3·x^2 rather than 3·x^(3 - 1)."""
    from gradcli.render import format as fmt
    if n in (0, 1):
        return fmt.number(n)
    if n == 2:
        return f"2·{a:8}"
    m = fmt.number(n - 1)
    return f"{fmt.number(n)}·{a:8}^{_label(m, _level(m)):7}"
