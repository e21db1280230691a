"""SPEC section 1, builtins: every operation of the table, checked from the
table. For each op and each of its example shapes, at random float64 points
of its domain: the forward equals the row's independent reference, the
gradient equals central finite differences (first order), and so does the
gradient of a gradient (second order). Kinks and singular points are pinned
to PyTorch's values. Nothing here is written per op (tests/opchecks.py)."""
from __future__ import annotations

import numpy as np
import pytest


from gradcli.autograd import Tensor
from gradcli.ops import TABLE
from gradcli.ops.core import F
from tests import opchecks

def differentiable_cases():
    for op in TABLE.values():
        if not op.differentiable_op or op.reference is None:
            continue
        for i, (shapes, params) in enumerate(op.examples):
            yield pytest.param(op, shapes, params, id=f"{op.name}-{i}-{'x'.join(map(str, shapes))}")


CASES = list(differentiable_cases())
FORWARDS = [pytest.param(op, shapes, params, id=f"{op.name}-{i}")
            for op in TABLE.values() if op.reference is not None for i, (shapes, params) in enumerate(op.examples)]


def test_every_op_has_examples_and_a_reference():
    """Every op, computed by a forward or composed of others (a loss), is
    tried (with examples) and held to an independent definition; only the
    calculus builtins, which differentiate programs, are not."""
    assert [op.name for op in TABLE.values() if not op.examples] == ["grad", "jacobian", "hessian"]
    assert [op.name for op in TABLE.values() if op.reference is None] == ["grad", "jacobian", "hessian"]


@pytest.mark.parametrize("op, shapes, params", FORWARDS)
def test_forward_matches_its_reference(op, shapes, params):
    assert opchecks.forward(op, shapes, params) == []


@pytest.mark.parametrize("op, shapes, params", CASES)
def test_first_order(op, shapes, params):
    assert opchecks.first(op, shapes, params) == []


@pytest.mark.parametrize("op, shapes, params", CASES)
def test_releasing_values_a_pass_is_done_with_changes_no_gradient(op, shapes, params):
    assert opchecks.released(op, shapes, params) == []


@pytest.mark.parametrize("op, shapes, params", CASES)
def test_second_order(op, shapes, params):
    """d/dx of <grad f(x), v>, by autograd twice vs finite differences of autograd once."""
    assert opchecks.second(op, shapes, params) == []


@pytest.mark.parametrize("op", [op for op in TABLE.values() if op.kinks], ids=lambda op: op.name)
def test_kinks_follow_pytorch(op):
    assert opchecks.kinks(op) == []


@pytest.mark.parametrize("op", [op for op in TABLE.values() if op.singular], ids=lambda op: op.name)
def test_singular_points_follow_pytorch(op):
    """Zeros, ties and domain edges: PyTorch 2.13's value, gradient and
    (where the row claims order 2) second derivatives, recorded in tests/data."""
    assert opchecks.singular(op) == []


def test_singular_data_is_current():
    """Every recorded point is still a point of the table (none left stale)."""
    points = {f"{op.name}/{i}" for op in TABLE.values() for i in range(len(op.singular))}
    assert set(opchecks.singular_data()) == points


def test_ops_with_kinks_say_so():
    """Every op marked non-smooth pins at least one kink value, or is a bounded reduction."""
    for op in TABLE.values():
        if not op.smooth:
            assert op.kinks or op.name in ("min",), f"{op.name} is marked non-smooth but pins no kink"


def test_checker_catches_a_wrong_rule():
    """The checker itself can fail: sin with the derivative of -cos (a sign slip)."""
    wrong = TABLE["sin"].replaced(grads=(lambda g, y, x: -g * F.cos(x),))
    failures = opchecks.first(wrong, ((3,),), {})
    assert len(failures) == 1 and "autograd" in failures[0]


