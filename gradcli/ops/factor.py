"""Linear algebra by factorisation (torch.linalg's names, batched over
leading axes): solve, cholesky, slogdet/logdet, eigh, svd/svdvals, pinv,
matrix_power, matrix_exp. Each gradient is PyTorch's, written with table ops."""
from __future__ import annotations

OPS = []
