"""The graph in words (ad.describe) and the pictures that carry it.

Oracles: the classic survey example's values and paths written out by hand; on random
expressions, every value the words state against the nodes' values, every path's
product against the partials, and the stated derivative against backward().
"""

import math
import re
import xml.etree.ElementTree as ET

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from exprs import expressions  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from PIL import Image  # noqa: E402

import adlearn as ad  # noqa: E402
from adlearn.cli import main  # noqa: E402
from adlearn.views.words import svg_with_text  # noqa: E402
from adlearn.views.drawing import GraphDrawing  # noqa: E402
from adlearn.errors import ArgumentError, UnknownInputError  # noqa: E402
from adlearn.views.paths import count_paths  # noqa: E402

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def classic():
    x1, x2 = ad.Var(2.0, name="x1"), ad.Var(5.0, name="x2")
    f = ad.log(x1) + x1 * x2 - ad.sin(x2)
    f.backward()
    return x1, x2, f


def test_the_classic_example_in_words():
    x1, _, f = classic()
    assert ad.describe(f, wrt=x1).splitlines() == [
        "Computation graph of ((ln x1) + (x1 × x2)) - (sin x2) at x1 = 2, x2 = 5: "
        "2 inputs, 5 operations, 8 edges.",
        "Inputs: v-1 (x1) = 2; v0 (x2) = 5.",
        "Operations, in evaluation order (each uses values computed before it):",
        "v1 = ln v-1 = 0.693147.",
        "v2 = v-1 × v0 = 10.",
        "v3 = sin v0 = -0.958924.",
        "v4 = v1 + v2 = 10.6931.",
        "v5 = v4 - v3 = 11.6521.",
        "The output is v5 = 11.6521.",
        "Adjoints, from the reverse sweep (how much v5 changes per unit change of each "
        "node): v5: 1; v4: 1; v3: -1; v2: 1; v1: 1; v0: 1.71634; v-1: 5.5.",
        "There are 2 paths from v-1 (x1) to the output v5; along each, multiply the local "
        "partial derivatives of its edges, then add up the paths.",
        "Path 1 goes v-1 to v1 to v4 to v5; its partials are ∂v1/∂v-1 = 0.5, ∂v4/∂v1 = 1 "
        "and ∂v5/∂v4 = 1; their product is 0.5.",
        "Path 2 goes v-1 to v2 to v4 to v5; its partials are ∂v2/∂v-1 = 5, ∂v4/∂v2 = 1 "
        "and ∂v5/∂v4 = 1; their product is 5.",
        "The sum over the paths is the derivative: ∂v5/∂v-1 = 0.5 + 5 = 5.5.",
    ]


def test_one_path_and_the_two_uses_of_x_in_x_times_x():
    x1, x2 = ad.Var(2.0, name="x1"), ad.Var(3.0, name="x2")
    f = x1**2 + 2 * x2
    words = ad.describe(f, "x1", style="intro").splitlines()
    assert words[1] == "Inputs: x1 = 2; x2 = 3."
    assert "Adjoints" not in " ".join(words)  # no backward() yet
    assert words[-3:] == [
        "There is 1 path from x1 to the output f: multiply the local partial derivatives "
        "along it.",
        "Path 1 goes x1 to x3 to f; its partials are ∂x3/∂x1 = 4 and ∂f/∂x3 = 1; their "
        "product is 4.",
        "So the derivative is ∂f/∂x1 = 4.",
    ]
    x = ad.Var(3.0, name="x")
    assert ad.describe(x * x, "x").splitlines()[-3:] == [
        "Path 1 goes v0 to v1; its one partial is ∂v1/∂v0 (argument 1) = 3.",
        "Path 2 goes v0 to v1; its one partial is ∂v1/∂v0 (argument 2) = 3.",
        "The sum over the paths is the derivative: ∂v1/∂v0 = 3 + 3 = 6.",
    ]


def test_too_many_paths_are_counted_and_summed_not_listed():
    x = ad.Var(0.3, name="x")
    y = x
    for _ in range(6):  # the logistic map: 64 paths
        y = 4 * y * (1 - y)
    y.backward()
    last = ad.describe(y, "all").splitlines()[-1]
    assert last.startswith("There are 64 paths from v0 (x) to the output ")
    assert "too many to list" in last and "Path 1" not in ad.describe(y, "x")
    assert float(last.rsplit("= ", 1)[1].rstrip(".")) == pytest.approx(x.grad, rel=1e-5)


NUMBER = r"(-?[0-9.e+-]+|\(-[0-9.e+-]+\))"


