"""SPEC section 2, "Devices and precision": --device cuda runs the same
programs through CuPy. No GPU is needed here: tests/backends.py stands in for
CuPy with arrays that refuse NumPy, and the real CupyBackend runs on it. Every
op of the table (forward, first and second derivatives), the creation
builtins, whole programs and the CLI go through it and must give the NumPy
backend's numbers without ever reaching around the backend."""
from __future__ import annotations

import ast
import math
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import gradcli
from gradcli.autograd import Tensor, gradients
from gradcli.backend import Backend, CupyBackend, available_backends, make_backend
from gradcli.errors import DeviceError, UsageError
from gradcli.ops import TABLE, F
from gradcli.ops.binding import TENSOR_KINDS
from gradcli.ops.core import call
from tests import backends
from tests.backends import Foreign, StrictArray
from tests.opcases import example_inputs

PACKAGE = Path(gradcli.__file__).parent


@pytest.fixture
def strict(monkeypatch):
    """make_backend("cuda", ...) on the strict stand-in for CuPy; the fake
    cupy module is returned too, for its transfer log."""
    ns = backends.install(monkeypatch)
    return lambda dtype="float64", seed=0: make_backend("cuda", dtype, seed), ns


def all_nodes(*roots):
    """Every tensor recorded below roots (parents of parents...)."""
    seen, stack = {}, [r for r in roots if r is not None]
    while stack:
        t = stack.pop()
        if id(t) not in seen:
            seen[id(t)] = t
            stack.extend(t.parents)
    return list(seen.values())


def derivatives(bk, op, inputs, params):
    """Forward, first and second derivatives of sum(op(...) * w), as tensors on bk."""
    rng = np.random.default_rng(7)
    ts = [Tensor(bk.from_host(a), bk, requires_grad=d) for a, d in inputs]
    out = call(op, *ts, bk=bk, **dict(params))
    out = out[0] if isinstance(out, tuple) else out      # several results: the first (sort's values)
    w = Tensor(bk.from_host(rng.normal(size=out.shape)), bk, const=True)
    xs = [t for t in ts if t.requires_grad]
    first = gradients(F.sum(out * w), xs, create_graph=True)
    total = Tensor.constant(0.0, bk)
    for x in xs:
        if id(x) in first:
            total = total + F.sum(first[id(x)] * Tensor(bk.from_host(rng.normal(size=x.shape)), bk, const=True))
    second = gradients(total, xs) if total.requires_grad else {}
    results = {"value": out}
    for i, x in enumerate(xs):
        results[f"d{i}"] = first.get(id(x))
        results[f"dd{i}"] = second.get(id(x))
    return results


def op_cases():
    for op in TABLE.values():
        for i, (shapes, params) in enumerate(op.examples):
            yield pytest.param(op, shapes, params, id=f"{op.name}-{i}")


OP_CASES = list(op_cases())


def test_the_op_cases_cover_the_table():
    """Generated from the table: every op with examples is here, and every
    differentiable op (but scatter, run as indexing's gradient) has examples."""
    named = {case.values[0].name for case in OP_CASES}
    assert named == {op.name for op in TABLE.values() if op.examples}
    assert {op.name for op in TABLE.values() if op.grads is not None} - named <= {"scatter"}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("op, shapes, params", OP_CASES)
