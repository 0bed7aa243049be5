"""Function transforms: grad (argnums), value_and_grad, jvp, derivative."""

import math

import pytest

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


def test_mixing_reverse_and_forward_mode_says_so():
    with pytest.raises(NotANumberError, match="forward mode"):
        ad.derivative(ad.grad(lambda x: x**3, argnums=0))(2.0)
    with pytest.raises(NotANumberError, match="one mode at a time"):
        ad.grad(ad.derivative(lambda x: x**3))(2.0)
