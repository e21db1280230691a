"""einsum over a table of equations, beyond the row's examples: values
against NumPy's own einsum of the equation as written (gradcli runs an
explicit rewrite of it), gradients to second order against finite
differences; its errors; and the products and norms as the language calls
them (tensordot's dims, matrix_norm's ord as a number or a string)."""
from __future__ import annotations

import math

import numpy as np
import pytest

import gradcli
from gradcli.errors import GradcliError
from gradcli.ops import TABLE
from tests import opchecks

EINSUM = TABLE["einsum"]

EQUATIONS = [
    ("ij,jk->ik", (3, 4), (4, 2)), ("ij,jk", (3, 4), (4, 2)), ("i,i", (4,), (4,)), ("i,j", (2,), (3,)),
    ("ij->", (2, 3)), ("ij->j", (2, 3)), ("ji", (2, 3)), ("ii->i", (3, 3)), ("ii", (3, 3)),
    ("iij->j", (2, 2, 3)), ("iji->ij", (2, 3, 2)), ("iii->i", (2, 2, 2)), ("ii,ii->i", (3, 3), (3, 3)),
    ("...ii->...i", (2, 3, 3)), ("...ij,...jk->...ik", (2, 1, 2, 3), (4, 3, 2)), ("...i->...", (2, 3)),
    ("i...->...", (2, 3, 1)), ("...", (2, 3)), ("...,...->...", (2, 1), (3,)), ("...i->i", (2, 2, 3)),
    ("bhqd,bhkd->bhqk", (1, 2, 3, 2), (1, 2, 2, 2)), ("ij,jk,kl->il", (2, 3), (3, 2), (2, 2)),
    ("i,i,i->", (3,), (1,), (3,)), ("ij,ij->i", (2, 1), (1, 3)), ("aB,Ba->", (2, 3), (3, 2)),
    ("", ()), (",->", (), ()), ("i->", (0,)), ("ij,kl->ijkl", (2, 1), (1, 2)),
]


@pytest.mark.parametrize("equation, shapes", [(e[0], e[1:]) for e in EQUATIONS],
                         ids=[e[0] or "scalar" for e in EQUATIONS])
def test_einsum_table(equation, shapes):
    arrays = [np.random.default_rng(3).normal(size=s) for s in shapes]
    got = gradcli.evaluate(f"einsum('{equation}', " + ", ".join(f"x{i}" for i in range(len(shapes))) + ")",
                           **{f"x{i}": a for i, a in enumerate(arrays)}).value
    np.testing.assert_allclose(got, np.einsum(equation, *arrays, optimize=True), rtol=1e-12, atol=1e-14)
    params = {"equation": equation}
    assert opchecks.forward(EINSUM, shapes, params) == []
    if math.prod(math.prod(s) for s in shapes):
        assert opchecks.first(EINSUM, shapes, params) == []
        assert opchecks.second(EINSUM, shapes, params) == []


