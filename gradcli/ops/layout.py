"""Arrangements of an array's elements in PyTorch's spellings: flips, rolls,
triangles, repeats, splits and padding. Each moves or copies elements, so
each gradient moves or sums them back."""
from __future__ import annotations

OPS = []
