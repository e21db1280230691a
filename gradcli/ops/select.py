"""Selection by index arrays (gather, index_select, take_along_dim): the
indices are data, the gradient scatter-adds (repeated indices accumulate)."""
from __future__ import annotations

OPS = []
