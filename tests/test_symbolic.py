"""The SymPy bridge: to_sympy and symbolic_grad against results known by hand."""

import pytest
import sympy as sp

import adlearn as ad

x1, x2 = sp.symbols("x1 x2", real=True)


def test_to_sympy_of_the_introductory_example():
    a, b = ad.Var(2.0, name="x1"), ad.Var(3.0, name="x2")
    f = a**2 + 2 * b
    assert ad.to_sympy(f) == x1**2 + 2 * x2
    assert ad.symbolic_grad(f) == {"x1": 2 * x1, "x2": 2}


def test_to_sympy_of_the_survey_example():
    a, b = ad.Var(2.0, name="x1"), ad.Var(5.0, name="x2")
    f = ad.log(a) + a * b - ad.sin(b)
    assert ad.to_sympy(f) == sp.log(x1) + x1 * x2 - sp.sin(x2)
    grad = ad.symbolic_grad(f)
    assert sp.simplify(grad["x1"] - (1 / x1 + x2)) == 0
    assert grad["x2"] == x1 - sp.cos(x2)
    assert float(grad["x2"].subs({x1: 2, x2: 5})) == float(2 - sp.cos(5))


def test_every_function_of_the_table_in_sympy():
    x = ad.Var(0.5, name="x1")
    f = (ad.exp(x) + ad.sqrt(x) + ad.tan(x) + ad.tanh(x) + ad.cos(x) + ad.relu(x)
         + abs(x) + ad.sigmoid(x) + x ** x - x / 3)
    expr = ad.to_sympy(f)
    assert expr.free_symbols == {x1}
    assert float(expr.subs(x1, sp.Rational(1, 2))) == f.value
    d = ad.symbolic_grad(f)["x1"]
    f.backward()
    assert abs(float(d.subs(x1, sp.Rational(1, 2))) - x.grad) < 1e-12


def test_unnamed_inputs_and_constants():
    a, b = ad.Var(1.0), ad.Var(2.0)
    expr = ad.to_sympy(a * 0.5 + b * 3)
    u1, u2 = sorted(expr.free_symbols, key=lambda s: s.name)
    assert (u1.name, u2.name) == ("u1", "u2")
    assert expr == sp.Float(0.5) * u1 + 3 * u2  # whole constants stay exact integers


def test_a_shared_node_is_one_subexpression():
    x = ad.Var(0.3, name="x1")
    s = ad.sin(x)
    assert ad.to_sympy(s * s + s) == sp.sin(x1) ** 2 + sp.sin(x1)


def test_expression_size_counts_nodes():
    assert ad.expression_size(x1 + x2) == 3
    assert ad.expression_size(sp.sin(x1) * x2) == 4


def test_expression_swell_of_the_logistic_map():
    # l(n+1) = 4 l(n) (1 - l(n)): the graph grows by the same 5 nodes a step (the constants
    # 4 and 1, a sub and two muls), while the symbolic derivative's tree about triples
    graph_sizes, derivative_sizes = [], []
    for n in range(1, 7):
        x = ad.Var(0.3, name="x1")
        l = x
        for _ in range(n):
            l = 4 * l * (1 - l)
        graph_sizes.append(len(ad.topological_order(l)))
        derivative_sizes.append(ad.expression_size(sp.diff(ad.to_sympy(l), x1)))
    steps = [b - a for a, b in zip(graph_sizes, graph_sizes[1:])]
    assert steps == [5] * len(steps)  # linear
    assert derivative_sizes[-1] > 8 * derivative_sizes[1]
    assert all(b > 1.5 * a for a, b in zip(derivative_sizes[1:], derivative_sizes[2:]))


def test_an_input_that_cancels_out_is_in_the_gradient_with_0():
    x, y = ad.Var(1.0, name="x"), ad.Var(2.0, name="y")
    assert ad.symbolic_grad(x * 0 + y) == {"x": 0, "y": 1}
    assert ad.symbolic_grad(x - x) == {"x": 0}
    assert ad.grad(lambda a, b: a * 0 + b)(1.0, 2.0) == (0.0, 1.0)  # as reverse mode says


def test_an_expression_too_deep_for_sympy_is_a_clear_error():
    from adlearn.errors import DepthError

    x = ad.Var(0.1, name="x")
    y = x
    for _ in range(3000):
        y = ad.sin(y)
    with pytest.raises(DepthError, match="nested too deeply for SymPy") as caught:
        ad.symbolic_grad(y)
    assert isinstance(caught.value, RecursionError)
    y.backward()  # reverse mode has no such limit
    assert 0 < x.grad < 1
