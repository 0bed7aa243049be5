"""A computation graph in words, for a reader who cannot see the drawing.

``describe(f, wrt="x1")`` says what the picture shows: the inputs and their values, each
operation in evaluation order with its value, the output, the adjoints (after
``backward()``) and, with ``wrt``, each chain-rule path as words and numbers and their
sum, the derivative. A screen reader reads it aloud; the drawings carry it (an SVG's
``<title>`` and ``<desc>``, a PNG's or PDF's metadata, the explorer's picture), and
so do the animations, as their alt text.

Names are the trace's (v-1, v0, v1, ... or x1, x2, ..., f), so the words, the table
and the picture agree.

On a graph of Tensors each value is said with its shape, and its entries when there are
few (``adlearn.text.values_text``); each edge's local derivative is a Jacobian, of which
the words say the shape, and a path's product is the shape of its Jacobians' product.
"""

import html
import itertools

from ..core.engine import formula
from ..text import SHOWN_ENTRIES, counted, number_text, result_text, shape_label, values_text
from .notation import definition, partial_symbol
from .paths import (MAX_PATHS, JacobianShape, chain_rule_paths, count_paths, has_adjoints,
                    require_adjoints)
from .recording import is_tensor, recorded
from .sweeps import tangents


def title(recording):
    """One line: what the recorded graph computes, at which point, and how large it is."""
    rec, ids, output = recording, recording.ids, recording.output
    given = [n for n in rec.order if n.op is None]
    parameters = sum(1 for n in given if rec.kind(n) == "parameter")
    operations = [n for n in rec.order if n.inputs]
    at = ", ".join(f"{n.name or ids[n]}{_at(n)}" for n in given)
    sizes = (f"{counted(len(given) - parameters, 'input')}, "
             + (f"{counted(parameters, 'parameter')}, " if parameters else "")
             + f"{counted(len(operations), 'operation')}, "
             f"{counted(sum(len(n.inputs) for n in operations), 'edge')}")
    return f"Computation graph {'on arrays ' if rec.arrays else ''}of {short_formula(rec)}" \
        + (f" at {at}" if at else "") + f": {sizes}."


def short_formula(recording, limit=60):
    """A short text formula for the recorded output: ``formula`` for Vars; for a Tensor
    output, ``sum((tanh ((W @ x) + b))^2)``, from the trace's definitions. Sub-formulas
    longer than limit characters are cut, and an unnamed array appears by its shape."""
    if not recording.arrays:
        return formula(recording.output, limit, recording.order)
    texts = {}
    for node in recording.order:
        if not node.inputs:
            texts[node] = node.name or f"{shape_label(node.shape)} array"
            continue
        text = definition(node, {c: _argument(texts[c]) for c in node.inputs
                                 if not c.is_constant})
        texts[node] = text if len(text) <= limit else text[: limit - 1] + "…"
    return texts[recording.output]


def _argument(text):
    """A sub-formula as an argument: in parentheses if it has a space outside brackets
    (``W @ x``, ``tanh v1``); a name or a call (``sum(v1, axis=0)``) stays as it is."""
    depth = 0
    for ch in text:
        depth += (ch in "([") - (ch in ")]")
        if ch == " " and depth == 0:
            return f"({text})"
    return text


def _at(node):
    """An input's value in the title: `` = 2``, `` = [1, 2]``, or `` of shape (3×4)``."""
    if not is_tensor(node):
        return f" = {result_text(node.value)}"
    shown = values_text(node.value)
    return f" of shape {shape_label(node.shape)}" if shown is None else f" = {shown}"


def _value(node, value):
    """A value as the words say it after a node's name: `` = 2``; on arrays with its shape
    and its entries if there are few: ``: shape (3), entries [1, 2, 3]``, ``: shape (3×4)``."""
    if not is_tensor(node):
        return f" = {result_text(value)}"
    shown = values_text(value)
    entries = "" if shown is None else \
        f", value {shown}" if value.ndim == 0 else f", entries {shown}"
    return f": shape {shape_label(value.shape)}{entries}"


def _adjoint(node):
    """A node's adjoint in the list of adjoints: ``2``; on arrays its entries, if few."""
    if not is_tensor(node):
        return result_text(node.grad)
    shown = values_text(node.grad)
    return f"{node.grad.size:,} entries, too many to list" if shown is None else shown


