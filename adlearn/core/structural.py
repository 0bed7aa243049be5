"""The array engine's structural operations, one row each: an operation that moves or
combines entries (a matrix product, a sum, a maximum, log-softmax, a reshape, a transpose,
indexing, scatter-add, broadcasting), the array twin of the scalar rule table (rules.py).

Each row (``Structural``) holds the operation's value, its VJP (the adjoint of an input,
given the node's), its JVP (the tangent of the output), how the trace and the drawing
print it, and how the trace prints its JVP and VJP. A VJP works on NumPy arrays, and on
Tensors in a differentiable sweep (``Tensor.apply_structural``), so it only uses
operations both have.
"""

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .rules import Operand


@dataclass(frozen=True)
class Structural:
    """An operation that moves or combines entries.

    ``value(*arrays, **params)`` computes it. ``vjp(g, i, node, *inputs)`` is the
    adjoint of input i given the node's adjoint g; inputs are arrays, or Tensors in a
    differentiable sweep, so a VJP only uses operations both have. ``jvp(node,
    *tangents)`` is the tangent of the output (a tangent is None for an input without
    one). A linear operation's JVP is the operation itself applied to the tangent.
    """

    name: str
    value: Callable
    vjp: Callable
    jvp: Callable
    text: str  # how the trace and the drawing print it, over the inputs {0}, {1} and the
    latex: str  # params' texts {axis}, {shape}, {axes}, {index}: "sum({0}{axis})"
    printed: Callable = None  # its JVP and VJP as the trace prints them (None: no short form)


def _linear(value):
    """The JVP of a linear operation of one input: the operation applied to the tangent."""
    return lambda node, tangent: value(tangent, **node.params)


# A row's ``printed(write, node, args, dots, bar)`` gives, per input, (its tangent's term,
# its adjoint) as formulas: ``write(op, *formulas, **params)`` makes one, args are the
# inputs' formulas, dots their tangents' (None for a constant), bar the node's adjoint.


def _printed_linear(undo):
    """A linear operation prints its tangent as itself applied to the input's tangent, and
    its adjoint as ``undo(node)`` = (op, params), the operation that takes it back."""
    def printed(write, node, args, dots, bar):
        if dots[0] is None:
            return [(None, None)]
        op, params = undo(node)
        return [(write(node.op, dots[0], **node.params), write(op, bar, **params))]
    return printed


def _matmul_printed(write, node, args, dots, bar):
    """For v = a @ b, as products of matrices: v̇ = ȧ b + a ḃ, ā = v̄ bᵀ, b̄ = aᵀ v̄."""
    (a, b), (da, db) = args, dots
    return [(None if da is None else write("product", da, b),
             write("product", bar, write("transpose", b, axes=(1, 0)))),
            (None if db is None else write("product", a, db),
             write("product", write("transpose", a, axes=(1, 0)), bar))]


def _inverse(axes):
    """The order of axes that undoes a transpose by axes."""
    return tuple(sorted(range(len(axes)), key=axes.__getitem__))


def sum_to(g, shape):
    """g added up over the axes that broadcasting stretched an array of ``shape`` along
    to reach g's shape: the VJP of broadcasting (works on arrays and Tensors)."""
    if g.shape == shape:
        return g
    summed = g.sum(axis=broadcast_axes(shape, g.shape))
    return summed if summed.shape == shape else summed.reshape(shape)  # size-1 axes back


def broadcast_axes(shape, stretched):
    """The axes of an array of shape ``stretched`` along which broadcasting stretched an
    array of ``shape``: the new leading axes, and those where ``shape`` has size 1."""
    extra = len(stretched) - len(shape)
    if stretched[extra:] == shape:  # only new leading axes: a bias added to every row
        return tuple(range(extra))
    return tuple(range(extra)) + tuple(extra + i for i, n in enumerate(shape)
                                       if n == 1 and stretched[extra + i] != 1)


def summed_back(shape, stretched):
    """How the VJP of broadcasting an array of ``shape`` to ``stretched`` is printed, as
    (op, params): the sum over the broadcast axes (``sum_to``)."""
    return "sum", {"axis": broadcast_axes(shape, stretched), "keepdims": False}


def broadcast_to(x, shape):
    """x repeated along new or size-1 axes to ``shape``, for an array or a Tensor."""
    if isinstance(x, Operand):  # a Tensor, in a differentiable sweep
        return x.apply_structural("broadcast_to", shape=shape)
    out = np.empty(shape)  # an array of its own: np.broadcast_to's read-only view is slower
    out[...] = x
    return out


