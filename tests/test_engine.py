"""Reverse mode (Var): the API, the running examples, accumulation, depth and memory."""

import contextlib
import gc
import math
import weakref

import pytest

import adlearn as ad
from adlearn import Var


def test_introductory_example_of_design():
    x1, x2 = Var(2.0, name="x1"), Var(3.0, name="x2")
    f = x1**2 + 2 * x2
    assert f.value == 10.0
    f.backward()
    assert (x1.grad, x2.grad) == (4.0, 2.0)
    # the intermediates x3 = x1**2 and x4 = 2*x2, and f = x3 + x4
    x3, x4 = f.inputs
    assert (f.op, f.partials) == ("add", (1.0, 1.0))
    assert (x3.op, x3.value, x3.inputs[0], x3.partials[0]) == ("powc", 4.0, x1, 4.0)
    assert (x4.op, x4.value, x4.inputs[1], x4.partials) == ("mul", 6.0, x2, (3.0, 2.0))
    assert x4.inputs[0].is_constant and x4.inputs[0].value == 2.0


def test_classic_survey_example_of_design():
    x1, x2 = Var(2.0, name="x1"), Var(5.0, name="x2")
    f = ad.log(x1) + x1 * x2 - ad.sin(x2)
    f.backward()
    assert f.value == math.log(2.0) + 10.0 - math.sin(5.0)
    assert round(f.value, 3) == 11.652
    assert x1.grad == 5.5
    assert x2.grad == 2.0 - math.cos(5.0)
    assert round(x2.grad, 3) == 1.716


def test_a_new_var():
    x = Var(2, name="x")
    assert (x.value, x.grad, x.name, x.op, x.inputs, x.partials) == (2.0, 0.0, "x", None, (), ())
    assert type(x.value) is float
    assert not x.is_constant


X = 1.5
LN2 = math.log(2.0)


@pytest.mark.parametrize("build, value, derivative", [
    (lambda x: 2 * x, 3.0, 2.0),
    (lambda x: x * 2, 3.0, 2.0),
    (lambda x: 1 - x, -0.5, -1.0),
    (lambda x: x - 1, 0.5, 1.0),
    (lambda x: 1 + x, 2.5, 1.0),
    (lambda x: 2**x, 2**X, 2**X * LN2),
    (lambda x: x**3, X**3, 3 * X**2),
    (lambda x: x**x, X**X, X**X * (math.log(X) + 1)),
    (lambda x: x / 3, 0.5, 1 / 3),
    (lambda x: 3 / x, 2.0, -3 / X**2),
    (lambda x: -x, -1.5, -1.0),
    (lambda x: +x, 1.5, 1.0),
    (lambda x: abs(x), 1.5, 1.0),
    (lambda x: abs(-x), 1.5, 1.0),
    (lambda x: abs(x - 2), 0.5, -1.0),
])
def test_arithmetic_with_python_numbers_on_either_side(build, value, derivative):
    x = Var(X)
    y = build(x)
    y.backward()
    assert y.value == pytest.approx(value, rel=1e-15)
    assert x.grad == pytest.approx(derivative, rel=1e-15)


def test_augmented_assignment():
    x = Var(3.0)
    y = x
    y += 1      # x + 1
    y *= x      # (x + 1) x
    y -= 2      # (x + 1) x - 2
    y /= 2      # ((x + 1) x - 2) / 2
    y **= 2     # (((x + 1) x - 2) / 2)^2
    y.backward()
    inner = ((3 + 1) * 3 - 2) / 2
    assert y.value == inner**2
    assert x.grad == 2 * inner * (2 * 3 + 1) / 2
    assert x.value == 3.0  # the input itself is unchanged


def test_builtin_sum():
    xs = [Var(float(i)) for i in range(1, 5)]
    total = sum(x * x for x in xs)
    total.backward()
    assert total.value == 1 + 4 + 9 + 16
    assert [x.grad for x in xs] == [2.0, 4.0, 6.0, 8.0]


def test_ordering_compares_values():
    a, b = Var(1.0), Var(2.0)
    assert a < b and b > a and a <= b and b >= a and not (a > b)
    assert a < 1.5 and 1.5 > a and 0.5 < a and a >= 1.0 and a <= 1
    assert sorted([b, a]) == [a, b]
    assert max(a, b) is b


def test_equality_is_identity_so_nodes_key_sets_and_dicts():
    a, b = Var(1.0), Var(1.0)
    assert a == a and a != b and not (a == b)
    assert len({a, b, a}) == 2
    seen = {a: "a", b: "b"}
    assert seen[a] == "a" and seen[b] == "b"


METHODS = {"exp": math.exp, "log": math.log, "sqrt": math.sqrt, "sin": math.sin,
           "cos": math.cos, "tan": math.tan, "tanh": math.tanh,
           "sigmoid": lambda v: 1 / (1 + math.exp(-v)), "relu": lambda v: max(v, 0.0)}


@pytest.mark.parametrize("method", sorted(METHODS))
def test_methods_as_in_the_table(method):
    x = Var(0.7)
    y = getattr(x, method)()
    assert y.op == method and y.inputs == (x,)
    assert y.value == pytest.approx(METHODS[method](0.7), rel=1e-15)
    assert y.value == getattr(ad, method)(0.7)


def test_a_variable_used_twice_gets_both_contributions():
    x = Var(3.0)
    y = x * x + x
    y.backward()
    assert x.grad == 2 * 3.0 + 1


