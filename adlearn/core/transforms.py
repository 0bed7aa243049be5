"""Function transforms: turn a function into the function that computes its derivative.

As in JAX, they compose and they are pure: ``grad(f)`` returns a new function and
leaves f alone. ``grad`` and ``value_and_grad`` use reverse mode (one sweep gives every
partial derivative); ``jvp`` and ``derivative`` use forward mode (one sweep per
direction). Each mode nests in itself: ``derivative(derivative(f))`` and
``grad(grad(f, argnums=0), argnums=0)`` are both f'', but one mode cannot differentiate
the other.

Keyword arguments, in every function a transform returns, go to f as they are, not
differentiated (as in JAX): ``ad.grad(loss)(w, data=batch)`` differentiates with respect
to w alone. The arguments to differentiate come by position, so ``ad.grad(f)(x=1.0)``
is refused with a sentence saying how to call it.
"""

import inspect
import numbers
import types

from .engine import Var, differentiable_adjoints, reverse_sweep
from ..errors import ArgumentError, CallError, NotANumberError, ShapeError
from .forward import Dual, new_tag, primal_of, tangent_of
from ..text import shape_words
from .rules import as_real


def value_and_grad(f, argnums=None):
    """A function returning ``(f(*args), gradient)`` by reverse mode.

    ``argnums`` picks the arguments to differentiate: None for all of them (the gradient
    is a tuple), an int for one (the gradient is a float), or a tuple of ints.

    Reverse mode nests: inside another ``grad``, or when f uses a Var from outside, the
    value and the gradient come back as Vars that the outer sweep differentiates again.
    Keyword arguments go to f undifferentiated (as in JAX).
    """

    def value_and_grad_f(*args, **kwargs):
        _by_position("ad.value_and_grad(f)({})", args, kwargs)
        wrt = _positions(argnums, len(args))
        names = _parameter_names(f, len(args))
        if any(_is_array(args[i]) for i in wrt):  # arrays: reverse mode on Tensors
            value, grads = _value_and_grads_of_arrays(f, args, kwargs, wrt, names)
            return value, grads[0] if isinstance(argnums, int) else grads
        xs = [_variable(a, names[i]) if i in wrt else a for i, a in enumerate(args)]
        inputs = [xs[i] for i in wrt]
        y = f(*xs, **kwargs)
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
    """A function returning the gradient of f by reverse mode (see ``value_and_grad``);
    keyword arguments go to f undifferentiated (as in JAX)."""
    value_and_grad_f = value_and_grad(f, argnums)

    def grad_f(*args, **kwargs):
        _by_position("ad.grad(f)({})", args, kwargs)
        return value_and_grad_f(*args, **kwargs)[1]

    return grad_f


def jvp(f, primals, tangents):
    """``(f(primals), directional derivative along tangents)`` by one forward-mode sweep.

    primals and tangents are tuples (or lists), one entry per argument of f, as in JAX.
    """
    for what, given in (("primals", primals), ("tangents", tangents)):
        if not isinstance(given, (tuple, list)):
            raise CallError(f"jvp takes primals and tangents as tuples, one entry per argument "
                            f"of f, as in ad.jvp(f, (2.0, 3.0), (1.0, 0.0)), but {what} is "
                            f"{given!r}" + (": write tuple(...) around it"
                                            if hasattr(given, "__next__") else ""))
    if len(primals) != len(tangents):
        raise ArgumentError(f"jvp needs one tangent per primal: got {len(primals)} primals "
                            f"and {len(tangents)} tangents")
    if any(_is_array(p) for p in primals):  # arrays: forward mode on Tensors
        y, tangent = _forward_on_arrays(f, primals, tangents, {})
        return _plain(y.value), _plain(tangent)
    tag = new_tag()
    y = f(*(Dual(p, t, tag) for p, t in zip(primals, tangents)))
    return primal_of(_one_number(y), tag), tangent_of(y, tag)


def derivative(f):
    """f' for a function f of one variable, by forward mode; ``derivative`` nests.
    Keyword arguments go to f undifferentiated."""

    def df(*args, **kwargs):
        (x,) = _by_position("ad.derivative(f)({})", args, kwargs, ("x",))
        tag = new_tag()
        return tangent_of(_one_number(f(Dual(x, 1.0, tag), **kwargs)), tag)

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


