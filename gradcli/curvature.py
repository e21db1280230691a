"""The Hessian's story (grad --hessian): the matrix of second derivatives of
a scalar result with respect to its inputs (all of their elements, in
order), its eigenvalues, and, where the gradient is zero, what kind of
point it is. Computed by the engine, exactly: the gradient with its graph
kept, then one vectorized reverse pass per input (jacobian)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy

from gradcli import api
from gradcli.autograd import Tensor, gradients
from gradcli.errors import NotScalarError, UsageError

KINDS = ("minimum", "maximum", "saddle", "degenerate")


@dataclass
class Story:
    keys: list                  # the inputs, in order: rows and columns of the matrix
    sizes: list                 # their numbers of elements
    grad: numpy.ndarray         # the gradient, flattened (every input's elements, in order)
    matrix: numpy.ndarray       # n × n, symmetric
    eigenvalues: numpy.ndarray  # ascending
    critical: bool              # the gradient is zero, to the dtype's tolerance
    kind: str | None            # one of KINDS at a critical point, else None
    tol: float

    def sentence(self) -> str:
        """What the numbers say, in words."""
        signs = self._signs()
        if not self.critical:
            shape = {"+": "convex", "-": "concave", "+-": "saddle-shaped"}.get(signs, "flat in some direction")
            return (f"not a critical point (the gradient is not 0); the function is {shape} here"
                    if shape != "flat in some direction" else
                    "not a critical point (the gradient is not 0); its curvature is 0 in some direction")
        return {
            "minimum": "a minimum: the gradient is 0 and every eigenvalue is positive",
            "maximum": "a maximum: the gradient is 0 and every eigenvalue is negative",
            "saddle": "a saddle: the gradient is 0, and the function curves up along some directions "
                      "and down along others",
            "degenerate": "degenerate: the gradient is 0 but an eigenvalue is 0, so second derivatives "
                          "cannot tell a minimum, a maximum or a saddle apart",
        }[self.kind]

    def _signs(self) -> str:
        small = numpy.abs(self.eigenvalues) <= self.tol * max(1.0, float(numpy.abs(self.eigenvalues).max(initial=0)))
        pos = bool(numpy.any((self.eigenvalues > 0) & ~small))
        neg = bool(numpy.any((self.eigenvalues < 0) & ~small))
        return ("+" if pos else "") + ("-" if neg else "") + ("0" if numpy.any(small) else "")

    def to_json(self) -> dict:
        from gradcli.render.format import jsonable
        return {"inputs": [{"name": k, "size": n} for k, n in zip(self.keys, self.sizes)],
                "matrix": jsonable(self.matrix), "eigenvalues": jsonable(self.eigenvalues),
                "critical": self.critical, "kind": self.kind}


def story(y: Tensor, session, wrt=None) -> Story:
    """The Hessian of the scalar y with respect to its inputs (or wrt)."""
    from gradcli.ops import F
    from gradcli.ops.calculus import jacobian
    if y.size != 1:
        raise NotScalarError.needed_by("the Hessian", y.shape, y.span)
    xs = api.targets(y, session, wrt)
    if not xs:
        raise UsageError("the result depends on no input, so it has no Hessian", hint="bind an input with --at")
    keys, inputs = list(xs), list(xs.values())
    with session.evaluating():
        found = gradients(y, inputs, create_graph=True)
        flat = [F.reshape(found[id(x)], shape=(-1,)) if id(x) in found else F.zeros(shape=(x.size,), bk=x.bk)
                for x in inputs]
        g = F.concat(*flat, axis=0) if len(flat) > 1 else flat[0]
        columns = [F.reshape(jacobian(g, x), shape=(g.size, x.size)) for x in inputs]
    bk = session.bk
    matrix = numpy.concatenate([bk.to_host(c.data) for c in columns], axis=1).astype(float)
    matrix = (matrix + matrix.T) / 2        # autograd's is symmetric to rounding; the eigenvalues need it exactly
    grad = bk.to_host(g.data).astype(float)
    tol = float(numpy.sqrt(numpy.finfo(bk.dtype).eps))
    eigenvalues = numpy.linalg.eigvalsh(matrix) if numpy.all(numpy.isfinite(matrix)) else \
        numpy.full(len(matrix), numpy.nan)
    critical = bool(numpy.all(numpy.abs(grad) <= tol * max(1.0, abs(y.item()))))
    s = Story(keys, [x.size for x in inputs], grad, matrix, eigenvalues, critical, None, tol)
    if critical and numpy.all(numpy.isfinite(eigenvalues)):
        signs = s._signs()
        s.kind = ("saddle" if "+" in signs and "-" in signs else "degenerate" if "0" in signs
                  else "minimum" if signs == "+" else "maximum")
    return s
