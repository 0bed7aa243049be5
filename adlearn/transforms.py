"""Function transforms: turn a function into the function that computes its derivative.

As in JAX, they compose and they are pure: ``grad(f)`` returns a new function and
leaves f alone. ``grad`` and ``value_and_grad`` use reverse mode (one sweep gives every
partial derivative); ``jvp`` and ``derivative`` use forward mode (one sweep per
direction), and forward mode nests, so ``derivative(derivative(f))`` is f''.
"""

import inspect

from .engine import Var
from .errors import ArgumentError, NotANumberError
from .forward import Dual, new_tag, primal_of, tangent_of
from .rules import as_real


def value_and_grad(f, argnums=None):
    """A function returning ``(f(*args), gradient)`` by reverse mode.

    ``argnums`` picks the arguments to differentiate: None for all of them (the gradient
    is a tuple), an int for one (the gradient is a float), or a tuple of ints.
    """

    def value_and_grad_f(*args):
        wrt = _positions(argnums, len(args))
        names = _parameter_names(f, len(args))
        xs = [Var(a, name=names[i]) if i in wrt else a for i, a in enumerate(args)]
        y = f(*xs)
        if isinstance(y, Var):
            y.backward()
            value = y.value
        else:  # f does not depend on its inputs: every partial derivative is 0
            value = as_real(y, "the value returned by f")
        grads = tuple(xs[i].grad for i in wrt)
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
