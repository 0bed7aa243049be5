"""The evaluation trace: order and names of the nodes, and the trace table itself.

The oracle is the textbook: Baydin et al., "Automatic differentiation in machine
learning: a survey", Table 2 (the example ln(x1) + x1*x2 - sin(x2) at (2, 5)), and the
introductory example x1**2 + 2*x2 at (2, 3); the numbers below are copied by hand.
"""

import math
import inspect
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from exprs import expressions
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import adlearn as ad
from adlearn.cli import main
from adlearn.errors import ArgumentError, DomainError
from adlearn.views.notation import HTML, TEXT, definition
from adlearn.views.recording import Recording, trace_order
from adlearn.views.trace import AdjointStep


def classic():
    x1, x2 = ad.Var(2.0, name="x1"), ad.Var(5.0, name="x2")
    return x1, x2, ad.log(x1) + x1 * x2 - ad.sin(x2)


def intro():
    x1, x2 = ad.Var(2.0, name="x1"), ad.Var(3.0, name="x2")
    return x1, x2, x1**2 + 2 * x2


def table(output, inputs=None, style="textbook"):
    names = Recording(output, inputs, style).names
    return [(names[n], definition(n, names)) for n in trace_order(output, inputs)
            if not n.is_constant]


def test_textbook_numbering_of_the_classic_example():
    x1, x2, f = classic()
    assert table(f) == [("v-1", "x1"), ("v0", "x2"), ("v1", "ln v-1"), ("v2", "v-1 × v0"),
                        ("v3", "sin v0"), ("v4", "v1 + v2"), ("v5", "v4 - v3")]


def test_intro_numbering_of_the_intro_example():
    x1, x2, f = intro()
    assert table(f, style="intro") == [("x1", "x1"), ("x2", "x2"), ("x3", "x1^2"),
                                       ("x4", "2 × x2"), ("f", "x3 + x4")]


@pytest.mark.parametrize("text, point, expected", [
    # the case: inputs x2 then x1 in the order of the expression
    ("x2*x1 + sin(x1)", {"x2": 2.0, "x1": 1.0},
     [("x2", "x2"), ("x1", "x1"), ("x3", "x2 × x1"), ("x4", "sin x1"), ("f", "x3 + x4")]),
    ("x3 * y + y", {"x3": 2.0, "y": 1.0},
     [("x3", "x3"), ("x1", "y"), ("x2", "x3 × x1"), ("f", "x2 + x1")]),
    ("b * a", {"b": 2.0, "a": 1.0}, [("x1", "b"), ("x2", "a"), ("f", "x1 × x2")]),
    ("f * x1", {"f": 2.0, "x1": 1.0}, [("x2", "f"), ("x1", "x1"), ("x3", "x2 × x1")]),
])
def test_intro_numbering_goes_around_the_learners_names(text, point, expected):
    inputs = [ad.Var(v, name=n) for n, v in point.items()]
    f = ad.parse(text)(*inputs)
    assert table(f, inputs, style="intro") == expected
    names = [name for name, _ in expected]
    assert len(set(names)) == len(names)
    out = str(ad.trace(text, point, style="intro"))
    assert "x1 = x2" not in out and "x̄1 = x̄2" not in out


def test_order_is_by_generation_then_by_evaluation():
    x1, x2 = ad.Var(2.0, name="x1"), ad.Var(5.0, name="x2")
    # Python evaluates x1*x2, then (x1*x2)*x1, then sin x2; the trace lists sin x2 (one
    # step from the inputs) before (x1*x2)*x1 (two steps), as the textbook does
    assert table(x1 * x2 * x1 + ad.sin(x2)) == [
        ("v-1", "x1"), ("v0", "x2"), ("v1", "v-1 × v0"), ("v2", "sin v0"),
        ("v3", "v1 × v-1"), ("v4", "v3 + v2")]
    f = ad.sin(x2) + ad.log(x1)
    assert table(f, [x1, x2])[2:] == [("v1", "sin v0"), ("v2", "ln v-1"), ("v3", "v1 + v2")]
    # without the function's parameter order, inputs are numbered as they are reached
    assert table(f)[:3] == [("v-1", "x2"), ("v0", "x1"), ("v1", "sin v-1")]


def test_given_inputs_come_first_in_their_order_even_unused():
    x1, x2, f = intro()
    unused = ad.Var(1.0, name="z")
    order = trace_order(f, [x2, unused, x1])
    assert order[:3] == [x2, unused, x1]
    assert [n.value for n in order if n.is_constant] == [2.0, 2.0]
    assert Recording(f, [x2, unused, x1]).names[x1] == "v0"


