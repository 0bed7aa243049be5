"""The chain rule as a sum over paths of the computation graph.

The derivative of an output with respect to an input is a sum over every path from the
input to the output: along each path, multiply the local partial derivatives of its
edges; then add up the paths. ``chain_rule_paths`` lists the paths, their factors and
products, and their sum, which is the gradient that ``backward()`` computes.

The number of paths can grow exponentially (each reuse of a shared subexpression can
double it), so the paths are counted first, by dynamic programming, and listed only up
to a limit. Past it, ``gradient_shares`` tells how much of the gradient each edge carries.

Nodes are named as in the evaluation trace (``v-1, v0, v1, ...``, or ``x1, x2, x3, ...``
in the introductory style; see adlearn.views.recording), so the graph, the trace table
and the drawing agree. Constants, which the trace shows by value, get the ids c1, c2, ....

The same functions take a graph of Tensors (arrays). There an edge's local derivative is
a Jacobian, which is never formed (a 1000×1000 input would give 10^12 entries): an edge
carries only its shape, ``JacobianShape``, the output's shape × the input's shape, and a
path's product is the shape of the product of its Jacobians, multiplied as matrices are,
from the output back. A leaf that is not among ``inputs=`` is a *parameter* (a weight
matrix the function reads from outside its arguments), on Vars and Tensors alike.
"""

import math
from dataclasses import dataclass

from ..core.rules import RULES
from ..errors import ArgumentError, PathLimitError
from ..text import counted, rounded, shape_label
from .notation import definition, partial_symbol
from .recording import is_tensor, recorded
from .sweeps import tangents

PATH_LIMIT = 1000  # the most paths chain_rule_paths lists unless the caller says otherwise
MAX_PATHS = 12  # more paths than this are too many to tell apart: drawings shade, words sum


def has_adjoints(output):
    """Whether a reverse sweep reached output (``backward()`` ran): its adjoint is set."""
    return output.grad is not None if is_tensor(output) else output.grad != 0


def require_adjoints(output):
    """Raise a clear error if adjoints are asked of a graph of Tensors that no reverse
    sweep has reached (a Var's adjoint starts at 0, a Tensor's is None until backward())."""
    if is_tensor(output) and output.grad is None:
        raise ArgumentError("adjoints=True needs the adjoints of a reverse sweep: call "
                            "output.backward() first (an output of more than one entry needs "
                            "a seed of its shape, output.backward(seed))")


@dataclass(frozen=True)
class JacobianShape:
    """The shape of a local Jacobian ∂v/∂u on arrays: v's shape × u's shape, written
    ``(3) × (3×4)`` (``()`` is one number). ``diagonal``: an elementwise operation's,
    whose only non-zero entries lie on the diagonal. Only the shape: the Jacobian itself
    is never formed."""

    rows: tuple
    cols: tuple
    diagonal: bool = False

    def __str__(self):
        shapes = f"{shape_label(self.rows)} × {shape_label(self.cols)}"
        return shapes + (" diagonal" if self.diagonal else "")


def local_jacobian(node, index):
    """The shape of ∂node/∂(its input number index): diagonal for an elementwise operation
    on an input of the node's own shape (more than one entry)."""
    arg = node.inputs[index]
    diagonal = node.op in RULES and arg.shape == node.shape and node.size > 1
    return JacobianShape(node.shape, arg.shape, diagonal)


def factor_name(arrays):
    """What an edge's chain-rule factor is called: its ``partial``, on arrays its ``jacobian``."""
    return "jacobian" if arrays else "partial"


def local_factor(node, index):
    """The chain-rule factor of the edge into node from its input number index: the local
    partial derivative (a number), or on Tensors the local Jacobian's shape."""
    return local_jacobian(node, index) if is_tensor(node) else node.partials[index]