def _by_position(call, args, kwargs, names=None):
    """The arguments to differentiate, which come by position (any number of them, or one
    per name in ``names``); keyword arguments go to f as they are. Any other call gets a
    sentence showing how to call: ``call`` is its form, as in "ad.grad(f)({})"."""
    fits = len(args) == len(names) if names else bool(args)
    if fits:
        return args
    keywords = f" and {', '.join(kwargs)} by keyword" if kwargs else ""
    example = (", ".join(repr(v) for v in kwargs.values())
               if kwargs and len(kwargs) == len(names or kwargs) else ", ".join(names or "x"))
    raise CallError(f"the arguments to differentiate come by position, as in "
                    f"{call.format(example)}, but this call passed {len(args)} by position"
                    f"{keywords} (keyword arguments go to f as they are, undifferentiated, "
                    "as in JAX)")


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
    if type(f) is types.FunctionType and not hasattr(f, "__wrapped__"):
        code = f.__code__  # a plain function's code lists them: much quicker than a signature
        params = code.co_varnames[:code.co_argcount]
    else:
        try:
            params = [p.name for p in inspect.signature(f).parameters.values()
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        except (TypeError, ValueError):
            params = []
    return [params[i] if i < len(params) else f"x{i + 1}" for i in range(count)]


# --- Arrays: the same transforms on Tensors (adlearn.core.tensor, imported when first used) ---
# value_and_grad, grad and jvp above take arrays too: an array argument (a NumPy array or a
# list) sends the call here, its gradient or tangent an array of its shape.


def _leaf(x, name):
    """The input Tensor an array transform makes of an argument. A Tensor given as an
    argument is refused with a sentence: the array transforms do not nest (a Tensor comes
    from an outer one, as in ``ad.grad`` of ``ad.grad``), and ``ad.hessian`` and ``ad.hvp``
    are how the course takes second derivatives of a function of an array."""
    tensor = _tensor()
    if isinstance(x, tensor.Tensor):
        raise CallError(f"{name} is a Tensor, but the transforms of arrays take NumPy arrays "
                        f"(or lists): pass {name}.value. On arrays one transform inside "
                        "another (ad.grad of ad.grad, ad.jacobian of ad.grad) does not nest: "
                        "for second derivatives use ad.hessian(f)(x) or ad.hvp(f)(x, v)")
    return tensor.Tensor(x, name=name)


def jacobian(f, mode="reverse"):
    """A function returning the Jacobian of f at an array x, of shape f(x).shape + x.shape.

    ``mode="reverse"`` runs one reverse sweep (a vector-Jacobian product) per entry of
    f(x), each giving a row; ``mode="forward"`` one forward-mode sweep (a Jacobian-vector
    product) per entry of x, each giving a column. Both give the same matrix. After a
    call, the function's ``sweeps`` says how many sweeps it ran: m outputs against n
    inputs, which is why a gradient (m = 1) is taken in reverse mode.
    """
    if mode not in ("reverse", "forward"):
        raise ArgumentError(f"jacobian's mode is 'reverse' or 'forward', not {mode!r}")

    def jacobian_f(*args, **kwargs):
        (x,) = _by_position("ad.jacobian(f)({})", args, kwargs, ("x",))
        np, tensor = _numpy(), _tensor()
        leaf = _leaf(x, _parameter_names(f, 1)[0])
        x = leaf.value
        if mode == "reverse":
            y = _tensor_output(f(leaf, **kwargs))
            rows = [tensor.gradients(y, [leaf], _basis(y.shape, k))[0] for k in range(y.size)]
            jacobian_f.sweeps = y.size
            return np.array(rows).reshape(y.shape + x.shape)
        columns = [_forward_on_arrays(f, (x,), (_basis(x.shape, j),), kwargs)
                   for j in range(x.size)]
        jacobian_f.sweeps = x.size
        y_shape = (columns[0][0].shape if columns
                   else _tensor_output(f(tensor.Tensor(x), **kwargs)).shape)
        return np.stack([t for _, t in columns], axis=-1).reshape(y_shape + x.shape)

    jacobian_f.sweeps = None
    return jacobian_f


def vjp(f, *primals, **kwargs):
    """``(f(*primals), pullback)`` by reverse mode: ``pullback(ybar)`` is the vector-Jacobian
    product ybarᵀ J, an array of each primal's shape (one array for one primal, else a
    tuple). f runs once; each call of pullback is one reverse sweep over its graph.
    Keyword arguments go to f undifferentiated."""
    tensor = _tensor()
    _by_position("ad.vjp(f, {})", primals, kwargs)
    names = _parameter_names(f, len(primals))
    xs = [_leaf(p, name) for p, name in zip(primals, names)]
    y = _tensor_output(f(*xs, **kwargs))

    def pullback(ybar):
        adjoints = tensor.gradients(y, xs, ybar)
        return adjoints[0] if len(xs) == 1 else tuple(adjoints)

    return _plain(y.value), pullback


def hvp(f):
    """A function returning ``H v``, the Hessian of a scalar f at an array x times v, by
    one sweep of forward mode over reverse mode (see ``hessian``). Keyword arguments go to
    f undifferentiated."""

    def hvp_f(*args, **kwargs):
        x, v = _by_position("ad.hvp(f)({})", args, kwargs, ("x", "v"))
        tensor = _tensor()
        (leaf,), _ = _leaves_with_tangents(f, (x,), (v,))
        y = _tensor_output(f(leaf, **kwargs))
        (gradient,) = tensor.gradients(y, [leaf], differentiable=True)
        tangent = getattr(gradient, "tangent", None)
        return _numpy().zeros(leaf.shape) if tangent is None else _numpy().array(tangent)

    return hvp_f


def hessian(f):
    """A function returning the Hessian of a scalar f at an array x, of shape
    x.shape + x.shape.

    Forward over reverse: column j is ``hvp(f)(x, e_j)``. The gradient is computed by a
    reverse sweep made of Tensor operations, so a forward-mode tangent e_j on x rides
    through it and comes out as the gradient's derivative along e_j. Each column costs
    a few evaluations of f and nothing is swept twice, whereas reverse over reverse would
    record the gradient's own graph and sweep back over it once per row. After a call,
    the function's ``sweeps`` says how many columns it computed (x.size). Keyword
    arguments go to f undifferentiated.
    """
    hvp_f = hvp(f)

    def hessian_f(*args, **kwargs):
        (x,) = _by_position("ad.hessian(f)({})", args, kwargs, ("x",))
        np = _numpy()
        x = _leaf(x, _parameter_names(f, 1)[0]).value
        columns = [hvp_f(x, _basis(x.shape, j), **kwargs) for j in range(x.size)]
        hessian_f.sweeps = x.size
        return np.stack(columns, axis=-1).reshape(x.shape + x.shape)

    hessian_f.sweeps = None
    return hessian_f


def _is_array(x):
    """Whether x is an array (a NumPy array, a list, a Tensor) rather than one number."""
    if isinstance(x, numbers.Real):
        return False
    return isinstance(x, (list, tuple)) or hasattr(x, "shape")


def _numpy():
    import numpy

    return numpy


def _tensor():
    from . import tensor

    return tensor


def _value_and_grads_of_arrays(f, args, kwargs, wrt, names):
    """value_and_grad with Tensors for the arguments; numbers among them get a float back."""
    leaves, y = _recorded(f, args, kwargs, wrt, names)
    return _value_and_grads(y, _tensor().gradients(y, leaves), args, wrt)


def _recorded(f, args, kwargs, wrt, names):
    """f called with an input Tensor for each argument in wrt: those Tensors, and f's
    output, a one-number Tensor."""
    xs = [_leaf(a, names[i]) if i in wrt else a for i, a in enumerate(args)]
    y = _tensor_output(f(*xs, **kwargs))
    if y.size != 1:
        raise ShapeError(f"grad needs f to return one number, but f returned "
                         f"{shape_words(y.shape)}: use ad.jacobian or ad.vjp")
    return [xs[i] for i in wrt], y


def _value_and_grads(y, adjoints, args, wrt):
    """y's value and the gradient from the adjoints of the arguments in wrt: an array for
    an array argument, a float for a number."""
    grads = tuple(g if _is_array(args[i]) else g.item() for i, g in zip(wrt, adjoints))
    return y.value.item(), grads


def _leaves_with_tangents(f, primals, tangents):
    """Input Tensors for primals, each carrying its tangent (forward mode on arrays)."""
    tensor = _tensor()
    names = _parameter_names(f, len(primals))
    leaves = []
    for p, t, name in zip(primals, tangents, names):
        leaf = _leaf(p, name)
        leaf.tangent = tensor.as_array(t, f"the tangent of {name}")
        if leaf.tangent.shape != leaf.shape:
            raise tensor.ShapeError(f"the tangent of {name} has shape {leaf.tangent.shape}, "
                                    f"but {name} has shape {leaf.shape}: they must be equal")
        leaves.append(leaf)
    return leaves, names


def _forward_on_arrays(f, primals, tangents, kwargs):
    """f's output Tensor and its tangent (an array), by one forward-mode sweep; kwargs go
    to f as they are."""
    leaves, _ = _leaves_with_tangents(f, primals, tangents)
    y = _tensor_output(f(*leaves, **kwargs))
    return y, _numpy().zeros(y.shape) if y.tangent is None else _numpy().array(y.tangent)


def _tensor_output(y):
    """f's result as a Tensor (a number or array f returned is a constant)."""
    tensor = _tensor()
    return y if isinstance(y, tensor.Tensor) else tensor.constant(y)


def _basis(shape, k):
    """The array of this shape with a 1 at flat position k and 0 elsewhere."""
    e = _numpy().zeros(shape)
    e.flat[k] = 1.0
    return e


def _plain(array):
    """A 0-d array as a float, any other array as it is."""
    return array.item() if array.ndim == 0 else array