def test_order_puts_every_node_after_its_inputs_and_needs_no_recursion():
    x = ad.Var(0.5, name="x")
    y = x
    for _ in range(5000):  # deeper than Python's recursion limit
        y = ad.sin(y) + x
    order = trace_order(y)
    position = {n: i for i, n in enumerate(order)}
    assert len(order) == len(position)
    assert all(position[c] < position[n] for n in order for c in n.inputs)
    assert order[-1] is y and Recording(y).names[y] == "v10000"


def test_unknown_style_is_refused():
    *_, f = classic()
    with pytest.raises(ValueError, match="style must be one of 'textbook', 'intro'"):
        Recording(f, style="fancy").names


# The textbook's Table 2 at (x1, x2) = (2, 5), copied by hand: name, definition, forward
# primal trace, forward tangent trace (seeded on x1) and the reverse adjoint trace.
TEXTBOOK = [
    ("v-1", "x1", 2, 1, 5.5),
    ("v0", "x2", 5, 0, 1.716),
    ("v1", "ln v-1", 0.693, 0.5, 1),
    ("v2", "v-1 × v0", 10, 5, 1),
    ("v3", "sin v0", -0.959, 0, -1),
    ("v4", "v1 + v2", 10.693, 5.5, 1),
    ("v5", "v4 - v3", 11.652, 5.5, 1),
    ("y", "v5", 11.652, 5.5, 1),
]
CLASSIC = "ln(x1) + x1*x2 - sin(x2)"


def test_the_classic_example_reproduces_the_textbook_table():
    t = ad.trace(CLASSIC, x1=2.0, x2=5.0)
    got = [(r.name, r.definition, round(r.primal, 3), round(r.tangent, 3), round(r.adjoint, 3))
           for r in t.rows]
    assert got == TEXTBOOK


def test_the_tangent_and_adjoint_formulas_are_the_textbooks():
    t = ad.trace(CLASSIC, x1=2.0, x2=5.0)
    # Table 2's forward tangent trace, written out as the textbook does
    assert [r.tangent_definition for r in t.rows[2:7]] == [
        "v̇-1 / v-1", "v̇-1 × v0 + v̇0 × v-1", "v̇0 × cos v0", "v̇1 + v̇2", "v̇4 - v̇3"]
    assert t["v2"].tangent_chain_rule == "v̇-1 ∂v2/∂v-1 + v̇0 ∂v2/∂v0"
    # a row sums the contributions to its adjoint (the adjoint trace adds them one by one)
    assert t["v-1"].adjoint_chain_rule == "v̄1 ∂v1/∂v-1 + v̄2 ∂v2/∂v-1"
    assert t["v-1"].adjoint_definition == "v̄1 / v-1 + v̄2 × v0"
    assert t["v0"].adjoint_definition == "v̄2 × v-1 + v̄3 × cos v0"
    assert [t[n].adjoint_definition for n in ("v1", "v2", "v3", "v4", "v5")] == [
        "v̄4", "v̄4", "-v̄5", "v̄5", "ȳ"]
    assert t["v-1"].tangent_chain_rule == "ẋ1" and t["y"].tangent_chain_rule == "v̇5"


# Table 2's reverse adjoint trace, copied by hand and read in the order the sweep runs
# (the book prints it bottom up): one step per edge, the first contribution to an adjoint
# sets it, a later one adds to it; the inputs' adjoints are read off last. The book writes
# the partials of v4 and v5 as × 1 and × (-1); adlearn tidies v̄5 × 1 to v̄5.
TEXTBOOK_ADJOINTS = [
    ("v̄5", "ȳ", "ȳ", 1),
    ("v̄4", "v̄5 ∂v5/∂v4", "v̄5", 1),
    ("v̄3", "v̄5 ∂v5/∂v3", "-v̄5", -1),
    ("v̄1", "v̄4 ∂v4/∂v1", "v̄4", 1),
    ("v̄2", "v̄4 ∂v4/∂v2", "v̄4", 1),
    ("v̄0", "v̄3 ∂v3/∂v0", "v̄3 × cos v0", -0.284),
    ("v̄-1", "v̄2 ∂v2/∂v-1", "v̄2 × v0", 5),
    ("v̄0", "v̄0 + v̄2 ∂v2/∂v0", "v̄0 + v̄2 × v-1", 1.716),
    ("v̄-1", "v̄-1 + v̄1 ∂v1/∂v-1", "v̄-1 + v̄1 / v-1", 5.5),
    ("x̄1", "v̄-1", "v̄-1", 5.5),
    ("x̄2", "v̄0", "v̄0", 1.716),
]


def adjoint_trace(t):
    return [(TEXT.name(s.name, "bar"), s.chain_rule, s.definition, round(s.adjoint, 3))
            for s in t.adjoint_steps]


