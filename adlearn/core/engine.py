"""Reverse mode: ``Var`` records the computation graph, ``backward()`` sweeps adjoints.

The forward pass computes each node's value and its local partial derivatives (plain
floats, from the rule table) and stores them on the node. The reverse sweep visits the
nodes from the output back to the inputs and applies the chain rule edge by edge:

    adjoint(input) += adjoint(node) * partial(node, input)

Python's operators on a Var (``x * y``, ``2 ** x``, ...) come from ``rules.Operand``,
which sends each one to ``Var._apply`` with the name of its rule. Nodes hold no
closures, so the graph has no reference cycles and is freed as soon as its output is
dropped. Every walk over the graph is a loop, never a recursion, so a graph may be as
deep as memory allows.
"""

from ..errors import AdlearnError, NotANumberError, OverflowDomainError
from ..text import number_text
from .rules import RULES, Operand, as_real, evaluate


_UNARY = object()  # the default second input of Var._apply: an operation of one input
_INDICES = range(1 << 62)  # an input's index, counted alongside the inputs by zip


class Node:
    """A node of a computation graph: the inputs of the operation that made it.

    The inputs sit in slots, ``first``, ``second`` (None for an operation of one input)
    and ``more`` (any after them, a tuple: only custom rules take three or more), rather
    than in one tuple: a tuple is one more object per node for Python's garbage collector
    to walk, and on a large graph those walks cost more than the arithmetic. ``inputs``
    gives them as a tuple.
    """

    __slots__ = ("first", "second", "more")

    @property
    def inputs(self):
        """The inputs, in order: () for a leaf (an input or a constant)."""
        if self.second is None:
            return () if self.first is None else (self.first,)
        return (self.first, self.second) + self.more

    @inputs.setter
    def inputs(self, inputs):
        inputs = tuple(inputs)
        self.first, self.second = (inputs + (None, None))[:2]
        self.more = inputs[2:]


class Var(Node, Operand):
    """A variable of reverse mode: a value, and after ``backward()`` its adjoint ``grad``.

    ``Var(2.0, name="x1")`` makes an input. Arithmetic on Vars makes new Vars that
    remember their ``op``, their ``inputs`` and the local ``partials`` of the op with
    respect to each input. Python numbers mixed in become constant nodes (op "const").
    ``adjoint`` is the node's adjoint in the latest reverse sweep through it; ``grad``
    adds up the adjoints of every ``backward()`` call.
    """

    __slots__ = ("value", "grad", "adjoint", "name", "op", "partials", "__weakref__")

    def __init__(self, value, name=None):
        if isinstance(value, Operand):
            raise NotANumberError(
                f"a Var holds a real number, not a {type(value).__name__}: reverse mode "
                "(ad.grad) nests in reverse mode and forward mode (ad.derivative) in "
                "forward mode, but one mode cannot differentiate the other"
            )
        self.value = as_real(value, f"the value of Var {name!r}" if name else "a Var's value")
        self.grad = self.adjoint = 0.0
        self.name = name
        self.op = self.first = self.second = None
        self.more = self.partials = ()

    @staticmethod
    def _apply(op, first, second=_UNARY, *more):
        """The forward pass of one operation: a new node with its value and local partials.

        Every operation runs this, so the common cases come first, spelled out: one input
        or two, each a Var.
        """
        node = Var.__new__(Var)  # not Var(...): evaluate() checks the value
        node.grad = node.adjoint = 0.0
        node.name, node.op = None, op
        if second is _UNARY and type(first) is Var:
            node.first, node.second, node.more = first, None, ()
            values = (first.value,)
        elif type(first) is Var and type(second) is Var and not more:
            node.first, node.second, node.more = first, second, ()
            values = (first.value, second.value)
        else:  # a number mixed in (the 2 in 2*x) becomes a constant node; or three inputs
            inputs = [a if isinstance(a, Var) else _constant(a)
                      for a in (first, second, *more) if a is not _UNARY]
            node.inputs, values = inputs, [a.value for a in inputs]
        try:
            node.value, node.partials = evaluate(op, values)
        except AdlearnError as exc:  # say where in the graph it happened
            raise type(exc)(f"{exc}\n  at: {formula(node)}") from None
        return node

    @property
    def is_constant(self):
        """True for a number that entered the graph as a constant (the 2 in ``2*x``)."""
        return self.op == "const"

    def backward(self):
        """Sweep adjoints from this output back to every node of its graph.

        The output's adjoint is 1. Adjoints add into each node's ``grad`` (as in
        PyTorch): a variable used twice gets both contributions, and calling backward
        twice adds up. Call ``zero_grad()`` to start again from zero.
        """
        for node in reverse_sweep(self):
            node.grad += node.adjoint

    def zero_grad(self):
        """Reset the grad of every node in this output's graph to zero."""
        for node in topological_order(self):
            node.grad = 0.0

    def __repr__(self):
        parts = [repr(self.value)]
        if self.name is not None:
            parts.append(f"name={self.name!r}")
        if self.op is not None:
            parts.append(f"op={self.op!r}")
        if self.grad:
            parts.append(f"grad={self.grad!r}")
        return f"Var({', '.join(parts)})"

    def __format__(self, spec):
        return format(self.value, spec) if spec else repr(self)