def test_op_runs_on_the_device_only_through_the_backend(strict, op, shapes, params, dtype):
    """Forward and first and second derivatives of every op on the strict
    device: every array of the graph is a device array of the run's dtype,
    nothing is brought to the host on the way (but a rule's one flag, bk.any),
    and the numbers are NumPy's."""
    make, cupy = strict
    bk = make(dtype)
    assert isinstance(bk, CupyBackend)
    inputs = example_inputs(op, shapes, np.random.default_rng(0))
    results = derivatives(bk, op, inputs, params)
    nodes = all_nodes(*results.values())
    assert nodes and all(type(t.data) is StrictArray and t.data.dtype == bk.dtype for t in nodes), \
        [(t, type(t.data), t.data.dtype) for t in nodes if type(t.data) is not StrictArray or t.data.dtype != bk.dtype]
    arrays = [a for a in cupy.transfers if not (a.shape == () and a.dtype == bool)]
    assert arrays == [], "a device array was brought to the host while computing"

    reference = derivatives(make_backend("cpu", dtype), op, inputs, params)
    assert results.keys() == reference.keys()
    tol = 1e-12 if dtype == "float64" else 1e-5
    for name, t in results.items():
        want = reference[name]
        assert (t is None) == (want is None), name
        if t is not None:
            np.testing.assert_allclose(bk.to_host(t.data), want.data, rtol=tol, atol=tol, err_msg=name)
    assert any(name.startswith("d") and t is not None for name, t in results.items()) or not op.differentiable_op


# ---- the stand-in itself refuses NumPy (the test above would prove nothing otherwise)
@pytest.mark.parametrize("breach", [
    lambda xp, a: np.sin(a),
    lambda xp, a: np.sum(a),
    lambda xp, a: np.asarray(a),
    lambda xp, a: a + np.ones(3),
    lambda xp, a: np.ones(3) * a,
    lambda xp, a: a * np.float64(2.0),
    lambda xp, a: xp.maximum(a, np.zeros(3)),
    lambda xp, a: a.tolist(),
    lambda xp, a: a.copy(),
    lambda xp, a: float(a[0]),
    lambda xp, a: list(a),
    lambda xp, a: math.erf(a[0]),
    lambda xp, a: np.vectorize(math.erf)(a),
    lambda xp, a: xp.add.at(a, (0,), 1.0),
    lambda xp, a: xp.errstate(all="call"),
], ids=["ufunc", "function", "asarray", "mix", "rmix", "numpy-scalar", "host-arg", "method-tolist",
        "method-copy", "float", "iterate", "math", "vectorize", "add.at", "errstate"])
def test_the_strict_namespace_refuses_numpy(strict, breach):
    make, _ = strict
    bk = make()
    with pytest.raises(Foreign):
        breach(bk.xp, bk.asarray([1.0, 2.0, 3.0]))


def test_a_breach_in_an_op_is_not_turned_into_a_user_error(strict):
    """The engine turns an op's exceptions into messages; a breach escapes that."""
    from gradcli.ops.core import Op
    make, _ = strict
    bk = make()
    x = Tensor(bk.asarray([0.5, 1.0]), bk, requires_grad=True)
    for forward in (lambda bk, x: np.sin(x), lambda bk, x: x.copy(), lambda bk, x: x + np.ones(2)):
        with pytest.raises(Foreign):
            call(Op("bad", "x", forward=forward), x)
    # what the stand-in allows gives NumPy's numbers
    y = call(Op("good", "x", forward=lambda bk, x: bk.xp.sin(x) + bk.xp.mean(x)), x)
    np.testing.assert_allclose(bk.to_host(y.data), np.sin([0.5, 1.0]) + 0.75)


def test_engine_and_ops_import_no_array_library():
    """Array math on device data lives behind the backend: the engine, the op
    table and the session import neither numpy nor cupy, anywhere in a file
    (but the tests' references, which are host arrays by definition)."""
    files = [*PACKAGE.glob("autograd/*.py"), *PACKAGE.glob("ops/*.py"), PACKAGE / "interpret.py", PACKAGE / "evaluator.py"]
    files = [f for f in files if f.stem != "reference" and not f.stem.endswith("_reference")]
    assert len(files) > 5
    offenders = []
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.relative_to(PACKAGE)}:{node.lineno} imports {n}" for n in names
                          if n.split(".")[0] in ("numpy", "cupy", "cupyx")]
    assert offenders == []


