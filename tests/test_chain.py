"""The matrix chain: the Jacobian product J_k ⋯ J_1 and what each order of forming it costs.

Oracles: the classic example of Cormen et al., *Introduction to Algorithms* (six matrices
30×35, 35×15, 15×5, 5×10, 10×20, 20×25: 15,125 scalar multiplications, parenthesised
((A1(A2A3))((A4A5)A6))); tables computed by hand below; brute force over every
parenthesisation; and matrices actually multiplied, in the order each row of the table
writes out, by a multiplication that counts its multiply-adds.
"""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

import adlearn as ad
from adlearn.lessons.matrix_chain import MAX_JACOBIANS, Factor
from adlearn.errors import ShapeError

CLRS = [("A6", (20, 25)), ("A5", (10, 20)), ("A4", (5, 10)), ("A3", (15, 5)),
        ("A2", (35, 15)), ("A1", (30, 35))]  # applied right to left: A1 A2 ⋯ A6 x


def test_the_classic_example_costs_15125_in_the_textbooks_order():
    chain = ad.matrix_chain(CLRS)
    assert chain.optimal_cost == 15125
    assert chain.optimal_order == "(A1 (A2 A3)) ((A4 A5) A6)"
    # by hand: from the right A5A6 = 10·20·25, then 5·10·25, 15·5·25, 35·15·25, 30·35·25
    assert chain.forward_cost == 5000 + 1250 + 1875 + 13125 + 26250 == 47500
    assert chain.forward_order == "A1 (A2 (A3 (A4 (A5 A6))))"
    # from the left A1A2 = 30·35·15, then 30·15·5, 30·5·10, 30·10·20, 30·20·25
    assert chain.reverse_cost == 15750 + 2250 + 1500 + 6000 + 15000 == 40500
    assert chain.reverse_order == "((((A1 A2) A3) A4) A5) A6"
    assert chain.sizes == (25, 20, 10, 5, 15, 35, 30)


def test_sizes_name_the_factors_j1_to_jk_and_give_the_same_costs():
    chain = ad.matrix_chain([25, 20, 10, 5, 15, 35, 30])
    assert chain.factors[0] == Factor("J1", 20, 25) and chain.factors[-1] == Factor("J6", 30, 35)
    assert chain.optimal_cost == 15125
    assert chain.optimal_order == "(J6 (J5 J4)) ((J3 J2) J1)"


def test_an_mlp_shaped_chain_wide_input_scalar_output_is_cheaper_in_reverse():
    # x (784) -> h (128) -> logits (10) -> loss (1): J1 128×784, J2 10×128, J3 1×10
    chain = ad.matrix_chain([784, 128, 10, 1])
    table = [(c.way, c.order, c.multiply_adds) for c in chain.costs]
    jvp = 128 * 784 + 10 * 128 + 1 * 10  # a matrix-vector product per factor: 101,642
    assert table == [
        ("forward mode: from the right", "J3 (J2 J1)", 10 * 128 * 784 + 1 * 10 * 784),
        ("reverse mode: from the left", "(J3 J2) J1", 1 * 10 * 128 + 1 * 128 * 784),
        ("cheapest order (dynamic program)", "(J3 J2) J1", 101632),
        ("one JVP (a column of J)", "J3 (J2 (J1 v))", jvp),
        ("one VJP (a row of J)", "((uᵀ J3) J2) J1", jvp),
        ("forward mode by JVPs (784 columns)", "784 × JVP", 784 * jvp),
        ("reverse mode by VJPs (1 row)", "1 × VJP", jvp),
    ]
    assert (chain.forward_cost, chain.reverse_cost) == (1011360, 101632)
    assert (chain.forward_sweeps, chain.reverse_sweeps) == (784, 1)


def test_one_input_many_outputs_is_cheaper_in_forward_mode():
    # t (1) -> 10 -> 100 -> 1000 outputs: J1 10×1, J2 100×10, J3 1000×100
    chain = ad.matrix_chain([1, 10, 100, 1000])
    assert chain.forward_cost == 100 * 10 * 1 + 1000 * 100 * 1 == 101000
    assert chain.reverse_cost == 1000 * 100 * 10 + 1000 * 10 * 1 == 1010000
    assert chain.optimal_cost == chain.forward_cost
    assert chain.optimal_order == chain.forward_order == "J3 (J2 J1)"
    assert (chain.forward_sweeps, chain.reverse_sweeps) == (1, 1000)