def test_a_shared_intermediate_gets_both_contributions():
    x = Var(0.5)
    s = ad.sin(x)
    y = s * s + s
    y.backward()
    assert s.grad == 2 * math.sin(0.5) + 1
    assert x.grad == (2 * math.sin(0.5) + 1) * math.cos(0.5)


def test_backward_twice_adds_up_and_zero_grad_resets():
    x1, x2 = Var(2.0), Var(3.0)
    f = x1 * x2 + x1
    f.backward()
    f.backward()
    assert (x1.grad, x2.grad, f.grad) == (8.0, 4.0, 2.0)
    f.zero_grad()
    assert all(node.grad == 0.0 for node in ad.topological_order(f))
    f.backward()
    assert (x1.grad, x2.grad, f.grad) == (4.0, 2.0, 1.0)


def test_gradients_of_two_outputs_accumulate_in_a_shared_input():
    x = Var(2.0)
    (x * 3).backward()
    (x * x).backward()
    assert x.grad == 3.0 + 4.0


def test_topological_order_puts_every_node_after_its_inputs():
    x1, x2 = Var(2.0), Var(5.0)
    f = ad.log(x1) + x1 * x2 - ad.sin(x2)
    order = ad.topological_order(f)
    assert order[-1] is f and len(order) == len(set(order)) == 7
    position = {node: i for i, node in enumerate(order)}
    assert all(position[c] < position[n] for n in order for c in n.inputs)


@contextlib.contextmanager
def no_cycle_collector():
    """Python's cyclic garbage collector switched off (the engine must not need it)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def test_a_chain_of_a_million_operations_needs_no_recursion():
    with no_cycle_collector():  # it would find nothing in an acyclic graph, only take time
        x = Var(1.0)
        y = x
        for _ in range(1_000_000):
            y = y + x  # y = (k + 1) x after k steps: one node per step, x reached from each
        y.backward()
        assert y.value == x.grad == 1_000_001.0


def test_the_graph_is_freed_once_the_output_is_dropped_without_the_cycle_collector():
    with no_cycle_collector():
        x = Var(0.5, name="x")
        y = ad.sin(x * x) + ad.exp(2 * x)
        y.backward()
        nodes = [weakref.ref(node) for node in ad.topological_order(y) if node is not x]
        assert all(ref() is not None for ref in nodes)
        del y
        assert [ref() for ref in nodes] == [None] * len(nodes)
        assert x.grad != 0.0  # the input lives on, with its adjoint


def test_mixing_a_var_with_a_dual_is_a_clear_type_error():
    with pytest.raises(ad.errors.NotANumberError, match="one mode at a time"):
        Var(1.0) * ad.Dual(1.0, 1.0)
    with pytest.raises(TypeError, match="forward mode"):
        Var(ad.Dual(1.0))


def test_repr_shows_value_name_op_and_grad():
    x = Var(2.0, name="x")
    y = x * 3
    y.backward()
    assert repr(x) == "Var(2.0, name='x', grad=3.0)"
    assert repr(y) == "Var(6.0, op='mul', grad=1.0)"
    assert f"{y:.2f}" == "6.00"


def test_every_one_argument_rule_is_also_a_method():
    """x.exp(), x.log(), ..., x.abs(): each one-input rule of the table, as a method."""
    import inspect

    from adlearn.core.rules import RULES

    one_input = [name for name, rule in RULES.items()
                 if len(inspect.signature(rule.value).parameters) == 1 and name != "neg"]
    x = ad.Var(0.5)
    for name in one_input:
        assert getattr(x, name)().op == name
    assert ad.Var(-2.0).abs().value == 2.0


def test_a_node_is_one_object_for_the_garbage_collector():
    """Issue 9: a node keeps its inputs in slots, not in a tuple, so each operation leaves
    one object that Python's cyclic collector tracks and walks (its partials are a tuple
    of floats, which the collector stops tracking at its first look)."""
    x, y = Var(1.5), Var(2.5)
    gc.collect()
    before = len(gc.get_objects())
    nodes = [(x * y).relu() + x for _ in range(1000)]  # 3 operations each
    gc.collect()
    tracked = len(gc.get_objects()) - before
    assert tracked <= 3000 + 10  # the nodes, the list, a few others
    assert nodes[0].inputs[1] is x


def test_an_operation_of_three_inputs_keeps_them_in_order(rule_table_saved):
    """A custom rule of three inputs: the third sits after first and second; inputs,
    the sweep, the topological order and the trace's formula see all three."""
    @ad.custom_derivative(lambda out, a, b, c: (b * c, a * c, a * b), text="{0}·{1}·{2}")
    def product3(a, b, c):
        return a * b * c

    x, y, z = Var(2.0, name="x"), Var(3.0, name="y"), Var(5.0, name="z")
    f = product3(x, y, z)
    assert (f.first, f.second, f.more, f.inputs) == (x, y, (z,), (x, y, z))
    assert ad.topological_order(f) == [x, y, z, f]
    f.backward()
    assert (x.grad, y.grad, z.grad) == (15.0, 10.0, 6.0)
    assert ad.core.engine.formula(product3(x, 2.0, z)) == "x·2·z"
    g = Var(1.0)
    g.inputs = [x, y, z]  # the setter splits a sequence into the slots
    assert (g.first, g.second, g.more) == (x, y, (z,))
    g.inputs = (x,)
    assert (g.first, g.second, g.more, g.inputs) == (x, None, (), (x,))


@pytest.fixture
def rule_table_saved():
    """The rule table as it was, after a test that adds a custom rule."""
    from adlearn.core.rules import RULES

    saved = dict(RULES)
    yield
    RULES.clear()
    RULES.update(saved)
