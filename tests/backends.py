"""A stand-in for CuPy whose arrays are not NumPy's: it proves, on a machine
without a GPU, that gradcli reaches arrays only through its Backend.

`strict` has NumPy's spelling (as CuPy does) over StrictArray, a wrapper that
refuses what CuPy refuses and more: NumPy functions and ufuncs applied to it,
mixing it with NumPy arrays or scalars, implicit host values (float(), bool(),
len(), iteration, numpy.asarray) and array methods (the ops call namespace
functions, xp.mean(x), never x.mean()). Only names listed in FUNCTIONS exist,
all of which CuPy has too; NumPy-only ones (errstate, add.at, vectorize) do
not. A refusal raises Foreign, a BaseException, so that no `except Exception`
in the engine can turn a breach into an ordinary error message.

install(monkeypatch) puts it into sys.modules as cupy, cupyx and
cupyx.scipy.special, so that make_backend("cuda") builds the real
CupyBackend on it: the code that runs on a GPU, run here on the CPU."""
from __future__ import annotations

import contextlib
import operator
import sys
import types

import numpy


class Foreign(BaseException):
    """A use of NumPy that reached around the backend."""


class StrictArray:
    """A device array: a NumPy array that NumPy and the host cannot see."""

    __slots__ = ("_a",)

    def __init__(self, a):
        assert type(a) is numpy.ndarray, type(a)
        object.__setattr__(self, "_a", a)

    shape = property(lambda self: self._a.shape)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    dtype = property(lambda self: self._a.dtype)
    T = property(lambda self: _wrap(self._a.T))
    base = property(lambda self: None if self._a.base is None else _wrap(self._a.base))     # a view's array

    def __repr__(self):
        return f"StrictArray({self._a.tolist()!r}, dtype={self._a.dtype})"

    # ---- every road from NumPy into a device array is closed
    def __array__(self, *args, **kwargs):
        raise Foreign("numpy.asarray() of a device array (bring it to the host with bk.to_host)")

    def __array_ufunc__(self, ufunc, method, *args, **kwargs):
        raise Foreign(f"numpy.{ufunc.__name__} on a device array (use bk.xp.{ufunc.__name__}, "
                      "or the operand is a NumPy array that should have come from bk.from_host)")

    def __array_function__(self, func, types, args, kwargs):
        raise Foreign(f"numpy.{func.__name__}() on a device array (use bk.xp.{func.__name__})")

    def _host_value(self, *args):
        raise Foreign("a device array used as a host value (float, int, bool, len, iteration): "
                      "use bk.to_host, or keep the computation on the device")

    __float__ = __int__ = __index__ = __complex__ = __bool__ = __len__ = __iter__ = _host_value

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise Foreign(f"array method .{name} (a NumPy idiom the strict namespace lacks: use bk.xp.{name}(x))")

    def __setattr__(self, name, value):
        raise Foreign(f"setting .{name} on a device array")

    # ---- indexing and operators, as CuPy arrays have them
    def __getitem__(self, key):
        return _wrap(self._a[_unwrap(key)])

    def __setitem__(self, key, value):
        self._a[_unwrap(key)] = _operand(value)

    def __neg__(self):
        return _wrap(-self._a)

    def __pos__(self):
        return _wrap(+self._a)

    def __abs__(self):
        return _wrap(abs(self._a))

    __hash__ = None


def _operand(x):
    if isinstance(x, StrictArray):
        return x._a
    if isinstance(x, (numpy.ndarray, numpy.generic)):
        raise Foreign(f"a NumPy {type(x).__name__} mixed with a device array (move it with bk.from_host)")
    if isinstance(x, (bool, int, float)):
        return x
    return NotImplemented


def _binary(fn, reflected=False):
    def method(self, other):
        o = _operand(other)
        if o is NotImplemented:
            return NotImplemented
        with numpy.errstate(all="ignore"):
            return _wrap(fn(o, self._a) if reflected else fn(self._a, o))
    return method