def test_an_elementwise_layer_is_diagonal_and_costs_one_multiplication_per_entry():
    # x (784) -> W1 x (128) -> tanh (128) -> W2 h (10) -> loss (1)
    chain = ad.matrix_chain([("W1", (128, 784)), ("tanh", (128, 128), "diagonal"),
                             ("W2", (10, 128)), ("loss", (1, 10))])
    assert chain.factors[1] == Factor("tanh", 128, 128, diagonal=True)
    # from the right: tanh W1 = 128·784 (one product per entry), then 10·128·784, 1·10·784
    assert chain.forward_cost == 128 * 784 + 10 * 128 * 784 + 1 * 10 * 784 == 1111712
    # from the left: loss W2 = 1·10·128, then times tanh 1·128, then times W1 1·128·784
    assert chain.reverse_cost == 1 * 10 * 128 + 1 * 128 + 1 * 128 * 784 == 101760
    assert chain.optimal_cost == chain.reverse_cost
    # one sweep: a matrix-vector product per dense factor, 128 multiplications for tanh
    assert chain.jvp_cost == chain.vjp_cost == 128 * 784 + 128 + 10 * 128 + 10
    dense = ad.matrix_chain([784, 128, 128, 10, 1])
    assert dense.jvp_cost - chain.jvp_cost == 128 * 128 - 128


def test_diagonal_times_diagonal_stays_diagonal():
    chain = ad.matrix_chain([("exp", (5, 5), "diagonal"), ("sin", (5, 5), "diagonal"),
                             ("W", (3, 5))])
    # (W sin) exp: 3·5, then 3·5; W (sin exp): 5, then 3·5
    assert chain.optimal_cost == 5 + 3 * 5 and chain.optimal_order == "W (sin exp)"
    assert chain.forward_order == "W (sin exp)" and chain.reverse_cost == 2 * 3 * 5
    assert "5×5 diagonal" in str(chain)
    assert "a product with a diagonal one, one per entry of the result" in str(chain)
    assert r"\underset{5\times 5\ \mathrm{diagonal}}{\mathrm{exp}}" in chain.to_latex()
    assert "<small>5×5 diagonal</small>" in chain._repr_html_()


def test_a_single_jacobian_needs_no_product():
    chain = ad.matrix_chain([("W", (4, 3))])
    assert (chain.forward_cost, chain.reverse_cost, chain.optimal_cost) == (0, 0, 0)
    assert chain.optimal_order == "W"
    assert chain.jvp_cost == chain.vjp_cost == 12
    assert [c.multiply_adds for c in chain.costs[-2:]] == [3 * 12, 4 * 12]


# ---- the oracles: brute force, and matrices multiplied in the order written out ----

sizes_lists = st.lists(st.integers(1, 40), min_size=2, max_size=8)


@st.composite
def chains(draw, largest=40, longest=8):
    """A chain of factors (name, shape[, "diagonal"]); square ones are often diagonal."""
    sizes = draw(st.lists(st.integers(1, largest), min_size=2, max_size=longest + 1))
    return [(f"J{i}", (sizes[i], sizes[i - 1]),
             *(["diagonal"] if sizes[i] == sizes[i - 1] and draw(st.booleans()) else []))
            for i in range(1, len(sizes))]


def brute_force(sizes):
    """The least cost over every parenthesisation of J_k ⋯ J_1 (no dynamic program)."""
    def cheapest(i, j):  # J_j ⋯ J_i
        if i == j:
            return 0
        return min(cheapest(i, s) + cheapest(s + 1, j) + sizes[j] * sizes[s] * sizes[i - 1]
                   for s in range(i, j))
    return cheapest(1, len(sizes) - 1)


@given(sizes_lists)
def test_the_cheapest_order_is_never_dearer_than_either_mode_and_is_the_brute_force_least(
        sizes):
    chain = ad.matrix_chain(sizes)
    assert chain.optimal_cost <= min(chain.forward_cost, chain.reverse_cost)
    assert chain.optimal_cost == brute_force(sizes)


@given(chains(largest=6, longest=7), st.randoms(use_true_random=False))
def test_with_diagonal_factors_the_cheapest_order_is_the_least_of_every_order(factors, rng):
    chain = ad.matrix_chain(factors)
    matrices = {f.name: random_matrix(rng, f) for f in chain.factors}
    costs = [evaluate(order, matrices)[1] for order in parenthesisations(chain.factors)]
    assert chain.optimal_cost == min(costs)
    assert min(costs) <= min(chain.forward_cost, chain.reverse_cost)


