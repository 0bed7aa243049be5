"""Bad input: one test per case. Each error is an adlearn error that subclasses the matching
built-in, says what was wrong and, for a node of a graph, where (the ``at:`` formula)."""

import math

import pytest

import adlearn as ad
from adlearn.errors import (AdlearnError, DomainError, NotANumberError, OverflowDomainError,
                            ParseError, ZeroDivisionDomainError)


@pytest.fixture
def x():
    return ad.Var(2.0, name="x")


def raised(cls, builtin, build):
    """The message of the error build() raises, after checking its classes."""
    with pytest.raises(cls) as caught:
        build()
    assert isinstance(caught.value, AdlearnError) and isinstance(caught.value, builtin)
    return str(caught.value)


def test_log_of_zero_is_a_domain_error_as_in_math_log(x):
    message = raised(DomainError, ValueError, lambda: ad.log(x - 2))
    assert message == ("ln 0 is not defined: the logarithm needs a positive input\n"
                       "  at: ln (x - 2)")
    assert not isinstance(pytest.raises(ValueError, ad.log, 0.0).value, ZeroDivisionError)
    with pytest.raises(ValueError):
        math.log(0)  # the oracle: Python's own logarithm calls it a domain error too


def test_division_by_zero(x):
    y = ad.Var(0.0, name="y")
    message = raised(ZeroDivisionDomainError, ZeroDivisionError, lambda: x / y)
    assert message.startswith("2 / 0 is not defined: division needs a non-zero denominator")
    assert message.endswith("\n  at: x / y")
    message = raised(ZeroDivisionDomainError, ZeroDivisionError, lambda: 1 / (x * x - 4))
    assert message.endswith("\n  at: 1 / ((x × x) - 4)")


def test_log_of_a_negative_number(x):
    message = raised(DomainError, ValueError, lambda: ad.log(x - 3))
    assert message == ("ln (-1) is not defined: the logarithm needs a positive input\n"
                       "  at: ln (x - 3)")


def test_sqrt_of_a_negative_number(x):
    message = raised(DomainError, ValueError, lambda: ad.sqrt(1 - x * x))
    assert message.startswith("√(-3) is not defined: the square root needs x ≥ 0")
    assert message.endswith("\n  at: √(1 - (x × x))")


def test_a_negative_base_to_a_variable_power(x):
    p = ad.Var(0.5, name="p")
    message = raised(DomainError, ValueError, lambda: (-x) ** p)
    assert message.startswith("(-2)^0.5 is not defined: x^y with a variable exponent y needs x > 0")
    assert message.endswith("\n  at: (-x)^p")


def test_zero_to_a_negative_power(x):
    message = raised(ZeroDivisionDomainError, ZeroDivisionError, lambda: (x - 2) ** -1)
    assert message.startswith("0^(-1) is not defined: x^n needs x ≠ 0 when n < 1 "
                              "(0 to a negative power")
    assert message.endswith("\n  at: (x - 2)^(-1)")


@pytest.mark.parametrize("bad, kind", [("2", "a str"), (None, "a NoneType"),
                                       (1j, "a complex number"), (True, "a bool"),
                                       ([1.0], "a list")])
def test_values_that_are_not_real_numbers(x, bad, kind):
    for build in (lambda: ad.Var(bad, name="v"), lambda: x + bad, lambda: bad * x,
                  lambda: ad.sin(bad), lambda: ad.Dual(bad, 1.0)):
        message = raised(NotANumberError, TypeError, build)
        assert f"must be a real number, but got {bad!r} ({kind})" in message
    assert "the value of Var 'v'" in raised(NotANumberError, TypeError, lambda: ad.Var(bad, "v"))
    assert "mixed with a Var" in raised(NotANumberError, TypeError, lambda: x + bad)
    assert "the input of sin" in raised(NotANumberError, TypeError, lambda: ad.sin(bad))


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_nan_and_infinite_inputs(x, bad):
    for build in (lambda: ad.Var(bad), lambda: x * bad, lambda: ad.exp(bad),
                  lambda: ad.Dual(1.0, bad)):
        message = raised(DomainError, ValueError, build)
        assert f"must be a finite real number, but got {bad}" in message


