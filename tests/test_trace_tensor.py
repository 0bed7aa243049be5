"""ad.trace on Tensor programs: arrays in the trace, by their entries or their shape.

Oracles: the array engine's own backward() (built here by hand, apart from the trace),
central differences on NumPy for the tangents, and small cases computed by hand.
"""

import itertools
import numbers
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import adlearn as ad
import adlearn.text
import adlearn.views.notation
import adlearn.views.trace as trace_module
from adlearn.views.notation import TEXT

from adlearn.errors import (ArgumentError, DomainError, EntryError, NotANumberError,
                            ShapeError, UnknownInputError)

W = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
X = np.array([0.5, -1.0])
B = np.array([0.1, 0.2, 0.3])


def row(t, name):
    """The row of the input called name (its row is named v-1, v0, ...)."""
    return next(r for r in t.rows if r.definition == name)


def layer(W, x, b):
    return (W @ x + b).tanh().sum()


def test_primal_rows_name_each_operation_and_show_small_values_rounded():
    t = ad.trace(layer, W=W, x=X, b=B)
    assert [(r.name, r.definition) for r in t.rows] == [
        ("v-2", "W"), ("v-1", "x"), ("v0", "b"), ("v1", "v-2 @ v-1"), ("v2", "v1 + v0"),
        ("v3", "tanh v2"), ("v4", "sum(v3)"), ("y", "v4")]
    text = str(t)
    assert "v1  = v-2 @ v-1 = [-1.5, -2.5, -3.5]" in text
    assert "v3  = tanh v2   = [-0.885, -0.98, -0.997]" in text  # tanh(-1.4) = -0.88535...
    assert "at W = [[1, 2], [3, 4], [5, 6]], x = [0.5, -1], b = [0.1, 0.2, 0.3]" in t.title
    assert "v4  = sum(v3)   = -2.862" in text


def test_a_matrix_products_adjoints_are_written_as_vjps():
    t = ad.trace(layer, W=W, x=X, b=B)
    steps = {s.name: s for s in t.adjoint_steps}
    assert (steps["v-2"].chain_rule, steps["v-2"].definition) == ("v̄1 ∂v1/∂v-2", "v̄1 v-1ᵀ")
    assert (steps["v-1"].chain_rule, steps["v-1"].definition) == ("v̄1 ∂v1/∂v-1", "v-2ᵀ v̄1")
    assert steps["v3"].definition == "broadcast_to(v̄4, (3,))"
    assert steps["v2"].definition == "v̄3 × (1 - v3 × v3)"  # tanh's rule, entry by entry
    assert t["v1"].tangent_definition == "v̇-2 v-1 + v-2 v̇-1"
    # by hand: v̄1 = 1 - tanh(W x + b)², W̄ = v̄1 xᵀ, x̄ = Wᵀ v̄1
    g = 1 - np.tanh(W @ X + B) ** 2
    np.testing.assert_allclose(steps["v-2"].adjoint, np.outer(g, X))
    np.testing.assert_allclose(steps["v-1"].adjoint, W.T @ g)
    np.testing.assert_allclose(row(t, "b").adjoint, g)
    assert "W̄   = v̄-2" in str(t)


def engine_grads(f, *values):
    """The array engine's own gradients: Tensors made here, one backward() sweep."""
    xs = [ad.Tensor(v) for v in values]
    f(*xs).backward()
    return [x.grad for x in xs]


def mlp(W1, b1, W2, x):
    hidden = (W1 @ x + b1).tanh()
    return ((W2 @ hidden) ** 2).sum() * 0.5 + (hidden.T.reshape((1, -1)) * 3.0).max()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_the_input_adjoints_are_the_engines_backward(data):
    finite = st.floats(-2, 2, allow_nan=False)
    W1 = data.draw(arrays(np.float64, (3, 2), elements=finite))
    b1 = data.draw(arrays(np.float64, (3,), elements=finite))
    W2 = data.draw(arrays(np.float64, (2, 3), elements=finite))
    x = data.draw(arrays(np.float64, (2,), elements=finite))
    t = ad.trace(mlp, W1=W1, b1=b1, W2=W2, x=x)
    for (name, value), grad in zip(dict(W1=W1, b1=b1, W2=W2, x=x).items(),
                                   engine_grads(mlp, W1, b1, W2, x)):
        np.testing.assert_allclose(row(t, name).adjoint, grad, atol=1e-12)
        assert row(t, name).primal.shape == value.shape
    # the sweep's steps end where the rows are: each variable's last step is its adjoint
    last = {}
    for step in t.adjoint_steps:
        last[step.name] = step.adjoint
    for shown in t.rows[:-1]:  # the output row y has no step: v̄12 = ȳ sets its variable's
        np.testing.assert_allclose(last[shown.name], shown.adjoint, atol=1e-12)


def central_difference(f, values, name, entry, h=1e-6):
    up, down = dict(values), dict(values)
    up[name], down[name] = values[name].copy(), values[name].copy()
    up[name][entry] += h
    down[name][entry] -= h
    return (f(**up) - f(**down)) / (2 * h)


