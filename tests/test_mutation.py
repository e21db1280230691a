"""The op checks can fail: for every op of the table, its forward perturbed,
then each of its gradient rules in turn, and the checks generated for that
op (tests/opchecks.py) must catch each mutant. A mutant that survives is a
gap in the table's examples or references, to be fixed there."""
from __future__ import annotations

from functools import partial

import pytest

from gradcli.ops import TABLE
from tests import opchecks


def _bent_forward(forward):
    return lambda bk, *arrays, **params: forward(bk, *arrays, **params) * 1.001 + 0.001


def _bent_rule(rule):
    def bent(*args, **params):
        c = rule(*args, **params)
        return None if c is None else c * 1.1
    return bent


def _bent_impl(impl):
    def bent(*tensors, **params):
        out = impl(*tensors, **params)
        if isinstance(out, tuple):              # several results (split's pieces): each bent
            return tuple(part * 1.001 + 0.001 for part in out)
        return out * 1.001 + 0.001
    return bent


def mutants(op):
    """(what was changed, the changed op) for op's forward and each rule, or
    for a composite (a loss made of other ops), its definition."""
    if op.forward is not None:
        yield "forward", op.replaced(forward=_bent_forward(op.forward))
    if op.impl is not None:
        yield "composite", op.replaced(impl=_bent_impl(op.impl))
    if callable(op.grads):                      # one rule for every input (variadic)
        yield "rule", op.replaced(grads=_bent_rule(op.grads))
    elif op.grads is not None:
        for i, rule in enumerate(op.grads):
            if rule is not None:
                bent = tuple(_bent_rule(r) if j == i else r for j, r in enumerate(op.grads))
                yield f"rule {i}", op.replaced(grads=bent)


def caught(op) -> bool:
    """Whether any check generated for op fails (stopping at the first that does)."""
    checks = [partial(opchecks.forward, op, *example) for example in op.examples]
    if op.differentiable_op:
        checks += [partial(check, op, *example) for example in op.examples
                   for check in (opchecks.first, opchecks.second)]
    checks += [partial(opchecks.kinks, op), partial(opchecks.singular, op)]
    return any(check() for check in checks)


CHECKED = [op for op in TABLE.values() if op.reference is not None]     # all but grad/jacobian/hessian
MUTANTS = [pytest.param(m, id=f"{op.name}-{what}") for op in CHECKED for what, m in mutants(op)]


def test_every_op_has_mutants():
    assert {m.values[0].name for m in MUTANTS} == {op.name for op in CHECKED}


@pytest.mark.parametrize("mutant", MUTANTS)
def test_the_checks_catch_the_mutant(mutant):
    assert caught(mutant)


def test_the_unchanged_ops_pass():
    """The other side of the coin: the checks pass every op as it is."""
    assert [op.name for op in CHECKED if caught(op)] == []
