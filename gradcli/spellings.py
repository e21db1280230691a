"""What a reader of PyTorch or NumPy types, and the one sentence that
answers each (the builtins' own PyTorch spellings are the op table's
ALIASES and SYNONYMS; these are the ones gradcli does not take), and the
nearest name to a misspelled one."""
from __future__ import annotations

PREFIXES = ("torch", "np", "numpy", "F", "nn", "math")

FOREIGN_METHODS = {
    "backward": "gradcli differentiates for you: gradcli grad PROGRAM, :grad y in the REPL, or grad(y, x)",
    "item": "a one-element result is already a number: drop .item()",
    "detach": "there is nothing to detach: drop .detach()",
    "numpy": "a result is already an array: drop .numpy()",
    "requires_grad_": "every input gets a gradient: drop .requires_grad_()",
}

PREFIX_HINT = ("drop the prefix: the builtins have PyTorch's and NumPy's names (ones(2), mm(a, b), norm(x)); "
               "gradcli functions lists them")

FOREIGN_ATTRIBUTES = {
    "grad": "end the program with y: gradcli grad PROGRAM reports the gradient of every input it reads; "
            "grad(y, x) is that gradient as a value, for gradcli eval",
    "linalg": "drop the prefix: norm(x), det(x), inv(x)",
    "requires_grad": "every input gets a gradient in gradcli: drop it",
}


def suggest(name: str, candidates) -> str:
    """ — did you mean 'x'?" for the nearest candidate (the same letters in another case first), or ""."""
    import difflib          # (on the way to an error: not every start-up's import)
    candidates = list(candidates)
    close = [c for c in candidates if c.lower() == name.lower() and c != name]
    close = close or difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return f" — did you mean '{close[0]}'?" if close else ""


def unknown_call(node, names, methods):
    """The error for a call of no function: PyTorch's methods get their own
    sentence; others a near name (names: what a call may name here)."""
    from gradcli.errors import UnknownNameError
    where = node.func_span or node.span
    if node.func in FOREIGN_METHODS:
        return UnknownNameError(f"'{node.func}' is PyTorch's, not gradcli's", where, hint=FOREIGN_METHODS[node.func])
    what = "method" if node.receiver is not None else "function"
    hint = (f"'{node.func}' is a method: x.{node.func}()" if node.func in methods
            else "gradcli functions lists the builtins")
    return UnknownNameError(f"unknown {what} '{node.func}'" + suggest(node.func, names), where, hint=hint)


def unknown_name(node, session, known, builtin: bool):
    """The error for a name with no value in session (known: the names that
    have one), saying why: a module prefix, a builtin not called, a name to
    come (the REPL's), another case of an --at name, a near name."""
    from gradcli.errors import UnknownNameError, UsageError
    name = node.id
    if name in PREFIXES:
        return UnknownNameError(f"'{name}.' is not needed in gradcli", node.span, hint=PREFIX_HINT)
    if builtin:
        return UsageError(f"'{name}' is a builtin function: call it, {name}(...)", node.span)
    if name in session.no_value_yet:
        return UnknownNameError(f"'{name}' has no value yet", node.span, hint=session.no_value_yet[name])
    other = next((f for f in session.fixed if f.lower() == name.lower()), None)
    if other:           # --at X for x: the unbound x is the mistake, not a near name
        return UnknownNameError(f"'{name}' has no value", node.span, hint=session.unbound.format(name=name)
                                + f" (--at {other} binds '{other}': names are case-sensitive)")
    close = suggest(name, known)
    if close:
        return UnknownNameError(f"unknown name '{name}'{close}", node.span)
    return UnknownNameError(f"'{name}' has no value", node.span, hint=session.unbound.format(name=name))
