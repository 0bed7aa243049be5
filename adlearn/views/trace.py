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
  The numbers go around the learner's own names, never over them: an input called x2
  stays x2 wherever it comes (``x2*x1`` gives x3 = x2 × x1), and the output stays
  numbered if an input is called f.

Constants are not numbered: they appear by value in their users' definitions.

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
import inspect
import itertools
import numbers
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from ..core.engine import Var, _constant, topological_order
from ..errors import ArgumentError, EntryError, UnknownInputError
from ..core.parse import Expression, parse
from ..core.rules import RULES, Operand, as_real
from ..core.transforms import _is_array
from ..text import (SHOWN_ENTRIES, array_text, number_text, result_text, shape_words,
                    textbook_number)

STYLES = ("textbook", "intro")


def trace_order(output, inputs=None):
    """Every node the output depends on, in trace order (see the module docstring).

    ``inputs`` (a sequence of Vars, such as a function's arguments) come first in that
    order, even an input the output does not use; other input Vars the output depends on
    follow in the order they are reached. Then come the constants (op "const"), in the
    order they are reached, then the intermediates. No recursion, so graphs may be deep.
    """
    reached = topological_order(output)  # it visits arguments left to right, as Python does
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


def node_names(output, inputs=None, style="textbook"):
    """``{node: name}`` for every non-constant node the output depends on (and ``inputs``).

    ``style`` is ``"textbook"`` (v-1, v0, v1, ...) or ``"intro"`` (x1, x2, x3, ..., with
    the output called f); see the module docstring.
    """
    check_style(style)
    given = set(inputs or ())
    nodes = [n for n in trace_order(output, inputs) if not n.is_constant]
    if style == "textbook":
        n_inputs = sum(1 for n in nodes if n in given or not n.inputs)  # they come first
        return {node: f"v{i + 1 - n_inputs}" for i, node in enumerate(nodes)}
    # intro: an input named like x2 keeps its name; the others count around such names
    own = {n: n.name for n in nodes if n.op is None and re.fullmatch(r"x[1-9]\d*", n.name or "")}
    taken, names = set(own.values()), {}
    numbers = (f"x{k}" for k in itertools.count(1) if f"x{k}" not in taken)
    for node in nodes:
        names[node] = own[node] if node in own and own[node] not in names.values() else next(numbers)
    if output.inputs and "f" not in {n.name for n in nodes if n.op is None}:
        names[output] = "f"
    return names


def row_name(style, inputs=()):
    """What the trace's output row is called: y in the textbook style, f in the intro
    style, or, if an input already has that name, the other one (or out, out1, ...)."""
    taken = {x.name for x in inputs}
    preferred = ("y", "f") if style == "textbook" else ("f", "y")
    names = itertools.chain(preferred, ["out"], (f"out{k}" for k in itertools.count(1)))
    return next(n for n in names if n not in taken)


def check_style(style):
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
        return constant_text(node.value, notation)
    if not node.inputs:
        return node.name or ""
    return _form(node.op, getattr(node, "params", None), notation).format(
        *(constant_text(c.value, notation) if c.is_constant else names[c] for c in node.inputs))


def _form(op, params, notation):
    """An operation's printed form, a format string over its inputs: the rule table's
    (``ln {0}``), or for an array's structural operation the array engine's (``{0} @ {1}``)."""
    if op in RULES:
        return getattr(RULES[op], notation)
    from ..core.tensor import form  # only a Tensor has structural operations, so NumPy is loaded

    return form(op, params, notation)


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
    seed, entry = seed_entry(point, seed)
    inputs, output = record(f, point, signature, seed=(seed, entry))
    seed_var = inputs[list(point).index(seed)]
    nodes = [n for n in trace_order(output, inputs) if not n.is_constant]
    names = node_names(output, inputs, style)
    tangent = tangents(nodes, seed_var)
    if entry:
        seed += f"[{', '.join(map(str, entry))}]"
    output_row = style == "textbook" or not output.inputs
    output_name = row_name(style, inputs) if output_row else names[output]
    steps, sweep = _derivation(nodes, names, output, output_name if output_row else None)
    values = [(n.value, tangent[n], zero_of(n) if n.grad is None else n.grad) for n in nodes]
    if output_row:
        values.append((output.value, tangent.get(output, zero_of(output)),
                       zero_of(output) + 1.0))
    at = ", ".join(f"{name} = {constant_text(value)}" for name, value in point.items())
    what = f.text if isinstance(f, Expression) else getattr(f, "__name__", "<lambda>")
    what = "f" if what == "<lambda>" else what
    title = f"Evaluation trace of {what} at {at}"
    return Trace(steps, sweep, names, values, title, seed, output_name, digits,
                 arrays=not isinstance(output, Var))


