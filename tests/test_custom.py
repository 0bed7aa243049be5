"""Custom derivatives: an operation a learner adds, with its value and partials in one
entry, works in both modes and shows in every view like a built-in one."""

import math

import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

import adlearn as ad
from adlearn.core.rules import RULES


@pytest.fixture(autouse=True)
def rule_table():
    """Each test's custom rules are gone after it, so other tests see the built-in table."""
    saved = dict(RULES)
    yield
    RULES.clear()
    RULES.update(saved)


def define_softplus():
    @ad.custom_derivative(lambda out, x: (ad.sigmoid(x),), text="softplus {0}",
                          sympy=lambda sp, x: sp.log(1 + sp.exp(x)))
    def softplus(x):
        """ln(1 + e^x), written so that it never overflows."""
        return ad.relu(x) + ad.log(1 + ad.exp(-ad.abs(x)))

    return softplus


def naive_softplus(x):
    return ad.log(1 + ad.exp(x))


def test_the_program_overflows_where_the_custom_operation_does_not():
    softplus = define_softplus()
    with pytest.raises(ad.errors.OverflowDomainError, match="exp 800 is too large"):
        ad.grad(naive_softplus)(800.0)
    assert softplus(800.0) == 800.0
    assert ad.value_and_grad(softplus)(800.0) == (800.0, (1.0,))
    assert ad.derivative(softplus)(800.0) == 1.0
    assert ad.jvp(softplus, (800.0,), (2.0,)) == (800.0, 2.0)


@given(st.floats(-30, 30))
def test_value_and_derivatives_agree_with_the_formula(x):
    softplus = define_softplus()
    s = 1 / (1 + math.exp(-x))
    # ln(1 + tiny) keeps its absolute accuracy, not its relative one: no log1p in the table
    assert softplus(x) == pytest.approx(math.log1p(math.exp(x)), rel=1e-12, abs=1e-15)
    assert ad.grad(softplus)(x)[0] == pytest.approx(s, rel=1e-12)
    assert ad.derivative(softplus)(x) == pytest.approx(s, rel=1e-12)
    # nested forward mode runs the partial itself on dual numbers: (σ)' = σ(1 - σ)
    assert ad.derivative(ad.derivative(softplus))(x) == pytest.approx(s * (1 - s), rel=1e-9,
                                                                      abs=1e-300)
    assert ad.grad(softplus)(x)[0] == pytest.approx(ad.numeric_grad(softplus, x)[0], rel=1e-6)
    # nested reverse mode runs the partial itself on Vars
    assert ad.grad(ad.grad(softplus, 0), 0)(x) == pytest.approx(s * (1 - s), rel=1e-9,
                                                                abs=1e-300)


def test_it_is_one_entry_of_the_rule_table_and_prints_like_a_built_in():
    softplus = define_softplus()
    assert RULES["softplus"].text == "softplus {0}"
    assert softplus.__name__ == "softplus" and "never overflows" in softplus.__doc__
    t = ad.trace(lambda x: 2 * softplus(x), x=800.0)
    assert t["v1"].definition == "softplus v0" and t["v1"].primal == 800
    assert t["v0"].adjoint_definition == "v̄1 × σ(v0)" and t["v0"].adjoint == 2
    assert t["v1"].tangent_definition == "v̇0 × σ(v0)"
    assert r"v_{1} = \operatorname{softplus}(v_{0})" in t.to_latex()  # the default LaTeX form
    x = ad.Var(1.0, name="x")
    assert ad.to_sympy(softplus(x)) == sp.log(1 + sp.exp(sp.Symbol("x", real=True)))
    paths = ad.chain_rule_paths(2 * softplus(x), wrt=x)
    assert paths.total == pytest.approx(2 / (1 + math.exp(-1)))


def test_defaults_name_the_operation_in_every_notation():
    @ad.custom_derivative(lambda out, a, b: (b, a))
    def my_product(a, b):
        return a * b

    x, y = ad.Var(2.0, name="x"), ad.Var(3.0, name="y")
    z = my_product(x, y)
    assert (z.op, z.value, z.partials) == ("my_product", 6.0, (3.0, 2.0))
    t = ad.trace(my_product, a=2.0, b=3.0)
    assert t["v1"].definition == "my_product(v-1, v0)"
    assert r"\operatorname{my\_product}(v_{-1}, v_{0})" in t.to_latex()
    assert str(ad.to_sympy(z)) == "my_product(x, y)"


def test_the_drawing_and_the_explorer_show_it(tmp_path):
    softplus = define_softplus()
    drawing = ad.draw(2 * softplus(ad.Var(800.0, name="x")))
    labels = [t.get_text() for t in drawing.figure.axes[0].texts]
    assert any("softplus v0" in label for label in labels)
    explorer = ad.explore(lambda x: 2 * softplus(x), x=800.0)
    assert "softplus v<sub>0</sub>" in explorer.trace_table.value
    assert any("σ" in line or "softplus" in line
               for step in explorer.reverse.steps for line in step.caption)


def test_bad_definitions_get_clear_errors():
    with pytest.raises(ad.errors.ArgumentError, match="'exp' is a built-in operation"):
        ad.custom_derivative(lambda out, x: (x,))(_named("exp"))
    with pytest.raises(ad.errors.ArgumentError, match="needs a function with a name"):
        ad.custom_derivative(lambda out, x: (x,))(lambda x: x)
    with pytest.raises(ad.errors.ArgumentError, match="needs the partials as a function"):
        ad.custom_derivative((1.0,))
    with pytest.raises(ad.errors.ArgumentError, match="plain inputs"):
        ad.custom_derivative(lambda out, *xs: xs)(_named("many", lambda *xs: sum(xs)))


def test_mistakes_in_a_learners_rule_say_where():
    @ad.custom_derivative(lambda out, x: (math.exp(x),))  # math's exp: not for dual numbers
    def my_exp(x):
        return ad.exp(x)

    assert ad.grad(my_exp)(1.0) == (math.e,)  # on Vars the partials get plain numbers
    with pytest.raises(ad.errors.NotANumberError, match="the partials of the custom operation "
                                                        "my_exp failed on .*Dual.*ad.exp, not"):
        ad.derivative(ad.derivative(my_exp))(1.0)

    @ad.custom_derivative(lambda out, a, b: (1.0,))
    def plus(a, b):
        return a + b

    with pytest.raises(ad.errors.NotANumberError, match="must be 2 partial derivatives, one per "
                                                      r"input, but were \(1.0,\)\n  at: plus"):
        plus(ad.Var(1.0), 2.0)
    with pytest.raises(ad.errors.ArgumentError, match="plus takes 2 inputs, but got 1"):
        plus(1.0)
    with pytest.raises(ad.errors.NotANumberError, match="input 2 of plus must be a real number"):
        plus(1.0, "2")


def test_a_domain_error_in_the_value_reads_like_a_built_in_ones():
    @ad.custom_derivative(lambda out, x: (0.5 / out,), domain="needs x > 0")
    def root(x):
        return ad.sqrt(x)

    with pytest.raises(ad.errors.DomainError, match=r"\(-1\)"):
        root(ad.Var(-1.0, name="x"))


def test_defining_a_name_again_replaces_it():
    first = define_softplus()

    @ad.custom_derivative(lambda out, x: (2.0,))
    def softplus(x):
        return 2 * x

    assert ad.grad(softplus)(1.0) == (2.0,) and ad.grad(first)(0.0) == (2.0,)


def _named(name, function=lambda x: x):
    function.__name__ = name
    return function
