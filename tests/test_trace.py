"""The evaluation trace: order and names of the nodes, and the trace table itself.

The oracle is the textbook: Baydin et al., "Automatic differentiation in machine
learning: a survey", Table 2 (the example ln(x1) + x1*x2 - sin(x2) at (2, 5)), and the
introductory example x1**2 + 2*x2 at (2, 3); the numbers below are copied by hand.
"""

import pytest

import adlearn as ad
from adlearn.trace import definition, node_names, trace_order


def classic():
    x1, x2 = ad.Var(2.0, name="x1"), ad.Var(5.0, name="x2")
    return x1, x2, ad.log(x1) + x1 * x2 - ad.sin(x2)


def intro():
    x1, x2 = ad.Var(2.0, name="x1"), ad.Var(3.0, name="x2")
    return x1, x2, x1**2 + 2 * x2


def table(output, inputs=None, style="textbook"):
    names = node_names(output, inputs, style)
    return [(names[n], definition(n, names)) for n in trace_order(output, inputs)
            if not n.is_constant]


def test_textbook_numbering_of_the_classic_example():
    x1, x2, f = classic()
    assert table(f) == [("v-1", "x1"), ("v0", "x2"), ("v1", "ln v-1"), ("v2", "v-1 × v0"),
                        ("v3", "sin v0"), ("v4", "v1 + v2"), ("v5", "v4 - v3")]


def test_intro_numbering_of_the_intro_example():
    x1, x2, f = intro()
    assert table(f, style="intro") == [("x1", "x1"), ("x2", "x2"), ("x3", "x1^2"),
                                       ("x4", "2 × x2"), ("f", "x3 + x4")]


def test_given_inputs_come_first_in_their_order_even_unused():
    x1, x2, f = intro()
    unused = ad.Var(1.0, name="z")
    order = trace_order(f, [x2, unused, x1])
    assert order[:3] == [x2, unused, x1]
    assert [n.value for n in order if n.is_constant] == [2.0, 2.0]
    assert node_names(f, [x2, unused, x1])[x1] == "v0"


def test_order_puts_every_node_after_its_inputs_and_needs_no_recursion():
    x = ad.Var(0.5, name="x")
    y = x
    for _ in range(5000):  # deeper than Python's recursion limit
        y = ad.sin(y) + x
    order = trace_order(y)
    position = {n: i for i, n in enumerate(order)}
    assert len(order) == len(position)
    assert all(position[c] < position[n] for n in order for c in n.inputs)
    assert order[-1] is y and node_names(y)[y] == "v10000"


def test_unknown_style_is_refused():
    *_, f = classic()
    with pytest.raises(ValueError, match="style must be one of 'textbook', 'intro'"):
        node_names(f, style="fancy")