def parenthesisations(factors):
    """Every way to write J_k ⋯ J_1 out with parentheses ("(J3 J2) J1", "J3 (J2 J1)")."""
    if len(factors) == 1:
        return [factors[0].name]
    wrap = lambda text: text if " " not in text else f"({text})"  # noqa: E731
    return [f"{wrap(left)} {wrap(right)}" for s in range(1, len(factors))
            for left in parenthesisations(factors[s:]) for right in parenthesisations(factors[:s])]


class Matrix:
    """Entries, and which of them can be non-zero at all (all, or the diagonal's)."""

    def __init__(self, entries, structure):
        self.entries, self.structure = entries, structure

    def __eq__(self, other):
        return (self.entries, self.structure) == (other.entries, other.structure)

    def __repr__(self):
        return f"Matrix({self.entries}, {self.structure})"


def random_matrix(rng, factor):
    rows, cols = factor.rows, factor.cols
    structure = [[not factor.diagonal or r == c for c in range(cols)] for r in range(rows)]
    return Matrix([[rng.randint(-3, 3) if structure[r][c] else 0 for c in range(cols)]
                   for r in range(rows)], structure)


def counted_product(a, b, counter):
    """a b, adding to counter[0] its multiply-adds: one for each pair of entries that can
    be non-zero and meet in a term, a[r][t] b[t][c]."""
    assert len(a.entries[0]) == len(b.entries), "the shapes do not fit"
    inner = range(len(b.entries))
    cells = [[[t for t in inner if a.structure[r][t] and b.structure[t][c]]
              for c in range(len(b.entries[0]))] for r in range(len(a.entries))]
    counter[0] += sum(len(terms) for row in cells for terms in row)
    return Matrix([[sum(a.entries[r][t] * b.entries[t][c] for t in terms)
                    for c, terms in enumerate(row)] for r, row in enumerate(cells)],
                  [[bool(terms) for terms in row] for row in cells])


def evaluate(order, matrices):
    """Multiply the matrices in the order written ("(J3 J2) J1", "J2 (J1 v)"), counting."""
    counter, stack = [0], [[]]
    for token in re.findall(r"\(|\)|[^\s()]+", order):
        if token == "(":
            stack.append([])
        else:
            value = stack.pop()[0] if token == ")" else matrices[token]
            if stack[-1]:  # juxtaposition multiplies, left to right within a group
                value = counted_product(stack[-1].pop(), value, counter)
            stack[-1].append(value)
    (result,), = stack
    return result, counter[0]


@given(chains(largest=3, longest=6), st.randoms(use_true_random=False))
def test_every_order_in_the_table_multiplies_out_to_j_at_the_cost_it_reports(factors, rng):
    chain = ad.matrix_chain(factors)
    n0, nk = chain.sizes[0], chain.sizes[-1]
    matrices = {f.name: random_matrix(rng, f) for f in chain.factors}
    matrices["v"] = random_matrix(rng, Factor("v", n0, 1))
    matrices["uᵀ"] = random_matrix(rng, Factor("uᵀ", 1, nk))
    jacobian, _ = evaluate(chain.forward_order, matrices)
    for cost in chain.costs[:3]:
        assert evaluate(cost.order, matrices) == (jacobian, cost.multiply_adds), cost
    jvp, vjp = chain.costs[3:5]
    if not any(f.diagonal for f in chain.factors):
        assert jvp.multiply_adds == sum(m * n for n, m in zip(chain.sizes, chain.sizes[1:]))
    assert evaluate(jvp.order, matrices) == (
        counted_product(jacobian, matrices["v"], [0]), jvp.multiply_adds)
    assert evaluate(vjp.order, matrices) == (
        counted_product(matrices["uᵀ"], jacobian, [0]), vjp.multiply_adds)


@given(sizes_lists)
def test_a_jvp_and_a_vjp_cost_one_matrix_vector_product_per_factor(sizes):
    chain = ad.matrix_chain(sizes)
    per_sweep = sum(m * n for n, m in zip(sizes, sizes[1:]))
    assert chain.jvp_cost == chain.vjp_cost == per_sweep
    by_sweeps = {c.way.split(" (")[0]: c.multiply_adds for c in chain.costs[5:]}
    assert by_sweeps == {"forward mode by JVPs": sizes[0] * per_sweep,
                         "reverse mode by VJPs": sizes[-1] * per_sweep}


