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

``custom_vjp`` is its array twin, for Tensors: a new operation of the array engine
(one row of its table of structural operations, ``structural.STRUCTURAL``) with your
vector-Jacobian product, as JAX's ``custom_vjp``. Reverse mode calls the VJP instead of
sweeping through your code, so the VJP may come from mathematics the code never shows,
such as the implicit function theorem for a solver's answer.
"""

import functools
import inspect
import numbers

from ..errors import ArgumentError, CallError, NotANumberError, ShapeError
from .rules import RULES, Operand, Rule, as_real, evaluate

_BUILT_IN = frozenset(RULES)
_ARRAY_OPERATIONS = set()  # the names custom_vjp has defined


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
        name = operation_name(value, "softplus")
        operation = define_rule(name, count_inputs(value, name), value, partials, text, latex,
                                sympy, domain)
        return functools.update_wrapper(operation, value)  # its name, docstring and inputs

    return define


def define_rule(name, count, value, partials, text=None, latex=None, sympy=None, domain=""):
    """Add the rule ``name`` of count inputs to the table (replacing a custom one of that
    name) and return the function that applies it (see ``custom_derivative``)."""
    if name in _BUILT_IN or name in _ARRAY_OPERATIONS:
        raise ArgumentError(f"{name!r} is a built-in operation of the rule table or an "
                            "array operation; give the custom one a name of its own")
    RULES[name] = Rule(
        name, _checked(value, name, "value"), _checked(partials, name, "partials", count),
        *_printed(name, count, text, latex),
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


def _printed(name, count, text=None, latex=None):
    """A custom operation's printed forms, text and LaTeX, over its count inputs: those
    given, else name(...) (``\\operatorname{name}(...)``)."""
    slots = ", ".join("{%d}" % i for i in range(count))
    latex_name = name.replace("_", r"\_")
    return text or f"{name}({slots})", latex or rf"\operatorname{{{{{latex_name}}}}}({slots})"


def operation_name(value, example):
    """The name of a function that is to be an elementary operation (its ``__name__``)."""
    name = getattr(value, "__name__", "")
    if not name.isidentifier():
        raise ArgumentError(f"a custom operation needs a function with a name, such as "
                            f"def {example}(x): ..., not {value!r}")
    return name


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


def custom_vjp(vjp, text=None, latex=None):
    """A decorator: the array function it decorates becomes a new operation of the array
    engine, whose VJP is ``vjp(g, out, *inputs)``, one adjoint per input.

    The function computes the value from NumPy arrays (use NumPy, or adlearn's functions).
    Called with a Tensor among its inputs it records one node; in the reverse sweep that
    node's VJP is yours: g is the adjoint of the output, out the output's value, and each
    adjoint you return must have its input's shape. Write the VJP with operations that
    arrays and Tensors both have (``@``, ``.T``, ``ad.exp``, ``ad.solve``...): a
    differentiable sweep calls it on Tensors. ``text`` and ``latex`` are its printed
    forms (by default ``name({0})``). Forward mode needs a JVP, which this does not
    define, so ``ad.jvp`` and ``ad.hessian`` (forward over reverse) through the operation
    are refused.

        @ad.custom_vjp(lambda g, out, x: (g * ad.sigmoid(-x),))   # d/dx log σ(x) = σ(-x)
        def log_sigmoid(x):
            return -np.logaddexp(0.0, -x)                           # no overflow
    """
    if not callable(vjp):
        raise ArgumentError(f"custom_vjp needs the VJP as a function (g, out, *inputs) -> "
                            f"(one adjoint per input), not {vjp!r}")

    def define(value):
        name = operation_name(value, "log_sigmoid")
        from .structural import STRUCTURAL, Structural  # NumPy is needed from here on

        if name in RULES or (name in STRUCTURAL and name not in _ARRAY_OPERATIONS):
            raise ArgumentError(f"{name!r} is an operation of the engines already; give "
                                "the custom one a name of its own")
        count = count_inputs(value, name)
        checked = _array_value(value, name)
        STRUCTURAL[name] = Structural(name, checked, _array_vjp(vjp, name, count),
                                      _no_jvp(name), *_printed(name, count, text, latex))
        _ARRAY_OPERATIONS.add(name)
        return functools.update_wrapper(_array_operation(name, count, checked), value)

    return define


def _array_operation(name, count, value):
    """The function a learner calls: a node of the array engine if a Tensor is among the
    inputs, else the value (checked, ``_array_value``) on plain arrays."""

    def operation(*args):
        if len(args) != count:
            raise ArgumentError(f"{name} takes {count} input{'s' * (count != 1)}, "
                                f"but got {len(args)}")
        from . import tensor

        if any(isinstance(a, tensor.Tensor) for a in args):
            return tensor._structural(name, args)
        if any(isinstance(a, Operand) for a in args):
            raise NotANumberError(f"{name} is an operation on arrays (custom_vjp): give it "
                                  "Tensors or arrays; for a Var or a Dual use "
                                  "ad.custom_derivative")
        arrays = [tensor.as_array(a, f"input {i + 1} of {name}") for i, a in enumerate(args)]
        return value(*arrays)

    return operation


def _array_value(value, name):
    """The value on arrays, checked to be an array of finite real numbers. Your function
    gets copies of the arrays: one that changes its input in place (x *= 2) changes the
    copy, not a value of the graph, nor the caller's array (which a tape's replay uses)."""

    def call(*arrays):
        from .array_checks import as_array

        copies = [a.copy() for a in arrays]
        return as_array(value(*copies), f"the value of the custom operation {name}")

    return call


def _array_vjp(vjp, name, count):
    """The engine's VJP of input i from yours, which gives every input's adjoint at once:
    it is called once per input that needs one, and each adjoint is checked for shape."""

    def adjoint(g, i, node, *inputs):
        if isinstance(inputs[0], Operand):  # Tensors: a differentiable sweep
            result = vjp(g, node, *inputs)
        else:  # copies, as for the value
            result = vjp(g.copy(), node.value.copy(), *(x.copy() for x in inputs))
        if count == 1 and not isinstance(result, (tuple, list)):
            result = (result,)
        if not isinstance(result, (tuple, list)) or len(result) != count:
            raise NotANumberError(f"the VJP of {name} must return {count} adjoint"
                                  f"{'s' * (count != 1)}, one per input, but returned "
                                  f"{type(result).__name__} {result!r:.80}")
        shape = node.inputs[i].shape
        if getattr(result[i], "shape", None) != shape:
            raise ShapeError(f"the VJP of {name} returned an adjoint of shape "
                             f"{getattr(result[i], 'shape', '(not an array)')} for input "
                             f"{i + 1}, which has shape {shape}: an adjoint has its "
                             "input's shape")
        return result[i]

    return adjoint


def _no_jvp(name):
    def refuse(node, *tangents):
        raise CallError(f"{name} was defined by custom_vjp, which gives reverse mode its "
                        "VJP only: forward mode (ad.jvp, ad.hessian) has no JVP for it")

    return refuse
