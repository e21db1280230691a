"""Test inputs generated from the op table: each op's `domain` says where its
inputs are drawn, its `examples` the shapes and parameters to try."""
from __future__ import annotations

from gradcli.ops.reference import draw


def example_inputs(op, shapes, rng) -> list[tuple]:
    """(host array, differentiable?) per tensor input; masks get 0/1 values."""
    kinds = []
    for p in op.tensor_params:
        kinds += [p.kind] * (len(shapes) - len(kinds) if p.kind == "tensors" else 1)
    diff = op.differentiable(len(shapes))
    return [(rng.integers(0, 2, s).astype(float) if k == "mask" else draw(rng, op.domain, s), d and k != "mask")
            for k, s, d in zip(kinds, shapes, diff)]