def describe(output, wrt=None, *, inputs=None, style="textbook", adjoints=None,
             max_paths=MAX_PATHS):
    """The graph of output in plain words, one sentence or list item a line.

    - ``wrt``: an input (its name or Var), several, or "all": each chain-rule path from
      it, with the partial derivative along each edge, their product, and the sum over
      the paths (the derivative). Past ``max_paths`` paths only their number and sum.
    - ``adjoints``: say each node's adjoint (by default once ``output.backward()`` ran).
    - ``inputs``, ``style``: as for the trace; output may be a Recording (its own hold).
    """
    rec = recorded(output, inputs, style)
    ids, order, output, arrays = rec.ids, rec.order, rec.output, rec.arrays
    lines = [title(rec)]
    if arrays:
        lines.append("Values are arrays: each is given with its shape, and its entries when "
                     f"it has at most {SHOWN_ENTRIES}. An edge's local derivative is a "
                     "Jacobian of shape (its node's shape) × (its input's shape); () is one "
                     "number.")
    leaves = [n for n in order if n.op is None]
    for kind, heading in (("input", "Inputs"),
                          ("parameter", "Parameters (leaves that are not among the inputs)")):
        given = [n for n in leaves if rec.kind(n) == kind]
        if given:
            lines.append(f"{heading}: " + "; ".join(_called(n, ids) + _value(n, n.value)
                                                   for n in given) + ".")
    operations = [n for n in order if n.inputs]
    if operations:
        lines.append("Operations, in evaluation order (each uses values computed before it):")
        lines.extend(f"{ids[n]} = {definition(n, ids)}{_value(n, n.value)}."
                     for n in operations)
    lines.append(f"The output is {ids[output]}{_value(output, output.value)}.")
    if has_adjoints(output) if adjoints is None else adjoints:
        require_adjoints(output)
        shaped = "; each has its node's shape" if arrays else ""
        lines.append(f"Adjoints, from the reverse sweep (how much {ids[output]} changes per "
                     f"unit change of each node{shaped}): " + "; ".join(
                         f"{ids[n]}: {_adjoint(n)}"
                         for n in reversed(order)
                         if not n.is_constant and n.grad is not None) + ".")
    for start in rec.find_inputs(wrt):
        lines.extend(_paths(rec, start, max_paths))
    return "\n".join(lines)


def _called(node, ids):
    """An input as the words name it: its id, and its own name where that differs."""
    return ids[node] if node.name in (None, ids[node]) else f"{ids[node]} ({node.name})"


def _paths(recording, start, max_paths):
    """The chain-rule paths from start to the output, in sentences."""
    ids, output = recording.ids, recording.output
    derivative = f"∂{ids[output]}/∂{ids[start]}"
    count = count_paths(recording, start)
    head = (f"{counted(count, 'path', there=True).capitalize()} from "
            f"{_called(start, ids)} to the output {ids[output]}")
    if recording.arrays:
        return _array_paths(recording, start, max_paths, head, count)
    if count > max_paths:
        total = tangents(recording, start).get(output, 0.0)
        return [f"{head}: too many to list. Their sum is the derivative: {derivative} = "
                f"{result_text(total)}."]
    paths = chain_rule_paths(recording, start, None)
    lines = [f"{head}: multiply the local partial derivatives along it." if count == 1 else
             f"{head}; along each, multiply the local partial derivatives of its edges, "
             "then add up the paths."]
    lines += _path_sentences(paths, "partial", lambda f: f" = {result_text(f)}",
                             lambda p: f"; their product is {result_text(p)}")
    products = " + ".join(number_text(p.product) for p in paths)
    shown = f"{products} = {result_text(paths.total)}" if len(paths) > 1 else \
        result_text(paths.total)
    lines.append(f"The sum over the paths is the derivative: {derivative} = {shown}."
                 if len(paths) > 1 else f"So the derivative is {derivative} = {shown}.")
    return lines


def _array_paths(recording, start, max_paths, head, count):
    """The chain-rule paths on arrays, in sentences: the shapes of the Jacobians along each
    path, multiplied from the output back, and the shape of the derivative."""
    ids, output = recording.ids, recording.output
    derivative = f"∂{ids[output]}/∂{ids[start]}"
    shape = JacobianShape(output.shape, start.shape)
    gradient = (f", the gradient: it has the shape of {ids[start]}, {shape_label(start.shape)}"
                if output.size == 1 else "")
    if count > max_paths:
        return [f"{head}: too many to list. Their sum is the derivative {derivative}, of "
                f"shape {shape}{gradient}."]
    paths = chain_rule_paths(recording, start, None)
    lines = [f"{head}: multiply the local Jacobians along it, as matrices, from the output "
             "back." if count == 1 else
             f"{head}; along each, multiply the local Jacobians of its edges, as matrices, "
             "from the output back, then add up the paths."]
    lines += _path_sentences(paths, "Jacobian", lambda f: f" of shape {f}",
                             lambda p: f"; their product has shape {p}", backwards=True)
    summed = "The sum over the paths is" if len(paths) > 1 else "So"
    lines.append(f"{summed} the derivative {derivative}, of shape {shape}{gradient}.")
    return lines


def _path_sentences(paths, noun, factor, product, backwards=False):
    """A sentence per path: the nodes it goes through, each edge's local factor (a
    partial, or on arrays a Jacobian's shape, listed from the output back as matrices
    multiply) and their product."""
    lines = []
    for number, path in enumerate(paths, 1):
        if not path.edges:
            lines.append(f"Path {number}: the output itself, 1.")
            continue
        edges = list(zip(path.edges, path.factors))
        listed = _listed(partial_symbol(e, path.repeated) + factor(f)
                         for e, f in (reversed(edges) if backwards else edges))
        many = len(edges) > 1
        lines.append(f"Path {number} goes {' to '.join(path.nodes)}; its "
                     f"{f'{noun}s are' if many else f'one {noun} is'} "
                     f"{listed}{product(path.product) if many else ''}.")
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
