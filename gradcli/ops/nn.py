"""Layers of torch.nn.functional: convolution, pooling, normalisation,
dropout and embedding, written with NumPy's own tools (sliding windows,
einsum), with gradients written with table ops."""
from __future__ import annotations

OPS = []