def _constant(number):
    """A Python number mixed into the graph, as a constant node."""
    if isinstance(number, Operand):
        raise NotANumberError(
            f"cannot mix a Var with a {type(number).__name__}: use one mode at a time"
        )
    constant = Var(as_real(number, "a number mixed with a Var"))
    constant.op = "const"
    return constant


def reverse_sweep(output, seed=1.0, *, order=None, steps=None, differentiable=False):
    """Set the adjoint of every node of output's graph, sweeping from the output back.

    The output's adjoint is the seed, 1 unless a checkpoint sweeps its piece of a larger
    graph; each node passes its adjoint on to its inputs by the chain rule, one edge at a
    time. The sweep writes only ``adjoint``, never ``grad``, so a transform can sweep its
    own graph without touching an outer one's gradients.

    - ``order``: the nodes each after its inputs (``topological_order(output)`` by
      default); the sweep visits them in reverse, so a view sweeps in its own order.
    - ``steps``: a list that gets each edge's step, in the order the sweep runs:
      ``(node, index, share, total)``: node passed ``share`` (its adjoint × the local
      partial) to its input number ``index``, whose adjoint is ``total`` after it.
    - ``differentiable``: each local partial is computed again from the rule table on
      the Vars themselves (``cos(x)`` for ``sin x``), instead of read as the float the
      forward pass stored, so the adjoints are Vars that record how they depend on every
      variable (reverse over reverse; see ``differentiable_adjoints``).

    Returns the nodes in the order swept back (each after its inputs).
    """
    order = topological_order(output) if order is None else order
    for node in order:
        node.adjoint = 0.0
    output.adjoint = seed
    for node in reversed(order):  # each node after every node that uses it
        if node.first is None:  # a leaf has no inputs to pass its adjoint on to
            if not differentiable and node.adjoint - node.adjoint != 0.0 and not node.is_constant:
                # an inf or nan adjoint flows on down to every input below it
                raise OverflowDomainError(
                    f"the adjoint of {formula(node)} is too large for a float (the largest "
                    "float is about 1.8e308): a product of partials along the way overflowed")
            continue
        adjoint, partials = node.adjoint, node.partials
        if differentiable:
            partials = RULES[node.op].partials(
                node, *(c.value if c.is_constant else c for c in node.inputs))
        if hasattr(partials, "swept"):
            # a checkpoint (adlearn.core.checkpointing) stores no partials: it runs its piece
            # again and sweeps that from this adjoint, which gives each input its whole term
            # with the products this sweep would have made, one by one, in this order
            adjoint, partials = 1.0, partials.swept(adjoint)
        # zip stops with the partials, one per input: a unary node's None second is left
        for index, child, partial in zip(_INDICES, (node.first, node.second) + node.more,
                                         partials):
            share = adjoint * partial
            child.adjoint += share
            if steps is not None:
                steps.append((node, index, share, child.adjoint))
    return order


def differentiable_adjoints(output):
    """The adjoint of every node of output's graph as Vars, so they can be differentiated
    again (reverse over reverse): a dict node -> adjoint, from one differentiable
    ``reverse_sweep``. The nodes' own ``adjoint`` is set back to 0 after it: an adjoint
    Var depends on the nodes, and a node holding it would make a reference cycle."""
    order = reverse_sweep(output, differentiable=True)
    adjoint = {node: node.adjoint for node in order}
    for node in order:
        node.adjoint = 0.0
    return adjoint


def tangents(order, seed):
    """Forward mode over a recorded graph: each node's tangent ∂node/∂seed, summed from
    the local partials the forward pass stored (``v̇ = Σ u̇ · ∂v/∂u``). ``order`` has every
    node after its inputs; a node not listed counts as 0."""
    tangent = {}
    for node in order:
        tangent[node] = float(node is seed) if not node.inputs else sum(
            p * tangent.get(c, 0.0) for c, p in zip(node.inputs, node.partials))
    return tangent


def topological_order(output):
    """Every node the output depends on, each after all of its inputs (output last).

    An iterative depth-first search: the stack holds each node being visited with an
    iterator over its inputs; a node is emitted once all of its inputs have been. Inputs
    are visited left to right, so for a tree this is the order Python evaluated it in
    (the trace's numbering relies on that).
    """
    order, seen, stack = [], {output, None}, [(output, iter(output.inputs))]
    while stack:
        node, inputs = stack[-1]
        for child in inputs:
            if child not in seen:  # None, a unary node's second input, is seen from the start
                seen.add(child)
                if child.first is not None:  # visit its inputs first, then come back here
                    stack.append((child, iter((child.first, child.second) + child.more)))
                    break
                order.append(child)  # a leaf (input or constant) has nothing to wait for
        else:  # every input has been emitted
            stack.pop()
            order.append(node)
    return order


def formula(output, limit=60, order=None):
    """A short text formula for an output, used to say where in the graph something failed.

    Sub-formulas longer than ``limit`` characters are cut. ``order``: the graph's nodes,
    each after its inputs, if the caller has sorted them already.
    """
    texts = {}
    for node in topological_order(output) if order is None else order:
        if not node.inputs:
            texts[node] = node.name if node.name is not None else number_text(node.value)
            continue
        text = RULES[node.op].text.format(
            *(texts[c] if not c.inputs else f"({texts[c]})" for c in node.inputs)
        )
        texts[node] = text if len(text) <= limit else text[: limit - 1] + "…"
    return texts[output]
