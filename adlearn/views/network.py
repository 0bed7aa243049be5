"""The computation graph as a networkx graph, for a learner who wants to query or draw it
with networkx's own tools (and for the drawing's layout).

Nodes are keyed by the trace's names; edges carry the chain rule's local factors, as
``adlearn.views.paths`` reads them.
"""

import networkx as nx

from .paths import factor_name, local_factor
from .recording import recorded


def to_networkx(output, inputs=None, style="textbook"):
    """The graph of output as a networkx ``MultiDiGraph``, keyed by the trace's names.

    Each node carries ``name``, ``op`` (None for an input, "const" for a constant),
    ``value``, ``grad`` (its adjoint, after ``backward()``) and ``kind``. Each edge runs
    from an argument to the node that uses it, keyed by the argument's ``index``, and
    carries the local ``partial`` derivative: ``x*x`` has two edges from x, two paths.
    An edge from a constant carries ``partial=None``: a constant is not a variable, so
    nothing is differentiated by it and no adjoint flows to it (the trace, the paths and
    the drawing all leave its partial out). ``inputs`` and ``style`` are as in
    ``Recording``; a leaf not among ``inputs`` is a parameter (``Recording.kind``). output
    may be a Recording.

    A graph of Tensors has ``arrays=True``; its nodes carry their ``shape`` too, and its
    edges, in place of a partial, the ``jacobian``: a ``JacobianShape`` (None from a
    constant).
    """
    rec = recorded(output, inputs, style)
    ids, arrays = rec.ids, rec.arrays
    graph = nx.MultiDiGraph(output=ids[rec.output], arrays=arrays)
    for node in rec.order:
        graph.add_node(ids[node], name=ids[node], op=node.op, value=node.value,
                       grad=node.grad, kind=rec.kind(node))
        if arrays:
            graph.nodes[ids[node]]["shape"] = node.shape
        for index, arg in enumerate(node.inputs):
            factor = None if arg.is_constant else local_factor(node, index)
            graph.add_edge(ids[arg], ids[node], key=index, index=index,
                           **{factor_name(arrays): factor})
    return graph
