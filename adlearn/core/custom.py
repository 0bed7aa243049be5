"""Custom derivatives: a new elementary operation, with its value and its derivative.

Every built-in operation is one rule in the rule table (``rules.RULES``), and every part
of adlearn reads the table. ``custom_derivative`` adds one more rule the same way, so the
new operation works in reverse mode, in forward mode (nested too), in the trace, the
drawing and the explorer, and prints like a built-in one. It is adlearn's version of
JAX's ``custom_jvp``: you say what the derivative is, and AD uses that instead of
differentiating your code. Use it when the program is worse than the mathematics, such
as ``log(1 + exp(x))``, whose ``exp(x)`` overflows at x = 800 although its value is 800:

    @ad.custom_derivative(lambda out, x: (ad.sigmoid(x),))   # d/dx ln(1 + e^x) = σ(x)
    def softplus(x):
        return ad.relu(x) + ad.log(1 + ad.exp(-ad.abs(x)))  # the same value, no overflow

As in the table, ``partials(out, *args)`` gets the output value and the inputs and
returns one partial derivative per input. Write the value and the partials with Python's
operators and adlearn's functions (``ad.exp``, not ``math.exp``): then they work on plain
numbers, on dual numbers and on the trace's formulas alike.
"""

import functools
import inspect
import numbers

from ..errors import ArgumentError, NotANumberError
from .rules import RULES, Operand, Rule, as_real, evaluate

_BUILT_IN = frozenset(RULES)


def custom_derivative(partials, text=None, latex=None, sympy=None, domain=""):
    """A decorator: the function it decorates becomes a new rule with these partials.

    ``text`` and ``latex`` are the rule's printed forms over its inputs (``"softplus {0}"``;
    by default ``name(...)``), ``sympy(sp, *args)`` its SymPy form (by default an
    undefined SymPy function of that name), ``domain`` the inputs it accepts, in words.
    Defining a name again replaces the earlier definition; a built-in name is refused.
    """
    if not callable(partials):
        raise ArgumentError(f"custom_derivative needs the partials as a function "
                            f"(out, *inputs) -> (one partial per input), not {partials!r}")

    def define(value):
        name = getattr(value, "__name__", "")
        if not name.isidentifier():
            raise ArgumentError(f"a custom operation needs a function with a name, such as "
                                f"def softplus(x): ..., not {value!r}")
        operation = define_rule(name, count_inputs(value, name), value, partials, text, latex,
                                sympy, domain)
        return functools.update_wrapper(operation, value)  # its name, docstring and inputs

    return define


def define_rule(name, count, value, partials, text=None, latex=None, sympy=None, domain=""):
    """Add the rule ``name`` of count inputs to the table (replacing a custom one of that
    name) and return the function that applies it (see ``custom_derivative``)."""
    if name in _BUILT_IN:
        raise ArgumentError(f"{name!r} is a built-in operation of the rule table; "
                            "give the custom one a name of its own")
    slots = ", ".join("{%d}" % i for i in range(count))
    latex_name = name.replace("_", r"\_")
    RULES[name] = Rule(
        name, _checked(value, name, "value"), _checked(partials, name, "partials", count),
        text or f"{name}({slots})", latex or rf"\operatorname{{{{{latex_name}}}}}({slots})",
        sympy or (lambda sp, *args: sp.Function(name)(*args)), domain)
    return _operation(name, count)


def _operation(name, count):
    """The function a learner calls: it applies the rule to numbers, Vars or Duals."""

    def operation(*args):
        if len(args) != count:
            raise ArgumentError(f"{name} takes {count} input{'s' * (count != 1)}, "
                                f"but got {len(args)}")
        operand = next((a for a in args if isinstance(a, Operand)), None)
        if operand is not None:
            return operand._apply(name, *args)
        numbers_ = [as_real(a, f"input {i + 1} of {name}") for i, a in enumerate(args)]
        return evaluate(name, numbers_, with_partials=False)[0]

    operation.__name__ = operation.__qualname__ = name
    return operation


def count_inputs(value, name):
    """The number of inputs of a function that is to be an elementary operation."""
    try:
        params = inspect.signature(value).parameters.values()
    except (TypeError, ValueError):
        raise ArgumentError(f"cannot read the inputs of {name}") from None
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if any(p.kind not in kinds or p.default is not p.empty for p in params):
        raise ArgumentError(f"{name} must take plain inputs, one per parameter "
                            "(no defaults, *args or keywords), as an elementary operation does")
    if not params:
        raise ArgumentError(f"{name} has no inputs, so it has nothing to differentiate")
    return len(params)


def _checked(function, name, part, count=None):
    """function, with a learner's mistakes in it turned into errors that say where."""

    def call(*args):
        try:
            result = function(*args)
        except TypeError as exc:
            kinds = ", ".join(type(a).__name__ for a in args)
            raise NotANumberError(
                f"the {part} of the custom operation {name} failed on ({kinds}): {exc}. "
                "Write it with Python's operators and adlearn's functions (ad.exp, not "
                "math.exp), so that it works on numbers, dual numbers and formulas") from None
        if count is not None:  # the partials: one per input, in a tuple
            if isinstance(result, (numbers.Number, Operand)):
                result = (result,)
            if not isinstance(result, (tuple, list)) or len(result) != count:
                raise NotANumberError(f"the partials of {name} must be {count} partial "
                                    f"derivative{'s' * (count != 1)}, one per input, "
                                    f"but were {result!r}")
            result = tuple(result)
        return result

    return call
