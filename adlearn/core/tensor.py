"""Reverse mode on arrays: ``Tensor`` is ``Var`` with a float64 NumPy array for a number.

A Tensor node stores what a Var node stores: its ``value`` (an array), its ``op``, its
``inputs`` and, after ``backward()``, its adjoint ``grad``, an array of the value's
shape (a gradient has the shape of its parameter). The reverse sweep is the scalar
engine's; only the chain rule along an edge changes. It becomes a vector-Jacobian
product (VJP): the adjoint of the input from the adjoint of the node, computed without
ever building the Jacobian matrix.

Operations come in two kinds.

- Elementwise operations (``+ - * / **``, exp, log, tanh, ...) are the scalar rule
  table's: the rule's value and partials formulas are applied to whole arrays, so a
  local partial is an array, and the VJP multiplies entry by entry::

      adjoint(input) += sum_to(adjoint(node) * partial, input.shape)

  ``sum_to`` adds up over the axes that broadcasting stretched the input along.
- Structural operations move or combine entries: matmul, sum, max, reshape,
  transpose, indexing. Each is one entry of the table ``STRUCTURAL`` (structural.py): its value,
  its VJP, its JVP (for forward mode) and its printed forms.

Forward mode rides along: give an input a ``tangent`` (``ad.jvp`` does) and every node
computed from it carries the tangent of its value, by the same partials or JVPs.

The VJPs use only operations that both arrays and Tensors have, so a sweep can run on
Tensors too (``differentiable=True``): its adjoints are then Tensors that can be
differentiated again, which is how ``ad.hessian`` and ``ad.hvp`` work.
"""

import math

import numpy as np

from ..errors import EntryError, NotANumberError, ShapeError
from ..text import shape_words
from .array_checks import (as_array, axis_number, check_broadcast, entry_error,
                           overflow_checked, reduced_axes)
from .engine import Node, topological_order
from .heap import keep_freed_memory
from .rules import RULES, Operand, refused
from .structural import STRUCTURAL, sum_to

keep_freed_memory()  # a training step frees its whole graph at once: see heap.py


