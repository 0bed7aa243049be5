"""The safe parser: what it accepts, what it rejects (and where), and that it never evals."""

import ast
import builtins
import math
import re

import pytest
from exprs import expressions
from hypothesis import given, settings

import adlearn as ad
from adlearn.errors import ParseError
from adlearn.core.parse import MAX_LENGTH

SURVEY = "log(x1) + x1*x2 - sin(x2)"


def test_the_survey_example():
    f = ad.parse(SURVEY)
    assert f.variables == ("x1", "x2")
    expected = math.log(2.0) + 10.0 - math.sin(5.0)
    assert f(2.0, 5.0) == expected
    assert f(x1=2.0, x2=5.0) == expected
    assert f(2.0, x2=5.0) == expected
    assert f.text == SURVEY and repr(f) == f"parse({SURVEY!r})"


def test_callable_over_vars_and_duals():
    f = ad.parse(SURVEY)
    assert ad.grad(f)(2.0, 5.0) == (5.5, 2.0 - math.cos(5.0))
    x1, x2 = ad.Var(2.0, name="x1"), ad.Var(5.0, name="x2")
    y = f(x1=x1, x2=x2)
    y.backward()
    assert x1.grad == 5.5
    assert ad.jvp(f, (2.0, 5.0), (1.0, 0.0))[1] == 5.5


def test_variables_in_order_of_first_appearance():
    f = ad.parse("b * a + c / b")
    assert f.variables == ("b", "a", "c")
    assert f(2.0, 3.0, 4.0) == 2.0 * 3.0 + 4.0 / 2.0


@pytest.mark.parametrize("text, x, expected", [
    ("2", 0.0, 2.0), ("1.5e1", 0.0, 15.0), ("x", 3.0, 3.0), ("-x", 3.0, -3.0), ("+x", 3.0, 3.0),
    ("x + 1", 3.0, 4.0), ("x - 1", 3.0, 2.0), ("2 * x", 3.0, 6.0), ("x / 2", 3.0, 1.5),
    ("x ** 2", 3.0, 9.0), ("2 ** x", 3.0, 8.0), ("-x ** 2", 3.0, -9.0), ("(1 + x) * 2", 3.0, 8.0),
    ("pi * x", 2.0, 2 * math.pi), ("exp(x)", 1.0, math.e), ("log(x)", math.e, 1.0),
    ("ln(x)", math.e, 1.0), ("sqrt(x)", 9.0, 3.0), ("sin(x)", 0.5, math.sin(0.5)),
    ("cos(x)", 0.5, math.cos(0.5)), ("tan(x)", 0.5, math.tan(0.5)),
    ("tanh(x)", 0.5, math.tanh(0.5)), ("sigmoid(x)", 0.0, 0.5), ("relu(x)", -2.0, 0.0),
    ("abs(x)", -2.0, 2.0), ("  x  ", 1.0, 1.0), ("(x +\n 1)", 1.0, 2.0),
])
def test_the_whitelist(text, x, expected):
    f = ad.parse(text)
    assert f(*[x] * len(f.variables)) == pytest.approx(expected, rel=1e-15)


def test_an_expression_without_variables():
    f = ad.parse("2 * pi")
    assert f.variables == () and f() == 2 * math.pi


def test_a_call_with_wrong_arguments_names_the_variables():
    f = ad.parse("x1 * x2")
    with pytest.raises(TypeError, match="takes x1, x2"):
        f(1.0)
    with pytest.raises(TypeError, match="takes x1, x2"):
        f(1.0, 2.0, x3=3.0)


@settings(max_examples=100, deadline=None)
@given(expressions())
def test_random_expressions_parse_to_the_same_function(expr):
    f = ad.parse(expr.text)
    values = {f"x{i + 1}": v for i, v in enumerate(expr.point)}
    assert f(**{name: values[name] for name in f.variables}) == expr(*expr.point)


# Each rejected text, the part the error must point at, and words the message must use.
REJECTED = [
    ("x1 + a.b", "a.b", "attribute"),
    ("x + os.system", "os.system", "attribute"),
    ("2 * y[0]", "y[0]", "subscript"),
    ("x + (lambda: 1)", "lambda: 1", "lambda"),
    ('__import__("os")', "__import__", "unknown function '__import__'"),
    ("__import__('os').system('ls')", "__import__('os').system", "unknown function"),
    ("x + foo(x)", "foo", "unknown function 'foo'"),
    ("eval('1')", "eval", "unknown function 'eval'"),
    ("x < 1", "x < 1", "comparison"),
    ("x^2", "x^2", "use ** for powers, not ^"),
    ("x // 2", "x // 2", "use / for division"),
    ("x % 2", "x % 2", "%"),
    ("x and y", "x and y", "and/or"),
    ("x if y else 1", "x if y else 1", "if-expression"),
    ("[x]", "[x]", "list"),
    ("1 + 'a'", "'a'", "not a real number"),
    ("True * x", "True", "not a real number"),
    ("2j * x", "2j", "not a real number"),
    ("sin", "sin", "is a function"),
    ("_x + 1", "_x", "names starting with _"),
    ("sin(x, y)", "sin(x, y)", "exactly one argument"),
    ("sin(*x)", "*x", "starred"),
    ("π * a.b", "a.b", "attribute"),
    ("(x +\n a.b)", "a.b", "attribute"),
    ("1 +", "1 +", "not a valid expression"),
    ("x = 1", "=", "not a valid expression"),
    ("import os", "import", "not a valid expression"),
]