def tangents(nodes, seed):
    """Forward mode over a recorded graph: each node's tangent ∂node/∂seed, summed from
    the local partials the forward pass stored. nodes come in trace order (every node
    after its arguments); a constant or a node not listed counts as 0. Tensors carried
    their tangents through the forward pass already (``record``'s seed): they are read."""
    tangent = {}
    for node in nodes:
        if not isinstance(node, Var):
            tangent[node] = zero_of(node) if node.tangent is None else node.tangent
            continue
        tangent[node] = float(node is seed) if not node.inputs else sum(
            p * tangent.get(c, 0.0) for c, p in zip(node.inputs, node.partials))
    return tangent


def record(f, point, signature=None, seed=None):
    """Call f on input Vars named and valued as in point, then sweep backward; if a value
    is an array (see ``function_at``), on input Tensors, and then f must return one number.

    Returns ``(inputs, output)``. When f returns a plain number (it does not depend on
    its inputs), the output is a constant node, so a caller always gets a graph. On
    Tensors, ``seed`` = (input name, entry) gives that input the tangent 1 at that entry
    and 0 elsewhere, so the forward pass computes every node's tangent (forward mode).
    """
    arrays = has_arrays(point)
    if arrays:
        from ..core import tensor

        inputs = [tensor.Tensor(value, name=name) for name, value in point.items()]
        if seed is not None:
            leaf = inputs[list(point).index(seed[0])]
            leaf.tangent = tensor.np.zeros(leaf.shape)
            leaf.tangent[seed[1]] = 1.0
    else:
        inputs = [Var(value, name=name) for name, value in point.items()]
    call = (signature or inspect.signature(f)).bind_partial()
    call.arguments.update(zip(point, inputs))
    output = f(*call.args, **call.kwargs)
    if arrays:
        output = output if isinstance(output, tensor.Tensor) else tensor.constant(output)
        if output.size != 1:
            raise tensor.ShapeError(
                f"f must return one number to be traced (the adjoint trace starts from "
                f"ȳ = 1), but it returned {shape_words(output.shape)}: return its "
                "sum, or one of its entries")
    elif not isinstance(output, Var):
        output = _constant(as_real(output, "the value returned by f"))
    output.backward()
    return inputs, output


def has_arrays(point):
    """Whether a point (as ``function_at`` returns it) has an array among its values."""
    return any(not isinstance(value, float) for value in point.values())


def seed_entry(point, seed):
    """The tangent trace's seed as (input name, entry): ``"x1"`` for a number, ``"W[0, 1]"``
    for one entry of an array (entry () for a number); by default the first input, at
    its first entry."""
    if seed is None:
        name = next(iter(point))
        return name, (0,) * getattr(point[name], "ndim", 0)
    found = re.fullmatch(r"\s*([^\[\]]*?)\s*(?:\[([^\[\]]*)\])?\s*", seed) if isinstance(
        seed, str) else None
    if found is None or found[1] not in point:
        raise UnknownInputError(f"seed {seed!r} is not an input of f; "
                                f"its inputs are {', '.join(point)}")
    name, index = found.groups()
    shape = getattr(point[name], "shape", ())
    first = f"{name}[{', '.join('0' * len(shape))}]"
    if index is None:
        if shape:
            raise ArgumentError(f"seed {seed!r} is an array of shape {shape}: seed one of "
                                f"its entries, as in seed=\"{first}\"")
        return name, ()
    try:
        entry = tuple(int(i) for i in index.split(",")) if index.strip() else ()
    except ValueError:
        entry = None
    if entry is None or len(entry) != len(shape) or not all(
            0 <= i < n for i, n in zip(entry, shape)):
        raise EntryError(f"seed {seed!r} picks no entry of {name}, whose shape is {shape}: "
                         f"give one whole number from 0 per axis, as in \"{first}\"")
    return name, entry