@dataclass(frozen=True)
class Path:
    """One chain-rule path from an input to the output.

    ``nodes`` are node ids from the input to the output; ``factors`` the local partial
    derivative of each edge along it; ``edges`` the edges as ``(source, target, argument
    index)``, which tell apart the two edges of ``x*x``.
    """

    nodes: tuple
    factors: tuple
    edges: tuple
    repeated: frozenset = frozenset()  # (source, target) pairs joined by more than one edge

    @property
    def product(self):
        """The product of the factors: this path's contribution to the gradient."""
        return math.prod(self.factors)

    def formula(self, digits=None):
        """The product written out: ``∂v1/∂v-1 × ∂v4/∂v1 = 0.5 × 1 = 0.5``, the numbers
        rounded to ``digits`` decimals if given (as the trace rounds them).

        When a node uses the same argument twice (``x*x``), the factor says which use:
        ``∂f/∂x1 (argument 2)``.
        """
        if not self.edges:
            return "the output itself: 1"
        symbols = " × ".join(partial_symbol(edge, self.repeated) for edge in self.edges)
        if len(self.factors) == 1:
            return f"{symbols} = {rounded(self.product, digits)}"
        numbers = " × ".join(rounded(f, digits, factor=True) for f in self.factors)
        return f"{symbols} = {numbers} = {rounded(self.product, digits)}"


class ArrayPath(Path):
    """A chain-rule path on Tensors: its factors are local Jacobians' shapes. They multiply
    as matrices do, from the output back (J3 J2 J1), so the formula lists them that way."""

    @property
    def product(self):
        """The shape of the product of the path's Jacobians: the output's × the input's."""
        first, last = self.factors[0], self.factors[-1]
        return JacobianShape(last.rows, first.cols,
                             all(f.diagonal for f in self.factors))

    def formula(self, digits=None):
        """``∂v2/∂v1 · ∂v1/∂v-1: () × (3) · (3) × (3×4) = () × (3×4)``; digits is not
        used (shapes are not rounded), it is there to match ``Path.formula``."""
        if not self.edges:
            return "the output itself: 1"
        symbols = " · ".join(partial_symbol(e, self.repeated) for e in reversed(self.edges))
        if len(self.factors) == 1:
            return f"{symbols}: {self.product}"
        shapes = " · ".join(map(str, reversed(self.factors)))
        return f"{symbols}: {shapes} = {self.product}"


@dataclass(frozen=True)
class ChainRulePaths:
    """Every chain-rule path from ``wrt`` to ``output`` (node ids), and their sum."""

    wrt: str
    output: str
    paths: tuple
    shape: JacobianShape = None  # on arrays: the shape of ∂output/∂wrt

    @property
    def total(self):
        """The sum of the paths' products: the gradient ∂output/∂wrt (on arrays, its
        shape: the paths' products all have that shape)."""
        if self.shape is not None:
            return self.shape
        return math.fsum(path.product for path in self.paths)

    def sum_formula(self, digits=None):
        """The sum written out: ``∂v5/∂v-1 = 0.5 + 5 = 5.5`` (rounded as ``formula``)."""
        derivative = f"∂{self.output}/∂{self.wrt}"
        if not self.paths:
            return f"{derivative} = 0 (no path)"
        if self.shape is not None:
            if len(self.paths) == 1:
                return f"{derivative}: {self.shape}"
            paths = " + ".join(f"path {k}" for k in range(1, len(self.paths) + 1))
            return f"{derivative} = {paths}: {self.shape}"
        if len(self.paths) == 1:
            return f"{derivative} = {rounded(self.total, digits)}"
        products = " + ".join(rounded(p.product, digits, factor=True) for p in self.paths)
        return f"{derivative} = {products} = {rounded(self.total, digits)}"

    def __len__(self):
        return len(self.paths)

    def __iter__(self):
        return iter(self.paths)

    def __getitem__(self, i):
        return self.paths[i]

    def __str__(self):
        lines = [f"Chain-rule paths from {self.wrt} to {self.output}: {counted(len(self), 'path')}"]
        for number, path in enumerate(self.paths, 1):
            lines.append(f"  path {number}: {' → '.join(path.nodes)}")
            lines.append(f"    {path.formula()}")
        lines.append(f"  sum over the paths: {self.sum_formula()}")
        return "\n".join(lines)

    __repr__ = __str__


