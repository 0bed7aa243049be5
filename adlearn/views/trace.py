"""The evaluation trace (Wengert list): every variable of a computation, in order.

Its rows are a Recording's variables, in its order and under its names (see
``recording.py``); its adjoint column is the engine's own sweep, step by step.

The trace itself (``trace``) runs a function once on ``Var`` inputs and lists every
variable with its three traces, as the textbook's tables do: the forward primal trace
(values), the forward tangent trace (forward mode, seeded on one input: v̇ = ∂v/∂x) and
the reverse adjoint trace (reverse mode, seeded on the output: v̄ = ∂y/∂v). The adjoint
trace is written as the textbook writes it, one step per edge of the reverse sweep in
the order the sweep runs (``Trace.adjoint_steps``): a variable used twice gets its
adjoint in two steps, v̄-1 = v̄2 ∂v2/∂v-1, then v̄-1 = v̄-1 + v̄1 ∂v1/∂v-1. Printed, it
is a table of its own with the seed at the bottom, as the survey prints it: read upwards.

On arrays (the inputs are Tensors, or lists and NumPy arrays that become Tensors) the
trace is the same table. A value is shown by its entries when it has at most
``SHOWN_ENTRIES`` (6), else by its shape alone, so a large array is never formatted. The
local partials of the rule table hold entry by entry; an adjoint v̄ ∂v/∂u is a
vector-Jacobian product, written out as a textbook writes it (for v = W x: W̄ = v̄ xᵀ,
x̄ = Wᵀ v̄), and the tangent trace is seeded on one entry of an input (Ẇ[0, 1] = 1).
"""

import html
import re
import unicodedata
from dataclasses import dataclass

from ..core.parse import Expression
from ..text import SHOWN_ENTRIES, textbook_number
from .notation import (HTML, LATEX, TEXT, Formula, constant_formula, constant_text,
                       definition, edge_products, render, sum_text)
from .recording import Recording, function_at, seed_entry
from .sweeps import tangents, zero_of


@dataclass(frozen=True)
class Row:
    """One variable of the trace, as plain data.

    ``definition`` is the right-hand side in the table's notation (``ln v-1``; for an
    input its own name, ``x1``). The tangent and the adjoint each come with the chain rule
    that computes them over the graph's edges, first with the local partial derivatives
    named, then written out from the rule table:

    - ``tangent_chain_rule``: ``v̇-1 ∂v2/∂v-1 + v̇0 ∂v2/∂v0`` (over the node's arguments),
      ``tangent_definition``: ``v̇-1 × v0 + v̇0 × v-1``;
    - ``adjoint_chain_rule``: ``v̄1 ∂v1/∂v-1 + v̄2 ∂v2/∂v-1`` (over the node's users),
      ``adjoint_definition``: ``v̄1 / v-1 + v̄2 × v0``.

    An input's tangent is its own, seeded: v̇-1 = ẋ1 (1 for the seed, else 0). The
    output's adjoint is the seed ȳ = 1, so the last row's adjoint parts are ``""``. A
    written-out part with no short form (relu's partial on an array) is ``""`` too. In a
    trace of arrays, primal, tangent and adjoint are NumPy arrays of the variable's shape.
    """

    name: str
    definition: str
    primal: float
    tangent: float
    adjoint: float
    tangent_chain_rule: str
    tangent_definition: str
    adjoint_chain_rule: str
    adjoint_definition: str


@dataclass(frozen=True)
class AdjointStep:
    """One step of the reverse adjoint trace, as plain data.

    The reverse sweep visits the variables from the output back (v5, v4, ..., v1); each
    passes its adjoint to each of its arguments in turn (constants take no part), one
    step per edge. ``name`` is the variable whose adjoint the step sets, ``adjoint`` its
    value after the step; ``chain_rule`` is the step's right-hand side with the local
    partial named, ``definition`` the same written out from the rule table:

    - the first contribution sets the adjoint: ``v̄-1 = v̄2 ∂v2/∂v-1 = v̄2 × v0``;
    - a later one adds to it: ``v̄-1 = v̄-1 + v̄1 ∂v1/∂v-1 = v̄-1 + v̄1 / v-1``.

    The first step is the seed (v̄5 = ȳ = 1, or f̄ = 1 when the output is called f); when
    an input has a name of its own that is not its trace name, the last steps read its
    adjoint off: x̄1 = v̄-1.
    """

    name: str
    chain_rule: str
    definition: str
    adjoint: float


_ALIGN_WITHIN = 60  # text columns: a longer right-hand side is not padded to, it runs on


