"""Forward mode (Dual): tangents over the rule table, nesting, no perturbation confusion."""

import math

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import adlearn as ad
import adlearn.core.forward as forward
from adlearn import Dual


def test_a_dual_number_by_hand():
    y = Dual(2.0, 1.0) * Dual(3.0, 0.0)
    assert (y.value, y.tangent) == (6.0, 3.0)
    assert repr(y) == "Dual(6.0, 3.0)"
    assert f"{y:.1f}" == "6.0 + 3.0ε"


def test_classic_survey_example_one_tangent_per_input():
    f = lambda x1, x2: ad.log(x1) + x1 * x2 - ad.sin(x2)  # noqa: E731
    value, d1 = ad.jvp(f, (2.0, 5.0), (1.0, 0.0))
    _, d2 = ad.jvp(f, (2.0, 5.0), (0.0, 1.0))
    assert value == math.log(2.0) + 10.0 - math.sin(5.0)
    assert d1 == 5.5
    assert d2 == 2.0 - math.cos(5.0)


@pytest.mark.parametrize("name", sorted(set(ad.RULES) - {"add", "sub", "mul", "div", "neg",
                                                          "powc", "cpow", "pow"}))
def test_each_function_carries_its_tangent(name):
    rule = ad.RULES[name]
    x = 0.7
    out = rule.value(x)
    y = getattr(ad, name)(Dual(x, 2.0))
    assert y.value == out
    assert y.tangent == 2.0 * rule.partials(out, x)[0]


def test_a_number_mixed_with_a_dual_is_a_constant():
    x = Dual(1.5, 1.0)
    for y, derivative in [(2 * x, 2.0), (1 - x, -1.0), (x / 3, 1 / 3), (3 / x, -3 / 1.5**2),
                          (2**x, 2**1.5 * math.log(2)), (x**3, 3 * 1.5**2), (-x, -1.0),
                          (abs(-x), 1.0)]:
        assert y.tangent == pytest.approx(derivative, rel=1e-15)


T = sp.Symbol("t", real=True)
SECOND_DERIVATIVES = [
    (lambda x: x**3, T**3),
    (lambda x: ad.sin(x) * ad.exp(x), sp.sin(T) * sp.exp(T)),
    (lambda x: ad.log(x) / x, sp.log(T) / T),
    (lambda x: ad.sqrt(1 + x * x), sp.sqrt(1 + T**2)),
    (lambda x: ad.tanh(x) + ad.tan(x), sp.tanh(T) + sp.tan(T)),
    (lambda x: ad.sigmoid(2 * x), 1 / (1 + sp.exp(-2 * T))),
    (lambda x: x**x, T**T),
    (lambda x: ad.cos(x) ** 2 - 1 / x, sp.cos(T) ** 2 - 1 / T),
]


@pytest.mark.parametrize("f, expr", SECOND_DERIVATIVES)
@pytest.mark.parametrize("x", [0.3, 1.1])
def test_nested_derivative_is_the_second_derivative(f, expr, x):
    first = ad.derivative(f)(x)
    second = ad.derivative(ad.derivative(f))(x)
    at = {T: sp.Rational(x)}
    assert first == pytest.approx(float(sp.diff(expr, T).evalf(30, subs=at)), rel=1e-12)
    assert second == pytest.approx(float(sp.diff(expr, T, 2).evalf(30, subs=at)), rel=1e-12)


def test_third_derivative():
    f = lambda x: ad.exp(2 * x)  # noqa: E731
    assert ad.derivative(ad.derivative(ad.derivative(f)))(0.5) == pytest.approx(
        8 * math.exp(1.0), rel=1e-14)


@settings(max_examples=50, deadline=None)
@given(st.floats(-100, 100, allow_nan=False))
def test_no_perturbation_confusion(x):
    # d/dx [x * d/dy (x + y)] = d/dx [x * 1] = 1; a confused nesting gives 2
    f = lambda x: x * ad.derivative(lambda y: x + y)(1.0)  # noqa: E731
    assert ad.derivative(f)(x) == 1.0


def test_no_perturbation_confusion_when_the_inner_function_multiplies_by_the_outer_variable():
    # d/dx [d/dy (x*y)] at y=2 = d/dx [x] = 1
    assert ad.derivative(lambda x: ad.derivative(lambda y: x * y)(2.0))(3.0) == 1.0
    # d/dx [x * d/dy (x*y)] = d/dx x^2 = 2x
    assert ad.derivative(lambda x: x * ad.derivative(lambda y: x * y)(2.0))(3.0) == 6.0


def test_a_dual_holds_real_numbers_only():
    with pytest.raises(ad.errors.NotANumberError):
        Dual("2")
    with pytest.raises(ad.errors.NotANumberError):
        Dual(1.0, None)
    with pytest.raises(ad.errors.NotANumberError, match="one mode at a time"):
        Dual(ad.Var(1.0))


@pytest.mark.parametrize("f, exact", [
    (lambda x: x**10, lambda k, x: math.perm(10, k) * x ** (10 - k)),
    (lambda x: ad.sin(x) * ad.exp(x),
     lambda k, x: 2 ** (k / 2) * math.exp(x) * math.sin(x + k * math.pi / 4)),
])
def test_each_order_of_nested_derivative_costs_at_most_three_times_the_one_below(
        f, exact, monkeypatch):
    # counted in rule evaluations, not timed: a sum over Duals to check them, a product by
    # a partial of 1 or a sum with a zero tangent multiplied the cost by about 6 per order
    calls = []
    real = forward.evaluate
    monkeypatch.setattr(forward, "evaluate", lambda *a, **k: calls.append(1) or real(*a, **k))
    counts, g = [], f
    for k in range(1, 8):
        g = ad.derivative(g)
        calls.clear()
        assert g(1.1) == pytest.approx(exact(k, 1.1), rel=1e-12)
        counts.append(len(calls))
    assert all(b <= 3 * a for a, b in zip(counts[1:], counts[2:])), counts
