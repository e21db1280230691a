"""Activations (torch.nn.functional's names and defaults): elementwise
functions of one array with PyTorch's one-sided choices at their kinks."""
from __future__ import annotations

OPS = []
