"""SPEC section 1, builtins: the losses (gradcli/ops/loss.py) where the
checks generated from the table do not reach. Class indices are checked and
never differentiated, class probabilities are; second derivatives at the
kinks of the piecewise losses follow PyTorch's (the singular points sum every
input's gradient, which cancels for a function of x - target); the optional
weights take PyTorch's None; and every error names the op with the value or
the shapes at fault."""
from __future__ import annotations


import numpy as np
import pytest

import gradcli
from gradcli.ops import TABLE
from tests import opchecks

LOGITS = [[0.5, -1.0, 2.0], [0.0, 0.0, 0.0], [1.5, 0.25, -0.5]]
PROBABILITIES = [[0.2, 0.3, 0.5], [1.0, 0.0, 0.0], [0.0, 0.5, 0.5]]


def test_class_indices_are_data_and_probabilities_are_differentiated():
    assert set(gradcli.grad("cross_entropy(z, y)", z=LOGITS, y=[2, 0, 1]).grads) == {"z"}
    assert set(gradcli.grad("nll_loss(z, y)", z=LOGITS, y=[2, 0, 1]).grads) == {"z"}
    assert set(gradcli.grad("cross_entropy(z, p)", z=LOGITS, p=PROBABILITIES).grads) == {"z", "p"}
    assert set(gradcli.grad("hinge_embedding_loss(z, y)", z=[0.5, 2.0], y=[1, -1]).grads) == {"z"}


@pytest.mark.parametrize("shapes, params", [
    (((2, 3), (2, 3)), {}),
    (((3,), (3,)), {"label_smoothing": 0.2, "reduction": "sum"}),
    (((2, 3, 2), (2, 3, 2), (3,)), {"label_smoothing": 0.1, "reduction": "none"}),
])
def test_probability_targets_have_exact_gradients(shapes, params):
    """The generated checks draw cross_entropy's target as data (class
    indices); drawn as an input, its gradients are right to second order."""
    row = TABLE["cross_entropy"]
    soft = row.replaced(sig=row.sig.replace("target:mask", "target"))
    assert opchecks.first(soft, shapes, params) == []
    assert opchecks.second(soft, shapes, params) == []


def test_cross_entropy_is_nll_loss_of_log_softmax():
    at = {"z": LOGITS, "y": [2, 1, 1], "w": [0.5, 2.0, 1.5]}
    a = gradcli.grad("cross_entropy(z, y, w, ignore_index=2)", at=at, wrt=["z", "w"])
    b = gradcli.grad("nll_loss(log_softmax(z, 1), y, w, ignore_index=2)", at=at, wrt=["z", "w"])
    assert a.value == pytest.approx(b.value, rel=1e-14)
    for name in ("z", "w"):
        np.testing.assert_allclose(a.grads[name], b.grads[name], rtol=1e-13)


AT_KINKS = {"x": [1.0, -1.0, 0.5, 0.0, 2.0], "t": [0.0] * 5}       # |x - t| at 1, 0.5 and 0


@pytest.mark.parametrize("call, gradient, second", [
    ("smooth_l1_loss(x, t, reduction='sum')", [1, -1, 0.5, 0, 1], [0, 0, 1, 1, 0]),
    ("smooth_l1_loss(x, t, reduction='sum', beta=0.5)", [1, -1, 1, 0, 1], [0, 0, 0, 2, 0]),
    ("huber_loss(x, t, reduction='sum')", [1, -1, 0.5, 0, 1], [0, 0, 1, 1, 0]),
    ("huber_loss(x, t, reduction='sum', delta=0.5)", [0.5, -0.5, 0.5, 0, 0.5], [0, 0, 0, 1, 0]),
    ("l1_loss(x, t, reduction='sum')", [1, -1, 1, 0, 1], [0, 0, 0, 0, 0]),
    ("margin_ranking_loss(x, t, sign(x - 0.25), margin=0.5, reduction='sum')", [0, 0, -1, 1, 0], [0, 0, 0, 0, 0]),
])
def test_kinks_follow_pytorch_to_second_order(call, gradient, second):
    """PyTorch 2.13's gradient and Hessian diagonal where |x - t| is beta
    (or delta) and where x = t."""
    assert gradcli.grad(call, at=AT_KINKS, wrt=["x"]).grads["x"].tolist() == gradient
    assert gradcli.evaluate(f"diag(hessian({call}, x))", at=AT_KINKS).value.tolist() == second


