"""Products and norms of tensors: einsum (any equation NumPy accepts,
gradients by einsum), kron, cross, tensordot, vector_norm and matrix_norm."""
from __future__ import annotations

OPS = []
