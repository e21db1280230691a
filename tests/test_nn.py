"""The layers (gradcli/ops/nn.py) as the language calls them, beyond the
table's generated checks: PyTorch's conventions pinned to its numbers
(padding='same' with an even kernel, pooling's partial last window), the
data inputs that get no gradient (batch_norm's running statistics,
embedding's indices), dropout's seeded mask, and the errors, which name the
op, the argument and the shapes."""
from __future__ import annotations

import re

import numpy as np
import pytest

import gradcli
from gradcli.errors import GradcliError

GRID = np.arange(16.0).reshape(1, 1, 4, 4)


def test_same_padding_puts_the_odd_one_after_as_pytorch():
    # torch.nn.functional.conv1d(arange(5), [1, 10, 100, 1000], padding='same')
    r = gradcli.evaluate("conv1d(x, w, padding='same')", x=np.arange(5.0).reshape(1, 1, 5),
                         w=[[[1.0, 10.0, 100.0, 1000.0]]])
    np.testing.assert_array_equal(r.value, [[[2100, 3210, 4321, 432, 43]]])
    r = gradcli.evaluate("conv2d(x, w, padding='same')", x=GRID, w=[[[[1.0, 2.0], [3.0, 4.0]]]])
    np.testing.assert_array_equal(r.value, [[[[34, 44, 54, 24], [74, 84, 94, 40], [114, 124, 134, 56],
                                               [38, 41, 44, 15]]]])


@pytest.mark.parametrize("include, want", [
    ("True", [[40, 96, 60], [204, 360, 198], [150, 252, 135]]),
    ("False", [[90, 144, 180], [306, 360, 396], [450, 504, 540]])])
def test_a_partial_last_window_counts_what_it_covers(include, want):
    # torch.nn.functional.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=...) * 36
    r = gradcli.evaluate(f"avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad={include}) * 36", x=GRID)
    np.testing.assert_allclose(r.value[0, 0], want, rtol=1e-14)
    r = gradcli.evaluate("max_pool2d(x, 3, 2, 1, ceil_mode=True)", x=GRID)
    np.testing.assert_array_equal(r.value[0, 0], [[5, 7, 7], [13, 15, 15], [13, 15, 15]])


def test_data_inputs_get_no_gradient():
    """PyTorch's running statistics are buffers and indices are integers: the
    gradient reaches neither, as with any mask."""
    r = gradcli.grad("sum(batch_norm(x, m, v, w, b) * x)", x=[[0.0, 1.0], [2.0, -1.0]], m=[0.5, -1.0],
                     v=[2.0, 0.5], w=[1.5, -1.0], b=[0.1, 0.2])
    assert set(r.grads) == {"x", "w", "b"}
    r = gradcli.grad("sum(embedding(i, w))", i=[0.0, 2.0, 0.0], w=np.ones((3, 2)))
    assert set(r.grads) == {"w"}
    np.testing.assert_array_equal(r.grads["w"], [[2, 2], [0, 0], [1, 1]])     # repeated rows add up


def test_dropout_draws_its_mask_from_the_seed():
    x = np.ones(200)
    a, b = (gradcli.evaluate("dropout(x, 0.25)", x=x, seed=s).value for s in (1, 1))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, gradcli.evaluate("dropout(x, 0.25)", x=x, seed=2).value)
    assert set(np.unique(a)) == {0.0, 1 / 0.75} and 20 < np.sum(a == 0) < 80
    g = gradcli.grad("sum(dropout(x, 0.25))", x=x, seed=1).grads["x"]
    np.testing.assert_array_equal(g, a)                     # the gradient goes through the same mask
    np.testing.assert_array_equal(gradcli.evaluate("dropout(x, training=False)", x=x).value, x)


@pytest.mark.parametrize("program, message", [
    ("conv2d(randn(1, 3, 5, 5), randn(2, 4, 3, 3))", "conv2d: weight has 4 input channels, input 3"),
    ("conv2d(randn(1, 4, 5, 5), randn(2, 1, 3, 3), groups=3)", "conv2d: groups must divide"),
    ("conv2d(randn(1, 3, 5, 5), randn(2, 3, 3, 3), bias=ones(3))", "bias has shape (3,), weight 2 output"),
    ("conv2d(randn(1, 3, 2, 2), randn(2, 3, 3, 3))", "kernel (3, 3) (dilation (1, 1)) is larger"),
    ("conv2d(randn(1, 3, 5, 5), randn(2, 3, 3, 3), stride=2, padding='same')", "padding='same' needs stride 1"),
    ("conv2d(randn(1, 3, 5, 5), randn(2, 3, 3, 3), padding='full')", "padding is a number, one per axis"),
    ("conv1d(randn(3, 4, 5, 5), randn(2, 4, 3))", "conv1d: x must be 2-D (C, L) or 3-D (N, C, L)"),
    ("max_pool2d(randn(1, 4, 4), 2, padding=2)", "max_pool2d: padding (2, 2) is more than half the kernel"),
    ("max_pool2d(randn(1, 4, 4), 2, stride=(1, 2, 3))", "stride is one number or 2, not 3"),
    ("avg_pool2d(randn(1, 2, 2), 3)", "x of shape (1, 2, 2) is smaller than the kernel (3, 3)"),
    ("layer_norm(randn(2, 3), 2)", "normalized_shape (2,) must be the last axes of x, of shape (2, 3)"),
    ("layer_norm(randn(2, 3), 3, ones(2))", "layer_norm: weight has shape (2,), normalized_shape (3,)"),
    ("batch_norm(randn(4, 3), zeros(2), ones(3))", "batch_norm: running_mean has shape (2,), x 3 channels"),
    ("batch_norm(randn(1, 3), zeros(3), ones(3), training=True)", "more than 1 value per channel"),
    ("dropout(ones(3), 1.5)", "dropout: p is a probability"),
    ("embedding([0, 3], randn(3, 2))", "embedding: the indices must be whole numbers from 0 to 2"),
    ("embedding([0, 1], randn(3))", "embedding: weight must be a matrix"),
])
def test_errors_name_the_op_the_argument_and_the_shapes(program, message):
    with pytest.raises(GradcliError, match=re.escape(message)):
        gradcli.evaluate(program)
