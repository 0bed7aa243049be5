"""The graph as networkx, and the chain rule as a sum over paths (adlearn.views.paths).

Oracles: the textbook example's hand-computed local partials, backward()'s gradients
over random graphs (tests/exprs.py), and path enumeration against the counting and the
gradient shares, which are computed by different means (listing, dynamic programming,
forward and reverse sweeps).
"""

import math
import re

import pytest
from exprs import expressions
from hypothesis import given, settings

import adlearn as ad
from adlearn.errors import ArgumentError, PathLimitError, UnknownInputError
from adlearn.views.paths import count_paths, gradient_shares
from adlearn.views.recording import Recording, trace_order


def classic():
    x1, x2 = ad.Var(2.0, name="x1"), ad.Var(5.0, name="x2")
    return x1, x2, ad.log(x1) + x1 * x2 - ad.sin(x2)


def test_to_networkx_classic_nodes_and_edges():
    _, _, f = classic()
    f.backward()
    g = ad.to_networkx(f)
    assert list(g.nodes) == ["v-1", "v0", "v1", "v2", "v3", "v4", "v5"]
    assert g.graph["output"] == "v5"
    assert [g.nodes[n]["kind"] for n in g] == ["input"] * 2 + ["intermediate"] * 4 + ["output"]
    assert [g.nodes[n]["op"] for n in g] == [None, None, "log", "mul", "sin", "add", "sub"]
    assert g.nodes["v5"]["value"] == pytest.approx(11.652071455)
    assert g.nodes["v-1"]["grad"] == pytest.approx(5.5)
    assert g.nodes["v0"]["grad"] == pytest.approx(2 - math.cos(5))
    partials = {(u, v): d["partial"] for u, v, d in g.edges(data=True)}
    assert partials == pytest.approx({
        ("v-1", "v1"): 0.5, ("v-1", "v2"): 5.0, ("v0", "v2"): 2.0, ("v0", "v3"): math.cos(5),
        ("v1", "v4"): 1.0, ("v2", "v4"): 1.0, ("v4", "v5"): 1.0, ("v3", "v5"): -1.0})
    assert {(u, v): d["index"] for u, v, d in g.edges(data=True)}[("v0", "v2")] == 1


def test_ids_are_stable_from_run_to_run():
    graphs = [ad.to_networkx(classic()[2]) for _ in range(3)]
    assert all(list(g.nodes(data=True)) == list(graphs[0].nodes(data=True)) for g in graphs)
    assert all(list(g.edges(keys=True)) == list(graphs[0].edges(keys=True)) for g in graphs)


def test_intro_style_names_and_constants():
    x1, x2 = ad.Var(2.0, name="x1"), ad.Var(3.0, name="x2")
    g = ad.to_networkx(x1**2 + 2 * x2, style="intro")
    kinds = dict(g.nodes(data="kind"))
    assert kinds == {"x1": "input", "x2": "input", "c1": "constant", "c2": "constant",
                     "x3": "intermediate", "x4": "intermediate", "f": "output"}
    assert g.nodes["f"]["value"] == 10.0
    assert g.has_edge("c1", "x3") and g.has_edge("c2", "x4")  # the exponent 2, the factor 2


def test_a_square_keeps_both_edges_and_both_paths():
    x = ad.Var(3.0, name="x")
    y = x * x
    g = ad.to_networkx(y, style="intro")
    assert sorted(g.edges(keys=True)) == [("x1", "f", 0), ("x1", "f", 1)]
    paths = ad.chain_rule_paths(y, "x", style="intro")
    assert [p.edges for p in paths] == [(("x1", "f", 0),), (("x1", "f", 1),)]
    assert paths.total == 6.0
    assert "∂f/∂x1 (argument 2) = 3" in str(paths)


def test_classic_paths_from_x1_and_x2():
    x1, x2, f = classic()
    p1 = ad.chain_rule_paths(f, "x1")
    assert [p.nodes for p in p1] == [("v-1", "v1", "v4", "v5"), ("v-1", "v2", "v4", "v5")]
    assert [p.factors for p in p1] == [(0.5, 1.0, 1.0), (5.0, 1.0, 1.0)]
    assert [p.product for p in p1] == [0.5, 5.0]
    assert p1.total == 5.5
    p2 = ad.chain_rule_paths(f, x2)
    assert [p.nodes for p in p2] == [("v0", "v2", "v4", "v5"), ("v0", "v3", "v5")]
    assert p2.total == pytest.approx(2 - math.cos(5))
    assert str(p1).splitlines() == [
        "Chain-rule paths from v-1 to v5: 2 paths",
        "  path 1: v-1 → v1 → v4 → v5",
        "    ∂v1/∂v-1 × ∂v4/∂v1 × ∂v5/∂v4 = 0.5 × 1 × 1 = 0.5",
        "  path 2: v-1 → v2 → v4 → v5",
        "    ∂v2/∂v-1 × ∂v4/∂v2 × ∂v5/∂v4 = 5 × 1 × 1 = 5",
        "  sum over the paths: ∂v5/∂v-1 = 0.5 + 5 = 5.5",
    ]


