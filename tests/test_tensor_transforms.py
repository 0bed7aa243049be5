"""grad, value_and_grad, jvp, jacobian, vjp, hessian and hvp on arrays, against central
differences, hand-computed derivatives and each other (u·(Jv) = (uᵀJ)·v, H = Hᵀ)."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from test_tensor import (broadcasting_pairs, central_differences, near_a_kink, nonzero,
                         programs, run)

import adlearn as ad
from adlearn.core.tensor import Tensor
from adlearn.errors import CallError

M = np.array([[1.0, -2.0, 0.5], [0.3, 0.7, -1.1]])


def wide(x):
    """R^3 -> R^2 through matmul, broadcasting, softmax and a reduction."""
    return ad.tanh(M @ x) * x.sum() + ad.softmax(x)[:2]


def tall(x):
    """R^2 -> R^2×3: an outer product and elementwise functions."""
    return ad.sin(x.reshape(2, 1) @ M[:1]) + x.reshape(2, 1) ** 2


def numeric_jacobian(f, x, h=1e-6):
    """Central differences, one column per entry of x: shape f(x).shape + x.shape."""
    columns = []
    for j in range(x.size):
        e = np.zeros(x.size)
        e[j] = h
        up, down = (f(Tensor(x + s * e.reshape(x.shape))).value for s in (1, -1))
        columns.append((up - down) / (2 * h))
    out_shape = columns[0].shape
    return np.stack(columns, axis=-1).reshape(out_shape + x.shape)


def test_grad_takes_arrays_and_returns_arrays_of_their_shapes():
    rng = np.random.default_rng(0)
    W, b, x = rng.normal(size=(2, 3)), rng.normal(size=2), rng.normal(size=3)

    def loss(W, b):
        return (ad.tanh(W @ x + b) ** 2).sum()

    value, (dW, db) = ad.value_and_grad(loss)(W, b)
    assert isinstance(value, float)
    assert value == pytest.approx(loss(Tensor(W), Tensor(b)).value.item(), rel=1e-15)
    assert dW.shape == W.shape and db.shape == b.shape
    np.testing.assert_allclose(dW, central_differences(lambda w: loss(Tensor(w), b).value, W),
                               rtol=1e-7)
    np.testing.assert_allclose(db, central_differences(lambda c: loss(W, Tensor(c)).value, b),
                               rtol=1e-7)
    assert ad.grad(loss, argnums=1)(W, b) == pytest.approx(db, rel=1e-15)


def test_grad_with_a_number_beside_an_array_gives_the_number_a_float():
    grads = ad.grad(lambda s, v: (s * v * v).sum())(2.0, [1.0, 3.0])
    assert grads[0] == 10.0 and isinstance(grads[0], float)
    np.testing.assert_array_equal(grads[1], [4.0, 12.0])
    assert ad.grad(lambda s, v: 3.0)(2.0, np.ones(2))[1].tolist() == [0.0, 0.0]


def test_grad_of_an_array_valued_function_says_to_use_jacobian():
    with pytest.raises(ad.errors.ShapeError, match="one number.*vector of length 2.*jacobian"):
        ad.grad(lambda v: v * 2)(np.ones(2))


@pytest.mark.parametrize("f, x", [(wide, np.array([0.3, -1.2, 0.8])),
                                  (tall, np.array([0.4, -0.9]))])
def test_jacobian_in_both_modes_is_the_numeric_one(f, x):
    reverse, forward = ad.jacobian(f), ad.jacobian(f, mode="forward")
    J_reverse, J_forward = reverse(x), forward(x)
    expected_shape = f(Tensor(x)).shape + x.shape
    assert J_reverse.shape == J_forward.shape == expected_shape
    np.testing.assert_allclose(J_reverse, J_forward, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(J_reverse, numeric_jacobian(f, x), rtol=1e-7, atol=1e-9)
    # one sweep per output entry against one per input entry
    assert reverse.sweeps == int(np.prod(expected_shape[:-1])) and forward.sweeps == x.size


def test_jacobian_of_a_matrix_function_has_the_shape_of_output_then_input():
    X = np.arange(6.0).reshape(2, 3) / 10
    J = ad.jacobian(lambda X: X.T @ X)(X)
    assert J.shape == (3, 3, 2, 3)
    np.testing.assert_allclose(J, numeric_jacobian(lambda X: X.T @ X, X), atol=1e-9)


def test_jacobian_mode_is_reverse_or_forward():
    with pytest.raises(ad.errors.ArgumentError, match="'reverse' or 'forward', not 'sideways'"):
        ad.jacobian(wide, mode="sideways")


@settings(max_examples=40, deadline=None)
@given(programs, broadcasting_pairs(), st.integers(0, 2**32 - 1), st.data())
def test_vjp_and_jvp_agree_u_dot_J_v(program, pair, seed, data):
    """u · (J v) = (uᵀ J) · v for random programs, before their final sum."""
    a, b = pair
    f = lambda x: run(program, x, Tensor(b), seed) * x.sum()  # noqa: E731
    v = data.draw(hnp.arrays(np.float64, a.shape, elements=nonzero))
    y, pullback = ad.vjp(f, a)
    u = 0.7
    _, Jv = ad.jvp(f, (a,), (v,))
    assert y == pytest.approx(f(Tensor(a)).value.item(), rel=1e-15)
    assert u * Jv == pytest.approx(np.sum(pullback(u) * v), rel=1e-10, abs=1e-12)


def test_jvp_on_arrays_is_the_jacobian_times_the_tangent():
    x, v = np.array([0.3, -1.2, 0.8]), np.array([1.0, 2.0, -0.5])
    value, tangent = ad.jvp(wide, (x,), (v,))
    np.testing.assert_allclose(value, wide(Tensor(x)).value, rtol=1e-15)
    np.testing.assert_allclose(tangent, ad.jacobian(wide)(x) @ v, rtol=1e-12)
    u = np.array([2.0, -1.0])
    _, pullback = ad.vjp(wide, x)
    assert u @ tangent == pytest.approx(pullback(u) @ v, rel=1e-12)
    with pytest.raises(ad.errors.ShapeError, match=r"the seed has shape \(3,\).*\(2,\)"):
        pullback(np.ones(3))
    with pytest.raises(ad.errors.ShapeError, match=r"tangent of x has shape \(2,\).*\(3,\)"):
        ad.jvp(wide, (x,), (np.ones(2),))


def test_vjp_of_several_arguments_gives_one_array_each():
    y, pullback = ad.vjp(lambda A, x: A @ x, M, np.array([1.0, 2.0, 3.0]))
    dA, dx = pullback(np.array([1.0, -1.0]))
    np.testing.assert_array_equal(dA, np.outer([1.0, -1.0], [1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(dx, np.array([1.0, -1.0]) @ M)


def test_hessian_by_hand():
    x = np.array([1.0, 2.0, -0.5])
    H = ad.hessian(lambda x: (x ** 3).sum() + x[0] * x[1])(x)
    np.testing.assert_allclose(H, np.diag(6 * x) + np.array([[0, 1, 0], [1, 0, 0], [0, 0, 0]]))
    np.testing.assert_array_equal(ad.hvp(lambda x: (x ** 3).sum())(x, np.array([1.0, 0, 2.0])),
                                  [6.0, 0.0, -6.0])
    assert ad.hessian(lambda x: x.sum() * 2.0)(x).tolist() == np.zeros((3, 3)).tolist()


@settings(max_examples=40, deadline=None)
@given(programs, broadcasting_pairs(), st.integers(0, 2**32 - 1), st.data())
def test_hessian_is_symmetric_and_the_numeric_derivative_of_the_gradient(program, pair, seed,
                                                                         data):
    a, b = pair

    def f(x):
        return run(program, x, Tensor(b), seed)

    assume(not near_a_kink(f(Tensor(a))))
    hessian = ad.hessian(f)
    H = hessian(a)
    assert H.shape == a.shape + a.shape and hessian.sweeps == a.size
    n = a.size
    square = H.reshape(n, n)
    scale = max(1.0, np.abs(square).max())
    np.testing.assert_allclose(square, square.T, rtol=1e-9, atol=1e-12 * scale)
    gradient = ad.grad(f, argnums=0)
    numeric = numeric_jacobian(lambda x: Tensor(gradient(x.value)), a, h=1e-5).reshape(n, n)
    np.testing.assert_allclose(square, numeric, rtol=1e-4, atol=1e-5 * scale)
    v = data.draw(hnp.arrays(np.float64, a.shape, elements=nonzero))
    np.testing.assert_allclose(ad.hvp(f)(a, v).reshape(n), square @ v.reshape(n),
                               rtol=1e-9, atol=1e-12 * scale)


def test_a_hessian_through_every_structural_operation():
    """The differentiable sweep uses broadcast_to and scatter_add, the VJPs of sum and
    indexing; log_softmax, max, matmul, transpose and reshape each differentiate twice."""
    x = np.array([0.3, -1.2, 0.8, 0.1])

    def f(x):
        X = x.reshape(2, 2)
        return ((X.T @ X).sum(axis=0) * x[[0, 0, 3]][:2]).sum() + ad.log_softmax(x)[1] \
            + (x * x).max() + ad.sigmoid(x).mean()

    H = ad.hessian(f)(x)
    gradient = ad.grad(f, argnums=0)
    numeric = numeric_jacobian(lambda t: Tensor(gradient(t.value)), x, h=1e-5)
    np.testing.assert_allclose(H, numeric, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(H, H.T, atol=1e-14)


def test_hessian_and_jacobian_are_sympys():
    import sympy as sp

    symbols = sp.symbols("x0 x1 x2")
    x0, x1, x2 = symbols
    expr = x0**2 * sp.sin(x1) + sp.exp(x0 * x1) + sp.log(1 + x2**2) * x0 + sp.tanh(x2 - x0)
    point = np.array([0.7, -0.4, 1.3])
    at = dict(zip(symbols, point))

    def f(x):
        return (x[0] ** 2 * ad.sin(x[1]) + ad.exp(x[0] * x[1]) + ad.log(1 + x[2] ** 2) * x[0]
                + ad.tanh(x[2] - x[0]))

    exact_hessian = np.array(sp.hessian(expr, symbols).subs(at).evalf(30), dtype=float)
    np.testing.assert_allclose(ad.hessian(f)(point), exact_hessian, rtol=1e-13, atol=1e-14)
    exact_gradient = np.array([sp.diff(expr, s).subs(at).evalf(30) for s in symbols], dtype=float)
    np.testing.assert_allclose(ad.grad(f, argnums=0)(point), exact_gradient, rtol=1e-14)
    np.testing.assert_allclose(ad.jacobian(f, mode="forward")(point), exact_gradient, rtol=1e-14)


def test_array_transforms_inside_one_another_say_they_do_not_nest_and_what_to_use():
    """ad.grad of ad.grad on arrays (and ad.jacobian of ad.grad, ad.hessian of it) hands
    the inner transform a Tensor; it says that the transforms of arrays do not nest and
    names ad.hessian and ad.hvp, instead of "Tensor 'x' holds an array of numbers"."""
    f = lambda x: (x ** 3).sum()
    x = np.array([1.0, 2.0])
    nested = [lambda: ad.grad(lambda x: ad.grad(f)(x).sum())(x),
              lambda: ad.jacobian(ad.grad(f))(x),
              lambda: ad.jacobian(ad.grad(f), mode="forward")(x),
              lambda: ad.hessian(lambda x: ad.grad(f)(x).sum())(x),
              lambda: ad.vjp(lambda x: ad.vjp(f, x)[0], x)]
    for call in nested:
        with pytest.raises(CallError, match=r"does not nest: for second derivatives use "
                                            r"ad\.hessian\(f\)\(x\) or ad\.hvp"):
            call()
    assert ad.hessian(f)(x).tolist() == [[6.0, 0.0], [0.0, 12.0]]  # the way that works


def test_a_tensor_given_to_an_array_transform_is_asked_for_as_its_value():
    t = ad.Tensor([1.0, 2.0])
    for call in (lambda: ad.grad(lambda x: (x * x).sum())(t),
                 lambda: ad.jacobian(lambda x: x * x)(t),
                 lambda: ad.jvp(lambda x: x * x, (t,), (np.ones(2),))):
        with pytest.raises(CallError, match=r"x is a Tensor, but the transforms of arrays "
                                            r"take NumPy arrays \(or lists\): pass x\.value"):
            call()