# ---- creation builtins, random numbers and whole programs on the device
def creation_calls():
    """One call per creation builtin, its arguments made from its signature."""
    values = {"shape": "(2, 3)", "int": "3", "float": "1.5"}
    for op in TABLE.values():
        if op.family != "create":
            continue
        args = []
        for p in op.params:
            if p.kind in TENSOR_KINDS:
                args.append("[[1, -2, 3], [0.5, 4, -6]]")
            elif p.kind == "shape" and p.variadic:
                args += ["2", "3"]
            elif p.required:
                args.append(values[p.kind])
        yield pytest.param(f"{op.name}({', '.join(args)})", id=op.name)


PROGRAMS = [
    # comparisons, where, scatter (indexing's gradient), user functions, calculus builtins
    ("sum(where(x > 0, x^2, -x) * (x != 1) + x[::2].sum() + diag(M).sum())",
     {"x": [0.5, -1.0, 2.0], "M": [[1.0, 2.0], [3.0, 4.0]]}),
    ("f(t) = sum(t^3 * sin(t)); trace(hessian(f(x), x)) + sum(jacobian(x^2, x)) + sum(grad(f(x), x))",
     {"x": [0.3, -0.7, 1.1]}),
    ("sum(erf(x) * log_softmax(x) + clip(x, -0.5, 0.5) + softplus(x) * norm(x, p=3))", {"x": [0.3, -0.7, 1.1]}),
    ("y = sum(x^3); sum(grad(sum(grad(y, x)), x) * x)", {"x": [1.0, 2.0]}),
    ("A = randn(3, 3) + 3*eye(3); sum(inv(A) @ x) + det(A) * sum(x * rand(3))", {"x": [1.0, 2.0, 3.0]}),
    ("sum(stack([x, x^2], 1) @ [1, 2]) + sum(concat([x, x], 0)[1:4]) + prod(x) + std(x) + logsumexp(x)",
     {"x": [0.3, -0.7, 1.1]}),
]


@pytest.mark.parametrize("program", [*creation_calls(), *(p for p, _ in PROGRAMS)])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_programs_give_the_same_numbers_on_both_devices(strict, program, dtype):
    """Values and gradients through the Python API, device= as the only change;
    random builtins draw the same numbers on both (on the host, then moved)."""
    strict[0]()         # the stand-in is installed
    at = dict(PROGRAMS)[program] if program in dict(PROGRAMS) else {}
    run = gradcli.grad if at else gradcli.evaluate
    gpu = run(program, at=at, device="cuda", dtype=dtype, seed=3)
    cpu = run(program, at=at, device="cpu", dtype=dtype, seed=3)
    assert isinstance(gpu.value, np.ndarray) and gpu.value.dtype == np.dtype(dtype)
    assert gpu.shape == cpu.shape and gpu.dtype == cpu.dtype == dtype
    tol = 1e-12 if dtype == "float64" else 1e-6
    np.testing.assert_allclose(gpu.value, cpu.value, rtol=tol, atol=tol)
    assert (gpu.grads or {}).keys() == (cpu.grads or {}).keys()
    for name, g in (gpu.grads or {}).items():
        assert isinstance(g, np.ndarray)
        np.testing.assert_allclose(g, cpu.grads[name], rtol=tol, atol=tol)


def test_the_creation_calls_cover_every_creation_builtin():
    made = {p.id for p in creation_calls()}
    assert made == {op.name for op in TABLE.values() if op.family == "create"} and {"rand", "randn"} <= made


def test_random_numbers_are_drawn_on_the_host_and_moved(strict):
    make, cupy = strict
    for dtype in ("float64", "float32"):
        gpu, cpu = make(dtype, seed=5), make_backend("cpu", dtype, seed=5)
        assert isinstance(gpu.rng, np.random.Generator)
        for kind in ("uniform", "normal"):
            a = gpu.random(kind, (2, 3))
            assert type(a) is StrictArray and a.dtype == np.dtype(dtype)
            np.testing.assert_array_equal(backends.host(a), cpu.random(kind, (2, 3)))
    assert cupy.transfers == []