def numpy_mlp(W1, b1, W2, x):
    hidden = np.tanh(W1 @ x + b1)
    return 0.5 * ((W2 @ hidden) ** 2).sum() + (3.0 * hidden).max()


@pytest.mark.parametrize("seed, name, entry", [
    (None, "W1", (0, 0)), ("W1[2, 1]", "W1", (2, 1)), ("x[1]", "x", (1,)),
    (" b1 [ 0 ] ", "b1", (0,))])
def test_the_tangent_trace_is_seeded_on_one_entry(seed, name, entry):
    rng = np.random.default_rng(3)
    values = dict(W1=rng.normal(size=(3, 2)), b1=rng.normal(size=3),
                  W2=rng.normal(size=(2, 3)), x=rng.normal(size=2))
    t = ad.trace(mlp, **values, seed=seed)
    expected = central_difference(numpy_mlp, values, name, entry)
    assert t["y"].tangent == pytest.approx(expected, rel=1e-6, abs=1e-8)
    seeded = np.zeros(values[name].shape)
    seeded[entry] = 1.0
    np.testing.assert_array_equal(row(t, name).tangent, seeded)
    assert f"(seeded on {TEXT.name(name, 'dot')}[{', '.join(map(str, entry))}] = 1)" in str(t)


def test_small_cases_by_hand():
    # f(W, x) = sum(W x): W̄ = 1 xᵀ (each row is x), x̄ = Wᵀ 1 (the column sums)
    t = ad.trace(lambda W, x: (W @ x).sum(), W=[[1, 2], [3, 4]], x=[5, 6])
    assert t["y"].primal == 1 * 5 + 2 * 6 + 3 * 5 + 4 * 6
    assert row(t, "W").adjoint.tolist() == [[5, 6], [5, 6]]
    assert row(t, "x").adjoint.tolist() == [4, 6]
    assert t["y"].tangent == 5  # ∂f/∂W[0, 0] = x[0]
    assert re.search(r"^  x̄ += v̄0 += \[4, 6\]$", str(t), re.M)
    # a scalar input among arrays, broadcast: its adjoint sums over the entries
    t = ad.trace(lambda x, s: (x * s).sum(), x=[1, 2, 3], s=2.0, seed="s")
    assert row(t, "s").adjoint == 6 and row(t, "s").tangent == 1 and t["y"].tangent == 6
    step = next(s for s in t.adjoint_steps if s.name == "v0")
    assert step.definition == "sum(v̄1 × v-1, axis=0)"


def test_structural_operations_are_written_as_the_program_writes_them():
    t = ad.trace(lambda x, b: (x[0] * x[1] + (x.reshape(1, 2) + b).T.sum(0)).relu().sum(),
                 x=[1.0, 2.0], b=[[0.5], [1.0]])
    assert [r.definition for r in t.rows[2:-1]] == [
        "v-1[0]", "v-1[1]", "reshape(v-1, (1, 2))", "v1 × v2", "v3 + v0", "v5ᵀ",
        "sum(v6, axis=0)", "v4 + v7", "relu v8", "sum(v9)"]
    definitions = {(s.name, s.chain_rule): s.definition for s in t.adjoint_steps}
    assert definitions["v-1", "v̄-1 + v̄1 ∂v1/∂v-1"] == "v̄-1 + scatter_add(v̄1, [0], (2,))"
    assert definitions["v-1", "v̄3 ∂v3/∂v-1"] == "reshape(v̄3, (2,))"
    assert definitions["v5", "v̄6 ∂v6/∂v5"] == "v̄6ᵀ"
    assert definitions["v0", "v̄5 ∂v5/∂v0"] == "sum(v̄5, axis=1)"  # b is 2×1, v5 is 2×2
    # relu's partial is 0 or 1 entry by entry: the chain rule alone says it
    assert t["v8"].adjoint_chain_rule == "v̄9 ∂v9/∂v8" and t["v8"].adjoint_definition == ""
    assert t["v6"].tangent_definition == "v̇5ᵀ"
    assert row(t, "x").adjoint.tolist() == [6.0, 4.0]  # x[1] + 2, x[0] + 2
    assert row(t, "b").adjoint.tolist() == [[2.0], [2.0]]


def test_text_html_and_latex_say_the_same():
    t = ad.trace(layer, W=W, x=X, b=B)
    html, latex = t._repr_html_(), t.to_latex()
    assert "v̄<sub>1</sub> v<sub>-1</sub>ᵀ" in html and "v<sub>-2</sub> @ v<sub>-1</sub>" in html
    assert r"\bar{v}_{1} {v_{-1}}^{\top}" in latex and r"{v_{-2}}^{\top} \bar{v}_{1}" in latex
    assert r"$v_{1} = v_{-2} v_{-1}$" in latex
    assert r"\mathrm{broadcast\_to}(\bar{v}_{4}, (3,))" in latex
    for value in ("[-1.5, -2.5, -3.5]", "[[1, 2], [3, 4], [5, 6]]", "-2.862"):
        assert value in str(t) and value in html and value in latex
    for shown in (str(t), html, latex):
        assert "vector-Jacobian product" in shown
    scalar = ad.trace("x1*x2", x1=2.0, x2=3.0)
    assert "vector-Jacobian" not in str(scalar) + scalar._repr_html_() + scalar.to_latex()


