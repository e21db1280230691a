"""Writes samples_torch.json: PyTorch 2.13's values and gradients for the
samples that use the builtins of PyTorch users (14-19), which
tests/test_batch.py holds gradcli's records to. Run by hand when a sample
changes (pip install torch==2.13.0):

    python tests/data/make_sample_refs.py"""
from __future__ import annotations

import json
import math
from pathlib import Path

import torch
import torch.nn.functional as F


def leaf(values):
    return torch.tensor(values, dtype=torch.float64, requires_grad=True)


def result(out, **inputs):
    """out's value and, for a scalar, its gradient with respect to each input it depends on."""
    if out.numel() != 1:
        return {"value": out.tolist()}
    grads = torch.autograd.grad(out, list(inputs.values()), allow_unused=True, retain_graph=True)
    return {"value": out.item(), "grads": {k: g.tolist() for k, g in zip(inputs, grads) if g is not None}}


def cross_entropy():
    target = torch.tensor([0, 2, 2])
    out = []
    for kw in ({"label_smoothing": 0.1}, {"reduction": "sum", "label_smoothing": 0.1}, {"reduction": "none"}):
        logits = leaf([[2.0, 1.0, 0.1, -0.5], [0.5, 2.5, -1.0, 0.0], [-0.3, 0.2, 1.7, 0.9]])
        out.append(result(F.cross_entropy(logits, target, **kw), logits=logits))
    return out


def gamma():
    x = torch.tensor([2.1, 1.7, 3.4, 2.8, 2.2, 0.9], dtype=torch.float64)
    a, b = leaf(2.0), leaf(1.5)
    loglik = (a * torch.log(b) - torch.lgamma(a) + (a - 1) * torch.log(x) - b * x).sum()
    score = result(loglik, a=a, b=b)
    # d/da of digamma is trigamma, which PyTorch computes to about 5e-10 only: the
    # tests hold gradcli's to the exact value there instead (README, differences)
    by_hand = result((torch.log(b) - torch.digamma(a) + torch.log(x)).sum(), b=b)
    return [score, by_hand]


def gather():
    idx = torch.tensor([0, 2, 0, 1, 0])
    E, w = leaf([[0.1, 0.2], [0.3, -0.1], [-0.2, 0.4], [0.5, 0.5]]), leaf([1.0, -2.0])
    picked = result(torch.tanh(E[idx] @ w).sum(), E=E, w=w)
    by_name = result(torch.tanh(torch.index_select(E, 0, idx) @ w).sum(), E=E, w=w)
    E = leaf(E.tolist())
    one_each = result((torch.gather(E, 1, torch.tensor([[1], [0], [1], [0]])) ** 2).sum(), E=E)
    return [picked, by_name, one_each]


def gaussian_process():
    t, y = leaf([[0.0], [0.7], [1.5], [2.4], [3.0]]), leaf([0.1, 0.8, 1.1, 0.4, -0.3])
    log_ell, log_sf = leaf(-0.2), leaf(0.1)
    K = (torch.exp(2 * log_sf) * torch.exp(-(t - t.T) ** 2 / (2 * torch.exp(2 * log_ell)))
         + 0.01 * torch.eye(5, dtype=torch.float64))
    L = torch.linalg.cholesky(K)
    alpha = torch.linalg.solve(K, y)
    lml = -0.5 * (y * alpha).sum() - 0.5 * torch.logdet(K) - 2.5 * math.log(2 * math.pi)
    inputs = {"t": t, "y": y, "log_ell": log_ell, "log_sf": log_sf}
    return [result(lml, **inputs), result(2 * torch.log(torch.diagonal(L)).sum(), **inputs)]


def attention():
    Q = leaf([[0.2, -0.1, 0.4], [0.5, 0.3, -0.2]])
    K = leaf([[0.1, 0.4, -0.3], [-0.2, 0.2, 0.5], [0.3, -0.5, 0.1], [0.0, 0.1, 0.2]])
    V = leaf([[1.0, 0.0], [0.5, -0.5], [-0.3, 0.8], [0.2, 0.2]])
    out = torch.softmax(torch.einsum("qd,kd->qk", Q, K) / 3 ** 0.5, dim=-1) @ V
    return [result((out ** 2).sum(), Q=Q, K=K, V=V)] * 2


def small_cnn():
    x = leaf([[[[0.1, 0.5, -0.2, 0.3, 0.0, 0.4], [0.2, -0.1, 0.6, 0.1, -0.3, 0.2], [0.0, 0.3, 0.2, -0.4, 0.5, 0.1],
                [0.4, -0.2, 0.1, 0.3, 0.2, -0.1], [-0.3, 0.1, 0.4, 0.0, 0.1, 0.3], [0.2, 0.2, -0.1, 0.5, -0.2, 0.0]]],
              [[[0.3, -0.1, 0.2, 0.0, 0.4, -0.2], [0.1, 0.4, -0.3, 0.2, 0.1, 0.5], [-0.2, 0.0, 0.3, 0.4, -0.1, 0.2],
                [0.5, 0.1, -0.2, 0.1, 0.3, 0.0], [0.0, -0.4, 0.2, 0.3, 0.2, 0.1], [0.1, 0.3, 0.0, -0.1, 0.4, 0.2]]]])
    w = leaf([[[[0.2, -0.1, 0.3], [0.1, 0.4, -0.2], [-0.3, 0.2, 0.1]]],
              [[[-0.1, 0.3, 0.2], [0.2, -0.2, 0.1], [0.4, 0.1, -0.3]]]])
    b = leaf([0.05, -0.05])
    W = leaf((torch.linspace(-0.5, 0.5, 16, dtype=torch.float64).reshape(2, 8) / 4).tolist())
    h = F.max_pool2d(torch.relu(F.conv2d(x, w, b)), 2)
    loss = F.cross_entropy(h.reshape(2, 8) @ W.T, torch.tensor([1, 0]))
    return [result(loss, x=x, w=w, b=b, W=W)]


def main():
    out = {"14": cross_entropy(), "15": gamma(), "16": gather(), "17": gaussian_process(), "18": attention(),
           "19": small_cnn()}
    path = Path(__file__).with_name("samples_torch.json")
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"samples 14-19 from torch {torch.__version__} -> {path}")


if __name__ == "__main__":
    main()