def function_at(f, args, values, style, options):
    """The start of ``ad.trace`` and ``ad.explore``: f as a callable (expression text is
    parsed), its signature and {input name: value} (a float, or an array: ``input_value``), with the style
    checked. ``options`` are the caller's own keywords, named in the hint when f has an
    input of the same name."""
    if isinstance(f, str):
        f = parse(f)
    if len(args) == 1 and isinstance(args[0], Mapping):  # the point as one mapping
        twice = sorted(set(args[0]) & set(values))
        if twice:
            raise ArgumentError(f"{twice[0]} got two values, in the mapping and by name")
        args, values = (), {**args[0], **values}
    signature, point = bind_point(f, args, values, options)
    check_style(style)
    if not point:
        raise ArgumentError("f has no inputs, so there is nothing to differentiate")
    return f, signature, {name: input_value(v, name) for name, v in point.items()}


def input_value(value, name):
    """An input's value: a float, or for an array (a list, a NumPy array, a Tensor) a
    float64 NumPy array of finite numbers; else an adlearn error naming the input."""
    if not _is_array(value):
        return as_real(value, f"the value of {name}")
    from ..core.tensor import Tensor, as_array

    return as_array(value.value if isinstance(value, Tensor) else value, f"the value of {name}")


def bind_point(f, args, values, options=()):
    """f's signature and {parameter name: value}, in f's order, from args and values."""
    try:
        signature = inspect.signature(f)
    except (TypeError, ValueError):
        raise ArgumentError(f"trace needs a Python function or an expression text, "
                            f"not {f!r}") from None
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    params = [p for p in signature.parameters.values() if p.kind in kinds]
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
            hint = (f"; {p.name}= is also an option here, so give the point as one mapping: "
                    f"{{{', '.join(repr(n) + ': ...' for n in names)}}}"
                    if p.name in options else "")
            raise ArgumentError(f"no value for {p.name}: pass {p.name}=... "
                                f"(f's inputs are {', '.join(names)}){hint}")
    return signature, {name: given[name] for name in names if name in given}


def _derivation(nodes, names, output, output_row_name):
    """What each row and each step of the reverse sweep says, before it is written in a
    notation.

    Per row: its name, what defines it (a node, or a name or number for the output row)
    and the terms of its tangent and its adjoint. A term is (marked, edge, product): the
    marked variable (u̇ or w̄), the edge (w, v) whose partial ∂w/∂v multiplies it (None
    for none), and that product written out with the local partial from the rule table.
    Per step of the sweep (see ``AdjointStep``): the name whose adjoint it sets, the
    terms it sums, and the adjoint's value after it.
    """
    arrays = not isinstance(output, Var)  # on arrays, a rule's partial is entry by entry
    leaf = {n: _Formula.name(names[n], value=None if arrays else n.value) for n in nodes}
    tangent = {n: [] for n in nodes}
    adjoint = {n: [] for n in nodes}
    passes = {n: [] for n in nodes}  # per node: (argument, adjoint term, argument index)
    seed = _Formula.name(output_row_name, "bar") if output_row_name else None
    if seed is not None and not output.is_constant:
        adjoint[output].append((seed, None, seed))
    for node in nodes:
        if not node.inputs:
            if node.name:
                own = _Formula.name(node.name, "dot")
                tangent[node].append((own, None, own))
            continue
        args = [_constant_formula(a.value) if a.is_constant else leaf[a] for a in node.inputs]
        dots = [None if a.is_constant else _Formula.name(names[a], "dot") for a in node.inputs]
        bar = _Formula.name(names[node], "bar")
        for index, (arg, dot, (along, back)) in enumerate(
                zip(node.inputs, dots, _edge_products(node, leaf[node], args, dots, bar))):
            if not arg.is_constant:
                tangent[node].append((dot, (node, arg), along))
                adjoint[arg].append((bar, (node, arg), back))
                passes[node].append((arg, adjoint[arg][-1], index))
    steps = [(names[n], n, tangent[n], adjoint[n]) for n in nodes]
    if output_row_name:
        source = (_constant_formula(output.value) if output.is_constant
                  else _Formula.name(names[output]))
        dot = 0.0 if output.is_constant else _Formula.name(names[output], "dot")
        steps.append((output_row_name, source, [(dot, None, dot)], []))
    return steps, _sweep(nodes, names, output, passes, seed, output_row_name)


