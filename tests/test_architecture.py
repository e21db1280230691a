"""The shape of the code, from the modules' own import statements (at any
depth, lazy ones included): no module reaches back to itself through
others, the core (language, interpreter, op table, autograd, backend) never
imports a terminal library, and autograd never imports the op table."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "gradcli"
CORE = ("gradcli.ast", "gradcli.parse", "gradcli.interpret", "gradcli.ops", "gradcli.autograd",
        "gradcli.backend", "gradcli.errors", "gradcli.gradcheck")
TERMINAL = ("rich", "click", "prompt_toolkit")


def modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def imports(name: str, path: Path, known) -> set[str]:
    """The modules name imports: gradcli's own (the most specific module
    named) and the top-level names of the others."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1] + ([base] if base else []))
            subs = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in known]
            out |= set(subs) if subs else {base}
    return {m if m.startswith("gradcli") else m.split(".")[0] for m in out}


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: {m for m in imports(name, path, known) if m in known or not m.startswith("gradcli")}
            for name, path in known.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's, iteratively)."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            node, it = work[-1]
            for nxt in it:
                if nxt not in edges:
                    continue
                if nxt not in index:
                    index[nxt] = low[nxt] = counter[0]
                    counter[0] += 1
                    stack.append(nxt)
                    on.add(nxt)
                    work.append((nxt, iter(sorted(edges[nxt]))))
                    break
                if nxt in on:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        m = stack.pop()
                        on.discard(m)
                        component.append(m)
                        if m == node:
                            break
                    if len(component) > 1:
                        out.append(sorted(component))
    return out


def test_no_module_imports_itself_through_others():
    assert cycles(graph()) == []


def test_the_core_imports_no_terminal_library():
    offenders = [f"{name} imports {m}" for name, deps in graph().items()
                 if name.startswith(CORE) for m in deps if m in TERMINAL]
    assert offenders == []


def test_autograd_imports_no_op_table():
    offenders = [f"{name} imports {m}" for name, deps in graph().items()
                 if name.startswith("gradcli.autograd") for m in deps if m.startswith("gradcli.ops")]
    assert offenders == []


def test_the_checks_can_fail():
    """A cycle and a terminal import are found where they exist."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert "rich" in imports("gradcli.render.console", PACKAGE / "render" / "console.py", modules())


def builtin_list() -> str:
    """The README's list of builtins, made from the table: a line a family."""
    from gradcli.ops import FAMILIES, TITLES
    lines = []
    for family in FAMILIES:
        names = " ".join(op.name for op in family.OPS if op.builtin)
        also = " ".join(k for k, v in getattr(family, "SYNONYMS", {}).items())
        methods = " ".join(f"x.{m}()" for m in getattr(family, "METHODS", {}))
        if names:
            lines.append(f"- {TITLES[family]}: `{names}`" + (f" (also `{also}`)" if also else "")
                         + (f"; as a method only: `{methods}`" if methods else ""))
    return "\n".join(lines)


def test_the_readme_lists_every_builtin_and_no_other():
    """The README's builtin list is the table's (GRADCLI_UPDATE_README=1 rewrites it)."""
    import os
    path = PACKAGE.parent / "README.md"
    readme = path.read_text(encoding="utf-8")
    start, end = "<!-- builtins: generated from the op table -->\n", "\n<!-- /builtins -->"
    head, rest = readme.split(start)
    listed, tail = rest.split(end)
    if os.environ.get("GRADCLI_UPDATE_README"):
        path.write_text(head + start + builtin_list() + end + tail, encoding="utf-8")
        listed = builtin_list()
    assert listed == builtin_list(), "run GRADCLI_UPDATE_README=1 python -m pytest tests/test_architecture.py"


def test_a_batch_worker_imports_no_rich():
    """Workers compute records; only the parent draws them."""
    import subprocess
    import sys
    code = ("import sys\nfrom gradcli.batch import worker\nworker.warm()\n"
            "r = worker.evaluate_file('a.grad', 'x = ones(2)\\nsum(log(x - 1))\\nnorm(y)\\n', {})\n"
            "assert len(r['records']) == 2, r\nprint(sorted(m for m in sys.modules if m.split('.')[0] == 'rich'))")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and p.stdout.strip() == "[]", p.stdout + p.stderr


NOT_AT_START = ("json", "numpy.random", "importlib.resources", "pathlib", "zipfile",
                "gradcli.inputs", "gradcli.curvature", "gradcli.render.files")


def test_a_plain_grad_process_loads_nothing_it_does_not_use():
    """Start-up time (issue 17): each of these was loaded once for nothing;
    one that comes back goes behind a function-level import again."""
    import subprocess
    import sys
    code = ("import atexit, sys; atexit.register(lambda: print(' '.join(sorted(sys.modules))))\n"
            "from gradcli.cli import main; main()")
    p = subprocess.run([sys.executable, "-c", code, "grad", "x = ones(2); norm(4*x*x)"], capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    loaded = set(p.stdout.splitlines()[-1].split())
    assert "gradcli.api" in loaded and not loaded & set(NOT_AT_START), sorted(loaded & set(NOT_AT_START))


def test_files_and_functions_are_short_or_say_why():
    """About 300 lines a file and 60 a function, unless its docstring says
    why it is longer ("Long: ...")."""
    long = []
    for name, path in modules().items():
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
        if len(text.splitlines()) > 300 and "Long:" not in (ast.get_docstring(tree) or ""):
            long.append(f"{name}: {len(text.splitlines())} lines")
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno >= 60:
                if "Long:" not in (ast.get_docstring(node) or ""):
                    long.append(f"{name}.{node.name}: {node.end_lineno - node.lineno + 1} lines")
    assert long == []


def test_the_readme_development_map_names_every_module():
    """Each module and package of gradcli/ is named in the README's map of the tree, and the map names no other."""
    import re
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Development"):]
    block = section[section.index("```\n") + 4:section.index("\n```", section.index("```\n") + 4)]
    named = set(re.findall(r"([a-z_]+(?:\.py|/))", block)) - {"grammar/", "gradcli/"}
    tree = {p.name + ("/" if p.is_dir() else "") for p in PACKAGE.iterdir()
            if (p.suffix == ".py" or (p / "__init__.py").exists()) and not p.name.startswith("__")}
    inside = {p.name for p in PACKAGE.glob("*/*.py")}
    assert tree <= named and named <= tree | inside