def test_nan_never_comes_out_silently():
    # inf - inf would be nan: the rule table refuses to make it
    with pytest.raises(AdlearnError):
        ad.grad(lambda a: a / 0.0)(1.0)


def test_overflow(x):
    message = raised(OverflowDomainError, OverflowError, lambda: ad.exp(x * 500))
    assert message == ("exp 1000 is too large for a float (the largest float is about 1.8e308)"
                       "\n  at: exp (x × 500)")
    message = raised(OverflowDomainError, OverflowError, lambda: (x * 10) ** 400)
    assert message.startswith("20^400 is too large for a float (the largest")
    # the message does not borrow a domain text that is about something else
    message = raised(OverflowDomainError, OverflowError, lambda: x / 1e-320)
    assert "denominator" not in message and message.endswith("at: x / 9.99989e-321")
    raised(OverflowDomainError, OverflowError, lambda: ad.exp(1000.0))
    raised(OverflowDomainError, OverflowError, lambda: ad.jvp(ad.exp, (1000.0,), (1.0,)))


def test_float_and_dual_inputs_get_the_same_errors_without_a_graph():
    assert raised(DomainError, ValueError, lambda: ad.log(0.0)) == (
        "ln 0 is not defined: the logarithm needs a positive input")
    raised(DomainError, ValueError, lambda: ad.sqrt(-1.0))
    raised(DomainError, ValueError, lambda: ad.derivative(ad.log)(-1.0))
    raised(ZeroDivisionDomainError, ZeroDivisionError, lambda: ad.derivative(ad.sqrt)(0.0))


def test_the_location_names_the_failing_node_in_a_bigger_graph():
    x1, x2 = ad.Var(2.0, name="x1"), ad.Var(5.0, name="x2")
    with pytest.raises(DomainError) as caught:
        ad.log(x1 - x2) + x1 * x2 - ad.sin(x2)
    assert str(caught.value).splitlines()[-1] == "  at: ln (x1 - x2)"


def test_a_long_location_is_cut():
    x = ad.Var(1.0, name="x")
    y = x
    for _ in range(30):
        y = y + x
    with pytest.raises(DomainError) as caught:
        ad.log(y - 100)
    location = str(caught.value).splitlines()[-1]
    assert location.startswith("  at: ln (") and "…" in location and len(location) < 80


def test_parser_rejects():
    message = raised(ParseError, ValueError, lambda: ad.parse("x^2"))
    assert message == "this operator is not allowed: use ** for powers, not ^\n  x^2\n  ^^^"


def test_every_error_class_subclasses_a_builtin():
    from adlearn import errors
    classes = [c for c in vars(errors).values()
               if isinstance(c, type) and issubclass(c, AdlearnError) and c is not AdlearnError]
    assert len(classes) >= 5
    for cls in classes:
        assert any(issubclass(cls, b) for b in (ValueError, TypeError, ArithmeticError,
                                                IndexError, AssertionError, RecursionError,
                                                RuntimeError)), cls


def test_a_parsed_expression_checks_arithmetic_on_plain_numbers():
    """Numbers alone go through the rule table as Vars do: no raw ZeroDivisionError, no
    complex number from a negative base to a fractional power."""
    raised(ZeroDivisionDomainError, ZeroDivisionError, lambda: ad.parse("x / y")(1.0, 0.0))
    assert "(-1)^0.5 is not defined" in raised(
        DomainError, ValueError, lambda: ad.parse("x ** 0.5")(-1.0))
    raised(NotANumberError, TypeError, lambda: ad.parse("x / y")("a", 1.0))
    assert ad.parse("x ** 0.5")(4.0) == 2.0 and ad.parse("2 ** x")(3.0) == 8.0