def test_the_reverse_adjoint_trace_is_the_textbooks_step_by_step():
    t = ad.trace(CLASSIC, x1=2.0, x2=5.0)
    assert adjoint_trace(t) == TEXTBOOK_ADJOINTS
    assert t.adjoint_steps[8] == AdjointStep(
        "v-1", "v̄-1 + v̄1 ∂v1/∂v-1", "v̄-1 + v̄1 / v-1", t.adjoint_steps[8].adjoint)
    # the last step to each variable leaves the adjoint its row holds
    last = {s.name: s.adjoint for s in t.adjoint_steps}
    assert all(last[r.name] == pytest.approx(r.adjoint, rel=1e-12) for r in t.rows[:7])
    lines = str(t).splitlines()
    heading = lines.index("Reverse adjoint trace (seeded on ȳ = 1), read from the bottom up")
    # printed as the survey prints it: its own table, the seed at the bottom, read upwards
    assert lines[heading + 1:][::-1] == [
        "  v̄5  = ȳ                                  = 1",
        "  v̄4  = v̄5 ∂v5/∂v4 = v̄5                    = 1",
        "  v̄3  = v̄5 ∂v5/∂v3 = -v̄5                   = -1",
        "  v̄1  = v̄4 ∂v4/∂v1 = v̄4                    = 1",
        "  v̄2  = v̄4 ∂v4/∂v2 = v̄4                    = 1",
        "  v̄0  = v̄3 ∂v3/∂v0 = v̄3 × cos v0           = -0.284",
        "  v̄-1 = v̄2 ∂v2/∂v-1 = v̄2 × v0              = 5",
        "  v̄0  = v̄0 + v̄2 ∂v2/∂v0 = v̄0 + v̄2 × v-1    = 1.716",
        "  v̄-1 = v̄-1 + v̄1 ∂v1/∂v-1 = v̄-1 + v̄1 / v-1 = 5.5",
        "  x̄1  = v̄-1                                = 5.5",
        "  x̄2  = v̄0                                 = 1.716"]


def test_a_variable_used_twice_by_one_node_gets_both_edges():
    t = ad.trace(lambda x: x * x, x=3.0)
    assert adjoint_trace(t) == [("v̄1", "ȳ", "ȳ", 1),
                                ("v̄0", "v̄1 ∂v1/∂v0", "v̄1 × v0", 3),
                                ("v̄0", "v̄0 + v̄1 ∂v1/∂v0", "v̄0 + v̄1 × v0", 6),
                                ("x̄", "v̄0", "v̄0", 6)]


def test_constants_take_no_step_of_the_sweep():
    t = ad.trace("2 * x1 + x1 / 4", x1=1.0)  # v1 = 2 × v0, v2 = v0 / 4, v3 = v1 + v2
    # the sweep visits v3, v2, v1, so v0 hears from v2 first; 2 and 4 get no adjoint
    assert adjoint_trace(t) == [("v̄3", "ȳ", "ȳ", 1),
                                ("v̄1", "v̄3 ∂v3/∂v1", "v̄3", 1),
                                ("v̄2", "v̄3 ∂v3/∂v2", "v̄3", 1),
                                ("v̄0", "v̄2 ∂v2/∂v0", "v̄2 × 0.25", 0.25),
                                ("v̄0", "v̄0 + v̄1 ∂v1/∂v0", "v̄0 + v̄1 × 2", 2.25),
                                ("x̄1", "v̄0", "v̄0", 2.25)]


def test_the_adjoint_trace_in_intro_style_starts_at_f_and_needs_no_input_steps():
    t = ad.trace("x1**2 + 2*x2", x1=2.0, x2=3.0, style="intro")
    assert adjoint_trace(t) == [("f̄", "", "", 1),
                                ("x̄3", "f̄ ∂f/∂x3", "f̄", 1),
                                ("x̄4", "f̄ ∂f/∂x4", "f̄", 1),
                                ("x̄2", "x̄4 ∂x4/∂x2", "x̄4 × 2", 2),
                                ("x̄1", "x̄3 ∂x3/∂x1", "x̄3 × 2 × x1", 4)]
    assert str(t).endswith("\n  f̄                             = 1")  # the seed, at the bottom
    # inputs named otherwise are read off under their own names, as the primal trace reads
    t = ad.trace(lambda a: a * 2, a=1.5, style="intro")
    assert adjoint_trace(t)[-1] == ("ā", "x̄1", "x̄1", 2)


def test_the_intro_example_in_intro_style():
    t = ad.trace(lambda x1, x2: x1**2 + 2 * x2, x1=2.0, x2=3.0, style="intro")
    assert [(r.name, r.definition, r.primal) for r in t.rows] == [
        ("x1", "x1", 2), ("x2", "x2", 3), ("x3", "x1^2", 4), ("x4", "2 × x2", 6),
        ("f", "x3 + x4", 10)]
    assert (t["f"].tangent, t["x1"].adjoint, t["x2"].adjoint) == (4, 4, 2)
    assert t["x3"].tangent_definition == "ẋ1 × 2 × x1"
    assert "  x3 = x1^2    = 4" in str(t) and "  f  = x3 + x4 = 10" in str(t)