def test_wrt_by_var_by_name_or_by_trace_id_agree():
    x1, _, f = classic()
    by = [ad.chain_rule_paths(f, w) for w in (x1, "x1", "v-1")]
    assert by[0] == by[1] == by[2]


def test_unknown_input_is_a_clear_error():
    _, _, f = classic()
    with pytest.raises(UnknownInputError, match=r"no input named 'x9' \(its inputs: x1, x2\)"):
        ad.chain_rule_paths(f, "x9")
    with pytest.raises(UnknownInputError, match="not part of the graph"):
        ad.chain_rule_paths(f, ad.Var(1.0, name="z"))


def test_a_number_is_not_a_graph():
    with pytest.raises(ArgumentError, match="not 2.5"):
        ad.chain_rule_paths(2.5, "x")
    with pytest.raises(ArgumentError, match="output of a computation on Vars"):
        ad.to_networkx("x1 + x2")


def test_an_input_the_output_ignores_has_no_path():
    x, y = ad.Var(1.0, name="x"), ad.Var(2.0, name="y")
    paths = ad.chain_rule_paths(ad.sin(x), y, inputs=[x, y])
    assert len(paths) == 0 and paths.total == 0.0
    assert str(paths).splitlines()[-1] == "  sum over the paths: ∂v1/∂v0 = 0 (no path)"


def repeated_squares(n):
    """y = x^(2^n) as n squarings y*y: 2^n paths from x, in a graph of n + 1 nodes."""
    x = ad.Var(1.0, name="x")
    y = x
    for _ in range(n):
        y = y * y
    return x, y


def test_too_many_paths_raise_a_clear_error_after_counting():
    x, y = repeated_squares(100)
    assert count_paths(y, x) == 2**100
    with pytest.raises(PathLimitError) as error:
        ad.chain_rule_paths(y, x, limit=50)
    message = str(error.value)
    assert f"{2**100:,} chain-rule paths" in message
    assert "limit of 50" in message and "limit=" in message and "gradient_shares" in message
    assert len(ad.chain_rule_paths(*reversed(repeated_squares(5)), limit=32)) == 32


def test_a_deep_graph_counts_and_shares_without_recursion():
    x = ad.Var(0.5, name="x")
    y = x
    for _ in range(5_000):  # deeper than Python's recursion limit
        y = ad.sin(y) + y * 0.0001
    assert count_paths(y, x) == 2**5_000
    shares = gradient_shares(y, x)
    y.backward()
    output = Recording(y).ids[y]
    last = [s for (u, v, _), s in shares.items() if v == output]
    assert math.fsum(last) == pytest.approx(x.grad)


def test_the_shares_of_a_square_are_each_one_use():
    x = ad.Var(3.0, name="x")
    assert gradient_shares(x * x, x) == {("v0", "v1", 0): 3.0, ("v0", "v1", 1): 3.0}


@settings(max_examples=150, deadline=None)
@given(expressions())
def test_the_sum_over_paths_is_the_gradient(expr):
    xs = [ad.Var(v, name=f"x{i + 1}") for i, v in enumerate(expr.point)]
    y = expr(*xs)
    y.backward()
    for x in xs:
        paths = ad.chain_rule_paths(y, x, limit=None, inputs=xs)
        assert len(paths) == count_paths(y, x, inputs=xs)
        assert paths.total == pytest.approx(x.grad, rel=1e-9, abs=1e-9)
        for path in paths:
            assert path.product == pytest.approx(math.prod(path.factors))
            assert len(path.factors) == len(path.nodes) - 1 == len(path.edges)


@settings(max_examples=150, deadline=None)
@given(expressions())
def test_shares_add_up_to_the_gradient_across_every_cut(expr):
    """Cut the trace after its k-th node: every edge from the first part into the rest
    carries a share, and the shares add up to the gradient (shares are also each the
    sum of the products of the paths through that edge)."""
    xs = [ad.Var(v, name=f"x{i + 1}") for i, v in enumerate(expr.point)]
    y = expr(*xs)
    y.backward()
    ids = Recording(y, xs).ids
    order = [ids[n] for n in trace_order(y, xs)]
    for x in xs:
        shares = gradient_shares(y, x, inputs=xs)
        through = dict.fromkeys(shares, 0.0)
        for path in ad.chain_rule_paths(y, x, limit=None, inputs=xs):
            for edge in path.edges:
                through[edge] += path.product
        assert shares == pytest.approx(through, rel=1e-9, abs=1e-9)
        for k in range(order.index(ids[x]) + 1, order.index(ids[y]) + 1):
            first = set(order[:k])
            crossing = [s for (u, v, _), s in shares.items() if u in first and v not in first]
            assert math.fsum(crossing) == pytest.approx(x.grad, rel=1e-9, abs=1e-9)


