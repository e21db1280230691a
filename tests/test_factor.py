"""The factorisations (gradcli/ops/factor.py) where the checks generated
from the table (tests/test_ops.py) do not reach: svd's full matrices of a
non-square A (their extra vectors are any orthonormal completion, so no
reference holds them, and PyTorch's gradient ignores them), symmetric inputs
taken by their symmetric part, solve's shapes, the eigenvectors' gradient at
repeated eigenvalues, matrix_exp far from the origin, and the errors."""
from __future__ import annotations

import numpy as np
import pytest

import gradcli
from gradcli.errors import ComputeError, ShapeError

RNG = np.random.default_rng(3)


@pytest.mark.parametrize("shape", [(4, 3), (3, 4)])
def test_svd_full_matrices_of_a_non_square_matrix(shape):
    """U and Vh are square and orthogonal, A = U[:, :k] diag(S) Vh[:k]; a
    loss on the first k vectors has the thin svd's gradient, and the other
    vectors pass nothing back (PyTorch narrows U and Vh to k the same way)."""
    A, k = RNG.normal(size=shape), min(shape)
    U, S, Vh = (gradcli.evaluate(f"svd(A).{name}", A=A).value for name in ("U", "S", "Vh"))
    np.testing.assert_allclose(U @ U.T, np.eye(shape[0]), atol=1e-14)
    np.testing.assert_allclose(Vh @ Vh.T, np.eye(shape[1]), atol=1e-14)
    np.testing.assert_allclose(U[:, :k] * S @ Vh[:k], A, atol=1e-14)
    W, V = RNG.normal(size=(shape[0], k)), RNG.normal(size=(k, shape[1]))
    loss = "sum(svd(A, {}).U[:, :{k}] * W) + sum(svd(A, {}).Vh[:{k}] * V)"
    full = gradcli.grad(loss.format(True, True, k=k), A=A, W=W, V=V, wrt=["A"]).grads["A"]
    thin = gradcli.grad(loss.format(False, False, k=k), A=A, W=W, V=V, wrt=["A"]).grads["A"]
    np.testing.assert_allclose(full, thin, rtol=1e-12, atol=1e-14)
    extra = "sum(svd(A).U[:, {k}:]) + sum(svd(A).Vh[{k}:])".format(k=k)
    np.testing.assert_array_equal(gradcli.grad(extra, A=A).grads["A"], np.zeros(shape))


def test_symmetric_inputs_are_taken_by_their_symmetric_part():
    """cholesky and eigh factorise (A + Aᵀ)/2, so their gradients are
    symmetric (PyTorch's); on a symmetric A that is A itself."""
    A = RNG.normal(size=(3, 3)) + 4 * np.eye(3)
    S = (A + A.T) / 2
    for program in ("cholesky(A)", "eigh(A).eigenvalues", "eigh(A, 'U').eigenvectors"):
        np.testing.assert_array_equal(gradcli.evaluate(program, A=A).value, gradcli.evaluate(program, A=S).value)
        g = gradcli.grad(f"sum({program} * {program})", A=S).grads["A"]
        np.testing.assert_allclose(g, g.T, atol=1e-13)
    L = gradcli.evaluate("cholesky(A, upper=True)", A=S).value
    np.testing.assert_allclose(L.T @ L, S, atol=1e-14)
    values, vectors = (gradcli.evaluate(f"eigh(A)[{i}]", A=S).value for i in (0, 1))
    np.testing.assert_allclose(S @ vectors, vectors * values, atol=1e-14)


@pytest.mark.parametrize("a, b, out, vector", [((2, 3, 3), (2, 3), (2, 3), True), ((2, 3, 3), (3,), (2, 3), True),
                                               ((3, 3), (3, 2), (3, 2), False),
                                               ((2, 1, 3, 3), (5, 3, 1), (2, 5, 3, 1), False)])
def test_solve_reads_b_as_torch_linalg_solve_does(a, b, out, vector):
    """B is a vector (or a stack of them) when it has one axis or A's shape
    less its last axis; else a matrix; the stacks broadcast."""
    A, B = RNG.normal(size=a) + 3 * np.eye(3), RNG.normal(size=b)
    r = gradcli.grad("sum(solve(A, B))", A=A, B=B)
    assert r.grads["A"].shape == a and r.grads["B"].shape == b
    X = gradcli.evaluate("solve(A, B)", A=A, B=B).value
    assert X.shape == out
    AX = np.einsum("...ij,...j->...i" if vector else "...ij,...jk->...ik", A, X)
    np.testing.assert_allclose(AX, np.broadcast_to(B, out), atol=1e-13)


def test_eigenvector_gradients_are_not_finite_at_repeated_eigenvalues():
    """The documented caveat, PyTorch's too: eigenvectors of a repeated
    eigenvalue are not unique, and their gradient is nan; the eigenvalues'
    stays finite."""
    A = np.diag([1.0, 1.0, 2.0])
    assert np.isnan(gradcli.grad("sum(eigh(A).eigenvectors * W)", A=A, W=RNG.normal(size=(3, 3)),
                                 wrt=["A"]).grads["A"]).any()
    np.testing.assert_allclose(gradcli.grad("sum(eigvalsh(A) * [1, 2, 3])", A=A).grads["A"], np.diag([1.0, 2, 3]))


def test_matrix_exp_far_from_the_origin():
    """Many squarings (a rotation by 100 radians) stay accurate; a nan or an
    inf gives nan or inf, and no endless scaling."""
    t = 100.0
    R = gradcli.evaluate("matrix_exp(A)", A=[[0.0, t], [-t, 0.0]]).value
    np.testing.assert_allclose(R, [[np.cos(t), np.sin(t)], [-np.sin(t), np.cos(t)]], atol=1e-12)
    for bad in (np.nan, np.inf):
        assert not np.isfinite(gradcli.evaluate("matrix_exp(A)", A=[[bad, 0.0], [0.0, 1.0]]).value).all()


@pytest.mark.parametrize("program, error, message", [
    ("solve(eye(2), [1, 2, 3])", ShapeError, "solve: A is 2×2, B has 3 rows"),
    ("solve(ones(2, 3), [1, 2])", ShapeError, "solve: A must be a square matrix"),
    ("solve(ones(2, 2, 2), ones(3, 2, 1))", ShapeError, "solve: the stacks of A (2, 2, 2) and B (3, 2, 1)"),
    ("cholesky(ones(2, 3))", ShapeError, "cholesky: A must be a square matrix or a stack of them, got shape (2, 3)"),
    ("cholesky([[1, 2], [2, 1]])", ComputeError, "cholesky: matrix is not positive definite"),
    ("logdet([1, 2])", ShapeError, "logdet: A must be a square matrix"),
    ("svdvals(3)", ShapeError, "svdvals: A must be a matrix or a stack of them, got shape ()"),
    ("matrix_power(ones(2, 3), 2)", ShapeError, "matrix_power: A must be a square matrix"),
    ("matrix_power(eye(2), 1.5)", gradcli.errors.ArgumentError, "must be a whole number"),
])
def test_errors_name_the_op_and_the_shapes(program, error, message):
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        gradcli.evaluate(program)


def test_log_det_of_a_singular_matrix():
    """-inf, as PyTorch; its gradient (infinite there: PyTorch's is ±inf) is an error that says so."""
    A = [[1.0, 2.0], [2.0, 4.0]]
    assert gradcli.evaluate("logdet(A)", A=A).value == -np.inf
    with pytest.raises(ComputeError, match="no finite gradient where A is singular"):
        gradcli.grad("logdet(A)", A=A)
