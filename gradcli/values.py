"""The values of a program besides arrays: tuples, strings, user functions,
a builtin's several results. How a message names each, and the error when
one stands where an array is needed."""
from __future__ import annotations

from dataclasses import dataclass

from gradcli import ast
from gradcli.autograd import Tensor
from gradcli.errors import GradcliError, UsageError
from gradcli.ops.core import Results


@dataclass
class Function:
    """A user function: its definition, inlined at every call."""
    name: str
    params: list[str]
    body: ast.Node
    span: object


def describe(value) -> str:
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, Results):
        return f"{len(value)} results"
    if isinstance(value, tuple):
        return "a tuple"
    if isinstance(value, Function):
        return "a function"
    if isinstance(value, Tensor):
        return f"an array of shape {value.shape}"
    return repr(value)


def not_an_array(value, node) -> GradcliError:
    """The error for a value that is not an array where one is needed."""
    if isinstance(value, Results):
        text = node.span.excerpt()
        pick = f"{text}.{value.names[0]} or {text}[0]" if value.names[0] else f"{text}[0]"
        return UsageError(f"{text} has {len(value)} results, not one array", node.span, hint=f"pick one: {pick}")
    if isinstance(value, str):
        return UsageError(f"a string is not a number: {value!r}", node.span,
                          hint="strings are arguments of builtins, such as reduction='sum'")
    return UsageError(f"expected an array or a number, not {describe(value)}", node.span)