class Tensor(Node, Operand):
    """A variable of reverse mode holding an array: ``value``, ``shape``, ``ndim``, and
    after ``backward()`` its adjoint ``grad`` (None until a sweep reaches it).

    ``Tensor([[1, 2], [3, 4]], name="W")`` makes an input (integers and booleans become
    float64). Arithmetic broadcasts as NumPy does; numbers and arrays mixed in become
    constant nodes (op "const"). Structural operations keep their arguments (an axis,
    a shape, an index) in ``params``; elementwise ones their local ``partials``.
    """

    __slots__ = ("value", "grad", "name", "op", "partials", "params", "tangent", "__weakref__")
    __array_ufunc__ = None  # array + Tensor: NumPy hands the operation to Tensor.__radd__

    def __init__(self, value, name=None):
        self.value = as_array(value, f"Tensor {name!r}" if name else "a Tensor")
        self.grad = self.params = self.tangent = None
        self.name, self.op, self.inputs, self.partials = name, None, (), ()

    shape = property(lambda self: self.value.shape, doc="The shape of the value.")
    ndim = property(lambda self: self.value.ndim, doc="The number of axes of the value.")
    size = property(lambda self: self.value.size, doc="The number of entries of the value.")

    @property
    def is_constant(self):
        """True for a number or array that entered the graph as a constant."""
        return self.op == "const"

    reads = 0  # how many times a value has been taken out of a graph, counted by _read

    def _read(self):
        """The value, taken out of the graph: by a comparison (``x > 0`` is an array of
        booleans, not a node, so a choice made by it is not differentiated) or by
        ``stop_gradient``. Counted, because a tape (tape.py) cannot replay a value
        taken out of the graph of the call it recorded."""
        Tensor.reads += 1
        return self.value

    @staticmethod
    def _apply(op, *args):
        """An elementwise operation: the scalar rule's value and partials on whole arrays."""
        inputs, values = _tensors(args)
        try:
            out, partials = _value_and_partials(RULES[op], *values)
        except FloatingPointError:
            raise entry_error(op, inputs) from None
        except ValueError:  # NumPy: operands could not be broadcast together, or else
            check_broadcast(RULES[op], inputs)
            raise
        return _node(op, inputs, out, partials=partials)

    def __pow__(self, other, modulo=None):
        """``x ** 2``: a constant exponent (rule powc); ``x ** y`` with y a Tensor or an
        array of exponents: the rule pow, which needs x > 0."""
        if modulo is not None:
            raise refused(self, "pow(x, n, m)")
        is_number = not isinstance(other, Tensor) and np.ndim(other) == 0
        return self._apply("powc" if is_number else "pow", self, other)

    def __matmul__(self, other): return matmul(self, other)
    def __rmatmul__(self, other): return matmul(other, self)

    def __getitem__(self, index):
        """``x[0]``, ``x[:, 1:]``, ``x[[0, 0, 2]]``: an entry, a slice or a gather; the
        adjoint goes back to the entries picked, repeated ones adding up."""
        if isinstance(index, Operand) or (isinstance(index, tuple)
                                          and any(isinstance(i, Operand) for i in index)):
            raise NotANumberError("index a Tensor with integers, slices or an integer array "
                                  "(an index is not differentiable): use t.value for a Tensor")
        try:
            return _structural("index", (self,), index=index)
        except IndexError as exc:
            raise EntryError(f"cannot index {shape_words(self.shape)} with {index!r}: "
                             f"{exc}") from None

    def __len__(self):
        if self.ndim == 0:
            raise ShapeError("a 0-d Tensor (one number) has no length")
        return len(self.value)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def reshape(self, *shape):
        """The same entries in another shape (``x.reshape(2, 3)`` or ``x.reshape((2, -1))``)."""
        shape = shape[0] if len(shape) == 1 and not isinstance(shape[0], int) else shape
        try:
            return _structural("reshape", (self,), shape=tuple(shape))
        except (ValueError, TypeError) as exc:
            raise ShapeError(f"cannot reshape {shape_words(self.shape)} ({self.size} entries) "
                             f"into shape {tuple(shape)}: {exc}") from None

    def transpose(self, axes=None):
        """The axes in reverse order, or in the order ``axes`` gives."""
        axes = tuple(reversed(range(self.ndim))) if axes is None else tuple(axes)
        if sorted(axis_number(a, self.ndim) for a in axes) != list(range(self.ndim)):
            raise ShapeError(f"axes {axes} are not an order of the {self.ndim} axes of "
                             f"{shape_words(self.shape)}")
        return _structural("transpose", (self,), axes=axes)

    T = property(transpose, doc="The transpose: rows become columns.")

    def sum(self, axis=None, keepdims=False):
        """The sum over ``axis`` (an int, a tuple, or None for all entries)."""
        return _structural("sum", (self,), axis=reduced_axes(axis, self.shape), keepdims=keepdims)

    def mean(self, axis=None, keepdims=False):
        """The mean over ``axis``: the sum divided by the number of entries summed."""
        total = self.sum(axis, keepdims)
        return total / (self.size // max(total.size, 1))

    def max(self, axis=None, keepdims=False):
        """The maximum over ``axis``; its adjoint goes to the maximal entries, split
        equally between entries tied for the maximum."""
        if self.size == 0:
            raise ShapeError("the maximum of an empty Tensor is not defined")
        return _structural("max", (self,), axis=reduced_axes(axis, self.shape), keepdims=keepdims)

    def apply_structural(self, op, **params):
        """This Tensor through the structural operation op (of one input), as a new node:
        how a VJP of the table (``structural.py``) works on Tensors in a differentiable
        sweep."""
        return _structural(op, (self,), **params)

    def backward(self, seed=None):
        """Sweep adjoints from this output back to every node of its graph.

        A one-entry output is seeded with 1; any other needs ``seed``, an array of its
        shape (the vector of the vector-Jacobian product), as in PyTorch. Adjoints add
        into each node's ``grad``; call ``zero_grad()`` to start again. An input's grad
        is an array of its own, which a training step may change in place. An
        operation's grad is its adjoint as the sweep made it, for reading: add hands
        its own adjoint on to its inputs, so two operations may share one array.
        """
        given = set()  # the arrays stored as grads, by id
        with overflow_checked(self):
            for node, adjoint in reverse_sweep(self, seed_for(self, seed)):
                if node.grad is not None:
                    node.grad = node.grad + adjoint
                elif node.first is None:  # an input (or a constant): a grad of its own
                    node.grad = _own(adjoint, given)
                else:  # an operation: its adjoint as it is, perhaps an input's too
                    node.grad = adjoint if type(adjoint) is np.ndarray else np.asarray(adjoint)
                    given.add(id(node.grad))

    def zero_grad(self):
        """Forget the adjoints of every node of this output's graph (grad is None again)."""
        for node in topological_order(self):
            node.grad = None

    def __repr__(self):
        parts = [np.array2string(self.value, separator=", ", threshold=20, prefix="Tensor(")]
        if self.name is not None:
            parts.append(f"name={self.name!r}")
        if self.op is not None:
            parts.append(f"op={self.op!r}")
        return f"Tensor({', '.join(parts)})"


def constant(x):
    """A number or an array mixed into the graph, as a constant node."""
    if isinstance(x, Operand):
        raise NotANumberError(f"cannot mix a Tensor with a {type(x).__name__}: use one mode "
                              "at a time (Var for numbers, Tensor for arrays)")
    if type(x) is float and math.isfinite(x):  # 0.5 * x: no need for as_array's checks
        return _node("const", (), np.array(x))
    return _node("const", (), as_array(x, "a number or array mixed with a Tensor"))


@np.errstate(all="raise", under="ignore")  # as a decorator: cheaper than a with block
def _value_and_partials(rule, *values):
    """The rule's value and local partials on arrays. The inputs are finite, so an inf or
    a nan among the results comes with a floating-point error: FloatingPointError."""
    out = rule.value(*values)
    return out, rule.partials(out, *values)


def _node(op, inputs, value, partials=(), params=None):
    """A new node, with the tangent of its value if an input has one (forward mode)."""
    node = Tensor.__new__(Tensor)  # without __init__: the value is checked already
    node.value = value if type(value) is np.ndarray else np.asarray(value, dtype=np.float64)
    node.grad = node.name = node.tangent = None
    node.op, node.partials, node.params = op, partials, params
    if len(inputs) > 2:
        node.inputs = inputs
    else:  # none (a constant), one or two: straight into the slots, without the setter's tuples
        node.first = inputs[0] if inputs else None
        node.second = inputs[1] if len(inputs) == 2 else None
        node.more = ()
    for x in inputs:
        if x.tangent is not None:
            node.tangent = _tangent(node)
            break
    return node


def _structural(op, inputs, **params):
    """A structural operation on inputs (Tensors, or arrays that become constants)."""
    inputs, values = _tensors(inputs)
    return _node(op, inputs, STRUCTURAL[op].value(*values, **params), params=params)


def _tensors(args):
    """The arguments of an operation as Tensors (arrays and numbers become constants),
    and their values."""
    inputs, values = [], []
    for a in args:
        x = a if isinstance(a, Tensor) else constant(a)
        inputs.append(x)
        values.append(x.value)
    return inputs, values


# --- The reverse sweep ---------------------------------------------------------------


def reverse_sweep(output, seed, differentiable=False, *, order=None, steps=None):
    """Yield each node of output's graph with its adjoint, from the output back to the
    inputs (a node no adjoint reaches is skipped; a constant gets none).

    With ``differentiable=True`` the adjoints are Tensors made by Tensor operations
    (the local partials too are recomputed from the inputs as Tensors), so they can be
    differentiated in turn; the graph's nodes are not changed either way. ``order`` and
    ``steps`` are as for the scalar engine's ``reverse_sweep``: the nodes each after its
    inputs, and a list that gets ``(node, index, share, total)`` per edge, where a share
    is a vector-Jacobian product.
    """
    adjoints = {output: seed}
    summed = set()  # the nodes whose adjoint is a sum this sweep made: no one else holds it
    for node in reversed(topological_order(output) if order is None else order):
        adjoint = adjoints.pop(node, None)
        if adjoint is None:
            continue
        yield node, adjoint
        if node.first is None:  # a leaf has no inputs to pass its adjoint on to
            continue
        for index, child, share in vjps(node, adjoint, differentiable):
            before = adjoints.get(child)
            if before is None:
                adjoints[child] = share  # perhaps held elsewhere: never written into
            elif child in summed and steps is None and type(before) is np.ndarray:
                before += share  # in place: the sweep's own sum (steps would hold it)
            else:
                adjoints[child] = before + share
                summed.add(child)
            if steps is not None:
                steps.append((node, index, share, adjoints[child]))


def vjps(node, adjoint, differentiable=False):
    """(index, input, its share of the adjoint) for each input of node but a constant:
    the chain rule along each edge, as a vector-Jacobian product. (A tape's sweep,
    tape.py, takes the same step with the edges it looked up once.)"""
    inputs = node.inputs
    if node.op not in RULES:  # structural: the table's VJP, input by input
        args = inputs if differentiable else [x.value for x in inputs]
        vjp = STRUCTURAL[node.op].vjp
        for i, x in enumerate(inputs):
            if x.op != "const":
                yield i, x, vjp(adjoint, i, node, *args)
        return
    partials = node.partials  # elementwise: multiply by the local partial, entry by entry
    if differentiable:
        partials = RULES[node.op].partials(node, *[x.value if x.is_constant else x
                                                  for x in inputs])
    for i, (x, p) in enumerate(zip(inputs, partials)):
        if x.op != "const":
            yield i, x, sum_to(_times(adjoint, p), x.value.shape)


def seed_for(output, seed):
    """The adjoint the sweep starts from: 1 for a one-entry output, else seed, which must
    be an array of the output's shape."""
    if seed is None:
        if output.size != 1:
            raise ShapeError(f"backward() of {shape_words(output.shape)} needs a seed of shape "
                             f"{output.shape} (y.backward(seed)): only a one-entry output "
                             "is seeded with 1")
        return np.ones(output.shape)
    seed = as_array(seed, "the seed")
    if seed.shape != output.shape:
        raise ShapeError(f"the seed has shape {seed.shape}, but the output has shape "
                         f"{output.shape}: they must be equal")
    return seed


def gradients(output, inputs, seed=None, differentiable=False):
    """The adjoint of each input after one reverse sweep from output (zeros for an input
    the output does not depend on); grad attributes are left alone."""
    found = {x: None for x in inputs}
    with overflow_checked(output):
        for node, adjoint in reverse_sweep(output, seed_for(output, seed), differentiable):
            if node in found:
                found[node] = adjoint
    return inputs_adjoints(inputs, found)


def inputs_adjoints(inputs, adjoints):
    """Each input's adjoint from {node: adjoint}, as an array of its own (zeros for an
    input no adjoint reached)."""
    given = set()
    return [np.zeros(x.shape) if adjoints.get(x) is None else _own(adjoints[x], given)
            for x in inputs]


def _times(adjoint, partial):
    """adjoint × partial; a partial of 1.0 (add, sub) passes the adjoint on without a copy."""
    return adjoint if type(partial) is float and partial == 1.0 else adjoint * partial


def _own(adjoint, given):
    """An adjoint as an array of its own, writable in place: copied if a VJP returned a
    view of another array (reshape), a NumPy scalar, or an array in ``given`` (handed
    out already: add passes one adjoint to both inputs); a Tensor stays as it is."""
    if type(adjoint) is not np.ndarray or adjoint.base is not None or id(adjoint) in given:
        if isinstance(adjoint, Tensor):
            return adjoint
        adjoint = np.array(adjoint)
    given.add(id(adjoint))
    return adjoint


def _tangent(node):
    """Forward mode: the tangent of node's value from its inputs' tangents (None for an
    input without one), by the same partials, or the structural operation's JVP."""
    tangents = [x.tangent for x in node.inputs]
    if node.op in RULES:
        total = sum(p * t for p, t in zip(node.partials, tangents) if t is not None)
        return np.broadcast_to(total, node.shape)
    return STRUCTURAL[node.op].jvp(node, *tangents)


def matmul(a, b):
    """The matrix product a @ b of vectors, matrices, or batches of matrices (leading axes)."""
    a = a if isinstance(a, Tensor) else constant(a)
    b = b if isinstance(b, Tensor) else constant(b)
    shape_a, shape_b = a.value.shape, b.value.shape
    if not shape_a or not shape_b:  # a 0-d array: one number
        raise ShapeError(f"cannot multiply {shape_words(shape_a)} by {shape_words(shape_b)} with "
                         "@: it needs vectors or matrices (use * to multiply by a number)")
    inner_a, inner_b = shape_a[-1], shape_b[0 if len(shape_b) == 1 else -2]
    if inner_a != inner_b:
        raise ShapeError(
            f"cannot multiply {shape_words(shape_a)} by {shape_words(shape_b)}: the first has "
            f"{inner_a} {'entries' if len(shape_a) == 1 else 'columns'} but the second has "
            f"{inner_b} {'entries' if len(shape_b) == 1 else 'rows'}")
    try:
        return _structural("matmul", (a, b))
    except ValueError:
        raise ShapeError(f"cannot multiply {shape_words(shape_a)} by {shape_words(shape_b)}: "
                         f"their batch shapes {shape_a[:-2]} and {shape_b[:-2]} do not "
                         "broadcast") from None