def test_the_seed_chooses_the_input_of_the_tangent_trace():
    t = ad.trace(CLASSIC, x1=2.0, x2=5.0, seed="x2")
    assert [round(r.tangent, 3) for r in t.rows] == [0, 1, 0, 2, 0.284, 2, 1.716, 1.716]
    assert t.seed == "x2" and "Forward tangent trace (seeded on ẋ2 = 1)" in str(t)
    with pytest.raises(ad.errors.UnknownInputError, match="seed 'x3' is not an input of f; "
                                                          "its inputs are x1, x2"):
        ad.trace(CLASSIC, x1=2.0, x2=5.0, seed="x3")


def test_values_by_position_and_parameter_names_of_a_python_function():
    def f(a, n=2.0, b=3.0):
        return a**n * b

    t = ad.trace(f, 2.0, b=5.0)  # n keeps its default and is not an input
    assert [(r.name, r.definition) for r in t.rows[:2]] == [("v-1", "a"), ("v0", "b")]
    assert t["y"].primal == 20 and t["v-1"].adjoint == 20 and t["v0"].adjoint == 4
    assert t.title == "Evaluation trace of f at a = 2, b = 5"


def test_str_aligns_three_sections_and_prints_the_adjoints_bottom_up():
    text = str(ad.trace(CLASSIC, x1=2.0, x2=5.0))
    lines = text.splitlines()
    assert lines[0] == "Evaluation trace of ln(x1) + x1*x2 - sin(x2) at x1 = 2, x2 = 5"
    for line in ("Forward primal trace",
                 "  v-1 = x1       = 2",
                 "  v1  = ln v-1   = 0.693",
                 "  v3  = sin v0   = -0.959",
                 "  y   = v5       = 11.652",
                 "Forward tangent trace (seeded on ẋ1 = 1)",
                 "Reverse adjoint trace (seeded on ȳ = 1), read from the bottom up"):
        assert line in lines
    assert any(line.startswith("  v̇1  = v̇-1 ∂v1/∂v-1 = v̇-1 / v-1 ") and line.endswith(" = 0.5")
               for line in lines)
    adjoints = [line.split()[0] for line in lines[lines.index(
        "Reverse adjoint trace (seeded on ȳ = 1), read from the bottom up") + 1:]]
    assert adjoints[::-1] == ["v̄5", "v̄4", "v̄3", "v̄1", "v̄2", "v̄0", "v̄-1", "v̄0", "v̄-1", "x̄1",
                              "x̄2"]
    # the values line up in one column within a section
    primal = lines[2:10]
    assert len({line.index("= ", 8) for line in primal if line.count("=") == 2}) == 1


def test_html_shows_the_forward_traces_side_by_side_and_the_sweep_as_its_own_table():
    def f(x1, x2):
        return ad.log(x1) + x1 * x2 - ad.sin(x2)

    f.__name__ = "<f & g>"
    t = ad.trace(f, x1=2.0, x2=5.0)
    page = t._repr_html_()
    forward, reverse = page.split("</table>")[:2]
    assert "<caption>Evaluation trace of &lt;f &amp; g&gt; at x1 = 2, x2 = 5</caption>" in forward
    assert forward.count("<tr>") == 1 + 8  # the heading and one row per variable
    assert "Forward tangent trace (seeded on ẋ<sub>1</sub> = 1)" in forward
    assert re.search(r"<td [^>]*>v<sub>1</sub> = ln v<sub>-1</sub></td>"
                     r"<td style='text-align:right[^>]*>0.693</td>"
                     r"<td [^>]*>v̇<sub>1</sub> = v̇<sub>-1</sub> ∂v<sub>1</sub>/∂v<sub>-1</sub> = "
                     r"v̇<sub>-1</sub> / v<sub>-1</sub></td>", forward)  # one row, one variable
    assert "v̄" not in forward
    assert "Reverse adjoint trace (seeded on ȳ = 1), read from the bottom up" in reverse
    assert reverse.count("<tr>") == 1 + 11  # the heading and one row per step of the sweep
    steps = re.findall(r"<td [^>]*>(v̄<sub>[^<]*</sub>|x̄<sub>\d</sub>) = ", reverse)
    assert steps[::-1] == [HTML.name(s.name, "bar") for s in t.adjoint_steps]
    assert ("v̄<sub>-1</sub> = v̄<sub>-1</sub> + v̄<sub>1</sub> ∂v<sub>1</sub>/∂v<sub>-1</sub> = "
            "v̄<sub>-1</sub> + v̄<sub>1</sub> / v<sub>-1</sub>") in reverse
    assert re.search(r"<td style='text-align:right[^>]*>1.716</td>", reverse)
    assert "from the bottom up" in page.split("</table>")[-1]  # the note under it
    assert "<td style='text-align:left;border-left:1px solid #bbb;padding:2px 6px 2px 12px'>" \
           "</td>" not in page  # no empty cells: no line stands beside an unrelated one