def _sweep(nodes, names, output, passes, seed, output_row_name):
    """The reverse sweep one edge at a time, in the order it runs (see ``AdjointStep``)."""
    one = zero_of(output) + 1.0  # the seed: 1 (an array of one entry, 1, for a Tensor)
    if output.is_constant:  # nothing to sweep: its inputs' adjoints stay 0
        value, sweep = {}, [(output_row_name, [], one)]
    else:
        value = {output: one}
        sweep = [(names[output], [(seed, None, seed)] if seed is not None else [], one)]
    for node in reversed(nodes):
        passed = shares(node, value[node] if node in value else zero_of(node)) \
            if passes[node] else ()
        for arg, term, index in passes[node]:
            share = passed[index]
            if arg in value:  # a later contribution adds to the adjoint
                own = _Formula.name(names[arg], "bar")
                sweep.append((names[arg], [(own, None, own), term], value[arg] + share))
            else:
                sweep.append((names[arg], [term], share))
            value[arg] = sweep[-1][2]
    for node in nodes:  # the inputs' adjoints under their own names: x̄1 = v̄-1
        if not node.inputs and node.name and node.name != names[node]:
            own = _Formula.name(names[node], "bar")
            sweep.append((node.name, [(own, None, own)],
                          value[node] if node in value else zero_of(node)))
    return sweep


def shares(node, adjoint):
    """What node passes back to each of its inputs in the reverse sweep, given its
    adjoint: adjoint × the local partial, or for an array the vector-Jacobian product
    (None for a constant input of a Tensor)."""
    if isinstance(node, Var):
        return [adjoint * partial for partial in node.partials]
    from ..core.tensor import vjps

    return vjps(node, adjoint)


def zero_of(node):
    """An adjoint or tangent of 0 for node: 0.0, or zeros of the node's shape (made only
    where needed: for a large array they cost as much as its value)."""
    return abs(node.value) * 0.0


def _edge_products(node, out, args, dots, bar):
    """Per input of node: (u̇ ∂v/∂u, v̄ ∂v/∂u), the tangent it brings along the edge and
    the adjoint it gets back, written out as formulas ((None, None) for a constant;
    None where the product has no short written form).

    ``out`` is the node's formula, ``args`` its inputs', ``dots`` their tangents' and
    ``bar`` the node's adjoint. A rule of the table gives its partials as formulas; on
    arrays they hold entry by entry, and an adjoint is summed over the axes that
    broadcasting stretched its input along. An array's structural operation gives its
    JVP and VJP as a textbook writes them (``_structural_products``).
    """
    if node.op not in RULES:
        return _structural_products(node, args, dots, bar)
    try:
        partials = RULES[node.op].partials(out, *args)
    except TypeError:  # relu, abs on an array: 0 or 1 entry by entry, no one formula
        partials = [None] * len(args)
    products = []
    for x, dot, partial in zip(node.inputs, dots, partials):
        if dot is None or partial is None:
            products.append((None, None))
            continue
        back = bar * partial
        if not isinstance(node, Var) and x.shape != node.shape:
            from ..core.tensor import broadcast_axes

            axes = broadcast_axes(x.shape, node.shape)
            back = _Formula("sum", (back,), params={"axis": axes, "keepdims": False})
        products.append((dot * partial, back))
    return products


def _structural_products(node, args, dots, bar):
    """``_edge_products`` for an array's structural operation. The matrix product's
    partials are written as products of matrices: for v = W x, v̇ = Ẇ x + W ẋ and
    W̄ = v̄ xᵀ, x̄ = Wᵀ v̄. A linear operation's tangent is the operation applied to the
    input's tangent, its adjoint the operation that undoes its moves (a sum's adjoint
    spreads back, a transpose's transposes back). max and log_softmax have no short form."""
    op, params = node.op, node.params
    if op == "matmul":
        (a, b), (da, db) = args, dots
        return [(None if da is None else _Formula("product", (da, b)),
                 _Formula("product", (bar, _transposed(b)))),
                (None if db is None else _Formula("product", (a, db)),
                 _Formula("product", (_transposed(a), bar)))]
    back = _undone(node)
    if back is None or dots[0] is None:
        return [(None, None)]
    return [(_Formula(op, (dots[0],), params=params), _Formula(back[0], (bar,), params=back[1]))]


def _transposed(formula):
    return _Formula("transpose", (formula,), params={"axes": (1, 0)})


