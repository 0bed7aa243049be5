"""The SymPy bridge: a recorded graph as a symbolic expression, and symbolic gradients.

Each node becomes the SymPy form given by its rule in the rule table; inputs become
real symbols named after them (unnamed ones u1, u2, ... where those names are free), and
constants exact numbers where they are whole.
"""

import contextlib
import itertools
from collections import Counter

import sympy as sp

from ..core.engine import Var, topological_order
from ..errors import ArgumentError, DepthError, NotANumberError
from ..core.rules import RULES


def to_sympy(output):
    """The SymPy expression that the graph of output computes."""
    return _sympy_graph(output)[0]


def symbolic_grad(output):
    """The symbolic gradient of output's graph: ``{input name: SymPy derivative}``, for
    every input of the graph, by name (one that cancels out, as x in x*0 + y, gets 0)."""
    expr, symbols = _sympy_graph(output)
    with _deep_for_sympy():
        return {s.name: sp.diff(expr, s) for s in sorted(symbols, key=lambda s: s.name)}


def _sympy_graph(output):
    """The SymPy expression of output's graph and the symbols of its inputs."""
    if not isinstance(output, Var):
        raise NotANumberError(f"to_sympy needs the Var a computation ends in, "
                              f"not {type(output).__name__}")
    nodes = topological_order(output)
    inputs = [node for node in nodes if node.op is None]
    names = Counter(node.name for node in inputs if node.name is not None)
    twice = sorted(name for name, count in names.items() if count > 1)
    if twice:  # one symbol for two different inputs would make a wrong formula
        raise ArgumentError(f"two different inputs of the graph are both named {twice[0]!r}: "
                            "give each Var a name of its own")
    unnamed = (f"u{i}" for i in itertools.count(1) if f"u{i}" not in names)
    exprs = {node: sp.Symbol(node.name or next(unnamed), real=True) for node in inputs}
    with _deep_for_sympy():
        for node in nodes:
            if node.op is None:
                continue
            if node.is_constant:
                v = node.value
                exprs[node] = sp.Integer(int(v)) if v.is_integer() else sp.Float(v)
            else:
                exprs[node] = RULES[node.op].sympy(sp, *(exprs[c] for c in node.inputs))
    return exprs[output], [exprs[node] for node in inputs]


@contextlib.contextmanager
def _deep_for_sympy():
    """SymPy recurses over an expression's depth: past Python's limit, a clear error."""
    try:
        yield
    except RecursionError:
        raise DepthError("the expression is nested too deeply for SymPy, which recurses "
                         "over it (AD itself has no such limit: use ad.grad)") from None


def expression_size(expr):
    """The number of nodes in a SymPy expression tree: how big a formula has grown."""
    with _deep_for_sympy():
        return sum(1 for _ in sp.preorder_traversal(expr))
