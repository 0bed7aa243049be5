"""How the views write names and formulas: the trace's notations (text, HTML, LaTeX),
a node's definition and its label in a drawing, and the local partials written out from
the rule tables.

``Formula`` applies ``RULES[op].partials`` to formulas instead of numbers, so the trace
prints the very formulas the engines compute with (∂v1/∂v-1 of ``ln v-1`` is
``1 / v-1``); an array's structural operation prints its products as its row of the
array engine's table says (``Structural.printed``). No view writes a derivative.
"""

import html
import re
import unicodedata

from ..core.rules import RULES, Operand
from ..text import (array_text, number_text, result_text, shape_label, textbook_number,
                    values_text)
from .recording import is_tensor


def partial_symbol(edge, repeated):
    """∂v/∂u of an edge (source, target, index); "(argument 2)" says which use when the
    target uses its source twice (x*x): ``repeated`` holds such (source, target) pairs."""
    source, target, index = edge
    which = f" (argument {index + 1})" if (source, target) in repeated else ""
    return f"∂{target}/∂{source}{which}"


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
    from ..core.structural import form  # only a Tensor has structural operations, so NumPy is loaded

    return form(op, params, notation)


class Formula(Operand):
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
        return Formula(None, (name, mark), value)

    @staticmethod
    def _apply(op, *args):
        return _simplified(op, args)


def constant_formula(value):
    """A constant input in a formula: a number (a one-entry array's too), or an array."""
    if getattr(value, "size", 1) == 1:
        return float(value)
    return Formula("const", (value,))


def _is(x, number):
    return not isinstance(x, Formula) and x == number


def _is_op(x, op):
    return isinstance(x, Formula) and x.op == op


def _simplified(op, args):
    """The formula ``op(*args)``, with numbers folded and the obvious tidied away."""
    if not any(isinstance(a, Formula) for a in args):
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
    return Formula(op, args)


def sum_text(terms, notation):
    """Terms joined by + and -, as a learner writes them ("0" if every term is 0)."""
    if any(term is None for term in terms):
        return ""  # a product with no short written form: the chain rule says it all
    text = ""
    for term in terms:
        if _is(term, 0):
            continue
        negative = _is_op(term, "neg")
        body = render(term.args[0] if negative else term, notation)
        if negative and _needs_parens("sub", 1, term.args[0], RULES["sub"].text):
            body = f"({body})"
        text = f"{text} {'-' if negative else '+'} {body}" if text else \
            f"-{body}" if negative else body
    return text or ("0" if terms else "")


def render(formula, notation):
    """A small formula written in a notation (its depth is that of a rule's partial)."""
    if not isinstance(formula, Formula):
        return number_text(formula)
    if formula.op is None:
        return notation.name(*formula.args)
    if formula.op == "const":
        return constant_text(formula.args[0], notation.rule_form)
    template = "{0} {1}" if formula.op == "product" else _form(
        formula.op, formula.params, notation.rule_form)
    parts = []
    for i, arg in enumerate(formula.args):
        text = render(arg, notation)
        parts.append(f"({text})" if _needs_parens(formula.op, i, arg, template) else text)
    return template.format(*parts)


def _needs_parens(op, i, arg, template):
    """Whether argument i of op needs parentheses in the template: a sum inside a
    product does, an atom never does, nor does a slot the template already brackets."""
    if not isinstance(arg, Formula) or arg.op in (None, "const"):
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


def edge_products(node, out, args, dots, bar):
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
        if is_tensor(node) and x.shape != node.shape:  # broadcast: its VJP sums back
            from ..core.structural import summed_back

            op, params = summed_back(x.shape, node.shape)
            back = Formula(op, (back,), params=params)
        products.append((dot * partial, back))
    return products


def _structural_products(node, args, dots, bar):
    """``edge_products`` for an array's structural operation: as its row of the array
    engine's table prints them (``Structural.printed``), or no short form."""
    from ..core.structural import STRUCTURAL

    printed = STRUCTURAL[node.op].printed
    if printed is None:
        return [(None, None)] * len(args)
    return printed(_written, node, args, dots, bar)


def _written(op, *args, **params):
    """A formula of a structural operation (or "product", written side by side)."""
    return Formula(op, args, params=params or None)


# --- A drawn node's label ---------------------------------------------------------------


def adjoint_name(name):
    """The adjoint of a variable as the trace writes it: v̄1, x̄3."""
    return TEXT.name(name, "bar")


def node_label(node, ids, adjoints, digits=3):
    """A node's label: its definition, its value and, if asked, its adjoint.

    ``v1 = ln v-1`` over ``= 0.693`` over ``v̄1 = 1``; an input reads ``v-1 = x1``
    (or just ``x1 = 2`` where its id is its name); a constant is its value.
    On a Tensor see ``array_label``.
    """
    if is_tensor(node):
        return array_label(node, ids, adjoints, digits)
    if node.is_constant:
        return textbook_number(node.value, digits)
    name, defined = ids[node], definition(node, ids)
    value = textbook_number(node.value, digits)
    lines = [f"{name} = {defined}", f"= {value}"] if defined not in ("", name) else [
        f"{name} = {value}"]
    if adjoints:
        lines.append(f"{adjoint_name(name)} = {textbook_number(node.grad, digits)}")
    return "\n".join(lines)


def array_label(node, ids, adjoints, digits=3):
    """A Tensor node's label: its definition and shape, ``v1 = v-1 @ v0  (3)``, over its
    entries ``= [0.5, 1, 2]`` and, if asked (and after backward()), its adjoint's, when
    it has at most 6 entries (a larger array is shown by its shape alone). A constant is
    shown as the trace shows it in a definition: ``2``, ``[1, 0]``, ``(1000) array``."""
    if node.is_constant:
        return constant_text(node.value)
    values = values_text(node.value, digits)
    name, defined = ids[node], definition(node, ids)
    head = f"{name} = {defined}" if defined not in ("", name) else name
    lines = [f"{head}  {shape_label(node.shape)}"]
    if values is not None:
        lines.append(f"= {values}")
    if adjoints and node.grad is not None:
        adjoint = values_text(node.grad, digits)
        if adjoint is not None:
            lines.append(f"{adjoint_name(name)} = {adjoint}")
    return "\n".join(lines)