def test_the_longest_chain_allowed_is_costed_and_one_more_is_refused():
    k = MAX_JACOBIANS
    chain = ad.matrix_chain([2] * k + [1])
    assert chain.forward_cost == 2 * 2 * 2 * (k - 2) + 1 * 2 * 2
    assert chain.reverse_order.startswith("(" * (k - 2) + f"J{k} J{k - 1})")
    assert chain.optimal_cost == chain.reverse_cost == 1 * 2 * 2 * (k - 1)
    with pytest.raises(ShapeError, match=f"a chain of {k + 1} Jacobians is too long"):
        ad.matrix_chain([2] * (k + 2))
    with pytest.raises(ShapeError, match=f"at most {k}"):
        ad.matrix_chain([("J", (1, 1))] * (k + 1))


# ---- renderings ----

def test_the_text_shows_each_factor_over_its_shape_and_the_cost_table():
    text = str(ad.matrix_chain([784, 128, 10, 1]))
    assert text.splitlines()[:4] == [
        "The matrix chain J = J3 J2 J1: J is 1×784 (784 inputs, 1 output, 3 Jacobians)",
        "",
        "  J  =  J3     J2       J1",
        "        1×10   10×128   128×784"]
    assert "an m×n matrix times an n×p matrix costs m·n·p" in text
    assert "  forward mode: from the right        J3 (J2 J1)        1,011,360" in text
    assert "  forward mode by JVPs (784 columns)  784 × JVP        79,687,328" in text


def test_the_html_has_every_shape_and_count_and_escapes_names():
    chain = ad.matrix_chain([("<x>", (3, 2)), ("W&b", (1, 3))])
    page = chain._repr_html_()
    assert "&lt;x&gt;" in page and "W&amp;b" in page and "<x>" not in page
    assert "3×2" in page and "1×3" in page
    for cost in chain.costs:
        assert f"{cost.multiply_adds:,}</td>" in page
    assert page.count("<tr>") == 2 + 1 + len(chain.costs)  # product, heading, table rows


def test_the_latex_writes_shapes_under_the_factors_and_a_balanced_tabular():
    latex = ad.matrix_chain([784, 128, 10, 1]).to_latex()
    assert latex.splitlines()[0] == (r"\[ J = \underset{1\times 10}{J_{3}}\,"
                                     r"\underset{10\times 128}{J_{2}}\,"
                                     r"\underset{128\times 784}{J_{1}} \]")
    assert r"forward mode: from the right & $J_{3} (J_{2} J_{1})$ & 1{,}011{,}360 \\" in latex
    assert r"one VJP (a row of J) & $((u^{\top} J_{3}) J_{2}) J_{1}$ & 101{,}642 \\" in latex
    assert r"$784 \times \mathrm{JVP}$" in latex
    assert latex.count("{") == latex.count("}")
    special = ad.matrix_chain([("a_b&c", (2, 2))]).to_latex()
    assert r"\mathrm{a\_b\&c}" in special


def test_repr_says_the_shape_and_the_least_cost():
    assert repr(ad.matrix_chain(CLRS)) == (
        "<MatrixChain A1 A2 A3 A4 A5 A6: 30×25, cheapest 15,125 multiply-adds>")


# ---- bad input ----

@pytest.mark.parametrize("chain, message", [
    ([], "at least two sizes"),
    ([5], "at least two sizes, the input's n0 and the output's, but got [5]"),
    ([3, 0, 2], "n1 is 0: a size must be at least 1"),
    ([3, -4], "n1 is -4"),
    ([3, 2.5], "n1 should be a whole number, not 2.5"),
    ([3, True], "n1 should be a whole number, not True"),
    ("3 4", "a matrix chain is a list of sizes or of (name, (rows, columns)) factors"),
    (12, "not 12"),
    ([("J1", (3, 2)), ("J2", (4, 5))],
     "J2 is 4×5 but J1 before it is 3×2: J2 takes J1's 3 outputs, so it needs 3 columns"),
    ([("J1", (3, 2)), 4], "factor 2 should be (name, (rows, columns))"),
    ([("J1", (3, 2, 1))], "factor 1 should be (name, (rows, columns))"),
    ([(7, (3, 2))], "factor 1's name should be text, not 7"),
    ([("W", (0, 2))], "W's rows is 0: a size must be at least 1"),
    ([("W", (3, "2"))], "W's columns should be a whole number, not '2'"),
    ([("tanh", (3, 2), "diagonal")], "tanh is 3×2, so it cannot be diagonal: a diagonal"),
    ([("tanh", (3, 3), "diag")], "tanh: after the shape only \"diagonal\" may follow, not 'diag'"),
])
def test_bad_chains_say_what_is_wrong(chain, message):
    with pytest.raises(ShapeError) as error:
        ad.matrix_chain(chain)
    assert message in str(error.value)
    assert isinstance(error.value, ValueError) and isinstance(error.value, ad.AdlearnError)
