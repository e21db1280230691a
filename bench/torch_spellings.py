"""PyTorch's spellings of gradcli's activations, shared by the differential
bench (bench/torch_diff.py) and the singular points' recorder
(tests/data/make_singular_refs.py)."""
import torch

ACTIVATIONS = {
    "gelu": lambda x, approximate="none": torch.nn.functional.gelu(x, approximate=approximate),
    "silu": torch.nn.functional.silu, "mish": torch.nn.functional.mish, "logsigmoid": torch.nn.functional.logsigmoid,
    "leaky_relu": torch.nn.functional.leaky_relu, "elu": torch.nn.functional.elu, "selu": torch.nn.functional.selu,
    "celu": torch.nn.functional.celu, "softsign": torch.nn.functional.softsign,
    "tanhshrink": torch.nn.functional.tanhshrink, "hardtanh": torch.nn.functional.hardtanh,
    "relu6": torch.nn.functional.relu6,
    # hardsigmoid's backward multiplies by float32's 1/6 (0.16666667163...) even in float64: its formula instead
    "hardsigmoid": lambda x: torch.nn.functional.relu6(x + 3) / 6,
    "hardswish": torch.nn.functional.hardswish, "logit": torch.logit,
    "softshrink": torch.nn.functional.softshrink, "hardshrink": torch.nn.functional.hardshrink,
    "threshold": torch.nn.functional.threshold, "prelu": torch.nn.functional.prelu,
}