def _undone(node):
    """(op, params) of the structural operation that takes a linear operation's adjoint
    back to its input (its VJP), or None for an operation that is not linear."""
    params, shape = node.params, node.inputs[0].shape
    if node.op == "sum":
        return "broadcast_to", {"shape": shape}
    if node.op == "broadcast_to":
        from ..core.tensor import broadcast_axes

        return "sum", {"axis": broadcast_axes(shape, node.shape), "keepdims": False}
    if node.op == "reshape":
        return "reshape", {"shape": shape}
    if node.op == "transpose":  # the inverse order of the axes
        axes = params["axes"]
        return "transpose", {"axes": tuple(sorted(range(len(axes)), key=axes.__getitem__))}
    if node.op == "index":
        return "scatter_add", {"index": params["index"], "shape": shape}
    if node.op == "scatter_add":
        return "index", {"index": params["index"]}
    return None


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
        rhs = _render(source, notation)
    return [(notation.name(name), [rhs]),
            *((notation.name(name, mark), _chain(terms, notation, shown))
              for mark, terms in (("dot", tangent), ("bar", adjoint)))]


def _chain(terms, notation, shown):
    """Terms in a notation: [the chain rule with the partials named, the same written out]."""
    chain = " + ".join(
        _render(marked, notation) + ("" if edge is None else " " + notation.partial.format(
            shown[edge[0]], shown[edge[1]])) for marked, edge, _ in terms)
    return [chain, _sum([t[2] for t in terms], notation)]


def _shown(lhs, parts):
    """lhs and the parts worth showing: not empty, and not repeating what comes before."""
    kept = []
    for part in parts:
        if part and part not in (lhs, *kept):
            kept.append(part)
    return lhs, kept


class _Formula(Operand):
    """A formula written with the rule table's own functions, to print local partials.

    Applying ``RULES[op].partials`` to formulas instead of numbers writes each local
    partial derivative out (∂v1/∂v-1 of ``ln v-1`` is ``1 / v-1``), so the trace prints
    the very formulas the engine computes with, tidied a little (x × 1 = x, x^1 = x).
    A leaf is a name with an optional mark (dot or bar) and its value, which the rules
    of relu and abs compare with 0 (None for an array: its partial is not one formula).
    On arrays a formula may also be an array constant (op "const"), a product of
    matrices ("product", written side by side: v̄ xᵀ) or a structural operation of the
    array engine with its ``params`` (``sum(v̄1, axis=0)``).
    """

    __slots__ = ("op", "args", "value", "params")

    def __init__(self, op, args, value=None, params=None):
        self.op, self.args, self.value, self.params = op, args, value, params

    @staticmethod
    def name(name, mark="", value=None):
        return _Formula(None, (name, mark), value)

    @staticmethod
    def _apply(op, *args):
        return _simplified(op, args)


def _constant_formula(value):
    """A constant input in a formula: a number (a one-entry array's too), or an array."""
    if getattr(value, "size", 1) == 1:
        return float(value)
    return _Formula("const", (value,))


def _is(x, number):
    return not isinstance(x, _Formula) and x == number


def _is_op(x, op):
    return isinstance(x, _Formula) and x.op == op


def _simplified(op, args):
    """The formula ``op(*args)``, with numbers folded and the obvious tidied away."""
    if not any(isinstance(a, _Formula) for a in args):
        return RULES[op].value(*args)
    a, b = args[0], args[-1]
    if op == "mul":
        for x, y in ((a, b), (b, a)):
            if _is(x, 0):
                return 0.0
            if _is(x, 1):
                return y
            if _is(x, -1):
                return -y
            if _is_op(y, "neg"):
                return -(x * y.args[0])
            if _is_op(y, "div") and _is(y.args[0], 1):  # x × (1 / z) = x / z
                return x / y.args[1]
    elif op in ("add", "sub") and _is(b, 0):
        return a
    elif op == "add" and _is(a, 0):
        return b
    elif op == "add" and _is_op(b, "neg"):
        return a - b.args[0]
    elif op == "sub" and _is_op(b, "neg"):
        return a + b.args[0]
    elif op == "div" and _is_op(a, "neg"):  # (-x) / z = -(x / z)
        return -(a.args[0] / b)
    elif op == "neg" and _is_op(a, "neg"):
        return a.args[0]
    elif op in ("div", "powc") and _is(b, 1):
        return a
    return _Formula(op, args)


def _sum(terms, notation):
    """Terms joined by + and -, as a learner writes them ("0" if every term is 0)."""
    if any(term is None for term in terms):
        return ""  # a product with no short written form: the chain rule says it all
    text = ""
    for term in terms:
        if _is(term, 0):
            continue
        negative = _is_op(term, "neg")
        body = _render(term.args[0] if negative else term, notation)
        if negative and _needs_parens("sub", 1, term.args[0], RULES["sub"].text):
            body = f"({body})"
        text = f"{text} {'-' if negative else '+'} {body}" if text else \
            f"-{body}" if negative else body
    return text or ("0" if terms else "")


