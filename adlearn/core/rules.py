"""The one table of elementary operations.

Every operation adlearn can differentiate is one ``Rule`` in ``RULES``: how to compute
its value, its local partial derivatives (one per input), how to print it and how to
build it in SymPy. Reverse mode (``Var``), forward mode (``Dual``), the SymPy bridge,
the trace and the drawings all read this table, so a derivative is written once, here.

The rules are written with Python operators and the dispatching functions below, so
the same formula works on floats, on dual numbers (nested forward mode computes a
partial such as ``cos(x)`` with a ``Dual`` x) and on NumPy arrays entry by entry (the
array layer, ``adlearn.core.tensor``, applies the table to whole arrays).
"""

import math
import numbers
from dataclasses import dataclass
from typing import Callable

from ..text import long_number, number_text, result_text
from ..errors import (DomainError, LeavesADError, NotANumberError, OverflowDomainError,
                      TruthValueError, ZeroDivisionDomainError)


class Operand:
    """Python's operators for ``Var`` and ``Dual``, spelled once.

    A subclass provides ``_apply(op, *args)``, which applies the rule named ``op`` to
    args (numbers or operands of its own kind) and returns a new operand.
    """

    __slots__ = ()

    def __add__(self, other): return self._apply("add", self, other)
    def __radd__(self, other): return self._apply("add", other, self)
    def __sub__(self, other): return self._apply("sub", self, other)
    def __rsub__(self, other): return self._apply("sub", other, self)
    def __mul__(self, other): return self._apply("mul", self, other)
    def __rmul__(self, other): return self._apply("mul", other, self)
    def __truediv__(self, other): return self._apply("div", self, other)
    def __rtruediv__(self, other): return self._apply("div", other, self)
    def __neg__(self): return self._apply("neg", self)
    def __pos__(self): return self
    def __abs__(self): return self._apply("abs", self)

    def __pow__(self, other, modulo=None):
        """``x ** 3`` has a constant exponent; ``x ** y`` a variable one (another rule)."""
        if modulo is not None:
            raise refused(self, "pow(x, n, m)")
        return self._apply("pow" if isinstance(other, Operand) else "powc", self, other)

    def __rpow__(self, other):
        """``2 ** x`` has a constant base (rule cpow, the mirror of powc)."""
        return self._apply("cpow", other, self)

    def exp(self): return self._apply("exp", self)
    def log(self): return self._apply("log", self)
    def sqrt(self): return self._apply("sqrt", self)
    def sin(self): return self._apply("sin", self)
    def cos(self): return self._apply("cos", self)
    def tan(self): return self._apply("tan", self)
    def tanh(self): return self._apply("tanh", self)
    def sigmoid(self): return self._apply("sigmoid", self)
    def relu(self): return self._apply("relu", self)
    def abs(self): return self._apply("abs", self)

    def __bool__(self):
        raise TruthValueError(
            f"a {type(self).__name__} has no truth value: `if x:` (or and, or, not) would test "
            "its value and leave the test out of the derivative; compare instead, as in "
            "`if x > 0:`, or test x.value")

    # Python's conversions to a plain number, and the operators of whole-number division,
    # would drop the derivative: each is refused with a sentence (see ``refused``).
    def __float__(self): raise refused(self, "float")
    def __complex__(self): raise refused(self, "float")
    def __int__(self): raise refused(self, "int")
    def __index__(self): raise refused(self, "int")
    def __round__(self, ndigits=None): raise refused(self, "round")
    def __trunc__(self): raise refused(self, "round")
    def __mod__(self, other): raise refused(self, "x % y")
    def __rmod__(self, other): raise refused(self, "y % x")
    def __floordiv__(self, other): raise refused(self, "x // y")
    def __rfloordiv__(self, other): raise refused(self, "y // x")
    def __divmod__(self, other): raise refused(self, "divmod(x, y)")
    def __rdivmod__(self, other): raise refused(self, "divmod(y, x)")

    # Ordering compares values; equality stays identity, so operands can key a dict.
    def __lt__(self, other): return self._read() < primal(other)
    def __le__(self, other): return self._read() <= primal(other)
    def __gt__(self, other): return self._read() > primal(other)
    def __ge__(self, other): return self._read() >= primal(other)

    def _read(self):
        """The value, taken out of the graph (a comparison's answer is not a node)."""
        return self.value


