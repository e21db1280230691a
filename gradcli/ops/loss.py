"""Losses (torch.nn.functional's names, argument order and reduction='mean'|'sum'|'none'),
composed of other ops of the table (impl=), so their gradients to every order follow."""
from __future__ import annotations

OPS = []
