"""The graph node: a Tensor holds its array, the operation that made it and
that operation's inputs (an ordered tuple, so output is deterministic)."""
from __future__ import annotations

import itertools
import threading
from types import MappingProxyType

_ids = itertools.count()
NO_PARAMS = MappingProxyType({})    # one read-only empty mapping, shared by the many nodes of ops without
_F = None


class _Batching(threading.local):
    level = 0       # the batch axes ops honour now: tensors whose .batch is this level


_batching = _Batching()
_levels = itertools.count(1)


def batch_level() -> int:
    return _batching.level


def new_batch_level() -> int:
    """A level of its own for a new batched computation (a Jacobian's seeds,
    a sweep): tensors batched at another level are plain arrays to it, as
    JAX's nested vmaps keep their axes apart."""
    return next(_levels)


def install(functional) -> None:
    """The op table's F (gradcli.ops installs it): the operations that tensor
    operators and the engine's unbroadcast run. autograd imports no op table."""
    global _F
    _F = functional


def table():
    return _F


def data_of(value):
    """A tensor's array, or value itself when it is one: a rule's cotangent
    is a plain array in a first-order pass (engine.array_backend)."""
    return value.data if isinstance(value, Tensor) else value


class Tensor:
    __slots__ = ("data", "bk", "op", "parents", "params", "requires_grad", "grad",
                 "name", "key", "const", "scope", "id", "span", "batch")

    def __init__(self, data, bk, op=None, parents=(), params=None, requires_grad=False, const=False):
        self.data = data
        self.bk = bk                      # the Backend the array lives on
        self.op = op                      # ops.Op, or None for a leaf or a constant
        self.parents = parents            # input Tensors of op, in argument order
        self.params = params or NO_PARAMS  # op's non-tensor arguments (axis, shape...)
        self.requires_grad = requires_grad
        self.grad = None                  # set on inputs by backward()
        self.name = None                  # the binding's name, when bound
        self.key = None                   # inputs only: the name the gradient is reported under
        self.const = const                # built from literals alone (no input feeds it)
        self.scope = None                 # the grad()/jacobian() call whose graph this belongs to
        self.id = next(_ids)              # creation order
        self.span = None                  # source span of the expression that made it
        self.batch = 0                    # a level: its first axis is a batch (ops/batching.py) there

    # ---- construction
    @classmethod
    def constant(cls, value, bk) -> Tensor:
        data = bk.asarray(value)
        # A number is held as the dtype's scalar (a 0-d array with CuPy):
        # NumPy's ufuncs take scalars on a fast path, 0-d arrays on the slow one.
        return cls(data[()] if data.ndim == 0 else data, bk, const=True)

    def as_input(self, key: str) -> Tensor:
        """A new leaf of the graph carrying this tensor's value."""
        t = Tensor(self.data, self.bk, requires_grad=True)
        t.name = key.split("@")[0]
        t.key = key
        return t

    @property
    def is_leaf(self) -> bool:
        return self.op is None

    @property
    def is_input(self) -> bool:
        return self.op is None and self.key is not None

    @property
    def batched(self) -> bool:
        """Batched at the level honoured now: then its shape is an item's, as
        a traced value's is inside JAX's vmap, so rules need not know."""
        return self.batch != 0 and self.batch == _batching.level

    # shape, ndim and size test .batch first: it is 0 but inside a batched computation.
    @property
    def shape(self) -> tuple:
        if self.batch and self.batch == _batching.level:
            return tuple(self.data.shape[1:])
        return tuple(self.data.shape)

    @property
    def ndim(self) -> int:
        return self.data.ndim - (self.batch != 0 and self.batch == _batching.level)

    @property
    def size(self) -> int:
        if self.batch and self.batch == _batching.level:
            return int(self.data.size // self.data.shape[0])
        return int(self.data.size)

    def item(self) -> float:
        return float(self.bk.to_host(self.data).reshape(-1)[0])

    def numpy(self):
        return self.bk.to_host(self.data)

    def __repr__(self):
        label = self.name or (self.op.name if self.op else "const")
        return f"Tensor({label}, shape={self.shape})"

    # ---- operators, for gradient rules written as formulas (the table's call
    # makes a number or array operand a constant, or reads a Tensor's array
    # in a first-order pass, which runs on arrays)
    def __add__(self, o): return _F.add(self, o)
    def __radd__(self, o): return _F.add(o, self)
    def __sub__(self, o): return _F.sub(self, o)
    def __rsub__(self, o): return _F.sub(o, self)
    def __mul__(self, o): return _F.mul(self, o)
    def __rmul__(self, o): return _F.mul(o, self)
    def __truediv__(self, o): return _F.div(self, o)
    def __rtruediv__(self, o): return _F.div(o, self)
    def __matmul__(self, o): return _F.matmul(self, o)
    def __rmatmul__(self, o): return _F.matmul(o, self)
    def __pow__(self, o): return _F.pow(self, o)
    def __rpow__(self, o): return _F.pow(o, self)
    def __neg__(self): return _F.neg(self)
    def __getitem__(self, key):
        return _F.getitem(self, key=key if isinstance(key, tuple) else (key,))
    def __lt__(self, o): return _F.lt(self, o)
    def __le__(self, o): return _F.le(self, o)
    def __gt__(self, o): return _F.gt(self, o)
    def __ge__(self, o): return _F.ge(self, o)
    # == and != stay identity comparisons (tensors are dict keys in the engine);
    # rules spell elementwise equality F.eq / F.ne.
    __hash__ = object.__hash__
    __eq__ = object.__eq__
    # An array's operators with a Tensor defer to the Tensor's (a rule run on
    # plain arrays multiplies a cotangent array by an input: g * x).
    __array_ufunc__ = None


_new = object.__new__


def node(data, bk, op=None, parents=(), requires_grad=False, const=False) -> Tensor:
    """Tensor(data, bk, op, parents, None, requires_grad, const), the same
    object, for the paths that make one an operation (apply, the statement
    kernels): made by setting its slots, as the AST's builders make nodes.
    Calling a class with a Python __init__ costs 190 ns more (Python 3.11),
    4% of an elementwise op's time. A test holds every slot to __init__'s."""
    t = _new(Tensor)
    t.data = data
    t.bk = bk
    t.op = op
    t.parents = parents
    t.params = NO_PARAMS
    t.requires_grad = requires_grad
    t.grad = t.name = t.key = t.scope = t.span = None
    t.const = const
    t.id = next(_ids)
    t.batch = 0
    return t
