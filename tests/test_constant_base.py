"""c ** x with a constant base (rule cpow, the mirror of powc; issue 9): d(c^x)/dx = c^x ln c,
and at c = 0 < x the value 0 and the derivative 0 (as PyTorch gives), in reverse mode (Var),
forward mode (Dual) and on arrays (Tensor), against SymPy and central differences."""

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

import adlearn as ad
from adlearn import Dual, Tensor, Var
from adlearn.errors import DomainError, ZeroDivisionDomainError

H = 1e-6


def sympy_derivative(c, x):
    """d(c^t)/dt at t = x by SymPy, from exact rationals, to 50 digits."""
    t = sp.Symbol("t", real=True)
    return float(sp.diff(sp.Rational(c) ** t, t).evalf(50, subs={t: sp.Rational(x)}))


def central_difference(c, x):
    return (c ** (x + H) - c ** (x - H)) / (2 * H)


def three_modes(c, x):
    """The value and derivative of c ** t at t = x by Var, Dual and Tensor."""
    v = Var(x)
    y = c ** v
    y.backward()
    d = c ** Dual(x, 1.0)
    t = Tensor([x])
    z = c ** t
    z.sum().backward()
    return [(y.value, v.grad), (d.value, d.tangent), (z.value[0], t.grad[0])]


@given(st.floats(0.05, 5.0), st.floats(-3.0, 3.0))
def test_every_mode_agrees_with_sympy_and_central_differences(c, x):
    exact = sympy_derivative(c, x)
    assert central_difference(c, x) == pytest.approx(exact, rel=1e-6, abs=1e-8)
    for value, derivative in three_modes(c, x):
        assert value == pytest.approx(c ** x, rel=1e-14)
        assert derivative == pytest.approx(exact, rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("x", [0.25, 0.5, 0.75, 1.0, 2.0])
def test_zero_to_a_positive_power_is_flat(x):
    """0^x = 0 for every x > 0, so its derivative is 0 (its central difference too), even for
    0 < x < 1, where the variable base's partial x 0^(x-1) of the rule pow does not exist."""
    assert central_difference(0.0, x) == 0.0
    assert three_modes(0.0, x) == [(0.0, 0.0)] * 3
    assert ad.grad(lambda t: 0 ** t)(x) == (0.0,)
    assert ad.parse("0 ** x")(Dual(x, 1.0)).tangent == 0.0


def test_a_node_of_a_constant_base():
    """The base is a constant node, first, with partial 0; its own derivative is the second."""
    x = Var(1.5, name="x")
    y = 2 ** x
    base, exponent = y.inputs
    assert (y.op, base.is_constant, base.value, exponent) == ("cpow", True, 2.0, x)
    assert y.partials == (0.0, 2 ** 1.5 * math.log(2.0))
    assert ad.parse("2**x")(x).op == "cpow"  # the parser goes through the operators
    assert ad.core.engine.formula(y) == "2^x"
    assert str(ad.to_sympy(y)) == "2**x"
    assert ad.RULES["cpow"].latex.format("2", "x") == "{2}^{x}"


def test_arrays_of_bases_entry_by_entry():
    t = Tensor([0.5, 0.5, 2.0], name="t")
    bases = np.array([0.0, 2.0, 0.25])
    (bases ** t).sum().backward()
    np.testing.assert_allclose(t.grad, [0.0, 2 ** 0.5 * math.log(2.0), 0.25 ** 2 * math.log(0.25)],
                               rtol=1e-14)
    hessian = ad.hessian(lambda s: (2.0 ** s).sum())(np.array([1.0, 2.0]))
    np.testing.assert_allclose(hessian, np.diag([2.0, 4.0]) * math.log(2.0) ** 2, rtol=1e-14)


ERRORS = [  # base, exponent, class, start of the message
    (-2.0, 0.5, DomainError, "(-2)^0.5 is not defined: c^x with a constant base c needs c > 0"),
    (-2.0, 3.0, DomainError, "(-2)^3 = -8, but its derivative is not defined there: c^x"),
    (0.0, 0.0, DomainError, "0^0 = 1, but its derivative is not defined there: c^x"),
    (0.0, -1.0, ZeroDivisionDomainError, "0^(-1) is not defined: c^x"),
]


@pytest.mark.parametrize("c, x, cls, message", ERRORS)
def test_bases_outside_the_domain_are_clear_errors(c, x, cls, message):
    for build in (lambda: c ** Var(x, name="x"), lambda: c ** Dual(x, 1.0),
                  lambda: c ** Tensor([x], name="x")):
        with pytest.raises(cls) as caught:
            build()
        assert str(caught.value).startswith(message)
    with pytest.raises(cls, match=r"at: .*\^x$"):
        c ** Var(x, name="x")