@pytest.mark.parametrize("text, part, words", REJECTED)
def test_rejected_with_an_error_that_points_at_the_offending_part(text, part, words):
    with pytest.raises(ParseError) as caught:
        ad.parse(text)
    error = caught.value
    assert words in error.message
    assert error.text[error.start:error.end] == part
    assert str(error).splitlines()[0] == error.message
    assert isinstance(error, ValueError) and isinstance(error, ad.AdlearnError)


def test_the_carets_sit_under_the_offending_part():
    with pytest.raises(ParseError) as caught:
        ad.parse("x1 + a.b")
    assert str(caught.value).splitlines()[1:] == ["  x1 + a.b", "       ^^^"]


def test_empty_text():
    for text in ("", "   "):
        with pytest.raises(ParseError, match="the expression is empty") as caught:
            ad.parse(text)
        assert caught.value.start == 0


def test_too_long_text():
    with pytest.raises(ParseError, match=f"longer than {MAX_LENGTH} characters") as caught:
        ad.parse("x + " * (MAX_LENGTH // 4) + "x")
    assert (caught.value.start, caught.value.end) == (0, 60)


@pytest.mark.parametrize("text", ["-" * 9999 + "x", "(" * 1000 + "x" + ")" * 1000,
                                  "sin(" * 1500 + "x" + ")" * 1500])
def test_deep_nesting(text):
    with pytest.raises(ParseError, match="nested too deeply|too many nested parentheses") as caught:
        ad.parse(text)
    error = caught.value
    assert 0 <= error.start < error.end <= len(text)
    assert len(str(error).splitlines()[1]) < 100  # the shown text is cut, not 5000 characters


def test_not_text():
    with pytest.raises(TypeError, match="as text"):
        ad.parse(42)


def test_parse_never_evals_or_execs(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("eval/exec called")

    real_compile = builtins.compile

    def only_ast(source, filename, mode, flags=0, *args, **kwargs):
        assert flags & ast.PyCF_ONLY_AST, "compile() made code, not a syntax tree"
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    monkeypatch.setattr(builtins, "compile", only_ast)
    f = ad.parse(SURVEY + " + sqrt(x1) ** 2 / tanh(x2) + relu(-x1) + pi")
    expected = math.log(2.0) + 10.0 - math.sin(5.0) + 2.0 / math.tanh(5.0) + math.pi
    assert f(2.0, 5.0) == pytest.approx(expected, rel=1e-15)
    assert ad.grad(f)(2.0, 5.0)[0] == pytest.approx(5.5 + 1.0 / math.tanh(5.0))
    with pytest.raises(ParseError):
        ad.parse('__import__("os").system("echo hacked")')


@pytest.mark.parametrize("text", ["x + " * 100 + "a.b + x", "(x +\n a.b)", "a.b" + " + x" * 100])
def test_the_carets_sit_under_the_offending_part_of_a_long_or_multiline_text(text):
    with pytest.raises(ParseError) as caught:
        ad.parse(text)
    shown, carets = str(caught.value).splitlines()[1:]
    assert len(shown) < 80
    assert shown[carets.index("^"):][:3] == "a.b" and carets.strip() == "^^^"


@pytest.mark.parametrize("terms", [1000, MAX_LENGTH // 2])
def test_a_long_flat_sum_is_not_nested(terms):
    """Nesting counts, not length: x + x + ... is one level deep however long it is (the
    compiler walks the tree with a loop, so its depth costs no Python stack)."""
    f = ad.parse(" + ".join(["x"] * terms) if terms == 1000 else "+".join(["x"] * terms))
    assert f(1.0) == terms and ad.grad(f)(1.0) == (terms,)
    g = ad.parse("*".join(["x"] * 1000))
    assert g(1.0) == 1.0 and ad.grad(g)(1.0) == (1000.0,)
    assert ad.parse("-" * 4000 + "x")(2.0) == 2.0


@pytest.mark.parametrize("text", ["1" + "0" * 400, "1e400", "x * 2e308", "-1e999 + x"])
def test_a_number_too_large_for_a_float_is_refused_where_it_stands(text):
    with pytest.raises(ParseError, match="this number is too large for a float") as caught:
        ad.parse(text)
    number = text[caught.value.start:caught.value.end]
    assert number.strip("-") in ("1" + "0" * 400, "1e400", "2e308", "1e999")


@pytest.mark.parametrize("text", ["x\udcff + 1", "sin(\ud800)", "\udc80"])
def test_text_that_is_not_unicode_is_refused(text):
    """A lone surrogate (what Python makes of a byte that is not UTF-8) has no UTF-8 form,
    so ast.parse would fail with a UnicodeEncodeError; the message is printable text."""
    with pytest.raises(ParseError, match="not text") as caught:
        ad.parse(text)
    assert text[caught.value.start] >= "\ud800" and str(caught.value).encode("utf-8")


@pytest.mark.parametrize("text, called", [("np.sin(x)", "'np.sin'"), ("math.log(x)", "'math.log'"),
                                          ("(x)(2)", "'x'"), ("sinh(x)", "'sinh'")])
def test_an_unknown_function_is_named(text, called):
    with pytest.raises(ParseError, match=f"unknown function {re.escape(called)}: the functions"):
        ad.parse(text)


@pytest.mark.parametrize("name", ["self", "args", "kwargs", "text", "variables"])
def test_a_variable_may_have_any_name(name):
    f = ad.parse(f"{name} + 1")
    assert f.variables == (name,) and f(**{name: 2.0}) == f(2.0) == 3.0
    assert ad.grad(f)(2.0) == (1.0,)
