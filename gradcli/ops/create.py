"""Arrays made from numbers: constants of the graph, never differentiated.
Random ones are drawn on the host from the run's seeded generator."""
from __future__ import annotations

from gradcli.errors import ArgumentError
from gradcli.ops import reference
from gradcli.ops.core import Op, case


def _arange(bk, start, stop, step):
    if stop is None:
        start, stop = 0.0, start
    if step == 0:
        raise ArgumentError("arange(): step cannot be 0")
    return bk.xp.arange(start, stop, step, dtype=bk.dtype)


def _linspace(bk, a, b, n):
    if n < 0:
        raise ArgumentError(f"linspace(): n cannot be negative, got {n}")
    return bk.xp.linspace(a, b, n, dtype=bk.dtype)


def _eye(bk, n, m):
    return bk.xp.eye(n, m, dtype=bk.dtype)


def creation(name, sig, forward, doc, example, ref):
    """example: the parameters the tests call it with; ref(**params): the tests' reference."""
    return Op(name, sig, forward=forward, doc=doc, family="create", examples=(case(**example),), reference=ref)


BATCH = "elementwise"          # how its rows run on a batch (ops/batching.py)

OPS = [
    creation("ones", "*shape:shape", lambda bk, shape: bk.xp.ones(shape, dtype=bk.dtype),
             "an array of ones: ones(2, 3) or ones((2, 3))", {"shape": (2, 3)},
             lambda shape: reference.filled(shape, 1.0)),
    creation("zeros", "*shape:shape", lambda bk, shape: bk.xp.zeros(shape, dtype=bk.dtype), "an array of zeros",
             {"shape": (2, 3)}, lambda shape: reference.filled(shape, 0.0)),
    creation("full", "shape:shape, value:float", lambda bk, shape, value: bk.xp.full(shape, value, dtype=bk.dtype),
             "an array of one value: full((2, 3), 7)", {"shape": (2, 3), "value": 7.5},
             reference.filled),
    creation("eye", "n:int, m:int=None", _eye, "the identity matrix (n by n, or n by m)", {"n": 3, "m": 4},
             reference.eye),
    creation("arange", "start:float, stop:float=None, step:float=1", _arange,
             "evenly spaced values in [start, stop): arange(0, 1, 0.25), or arange(n)",
             {"start": 0.5, "stop": 2.0, "step": 0.25}, reference.arange),
    creation("linspace", "a:float, b:float, n:int", _linspace, "n evenly spaced values from a to b inclusive",
             {"a": -1.0, "b": 2.0, "n": 7}, reference.linspace),
    creation("rand", "*shape:shape", lambda bk, shape: bk.random("uniform", shape),
             "uniform random numbers in [0, 1), reproducible with --seed", {"shape": (2, 3)},
             reference.drawn("random")),
    creation("randn", "*shape:shape", lambda bk, shape: bk.random("normal", shape),
             "standard normal random numbers, reproducible with --seed", {"shape": (2, 3)},
             reference.drawn("standard_normal")),
    Op("tensor", "x:mask", forward=lambda bk, x: x, doc="an array from a (nested) list: tensor([[1, 2], [3, 4]])",
       family="create", examples=(case((2, 3)),), reference=reference.same),
    Op("zeros_like", "x:mask", forward=lambda bk, x: bk.xp.zeros_like(x), doc="zeros of x's shape",
       family="create", examples=(case((2, 3)),), reference=lambda x: reference.filled(x.shape, 0.0)),
    Op("ones_like", "x:mask", forward=lambda bk, x: bk.xp.ones_like(x), doc="ones of x's shape",
       family="create", examples=(case((2, 3)),), reference=lambda x: reference.filled(x.shape, 1.0)),
]
