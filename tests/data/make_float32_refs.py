"""Writes float32_torch.json: float32 values and gradients computed by
PyTorch for programs gradcli runs with --dtype float32. Run by hand
(`pip install torch`); the tests read only the JSON, so CI needs no PyTorch."""
import json
from pathlib import Path

import numpy as np
import torch

rng = np.random.default_rng(42)
A = rng.normal(size=(4, 3)).round(3).tolist()
B = rng.normal(size=(3, 2)).round(3).tolist()
v = rng.normal(size=5).round(3).tolist()
w = rng.normal(size=5).round(3).tolist()
S = (np.eye(3) * 2 + rng.normal(size=(3, 3)) * 0.3).round(3).tolist()
b = rng.normal(size=3).round(3).tolist()

CASES = [
    ("norm(4*x*x)", {"x": [1.0, 1.0]}, lambda x: torch.norm(4 * x * x)),
    ("mean(sin(A @ B))", {"A": A, "B": B}, lambda A, B: torch.mean(torch.sin(A @ B))),
    ("sum(tanh(A @ B))", {"A": A, "B": B}, lambda A, B: torch.sum(torch.tanh(A @ B))),
    ("sum(softmax(v) * w)", {"v": v, "w": w}, lambda v, w: torch.sum(torch.softmax(v, -1) * w)),
    ("logsumexp(v * 100)", {"v": v}, lambda v: torch.logsumexp(v * 100, 0)),
    ("sum(sigmoid(v) * softplus(w))", {"v": v, "w": w},
     lambda v, w: torch.sum(torch.sigmoid(v) * torch.nn.functional.softplus(w))),
    ("var(v) + std(w)", {"v": v, "w": w}, lambda v, w: torch.var(v) + torch.std(w)),
    ("sum(relu(v) * exp(w))", {"v": v, "w": w}, lambda v, w: torch.sum(torch.relu(v) * torch.exp(w))),
    ("det(S) + sum(inv(S) @ b)", {"S": S, "b": b}, lambda S, b: torch.det(S) + torch.sum(torch.inverse(S) @ b)),
    ("sum(log_softmax(A, axis=1)[:, 0])", {"A": A}, lambda A: torch.sum(torch.log_softmax(A, 1)[:, 0])),
]

out = []
for program, at, fn in CASES:
    ts = {k: torch.tensor(val, dtype=torch.float32, requires_grad=True) for k, val in at.items()}
    y = fn(*ts.values())
    y.backward()
    out.append({"program": program, "at": at, "value": y.item(),
                "grads": {k: t.grad.tolist() for k, t in ts.items()}})
Path(__file__).with_name("float32_torch.json").write_text(json.dumps(out, indent=1) + "\n")