def test_an_array_of_more_than_six_entries_is_shown_by_its_shape():
    t = ad.trace(lambda W, x: (W @ x).sum(), W=np.ones((3, 4)), x=np.arange(4.0))
    assert row(t, "W").primal.shape == (3, 4)
    text = str(t)
    assert "v-1 = W        = (3×4) array" in text
    assert "v1  = v-1 @ v0 = [6, 6, 6]" in text and "v0  = x        = [0, 1, 2, 3]" in text
    assert r"(3 \times 4)\ \mbox{array}" in t.to_latex()
    assert "(3×4) array" in t._repr_html_()
    t = ad.trace(lambda x: (x * np.arange(7.0)).sum(), x=np.ones(7))
    assert t.rows[1].definition == "v0 × (7) array"  # a large constant too


def test_a_huge_input_traces_without_formatting_its_entries(monkeypatch):
    formatted = []  # every number written out (an array's entries are written one by one)
    for module, name in itertools.product((trace_module, adlearn.views.notation, adlearn.text),
                                          ("textbook_number", "result_text")):
        original = getattr(module, name, None)
        if original is None:  # the module does not write numbers that way
            continue
        monkeypatch.setattr(module, name, lambda x, *a, _f=original: (
            formatted.append(x) if isinstance(x, numbers.Real) else None) or _f(x, *a))
    rng = np.random.default_rng(0)
    t = ad.trace(lambda W, x: (W @ x).tanh().sum(), W=rng.normal(size=(1000, 1000)) / 100,
                 x=rng.normal(size=1000))
    shown = str(t) + t._repr_html_() + t.to_latex()
    assert "(1000×1000) array" in shown and len(shown) < 20_000
    assert len(formatted) < 40  # only the one-entry values; never an entry of an array


@pytest.mark.parametrize("call, error, message", [
    (lambda: ad.trace(layer, W=W, x=X, b=B, seed="W"), ArgumentError,
     r"seed 'W' is an array of shape \(3, 2\): seed one of its entries, as in seed=\"W\[0, 0\]\""),
    (lambda: ad.trace(layer, W=W, x=X, b=B, seed="W[3, 0]"), EntryError,
     r"seed 'W\[3, 0\]' picks no entry of W, whose shape is \(3, 2\)"),
    (lambda: ad.trace(layer, W=W, x=X, b=B, seed="x[a]"), EntryError, "picks no entry of x"),
    (lambda: ad.trace(layer, W=W, x=X, b=B, seed="x[0, 0]"), EntryError, "picks no entry"),
    (lambda: ad.trace(layer, W=W, x=X, b=B, seed="z[0]"), UnknownInputError,
     "seed 'z\\[0\\]' is not an input of f; its inputs are W, x, b"),
    (lambda: ad.trace(lambda W, x: W @ x, W=W, x=X), ShapeError,
     "f must return one number to be traced .* but it returned a vector of length 3"),
    (lambda: ad.trace(lambda x: x.sum(), x=[[1, 2], [3]]), ShapeError, "rows of equal length"),
    (lambda: ad.trace(lambda x: x.sum(), x=[1.0, float("nan")]), DomainError,
     r"the value of x must hold finite numbers, but entry \[1\] is nan"),
    (lambda: ad.trace(lambda x: x.sum(), x=["a", "b"]), NotANumberError,
     "the value of x must hold real numbers"),
    (lambda: ad.trace(lambda W, x: (W @ x).sum(), W=W, x=[1.0, 2.0, 3.0]), ShapeError,
     "cannot multiply a 3×2 matrix by a vector of length 3"),
])
def test_bad_input_gets_a_clear_adlearn_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_a_tensor_an_array_or_a_list_are_the_same_input():
    by_list = ad.trace(layer, W=W.tolist(), x=list(X), b=B)
    by_tensor = ad.trace(layer, ad.Tensor(W, name="other"), ad.Tensor(X), B)
    assert str(by_list) == str(by_tensor)
    assert re.search(r"^  v-2 = W ", str(by_tensor), re.M)


def test_an_unused_array_input_has_zero_adjoint_and_a_constant_output_traces():
    t = ad.trace(lambda x, z: (x * x).sum(), x=[1.0, 2.0], z=[5.0, 6.0])
    assert row(t, "z").adjoint.tolist() == [0.0, 0.0] and row(t, "x").adjoint.tolist() == [2.0, 4.0]
    t = ad.trace(lambda x: 3.0, x=[1.0, 2.0])
    assert t["y"].primal == 3.0 and row(t, "x").adjoint.tolist() == [0.0, 0.0]
