"""Scans along an axis (cumsum, cumprod, logcumsumexp) and the order
statistics (sort, topk, median, quantile, argmax, argmin)."""
from __future__ import annotations

OPS = []
