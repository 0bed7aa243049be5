"""Elementary functions that accept a float, a ``Var`` or a ``Dual``.

``ad.sin(2.0)`` is a float, ``ad.sin(Var(2.0))`` records a node for reverse mode and
``ad.sin(Dual(2.0, 1.0))`` carries a tangent for forward mode. Each one applies the
rule of the same name in the rule table.
"""

from .rules import Operand, as_real, evaluate


def _apply(op, x):
    if isinstance(x, Operand):
        return x._apply(op, x)
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
