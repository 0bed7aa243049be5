"""The rule table, rule by rule: values and local partials against SymPy, printed forms,
and that no other core module writes a derivative formula of its own."""

import ast
import inspect
import math
from pathlib import Path

import pytest
import sympy as sp

import adlearn
from adlearn.core.rules import RULES
from adlearn.text import number_text

# Points inside each rule's domain (away from poles, kinks and non-positive logarithms).
ONE_INPUT = (-1.3, -0.4, 0.7, 1.9)
POINTS = {
    "log": (0.3, 1.0, 2.5), "sqrt": (0.3, 1.0, 2.5),
    "add": ((1.5, -2.0), (0.0, 3.0)), "sub": ((1.5, -2.0), (0.0, 3.0)),
    "mul": ((1.5, -2.0), (0.25, 3.0)), "div": ((1.5, -2.0), (-0.3, 0.7)),
    "powc": ((1.5, 3.0), (-1.2, 2.0), (0.8, -0.5), (2.0, 0.5), (-0.7, -1.0)),
    "pow": ((1.5, 3.0), (0.8, -0.5), (2.0, 1.7)),
    "cpow": ((1.5, 3.0), (0.8, -0.5), (2.0, 1.7), (0.25, 0.5)),
}


def arity(rule):
    return len(inspect.signature(rule.value).parameters)


def points(name):
    return POINTS.get(name, ONE_INPUT)


@pytest.mark.parametrize("name", sorted(RULES))
def test_value_and_partials_agree_with_sympy(name):
    rule = RULES[name]
    symbols = sp.symbols(f"a0:{arity(rule)}", real=True)
    expr = rule.sympy(sp, *symbols)
    for point in points(name):
        point = point if isinstance(point, tuple) else (point,)
        at = {s: sp.Rational(v) for s, v in zip(symbols, point)}
        out = rule.value(*point)
        assert out == pytest.approx(float(expr.evalf(30, subs=at)), rel=1e-12, abs=1e-12)
        partials = rule.partials(out, *point)
        assert len(partials) == arity(rule)
        for i, (partial, s) in enumerate(zip(partials, symbols)):
            if (name, i) in (("powc", 1), ("cpow", 0)):  # a constant: no adjoint flows to it
                assert partial == 0.0
                continue
            exact = float(sp.diff(expr, s).evalf(30, subs=at))
            assert partial == pytest.approx(exact, rel=1e-12, abs=1e-12), (name, point, i)


@pytest.mark.parametrize("name", sorted(RULES))
def test_every_rule_has_text_latex_and_sympy_forms(name):
    rule = RULES[name]
    names = ["a", "b"][: arity(rule)]
    for form in (rule.text, rule.latex):
        shown = form.format(*names)
        assert all(n in shown for n in names) and shown.strip() != " ".join(names)
    assert isinstance(rule.sympy(sp, *sp.symbols(names)), sp.Expr)
    assert rule.name == name


def test_the_table_holds_exactly_the_operations_of_the_issue():
    assert set(RULES) == {"add", "sub", "mul", "div", "neg", "powc", "cpow", "pow", "exp", "log",
                          "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "abs"}


def test_sigmoid_does_not_overflow_at_large_inputs():
    assert RULES["sigmoid"].value(-800.0) == 0.0
    assert RULES["sigmoid"].value(800.0) == 1.0


@pytest.mark.parametrize("value, text", [(2.0, "2"), (-1.5, "(-1.5)"), (0.1, "0.1"),
                                         (1e20, "1e+20"), (math.pi, "3.14159")])
def test_number_text(value, text):
    assert number_text(value) == text


# Core modules other than rules.py may not compute an elementary function themselves:
# a derivative such as cos for sin, or 1/x for log, can only come from the rule table.
CORE = ["core/engine", "core/forward", "core/functions", "core/transforms", "lessons/numeric",
        "lessons/symbolic", "core/parse", "cli"]
ELEMENTARY = {"exp", "log", "log1p", "sqrt", "sin", "cos", "tan", "tanh", "Abs", "Max",
              "Piecewise", "Heaviside", "sign"}
LIBRARIES = {"math", "cmath", "sp", "sympy", "np", "numpy"}


@pytest.mark.parametrize("module", CORE)
def test_no_derivative_formula_outside_the_rule_table(module):
    source = (Path(adlearn.__file__).parent / f"{module}.py").read_text()
    tree = ast.parse(source)
    offending = [
        f"{node.value.id}.{node.attr} (line {node.lineno})"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
        and node.value.id in LIBRARIES and node.attr in ELEMENTARY
    ]
    imported = [
        f"{alias.name} from {node.module} (line {node.lineno})"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module in LIBRARIES
        for alias in node.names if alias.name in ELEMENTARY
    ]
    assert not offending + imported
    # and no rule is written out by hand: an op name is never compared with a string
    compared = [
        f"line {node.lineno}" for node in ast.walk(tree) if isinstance(node, ast.Compare)
        for c in node.comparators
        if isinstance(c, ast.Constant) and c.value in RULES
    ]
    assert not compared
