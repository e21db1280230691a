"""The array backends: NumPy on the CPU, CuPy on the GPU. The engine and the
op table reach arrays only through a Backend instance, which is made per run
and passed in, never looked up globally."""
from __future__ import annotations

import contextlib
import math

from gradcli.errors import DeviceError, UsageError

DTYPES = ("float64", "float32")
DEVICES = ("cpu", "cuda")
CUDA_HINT = "install the CUDA extra: pip install 'gradcli[cuda]' (CuPy for CUDA 12; see the README for CUDA 13)"


class Backend:
    """One run's arrays: the namespace, the dtype, the random generator, and
    the floating-point events (log(-1), 0/0) seen while computing."""

    name = "cpu"

    def __init__(self, xp, dtype: str = "float64", seed: int = 0):
        if dtype not in DTYPES:
            raise UsageError(f"unknown dtype '{dtype}'", hint="use float64 or float32")
        import numpy
        self.xp = xp
        self.dtype = getattr(xp, dtype)
        self.dtype_name = dtype
        self.rng = numpy.random.default_rng(seed)   # on the host, whatever the device
        self.events: list[tuple[str, str, object]] = []   # (op, what, span)
        self.span = None                  # the source span being evaluated, for events
        self.op = None                    # the operation running, for events

    # ---- arrays
    def asarray(self, value):
        return self.xp.asarray(value, dtype=self.dtype)

    def to_host(self, array):
        import numpy
        return numpy.asarray(array)

    def from_host(self, array):
        return self.xp.asarray(array, dtype=self.dtype)

    def scatter_add(self, target, key, values):
        self.xp.add.at(target, key, values)

    def erf(self, x):
        import numpy
        return numpy.vectorize(math.erf, otypes=[x.dtype])(x) if x.size else x.copy()

    def random(self, kind: str, shape):
        draw = self.rng.random if kind == "uniform" else self.rng.standard_normal
        return self.from_host(draw(shape))

    # ---- floating-point events
    @contextlib.contextmanager
    def watching(self):
        """Record (not print) overflow, 0/0, log(-1)... with the operation
        (self.op, set by the engine) and the source span that met them."""
        def record(what, _flag):
            self.events.append((self.op, what, self.span))
        with self.xp.errstate(all="call", under="ignore", call=record):
            yield


class CupyBackend(Backend):
    name = "cuda"

    def to_host(self, array):
        return self.xp.asnumpy(array)

    def scatter_add(self, target, key, values):
        import cupyx
        cupyx.scatter_add(target, key, values)

    def erf(self, x):
        from cupyx.scipy import special
        return special.erf(x)

    @contextlib.contextmanager
    def watching(self):
        # CuPy keeps no floating-point flags.
        yield


def make_backend(device: str = "cpu", dtype: str = "float64", seed: int = 0) -> Backend:
    if device == "cpu":
        import numpy
        return Backend(numpy, dtype, seed)
    if device != "cuda":
        raise UsageError(f"unknown device '{device}'", hint="use cpu or cuda")
    try:
        import cupy
    except ImportError:
        raise DeviceError("--device cuda needs CuPy, which is not installed", hint=CUDA_HINT) from None
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:      # CUDA driver missing or broken
        raise DeviceError(f"--device cuda: CuPy is installed but finds no usable GPU ({e})",
                          hint="check nvidia-smi and the CUDA driver") from None
    if count < 1:
        raise DeviceError("--device cuda: CuPy is installed but this machine has no GPU")
    return CupyBackend(cupy, dtype, seed)


def available_backends() -> dict[str, str]:
    """For --version: which devices would work here, and why not."""
    out = {"cpu": "numpy"}
    try:
        make_backend("cuda")
        import cupy
        out["cuda"] = f"cupy {cupy.__version__}"
    except DeviceError as e:
        out["cuda"] = f"unavailable: {e.message}"
    return out
