"""The array backends: NumPy on the CPU, CuPy on the GPU.

The engine and the op table reach arrays only through a Backend instance,
which is made per run and passed in, never looked up globally. A Backend is
the array namespace (`xp`: NumPy or CuPy, which spell almost everything the
same) plus the few things the two libraries spell differently, each one
method here: scatter-add (the gradient of indexing), special functions, moving arrays to
and from the host, waiting for the device, and floating-point event flags.
Random numbers are always drawn on the host from NumPy's generator and then
moved to the device, so a program gives the same numbers on CPU and GPU.

tests/test_backend.py runs the whole op table through a stand-in for CuPy
whose arrays refuse NumPy, which keeps this boundary honest on machines
without a GPU."""
from __future__ import annotations

import contextlib
import warnings

from gradcli.errors import ComputeError, DeviceError, GradcliError, ShapeError, UsageError

DTYPES = ("float64", "float32")
DEVICES = ("cpu", "cuda")
CUDA_EXTRA = "pip install 'gradcli[cuda]'"     # cupy-cuda12x; README: CUDA 13 and cupy-cuda13x
CTK_HINT = ("CuPy needs the CUDA libraries of its wheel: pip install 'cupy-cuda12x[ctk]' "
            "(or 'cupy-cuda13x[ctk]'), or install the CUDA Toolkit")


class Backend:
    """One run's arrays on NumPy: the namespace, the dtype, the random
    generator, floating-point event flags and the library's errors, in
    gradcli's terms. Where in the program an event happened is the
    evaluation's business (autograd.context), not the backend's.
    CupyBackend overrides what CuPy spells differently."""

    name = "cpu"

    def __init__(self, xp, dtype: str = "float64", seed: int = 0):
        if dtype not in DTYPES:
            raise UsageError(f"unknown dtype '{dtype}'", hint="use float64 or float32")
        self.xp = xp
        self.dtype = getattr(xp, dtype)
        self.dtype_name = dtype
        self.reseed(seed)                 # the generator is on the host, whatever the device

    # ---- moving arrays: the only ways onto and off the device
    def asarray(self, value):
        """A number, a nested list or a host array, as a device array of the run's dtype."""
        return self.xp.asarray(value, dtype=self.dtype)

    def from_host(self, array):
        return self.xp.asarray(array, dtype=self.dtype)

    def to_host(self, array):
        """A NumPy array, for display, JSON and finite differences. Here xp is
        NumPy (make_backend): the array is on the host already."""
        return self.xp.asarray(array)

    def synchronize(self) -> None:
        """Wait until the device has finished (for timings)."""

    def any(self, array) -> bool:
        """Whether any element is nonzero: the one value a rule may bring back
        from the device, to choose a formula (as PyTorch's prod_backward does)."""
        return bool(self.to_host(self.xp.any(array)))

    # ---- what NumPy and CuPy spell differently
    def scatter_add(self, target, key, values) -> None:
        """target[key] += values in place, repeated indices adding up (the
        gradient of indexing). Basic indexing reaches each element once, so
        plain += does; only index lists need the library's scatter-add."""
        key = key if isinstance(key, tuple) else (key,)
        if all(k is None or k is Ellipsis or isinstance(k, (int, slice)) for k in key):
            target[key] += values
        else:
            self._add_at(target, key, values)

    def _add_at(self, target, key, values) -> None:
        self.xp.add.at(target, key, values)

    def special(self, name: str):
        """scipy.special's function of that name (erf, gammaln, digamma...),
        imported when a program first uses one."""
        import scipy.special
        return getattr(scipy.special, name)

    def reseed(self, seed) -> None:
        """Draw from here on as from a new generator seeded with seed (a whole
        number >= 0, or a generator to carry on from). The generator itself
        is made on the first draw (rng): numpy.random costs start-up time
        (~5 ms to import) and most programs draw nothing."""
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            import numpy.random
            if not isinstance(seed, numpy.random.Generator):
                raise UsageError(f"the seed must be a whole number >= 0, not {seed!r}")
        self._seed, self._rng = seed, None

    @property
    def rng(self):
        """The seeded generator, made when first wanted."""
        if self._rng is None:
            import numpy.random
            self._rng = numpy.random.default_rng(self._seed)
        return self._rng

    def random(self, kind: str, shape):
        """uniform [0, 1) or standard normal numbers, drawn in float64 on the
        host from the seeded generator, then moved to the device."""
        draw = self.rng.random if kind == "uniform" else self.rng.standard_normal
        return self.from_host(draw(shape))

    # ---- floating-point events and library errors
    @contextlib.contextmanager
    def floating_point_events(self, record):
        """Call record(what) on overflow, 0/0, log(-1)... (underflow is quiet)."""
        # NumPy's Python-level RuntimeWarnings ("Mean of empty slice") repeat
        # what the floating-point flags already record: they stay quiet.
        with self.xp.errstate(all="call", under="ignore", call=record), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            yield

    def translate(self, e: Exception, op: str, arrays) -> GradcliError:
        """The library's error from op's forward, as a gradcli error."""
        shapes = " and ".join(str(tuple(a.shape)) for a in arrays)
        if type(e).__name__ == "LinAlgError":       # NumPy's and CuPy's: a singular matrix
            return ComputeError(f"{op}: {str(e).lower() or 'linear algebra error'}")
        if isinstance(e, (ValueError, IndexError)):
            if "broadcast" in str(e):
                return ShapeError(f"{op}: shapes {shapes} cannot be broadcast together",
                                  hint="NumPy's rule: trailing axes must be equal or 1")
            return ShapeError(f"{op}: {e}" + (f" (shapes {shapes})" if shapes else ""))
        return ComputeError(f"{op}: {e}")          # MemoryError and the like