def scatter_add(g, index, shape):
    """An array of zeros of ``shape`` with g added at ``index`` (repeated entries add up):
    the VJP of indexing, for an array or a Tensor."""
    if isinstance(g, Operand):  # a Tensor, in a differentiable sweep
        return g.apply_structural("scatter_add", index=index, shape=shape)
    out = np.zeros(shape)
    np.add.at(out, index, g)
    return out


def _kept(g, node):
    """A reduction's g with the summed axes back as size 1, to broadcast against the input."""
    axis, shape = node.params["axis"], node.first.shape
    if axis is None:  # every entry was reduced: g is one number, which broadcasts as it is
        return g
    return g.reshape(tuple(1 if i in axis else n for i, n in enumerate(shape)))


def _max_share(node):
    """Each entry's share of the maximum's adjoint: 1 at the maximum, split between ties."""
    x, axis = node.first.value, node.params["axis"]
    is_max = x == _kept(node.value, node)
    return is_max / is_max.sum(axis=axis, keepdims=True)


def _log_softmax(x, axis):
    shifted = x - np.maximum.reduce(x, axis=axis, keepdims=True)
    return shifted - np.log(np.add.reduce(np.exp(shifted), axis=axis, keepdims=True))


def _log_softmax_vjp(g, i, node, x):
    """g - softmax · (sum of g along the axis); softmax = exp(output), as a Tensor in a
    differentiable sweep."""
    probabilities = node.exp() if isinstance(x, Operand) else np.exp(node.value)
    return g - probabilities * g.sum(axis=node.params["axis"], keepdims=True)


def _log_softmax_jvp(node, t):
    return t - (np.exp(node.value) * t).sum(axis=node.params["axis"], keepdims=True)


def _matmul_vjp(g, i, node, a, b):
    """g @ bᵀ for a, aᵀ @ g for b, with a vector seen as a matrix of one row (on the left)
    or one column (on the right); batch axes that broadcast are summed away."""
    if a.ndim == 2 and b.ndim == 2:  # two matrices: BLAS reads the transposed view as it is
        return g @ b.T if i == 0 else a.T @ g
    if a.ndim == 1:
        a, g = a.reshape((1, -1)), g.reshape(g.shape[:-1] + (1,) + g.shape[-1:])
    if b.ndim == 1:
        b, g = b.reshape((-1, 1)), g.reshape(g.shape + (1,))
    if i == 0:
        adjoint = g @ _swap_last(b)
        if node.inputs[0].ndim == 1:  # drop the row axis again
            adjoint = adjoint.reshape(adjoint.shape[:-2] + adjoint.shape[-1:])
    else:
        adjoint = _swap_last(a) @ g
        if node.inputs[1].ndim == 1:  # drop the column axis again
            adjoint = adjoint.reshape(adjoint.shape[:-1])
    return sum_to(adjoint, node.inputs[i].shape)


def _matmul_jvp(node, ta, tb):
    """The product rule: ta @ b + a @ tb."""
    a, b = (x.value for x in node.inputs)
    return sum(t for t in (None if ta is None else ta @ b, None if tb is None else a @ tb)
               if t is not None)


def _swap_last(x):
    """x with its last two axes swapped (a matrix transposed, batch axes kept)."""
    axes = list(range(x.ndim))
    axes[-2:] = axes[-1], axes[-2]
    return x.transpose(axes)


def _sum(x, axis, keepdims):
    return x.sum(axis=axis, keepdims=keepdims)


def _index(x, index):
    return x[index]


