"""The factorisation benchmark of issue 13, run by hand (not in the tests):

    python bench/bench_linalg.py [REPEATS] [THREADS]      (defaults 20 and 1)

A 256×256 solve and a 256×256 cholesky, each with its gradient, in float64:
gradcli's Python API (gradcli.grad, the whole program each time: parse,
evaluate, differentiate) against PyTorch eager on the CPU, measured in the
same run, each the median CPU time of REPEATS, both libraries on THREADS
threads (set before either is imported: a thread pool on a busy machine
spins). Also the bare table ops (F.solve, F.cholesky on Tensors, no program
text), which show what the program text costs on top. The gradients are
checked to agree first."""
from __future__ import annotations

import os
import sys

from bench_conv import median_time      # CPU time, median of repeats: the same measure for both benchmarks

N = 256
CASES = {       # name: (gradcli program, inputs differentiated)
    "solve": ("sum(solve(A, B) * W)", ["A", "B"]),
    "cholesky": ("sum(cholesky(K) * W)", ["K"]),
}


def main(repeats: int, threads: int) -> None:
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(threads)
    import numpy as np
    import torch

    import gradcli
    from gradcli.autograd import Tensor, gradients
    from gradcli.backend import make_backend
    from gradcli.ops import F

    torch.set_num_threads(threads)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N, N))
    inputs = {"A": rng.normal(size=(N, N)) + N ** 0.5 * np.eye(N), "B": rng.normal(size=(N, N)),
              "K": X @ X.T / N + np.eye(N), "W": rng.normal(size=(N, N))}
    bk = make_backend()
    w = Tensor.constant(inputs["W"], bk)
    bare = {"solve": lambda A, B: F.solve(A, B), "cholesky": lambda K: F.cholesky(K)}
    torch_fn = {"solve": torch.linalg.solve, "cholesky": torch.linalg.cholesky}
    tw = torch.tensor(inputs["W"])

    print(f"{N}x{N} float64, gradient of sum(f(...) * W) (median of {repeats}; "
          f"PyTorch {torch.__version__} CPU eager, {torch.get_num_threads()} threads)")
    for name, (program, wrt) in CASES.items():
        def ours():
            return gradcli.grad(program, **inputs, wrt=wrt)

        def ours_bare():
            ts = [Tensor(bk.asarray(inputs[k]), bk, requires_grad=True) for k in wrt]
            return gradients(F.sum(bare[name](*ts) * w, axis=None, keepdims=False), ts)

        def theirs():
            ts = [torch.tensor(inputs[k], requires_grad=True) for k in wrt]
            return torch.autograd.grad((torch_fn[name](*ts) * tw).sum(), ts)

        r = ours()
        for k, g in zip(wrt, theirs()):
            assert np.allclose(r.grads[k], g.numpy(), rtol=1e-9, atol=1e-12), (name, k)
        t_ours, t_bare, t_torch = (median_time(f, repeats) for f in (ours, ours_bare, theirs))
        print(f"  {name:9} PyTorch {t_torch * 1e3:7.2f} ms   gradcli.grad {t_ours * 1e3:7.2f} ms "
              f"({t_ours / t_torch:4.2f}x)   table ops alone {t_bare * 1e3:7.2f} ms ({t_bare / t_torch:4.2f}x)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20, int(sys.argv[2]) if len(sys.argv) > 2 else 1)
