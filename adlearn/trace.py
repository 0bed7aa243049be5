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

The trace itself (``trace``) runs a function once on ``Var`` inputs and lists every
variable with its three traces, as the textbook's tables do: the forward primal trace
(values), the forward tangent trace (forward mode, seeded on one input: v̇ = ∂v/∂x) and
the reverse adjoint trace (reverse mode, seeded on the output: v̄ = ∂y/∂v).
"""

import html
import inspect
import re
import unicodedata
from dataclasses import dataclass

from .engine import Var, _constant
from .errors import ArgumentError, UnknownInputError
from .parse import parse
from .rules import RULES, as_real, number_text

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
    _check_style(style)
    given = set(inputs or ())
    nodes = [n for n in trace_order(output, inputs) if not n.is_constant]
    n_inputs = sum(1 for n in nodes if n in given or not n.inputs)  # they come first
    names = {}
    for i, node in enumerate(nodes):
        names[node] = f"v{i + 1 - n_inputs}" if style == "textbook" else f"x{i + 1}"
    if style == "intro" and output.inputs:
        names[output] = "f"
    return names


def _check_style(style):
    if style not in STYLES:
        raise ArgumentError(f"style must be one of {', '.join(map(repr, STYLES))}, not {style!r}")


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


@dataclass(frozen=True)
class Row:
    """One variable of the trace, as plain data.

    ``definition`` is the right-hand side in the table's notation (``ln v-1``; ``""``
    when there is nothing to add, as for ``x1 = x1``). ``tangent_definition`` and
    ``adjoint_definition`` give the chain rule that computes the tangent and the adjoint
    from the graph's edges: ``v̇2 = ∂v2/∂v-1 v̇-1 + ∂v2/∂v0 v̇0`` and
    ``v̄-1 = v̄1 ∂v1/∂v-1 + v̄2 ∂v2/∂v-1``.
    """

    name: str
    definition: str
    primal: float
    tangent: float
    adjoint: float
    tangent_definition: str
    adjoint_definition: str


class Trace:
    """The evaluation trace of a function at a point: ``rows``, one per variable.

    ``str(trace)`` is an aligned text table, ``trace._repr_html_()`` an HTML table (shown
    by Jupyter), ``trace.to_latex()`` a LaTeX tabular. ``trace["v1"]`` is the row named v1.
    Numbers are shown rounded to ``digits`` decimals, as the textbook prints them.
    """

    def __init__(self, rows, cells, title, seed, output_name, digits):
        self.rows, self._cells, self.title = tuple(rows), cells, title
        self.seed, self.output_name, self.digits = seed, output_name, digits

    def __getitem__(self, name):
        for row in self.rows:
            if row.name == name:
                return row
        raise KeyError(f"the trace has no row {name!r}; its rows are "
                       f"{', '.join(r.name for r in self.rows)}")

    def _values(self, row):
        return [_number(x, self.digits) for x in (row.primal, row.tangent, row.adjoint)]

    def __str__(self):
        """Three aligned sections; the adjoint trace runs from the output back."""
        text = _TEXT
        sections = [
            ("Forward primal trace", [(c[0], c[1], v[0]) for c, v in self._pairs(text)]),
            (f"Forward tangent trace (seeded on {self.seed}: "
             f"{text.name(self.seed, 'dot')} = 1)",
             [(c[2], c[3], v[1]) for c, v in self._pairs(text)]),
            (f"Reverse adjoint trace (seeded on the output: "
             f"{text.name(self.output_name, 'bar')} = 1), from the output back",
             [(c[4], c[5], v[2]) for c, v in reversed(self._pairs(text))]),
        ]
        lines = [self.title]
        for heading, entries in sections:
            lhs_width = max(_width(lhs) for lhs, _, _ in entries)
            rhs_width = max(_width(rhs) for _, rhs, _ in entries)
            lines += ["", heading]
            for lhs, rhs, value in entries:
                middle = f" = {_pad(rhs, rhs_width)}" if rhs else " " * (rhs_width + 3)
                lines.append(f"  {_pad(lhs, lhs_width)}{middle} = {value}")
        return "\n".join(lines)

    def _pairs(self, notation):
        return list(zip(self._cells[notation.key], (self._values(r) for r in self.rows)))

    def _repr_html_(self):
        """An HTML table: the primal, tangent and adjoint traces side by side."""
        notation = _HTML

        def cell(lhs, rhs):
            return f"<td style='text-align:left'>{lhs} = {rhs}</td>" if rhs else \
                f"<td style='text-align:left'>{lhs}</td>"

        head = "".join(
            f"<th colspan='2' style='text-align:center'>{h}</th>" for h in (
                "Forward primal trace",
                f"Forward tangent trace<br>(seed {notation.name(self.seed, 'dot')} = 1)",
                f"Reverse adjoint trace<br>(seed {notation.name(self.output_name, 'bar')} = 1,"
                " computed from the bottom up)"))
        body = []
        for c, values in self._pairs(notation):
            tds = [cell(c[0], c[1]), _html_number(values[0]), cell(c[2], c[3]),
                   _html_number(values[1]), cell(c[4], c[5]), _html_number(values[2])]
            body.append(f"<tr>{''.join(tds)}</tr>")
        return (f"<table class='adlearn-trace'><caption>{html.escape(self.title)}</caption>"
                f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")

    def to_latex(self):
        """A LaTeX tabular of the three traces side by side (no extra packages needed)."""
        rows = []
        for c, values in self._pairs(_LATEX):
            cells = []
            for (lhs, rhs), value in zip((c[0:2], c[2:4], c[4:6]), values):
                cells += [f"${lhs} = {rhs}$" if rhs else f"${lhs}$", f"${value}$"]
            rows.append(" & ".join(cells) + r" \\")
        seed, out = _LATEX.name(self.seed, "dot"), _LATEX.name(self.output_name, "bar")
        return "\n".join([
            r"\begin{tabular}{lrlrlr}", r"\hline",
            r"\multicolumn{2}{c}{Forward primal trace} & "
            rf"\multicolumn{{2}}{{c}}{{Forward tangent trace (${seed} = 1$)}} & "
            rf"\multicolumn{{2}}{{c}}{{Reverse adjoint trace (${out} = 1$)}} \\",
            r"\hline", *rows, r"\hline", r"\end{tabular}"])

    def __repr__(self):
        return f"<Trace: {self.title}, {len(self.rows)} rows>"


def trace(f, /, *args, seed=None, style="textbook", digits=3, **values):
    """The evaluation trace of f at a point: ``ad.trace(f, x1=2.0, x2=5.0)``.

    f is a Python function or an expression text (parsed safely, never eval'ed). The
    values name f's parameters (or come by position, in f's order). ``seed`` names the
    input whose tangent is 1 in the forward tangent trace (the first by default);
    ``style`` is ``"textbook"`` (v-1, v0, v1, ...) or ``"intro"`` (x1, x2, x3, ...).
    """
    _check_style(style)
    if isinstance(f, str):
        f = parse(f)
    point = _point(f, args, values)
    inputs = [Var(value, name=name) for name, value in point.items()]
    if seed is None and not inputs:
        seed_var = None
    else:
        seed = inputs[0].name if seed is None else seed
        if seed not in point:
            raise UnknownInputError(f"seed {seed!r} is not an input of f; "
                                    f"its inputs are {', '.join(point) or 'none'}")
        seed_var = inputs[list(point).index(seed)]
    output = f(*inputs)
    if not isinstance(output, Var):  # f does not depend on its inputs: a constant
        output = _constant(as_real(output, "the value returned by f"))
    output.backward()
    nodes = [n for n in trace_order(output, inputs) if not n.is_constant]
    names = node_names(output, inputs, style)
    tangent = {}
    for node in nodes:  # forward mode over the recorded local partials
        tangent[node] = float(node is seed_var) if not node.inputs else sum(
            p * tangent.get(c, 0.0) for c, p in zip(node.inputs, node.partials))
    output_row = style == "textbook" or not output.inputs
    output_name = ("y" if style == "textbook" else "f") if output_row else names[output]
    rows = [Row(names[n], "", n.value, tangent[n], n.grad, "", "") for n in nodes]
    if output_row:
        rows.append(Row(output_name, "", output.value, tangent.get(output, 0.0), 1.0, "", ""))
    cells = {notation.key: _cells(nodes, names, output, output_row and output_name, notation)
             for notation in (_TEXT, _HTML, _LATEX)}
    rows = [Row(r.name, c[1], r.primal, r.tangent, r.adjoint, c[3], c[5])
            for r, c in zip(rows, cells["text"])]
    at = ", ".join(f"{name} = {number_text(value)}" for name, value in point.items())
    what = f.text if hasattr(f, "text") else getattr(f, "__name__", "<lambda>")
    what = "f" if what == "<lambda>" else what
    title = f"Evaluation trace of {what}" + (f" at {at}" if at else "")
    return Trace(rows, cells, title, seed or output_name, output_name, digits)


def _point(f, args, values):
    """{parameter name: value} for f's parameters, in f's order, from args and values."""
    try:
        parameters = inspect.signature(f).parameters.values()
    except (TypeError, ValueError):
        raise ArgumentError(f"trace needs a Python function or an expression text, "
                            f"not {f!r}") from None
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    params = [p for p in parameters if p.kind in kinds]
    names = [p.name for p in params]
    if len(args) > len(params):
        raise ArgumentError(f"f takes {len(params)} inputs ({', '.join(names) or 'none'}), "
                            f"but got {len(args)} values")
    given = dict(zip(names, args))
    for name, value in values.items():
        if name not in names:
            raise UnknownInputError(f"f has no input {name!r}; its inputs are "
                                    f"{', '.join(names) or 'none'}")
        if name in given:
            raise ArgumentError(f"{name} got two values, by position and by name")
        given[name] = value
    for p in params:
        if p.name not in given and p.default is inspect.Parameter.empty:
            raise ArgumentError(f"no value for {p.name}: pass {p.name}=... "
                                f"(f's inputs are {', '.join(names)})")
    return {name: given[name] for name in names if name in given}


def _cells(nodes, names, output, output_row_name, notation):
    """Per row, in one notation: (name, definition, v̇ name, its definition, v̄ name, its definition).

    The definitions of tangents and adjoints come from the graph's edges: a tangent sums
    over the node's arguments (∂v/∂u u̇), an adjoint over the node's users (w̄ ∂w/∂v).
    """
    shown = {n: notation.name(names[n]) for n in nodes}
    users = {n: [] for n in nodes}
    for node in nodes:
        for arg in node.inputs:
            if not arg.is_constant:
                users[arg].append(node)
    if output_row_name:
        users[output] = [None] if output in users else []
    cells = []

    def partial(w, v):
        return notation.partial.format(shown[w], shown[v])

    for node in nodes:
        lhs = shown[node]
        if node.inputs:
            rhs = definition(node, shown, notation.rule_form)
            dot = " + ".join(f"{partial(node, a)} {notation.name(names[a], 'dot')}"
                             for a in node.inputs if not a.is_constant)
        else:
            rhs = notation.name(node.name) if node.name else ""
            dot = notation.name(node.name, "dot") if node.name else ""
        bar = " + ".join(notation.name(output_row_name, "bar") if w is None else
                         f"{notation.name(names[w], 'bar')} {partial(w, node)}"
                         for w in users[node])
        cells.append(_without_repeats(lhs, rhs, notation.name(names[node], "dot"), dot,
                                      notation.name(names[node], "bar"), bar))
    if output_row_name:
        if output.is_constant:
            rhs, dot = number_text(output.value), "0"
        else:
            rhs, dot = shown[output], notation.name(names[output], "dot")
        cells.append(_without_repeats(notation.name(output_row_name), rhs,
                                      notation.name(output_row_name, "dot"), dot,
                                      notation.name(output_row_name, "bar"), ""))
    return cells


def _without_repeats(*pairs):
    """(lhs, rhs, ...) with each rhs that only repeats its lhs (x1 = x1) made empty."""
    out = list(pairs)
    for i in range(0, len(out), 2):
        if out[i + 1] == out[i]:
            out[i + 1] = ""
    return tuple(out)


def _split(name):
    """A name's letters and its subscript: "v-1" -> ("v", "-1"), "x1" -> ("x", "1")."""
    base, subscript = re.fullmatch(r"(.*?)_?(-?\d*)", name).groups()
    return (base, subscript) if base else (name, "")


