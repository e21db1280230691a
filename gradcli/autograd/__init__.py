"""Reverse-mode automatic differentiation over a recorded graph."""
from gradcli.autograd.engine import apply, backward, gradients, grad_mode, unbroadcast
from gradcli.autograd.tensor import Tensor
from gradcli.autograd.walks import reaches, toposort

__all__ = ["Tensor", "apply", "backward", "gradients", "grad_mode", "reaches", "toposort", "unbroadcast"]