def _render(formula, notation):
    """A small formula written in a notation (its depth is that of a rule's partial)."""
    if not isinstance(formula, _Formula):
        return number_text(formula)
    if formula.op is None:
        return notation.name(*formula.args)
    if formula.op == "const":
        return constant_text(formula.args[0], notation.rule_form)
    template = "{0} {1}" if formula.op == "product" else _form(
        formula.op, formula.params, notation.rule_form)
    parts = []
    for i, arg in enumerate(formula.args):
        text = _render(arg, notation)
        parts.append(f"({text})" if _needs_parens(formula.op, i, arg, template) else text)
    return template.format(*parts)


def _needs_parens(op, i, arg, template):
    """Whether argument i of op needs parentheses in the template: a sum inside a
    product does, an atom never does, nor does a slot the template already brackets."""
    if not isinstance(arg, _Formula) or arg.op in (None, "const"):
        return False
    slot = "{%d}" % i
    group = "{{" + slot + "}}"  # a LaTeX group, as in \sqrt{{{0}}}
    if f"({slot}" in template or f"|{slot}|" in template or (  # a call's argument: sum(x, ...)
            group in template and group + "^" not in template):  # a power's base is no group
        return False
    if op not in RULES:  # a product of matrices, or xᵀ, x[0]: brackets round a rule's formula
        return arg.op in RULES or (op != "product" and arg.op == "product")
    sums = ("add", "sub") if i == 0 else ("add", "sub", "neg")  # -x × z, but z × (-x)
    if op == "add":
        return False
    if op in ("sub", "mul", "neg") or (op == "div" and i == 0):
        return arg.op in sums
    if op == "div":
        return arg.op in (*sums, "mul", "div")
    return True  # an argument of a function or a power: anything but an atom


def _split(name):
    """A name's letters and its subscript: "v-1" -> ("v", "-1"), "x1" -> ("x", "1")."""
    base, subscript = re.fullmatch(r"(.*?)_?(-?\d*)", name).groups()
    return (base, subscript) if base else (name, "")


class _Notation:
    """How names, marks (dot, bar) and partial derivatives are written in one format."""

    def __init__(self, key, rule_form, partial, marks, name, math="{}"):
        self.key, self.rule_form, self.partial, self.math = key, rule_form, partial, math
        self._marks, self._name, self._written = marks, name, {}

    def name(self, name, mark=""):
        """A name in this notation, with a mark: ("v-1", "dot") is v̇-1 in text."""
        if (name, mark) not in self._written:
            base, subscript = _split(name)
            # NFC: a letter with a precomposed marked form uses it (ẋ, ȳ; v̇ has none)
            self._written[name, mark] = unicodedata.normalize(
                "NFC", self._name(self._marks.get(mark, "{}"), base, subscript))
        return self._written[name, mark]


TEXT = _Notation("text", "text", "∂{0}/∂{1}", {"dot": "{}\u0307", "bar": "{}\u0304"},
                  lambda mark, base, sub: mark.format(base) + sub)
HTML = _Notation("html", "text", "∂{0}/∂{1}", TEXT._marks,
                  lambda mark, base, sub: mark.format(html.escape(base))
                  + (f"<sub>{html.escape(sub)}</sub>" if sub else ""))
LATEX = _Notation("latex", "latex", r"\frac{{\partial {0}}}{{\partial {1}}}",
                   {"dot": r"\dot{{{}}}", "bar": r"\bar{{{}}}"},
                   lambda mark, base, sub: mark.format(
                       base if len(base) == 1 else r"\mathrm{" + base.replace("_", r"\_") + "}")
                   + (f"_{{{sub}}}" if sub else ""), math="${}$")


def constant_text(value, notation="text"):
    """A constant in a definition: a number as a formula writes it (2, (-1.5)), an array
    as ``array_text`` writes it."""
    if getattr(value, "ndim", 0) == 0:
        return number_text(float(value))
    return array_text(value, result_text, notation)


def _width(text):
    """The width of text on screen: combining marks (the dot of v̇) take no room."""
    return sum(1 for ch in text if not unicodedata.combining(ch))


def _pad(text, width):
    return text + " " * (width - _width(text))
