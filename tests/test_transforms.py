"""Function transforms: grad (argnums), value_and_grad, jvp, derivative."""

import math

import pytest
import sympy as sp
from exprs import OPS, exact_point, expressions, oracle_time
from hypothesis import HealthCheck, given, settings
from test_forward import SECOND_DERIVATIVES, T

import adlearn as ad
from adlearn.errors import ArgumentError, NotANumberError


def intro(x1, x2):
    return x1**2 + 2 * x2


def survey(x1, x2):
    return ad.log(x1) + x1 * x2 - ad.sin(x2)


SURVEY_GRADIENT = (5.5, 2.0 - math.cos(5.0))


def test_grad_of_the_design_examples():
    assert ad.grad(intro)(2.0, 3.0) == (4.0, 2.0)
    assert ad.grad(survey)(2.0, 5.0) == SURVEY_GRADIENT


@pytest.mark.parametrize("argnums, expected", [
    (None, SURVEY_GRADIENT),
    (0, 5.5),
    (1, SURVEY_GRADIENT[1]),
    ((1,), (SURVEY_GRADIENT[1],)),
    ((1, 0), (SURVEY_GRADIENT[1], 5.5)),
    ([0, 1], SURVEY_GRADIENT),
])
def test_grad_argnums(argnums, expected):
    assert ad.grad(survey, argnums=argnums)(2.0, 5.0) == expected


def test_arguments_not_differentiated_stay_plain_numbers():
    seen = []
    ad.grad(lambda a, b: seen.append((type(a), type(b))) or a * b, argnums=1)(2.0, 3.0)
    assert seen == [(float, ad.Var)]


def test_input_vars_are_named_after_the_parameters():
    names = []
    ad.grad(lambda speed, time: names.extend([speed.name, time.name]) or speed * time)(2.0, 3.0)
    assert names == ["speed", "time"]
    ad.grad(lambda *xs: names.extend(x.name for x in xs) or sum(xs))(1.0, 2.0)
    assert names[2:] == ["x1", "x2"]


@pytest.mark.parametrize("argnums", [2, -1, (0, 5), 1.0, "x", True])
def test_bad_argnums_is_a_clear_error(argnums):
    with pytest.raises(ArgumentError, match="argnums .* asks for argument .* called with 2 "
                                            "arguments"):
        ad.grad(survey, argnums=argnums)(2.0, 5.0)
    assert issubclass(ArgumentError, ValueError)


def test_value_and_grad():
    assert ad.value_and_grad(intro)(2.0, 3.0) == (10.0, (4.0, 2.0))
    value, gradient = ad.value_and_grad(survey)(2.0, 5.0)
    assert value == math.log(2.0) + 10.0 - math.sin(5.0)
    assert gradient == SURVEY_GRADIENT
    assert ad.value_and_grad(survey, argnums=0)(2.0, 5.0) == (value, 5.5)


def test_a_function_that_ignores_its_inputs_has_a_zero_gradient():
    assert ad.value_and_grad(lambda a, b: 3.0)(1.0, 2.0) == (3.0, (0.0, 0.0))
    with pytest.raises(NotANumberError):
        ad.value_and_grad(lambda a: "three")(1.0)


def test_jvp_is_the_directional_derivative():
    assert ad.jvp(intro, (2.0, 3.0), (1.0, 0.0)) == (10.0, 4.0)
    assert ad.jvp(intro, (2.0, 3.0), (0.0, 1.0)) == (10.0, 2.0)
    value, tangent = ad.jvp(survey, (2.0, 5.0), (0.5, -2.0))
    assert tangent == pytest.approx(0.5 * SURVEY_GRADIENT[0] - 2.0 * SURVEY_GRADIENT[1],
                                    rel=1e-15)
    assert ad.jvp(lambda a: 7.0, (1.0,), (1.0,)) == (7.0, 0.0)


def test_jvp_needs_one_tangent_per_primal():
    with pytest.raises(ArgumentError, match="one tangent per primal: got 2 primals and 1"):
        ad.jvp(intro, (2.0, 3.0), (1.0,))


def test_derivative():
    assert ad.derivative(lambda x: x**3)(2.0) == 12.0
    assert ad.derivative(ad.sin)(0.3) == math.cos(0.3)
    assert ad.derivative(lambda x: 5.0)(1.0) == 0.0
    assert ad.derivative(ad.derivative(lambda x: x**3))(2.0) == 12.0


def test_derivative_needs_one_number_back():
    with pytest.raises(NotANumberError, match="must return one number"):
        ad.derivative(lambda x: (x, x))(1.0)


def test_transforms_compose():
    assert ad.derivative(lambda x: survey(x, 5.0))(2.0) == 5.5


def d(f):
    """The derivative of a function of one variable by reverse mode."""
    return ad.grad(f, argnums=0)