# The command line: adlearn paths

def run(capsys, *argv):
    from adlearn.cli import main

    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_cli_paths_prints_each_path_and_the_sum(capsys):
    status, out, err = run(capsys, "paths", "log(x1) + x1*x2 - sin(x2)", "--at", "x1=2", "x2=5",
                           "--wrt", "x1")
    assert status == 0 and err == ""
    assert out.splitlines() == [
        "The graph: v-1 = x1, v0 = x2, v1 = ln v-1, v2 = v-1 × v0, v3 = sin v0, v4 = v1 + v2,",
        "           v5 = v4 - v3",
        "Chain-rule paths from v-1 to v5: 2 paths",
        "  path 1: v-1 → v1 → v4 → v5",
        "    ∂v1/∂v-1 × ∂v4/∂v1 × ∂v5/∂v4 = 0.5 × 1 × 1 = 0.5",
        "  path 2: v-1 → v2 → v4 → v5",
        "    ∂v2/∂v-1 × ∂v4/∂v2 × ∂v5/∂v4 = 5 × 1 × 1 = 5",
        "  sum over the paths: ∂v5/∂v-1 = 0.5 + 5 = 5.5",
        "  x1.grad from backward(): 5.5",
    ]


def test_cli_paths_of_every_input_in_the_intro_style(capsys):
    status, out, _ = run(capsys, "paths", "x1**2 + 2*x2", "--at", "x1=2", "x2=3",
                         "--style", "intro")
    assert status == 0
    assert "    ∂x3/∂x1 × ∂f/∂x3 = 4 × 1 = 4" in out.splitlines()
    assert "    ∂x4/∂x2 × ∂f/∂x4 = 2 × 1 = 2" in out.splitlines()
    assert out.count("sum over the paths") == 2 and "x2.grad from backward(): 2" in out


@pytest.mark.parametrize("argv, message", [
    (["log(x1", "--at", "x1=2"], "not a valid expression"),
    (["x1 + x2", "--at", "x1=2"], "no value for x2"),
    (["x1 + x2", "--at", "x1=2", "x2=1", "x3=0"], "has no variable 'x3'"),
    (["x1 + x2", "--at", "x1=2", "x2=1", "--wrt", "x9"], "no input named 'x9'"),
    (["log(x1)", "--at", "x1=-1"], "the logarithm needs a positive input"),
    (["x*x*x*x*x*x", "--at", "x=1", "--limit", "5"],
     "there are 6 chain-rule paths from x, more than --limit 5"),
    (["sin(x)", "--at", "x=1", "--limit", "-1"], "--limit must be 0 or more, not -1"),
    (["sin(x)", "--at", "x=1", "--limit", "0"],
     "there is 1 chain-rule path from x, more than --limit 0"),
    (["2 + 3"], "no variables"),
])
def test_cli_paths_errors_exit_2_with_one_line(capsys, argv, message):
    status, out, err = run(capsys, "paths", *argv)
    assert status == 2 and out == ""
    assert err.startswith("adlearn: error: ") and message in err and err.count("\n") == 1


def test_cli_paths_defines_every_name_it_uses(capsys):
    """Each name in the text (v-1, v1, ...) is defined on the first line, in the trace's
    words, so the reader needs no drawing to know which input v-1 is."""
    status, out, _ = run(capsys, "paths", "x2*x1 + sin(x1)", "--at", "x1=1", "x2=2")
    defined = {d.split(" = ")[0] for d in
               " ".join(line.strip() for line in out.splitlines()[:2]).removeprefix(
                   "The graph: ").split(", ")}
    used = set(re.findall(r"v-?\d+", out))
    assert status == 0 and used <= defined and "v-1 = x2" in out and "v0 = x1" in out
    status, out, _ = run(capsys, "paths", "x2*x1 + sin(x1)", "--at", "x1=1", "x2=2",
                         "--style", "intro")
    assert out.splitlines()[0] == "The graph: x3 = x2 × x1, x4 = sin x1, f = x3 + x4"


def test_counted_says_one_path_and_many_paths():
    from adlearn.text import counted
    assert [counted(n, "chain-rule path") for n in (0, 1, 2, 2048)] == [
        "0 chain-rule paths", "1 chain-rule path", "2 chain-rule paths", "2,048 chain-rule paths"]
    assert counted(1, "path", there=True) == "there is 1 path"
    with pytest.raises(PathLimitError, match="^there is 1 chain-rule path from v0 to v1, more"):
        ad.chain_rule_paths(ad.sin(ad.Var(1.0, name="x")), "x", limit=0)
