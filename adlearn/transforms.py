"""Function transforms: turn a function into the function that computes its derivative.

As in JAX, they compose and they are pure: ``grad(f)`` returns a new function and
leaves f alone. ``grad`` and ``value_and_grad`` use reverse mode (one sweep gives every
partial derivative); ``jvp`` and ``derivative`` use forward mode (one sweep per
direction). Each mode nests in itself: ``derivative(derivative(f))`` and
``grad(grad(f, argnums=0), argnums=0)`` are both f'', but one mode cannot differentiate
the other.
"""

import inspect

from .engine import Var, differentiable_adjoints, reverse_sweep
from .errors import ArgumentError, NotANumberError
from .forward import Dual, new_tag, primal_of, tangent_of
from .rules import as_real


def value_and_grad(f, argnums=None):
    """A function returning ``(f(*args), gradient)`` by reverse mode.

    ``argnums`` picks the arguments to differentiate: None for all of them (the gradient
    is a tuple), an int for one (the gradient is a float), or a tuple of ints.

    Reverse mode nests: inside another ``grad``, or when f uses a Var from outside, the
    value and the gradient come back as Vars that the outer sweep differentiates again.
    """

    def value_and_grad_f(*args):
        wrt = _positions(argnums, len(args))
        names = _parameter_names(f, len(args))
        xs = [_variable(a, names[i]) if i in wrt else a for i, a in enumerate(args)]
        inputs = [xs[i] for i in wrt]
        y = f(*xs)
        if not isinstance(y, Var):  # f does not depend on its inputs: every partial derivative is 0
            value, grads = as_real(y, "the value returned by f"), tuple(0.0 for _ in inputs)
        else:
            for x in inputs:  # f may have swept a graph through them itself
                x.adjoint = 0.0
            order = reverse_sweep(y)
            value, grads = y.value, tuple(x.adjoint for x in inputs)
            if _has_outer_variable(order, inputs):
                # the value and the gradient may depend on it: sweep again with Vars to
                # keep that. To the outer computation, this call's inputs are numbers.
                for x in inputs:
                    if not x.inputs:
                        x.op = "const"
                adjoint = differentiable_adjoints(y)
                value, grads = y, tuple(adjoint.get(x, 0.0) for x in inputs)
        return value, grads[0] if isinstance(argnums, int) else grads

    return value_and_grad_f


def grad(f, argnums=None):
    """A function returning the gradient of f by reverse mode (see ``value_and_grad``)."""
    value_and_grad_f = value_and_grad(f, argnums)
    return lambda *args: value_and_grad_f(*args)[1]


def jvp(f, primals, tangents):
    """``(f(primals), directional derivative along tangents)`` by one forward-mode sweep."""
    if len(primals) != len(tangents):
        raise ArgumentError(f"jvp needs one tangent per primal: got {len(primals)} primals "
                            f"and {len(tangents)} tangents")
    tag = new_tag()
    y = f(*(Dual(p, t, tag) for p, t in zip(primals, tangents)))
    return primal_of(_one_number(y), tag), tangent_of(y, tag)


def derivative(f):
    """f' for a function f of one variable, by forward mode; ``derivative`` nests."""

    def df(x):
        tag = new_tag()
        return tangent_of(_one_number(f(Dual(x, 1.0, tag))), tag)

    return df


def _variable(a, name):
    """The input Var for argument a. A Var argument (grad of grad) gets a new node that
    depends on it, so this call's adjoints and the outer call's stay apart."""
    return a + 0.0 if isinstance(a, Var) else Var(a, name=name)


def _has_outer_variable(order, inputs):
    """Whether the graph has a variable other than this call's inputs: an outer grad's
    variable, or a Var that f uses from outside."""
    own = set(inputs)
    return any(not v.inputs and not v.is_constant and v not in own for v in order)


def _one_number(y):
    if not isinstance(y, (Dual, int, float)) or isinstance(y, bool):
        raise NotANumberError(f"f must return one number, but returned {y!r}")
    return y


def _positions(argnums, count):
    if argnums is None:
        return tuple(range(count))
    positions = tuple(argnums) if isinstance(argnums, (tuple, list)) else (argnums,)
    for i in positions:
        if not isinstance(i, int) or isinstance(i, bool) or not 0 <= i < count:
            raise ArgumentError(f"argnums {argnums!r} asks for argument {i!r}, but f was "
                                f"called with {count} arguments (argnums is None, an int "
                                "or a tuple of ints counted from 0)")
    return positions


def _parameter_names(f, count):
    """Names for the input Vars: f's own parameter names where it has them, else x1, x2..."""
    try:
        params = [p.name for p in inspect.signature(f).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    return [params[i] if i < len(params) else f"x{i + 1}" for i in range(count)]