def test_an_adjoint_that_overflows_in_the_reverse_sweep_is_an_error():
    """Every partial is finite, yet their product along the way is not: backward says so
    rather than leaving nan in x.grad."""
    x = ad.Var(1.0, name="x")
    a = x * 0.0 + 1e-300
    for _ in range(5):
        a = ad.sqrt(a)  # each local partial 1/(2√a) is large but finite
    message = raised(OverflowDomainError, OverflowError, lambda: (a * 1e300).backward())
    assert message.startswith("the adjoint of x is too large for a float")


def test_an_overflow_in_a_derivative_is_not_blamed_on_the_value():
    message = raised(OverflowDomainError, OverflowError, lambda: ad.grad(ad.log)(1e-320))
    assert message.startswith("the derivative of ln ")


def test_the_derivative_of_x_to_the_power_0_is_0_even_at_0():
    assert ad.grad(lambda x: x ** 0)(0.0) == (0.0,)
    assert ad.derivative(lambda x: x ** 0)(0.0) == 0.0


def test_gradcheck_reports_a_nan_as_a_mismatch():
    """A nan in the numeric gradient must not hide behind max() (nan compares false)."""
    result = ad.gradcheck(lambda a, b: a * b + (math.nan if type(a) is float else 0.0), 2.0, 3.0)
    assert not result and math.isnan(result.max_error) and "MISMATCH" in str(result)


def test_to_sympy_refuses_two_inputs_with_one_name():
    from adlearn.errors import ArgumentError

    x1, x2 = ad.Var(2.0, name="x"), ad.Var(3.0, name="x")
    assert "both named 'x'" in raised(ArgumentError, ValueError, lambda: ad.to_sympy(x1 * x2))
    raised(NotANumberError, TypeError, lambda: ad.to_sympy(2.0))
    named, unnamed = ad.Var(1.0, name="u1"), ad.Var(2.0)
    assert str(ad.to_sympy(named * unnamed)) == "u1*u2"  # no clash with a real u1


# Every rule at the edges of its domain: the value, or the error class and the start of its
# message, the same for reverse mode (Var), forward mode (Dual) and, for the value, floats.
ROOT = "the square root needs x ≥ 0, and x > 0 for its derivative 1/(2√x)"
EDGES = [
    (lambda a: a / 0.0, 1.0, ZeroDivisionDomainError, "1 / 0 is not defined"),
    (lambda a: a / (a - 1.0), 1.0, ZeroDivisionDomainError, "1 / 0 is not defined"),
    (lambda a: a ** -1, 0.0, ZeroDivisionDomainError, "0^(-1) is not defined"),
    (lambda a: a ** 0.5, 0.0, ZeroDivisionDomainError,
     "0^0.5 = 0, but its derivative is not defined there"),
    (lambda a: a ** 0.5, -1.0, DomainError, "(-1)^0.5 is not defined"),
    (lambda a: a ** 1.5, 0.0, None, 0.0),
    (lambda a: a ** 0, 0.0, None, 0.0),
    (lambda a: 0.0 ** a, 2.0, None, 0.0),  # 0^y = 0 for every y > 0: flat in y
    (lambda a: 0.0 ** a, 0.5, None, 0.0),  # although y 0^(y-1), a variable base's partial, is not
    (lambda a: 0.0 ** a, 0.0, DomainError, "0^0 = 1, but its derivative is not"),  # ln 0
    (lambda a: 0.0 ** a, -1.0, ZeroDivisionDomainError, "0^(-1) is not defined"),
    (lambda a: (-2.0) ** a, 3.0, DomainError, "(-2)^3 = -8, but its derivative is not"),
    (lambda a: ad.log(a), 0.0, DomainError, "ln 0 is not defined"),
    (lambda a: ad.log(a), -1.0, DomainError, "ln (-1) is not defined"),
    (lambda a: ad.log(a), 1e-320, OverflowDomainError, "the derivative of ln "),
    (lambda a: ad.sqrt(a), 0.0, ZeroDivisionDomainError, f"√0 = 0, but its derivative is not "
                                                          f"defined there: {ROOT}"),
    (lambda a: ad.sqrt(a), -1.0, DomainError, f"√(-1) is not defined: {ROOT}"),
    (lambda a: ad.exp(a), 710.0, OverflowDomainError, "exp 710 is too large for a float"),
    (lambda a: ad.relu(a), 0.0, None, 0.0),  # the kinks: derivative 0, as in PyTorch
    (lambda a: ad.abs(a), 0.0, None, 0.0),
]


