"""The evaluation trace (Wengert list): every variable of a computation, in order.

This module is also the one place that orders and names the nodes of a graph, so the
trace table, the graph, the drawing and the widgets all call a node by the same name.

Order (``trace_order``): the inputs first, then the intermediate variables by
topological generation (the longest distance from the inputs), ties broken by
evaluation order (left to right, arguments depth first). For the textbook example
``ln(x1) + x1*x2 - sin(x2)`` that gives ln, ×, sin (generation 1), then +, then -.

Names (``node_names``), in two styles:

- ``"textbook"`` (Baydin et al., *Automatic differentiation in machine learning: a
  survey*): n inputs are v(1-n) .. v0, so two inputs are v-1, v0; intermediates are
  v1, v2, ...; the trace ends with the row y = (the output's name).
- ``"intro"``: inputs are x1 .. xn, intermediates continue x(n+1), x(n+2), ...; the
  output is called f: for ``x1**2 + 2*x2`` that reads x3 = x1^2, x4 = 2 × x2, f = x3 + x4.

Constants are not numbered: they appear by value in their users' definitions.
"""

from .rules import RULES, number_text

STYLES = ("textbook", "intro")


def trace_order(output, inputs=None):
    """Every node the output depends on, in trace order (see the module docstring).

    ``inputs`` (a sequence of Vars, such as a function's arguments) come first in that
    order, even an input the output does not use; other input Vars the output depends on
    follow in the order they are reached. Then come the constants (op "const"), in the
    order they are reached, then the intermediates. No recursion, so graphs may be deep.
    """
    reached = _evaluation_order(output)
    generation = {}
    for node in reached:  # every node comes after its inputs
        generation[node] = 1 + max((generation[c] for c in node.inputs), default=-1)
    first = list(dict.fromkeys(inputs or ()))
    given = set(first)
    leaves = [n for n in reached if not n.inputs and n not in given]
    position = {node: i for i, node in enumerate(reached)}
    intermediates = sorted((n for n in reached if n.inputs and n not in given),
                           key=lambda n: (generation[n], position[n]))
    return (first + [n for n in leaves if not n.is_constant]
            + [n for n in leaves if n.is_constant] + intermediates)


def _evaluation_order(output):
    """The nodes in the order a left-to-right evaluation first completes them.

    An iterative depth-first search that expands each node's arguments left to right
    and emits a node once all of its arguments have been emitted.
    """
    order, seen, stack = [], set(), [(output, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
        elif node not in seen:
            seen.add(node)
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(node.inputs) if child not in seen)
    return order


def node_names(output, inputs=None, style="textbook"):
    """``{node: name}`` for every non-constant node the output depends on (and ``inputs``).

    ``style`` is ``"textbook"`` (v-1, v0, v1, ...) or ``"intro"`` (x1, x2, x3, ..., with
    the output called f); see the module docstring.
    """
    if style not in STYLES:
        raise ValueError(f"style must be one of {', '.join(map(repr, STYLES))}, not {style!r}")
    given = set(inputs or ())
    nodes = [n for n in trace_order(output, inputs) if not n.is_constant]
    n_inputs = sum(1 for n in nodes if n in given or not n.inputs)  # they come first
    names = {}
    for i, node in enumerate(nodes):
        names[node] = f"v{i + 1 - n_inputs}" if style == "textbook" else f"x{i + 1}"
    if style == "intro" and output.inputs:
        names[output] = "f"
    return names


def definition(node, names, notation="text"):
    """A node's definition in the table's notation: ``ln v-1``, ``v-1 × v0``, ``2 × x2``.

    ``names`` maps nodes to their names (as from ``node_names``, or LaTeX names for
    ``notation="latex"``); constants are shown by value. The operation's form comes from
    the rule table (``RULES[op].text`` or ``.latex``). An input's definition is its own
    name (``x1``), or ``""`` if it has none; a constant's is its value.
    """
    if node.is_constant:
        return number_text(node.value)
    if not node.inputs:
        return node.name or ""
    form = getattr(RULES[node.op], notation)
    return form.format(*(number_text(c.value) if c.is_constant else names[c]
                         for c in node.inputs))
