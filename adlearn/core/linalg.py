"""The solution of a linear system, ``solve(A, b)``, as one operation of the array engine.

x = A⁻¹ b is defined implicitly, by F(x, A, b) = A x - b = 0, and its derivatives come
from the implicit function theorem rather than from the steps of a solver: with the
tangents Ȧ and ḃ, A ẋ + Ȧ x - ḃ = 0, so

    ẋ = A⁻¹ (ḃ - Ȧ x)                                 (the JVP)
    b̄ = A⁻ᵀ x̄,   Ā = -b̄ xᵀ                             (the VJP)

One more solve, with Aᵀ, gives every adjoint; nothing of the solver is recorded. The
operation is a row of the array engine's table (``structural.STRUCTURAL``), added here.
"""

import numpy as np

from ..errors import DomainError, ShapeError
from ..text import shape_words
from .rules import Operand
from .structural import STRUCTURAL, Structural


def solve(A, b):
    """x with A x = b, for a square matrix A and a vector b (or a matrix b, one system per
    column). With a Tensor among A and b it records one node, whose VJP solves with Aᵀ;
    with plain arrays it returns an array."""
    from . import tensor

    if not any(isinstance(x, Operand) for x in (A, b)):  # arrays: the value alone
        A, b = tensor.as_array(A, "the matrix A"), tensor.as_array(b, "the right-hand side b")
        _check(A.shape, b.shape)
        return _solved(A, b)
    A, b = (x if isinstance(x, tensor.Tensor) else tensor.constant(x) for x in (A, b))
    _check(A.shape, b.shape)
    return tensor._structural("solve", (A, b))


def _check(a, b):
    """A ShapeError unless a is square (n × n) and b has n rows."""
    if len(a) != 2 or a[0] != a[1]:
        raise ShapeError(f"solve needs a square matrix A (n × n), but A is {shape_words(a)}")
    if len(b) not in (1, 2) or b[0] != a[0]:
        raise ShapeError(f"solve(A, b) needs b to be a vector or a matrix of {a[0]} rows, as "
                         f"A has {a[0]}, but b is {shape_words(b)}")


def _solved(A, b):
    """np.linalg.solve, with a DomainError for a singular matrix."""
    try:
        x = np.linalg.solve(A, b)
    except np.linalg.LinAlgError:
        x = None
    if x is None or not np.isfinite(x).all():
        raise DomainError(f"solve(A, b) has no unique solution: A ({shape_words(A.shape)}) "
                          "is singular (its determinant is 0, it has no inverse)")
    return x


def _vjp(g, i, node, A, b):
    """b̄ = A⁻ᵀ x̄ for b; Ā = -b̄ xᵀ for A (arrays, or Tensors in a differentiable sweep)."""
    b_bar = solve(A.T, g)
    if i == 1:
        return b_bar
    x = node if isinstance(A, Operand) else node.value
    rows = A.shape[0]
    return -(b_bar.reshape((rows, -1)) @ x.reshape((rows, -1)).T)


def _jvp(node, dA, db):
    """ẋ = A⁻¹ (ḃ - Ȧ x)."""
    A, x = node.inputs[0].value, node.value
    rhs = (0.0 if db is None else db) - (0.0 if dA is None else dA @ x)
    return _solved(A, np.broadcast_to(rhs, x.shape))


STRUCTURAL["solve"] = Structural("solve", _solved, _vjp, _jvp, "solve({0}, {1})",
                                 r"{{{0}}}^{{-1}} {1}")