@pytest.mark.parametrize("f, at, cls, expected", EDGES)
def test_every_rule_at_the_edges_of_its_domain(f, at, cls, expected):
    if cls is None:  # a derivative that exists (expected): reverse and forward mode give it
        assert ad.grad(f)(at) == (expected,) and ad.derivative(f)(at) == expected
        return
    builtin = next(b for b in (ZeroDivisionError, OverflowError, ValueError) if issubclass(cls, b))
    assert raised(cls, builtin, lambda: ad.grad(f)(at)).startswith(expected)
    assert raised(cls, builtin, lambda: ad.derivative(f)(at)).startswith(expected)
    if cls is DomainError and "but its derivative" in expected:  # the value alone is fine
        f(at)


def test_zero_to_a_variable_power_agrees_with_central_differences_in_the_exponent():
    """x^y at x = 0, y > 0: the value is 0; ∂/∂y is 0 (the central difference of 0^y in y,
    all of whose values are 0, and what PyTorch gives); ∂/∂x is y·0^(y-1)."""
    h = 1e-6
    for y in (1.0, 2.0, 3.5):
        value, (dx, dy) = ad.value_and_grad(lambda a, b: a ** b)(0.0, y)
        assert value == 0.0 and dy == (0.0 ** (y + h) - 0.0 ** (y - h)) / (2 * h) == 0.0
        assert dx == y * 0.0 ** (y - 1) == pytest.approx(h ** y / h, abs=1e-5)  # one-sided
        assert ad.jvp(lambda a, b: a ** b, (0.0, y), (0.0, 1.0)) == (0.0, 0.0)
    assert ad.parse("0 ** x")(ad.Var(2.0)).value == 0.0


@pytest.mark.parametrize("build, what", [
    (lambda: ad.Var(10 ** 400), "a Var's value"),
    (lambda: ad.Var(1.0) * 10 ** 400, "a number mixed with a Var"),
    (lambda: 10 ** 400 - ad.Var(1.0), "a number mixed with a Var"),
    (lambda: ad.sin(10 ** 400), "the input of sin"),
    (lambda: ad.Dual(1.0, -10 ** 400), "a Dual's tangent"),
    (lambda: ad.parse("x * y")(2.0, 10 ** 400), "a value in the expression"),
])
def test_a_whole_number_too_large_for_a_float(build, what):
    message = raised(OverflowDomainError, OverflowError, build)
    assert message.startswith(f"{what} is too large for a float (the largest float is about "
                              "1.8e308), but got ")
    assert "digits)" in message and len(message) < 160  # 401 digits are not printed


@pytest.mark.parametrize("operand", [ad.Var(0.0), ad.Var(2.0, name="x"), ad.Dual(0.0, 1.0)])
def test_a_var_or_dual_has_no_truth_value(operand):
    """bool(Var(0.0)) was True: `if x:` tested something the derivative never sees."""
    from adlearn.errors import TruthValueError

    kind = type(operand).__name__
    for build in (lambda: bool(operand), lambda: not operand, lambda: operand or 1.0,
                  lambda: 1 if operand else 0):
        message = raised(TruthValueError, TypeError, build)
        assert message.startswith(f"a {kind} has no truth value") and "`if x > 0:`" in message
    assert (operand > -1) is True and (operand < -1) is False  # comparisons still work
    f = ad.grad(lambda x: x * x if x > 0 else -x)
    assert f(3.0) == (6.0,) and f(-3.0) == (-1.0,)
