"""Elementary functions that accept a float, a ``Var``, a ``Dual``, an array or a ``Tensor``.

``ad.sin(2.0)`` is a float, ``ad.sin(Var(2.0))`` records a node for reverse mode and
``ad.sin(Dual(2.0, 1.0))`` carries a tangent for forward mode; on a NumPy array (or a
Tensor) it works entry by entry, so one formula serves both. Each one applies the
rule of the same name in the rule table. ``stop_gradient`` is not an operation of the
table: it hands back its input's value as a constant, in every mode.
"""

import sys

from .engine import Var, _constant
from .rules import Operand, as_real, evaluate, primal_number


def _apply(op, x):
    if isinstance(x, Operand):
        return x._apply(op, x)
    if _is_array(x):  # entry by entry, with the array engine's checks of each entry
        from .tensor import Tensor

        return Tensor._apply(op, x).value
    return evaluate(op, [as_real(x, f"the input of {op}")], with_partials=False)[0]


def exp(x):
    """e to the power x."""
    return _apply("exp", x)


def log(x):
    """The natural logarithm ln x (x > 0)."""
    return _apply("log", x)


def sqrt(x):
    """The square root of x (x > 0 for a derivative, x ≥ 0 for a plain float)."""
    return _apply("sqrt", x)


def sin(x):
    """The sine of x (radians)."""
    return _apply("sin", x)


def cos(x):
    """The cosine of x (radians)."""
    return _apply("cos", x)


def tan(x):
    """The tangent of x (radians)."""
    return _apply("tan", x)


def tanh(x):
    """The hyperbolic tangent of x."""
    return _apply("tanh", x)


def sigmoid(x):
    """The logistic sigmoid 1 / (1 + e^-x)."""
    return _apply("sigmoid", x)


def relu(x):
    """max(x, 0), the rectified linear unit."""
    return _apply("relu", x)


def abs(x):
    """|x|, the absolute value."""
    return _apply("abs", x)


ln = log  # the textbook's name


def stop_gradient(x):
    """x's value as a constant: the same number (or array), through which no derivative
    flows (JAX's ``stop_gradient``, PyTorch's ``detach``).

    A Var becomes a constant node, a Tensor a constant array node, a Dual its plain
    number (every level of nested forward mode stops); a number or an array is returned
    as it is. ``x + ad.stop_gradient(q - x)`` has the value q and the derivative of x:
    the straight-through estimator.
    """
    if isinstance(x, Var):
        return _constant(x.value)
    if isinstance(x, Operand):
        if hasattr(x, "shape"):  # a Tensor: the array engine is loaded already
            from .tensor import constant as array_constant

            return array_constant(x._read())  # counted: a tape cannot replay it
        return primal_number(x)  # a Dual, perhaps nested
    return x if _is_array(x) else as_real(x, "the input of stop_gradient")


def _is_array(x):
    """Whether x is a NumPy array (NumPy is loaded already if x is one)."""
    numpy = sys.modules.get("numpy")
    return numpy is not None and isinstance(x, numpy.ndarray)
