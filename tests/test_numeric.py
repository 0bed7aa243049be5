"""Central differences and gradcheck."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import adlearn as ad


def survey(x1, x2):
    return ad.log(x1) + x1 * x2 - ad.sin(x2)


def test_numeric_grad_of_the_survey_example():
    d1, d2 = ad.numeric_grad(survey, 2.0, 5.0)
    assert d1 == pytest.approx(5.5, rel=1e-9)
    assert d2 == pytest.approx(2.0 - math.cos(5.0), rel=1e-9)


@settings(max_examples=50, deadline=None)
@given(st.floats(-50, 50, allow_nan=False))
def test_numeric_grad_is_accurate_to_about_the_step_squared(x):
    # d/dx sin x = cos x; the step h*max(1, |x|) keeps the error near h^2 + eps/h
    (d,) = ad.numeric_grad(math.sin, x)
    assert d == pytest.approx(math.cos(x), abs=1e-8 * max(1.0, abs(x)))


def test_a_cubic_has_the_textbook_central_difference_error():
    # (f(x+h) - f(x-h)) / 2h = 3x^2 + h^2 exactly for f = x^3
    h = 1e-2
    (d,) = ad.numeric_grad(lambda x: x**3, 1.0, h=h)
    assert d == pytest.approx(3.0 + h**2, rel=1e-12)


def test_numeric_grad_takes_only_real_numbers():
    with pytest.raises(ad.errors.NotANumberError, match="argument 2"):
        ad.numeric_grad(survey, 2.0, "5")


def test_gradcheck_ok_report():
    check = ad.gradcheck(survey, 2.0, 5.0)
    assert check and check.ok
    assert check.ad == (5.5, 2.0 - math.cos(5.0))
    assert check.max_error < 1e-9
    lines = str(check).splitlines()
    assert lines[0].startswith("gradcheck ok: largest relative error ")
    assert lines[0].endswith("(tolerance 1e-06)")
    assert lines[1] == "  d/dx1: AD 5.5  numeric 5.5"
    assert lines[2].startswith("  d/dx2: AD 1.716337815  numeric 1.7163378")


def test_gradcheck_reports_a_mismatch():
    # at the kink of relu AD takes the derivative 0; central differences see (h - 0) / 2h
    check = ad.gradcheck(ad.relu, 0.0)
    assert not check and not check.ok
    assert check.ad == (0.0,)
    assert check.numeric == (0.5,)
    assert check.max_error == 0.5
    assert str(check) == ("gradcheck MISMATCH: largest relative error 5.00e-01 "
                          "(tolerance 1e-06)\n  d/dx1: AD 0  numeric 0.5")


def test_gradcheck_tolerance():
    loose = ad.gradcheck(ad.relu, 0.0, tolerance=0.6)
    assert loose.ok and "ok" in str(loose)
