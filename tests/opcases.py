"""Test inputs generated from the op table: each op's `domain` says where its
inputs are drawn, its `examples` the shapes and parameters to try."""
from __future__ import annotations

import numpy as np


def draw(rng, domain: str, shape: tuple) -> np.ndarray:
    """Random float64 values of a domain named in the table."""
    if domain == "positive":
        return rng.uniform(0.5, 2.0, shape)
    if domain == "unit":
        return rng.uniform(-0.9, 0.9, shape)
    if domain == "gt1":
        return rng.uniform(1.5, 3.0, shape)
    if domain == "nonzero":
        return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.5, 2.0, shape)
    if domain == "wellposed" and len(shape) >= 2 and shape[-1] == shape[-2]:
        return rng.uniform(-1, 1, shape) * 0.5 + 3 * np.eye(shape[-1])
    return rng.normal(size=shape)


def example_inputs(op, shapes, rng) -> list[tuple[np.ndarray, bool]]:
    """(host array, differentiable?) per tensor input; masks get 0/1 values."""
    kinds = []
    for p in op.tensor_params:
        kinds += [p.kind] * (len(shapes) - len(kinds) if p.kind == "tensors" else 1)
    diff = op.differentiable(len(shapes))
    return [(rng.integers(0, 2, s).astype(float) if k == "mask" else draw(rng, op.domain, s), d and k != "mask")
            for k, s, d in zip(kinds, shapes, diff)]