def test_optional_weights_take_none():
    """PyTorch's weight=None and pos_weight=None: the defaults, which weigh nothing."""
    at = {"z": LOGITS, "y": [2, 0, 1], "p": PROBABILITIES}
    for given, default in [("cross_entropy(z, y, weight=None)", "cross_entropy(z, y)"),
                           ("binary_cross_entropy_with_logits(z, p, None, pos_weight=None)",
                            "binary_cross_entropy_with_logits(z, p)"),
                           ("binary_cross_entropy(sigmoid(z), p, weight=None)", "binary_cross_entropy(sigmoid(z), p)")]:
        assert gradcli.evaluate(given, at=at).value == gradcli.evaluate(default, at=at).value


@pytest.mark.parametrize("program, at, code, message", [
    ("cross_entropy(z, y)", {"z": LOGITS + [[1, 1, 1]], "y": [2, 0, 1]}, 1, "cross_entropy: target has 3 rows, logits 4"),
    ("cross_entropy(z, y)", {"z": LOGITS, "y": [2, 3, 0]}, 1,
     "cross_entropy: target 3 is not a class index (a whole number from 0 to 2, or ignore_index -100)"),
    ("nll_loss(z, y, ignore_index=5)", {"z": LOGITS, "y": [0, 0.5, 5]}, 1,
     "nll_loss: target 0.5 is not a class index (a whole number from 0 to 2, or ignore_index 5)"),
    ("cross_entropy(z, y)", {"z": [LOGITS], "y": [[1, 0]]}, 1,
     "cross_entropy: target of shape (1, 2) does not fit logits of shape (1, 3, 3): it should be (1, 3) "
     "(class indices) or (1, 3, 3) (class probabilities)"),
    ("cross_entropy(z, 0)", {"z": 1.5}, 1, "cross_entropy: the logits need a class axis, not a scalar"),
    ("cross_entropy(z, y, weight=[1, 2])", {"z": LOGITS, "y": [2, 0, 1]}, 1,
     "cross_entropy: weight has shape (2,), but there are 3 classes"),
    ("cross_entropy(z, p, ignore_index=0)", {"z": LOGITS, "p": PROBABILITIES}, 2,
     "cross_entropy: ignore_index is for class indices, not class probabilities"),
    ("cross_entropy(z, y, label_smoothing=1.5)", {"z": LOGITS, "y": [2, 0, 1]}, 2,
     "cross_entropy: label_smoothing must be from 0 to 1, not 1.5"),
    ("cross_entropy(z, y, reduction='batchmean')", {"z": LOGITS, "y": [2, 0, 1]}, 2,
     "cross_entropy()'s reduction must be one of 'mean', 'sum', 'none', not 'batchmean'"),
    ("binary_cross_entropy(p, y)", {"p": [0.2, 1.5], "y": [0, 1]}, 1,
     "binary_cross_entropy: input 1.5 is not a probability (from 0 to 1)"),
    ("binary_cross_entropy(p, y)", {"p": [0.2, 0.5], "y": [0, 1, 1]}, 1,
     "binary_cross_entropy: target of shape (3,) should have the input's shape (2,)"),
    ("binary_cross_entropy_with_logits(z, y, pos_weight=[1, 2, 3])", {"z": [[1, 2]], "y": [[0, 1]]}, 1,
     "binary_cross_entropy_with_logits: pos_weight of shape (3,) does not broadcast to the input's shape (1, 2)"),
    ("mse_loss(a, b)", {"a": [1, 2], "b": [1, 2, 3]}, 1, "mse_loss: shapes (2,) and (3,) cannot be broadcast together"),
    ("smooth_l1_loss(a, b, beta=-1)", {"a": [1], "b": [2]}, 2, "smooth_l1_loss: beta must be 0 or more, not -1"),
    ("huber_loss(a, b, delta=0)", {"a": [1], "b": [2]}, 2, "huber_loss: delta must be positive, not 0"),
    ("gaussian_nll_loss(a, b, v)", {"a": [1, 2], "b": [0, 0], "v": [1, -1]}, 1,
     "gaussian_nll_loss: var has a negative entry"),
    ("gaussian_nll_loss(a, b, v)", {"a": [[1, 2]], "b": [[0, 0]], "v": [1, 1, 1]}, 1,
     "gaussian_nll_loss: var of shape (3,) does not fit the input's (1, 2)"),
    ("normalize(a, p=0, dim=0)", {"a": [1, 2]}, 2, "normalize: p must be positive (or inf), not 0"),
    ("cosine_similarity(a, b)", {"a": [1, 2], "b": [1, 2]}, 1, "axis 1 is out of range for a 1-D array"),
])
def test_errors_name_the_op_and_what_is_wrong(program, at, code, message):
    with pytest.raises(gradcli.GradcliError) as e:
        gradcli.evaluate(program, at=at)
    assert message in str(e.value) and e.value.exit_code == code