class Trace:
    """The evaluation trace of a function at a point: ``rows``, one per variable, and
    ``adjoint_steps``, the reverse adjoint trace one edge of the sweep at a time.

    ``str(trace)`` is an aligned text table, ``trace._repr_html_()`` an HTML table (shown
    by Jupyter), ``trace.to_latex()`` a LaTeX tabular. ``trace["v1"]`` is the row named v1.
    Numbers are shown rounded to ``digits`` decimals, as the textbook prints them.
    """

    def __init__(self, steps, sweep, names, values, title, seed, output_name, digits,
                 arrays=False):
        self._steps, self._sweep, self._names, self._written = steps, sweep, names, {}
        self.title, self.seed, self.output_name, self.digits = title, seed, output_name, digits
        self.arrays = arrays  # a trace of Tensors: its notes say how to read the products
        rows, sweep_cells = self._cells(TEXT)
        self.rows = tuple(
            Row(name, definition_, *numbers, *tangent_parts, *adjoint_parts)
            for ((name, [definition_]), (_, tangent_parts), (_, adjoint_parts)), numbers
            in zip(rows, values))
        self.adjoint_steps = tuple(
            AdjointStep(name, *parts, value)
            for (_, parts), (name, _, value) in zip(sweep_cells, sweep))

    def _cells(self, notation):
        """The rows and the sweep's steps written in a notation (when first asked for)."""
        if notation.key not in self._written:
            shown = {node: notation.name(name) for node, name in self._names.items()}
            self._written[notation.key] = (
                [_cells(step, notation, shown) for step in self._steps],
                [(notation.name(name, "bar"), _chain(terms, notation, shown))
                 for name, terms, _ in self._sweep])
        return self._written[notation.key]

    def __getitem__(self, name):
        for row in self.rows:
            if row.name == name:
                return row
        raise KeyError(f"the trace has no row {name!r}; its rows are "
                       f"{', '.join(r.name for r in self.rows)}")

    def _entries(self, notation, column):
        """(left-hand side, right-hand sides, value text) of one trace, line by line: the
        primal and tangent traces one line per variable, the adjoint trace one per step,
        printed last step first (see ``_lines``)."""
        rows, sweep = self._cells(notation)
        form = notation.rule_form
        if column == 2:
            return [(*_shown(*cells), textbook_number(step.adjoint, self.digits, form))
                    for cells, step in zip(sweep, self.adjoint_steps)][::-1]
        attribute = ("primal", "tangent")[column]
        return [(*_shown(*cells[column]),
                 textbook_number(getattr(row, attribute), self.digits, form))
                for cells, row in zip(rows, self.rows)]

    def _headings(self, notation):
        name, entry = re.fullmatch(r"(.*?)(\[.*\])?", self.seed).groups()  # W[0, 1]: an entry
        seed = notation.math.format(notation.name(name, "dot") + (entry or "") + " = 1")
        out = notation.math.format(notation.name(self.output_name, "bar") + " = 1")
        return ("Forward primal trace", f"Forward tangent trace (seeded on {seed})",
                f"Reverse adjoint trace (seeded on {out}), read from the bottom up")

    def _lines(self, column, notation):
        """One trace's lines as (formula, value text). The reverse adjoint trace is a
        table of its own, printed as the survey prints it: its first step (the seed) at
        the bottom, so read upwards it runs in the order of the sweep."""
        return [(" = ".join((lhs, *parts)), value)
                for lhs, parts, value in self._entries(notation, column)]

    def _array_note(self, notation):
        """How to read the products of a trace of arrays (empty for numbers)."""
        if not self.arrays:
            return ""
        chain = notation.math.format(notation.name("v", "bar") + " " + notation.partial.format(
            notation.name("v"), notation.name("u")))
        return (f"On arrays, {chain} is a vector-Jacobian product; × and the functions act "
                "entry by entry, and side by side (v̄ xᵀ) is a product of matrices. An array "
                f"of more than {SHOWN_ENTRIES} entries is shown by its shape.")

    def __str__(self):
        """Three aligned sections: the forward traces top down, the adjoint trace bottom up."""
        note = self._array_note(TEXT)
        lines = [self.title, *([note] if note else [])]
        for column, heading in enumerate(self._headings(TEXT)):
            entries = self._entries(TEXT, column)
            rhs = [" = ".join(parts) for _, parts, _ in entries]
            lhs_width = max(_width(e[0]) for e in entries)
            rhs_width = max(w for w in map(_width, rhs) if w <= _ALIGN_WITHIN)
            lines += ["", heading]
            for (lhs, _, value), right in zip(entries, rhs):
                middle = f" = {_pad(right, rhs_width)}" if right else " " * (rhs_width + 3)
                lines.append(f"  {_pad(lhs, lhs_width)}{middle} = {value}")
        return "\n".join(lines)

    def _repr_html_(self):
        """Two HTML tables: the primal and tangent traces side by side (a row per
        variable), then the reverse adjoint trace (a row per step, read upwards)."""
        border = "border-left:1px solid #bbb;padding:2px 6px 2px 12px"
        left = f"<td style='text-align:left;{border}'>"
        right = "<td style='text-align:right;padding:2px 12px 2px 6px'>"
        headings = self._headings(HTML)

        def table(caption, columns, note=""):
            head = "".join(f"<th colspan='2' style='text-align:center;{border}'>"
                           f"{headings[c]}</th>" for c in columns)
            body = "".join("<tr>" + "".join(f"{left}{formula}</td>{right}{value}</td>"
                                            for formula, value in row) + "</tr>"
                           for row in zip(*(self._lines(c, HTML) for c in columns)))
            return (f"<table class='adlearn-trace'><caption>{caption}</caption>"
                    f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
                    + (f"<p style='font-size:smaller'>{note}</p>" if note else ""))

        note = ("Read it from the bottom up, one line per edge of the reverse sweep: the "
                "first contribution to an adjoint sets it, a later one adds to it. "
                + self._array_note(HTML)).strip()
        return (table(html.escape(self.title), (0, 1))
                + table("The reverse sweep", (2,), note))

    def to_latex(self):
        """Two LaTeX tabulars (no extra packages needed): the primal and tangent traces
        side by side, then the reverse adjoint trace, read from the bottom up."""
        headings = self._headings(LATEX)

        def tabular(columns):
            rows = [" & ".join(f"${formula}$ & ${value}$" for formula, value in row) + r" \\"
                    for row in zip(*(self._lines(c, LATEX) for c in columns))]
            head = " & ".join(rf"\multicolumn{{2}}{{c}}{{{headings[c]}}}" for c in columns)
            return [rf"\begin{{tabular}}{{{'lr' * len(columns)}}}", r"\hline", head + r" \\",
                    r"\hline", *rows, r"\hline", r"\end{tabular}"]

        note = (self._array_note(LATEX).replace("v̄ xᵀ", r"$\bar{v} x^{\top}$")
                .replace("×", r"$\times$"))
        return "\n".join([*tabular((0, 1)), "", *tabular((2,)), *(["", note] if note else [])])

    def __repr__(self):
        return f"<Trace: {self.title}, {len(self.rows)} rows>"


