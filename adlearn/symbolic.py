"""The SymPy bridge: a recorded graph as a symbolic expression, and symbolic gradients.

Each node becomes the SymPy form given by its rule in the rule table; inputs become
real symbols named after them (unnamed ones u1, u2, ... where those names are free), and
constants exact numbers where they are whole.
"""

import itertools
from collections import Counter

import sympy as sp

from .engine import Var, topological_order
from .errors import ArgumentError, NotANumberError
from .rules import RULES


def to_sympy(output):
    """The SymPy expression that the graph of output computes."""
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
    for node in nodes:
        if node.op is None:
            continue
        if node.is_constant:
            v = node.value
            exprs[node] = sp.Integer(int(v)) if v.is_integer() else sp.Float(v)
        else:
            exprs[node] = RULES[node.op].sympy(sp, *(exprs[c] for c in node.inputs))
    return exprs[output]


def symbolic_grad(output):
    """The symbolic gradient of output's graph: ``{input name: SymPy derivative}``."""
    expr = to_sympy(output)
    symbols = sorted(expr.free_symbols, key=lambda s: s.name)
    return {s.name: sp.diff(expr, s) for s in symbols}


def expression_size(expr):
    """The number of nodes in a SymPy expression tree: how big a formula has grown."""
    return sum(1 for _ in sp.preorder_traversal(expr))
