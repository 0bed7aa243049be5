"""Forward mode: a ``Dual`` number carries a value and a tangent through the computation.

A dual number is ``value + tangent·ε`` with ``ε² = 0``. Applying an operation to dual
numbers applies the chain rule once, on the spot:

    tangent(out) = sum over inputs of partial(out, input) * tangent(input)

so after one pass the output's tangent is the directional derivative along the seed.
This is *forward mode*; it is not the same thing as the forward pass of reverse mode,
which only computes values and records the graph.

Each derivative being taken gets its own ``tag``. When derivatives nest
(``derivative(derivative(f))``), a dual of a newer tag may hold duals of older tags as
its value and tangent, and an operand of an older tag is a constant to the newer one.
That is what keeps nested derivatives apart (no "perturbation confusion").
"""

import itertools

from ..errors import NotANumberError
from .rules import Operand, as_real, evaluate

_tags = itertools.count(1)


def new_tag():
    """A fresh tag for one derivative being taken (0 is the tag of Duals you make by hand)."""
    return next(_tags)


class Dual(Operand):
    """A dual number: ``value`` (the primal) and ``tangent`` (its derivative along the seed)."""

    __slots__ = ("value", "tangent", "tag")

    def __init__(self, value, tangent=0.0, tag=0):
        self.value = _component(value, "a Dual's value")
        self.tangent = _component(tangent, "a Dual's tangent")
        self.tag = tag

    @staticmethod
    def _apply(op, *args):
        tag = max(a.tag for a in args if isinstance(a, Dual))
        primals, tangents = [], []
        for a in args:
            if isinstance(a, Dual) and a.tag == tag:
                primals.append(a.value)
                tangents.append(a.tangent)
            else:  # a number, or a dual of an outer derivative: a constant here
                primals.append(_component(a, "a number mixed with a Dual"))
                tangents.append(0.0)
        value, partials = evaluate(op, primals)
        tangent = 0.0
        for partial, t in zip(partials, tangents):
            tangent = _plus(tangent, _times(partial, t))
        return Dual(value, tangent, tag)

    def __repr__(self):
        return f"Dual({self.value!r}, {self.tangent!r})"

    def __format__(self, spec):
        return f"{format(self.value, spec)} + {format(self.tangent, spec)}ε" if spec else repr(self)


# Nested derivatives make the value and tangent of a Dual Duals themselves, so one + or *
# on them is a whole tree of operations: the chain rule above skips those that a 0 or a 1
# makes unnecessary (a zero tangent, a partial of 1), which keeps the cost of each order
# of derivative down to a few times the one below it.
def _times(a, b):
    """a * b, without the multiplication when a factor is the float 0 or 1."""
    if _is(a, 0.0) or _is(b, 0.0):
        return 0.0
    return b if _is(a, 1.0) else a if _is(b, 1.0) else a * b


def _plus(a, b):
    """a + b, without the addition when a term is the float 0."""
    return b if _is(a, 0.0) else a if _is(b, 0.0) else a + b


def _is(x, number):
    return type(x) is float and x == number


def _component(x, what):
    if isinstance(x, Dual):
        return x
    if isinstance(x, Operand):
        raise NotANumberError(f"cannot mix a Dual with a {type(x).__name__}: use one mode at a time")
    return as_real(x, what)


def tangent_of(y, tag):
    """The tangent of y for the derivative with this tag (0 if y does not depend on it)."""
    return y.tangent if isinstance(y, Dual) and y.tag == tag else 0.0


def primal_of(y, tag):
    """The value of y with the tangent of this tag stripped off."""
    return y.value if isinstance(y, Dual) and y.tag == tag else y