# ---- the few things each backend spells itself
@pytest.mark.parametrize("key, expected", [
    ((slice(1, 3),), [0, 1, 1, 0]),
    ((-1,), [0, 0, 0, 1]),
    (((0, 0, 2),), [2, 0, 1, 0]),          # repeated indices add up
])
def test_scatter_add_on_both_backends(strict, key, expected):
    make, _ = strict
    for bk in (make_backend("cpu"), make()):
        target = bk.xp.zeros((4,), dtype=bk.dtype)
        n = len(key[0]) if isinstance(key[0], tuple) else 1 if isinstance(key[0], int) else 2
        values = bk.xp.ones((n,) if n > 1 or isinstance(key[0], tuple) else (), dtype=bk.dtype)
        bk.scatter_add(target, key, values)
        np.testing.assert_array_equal(bk.to_host(target), expected)


def test_special_functions_on_both_backends(strict):
    """scipy.special on the CPU, cupyx.scipy.special on the GPU: one name, the run's dtype."""
    make, _ = strict
    xs = [-2.0, -0.3, 0.0, 0.7, 3.0]
    for bk in (make_backend("cpu"), make(), make("float32")):
        y = bk.special("erf")(bk.asarray(xs))
        assert y.dtype == bk.dtype
        np.testing.assert_allclose(bk.to_host(y), [math.erf(v) for v in xs], rtol=1e-7)
        assert bk.to_host(bk.special("erf")(bk.asarray(np.zeros((0,))))).shape == (0,)


def test_only_numpy_keeps_floating_point_flags(strict):
    make, _ = strict
    cpu, seen = make_backend("cpu"), []
    with cpu.floating_point_events(lambda what, _flag: seen.append(what)):
        cpu.xp.log(cpu.asarray([-1.0]))
    assert seen == ["invalid value"]
    gpu = make()
    with gpu.floating_point_events(lambda what, _flag: seen.append(what)):
        y = gpu.xp.log(gpu.asarray([-1.0]))
    assert seen == ["invalid value"] and np.isnan(gpu.to_host(y)).all()


@pytest.mark.parametrize("device", ["cpu", "cuda"])
def test_a_singular_matrix_is_an_error_on_both_devices(strict, device):
    """CuPy checks for singular matrices only when asked: the backend asks."""
    from gradcli.errors import ComputeError
    strict[0]()
    with pytest.raises(ComputeError, match="inv: singular matrix"):
        gradcli.evaluate("inv(M)", M=[[1.0, 2.0], [2.0, 4.0]], device=device)
    if device == "cuda":
        assert set(sys.modules["cupyx"].linalg_modes) == {"raise"}


# ---- the CLI on the device: the same output, values brought to the host once
CLI_RUNS = [
    ("grad", "norm(4*x*x)", "--at", "x=ones(2)", "--json"),
    ("grad", "x = [[0.5, -1.0], [1.5, 0.25]]; L = mean(sin(x @ x.T) + erf(x)); L"),
    ("eval", "softmax(randn(2, 3), dim=0)"),
    ("graph", "x = ones(2); z = 4*x*x; norm(z)", "--format", "json"),
]


@pytest.mark.parametrize("args", CLI_RUNS, ids=[" ".join(a[:2]) for a in CLI_RUNS])
def test_cli_output_is_the_same_on_both_devices(strict, monkeypatch, args):
    from gradcli.cli import main
    strict[0]()
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "100")
    cpu = CliRunner().invoke(main, [*args, "--device", "cpu"], catch_exceptions=False)
    gpu = CliRunner().invoke(main, [*args, "--device", "cuda"], catch_exceptions=False)
    assert gpu.exit_code == cpu.exit_code == 0, gpu.stderr
    assert gpu.stdout == cpu.stdout and gpu.stdout.strip()


def test_json_brings_each_value_to_the_host_once(strict):
    from gradcli.cli import main
    make, cupy = strict
    make()
    r = CliRunner().invoke(main, ["grad", "sum(x * y) + norm(x)", "--at", "x=[1, 2]", "--at", "y=[3, 4]",
                                  "--json", "--device", "cuda"], catch_exceptions=False)
    assert r.exit_code == 0, r.stderr
    assert len(cupy.transfers) == 3           # the value and two gradients
    assert len({id(a) for a in cupy.transfers}) == 3


