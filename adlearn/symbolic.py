"""The SymPy bridge: a recorded graph as a symbolic expression, and symbolic gradients.

Each node becomes the SymPy form given by its rule in the rule table; inputs become
real symbols named after them (unnamed ones u1, u2, ...), constants exact numbers where they are whole.
"""

import sympy as sp

from .engine import topological_order
from .rules import RULES


def to_sympy(output):
    """The SymPy expression that the graph of output computes."""
    exprs, unnamed = {}, 0
    for node in topological_order(output):
        if node.op is None:
            if node.name is None:
                unnamed += 1
            exprs[node] = sp.Symbol(node.name or f"u{unnamed}", real=True)
        elif node.is_constant:
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
