"""Special functions and the binary elementwise functions PyTorch users reach
for; the special functions are scipy.special's (cupyx.scipy.special's on the
GPU), imported when first used."""
from __future__ import annotations

OPS = []
