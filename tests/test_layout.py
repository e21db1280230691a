"""SPEC section 1, builtins: the arrangement family (gradcli/ops/layout.py)
as a program uses it: several results indexed, methods and PyTorch's
spellings, lists as arguments, PyTorch 2.13's numbers where its conventions
are subtle (which padding modes crop before padding), and errors that name
the op, the argument and the shapes. The generated checks (tests/test_ops.py)
hold each row to its reference and finite differences."""
from __future__ import annotations

import numpy as np
import pytest

import gradcli
from gradcli.errors import ArgumentError, ShapeError

X = [[1.0, 2, 3, 4], [5, 6, 7, 8]]


def value(program, **at):
    return np.asarray(gradcli.evaluate(program, at=at).value)


@pytest.mark.parametrize("program, want", [
    ("split(x, 2, 1)[1]", [[3, 4], [7, 8]]),
    ("split(x, [1, 3], dim=1)[1]", [[2, 3, 4], [6, 7, 8]]),
    ("chunk(x[0], 3)[1]", [3, 4]),                  # pieces of 2: only two of them
    ("x.t()", [[1, 5], [2, 6], [3, 7], [4, 8]]),
    ("x.view(4, 2)[3]", [7, 8]),
    ("x.swapaxes(0, 1)[0]", [1, 5]),
    ("moveaxis(x, 0, -1)[1]", [2, 6]),
    ("roll(x, [1, -1], [0, 1])", [[6, 7, 8, 5], [2, 3, 4, 1]]),
    ("roll(x, 3)", [[6, 7, 8, 1], [2, 3, 4, 5]]),     # no dims: rolled as one vector
    ("repeat_interleave(x, [1, 0, 2, 1], dim=1)", [[1, 3, 3, 4], [5, 7, 7, 8]]),
    ("tile(x, (2,))[1]", [5, 6, 7, 8, 5, 6, 7, 8]),
    ("x.expand(3, -1, -1)[2]", X),
    ("narrow(x, 1, -2, 2)", [[3, 4], [7, 8]]),
    ("diag_embed(x[:, :2], 1, 0, 2)[1]", [[0, 0, 2], [0, 0, 6]]),
])
def test_programs_read_as_in_pytorch(program, want):
    np.testing.assert_array_equal(value(program, x=X), want)


def test_the_pieces_of_a_split_are_differentiable_one_by_one():
    r = gradcli.grad("a = split(x, 1); sum(a[0] * 2 + a[1] ^ 2)", x=X)
    np.testing.assert_array_equal(r.grads["x"], [[2, 2, 2, 2], [10, 12, 14, 16]])


W = [[1.0, -1, 2, 0.5, 3, -2], [0.5, 1, -1, 2, 1, 1], [2, 1, 1, -1, 0, 3]]
PAD = "(-1, 3, 1, 0)"       # the last axis cropped by 1 on the left, widened by 3 on the right; one row above


@pytest.mark.parametrize("mode, want, grad", [
    # reflect reflects x, then crops; circular and constant crop, then pad what is left (PyTorch 2.13)
    ("reflect", [[6, 7, 8, 7, 6, 5], [2, 3, 4, 3, 2, 1], [6, 7, 8, 7, 6, 5]], [[1, 1.5, 3, -1], [1, 6, -0.5, 3]]),
    ("circular", [[6, 7, 8, 6, 7, 8], [2, 3, 4, 2, 3, 4], [6, 7, 8, 6, 7, 8]], [[0, 2.5, 2, 0], [0, 2.5, 3, 4]]),
    ("replicate", [[2, 3, 4, 4, 4, 4], [2, 3, 4, 4, 4, 4], [6, 7, 8, 8, 8, 8]], [[0, 1.5, 0, 6.5], [0, 2, 1, 3]]),
])
def test_pad_modes_crop_where_pytorch_does(mode, want, grad):
    r = gradcli.grad(f"y = pad(x, {PAD}, mode='{mode}'); sum(y * w)", x=X, w=W)
    np.testing.assert_array_equal(value(f"pad(x, {PAD}, mode='{mode}')", x=X), want)
    np.testing.assert_array_equal(r.grads["x"], grad)