_VALUE = "x.value is x's plain number, and leaves AD on purpose"


def refused(operand, use):
    """The error for an operand used where it would drop its derivative: ``use`` is
    "float" (math.sin(x), float(x)), "int", "round", or an operator with no rule."""
    kind = type(operand).__name__
    if use == "float":
        numpy = "" if kind == "Tensor" else " (NumPy's np.sin works too)"
        return LeavesADError(
            f"math.sin(x), float(x) and math's other functions take plain numbers only, but "
            f"x is a {kind}: its derivative would be lost. Use adlearn's functions, as in "
            f"ad.sin(x), ad.exp(x){numpy}; {_VALUE}")
    if use == "int":
        return LeavesADError(f"int(x) and x as an index need a whole number, but x is a "
                             f"{kind}: a whole number has no derivative. Use int(x.value): "
                             f"{_VALUE}")
    if use == "round":
        return LeavesADError(f"round(x) needs a plain number, but x is a {kind}: rounding is "
                             "a step, with derivative 0 wherever it has one, so adlearn has "
                             f"no rule for it. Use round(x.value): {_VALUE}")
    return LeavesADError(f"adlearn has no rule for {use} with x a {kind}: %, //, divmod and "
                         "pow(x, n, m) divide whole numbers, and their results jump where the "
                         f"quotient changes. Use x.value in them, as in x.value % 2: {_VALUE}")


def primal(x):
    """The value of an operand, or x itself if it is a plain number."""
    return x.value if isinstance(x, Operand) else x


def as_real(x, what="value"):
    """x as a finite float, or an adlearn error that says what x was instead."""
    if type(x) is float:  # the common case, checked fast
        pass
    elif type(x) is int or (isinstance(x, numbers.Real) and not isinstance(x, bool)):
        try:
            x = float(x)
        except OverflowError:  # an int such as 10**400
            raise OverflowDomainError(f"{what} is too large for a float (the largest float is "
                                      f"about 1.8e308), but got {long_number(x)}") from None
    else:
        kind = "complex number" if isinstance(x, complex) else type(x).__name__
        raise NotANumberError(f"{what} must be a real number, but got {x!r} (a {kind})")
    if x - x != 0.0:
        raise DomainError(f"{what} must be a finite real number, but got {x}")
    return x


def _elementary(name, real_fn):
    """A function that uses real_fn on numbers, the rule ``name`` on operands, and
    NumPy's function of the same name on arrays (entry by entry, for ``adlearn.core.tensor``)."""

    def function(x):
        if isinstance(x, Operand):
            return x._apply(name, x)
        if type(x) is float or type(x) is int:  # not NumPy's float64, a float subclass
            return real_fn(x)
        return getattr(_numpy(), name)(x)

    return function


def _numpy():
    """NumPy, imported only when an array reaches the table (so NumPy is loaded already)."""
    import numpy

    return numpy


def _where(condition, a, b):
    """a if condition else b: for one number's condition (a bool), or entry by entry for
    an array of conditions (NumPy's where), so a rule with a kink works on both."""
    if condition is True:
        return a
    if condition is False:
        return b
    return _numpy().where(condition, a, b)


_exp = _elementary("exp", math.exp)
_log = _elementary("log", math.log)
_sin = _elementary("sin", math.sin)
_cos = _elementary("cos", math.cos)
_sqrt = _elementary("sqrt", math.sqrt)
_tan = _elementary("tan", math.tan)
_tanh = _elementary("tanh", math.tanh)


def _pow_by_exponent(out, a, b):
    """∂(a^b)/∂b = a^b ln a; at a = 0 with b > 0, a^b is 0 for every such b, so it is 0
    (as in PyTorch), although ln 0 is not defined."""
    at_zero = primal_number(a) == 0
    if at_zero is True or at_zero is False:  # one number (a float, or a Dual's)
        return 0.0 if at_zero and b > 0 else out * _log(a)
    flat = at_zero & (b > 0)  # an array, entry by entry: where a = 0 < b, ln(0 + 1) = 0;
    return out * _log(a + flat)  # where a = 0 ≥ b, ln 0 stays (an error, as on a number)


