"""A computation graph in words, for a reader who cannot see the drawing.

``describe(f, wrt="x1")`` says what the picture shows: the inputs and their values, each
operation in evaluation order with its value, the output, the adjoints (after
``backward()``) and, with ``wrt``, each chain-rule path as words and numbers and their
sum, the derivative. A screen reader reads it aloud; the drawings carry it (an SVG's
``<title>`` and ``<desc>``, a PNG's or PDF's metadata, the explorer's picture), and
so do the animations, as their alt text.

Names are the trace's (v-1, v0, v1, ... or x1, x2, ..., f), so the words, the table
and the picture agree.
"""

import html
import itertools

from .engine import formula
from .graph import (MAX_PATHS, chain_rule_paths, count_paths, find_inputs, node_ids,
                    partial_symbol)
from .rules import number_text, result_text
from .trace import definition, tangents, trace_order


def title(output, inputs=None, style="textbook"):
    """One line: what the graph computes, at which point, and how large it is."""
    ids = node_ids(output, inputs, style)
    order = trace_order(output, inputs)
    given = [n for n in order if n.op is None]
    operations = [n for n in order if n.inputs]
    at = ", ".join(f"{n.name or ids[n]} = {result_text(n.value)}" for n in given)
    sizes = (f"{_count(len(given), 'input')}, {_count(len(operations), 'operation')}, "
             f"{_count(sum(len(n.inputs) for n in operations), 'edge')}")
    return f"Computation graph of {formula(output)}" + (f" at {at}" if at else "") + \
        f": {sizes}."


def describe(output, wrt=None, *, inputs=None, style="textbook", adjoints=None,
             max_paths=MAX_PATHS):
    """The graph of output in plain words, one sentence or list item a line.

    - ``wrt``: an input (its name or Var), several, or "all": each chain-rule path from
      it, with the partial derivative along each edge, their product, and the sum over
      the paths (the derivative). Past ``max_paths`` paths only their number and sum.
    - ``adjoints``: say each node's adjoint (by default once ``output.backward()`` ran).
    - ``inputs``, ``style``: as for the trace.
    """
    ids = node_ids(output, inputs, style)
    order = trace_order(output, inputs)
    lines = [title(output, inputs, style)]
    given = [n for n in order if n.op is None]
    if given:
        lines.append("Inputs: " + "; ".join(_called(n, ids) + f" = {result_text(n.value)}"
                                            for n in given) + ".")
    operations = [n for n in order if n.inputs]
    if operations:
        lines.append("Operations, in evaluation order (each uses values computed before it):")
        lines.extend(f"{ids[n]} = {definition(n, ids)} = {result_text(n.value)}."
                     for n in operations)
    lines.append(f"The output is {ids[output]} = {result_text(output.value)}.")
    if output.grad != 0 if adjoints is None else adjoints:
        lines.append(f"Adjoints, from the reverse sweep (how much {ids[output]} changes per "
                     "unit change of each node): " + "; ".join(
                         f"{ids[n]}: {result_text(n.grad)}"
                         for n in reversed(order) if not n.is_constant) + ".")
    for start in find_inputs(output, wrt, inputs, style):
        lines.extend(_paths(output, start, ids, inputs, style, order, max_paths))
    return "\n".join(lines)


def _count(k, noun):
    return f"{k:,} {noun}{'' if k == 1 else 's'}"


def _called(node, ids):
    """An input as the words name it: its id, and its own name where that differs."""
    return ids[node] if node.name in (None, ids[node]) else f"{ids[node]} ({node.name})"


def _paths(output, start, ids, inputs, style, order, max_paths):
    """The chain-rule paths from start to the output, in sentences."""
    derivative = f"∂{ids[output]}/∂{ids[start]}"
    count = count_paths(output, start, inputs)
    head = (f"There {'is' if count == 1 else 'are'} {_count(count, 'path')} from "
            f"{_called(start, ids)} to the output {ids[output]}")
    if count > max_paths:
        total = tangents(order, start).get(output, 0.0)
        return [f"{head}: too many to list. Their sum is the derivative: {derivative} = "
                f"{result_text(total)}."]
    paths = chain_rule_paths(output, start, None, inputs, style)
    lines = [f"{head}: multiply the local partial derivatives along it." if count == 1 else
             f"{head}; along each, multiply the local partial derivatives of its edges, "
             "then add up the paths."]
    for number, path in enumerate(paths, 1):
        if not path.edges:
            lines.append(f"Path {number}: the output itself, 1.")
            continue
        partials = _listed(f"{partial_symbol(e, path.repeated)} = {result_text(f)}"
                           for e, f in zip(path.edges, path.factors))
        product = f"; their product is {result_text(path.product)}" if len(path.edges) > 1 \
            else ""
        lines.append(f"Path {number} goes {' to '.join(path.nodes)}; its "
                     f"{'partials are' if len(path.edges) > 1 else 'one partial is'} "
                     f"{partials}{product}.")
    products = " + ".join(number_text(p.product) for p in paths)
    shown = f"{products} = {result_text(paths.total)}" if len(paths) > 1 else \
        result_text(paths.total)
    lines.append(f"The sum over the paths is the derivative: {derivative} = {shown}."
                 if len(paths) > 1 else f"So the derivative is {derivative} = {shown}.")
    return lines


def _listed(items):
    """a, b and c."""
    items = list(items)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


# ----------------------------------------------------------- the words in the pictures

_ids = itertools.count(1)


def svg_with_text(svg, title, description):
    """An SVG document whose root is an image with a ``<title>`` (its name) and a
    ``<desc>`` (its description), which screen readers read."""
    start = svg.index("<svg")
    end = svg.index(">", start)
    key = f"adlearn-{next(_ids)}"
    tag = svg[start:end]
    empty = tag.endswith("/")  # <svg .../> has no children yet
    opened = (f'{tag.rstrip("/")} role="img" aria-labelledby="{key}-title" '
              f'aria-describedby="{key}-desc">'
              f'<title id="{key}-title">{html.escape(title)}</title>'
              f'<desc id="{key}-desc">{html.escape(description)}</desc>')
    return svg[:start] + opened + ("</svg>" if empty else "") + svg[end + 1:]


def save(figure, path, title, description, **savefig):
    """Save a figure as .svg (with ``<title>`` and ``<desc>``), .png or .pdf (the words in
    the file's metadata), so the picture carries its description."""
    suffix = str(path).rsplit(".", 1)[-1].lower()
    if suffix == "svg":
        import io

        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Title": title}, **savefig)
        with open(path, "w", encoding="utf-8") as file:
            file.write(svg_with_text(buffer.getvalue(), title, description))
        return
    metadata = {"png": {"Title": title, "Description": description},
                "pdf": {"Title": title, "Subject": description}}.get(suffix, {})
    figure.savefig(path, metadata=metadata, **savefig)