STRUCTURAL = {s.name: s for s in (
    Structural("matmul", lambda a, b: a @ b, _matmul_vjp, _matmul_jvp, "{0} @ {1}", "{0} {1}",
               _matmul_printed),
    Structural("sum", _sum,
               lambda g, i, node, x: broadcast_to(_kept(g, node), x.shape),
               _linear(_sum), "sum({0}{axis})", r"\mathrm{{sum}}({0}{axis})",
               _printed_linear(lambda node: ("broadcast_to", {"shape": node.inputs[0].shape}))),
    Structural("max", lambda x, axis, keepdims: x.max(axis=axis, keepdims=keepdims),
               lambda g, i, node, x: _kept(g, node) * _max_share(node),
               lambda node, t: _sum(t * _max_share(node), **node.params),
               "max({0}{axis})", r"\max({0}{axis})"),
    Structural("log_softmax", _log_softmax, _log_softmax_vjp, _log_softmax_jvp,
               "log_softmax({0}{axis})", r"\mathrm{{log\_softmax}}({0}{axis})"),
    Structural("reshape", lambda x, shape: x.reshape(shape),
               lambda g, i, node, x: g.reshape(x.shape),
               _linear(lambda t, shape: t.reshape(shape)),
               "reshape({0}, {shape})", r"\mathrm{{reshape}}({0}, {shape})",
               _printed_linear(lambda node: ("reshape", {"shape": node.inputs[0].shape}))),
    Structural("transpose", lambda x, axes: x.transpose(axes),
               lambda g, i, node, x: g.transpose(_inverse(node.params["axes"])),
               _linear(lambda t, axes: t.transpose(axes)),
               "transpose({0}, {axes})", r"\mathrm{{transpose}}({0}, {axes})",
               _printed_linear(lambda node: ("transpose", {"axes": _inverse(node.params["axes"])}))),
    Structural("index", _index,
               lambda g, i, node, x: scatter_add(g, node.params["index"], x.shape),
               _linear(_index), "{0}[{index}]", "{0}[{index}]",
               _printed_linear(lambda node: ("scatter_add", {"index": node.params["index"],
                                                             "shape": node.inputs[0].shape}))),
    Structural("scatter_add", scatter_add,
               lambda g, i, node, x: g[node.params["index"]],
               _linear(scatter_add), "scatter_add({0}, [{index}], {shape})",
               r"\mathrm{{scatter\_add}}({0}, [{index}], {shape})",
               _printed_linear(lambda node: ("index", {"index": node.params["index"]}))),
    Structural("broadcast_to", np.broadcast_to,
               lambda g, i, node, x: sum_to(g, x.shape),
               _linear(np.broadcast_to), "broadcast_to({0}, {shape})",
               r"\mathrm{{broadcast\_to}}({0}, {shape})",
               _printed_linear(lambda node: summed_back(node.inputs[0].shape, node.shape))),
)}

TRANSPOSED = ("{0}ᵀ", r"{{{0}}}^{{\top}}")  # a transpose that reverses the axes, as written


def form(op, params, notation="text"):
    """How a structural operation with these params is printed, in the ``"text"`` or
    ``"latex"`` notation: a format string over its inputs, ``"sum({0}, axis=0)"``,
    ``"{0} @ {1}"``, ``"{0}ᵀ"`` (a transpose that reverses the axes)."""
    latex = notation == "latex"
    if op == "transpose" and params["axes"] == tuple(reversed(range(len(params["axes"])))):
        return TRANSPOSED[latex]
    template = STRUCTURAL[op].latex if latex else STRUCTURAL[op].text
    for key, value in (params or {}).items():
        template = template.replace("{%s}" % key, _param_text(key, value, params))
    return template.replace("{axis}", "")


def _param_text(key, value, params):
    """A param as the printed form shows it: ", axis=0", (2, 3), 0, :, 1:3."""
    if key == "axis":
        if value is None:
            return ", keepdims=True" if params.get("keepdims") else ""
        shown = value[0] if isinstance(value, tuple) and len(value) == 1 else value
        return f", axis={shown}" + (", keepdims=True" if params.get("keepdims") else "")
    if key == "index":
        return ", ".join(map(_index_text, value if isinstance(value, tuple) else (value,)))
    return str(tuple(value)) if key in ("shape", "axes") else str(value)


SHOWN_INDICES = 6  # a longer integer array in an index is printed by its length only


def _index_text(index):
    """One position of an index as Python writes it: 0, :, 1:3, ::2, [0, 2], ...; an
    integer array of more than SHOWN_INDICES entries as ``<64 indices>``, so a batch's
    labels (cross_entropy) never turn into a label of 64 numbers."""
    if isinstance(index, slice):
        parts = ["" if p is None else str(p) for p in (index.start, index.stop, index.step)]
        return ":".join(parts[:2] if index.step is None else parts)
    if index is Ellipsis:
        return "..."
    if index is None:
        return "None"
    index = np.asarray(index)
    return f"<{index.size:,} indices>" if index.size > SHOWN_INDICES else str(index.tolist())