# ---- CuPy or a GPU missing: exit 2, one line that says which and how to install
def test_without_cupy_the_cli_exits_2_with_the_install_hint(monkeypatch):
    from gradcli.cli import main
    monkeypatch.setitem(sys.modules, "cupy", None)          # `import cupy` fails
    monkeypatch.setenv("NO_COLOR", "1")
    r = CliRunner().invoke(main, ["grad", "norm(4*x*x)", "--at", "x=ones(2)", "--device", "cuda"])
    assert r.exit_code == 2
    assert r.stderr.strip().splitlines() == ["error: --device cuda: CuPy is not installed "
                                             "(pip install 'gradcli[cuda]')"]
    assert "Traceback" not in r.output and r.stdout == ""
    r = CliRunner().invoke(main, ["eval", "1", "--device", "cuda", "--json"])
    assert r.exit_code == 2 and '"kind": "device"' in r.stdout and "gradcli[cuda]" in r.stdout


def test_without_cupy_the_api_raises_a_device_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)
    with pytest.raises(DeviceError) as e:
        gradcli.evaluate("x + 1", x=1.0, device="cuda")
    assert e.value.exit_code == 2 and "gradcli[cuda]" in e.value.message


@pytest.mark.parametrize("devices, fails, message", [
    (0, False, "CuPy is installed but this machine has no GPU"),
    (1, True, "CuPy is installed but finds no GPU or driver (cudaErrorNoDevice: no CUDA-capable device)"),
])
def test_without_a_gpu_the_message_says_so(monkeypatch, devices, fails, message):
    ns = backends.install(monkeypatch)
    ns.cuda.runtime.devices = devices
    if fails:
        def no_device():
            raise RuntimeError("cudaErrorNoDevice: no CUDA-capable device\nis detected")
        ns.cuda.runtime.getDeviceCount = no_device
    with pytest.raises(DeviceError) as e:
        make_backend("cuda")
    assert e.value.exit_code == 2 and message in e.value.message and "\n" not in e.value.message


def test_a_cupy_that_cannot_run_kernels_is_a_device_error(monkeypatch):
    ns = backends.install(monkeypatch)

    def no_nvrtc(*args, **kwargs):
        raise RuntimeError("CuPy failed to load libnvrtc.so.12")
    ns.asarray = no_nvrtc
    with pytest.raises(DeviceError) as e:
        make_backend("cuda")
    assert "cannot run on it (CuPy failed to load libnvrtc.so.12)" in e.value.message and "[ctk]" in e.value.hint


def test_unknown_device_and_dtype_are_usage_errors():
    for device, dtype in (("tpu", "float64"), ("cuda", "float16"), ("cpu", "float16")):
        with pytest.raises(UsageError) as e:
            make_backend(device, dtype)
        assert e.value.exit_code == 2


def test_available_backends(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)
    found = available_backends()
    assert found == {"cpu": f"numpy {np.__version__}",
                     "cuda": "unavailable: --device cuda: CuPy is not installed (pip install 'gradcli[cuda]')"}
    backends.install(monkeypatch)
    assert available_backends()["cuda"] == "cupy 0+strict on strict stand-in"


def test_version_lists_the_backends(monkeypatch):
    from gradcli.cli import main
    backends.install(monkeypatch)
    r = CliRunner().invoke(main, ["--version"])
    assert r.exit_code == 0
    assert f"  cpu: numpy {np.__version__}" in r.stdout.splitlines()
    assert "  cuda: cupy 0+strict on strict stand-in" in r.stdout.splitlines()


def test_the_numpy_backend_is_a_backend_on_numpy():
    bk = make_backend("cpu", "float32", seed=1)
    assert type(bk) is Backend and bk.xp is np and bk.dtype is np.float32 and bk.name == "cpu"
    a = bk.asarray([1, 2])
    assert a.dtype == np.float32 and bk.to_host(a) is a and bk.synchronize() is None