class CupyBackend(Backend):
    """The same on the GPU: xp is cupy."""

    name = "cuda"

    def to_host(self, array):
        return self.xp.asnumpy(array)

    def synchronize(self) -> None:
        self.xp.cuda.get_current_stream().synchronize()

    def _add_at(self, target, key, values) -> None:
        import cupyx
        key = tuple(self.xp.asarray(k) if isinstance(k, (tuple, list)) else k for k in key)
        cupyx.scatter_add(target, key, values)

    def special(self, name: str):
        from cupyx.scipy import special
        return getattr(special, name)

    @contextlib.contextmanager
    def floating_point_events(self, record):
        # CuPy keeps no floating-point flags: on the GPU nan and inf appear
        # in the results without a warning. A singular matrix is an error, as
        # with NumPy (CuPy skips that check unless asked: it costs a sync).
        import cupyx
        with cupyx.errstate(linalg="raise"):
            yield


def make_backend(device: str = "cpu", dtype: str = "float64", seed: int = 0) -> Backend:
    """The backend for --device: NumPy for cpu, CuPy for cuda. Where CuPy or a
    GPU is missing, a DeviceError (exit 2) says which, and how to install."""
    if device == "cpu":
        import numpy
        return Backend(numpy, dtype, seed)
    if device != "cuda":
        raise UsageError(f"unknown device '{device}'", hint="use cpu or cuda")
    if dtype not in DTYPES:
        raise UsageError(f"unknown dtype '{dtype}'", hint="use float64 or float32")
    cupy = _import_cupy()
    _probe(cupy)
    return CupyBackend(cupy, dtype, seed)


def _import_cupy():
    try:
        import cupy
    except ModuleNotFoundError as e:
        if (e.name or "cupy").split(".")[0] != "cupy":      # CuPy is there; something it needs is not
            raise DeviceError(f"--device cuda: CuPy is installed but cannot load ({_one_line(e)})",
                              hint=CTK_HINT) from None
        raise DeviceError(f"--device cuda: CuPy is not installed ({CUDA_EXTRA})") from None
    except Exception as e:      # a broken or mismatched CuPy build
        raise DeviceError(f"--device cuda: CuPy is installed but cannot load ({_one_line(e)})",
                          hint=CTK_HINT) from None
    return cupy


def _probe(cupy) -> None:
    """Fail now, with a clear message, rather than in the middle of a program."""
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:      # no driver, or no device
        raise DeviceError(f"--device cuda: CuPy is installed but finds no GPU or driver ({_one_line(e)})",
                          hint="check nvidia-smi; without a GPU use --device cpu") from None
    if count < 1:
        raise DeviceError("--device cuda: CuPy is installed but this machine has no GPU (use --device cpu)")
    try:
        cupy.asarray([1.0]) * 2         # compiles and runs one kernel
    except Exception as e:
        raise DeviceError(f"--device cuda: the GPU is there but CuPy cannot run on it ({_one_line(e)})",
                          hint=CTK_HINT) from None


def _one_line(e: Exception, width: int = 120) -> str:
    text = (str(e).strip().splitlines() or [type(e).__name__])[0]
    return text if len(text) <= width else text[:width - 1] + "…"


def available_backends() -> dict[str, str]:
    """For --version: which devices work here (with versions), and why not."""
    import numpy
    out = {"cpu": f"numpy {numpy.__version__}"}
    try:
        bk = make_backend("cuda")
    except DeviceError as e:
        out["cuda"] = f"unavailable: {e.message}"
    else:
        out["cuda"] = f"cupy {bk.xp.__version__}" + _gpu_names(bk.xp)
    return out


def _gpu_names(cupy) -> str:
    try:
        count = cupy.cuda.runtime.getDeviceCount()
        names = [cupy.cuda.runtime.getDeviceProperties(i)["name"] for i in range(count)]
        names = [n.decode() if isinstance(n, bytes) else str(n) for n in names]
    except Exception:           # noqa: BLE001 - the name is decoration
        return ""
    return f" on {', '.join(names)}" if names else ""