def trace(f, /, *args, seed=None, style="textbook", digits=3, **values):
    """The evaluation trace of f at a point: ``ad.trace(f, x1=2.0, x2=5.0)``.

    f is a Python function or an expression text (parsed safely, never eval'ed). The
    values name f's parameters, come by position (in f's order), or as one mapping,
    which lets through any name, even an option's: ``ad.trace("seed*x", {"seed": 2.0,
    "x": 1.0})``. ``seed`` names the input whose tangent is 1 in the forward tangent
    trace (the first by default); ``style`` is ``"textbook"`` (v-1, v0, v1, ...) or
    ``"intro"`` (x1, x2, x3, ...).

    A value may be an array (a list, a NumPy array, a Tensor): then f runs on Tensors,
    and the trace shows each array by its entries when it has at most 6, else by its
    shape. The tangent trace is then seeded on one entry, ``seed="W[0, 1]"`` (the first
    entry of the first input by default), and an adjoint is a vector-Jacobian product.
    f must return one number (the adjoint trace starts from ȳ = 1).
    """
    f, signature, point = function_at(f, args, values, style, ("seed", "style", "digits"))
    recording = Recording.of(f, point, signature, seed_entry(point, seed), style)
    return trace_of(recording, function_name(f), digits)


def function_name(f):
    """What the trace's title calls f: its expression text, its own name, or f."""
    what = f.text if isinstance(f, Expression) else getattr(f, "__name__", "<lambda>")
    return "f" if what == "<lambda>" else what


def trace_of(recording, what="f", digits=3):
    """The trace of a Recording made from a function at a point (``Recording.of``)."""
    rec, output = recording, recording.output
    seed, entry = rec.seed
    tangent = tangents(rec, rec.inputs[list(rec.point).index(seed)])
    if entry:
        seed += f"[{', '.join(map(str, entry))}]"
    output_row = rec.style == "textbook" or not output.inputs
    steps, sweep = _derivation(rec, rec.output_name if output_row else None)
    values = [(n.value, tangent[n], zero_of(n) if n.grad is None else n.grad)
              for n in rec.variables]
    if output_row:
        values.append((output.value, tangent.get(output, zero_of(output)),
                       zero_of(output) + 1.0))
    at = ", ".join(f"{name} = {constant_text(value)}" for name, value in rec.point.items())
    return Trace(steps, sweep, rec.names, values, f"Evaluation trace of {what} at {at}", seed,
                 rec.output_name, digits, arrays=rec.arrays)