def test_checker_catches_a_wrong_second_derivative():
    """A rule right at first order but not differentiable (the constant cos(x)
    of raw arrays) passes the first-order check and fails the second."""
    frozen = TABLE["sin"].replaced(grads=(lambda g, y, x: g * Tensor.constant(np.cos(x.numpy()), x.bk),),
                     tensor_rules=True)
    assert opchecks.first(frozen, ((3,),), {}) == []
    failures = opchecks.second(frozen, ((3,),), {})
    assert len(failures) == 1 and "second order" in failures[0]


ZERO_GRADIENT = [op for op in TABLE.values() if op.grads is None and op.impl is None
                 and op.family == "elementwise"]


@pytest.mark.parametrize("op", ZERO_GRADIENT, ids=lambda op: op.name)
def test_piecewise_constant_ops_pass_no_gradient(op):
    """floor, ceil, round, sign: the input still gets a (zero) gradient, as in PyTorch."""
    import gradcli
    r = gradcli.grad(f"sum({op.name}(x) + x * 0)", x=[0.3, -1.7, 2.5])
    np.testing.assert_array_equal(r.grads["x"], [0, 0, 0])


def test_a_reduction_takes_its_axis_second():
    """sum(x, 1) is along axis 1 for every reduction, so that a number in
    second place never binds another parameter silently; norm keeps PyTorch's
    (x, p, dim) order, and says so in its signature."""
    reductions = [op for op in TABLE.values() if op.family == "reduce" and any(p.name == "axis" for p in op.params)]
    assert len(reductions) > 5
    assert [op.name for op in reductions if op.params[1].name != "axis"] == ["norm"]
    assert TABLE["norm"].signature().startswith("norm(x, p=2, axis=")


MASKED = [op for op in TABLE.values() if op.impl is not None and op.examples
          and any(p.kind == "mask" for p in op.tensor_params) and not any(p.kind == "tensors" for p in op.params)]


@pytest.mark.parametrize("op", MASKED, ids=lambda op: op.name)
def test_a_composite_sends_no_gradient_to_its_masks(op):
    """Class indices, labels and running statistics are data: even made
    differentiable, they get no gradient from the arithmetic a composite
    does with them (the generated checks never make them differentiable;
    batch_norm sent one into its running statistics once). A probability
    target of cross_entropy, a later example, is differentiable, as in PyTorch."""
    from gradcli.autograd import gradients
    from gradcli.backend import make_backend
    from gradcli.ops.core import call
    from tests.opcases import example_inputs
    bk = make_backend()
    shapes, params = op.examples[0]
    ts = [Tensor(bk.asarray(a), bk, requires_grad=True) for a, _ in example_inputs(op, shapes, np.random.default_rng(0))]
    out = call(op, *ts, bk=bk, **params)
    grads = gradients(F.sum(out[0] if isinstance(out, tuple) else out), ts)
    masks = [p.name for p, t in zip(op.tensor_params, ts) if p.kind == "mask" and id(t) in grads]
    assert masks == []


# ---- the batch axis: every op on a batch in one call, against a loop over the batch
DRAWS = ("dropout",)        # random: a batch draws other numbers than its items one by one
BATCHED = [pytest.param(op, shapes, params, id=f"{op.name}-{i}")
           for op in TABLE.values() if op.batch != "none" and op.name not in DRAWS
           for i, (shapes, params) in enumerate(op.examples) if shapes]


@pytest.mark.parametrize("op, shapes, params", BATCHED)
def test_a_batch_in_one_call_equals_a_loop_over_it(op, shapes, params):
    """Forward and gradient, every input batched, and the first alone (the others broadcast)."""
    assert opchecks.batched(op, shapes, params, "all") == []
    if len(shapes) > 1:
        assert opchecks.batched(op, shapes, params, "first") == []


@pytest.mark.parametrize("op, shapes, params", CASES)
def test_a_jacobian_in_one_pass_equals_a_pass_per_element(op, shapes, params):
    """The rules on a batch of cotangents, to second order (the Hessian)."""
    assert opchecks.seeded(op, shapes, params) == []
