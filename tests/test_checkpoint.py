"""Checkpointing: a checkpointed function stores one node and recomputes the rest in the
reverse sweep; for a chain of checkpoints the value and the gradient are the plain sweep's
to the last bit, elsewhere up to the order in which an adjoint's terms are added."""

import gc
import math

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import adlearn as ad
from adlearn.core.checkpointing import Recomputed
from adlearn.core.rules import RULES
from adlearn.text import rounded
from adlearn.views.explorer import DIGITS

N, K = 400, 20  # a loop of N steps, checkpointed every K steps
H = 1.0 / N


@pytest.fixture(autouse=True)
def rule_table():
    saved = dict(RULES)
    yield
    RULES.clear()
    RULES.update(saved)


def step(x):
    """One Euler step of dx/dt = sin x."""
    return x + H * ad.sin(x)


def run(x, steps=N):
    for _ in range(steps):
        x = step(x)
    return x


def checkpointed_run(x):
    segment = ad.checkpoint(lambda x: run(x, K))
    for _ in range(N // K):
        x = segment(x)
    return x


# steps of a loop, each written with operators and adlearn's functions, and bounded so
# that no run of them overflows
STEPS = [
    step,
    lambda x: 2 * ad.tanh(x) * ad.cos(x),
    lambda x: ad.sin(x) * x / (1 + x * x),
    lambda x: ad.exp(-x * x) + ad.sigmoid(x) - 0.5,
    lambda x: ad.sqrt(x * x + 1) - abs(x) / 2,
    lambda x: x ** 2 / (1 + x ** 2) - ad.relu(x) / 4,
    lambda x: ad.log(1 + x * x) - x / 3,
]


def loop(program):
    """The loop that runs the steps of program (indices into STEPS) one after another."""

    def run_program(x):
        for i in program:
            x = STEPS[i](x)
        return x

    return run_program


def in_pieces(program, k, nested):
    """The same loop, cut into checkpointed pieces of k steps (the last one may be shorter);
    nested: the pieces checkpointed again, two at a time."""
    pieces = [ad.checkpoint(loop(program[i:i + k])) for i in range(0, len(program), k)]
    if nested:
        pieces = [ad.checkpoint(loop_of(pieces[i:i + 2])) for i in range(0, len(pieces), 2)]
    return loop_of(pieces)


def loop_of(functions):
    def composed(x):
        for f in functions:
            x = f(x)
        return x

    return composed


@given(st.lists(st.integers(0, len(STEPS) - 1), min_size=1, max_size=40),
       st.integers(1, 40), st.booleans(), st.floats(-3, 3))
def test_a_chain_of_checkpoints_has_the_plain_sweeps_value_and_gradient(program, k, nested, x0):
    plain = ad.value_and_grad(loop(program), 0)(x0)
    checkpointed = ad.value_and_grad(in_pieces(program, k, nested), 0)(x0)
    # the same operations on the same floats, forward and in the sweep: equal, not close
    assert checkpointed == plain


@settings(deadline=None)  # a loaded machine can take longer than hypothesis's 200 ms
@given(st.floats(-3, 3))
def test_the_checkpointed_euler_loop_is_the_plain_one(x0):
    assert ad.value_and_grad(checkpointed_run, 0)(x0) == ad.value_and_grad(run, 0)(x0)
    x = ad.Var(x0, name="x")
    checkpointed_run(x).backward()  # backward() runs the same sweep
    assert x.grad == ad.grad(run, 0)(x0)


@pytest.mark.parametrize("x0", [-2.5, -0.7, 0.3, 1.9])
def test_a_variable_with_terms_from_elsewhere_agrees_up_to_rounding(x0):
    def parametrized(x, a, steps):
        for _ in range(steps):
            x = x + H * ad.sin(a * x)
        return x

    piece = ad.checkpoint(lambda x, a: parametrized(x, a, K))

    def checkpointed(x, a):
        for _ in range(N // K):
            x = piece(x, a)
        return x

    plain_grad = ad.grad(lambda x, a: parametrized(x, a, N))(x0, 1.5)
    checkpointed_grad = ad.grad(checkpointed)(x0, 1.5)
    assert checkpointed_grad[0] == plain_grad[0]  # x goes down the chain: exact
    # a, used by every piece, adds up each piece's terms already summed: rounding differs
    assert checkpointed_grad[1] == pytest.approx(plain_grad[1], rel=1e-14)

    @ad.checkpoint
    def bilinear(a, b):
        return a * b + ad.sin(a) * b

    def used_twice_and_outside(y):
        return bilinear(y, y) + y * ad.cos(y)

    def plain(y):
        return y * y + ad.sin(y) * y + y * ad.cos(y)

    assert (ad.value_and_grad(used_twice_and_outside, 0)(x0)
            == pytest.approx(ad.value_and_grad(plain, 0)(x0), rel=1e-14))


def test_the_gradient_is_the_odes_sensitivity():
    # dx/dt = sin x has tan(x/2) = tan(x0/2) e^t, so dx(1)/dx0 is known in closed form
    x0, t = sp.symbols("x0 t")
    x1 = 2 * sp.atan(sp.tan(x0 / 2) * sp.exp(t))
    exact = float(sp.diff(x1, x0).subs({x0: 1.0, t: 1.0}))
    # Euler's method is first order: with N = 400 steps it is off by about 1e-3
    assert ad.grad(checkpointed_run, 0)(1.0) == pytest.approx(exact, rel=2e-3)


def test_the_graph_keeps_one_node_per_call_and_only_its_inputs_values():
    x = ad.Var(0.5, name="x")
    plain, checkpointed = run(x), checkpointed_run(x)
    assert len(ad.topological_order(plain)) == 1 + N * 4  # x, then per step h, sin, ×, +
    assert len(ad.topological_order(checkpointed)) == 1 + N // K
    assert type(checkpointed.partials) is Recomputed
    assert all(type(v) is float for v in checkpointed.partials.values)
    assert checkpointed.op == "checkpoint"  # a lambda has no name of its own


def test_the_recomputed_graph_is_dropped_after_the_sweep():
    x = ad.Var(0.5, name="x")
    y = checkpointed_run(x)
    gc.collect()
    before = sum(isinstance(o, ad.Var) for o in gc.get_objects())
    y.backward()
    gc.collect()
    assert sum(isinstance(o, ad.Var) for o in gc.get_objects()) == before


def test_several_inputs_constants_and_a_variable_used_twice():
    @ad.checkpoint
    def bilinear(a, b):
        return a * b + ad.sin(a)

    x, y = ad.Var(2.0, name="x"), ad.Var(3.0, name="y")
    z = bilinear(x, y) + bilinear(x, 4.0) + bilinear(y, y)
    z.backward()
    assert z.value == pytest.approx(6 + 8 + 9 + 2 * math.sin(2) + math.sin(3))
    assert x.grad == pytest.approx(3 + math.cos(2) + 4 + math.cos(2))
    assert y.grad == pytest.approx(2 + 2 * 3 + math.cos(3))
    assert bilinear(2.0, 3.0) == 6 + math.sin(2)  # on numbers it simply runs


def test_forward_mode_runs_through_it():
    segment = ad.checkpoint(lambda x: run(x, K))
    assert ad.derivative(segment)(0.5) == ad.derivative(lambda x: run(x, K))(0.5)


def test_checkpoints_nest():
    inner = ad.checkpoint(lambda x: run(x, 5))

    @ad.checkpoint
    def outer(x):
        for _ in range(4):
            x = inner(x)
        return x

    assert ad.value_and_grad(outer, 0)(0.5) == ad.value_and_grad(lambda x: run(x, 20), 0)(0.5)


def test_every_view_prints_the_call_as_one_operation():
    @ad.checkpoint
    def ten_steps(x):
        return run(x, 10)

    t = ad.trace(lambda x: ten_steps(ten_steps(x)), x=0.5)
    assert [r.definition for r in t.rows] == ["x", "ten_steps(v0)", "ten_steps(v1)", "v2"]
    assert t["v0"].adjoint_definition == "v̄1 × ten_steps′(v0)"
    # the trace multiplies v̄1 by the partial it shows, ten_steps′(v0), as it prints: that
    # product is the sweep's only up to rounding
    assert t["v0"].adjoint == pytest.approx(ad.grad(lambda x: run(x, 20), 0)(0.5), rel=1e-14)
    assert r"\operatorname{ten\_steps}(v_{0})" in t.to_latex()
    x = ad.Var(0.5, name="x")
    assert str(ad.to_sympy(ten_steps(x))) == "ten_steps(x)"
    labels = [a.get_text() for a in ad.draw(ten_steps(x)).figure.axes[0].texts]
    assert any("ten_steps(v0)" in label for label in labels)
    explorer = ad.explore(lambda x: ten_steps(ten_steps(x)), x=0.5)
    explorer.sliders["x"].value = 2.0  # recorded again, and swept again
    assert "ten_steps(v<sub>0</sub>)" in explorer.trace_table.value
    assert explorer.reverse.steps[-1].caption[-1].endswith(
        f"= {rounded(ad.grad(lambda x: run(x, 20), 0)(2.0), DIGITS)}.")

    @ad.checkpoint
    def two(a, b):
        return a * b

    t = ad.trace(two, a=2.0, b=3.0)
    assert t["v-1"].adjoint_definition == "v̄1 × ∂1 two(v-1, v0)" and t["v-1"].adjoint == 3


def test_bad_use_gets_clear_errors():
    product = ad.checkpoint(_named("product", lambda a, b: a * b))
    with pytest.raises(ad.errors.NotANumberError, match="product got a Var and a Dual"):
        product(ad.Var(1.0), ad.Dual(1.0, 1.0))
    with pytest.raises(ad.errors.NotANumberError, match="the value returned by pair"):
        ad.checkpoint(_named("pair", lambda x: (x, x)))(ad.Var(1.0))
    with pytest.raises(ad.errors.ArgumentError, match="'exp' is a built-in operation"):
        ad.checkpoint(_named("exp", lambda x: x))
    with pytest.raises(ad.errors.ArgumentError, match="plain inputs"):
        ad.checkpoint(lambda *xs: sum(xs))
    # reverse over reverse asks the rule for its partials on Vars: refused in words
    square = ad.checkpoint(_named("square", lambda x: x * x))
    node = square(ad.Var(3.0))
    with pytest.raises(ad.errors.ArgumentError, match="differentiated once.*ad.derivative"):
        RULES["square"].partials(node, ad.Var(3.0))
    with pytest.raises(ad.errors.ArgumentError, match="differentiated once"):
        ad.grad(ad.grad(square, 0), 0)(3.0)
    assert ad.derivative(ad.derivative(square))(3.0) == 2.0  # forward mode runs x * x itself
    # math.sin runs on the forward pass's floats, not on the recomputation's Vars
    wrong = ad.checkpoint(_named("wrong", lambda x: math.sin(x) * x))
    with pytest.raises(ad.errors.ArgumentError,
                       match=r"wrong ran on numbers but not on Vars.*ad\.sin, not math\.sin"):
        ad.grad(wrong, 0)(1.0)


def test_an_error_in_the_recomputed_piece_names_the_pieces_input():
    @ad.checkpoint
    def scaled(x):
        return x * 1e200

    # the recomputed piece is swept from its adjoint (1e200 here), so the overflow is
    # found in it, at its input
    with pytest.raises(ad.errors.OverflowDomainError,
                       match=r"the adjoint of x \(input of scaled\) is too large"):
        ad.grad(lambda x: scaled(scaled(x)), 0)(1e-300)
    root = ad.checkpoint(_named("root", lambda y: 2 * ad.sqrt(y)))
    with pytest.raises(ad.errors.ZeroDivisionDomainError,
                       match=r"derivative is not defined there.*\n  at: √y \(input of root\)"):
        ad.grad(lambda x: root(x * 0), 0)(1.0)  # √0 on floats is fine, its partial is not


def _named(name, function):
    function.__name__ = name
    return function
