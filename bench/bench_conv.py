"""The convolution benchmark of issue 13, run by hand (not in the tests):

    python bench/bench_conv.py [REPEATS] [THREADS]      (defaults 200 and 1)

A 1×3×64×64 input through a 16-channel 3×3 conv2d and the gradient of
sum(conv2d(x, w) * v) with respect to the input and the weight, in float64:
gradcli's Python API (gradcli.grad, the whole program each time: parse,
evaluate, differentiate) against PyTorch eager on the CPU, measured in the
same run, each the median CPU time of REPEATS calls, both libraries on THREADS threads (a
thread pool on a busy machine spins: NumPy's OpenBLAS and PyTorch's own are
set alike, before either is imported). Also gradcli's forward alone against
torch's, and the bare table op (F.conv2d on Tensors, no program text). The
target: gradcli.grad under 3× PyTorch's time."""
from __future__ import annotations

import os
import statistics
import sys
import time

PROGRAM = "sum(conv2d(x, w) * v)"


def median_time(fn, repeats):
    """The median CPU time of a call: on a shared machine, wall time mostly
    measures the other processes (with one thread the two agree when idle)."""
    fn()                                # warm: imports, caches
    times = []
    for _ in range(repeats):
        t = time.process_time()
        fn()
        times.append(time.process_time() - t)
    return statistics.median(times)


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
    x, w, v = rng.normal(size=(1, 3, 64, 64)), rng.normal(size=(16, 3, 3, 3)), rng.normal(size=(1, 16, 62, 62))

    def ours():
        return gradcli.grad(PROGRAM, x=x, w=w, v=v, wrt=["x", "w"])

    bk = make_backend()

    def ours_bare():
        tx, tw = Tensor(bk.asarray(x), bk, requires_grad=True), Tensor(bk.asarray(w), bk, requires_grad=True)
        y = F.sum(F.conv2d(tx, tw, stride=1, padding=0, dilation=1, groups=1) * Tensor.constant(v, bk), axis=None, keepdims=False)
        return gradients(y, [tx, tw])

    tx, tw, tv = (torch.tensor(a, dtype=torch.float64) for a in (x, w, v))

    def theirs():
        a, b = tx.clone().requires_grad_(), tw.clone().requires_grad_()
        return torch.autograd.grad((torch.nn.functional.conv2d(a, b) * tv).sum(), (a, b))

    r = ours()
    gx, gw = theirs()
    assert np.allclose(r.grads["x"], gx.numpy(), rtol=1e-10) and np.allclose(r.grads["w"], gw.numpy(), rtol=1e-10)

    t_ours, t_bare, t_torch = (median_time(f, repeats) for f in (ours, ours_bare, theirs))
    t_fwd = median_time(lambda: gradcli.evaluate(PROGRAM, x=x, w=w, v=v), repeats)
    t_torch_fwd = median_time(lambda: (torch.nn.functional.conv2d(tx, tw) * tv).sum(), repeats)
    print(f"conv2d 1x3x64x64 -> 16 channels, 3x3, float64; gradient in x and w (median of {repeats})")
    print(f"  PyTorch {torch.__version__} CPU eager ({torch.get_num_threads()} threads)  {t_torch * 1e3:8.3f} ms")
    print(f"  gradcli.grad (whole program)        {t_ours * 1e3:8.3f} ms   {t_ours / t_torch:5.2f}x PyTorch "
          f"(target < 3)")
    print(f"  gradcli table ops, no program text  {t_bare * 1e3:8.3f} ms   {t_bare / t_torch:5.2f}x")
    print(f"  forward only: gradcli.evaluate {t_fwd * 1e3:.3f} ms, PyTorch {t_torch_fwd * 1e3:.3f} ms "
          f"({t_fwd / t_torch_fwd:.2f}x)")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]), *(200, 1)[len(sys.argv[1:3]):])