def test_text_html_and_latex_list_the_same_lines_in_the_same_order():
    t = ad.trace(CLASSIC, x1=2.0, x2=5.0)
    text = [line.split(" = ")[0].strip() for line in str(t).splitlines()
            if line.startswith("  ")]
    html_names = re.findall(r"<td style='text-align:left[^>]*>([^=]*) = ", t._repr_html_())
    latex = t.to_latex().splitlines()
    latex_names = [cell.split(" = ")[0].strip("$ ") for row in latex if row.endswith(r"\\")
                   and not row.startswith(r"\multicolumn") for cell in row.split(" & ")[::2]]
    as_text = [TEXT.name(*_parts(n)) for n in text]
    # text lists the primal, tangent and adjoint sections; HTML and LaTeX put the first two
    # side by side, so their order interleaves the primal and tangent rows
    primal, tangent, adjoint = as_text[:8], as_text[8:16], as_text[16:]
    side_by_side = [name for pair in zip(primal, tangent) for name in pair] + adjoint
    assert [TEXT.name(*_parts(_unhtml(n))) for n in html_names] == side_by_side
    assert [_unlatex(n) for n in latex_names] == side_by_side


def _parts(name):
    for mark, char in (("dot", "\u0307"), ("bar", "\u0304")):
        plain = unicodedata.normalize("NFD", name)
        if char in plain:
            return plain.replace(char, ""), mark
    return name, ""


def _unhtml(name):
    return re.sub(r"</?sub>", "", name)


def _unlatex(name):
    m = re.fullmatch(r"(?:\\(dot|bar)\{(\w+)\}|(\w+))(?:_\{(-?\d+)\})?", name)
    mark, marked, plain, sub = m.groups()
    return TEXT.name((marked or plain) + (sub or ""), mark or "")


def test_latex_is_two_tabulars_the_sweep_read_upwards():
    latex = ad.trace(CLASSIC, x1=2.0, x2=5.0).to_latex()
    forward, reverse = latex.split("\n\n")
    lines = forward.splitlines()
    assert lines[0] == r"\begin{tabular}{lrlr}" and lines[-1] == r"\end{tabular}"
    rows = lines[4:-2]  # between the heading's rules and the closing rule
    assert len(rows) == 8 and all(row.endswith(r" \\") and row.count("&") == 3 for row in rows)
    assert rows[2] == (r"$v_{1} = \ln v_{-1}$ & $0.693$ & "
                       r"$\dot{v}_{1} = \dot{v}_{-1} \frac{\partial v_{1}}{\partial v_{-1}}"
                       r" = \frac{\dot{v}_{-1}}{v_{-1}}$ & $0.5$ \\")
    lines = reverse.splitlines()
    assert lines[0] == r"\begin{tabular}{lr}" and lines[-1] == r"\end{tabular}"
    assert r"read from the bottom up" in lines[2]
    rows = lines[4:-2]
    assert len(rows) == 11 and all(row.count("&") == 1 for row in rows)
    assert rows[-1] == r"$\bar{v}_{5} = \bar{y}$ & $1$ \\"  # the seed, at the bottom
    assert rows[2] == (r"$\bar{v}_{-1} = \bar{v}_{-1} + \bar{v}_{1} "
                       r"\frac{\partial v_{1}}{\partial v_{-1}} = "
                       r"\bar{v}_{-1} + \frac{\bar{v}_{1}}{v_{-1}}$ & $5.5$ \\")
    assert latex.count("{") == latex.count("}")


def test_numbers_are_printed_as_the_textbook_prints_them():
    t = ad.trace("x * 1000000000 + 0.0001 * y - y", x=2.0, y=1.0, digits=3)
    text = str(t)
    assert "= 2000000000.0001" not in text and "= 2e+09" in text  # huge: 3 significant
    assert "= 0.0001" in text  # tiny: not rounded away to 0
    assert "= -0.9999" not in text and "= -1" in text  # 3 decimals otherwise


def test_a_constant_output_and_an_output_that_is_an_input():
    t = ad.trace(lambda x: 3.0, x=1.0)
    assert [(r.name, r.definition, r.primal, r.adjoint) for r in t.rows] == [
        ("v0", "x", 1.0, 0.0), ("y", "3", 3.0, 1.0)]
    assert adjoint_trace(t) == [("ȳ", "", "", 1), ("x̄", "v̄0", "v̄0", 0)]
    t = ad.trace(lambda x: x, x=1.5, style="intro")
    assert [(r.name, r.definition, r.tangent, r.adjoint) for r in t.rows] == [
        ("x1", "x", 1.0, 1.0), ("f", "x1", 1.0, 1.0)]
    assert adjoint_trace(t) == [("x̄1", "f̄", "f̄", 1), ("x̄", "x̄1", "x̄1", 1)]