@pytest.mark.parametrize("program, message", [
    ("einsum('ij,jk->ik', a)", "einsum: the equation 'ij,jk->ik' names 2 operands, but 1 was given"),
    ("einsum('ijk', a)", "einsum: operand 1 has 2 axes, the equation's 'ijk' names 3"),
    ("einsum('...ijk', a)", "einsum: operand 1 has 2 axes, the equation's '...ijk' names at least 3"),
    ("einsum('ij,jk->ik', a, a)", "einsum: index 'j' has size 3 in operand 1 and 2 in operand 2"),
    ("einsum('...,...', a, b)", "einsum: index '...' has size 3 in operand 1 and 4 in operand 2"),
    ("einsum('ii', a)", "einsum: operand 1 repeats index 'i' over axes of sizes 2 and 3"),
    ("einsum('ij->ii', a)", "einsum: the output 'ii' repeats 'i'"),
    ("einsum('ij->k', a)", "einsum: the output's 'k' is in no operand's term"),
    ("einsum('i1', a)", "einsum: cannot read the equation 'i1'"),
    ("einsum('i->j->k', a)", "einsum: cannot read the equation"),
    ("einsum('i.j', a)", "einsum: cannot read the equation"),
    ("einsum(a, 'ij')", "einsum()'s equation must be a string"),
    ("tensordot(a, a, 3)", "tensordot: dims=3 contracts 3 axes"),
    ("tensordot(a, a, ([1], [1, 0]))", "tensordot()'s dims must pair distinct axes of a with as many of b"),
    ("tensordot(a, a, (1, 0))", "tensordot()'s dims is a number or two lists of axes"),
    ("tensordot(a, a, ([0], [1]))", "tensordot: axis 0 of a has size 2, axis 1 of b 3"),
    ("cross(a, b)", "cross: x and other need the same number of axes"),
    ("cross(a, a, 0)", "cross: axis 0 must have length 3, got 2 in x and 2 in other"),
    ("matrix_norm(a, 3)", "matrix_norm: ord must be 'fro', 'nuc', inf, -inf, 1, -1, 2 or -2, not 3"),
    ("matrix_norm(a, 'fr')", "not 'fr'"),
    ("matrix_norm(b)", "matrix_norm: needs two axes of a matrix, got shape (4,)"),
])
def test_errors_name_the_op_and_the_argument(program, message):
    with pytest.raises(GradcliError) as e:
        gradcli.evaluate(program, a=np.ones((2, 3)), b=np.ones(4))
    assert message in str(e.value)


def test_tensordot_dims_as_the_language_writes_them():
    a, b = np.arange(6.0).reshape(2, 3), np.arange(6.0).reshape(3, 2) - 2
    for dims, numpy_dims in [("1", 1), ("([1, 0], [0, 1])", ([1, 0], [0, 1])), ("[[1], [0]]", ([1], [0])),
                             ("dims=0", 0), ("([-1], [0])", ([1], [0]))]:
        got = gradcli.evaluate(f"tensordot(a, b, {dims})", a=a, b=b).value
        np.testing.assert_allclose(got, np.tensordot(a, b, numpy_dims), rtol=1e-14)


@pytest.mark.parametrize("ord, want", [("", 7.416198487095663), ("'fro'", 7.416198487095663),
                                       ("'nuc'", 8.348469228349535), ("2", 7.3484692283495345),
                                       ("-2", 1.0000000000000002), ("1", 7.0), ("-1", 3.0), ("inf", 12.0),
                                       ("-inf", 3.0), ("ord=inf", 12.0)])
def test_matrix_norm_takes_ord_as_a_number_or_a_string(ord, want):
    """PyTorch 2.13's torch.linalg.matrix_norm of [[0, 1, 2], [3, 4, 5]] (numbers recorded here)."""
    program = "matrix_norm(a" + (f", {ord})" if ord else ")")
    assert gradcli.evaluate(program, a=np.arange(6.0).reshape(2, 3)).value == pytest.approx(want, rel=1e-12)


def test_vector_norm_zero_counts_the_nonzeros_along_dim():
    r = gradcli.evaluate("vector_norm(x, 0, dim=1, keepdim=True)", x=[[0.0, 2.0, 0.0], [1.0, -1.0, 3.0]])
    assert r.value.tolist() == [[1.0], [3.0]]


def test_einsum_gradient_is_an_einsum_of_the_other_operands():
    """d/da sum(a @ b) through einsum is b's row sums in every row, and the
    Hessian of a quadratic form x^T A x written with einsum is A + A^T."""
    a, b = np.ones((2, 3)), np.arange(6.0).reshape(3, 2)
    r = gradcli.grad("sum(einsum('ij,jk->ik', a, b))", a=a, b=b)
    np.testing.assert_allclose(r.grads["a"], np.tile(b.sum(axis=1), (2, 1)))
    A = np.array([[1.0, 2.0], [0.5, -1.0]])
    h = gradcli.evaluate("hessian(einsum('i,ij,j', x, A, x), x)", x=[0.3, -0.7], A=A).value
    np.testing.assert_allclose(h, A + A.T, rtol=1e-14)