class _Notation:
    """How names, marks (dot, bar) and partial derivatives are written in one format."""

    def __init__(self, key, rule_form, partial, marks, name):
        self.key, self.rule_form, self.partial = key, rule_form, partial
        self._marks, self._name = marks, name

    def name(self, name, mark=""):
        base, subscript = _split(name)
        return self._name(self._marks.get(mark, "{}"), base, subscript)


_TEXT = _Notation("text", "text", "∂{0}/∂{1}", {"dot": "{}\u0307", "bar": "{}\u0304"},
                  lambda mark, base, sub: mark.format(base) + sub)
_HTML = _Notation("html", "text", "∂{0}/∂{1}", _TEXT._marks,
                  lambda mark, base, sub: mark.format(html.escape(base))
                  + (f"<sub>{html.escape(sub)}</sub>" if sub else ""))
_LATEX = _Notation("latex", "latex", r"\frac{{\partial {0}}}{{\partial {1}}}",
                   {"dot": r"\dot{{{}}}", "bar": r"\bar{{{}}}"},
                   lambda mark, base, sub: mark.format(
                       base if len(base) == 1 else r"\mathrm{" + base.replace("_", r"\_") + "}")
                   + (f"_{{{sub}}}" if sub else ""))


def _number(x, digits):
    """x rounded as the textbook prints it: 0.693, 10, -0.959 (tiny or huge: 3 significant)."""
    if x != 0 and not 10 ** -digits / 2 <= abs(x) < 1e9:
        return f"{x:.{digits}g}"
    text = f"{x:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _html_number(text):
    return f"<td style='text-align:right;font-family:monospace'>{html.escape(text)}</td>"


def _width(text):
    """The width of text on screen: combining marks (the dot of v̇) take no room."""
    return sum(1 for ch in text if not unicodedata.combining(ch))


def _pad(text, width):
    return text + " " * (width - _width(text))