def _sigmoid(x):
    """1 / (1 + e^-x), computed without overflow for large |x|."""
    if not isinstance(x, (int, float, Operand)):  # an array: e^-|x| never overflows
        z = _exp(-abs(x))
        return _where(x >= 0, 1.0, z) / (1.0 + z)
    if x >= 0:
        return 1.0 / (1.0 + _exp(-x))
    z = _exp(x)
    return z / (1.0 + z)


@dataclass(frozen=True)
class Rule:
    """One elementary operation: its value, local partials and printed forms.

    ``partials(out, *args)`` returns the partial derivative of the output with respect
    to each input, given the inputs and the output value ``out`` (several rules are
    cheapest in terms of it: d/dx e^x = e^x). ``text`` and ``latex`` are format strings
    over the inputs; ``sympy(sp, *args)`` builds the operation with the sympy module sp.
    ``domain`` says in words which inputs it accepts, for error messages.
    """

    name: str
    value: Callable
    partials: Callable
    text: str
    latex: str
    sympy: Callable
    domain: str = ""


def _table(*rules):
    return {rule.name: rule for rule in rules}


RULES = _table(
    Rule("add", lambda a, b: a + b, lambda out, a, b: (1.0, 1.0),
         "{0} + {1}", "{0} + {1}", lambda sp, a, b: a + b),
    Rule("sub", lambda a, b: a - b, lambda out, a, b: (1.0, -1.0),
         "{0} - {1}", "{0} - {1}", lambda sp, a, b: a - b),
    Rule("mul", lambda a, b: a * b, lambda out, a, b: (b, a),
         "{0} × {1}", r"{0} \times {1}", lambda sp, a, b: a * b),
    Rule("div", lambda a, b: a / b, lambda out, a, b: (1.0 / b, -out / b),
         "{0} / {1}", r"\frac{{{0}}}{{{1}}}", lambda sp, a, b: a / b,
         "division needs a non-zero denominator"),
    Rule("neg", lambda a: -a, lambda out, a: (-1.0,),
         "-{0}", "-{0}", lambda sp, a: -a),
    # x ** n with a constant n: the exponent is a constant node, so no adjoint flows to it.
    Rule("powc", lambda a, n: a ** n, lambda out, a, n: (n * a ** (n - 1) if n else 0.0, 0.0),
         "{0}^{1}", "{{{0}}}^{{{1}}}", lambda sp, a, n: a ** n,
         "x^n needs x ≠ 0 when n < 1 (0 to a negative power, or an infinite derivative), "
         "and x ≥ 0 when n is not a whole number"),
    # c ** x with a constant c: the base is a constant node, so no adjoint flows to it, and
    # 0 ** x (x > 0) has the derivative 0 although x 0^(x-1), the base's partial, may not exist.
    Rule("cpow", lambda c, x: c ** x, lambda out, c, x: (0.0, _pow_by_exponent(out, c, x)),
         "{0}^{1}", "{{{0}}}^{{{1}}}", lambda sp, c, x: c ** x,
         "c^x with a constant base c needs c > 0, or c = 0 with x > 0 (its derivative is "
         "c^x ln c, and 0 when c = 0: 0^x is 0 for every x > 0)"),
    Rule("pow", lambda a, b: a ** b,
         lambda out, a, b: (b * a ** (b - 1), _pow_by_exponent(out, a, b)),
         "{0}^{1}", "{{{0}}}^{{{1}}}", lambda sp, a, b: a ** b,
         "x^y with a variable exponent y needs x > 0, or x = 0 with y ≥ 1 (its partials are "
         "y x^(y-1) and x^y ln x, which is 0 at x = 0)"),
    Rule("exp", _exp, lambda out, a: (out,),
         "exp {0}", r"\exp {0}", lambda sp, a: sp.exp(a)),
    Rule("log", _log, lambda out, a: (1.0 / a,),
         "ln {0}", r"\ln {0}", lambda sp, a: sp.log(a),
         "the logarithm needs a positive input"),
    Rule("sqrt", _sqrt, lambda out, a: (0.5 / out,),
         "√{0}", r"\sqrt{{{0}}}", lambda sp, a: sp.sqrt(a),
         "the square root needs x ≥ 0, and x > 0 for its derivative 1/(2√x)"),
    Rule("sin", _sin, lambda out, a: (_cos(a),),
         "sin {0}", r"\sin {0}", lambda sp, a: sp.sin(a)),
    Rule("cos", _cos, lambda out, a: (-_sin(a),),
         "cos {0}", r"\cos {0}", lambda sp, a: sp.cos(a)),
    Rule("tan", _tan, lambda out, a: (1.0 + out * out,),
         "tan {0}", r"\tan {0}", lambda sp, a: sp.tan(a)),
    Rule("tanh", _tanh, lambda out, a: (1.0 - out * out,),
         "tanh {0}", r"\tanh {0}", lambda sp, a: sp.tanh(a)),
    Rule("sigmoid", _sigmoid, lambda out, a: (out * (1.0 - out),),
         "σ({0})", r"\sigma({0})", lambda sp, a: 1 / (1 + sp.exp(-a))),
    # relu and abs have a kink at 0; there we take the derivative 0 (as PyTorch does).
    Rule("relu", lambda a: _where(a > 0, a, 0.0), lambda out, a: (_where(a > 0, 1.0, 0.0),),
         "relu {0}", r"\operatorname{{relu}}({0})",
         lambda sp, a: sp.Piecewise((a, a > 0), (0, True))),
    Rule("abs", lambda a: _where(a >= 0, a, -a),
         lambda out, a: (_where(a > 0, 1.0, _where(a < 0, -1.0, 0.0)),),
         "|{0}|", r"\left|{0}\right|", lambda sp, a: sp.Abs(a)),
)


