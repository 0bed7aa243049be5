"""What notebook 14 needs from the engines: ``ad.stop_gradient`` (every engine),
``ad.custom_vjp`` (an array operation with one's own VJP) and ``ad.solve`` (a linear
solve whose derivatives come from the implicit function theorem). Each is checked
against central differences and, where it has one, the scalar engine.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import adlearn as ad
from adlearn.core import linalg, structural, tensor  # linalg adds solve's row
from adlearn.core.engine import formula
from adlearn.errors import (ArgumentError, CallError, DomainError, NotANumberError,
                            ShapeError)


@pytest.fixture(autouse=True)
def _tables(array_table):
    """The custom operations a test defines leave the tables as they found them."""
    assert "solve" in structural.STRUCTURAL and linalg.solve is ad.solve


def central(f, x, step=1e-6):
    """Central differences of a function of an array (or a float), entry by entry."""
    x = np.asarray(x, dtype=float)
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        e = np.zeros(x.shape)
        e[i] = step
        grad[i] = (f(x + e) - f(x - e)) / (2 * step)
    return grad


# --- stop_gradient ----------------------------------------------------------------------


def test_stop_gradient_keeps_the_value_in_every_engine():
    assert ad.stop_gradient(2.5) == 2.5
    assert ad.stop_gradient(ad.Var(2.5)).value == 2.5
    assert ad.stop_gradient(ad.Dual(2.5, 1.0)) == 2.5
    assert ad.stop_gradient(ad.Dual(ad.Dual(2.5, 1.0, 1), 1.0, 2)) == 2.5  # every level
    array = np.array([1.0, -2.0])
    assert ad.stop_gradient(array) is array
    stopped = ad.stop_gradient(ad.Tensor(array))
    assert stopped.is_constant and np.array_equal(stopped.value, array)


def test_stop_gradient_differentiates_the_rest_with_the_stopped_part_held_fixed():
    """d/dx f(x, stop(x)) at x0 is the derivative of x -> f(x, x0): central differences
    of that, in reverse mode, forward mode and the array engine alike."""
    def f(x, c):
        return x ** 2 * c + ad.sin(x * c)

    x0 = 0.7
    held = central(lambda x: float(f(float(x), x0)), x0)
    assert math.isclose(ad.grad(lambda x: f(x, ad.stop_gradient(x)))(x0)[0], held, rel_tol=1e-8)
    assert math.isclose(ad.derivative(lambda x: f(x, ad.stop_gradient(x)))(x0), held,
                        rel_tol=1e-8)
    xs = np.array([x0, -1.3, 2.0])
    leaf = ad.Tensor(xs)
    f(leaf, ad.stop_gradient(leaf)).sum().backward()
    scalar = [ad.grad(lambda x: f(x, ad.stop_gradient(x)))(v)[0] for v in xs]
    assert np.allclose(leaf.grad, scalar, rtol=1e-12)
    assert np.allclose(leaf.grad, central(lambda x: f(x, xs).sum(), xs), rtol=1e-8)


def test_stop_gradient_stops_every_level_of_nested_derivatives():
    """x² · stop(x) is x² times a constant c to both derivatives: (x²c)'' = 2c."""
    second = ad.derivative(ad.derivative(lambda x: x ** 2 * ad.stop_gradient(x)))
    assert second(3.0) == 6.0
    assert ad.grad(ad.grad(lambda x: x ** 2 * ad.stop_gradient(x), argnums=0),
                   argnums=0)(3.0) == 6.0


def test_the_straight_through_estimator_has_the_steps_value_and_the_identitys_slope():
    def rounded(x):
        return x + ad.stop_gradient(np.round(x.value) - x)

    x = ad.Tensor([0.2, 1.7, -2.6])
    y = rounded(x)
    assert np.array_equal(y.value, [0.0, 2.0, -3.0])
    (y * np.array([1.0, 2.0, 3.0])).sum().backward()
    assert np.array_equal(x.grad, [1.0, 2.0, 3.0])
    v = ad.Var(1.7)
    (v + ad.stop_gradient(round(v.value) - v)).backward()
    assert v.grad == 1.0


def test_a_stopped_var_is_a_constant_node_and_its_source_gets_no_adjoint():
    x = ad.Var(2.0, name="x")
    y = ad.stop_gradient(x) * 3.0
    y.backward()
    assert x.grad == 0.0 and x not in ad.topological_order(y)
    assert ad.grad(lambda x: ad.stop_gradient(x) * 3.0)(2.0) == (0.0,)


@pytest.mark.parametrize("bad", ["2", None, [1.0], 1j])
def test_stop_gradient_of_something_that_is_no_number_is_refused(bad):
    with pytest.raises(NotANumberError, match="the input of stop_gradient must be a real"):
        ad.stop_gradient(bad)


# --- adlearn's functions on arrays: one formula for arrays and Tensors ----------------------


def test_adlearns_functions_work_entry_by_entry_on_arrays():
    x = np.array([-2.0, 0.0, 0.5, 40.0])
    assert np.allclose(ad.exp(x), np.exp(x)) and np.allclose(ad.tanh(x), np.tanh(x))
    assert np.allclose(ad.sigmoid(x), 1 / (1 + np.exp(-x)))
    assert np.allclose(ad.sigmoid(np.array([-800.0, 800.0])), [0.0, 1.0])
    with pytest.raises(DomainError, match=r"ln \(-2\) is not defined(.|\n)*entry \[0\]"):
        ad.log(x)


# --- custom_vjp ------------------------------------------------------------------------------


@pytest.fixture
def log_sigmoid():
    @ad.custom_vjp(lambda g, out, x: (g * ad.sigmoid(-x),))
    def log_sigmoid(x):
        return -np.logaddexp(0.0, -x)

    return log_sigmoid


def test_a_custom_vjp_is_used_by_the_sweep_and_agrees_with_central_differences(log_sigmoid):
    xs = np.array([-3.0, -0.4, 0.0, 0.9, 5.0])
    x = ad.Tensor(xs, name="x")
    y = log_sigmoid(x)
    assert y.op == "log_sigmoid" and formula(y.sum()) == "sum(log_sigmoid(x))"
    weights = np.array([1.0, -2.0, 0.5, 3.0, 1.5])
    (y * weights).sum().backward()
    assert np.allclose(x.grad, central(lambda v: (-np.logaddexp(0, -v) * weights).sum(), xs),
                       rtol=1e-7)
    assert x.grad[2] == 0.5 * weights[2]  # σ(-0) = 1/2 exactly

    @ad.custom_derivative(lambda out, x: (ad.sigmoid(-x),))
    def scalar_log_sigmoid(x):
        return -(ad.relu(-x) + ad.log(1 + ad.exp(-ad.abs(x))))

    scalar = [ad.grad(scalar_log_sigmoid)(v)[0] for v in xs]
    assert np.allclose(x.grad, weights * np.array(scalar), rtol=1e-12)


def test_a_custom_vjp_has_no_overflow_where_the_formula_has_one(log_sigmoid):
    x = ad.Tensor([-800.0, 800.0])
    log_sigmoid(x).sum().backward()
    assert np.array_equal(x.grad, [1.0, 0.0])
    with pytest.raises(DomainError):  # the textbook formula: σ(-800) is 0, and ln 0 fails
        ad.log(ad.sigmoid(ad.Tensor([-800.0]))).sum().backward()
    assert np.allclose(log_sigmoid(np.array([-800.0, 0.0])), [-800.0, -math.log(2)])


def test_a_custom_vjp_of_two_inputs_gives_each_its_adjoint():
    @ad.custom_vjp(lambda g, out, a, b: (g @ b.T, a.T @ g))
    def product(a, b):
        return a @ b

    rng = np.random.default_rng(3)
    A, B, weights = rng.normal(size=(2, 3)), rng.normal(size=(3, 4)), rng.normal(size=(2, 4))
    a, b = ad.Tensor(A), ad.Tensor(B)
    (product(a, b) * weights).sum().backward()
    assert np.allclose(a.grad, central(lambda M: (M @ B * weights).sum(), A), rtol=1e-7)
    assert np.allclose(b.grad, central(lambda M: (A @ M * weights).sum(), B), rtol=1e-7)
    c = ad.Tensor(A)  # the engine's own matmul gives the same
    (c @ b * weights).sum().backward()
    assert np.allclose(a.grad, c.grad, rtol=1e-12)


def test_a_custom_vjp_runs_on_tensors_in_a_differentiable_sweep(log_sigmoid):
    """Written with operations arrays and Tensors share, the VJP can be differentiated
    again: (log σ)'' = -σ(x) σ(-x)."""
    xs = np.array([-1.0, 0.0, 2.0])
    x = ad.Tensor(xs)
    (gradient,) = tensor.gradients(log_sigmoid(x).sum(), [x], differentiable=True)
    assert isinstance(gradient, ad.Tensor)
    gradient.sum().backward()
    s = 1 / (1 + np.exp(-xs))
    assert np.allclose(x.grad, -s * (1 - s), rtol=1e-12)


def test_a_custom_vjp_refuses_forward_mode_and_scalar_operands(log_sigmoid):
    with pytest.raises(CallError, match="log_sigmoid was defined by custom_vjp.*forward mode"):
        ad.jvp(log_sigmoid, (np.array([1.0]),), (np.array([1.0]),))
    with pytest.raises(CallError, match=r"forward mode \(ad.jvp, ad.hessian\)"):
        ad.hessian(lambda x: log_sigmoid(x).sum())(np.array([1.0]))  # forward over reverse
    with pytest.raises(NotANumberError, match="for a Var or a Dual use ad.custom_derivative"):
        log_sigmoid(ad.Var(1.0))
    with pytest.raises(ArgumentError, match="log_sigmoid takes 1 input, but got 2"):
        log_sigmoid(ad.Tensor([1.0]), 2.0)


def test_a_custom_vjp_that_breaks_the_rules_gets_an_error_that_says_which():
    with pytest.raises(ArgumentError, match="needs the VJP as a function"):
        ad.custom_vjp(3.0)
    with pytest.raises(ArgumentError, match="a function with a name"):
        ad.custom_vjp(lambda g, out, x: (g,))(lambda x: x)
    def matmul(x):
        return x

    def exp(x):
        return x

    for taken in (matmul, exp):
        with pytest.raises(ArgumentError, match=f"'{taken.__name__}' is an operation of the "
                                                "engines already"):
            ad.custom_vjp(lambda g, out, x: (g,))(taken)

    @ad.custom_vjp(lambda g, out, x: (g[:1],))
    def short(x):
        return 2 * x

    with pytest.raises(ShapeError, match="the VJP of short returned an adjoint of shape "
                                         r"\(1,\) for input 1, which has shape \(2,\)"):
        short(ad.Tensor([1.0, 2.0])).sum().backward()

    @ad.custom_vjp(lambda g, out, a, b: g)
    def one_for_two(a, b):
        return a + b

    with pytest.raises(NotANumberError, match="the VJP of one_for_two must return 2 adjoints"):
        one_for_two(ad.Tensor([1.0]), ad.Tensor([2.0])).sum().backward()

    @ad.custom_vjp(lambda g, out, x: (g,))
    def twice(x):
        return 2 * x

    with pytest.raises(ArgumentError, match="'twice' is a built-in operation of the rule "
                                            "table or an array operation"):
        ad.custom_derivative(lambda out, x: (2.0,))(twice.__wrapped__)


# --- solve -----------------------------------------------------------------------------------


def well_conditioned(rng, n):
    return rng.normal(size=(n, n)) + 3 * n * np.eye(n)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 4), columns=st.sampled_from([None, 1, 3]), seed=st.integers(0, 10**6))
def test_solves_vjp_agrees_with_central_differences(n, columns, seed):
    rng = np.random.default_rng(seed)
    A = well_conditioned(rng, n)
    b = rng.normal(size=(n,) if columns is None else (n, columns))
    weights = rng.normal(size=b.shape)
    a_leaf, b_leaf = ad.Tensor(A), ad.Tensor(b)
    x = ad.solve(a_leaf, b_leaf)
    assert np.allclose(x.value, np.linalg.solve(A, b), rtol=1e-12)
    (x * weights).sum().backward()
    assert np.allclose(a_leaf.grad, central(lambda M: (np.linalg.solve(M, b) * weights).sum(), A),
                       rtol=1e-6, atol=1e-9)
    assert np.allclose(b_leaf.grad, central(lambda v: (np.linalg.solve(A, v) * weights).sum(), b),
                       rtol=1e-6, atol=1e-9)


def test_solve_agrees_with_the_scalar_engine_by_cramers_rule():
    """x = A⁻¹ b for 2 × 2 A, written out with Vars, gives the same gradient."""
    A, b, weights = np.array([[3.0, 1.0], [-2.0, 4.0]]), np.array([1.0, -2.0]), np.array([2.0, 0.5])

    def by_cramer(a, c, d, e, b1, b2):
        det = a * e - c * d
        return weights[0] * (b1 * e - c * b2) / det + weights[1] * (a * b2 - d * b1) / det

    scalar = ad.grad(by_cramer)(*A.ravel(), *b)
    a_leaf, b_leaf = ad.Tensor(A), ad.Tensor(b)
    (ad.solve(a_leaf, b_leaf) * weights).sum().backward()
    assert np.allclose(a_leaf.grad.ravel(), scalar[:4], rtol=1e-12)
    assert np.allclose(b_leaf.grad, scalar[4:], rtol=1e-12)


def test_solves_jvp_and_second_derivatives():
    rng = np.random.default_rng(7)
    A, b = well_conditioned(rng, 3), rng.normal(size=3)
    inverse = np.linalg.inv(A)
    assert np.allclose(ad.jacobian(lambda v: ad.solve(A, v), mode="forward")(b), inverse)
    assert np.allclose(ad.jacobian(lambda v: ad.solve(A, v))(b), inverse)
    by_a = ad.jacobian(lambda M: ad.solve(M, b), mode="forward")(A)
    assert np.allclose(by_a, ad.jacobian(lambda M: ad.solve(M, b))(A), rtol=1e-10)
    hessian = ad.hessian(lambda M: (ad.solve(M, b) ** 2).sum())(A)  # forward over reverse

    def gradient(M):
        x = np.linalg.solve(M, b)
        return -2 * np.outer(np.linalg.solve(M.T, x), x)

    assert np.allclose(hessian.reshape(9, 9),
                       np.array([central(lambda M: gradient(M)[i], A) for i in np.ndindex(3, 3)])
                       .reshape(9, 9), rtol=1e-5, atol=1e-8)
    assert isinstance(ad.solve(A, b), np.ndarray)  # plain arrays: a plain answer


@pytest.mark.parametrize("A, b, error, message", [
    (np.ones((2, 3)), np.ones(2), ShapeError, "solve needs a square matrix A"),
    (np.ones((2, 2, 2)), np.ones(2), ShapeError, "solve needs a square matrix A"),
    (np.eye(2), np.ones(3), ShapeError, "b to be a vector or a matrix of 2 rows"),
    (np.eye(2), np.ones((2, 2, 1)), ShapeError, "b to be a vector or a matrix of 2 rows"),
    (np.ones((2, 2)), np.ones(2), DomainError, "A .a 2×2 matrix. is singular"),
    (ad.Var(1.0), np.ones(1), NotANumberError, "cannot mix a Tensor with a Var"),
])
def test_solve_refuses_what_it_cannot_solve(A, b, error, message):
    for wrap in (lambda M: M, lambda M: ad.Tensor(M) if isinstance(M, np.ndarray) else M):
        with pytest.raises(error, match=message):
            ad.solve(wrap(A), b)


def test_the_readmes_section_prints_what_it_shows():
    import doctest
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    text = readme.split("### Beyond backprop: solves, your own VJPs, stopped gradients", 1)[1]
    block = re.search(r"```python\n(.*?)\n```", text, re.DOTALL).group(1)
    test = doctest.DocTestParser().get_doctest(block, {"ad": ad, "np": np}, "README", "README.md", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert len(test.examples) >= 10 and runner.failures == 0


def test_an_array_that_is_not_numpys_is_still_refused_as_before():
    import sympy as sp

    with pytest.raises(NotANumberError, match="the input of sin must be a real number"):
        ad.sin(sp.Matrix([1.0]))
    with pytest.raises(NotANumberError, match="the input of stop_gradient must be a real"):
        ad.stop_gradient(sp.Matrix([1.0]))