def _inplace(fn):
    def method(self, other):
        fn(self._a, _operand(other))
        return self
    return method


for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul"):
    _fn = getattr(operator, _name)
    setattr(StrictArray, f"__{_name}__", _binary(_fn))
    setattr(StrictArray, f"__r{_name}__", _binary(_fn, reflected=True))
    setattr(StrictArray, f"__i{_name}__", _inplace(getattr(operator, f"i{_name}")))
for _name in ("lt", "le", "gt", "ge", "eq", "ne"):
    setattr(StrictArray, f"__{_name}__", _binary(getattr(operator, _name)))


def _method(name):
    def method(self, *args, **kwargs):          # as xp.NAME is called: Function's unwrapping and wrapping
        return Function(f".{name}", getattr(self._a, name))(*args, **kwargs)
    return method


# The methods of CuPy's arrays that gradcli calls (cheaper than NumPy's functions of
# the same names on a small array). Another one: check that cupy.ndarray has it first.
for _name in ("sum", "mean", "prod", "max", "min", "reshape", "squeeze", "transpose", "swapaxes", "fill"):
    setattr(StrictArray, _name, _method(_name))


def _wrap(x):
    """NumPy results as device arrays; NumPy scalars as 0-d arrays, as CuPy returns."""
    if isinstance(x, numpy.ndarray):
        return StrictArray(x)
    if isinstance(x, numpy.generic):
        return StrictArray(numpy.asarray(x))
    if isinstance(x, (tuple, list)):        # NumPy's named results (eigh, svd) as CuPy's plain tuples
        return (tuple if hasattr(x, "_fields") else type(x))(_wrap(i) for i in x)
    return x


def _unwrap(x, host_ok=False):
    if isinstance(x, StrictArray):
        return x._a
    if isinstance(x, (numpy.ndarray, numpy.generic)):
        if host_ok:
            return x
        raise Foreign(f"a NumPy {type(x).__name__} given to the device namespace (move it with bk.from_host)")
    if isinstance(x, (tuple, list)):
        return type(x)(_unwrap(i, host_ok) for i in x)
    return x


class Function:
    """xp.NAME: NumPy's function on unwrapped arrays, results wrapped. It has
    no attributes (xp.add.at is NumPy's, not CuPy's)."""

    def __init__(self, name, fn, host_ok=False):
        self.name, self.fn, self.host_ok = name, fn, host_ok

    def __call__(self, *args, **kwargs):
        args = _unwrap(args, self.host_ok)
        kwargs = {k: _unwrap(v, self.host_ok) for k, v in kwargs.items()}
        with numpy.errstate(all="ignore"):         # CuPy keeps no floating-point flags
            return _wrap(self.fn(*args, **kwargs))

    def __getattr__(self, attr):
        raise Foreign(f"xp.{self.name}.{attr} (NumPy's; the backend spells it: see gradcli/backend.py)")


# NumPy names that CuPy has too. An op needing another one: check that CuPy
# has it, then add it here.
FUNCTIONS = """
abs absolute sign sqrt square cbrt exp exp2 expm1 log log1p log2 log10 sin cos tan arcsin arccos arctan
arctan2 hypot sinh cosh tanh arcsinh arccosh arctanh maximum minimum fmax fmin clip where floor ceil
round around rint trunc isfinite isnan isinf nan_to_num add subtract multiply divide true_divide negative
power reciprocal equal not_equal less less_equal greater greater_equal logical_and logical_or logical_not
sum mean prod max min amax amin argmax argmin var std cumsum cumprod all any
zeros ones full empty eye identity arange linspace zeros_like ones_like full_like empty_like copy
matmul dot vdot inner outer tensordot einsum cross transpose swapaxes moveaxis diag diagonal trace tril triu
reshape ravel expand_dims squeeze concatenate stack broadcast_to flip
take take_along_axis argsort sort roll tile repeat pad split array_split sinc fmod remainder logaddexp
logaddexp2 floor_divide diff searchsorted nonzero count_nonzero broadcast_arrays atleast_1d rot90 sort median
""".split()
LINALG = "inv det norm solve slogdet cholesky eigh qr svd".split()
# Host data may enter the device only through these (as with CuPy).
ENTRANCES = ("asarray", "array")