def test_pad_constant_crops_then_fills_with_the_value():
    r = gradcli.grad(f"sum(pad(x, {PAD}, value=2.5) * w)", x=X, w=W)
    np.testing.assert_array_equal(value(f"pad(x, {PAD}, value=2.5)", x=X),
                                  [[2.5] * 6, [2, 3, 4, 2.5, 2.5, 2.5], [6, 7, 8, 2.5, 2.5, 2.5]])
    np.testing.assert_array_equal(r.grads["x"], [[0, 0.5, 1, -1], [0, 2, 1, 1]])


def test_pad_takes_any_number_of_trailing_axes():
    """PyTorch pads 1 to 3 axes, and reflects or wraps only below a batch axis; gradcli takes any."""
    np.testing.assert_array_equal(value("pad(x, (2, 1), mode='reflect')", x=[1.0, 2, 3]), [3, 2, 1, 2, 3, 2])


@pytest.mark.parametrize("program, error, words", [
    ("ones((2, 2, 2)).t()", ShapeError, ["t:", "(2, 2, 2)"]),
    ("flip(x, None)", ArgumentError, ["flip()'s dims", "None"]),
    ("roll(x, (1, 2), 0)", ArgumentError, ["roll:", "shifts (1, 2)", "dims (0,)"]),
    ("roll(x, 1.5)", ArgumentError, ["roll()'s shifts", "1.5"]),
    ("triu(x[0])", ShapeError, ["triu:", "(4,)"]),
    ("expand(x, 3, 4)", ShapeError, ["expand:", "axis 0", "(2, 4)", "3"]),
    ("expand(x, -1, 2, 4)", ShapeError, ["expand:", "-1", "(2, 4)"]),
    ("repeat(x, 2)", ShapeError, ["repeat:", "(2,)", "(2, 4)"]),
    ("repeat_interleave(x, [1, 2], 1)", ShapeError, ["repeat_interleave:", "(1, 2)", "axis 1", "(2, 4)"]),
    ("split(x, [1, 2], 1)", ShapeError, ["split:", "(1, 2)", "axis 1", "(2, 4)"]),
    ("split(x, 0)", ArgumentError, ["split:", "split_size", "0"]),
    ("chunk(x, 0)", ArgumentError, ["chunk:", "chunks", "0"]),
    ("pad(x, (1,))", ArgumentError, ["pad:", "(1,)", "(2, 4)"]),
    ("pad(x, (4, 0), mode='reflect')", ShapeError, ["pad:", "'reflect'", "axis 1", "(2, 4)", "at most 3"]),
    ("pad(x, (5, 0), mode='circular')", ShapeError, ["pad:", "'circular'", "(2, 4)", "at most 4"]),
    ("pad(x, (-5, 0))", ShapeError, ["pad:", "(-5, 0)", "axis 1", "(2, 4)"]),
    ("pad(x, (1, 1), mode='reflect', value=1)", ArgumentError, ["pad:", "value", "'reflect'"]),
    ("pad(x, (1, 1), mode='wrap')", ArgumentError, ["pad()'s mode", "'circular'"]),
    ("diag_embed(x, 0, 1, 1)", ArgumentError, ["diag_embed:", "dim1", "dim2", "axis 1"]),
    ("movedim(x, (0, 1), 1)", ArgumentError, ["movedim:", "(0, 1)", "(1,)"]),
    ("narrow(x, 1, 3, 2)", ShapeError, ["narrow:", "axis 1", "(2, 4)"]),
    ("split(x, 2)[1]", ShapeError, ["index 1", "1 results"]),
])
def test_errors_name_the_op_the_argument_and_the_shapes(program, error, words):
    with pytest.raises(error) as e:
        value(program, x=X)
    assert all(w in str(e.value) for w in words), str(e.value)