def _derivation(recording, output_row_name):
    """What each row and each step of the reverse sweep says, before it is written in a
    notation.

    Per row: its name, what defines it (a node, or a name or number for the output row)
    and the terms of its tangent and its adjoint. A term is (marked, edge, product): the
    marked variable (u̇ or w̄), the edge (w, v) whose partial ∂w/∂v multiplies it (None
    for none), and that product written out with the local partial from the rule table.
    Per step of the sweep (see ``AdjointStep``): the name whose adjoint it sets, the
    terms it sums, and the adjoint's value after it.
    """
    nodes, names, output = recording.variables, recording.names, recording.output
    arrays = recording.arrays  # on arrays, a rule's partial is entry by entry
    leaf = {n: Formula.name(names[n], value=None if arrays else n.value) for n in nodes}
    tangent = {n: [] for n in nodes}
    adjoint = {n: [] for n in nodes}
    term = {}  # per edge (node, argument index): the adjoint term it passes back
    seed = Formula.name(output_row_name, "bar") if output_row_name else None
    if seed is not None and not output.is_constant:
        adjoint[output].append((seed, None, seed))
    for node in nodes:
        if not node.inputs:
            if node.name:
                own = Formula.name(node.name, "dot")
                tangent[node].append((own, None, own))
            continue
        args = [constant_formula(a.value) if a.is_constant else leaf[a] for a in node.inputs]
        dots = [None if a.is_constant else Formula.name(names[a], "dot") for a in node.inputs]
        bar = Formula.name(names[node], "bar")
        for index, (arg, dot, (along, back)) in enumerate(
                zip(node.inputs, dots, edge_products(node, leaf[node], args, dots, bar))):
            if not arg.is_constant:
                tangent[node].append((dot, (node, arg), along))
                adjoint[arg].append((bar, (node, arg), back))
                term[node, index] = adjoint[arg][-1]
    steps = [(names[n], n, tangent[n], adjoint[n]) for n in nodes]
    if output_row_name:
        source = (constant_formula(output.value) if output.is_constant
                  else Formula.name(names[output]))
        dot = 0.0 if output.is_constant else Formula.name(names[output], "dot")
        steps.append((output_row_name, source, [(dot, None, dot)], []))
    return steps, _sweep(recording, term, seed, output_row_name)


def _sweep(recording, term, seed, output_row_name):
    """The reverse sweep one edge at a time, in the order the engine ran it (see
    ``AdjointStep``): each step's adjoint is the engine's own."""
    names, output, sweep = recording.names, recording.output, recording.sweep
    if output.is_constant:  # nothing to sweep: its inputs' adjoints stay 0
        steps = [(output_row_name, [], sweep.seed)]
    else:
        steps = [(names[output], [(seed, None, seed)] if seed is not None else [], sweep.seed)]
    reached = set()
    for step in sweep.passes:
        passed = term[step.node, step.index]
        if step.arg in reached:  # a later contribution adds to the adjoint
            own = Formula.name(names[step.arg], "bar")
            steps.append((names[step.arg], [(own, None, own), passed], step.total))
        else:
            steps.append((names[step.arg], [passed], step.total))
        reached.add(step.arg)
    for node in recording.variables:  # the inputs' adjoints under their own names: x̄1 = v̄-1
        if not node.inputs and node.name and node.name != names[node]:
            own = Formula.name(names[node], "bar")
            steps.append((node.name, [(own, None, own)], sweep.final(node)))
    return steps


def _cells(step, notation, shown):
    """A row in one notation: (name, [definition]), (v̇ name, [chain rule, written out]),
    (v̄ name, [chain rule, written out])."""
    name, source, tangent, adjoint = step
    is_node = hasattr(source, "inputs")  # a Var or a Tensor, not a formula or a number
    if is_node and source.inputs:
        rhs = definition(source, shown, notation.rule_form)
    elif is_node:
        rhs = notation.name(source.name) if source.name else ""
    else:
        rhs = render(source, notation)
    return [(notation.name(name), [rhs]),
            *((notation.name(name, mark), _chain(terms, notation, shown))
              for mark, terms in (("dot", tangent), ("bar", adjoint)))]


def _width(text):
    """The width of text on screen: combining marks (the dot of v̇) take no room."""
    return sum(1 for ch in text if not unicodedata.combining(ch))


def _pad(text, width):
    return text + " " * (width - _width(text))


def _chain(terms, notation, shown):
    """Terms in a notation: [the chain rule with the partials named, the same written out]."""
    chain = " + ".join(
        render(marked, notation) + ("" if edge is None else " " + notation.partial.format(
            shown[edge[0]], shown[edge[1]])) for marked, edge, _ in terms)
    return [chain, sum_text([t[2] for t in terms], notation)]


def _shown(lhs, parts):
    """lhs and the parts worth showing: not empty, and not repeating what comes before."""
    kept = []
    for part in parts:
        if part and part not in (lhs, *kept):
            kept.append(part)
    return lhs, kept