def test_a_deep_trace_needs_no_recursion():
    def f(x):
        for _ in range(3000):
            x = ad.sin(x)
        return x

    t = ad.trace(f, x=1.0)
    assert len(t.rows) == 3002 and t["v3000"].definition == "sin v2999"
    assert t["v3000"].tangent == pytest.approx(ad.grad(f)(1.0)[0], rel=1e-12)


@pytest.mark.parametrize("call, error, message", [
    (lambda: ad.trace(CLASSIC, x1=2.0), ad.errors.ArgumentError,
     r"no value for x2: pass x2=\.\.\. \(f's inputs are x1, x2\)"),
    (lambda: ad.trace(CLASSIC, x1=2.0, x2=5.0, x3=1.0), ad.errors.UnknownInputError,
     "f has no input 'x3'; its inputs are x1, x2"),
    (lambda: ad.trace(CLASSIC, 1.0, 2.0, 3.0), ad.errors.ArgumentError,
     r"f takes 2 inputs \(x1, x2\), but got 3 values"),
    (lambda: ad.trace(CLASSIC, 1.0, x1=2.0, x2=5.0), ad.errors.ArgumentError,
     "x1 got two values, by position and by name"),
    (lambda: ad.trace(CLASSIC, x1=2.0, x2=5.0, style="fancy"), ad.errors.ArgumentError,
     "style must be one of 'textbook', 'intro', not 'fancy'"),
    (lambda: ad.trace(CLASSIC, x1=-2.0, x2=5.0), ad.errors.DomainError,
     r"ln \(-2\) is not defined: the logarithm needs a positive input"),
    (lambda: ad.trace(CLASSIC, x1="two", x2=5.0), ad.errors.NotANumberError,
     "must be a real number"),
    (lambda: ad.trace("ln(x1) +", x1=2.0), ad.errors.ParseError, "not a valid expression"),
    (lambda: ad.trace("__import__('os')", x1=2.0), ad.errors.ParseError, "unknown function"),
    (lambda: ad.trace("2 * pi"), ad.errors.ArgumentError,
     "f has no inputs, so there is nothing to differentiate"),
    (lambda: ad.trace(42, x=1.0), ad.errors.ArgumentError,
     "trace needs a Python function or an expression text, not 42"),
    (lambda: ad.trace(lambda x: "a", x=1.0), ad.errors.NotANumberError,
     "the value returned by f must be a real number"),
])
def test_bad_input_gets_a_clear_adlearn_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


# Property tests over random expressions (tests/exprs.py): the trace's tangent is
# forward mode's jvp, its adjoints are reverse mode's grad, and every formula it prints
# evaluates (through the safe parser) to the number printed beside it.

def as_function(expr):
    """expr as a Python function with named parameters a, b, c (trace reads the names)."""
    names = "abc"[:expr.n_inputs]

    def f(*args):
        return expr(*args)

    f.__signature__ = inspect.Signature(
        [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in names])
    return f, names