class Namespace(types.ModuleType):
    """The strict array namespace; also the stand-in `cupy` module."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise Foreign(f"xp.{name}: not in the strict namespace (NumPy-only? if CuPy has it, "
                      "add it to FUNCTIONS in tests/backends.py)")


def _namespace() -> Namespace:
    ns = Namespace("cupy")
    for name in FUNCTIONS:
        setattr(ns, name, Function(name, getattr(numpy, name)))
    for name in ENTRANCES:
        setattr(ns, name, Function(name, getattr(numpy, name), host_ok=True))
    ns.linalg = Namespace("cupy.linalg")
    for name in LINALG:
        setattr(ns.linalg, name, Function(f"linalg.{name}", getattr(numpy.linalg, name)))
    for name in ("float64", "float32", "float16", "bool_", "int64", "int32", "pi", "e", "inf", "nan", "newaxis"):
        setattr(ns, name, getattr(numpy, name))
    ns.ndarray = StrictArray
    ns.__version__ = "0+strict"
    ns.transfers = []                  # every array asnumpy() brought to the host

    def asnumpy(a):
        if not isinstance(a, StrictArray):
            raise Foreign(f"asnumpy() of a {type(a).__name__}, not a device array (already on the host?)")
        ns.transfers.append(a)
        return a._a.copy()
    ns.asnumpy = asnumpy

    class Stream:
        def synchronize(self):
            pass

    class Runtime:
        devices = 1

        def getDeviceCount(self):
            return self.devices

        def getDeviceProperties(self, i):
            return {"name": b"strict stand-in"}

    ns.cuda = types.SimpleNamespace(runtime=Runtime(), get_current_stream=Stream)
    return ns


def _cupyx() -> dict[str, types.ModuleType]:
    cupyx = types.ModuleType("cupyx")

    def scatter_add(a, slices, value):
        numpy.add.at(_unwrap(a), _unwrap(slices), _unwrap(value))
    cupyx.scatter_add = scatter_add
    cupyx.linalg_modes = []             # the linalg= of every errstate entered

    @contextlib.contextmanager
    def errstate(*, linalg=None):
        cupyx.linalg_modes.append(linalg)
        yield
    cupyx.errstate = errstate
    cupyx.scipy = types.ModuleType("cupyx.scipy")
    cupyx.scipy.special = special = _Special("cupyx.scipy.special")
    return {"cupyx": cupyx, "cupyx.scipy": cupyx.scipy, "cupyx.scipy.special": special}


class _Special(types.ModuleType):
    """cupyx.scipy.special: SciPy's functions (CuPy has the same names) on device arrays, keeping their dtype."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        import scipy.special
        fn = getattr(scipy.special, name)

        def on_device(*args):
            out = fn(*(_unwrap(a) for a in args))
            dtype = next(a.dtype for a in args if isinstance(a, StrictArray))
            return StrictArray(numpy.asarray(out, dtype=dtype))
        return on_device


def install(monkeypatch) -> Namespace:
    """Make `import cupy` (and cupyx) give the strict stand-in, for one test."""
    ns = _namespace()
    monkeypatch.setitem(sys.modules, "cupy", ns)
    for name, module in _cupyx().items():
        monkeypatch.setitem(sys.modules, name, module)
    return ns


def host(a) -> numpy.ndarray:
    """A device array's values, for assertions (not a transfer that is counted)."""
    assert isinstance(a, StrictArray), f"expected a device array, got {type(a).__name__}"
    return a._a.copy()