def definitions(output, inputs=None, style="textbook"):
    """What each name of the graph stands for, as the trace defines it: ``v-1 = x1``,
    ``v1 = ln v-1``, ... (constants appear by value; an input called by its own name needs
    no definition). output may be a Recording."""
    rec = recorded(output, inputs, style)
    defined = ((rec.ids[n], definition(n, rec.ids)) for n in rec.variables)
    return [f"{name} = {rhs}" for name, rhs in defined if rhs not in ("", name)]


def count_paths(output, wrt, inputs=None):
    """The number of chain-rule paths from wrt to output, by dynamic programming.

    Walking the nodes in trace order (each after its arguments), the paths into a node
    are the sum of the paths into each of its arguments (an argument used twice counts
    twice). One pass, nothing listed, so it is fast even when the count has hundreds of
    digits. output may be a Recording.
    """
    rec = recorded(output, inputs)
    node = rec.find(wrt)
    count = {node: 1}
    for user in rec.order:
        if user is not node:
            count[user] = sum(count.get(arg, 0) for arg in user.inputs)
    return count[rec.output]


def chain_rule_paths(output, wrt, limit=PATH_LIMIT, inputs=None, style="textbook"):
    """Every path from wrt (a Var, or an input's name) to output, with factors and products.

    Their sum (``.total``) is the gradient ∂output/∂wrt. If there are more than ``limit``
    paths (None: no limit), this raises ``PathLimitError`` instead of listing them;
    ``gradient_shares`` summarises a graph of any size. output may be a Recording (its
    inputs and style hold).
    """
    rec = recorded(output, inputs, style)
    node, ids, output = rec.find(wrt), rec.ids, rec.output
    count = count_paths(rec, node)
    if limit is not None and count > limit:
        error = PathLimitError(
            f"{counted(count, 'chain-rule path', there=True)} from {ids[node]} to "
            f"{ids[output]}, more than the limit of {limit:,}: pass a larger limit= to list "
            "them all, or use gradient_shares, which gives each edge's share of the gradient "
            "(so does the drawing, which shades the edges by it)")
        error.count, error.limit = count, limit
        raise error
    repeated = frozenset((ids[arg], ids[user]) for user in rec.order for arg in user.inputs
                         if user.inputs.count(arg) > 1)
    kind = ArrayPath if rec.arrays else Path
    paths, stack = [], [(node, (ids[node],), (), ())]
    while stack:  # depth first, a path grows one edge at a time; no recursion
        at, nodes, factors, edges = stack.pop()
        if at is output:
            paths.append(kind(nodes, factors, edges, repeated))
            continue
        for user, index in reversed(rec.users[at]):
            stack.append((user, nodes + (ids[user],), factors + (local_factor(user, index),),
                          edges + ((ids[at], ids[user], index),)))
    shape = JacobianShape(output.shape, node.shape) if rec.arrays else None
    return ChainRulePaths(ids[node], ids[output], tuple(paths), shape)


def gradient_shares(output, wrt, inputs=None, style="textbook"):
    """Each edge's share of the gradient ∂output/∂wrt: ``{(source, target, index): share}``.

    The share of an edge u → v is tangent(u) × partial × adjoint(v): how fast u moves
    with wrt (forward mode), times the local partial, times how fast the output moves
    with v (reverse mode): the tangents and the adjoints are the sweeps' own. It is the
    sum of the products of the paths through that edge, so across a cut that every path
    from wrt to the output crosses exactly once the shares add up to the gradient (a path
    that crosses twice is counted twice). output may be a Recording.
    """
    rec = recorded(output, inputs, style)
    if rec.arrays:
        raise ArgumentError("gradient shares are numbers, one per edge of a graph of Vars; on "
                            "Tensors an edge's share would be an array: use chain_rule_paths")
    tangent, adjoint, ids = tangents(rec, rec.find(wrt)), rec.sweep.adjoint, rec.ids
    return {(ids[a], ids[v], i): tangent.get(a, 0.0) * p * adjoint.get(v, 0.0)
            for v in rec.order for i, (a, p) in enumerate(zip(v.inputs, v.partials))}