def evaluate(op, args, with_partials=True):
    """The value of rule ``op`` at args and, if asked, its local partials.

    Inputs outside the rule's domain raise an adlearn error naming the operation and
    the offending values, never a raw ``math domain error`` or a silent NaN.
    """
    rule = RULES[op]
    try:
        out = rule.value(*args)
    except (ArithmeticError, ValueError) as exc:  # ZeroDivisionError, OverflowError, math domain
        raise _domain_error(rule, args, exc) from None
    try:
        partials = rule.partials(out, *args) if with_partials else ()
    except (ArithmeticError, ValueError) as exc:
        raise _domain_error(rule, args, exc, out) from None
    # floats: inf or nan when any result is, so one test checks them all (inf - inf is nan);
    # anything else (a Dual of nested forward mode, a complex number) is looked at closer,
    # without arithmetic on it: on nested Duals each + would be a whole tree of operations
    total = sum(partials, out) if type(out) is float else None
    if not (type(total) is float and total - total == 0.0):
        for i, x in enumerate((out, *partials)):
            if not _is_finite_real(x):
                raise _domain_error(rule, args, primal_number(x), out if i else None)
    return out, partials


def _is_finite_real(x):
    """Whether x is a finite real; x may be an int, a Dual (nested forward mode) or a
    complex number (what Python makes of a negative number to a fractional power)."""
    x = primal_number(x)
    return isinstance(x, (int, float)) and math.isfinite(x)


def _domain_error(rule, args, problem, out=None):
    """The adlearn error for rule applied to args, given the exception or bad result, and
    the value ``out`` if the value was fine and a local partial derivative failed."""
    if out is not None and not _is_finite_real(out):  # the value failed too: say that
        return _domain_error(rule, args, primal_number(out))
    values = [primal_number(a) for a in args]
    shown = rule.text.format(*(number_text(v) for v in values))
    if isinstance(problem, OverflowError) or (isinstance(problem, float) and math.isinf(problem)):
        what = shown if out is None else f"the derivative of {shown}"
        return OverflowDomainError(f"{what} is too large for a float "
                                   "(the largest float is about 1.8e308)")
    cls = ZeroDivisionDomainError if isinstance(problem, ZeroDivisionError) else DomainError
    why = rule.domain or "the result is not a real number"
    if out is None:
        return cls(f"{shown} is not defined: {why}")
    return cls(f"{shown} = {result_text(primal_number(out))}, but its derivative is not "
               f"defined there: {why}")


def primal_number(x):
    """The plain number at the bottom of a (possibly nested) operand."""
    while isinstance(x, Operand):
        x = x.value
    return x