SETTINGS = settings(max_examples=100, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(expressions(), st.data())
def test_tangents_are_jvp_and_adjoints_are_grad(expr, data):
    f, names = as_function(expr)
    k = data.draw(st.integers(0, expr.n_inputs - 1))
    t = ad.trace(f, *expr.point, seed=names[k])
    direction = [1.0 if i == k else 0.0 for i in range(expr.n_inputs)]
    value, tangent = ad.jvp(expr, expr.point, direction)
    assert t["y"].primal == value
    assert t["y"].tangent == pytest.approx(tangent, rel=1e-12, abs=1e-12)
    gradient = ad.grad(expr)(*expr.point)
    assert [row.adjoint for row in t.rows[:expr.n_inputs]] == list(gradient)


MARKS = {"\u0307": "_d", "\u0304": "_b"}


def as_python(text):
    """A printed trace formula as text the safe parser reads: v̇-1 × v0 -> v_d_m1 * v_0."""
    text = unicodedata.normalize("NFD", text)  # ẋ -> x and a combining dot
    text = re.sub(r"(?<![\w.])([abcvy])([\u0307\u0304]?)(-?\d*)(?!\w)",
                  lambda m: f"{m[1]}{MARKS.get(m[2], '')}_{m[3].replace('-', 'm')}", text)
    text = text.replace("×", "*").replace("^", "**").replace("σ", "sigmoid")
    text = re.sub(r"\|([^|]*)\|", r"abs(\1)", text)
    return re.sub(r"(\b(?:ln|exp|sin|cos|tanh|tan|relu) |√)(\([^()]*\)|[\w.]+)",
                  lambda m: f"{m[1].strip().replace('√', 'sqrt')}({m[2]})", text)


@SETTINGS
@given(expressions(), st.data())
def test_every_printed_formula_evaluates_to_its_number(expr, data):
    f, names = as_function(expr)
    seed = data.draw(st.sampled_from(names))
    t = ad.trace(f, *expr.point, seed=seed)
    values = {}  # v_m1: primal of v-1, v_d_m1: its tangent, v_b_m1: its adjoint; a_: input a
    for row in t.rows:
        for mark, number in (("", row.primal), ("\u0307", row.tangent), ("\u0304", row.adjoint)):
            values[as_python(re.sub(r"^([a-z]+)", r"\g<1>" + mark, row.name))] = number
    values.update({f"{n}_": v for n, v in zip(names, expr.point)})
    values.update({f"{n}_d_": float(n == seed) for n in names})
    scale = max(1.0, *(abs(v) for v in values.values()))
    for row in t.rows:
        for text, number in ((row.definition, row.primal), (row.tangent_definition, row.tangent),
                             (row.adjoint_definition, row.adjoint)):
            if text:
                formula = ad.parse(as_python(text))
                got = formula(**{v: values[v] for v in formula.variables})
                assert abs(got - number) <= 1e-4 * scale, (row, text, as_python(text))
    # the adjoint trace, step by step: a step reads the adjoints as the steps before it
    # left them (each starts at 0, as in the textbook); an adjoint's first step sets it,
    # a later one adds to it, so only a later one reads its own adjoint
    adjoints = {"y_b_": 1.0}
    primals = {k: v for k, v in values.items() if "_d_" not in k and "_b_" not in k}
    for step in t.adjoint_steps:
        bar = bar_key(step.name)
        later = step.chain_rule.startswith(TEXT.name(step.name, "bar") + " + ")
        assert later == (bar in adjoints), step
        if step.definition:
            formula = ad.parse(as_python(step.definition))
            got = formula(**{v: primals.get(v, adjoints.get(v, 0.0)) for v in formula.variables})
            assert abs(got - step.adjoint) <= 1e-4 * scale, (step, as_python(step.definition))
        adjoints[bar] = step.adjoint
    for row in t.rows:  # each adjoint ends as the engine's
        assert adjoints.get(bar_key(row.name), 0.0) == pytest.approx(row.adjoint, rel=1e-9,
                                                                     abs=1e-9)


def bar_key(name):
    """The key of a variable's adjoint in the values above: v-1 -> v_b_m1, a -> a_b_."""
    return as_python(re.sub(r"^([a-z]+)", "\\g<1>\u0304", name))


def test_as_python_reads_the_textbook_formulas():
    assert as_python("v̇-1 × v0 + v̇0 × v-1") == "v_d_m1 * v_0 + v_d_0 * v_m1"
    assert as_python("v̄3 × cos v0 - ȳ / v-1^2") == "v_b_3 * cos(v_0) - y_b_ / v_m1**2"
    assert as_python("σ(v1) + |v2| + √v3 + ln (v4 + 1)") == \
        "sigmoid(v_1) + abs(v_2) + sqrt(v_3) + ln((v_4 + 1))"


# The command line: adlearn trace EXPR --at x1=2 x2=5 [--seed x1] [--style intro]

def run(capsys, *argv):
    status = main(["trace", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_cli_prints_the_textbook_trace(capsys):
    status, out, err = run(capsys, CLASSIC, "--at", "x1=2", "x2=5")
    assert status == 0 and err == ""
    assert out == str(ad.trace(CLASSIC, x1=2.0, x2=5.0)) + "\n"
    assert "  v1  = ln v-1   = 0.693\n" in out


def test_cli_seed_and_style(capsys):
    status, out, _ = run(capsys, CLASSIC, "--at", "x1=2", "x2=5", "--seed", "x2")
    assert status == 0 and "Forward tangent trace (seeded on ẋ2 = 1)" in out
    status, out, _ = run(capsys, "x1**2 + 2*x2", "--at", "x1=2", "x2=3", "--style", "intro")
    assert status == 0 and "  x4 = 2 × x2  = 6\n" in out and "  f  = x3 + x4 = 10\n" in out


@pytest.mark.parametrize("argv, message", [
    (["ln(x1) +", "--at", "x1=2"], "this is not a valid expression"),
    ([CLASSIC, "--at", "x1=2", "x2=5", "x3=1"], "the expression has no variable 'x3'"),
    ([CLASSIC, "--at", "x1=2"], "no value for x2: add x2=... after --at"),
    ([CLASSIC, "--at", "x1=-1", "x2=5"], "ln (-1) is not defined"),
    ([CLASSIC, "--at", "x1=2", "x2=5", "--seed", "x3"], "seed 'x3' is not an input of f"),
    ([CLASSIC, "--at", "x1=two", "x2=5"], "the value of x1 must be a number"),
])
def test_cli_bad_input_exits_2_with_one_clear_line(capsys, argv, message):
    status, out, err = run(capsys, *argv)
    assert status == 2 and out == ""
    assert err.startswith("adlearn: error: ") and message in err and err.count("\n") == 1


def test_cli_refuses_an_unknown_style(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["trace", CLASSIC, "--at", "x1=2", "x2=5", "--style", "fancy"])
    assert exit_.value.code == 2 and "invalid choice: 'fancy'" in capsys.readouterr().err


def test_the_installed_command_runs_without_a_traceback():
    done = subprocess.run([sys.executable, "-m", "adlearn.cli", "trace", "log(x1)", "--at",
                           "x1=0"], capture_output=True, text=True)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("adlearn: error: ln 0 is not defined")


def test_the_readme_shows_the_trace_the_command_prints():
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    command = '$ adlearn trace "log(x1) + x1*x2 - sin(x2)" --at x1=2 x2=5\n'
    shown = readme.split(command, 1)[1].split("```", 1)[0]
    assert shown == str(ad.trace("log(x1) + x1*x2 - sin(x2)", x1=2.0, x2=5.0)) + "\n"


def test_latex_writes_the_local_partials_with_the_parentheses_they_need():
    latex = ad.trace("sigmoid(x) + x**y", x=0.5, y=3.0).to_latex()
    assert r"\dot{v}_{1} = \dot{v}_{-1} \frac{\partial v_{1}}{\partial v_{-1}} = " \
           r"\dot{v}_{-1} \times v_{1} \times (1 - v_{1})$" in latex
    assert r"\bar{v}_{2} \times v_{0} \times {v_{-1}}^{v_{0} - 1}" in latex


@pytest.mark.parametrize("name", ["seed", "style", "digits", "f", "args", "values"])
def test_an_input_may_be_named_like_an_option_given_the_point_as_a_mapping(name):
    """Any name gets through in a mapping; by keyword, a name that is also an option of
    trace is taken as the option, and the error says to use a mapping."""
    table = ad.trace(f"{name}*x", {name: 2.0, "x": 1.0})
    assert table.rows[0].name == "v-1" and table.rows[0].definition == name
    assert table.rows[-1].primal == 2.0 and table.rows[0].adjoint == 1.0
    assert str(table) == str(ad.trace(f"{name}*x", 2.0, 1.0))
    assert str(ad.trace(f"{name}*x", {name: 2.0}, x=1.0)) == str(table)
    if name in ("seed", "digits"):
        with pytest.raises(ArgumentError, match=f"no value for {name}: .*{name}= is also an "
                                                "option here, so give the point as one mapping"):
            ad.trace(f"{name}*x", **{name: 2.0, "x": 1.0})


def test_a_point_given_twice_or_not_a_real_number():
    with pytest.raises(ArgumentError, match="x got two values, in the mapping and by name"):
        ad.trace("x*y", {"x": 1.0, "y": 2.0}, x=3.0)
    with pytest.raises(DomainError, match="the value of x must be a finite real number, but got inf"):
        ad.trace("x*y", x=math.inf, y=2.0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["x1", "x2", "x3", "x10", "a", "f", "y"]), min_size=1,
                max_size=5, unique=True), st.randoms(use_true_random=False))
def test_intro_names_never_take_a_learners_name(names, rng):
    """Whatever the learner calls the inputs, every node gets a name of its own, an input
    named like x2 keeps it, and no other node is called by an input's name."""
    inputs = [ad.Var(float(i + 1), name=n) for i, n in enumerate(names)]
    y = inputs[0]
    for x in rng.sample(inputs, len(inputs)):
        y = ad.sin(y * x) + x
    given = Recording(y, inputs, "intro").names
    assert len(set(given.values())) == len(given)
    for x in inputs:
        if re.fullmatch(r"x\d+", x.name):
            assert given[x] == x.name
    learners = set(names)
    assert all(given[n] not in learners for n in given if n not in inputs)


@pytest.mark.parametrize("style, text, expected", [
    ("textbook", "x**y", "f"), ("textbook", "x*f*y", "out"), ("textbook", "x*2", "y"),
    ("intro", "f", "y"), ("intro", "x", "f")])
def test_the_output_row_is_not_called_by_an_inputs_name(style, text, expected):
    """An input called y met the output row y: "ȳ = 1" as the seed, then "ȳ = v̄0 = 0"."""
    point = {name: 2.0 for name in ad.parse(text).variables}
    table = ad.trace(text, point, style=style)
    if table.output_name != table.rows[-1].name:  # the output is an intermediate (intro)
        assert expected == "f" and table.rows[-1].name == "f"
        return
    assert table.output_name == table.rows[-1].name == expected
    lines = str(table).splitlines()
    bar = TEXT.name(expected, "bar")
    assert f"seeded on {bar} = 1" in str(table)  # the output's adjoint is only the seed,
    assert not any(line.strip().startswith(f"{bar} ") for line in lines)  # no input's