def number(text):
    return float(text.strip("()"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions())
def test_the_words_state_the_values_paths_and_derivative_of_random_graphs(expr):
    xs, y = expr.graph()
    y.backward()
    for x in xs:
        words = ad.describe(y, wrt=x, inputs=xs)
        ids = ad.to_networkx(y, xs).nodes
        for name, value in re.findall(rf"^(v-?\d+) = .* = {NUMBER}\.$", words, re.M):
            assert number(value) == pytest.approx(ids[name]["value"], rel=1e-5, abs=1e-9)
        paths = re.findall(r"^Path \d+ goes .*$", words, re.M)
        count = count_paths(y, x, xs)
        assert len(paths) == (count if count <= 12 else 0)
        for line in paths:
            factors = [number(f) for f in re.findall(rf"= {NUMBER}(?: and|,|;|\.$)", line)]
            product = re.search(rf"product is {NUMBER}\.$", line)
            assert len(factors) == line.count("∂") // 2 and (product or len(factors) == 1)
            if product:
                assert number(product[1]) == pytest.approx(math.prod(factors), rel=1e-4,
                                                           abs=1e-9)
        stated = re.search(rf"(?:derivative is|derivative:) .* = {NUMBER}\.$", words, re.M)
        if count:
            assert number(stated[1]) == pytest.approx(x.grad, rel=1e-5, abs=1e-9)


def test_describe_says_clearly_what_was_wrong():
    _, _, f = classic()
    with pytest.raises(UnknownInputError, match="no input named 'x3'"):
        ad.describe(f, "x3")
    with pytest.raises(ArgumentError, match="output of a computation on Vars or Tensors, not 3.0"):
        ad.describe(3.0)


# --- the pictures carry the words -----------------------------------------------------

def test_an_svg_gets_a_title_and_a_desc_that_screen_readers_read():
    svg = svg_with_text('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" '
                        'width="10"><g/></svg>', "a < b & c", "line 1\nline 2")
    root = ET.fromstring(svg.split("\n", 1)[1])
    assert root.get("role") == "img"
    title, desc = root[0], root[1]
    assert (title.tag, title.text, desc.tag, desc.text) == (
        f"{SVG}title", "a < b & c", f"{SVG}desc", "line 1\nline 2")
    assert root.get("aria-labelledby") == title.get("id")
    assert root.get("aria-describedby") == desc.get("id")
    other = ET.fromstring(svg_with_text("<svg xmlns='http://www.w3.org/2000/svg'/>", "t", "d"))
    assert other[0].get("id") != title.get("id")  # two pictures on a page: their own ids


def test_the_drawing_describes_what_it_highlights():
    x1, _, f = classic()
    drawing = GraphDrawing(f, highlight="x2")
    first, rest = drawing.describe()
    assert first + "\n" + rest == ad.describe(f, "x2")
    drawing.highlight(None)
    assert "paths" not in drawing.describe()[1]


def test_cli_describe_and_draw_describe(capsys, tmp_path):
    assert main(["describe", "x1**2 + 2*x2", "--at", "x1=2", "x2=3", "--style", "intro",
                 "--wrt", "all"]) == 0
    out = capsys.readouterr().out
    assert "Adjoints, from the reverse sweep" in out
    assert "So the derivative is ∂f/∂x1 = 4." in out and "So the derivative is ∂f/∂x2 = 2." in out
    svg, png = tmp_path / "g.svg", tmp_path / "g.png"
    assert main(["draw", "log(x1) + x1*x2 - sin(x2)", "--at", "x1=2", "x2=5", "--highlight",
                 "x1", "-o", str(svg), "--describe"]) == 0
    out = capsys.readouterr().out
    x1, _, f = classic()
    assert out == f"wrote {svg}\n{ad.describe(f, 'x1')}\n"
    root = ET.parse(svg).getroot()
    assert root[0].tag == f"{SVG}title" and root[0].text == ad.describe(f).splitlines()[0]
    assert root[1].text.endswith("= 0.5 + 5 = 5.5.")
    assert main(["draw", "x*x", "--at", "x=3", "-o", str(png)]) == 0
    assert capsys.readouterr().out == f"wrote {png}\n"
    meta = Image.open(png).text
    assert meta["Title"].startswith("Computation graph of x × x at x = 3")
    assert "v1 = v0 × v0 = 9." in meta["Description"]


def test_cli_describe_errors_exit_2_with_one_line(capsys):
    assert main(["describe", "x + y", "--at", "x=1", "y=2", "--wrt", "z"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("adlearn: error: ") and "no input named 'z'" in err