def test_nested_reverse_mode_keeps_each_calls_adjoints_apart():
    # d/dx [x * d/dy (x + y)] = d/dx [x * 1] = 1: the inner sweep must not add into x's
    assert d(lambda x: x * d(lambda y: x + y)(1.0))(1.0) == 1.0
    # d/dx [d/dy (x*y) at y = x] = d/dx x = 1: a confused nesting gives 2
    assert d(lambda x: d(lambda y: x * y)(x))(3.0) == 1.0


def test_reverse_over_reverse_keeps_the_inner_gradients_dependence_on_the_outer_variable():
    # d/dy (x y^2) at y = 1 is 2x, so d/dx of it is 2, not 0 (a float would lose x)
    assert d(lambda x: d(lambda y: x * y * y)(1.0))(1.0) == 2.0
    assert d(lambda x: x * d(lambda y: x * y)(2.0))(3.0) == 6.0  # d/dx x^2
    # the inner value too: d/dx [x * (x*3)] = 6x
    assert ad.value_and_grad(lambda x: x * ad.value_and_grad(lambda y: x * y)(3.0)[0],
                             argnums=0)(2.0) == (12.0, 12.0)


@pytest.mark.parametrize("f, expr", SECOND_DERIVATIVES)
@pytest.mark.parametrize("x", [0.3, 1.1])
def test_grad_of_grad_is_the_second_derivative(f, expr, x):
    at = {T: sp.Rational(x)}
    exact = [float(sp.diff(expr, T, k).evalf(30, subs=at)) for k in (1, 2, 3)]
    assert d(d(f))(x) == pytest.approx(exact[1], rel=1e-12)
    assert d(d(d(f)))(x) == pytest.approx(exact[2], rel=1e-11)
    assert d(d(f))(x) == pytest.approx(ad.derivative(ad.derivative(f))(x), rel=1e-13)
    assert ad.value_and_grad(d(f), argnums=0)(x) == (d(f)(x), d(d(f))(x))


def hessian(f, point):
    """Every second partial derivative of f, by reverse mode over reverse mode."""
    return [ad.grad(lambda *xs, i=i: ad.grad(f, argnums=i)(*xs))(*point)
            for i in range(len(point))]


# SymPy leaves the second derivative of |u| as an unevaluated derivative of sign(u)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions(max_steps=6, ops=tuple(op for op in OPS if op != "abs")))
def test_reverse_over_reverse_hessian_matches_sympy(expr):
    symbols = sp.symbols(f"x1:{expr.n_inputs + 1}", real=True)
    f = expr.sympy(*symbols)
    at = exact_point(symbols, expr.point)
    for i, row in enumerate(hessian(expr, expr.point)):
        for j, got in enumerate(row):
            with oracle_time():
                exact = float(sp.diff(f, symbols[i], symbols[j]).evalf(30, subs=at))
            assert abs(got - exact) <= 1e-8 * max(1.0, abs(exact)), (i, j, got, exact)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions(max_inputs=1, max_steps=6))
def test_reverse_over_reverse_matches_forward_over_forward(expr):
    second = ad.derivative(ad.derivative(expr))(*expr.point)
    got = d(d(expr))(*expr.point)
    assert abs(got - second) <= 1e-10 * max(1.0, abs(second)), (got, second)


def test_the_survey_examples_hessian():
    x1, x2 = 2.0, 5.0
    assert hessian(survey, (x1, x2)) == [(-1 / x1**2, 1.0), (1.0, math.sin(x2))]


def test_a_var_from_outside_keeps_its_gradient_and_is_left_alone():
    w = ad.Var(2.0, name="w")
    (g,) = ad.grad(lambda x: w * x * x)(3.0)  # d/dx = 2 w x = 12, a function of w
    assert w.grad == 0.0  # the sweep wrote no one's grad
    assert isinstance(g, ad.Var) and g.value == 12.0
    g.backward()
    assert w.grad == 6.0  # d/dw (2 w x) at x = 3


def test_a_sweep_that_f_makes_itself_does_not_leak_into_the_gradient():
    def f(a, b):
        (a * 5).backward()  # sets a's adjoint to 5 in a graph the result does not use
        return b * 2
    assert ad.grad(f)(1.0, 1.0) == (0.0, 2.0)


def test_mixing_reverse_and_forward_mode_says_so():
    with pytest.raises(NotANumberError, match="forward mode"):
        ad.derivative(ad.grad(lambda x: x**3, argnums=0))(2.0)
    with pytest.raises(NotANumberError, match="one mode at a time"):
        ad.grad(ad.derivative(lambda x: x**3))(2.0)
    with pytest.raises(NotANumberError, match="forward mode"):
        ad.jvp(d(lambda x: x**3), (2.0,), (1.0,))
    with pytest.raises(NotANumberError, match="one mode at a time"):  # forward over reverse
        ad.derivative(lambda x: d(lambda y: x * y)(1.0))(2.0)
    with pytest.raises(NotANumberError, match="one mode at a time"):  # reverse over forward
        d(lambda x: ad.derivative(lambda y: x * y)(1.0))(2.0)
