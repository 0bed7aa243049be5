"""Random expressions over the whole rule table, checked against independent oracles.

SymPy differentiates each expression symbolically and evaluates value and gradient
with 30 significant digits at the point (50-digit floats): reverse mode (``Var``) must agree to a
relative error below 1e-9. Reverse mode, forward mode (``Dual``, one ``jvp`` per input)
and central differences (``numeric_grad``) must agree with each other.
"""

import sympy as sp
from exprs import OPS, Expr, exact_point, expressions, oracle_time
from hypothesis import HealthCheck, example, given, settings

import adlearn as ad

def close(got, exact, tolerance):
    """Relative error within tolerance, measured against max(1, |exact|): an exact 0 has
    no relative error, and round-off near 0 is absolute."""
    return abs(got - exact) <= tolerance * max(1.0, abs(exact))


def reverse(expr):
    xs, y = expr.graph()
    y.backward()
    return y.value, [x.grad for x in xs]


def exact(expr):
    """The value and gradient by SymPy, within the oracle's time."""
    with oracle_time():
        return _exact(expr)


def _exact(expr):
    symbols = sp.symbols(f"x1:{expr.n_inputs + 1}", real=True)
    f = expr.sympy(*symbols)
    at = exact_point(symbols, expr.point)
    value = float(sp.sympify(f).evalf(30, subs=at))
    gradient = [float(_decide_steps(sp.diff(f, s).subs(at)).evalf(30)) for s in symbols]
    return value, gradient


def _decide_steps(expr):
    """SymPy writes relu's derivative as a Heaviside step it may leave undecided at a
    number it cannot sign exactly (Heaviside(1/tan(sin(3/2)))): decide it numerically,
    with the engine's convention at the kink (0 there)."""
    return expr.replace(lambda e: isinstance(e, sp.Heaviside),
                        lambda e: sp.Integer(1 if e.args[0].evalf(30) > 0 else 0))


SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(expressions())
@example(Expr((1.5,), [("sin", (0,)), ("tan", (1,)), ("powc", (2, -1.0)), ("relu", (3,))]))
def test_reverse_mode_matches_sympy(expr):
    value, gradient = reverse(expr)
    exact_value, exact_gradient = exact(expr)
    assert close(value, exact_value, 1e-9), (value, exact_value)
    for g, e in zip(gradient, exact_gradient):
        assert close(g, e, 1e-9), (gradient, exact_gradient)


@SETTINGS
@given(expressions())
def test_float_evaluation_matches_reverse_mode_value(expr):
    assert expr(*expr.point) == reverse(expr)[0]


@SETTINGS
@given(expressions())
def test_forward_mode_matches_reverse_mode(expr):
    value, gradient = reverse(expr)
    for i in range(expr.n_inputs):
        seed = tuple(1.0 if j == i else 0.0 for j in range(expr.n_inputs))
        v, tangent = ad.jvp(expr, expr.point, seed)
        assert v == value
        assert close(tangent, gradient[i], 1e-12), (i, tangent, gradient)


# found by hypothesis: sin(x**-2) at 0.125 is steep, the step's truncation error is 2e-5
STEEP = Expr((0.125,), [("exp", (0,)), ("powc", (0, -2.0)), ("sin", (2,)), ("add", (1, 3))])


@SETTINGS
@given(expressions())
@example(STEEP)
def test_central_differences_match_reverse_mode(expr):
    """Central differences agree up to their own truncation error, which grows with the
    curvature: halving the step cuts it by 4, so the change between the steps 2h and h
    bounds what is left (Richardson's estimate)."""
    _, gradient = reverse(expr)
    coarse = ad.numeric_grad(expr, *expr.point, h=2e-5)
    fine = ad.numeric_grad(expr, *expr.point, h=1e-5)
    for c, n, g in zip(coarse, fine, gradient):
        truncation = abs(c - n) / 3
        assert abs(n - g) <= 1e-5 * max(1.0, abs(g)) + 2 * truncation, (fine, gradient)


def test_the_strategy_covers_the_whole_rule_table():
    assert set(OPS) == set(ad.RULES)
