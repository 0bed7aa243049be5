"""The drawing (adlearn.views.drawing): the artists of the figure, not its pixels.

Each test reads what the figure holds (which edge carries which colour and line style,
the label and legend texts, where the boxes are) against hand-computed textbook values.
"""

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402

import adlearn as ad  # noqa: E402
from adlearn.views.drawing import GraphDrawing  # noqa: E402
from adlearn.views.layout import layered_layout  # noqa: E402
from adlearn.views.style import (  # noqa: E402
    EDGE_COLOUR, EDGE_COLOUR_FADED, LINESTYLES, NODE_STYLE, PALETTE, SHARE_COLOURS)
from adlearn.errors import ArgumentError, UnknownInputError  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def intro():
    x1, x2 = ad.Var(2.0, name="x1"), ad.Var(3.0, name="x2")
    f = x1**2 + 2 * x2
    f.backward()
    return x1, x2, f


def classic():
    x1, x2 = ad.Var(2.0, name="x1"), ad.Var(5.0, name="x2")
    f = ad.log(x1) + x1 * x2 - ad.sin(x2)
    f.backward()
    return x1, x2, f


def overlay_styles(drawing):
    """{(path number, edge): (rgba, dash pattern)} of the highlighted segments."""
    colours = drawing.overlay.get_colors()
    dashes = drawing.overlay.get_linestyles()
    return {key: (tuple(colours[i % len(colours)]), dashes[i % len(dashes)])
            for i, key in enumerate(drawing.overlay_edges)}


def test_draw_returns_the_axes_and_the_drawing_behind_it():
    _, _, f = intro()
    ax = ad.draw(f)
    assert isinstance(ax, matplotlib.axes.Axes)
    drawing = GraphDrawing.of(ax)
    assert drawing.ax is ax and drawing.output is f
    assert ad.draw is not None and callable(ad.draw)


def test_importing_the_drawing_module_keeps_ad_draw_a_function():
    code = ("import adlearn as ad; import adlearn.views.drawing; "
            "assert callable(ad.draw) and ad.draw.__name__ == 'draw'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_import_adlearn_loads_neither_networkx_nor_matplotlib():
    code = ("import sys, adlearn; "
            "assert not {'networkx', 'matplotlib'} & set(sys.modules), sorted(sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_intro_labels_show_definition_value_and_adjoint():
    _, _, f = intro()
    drawing = GraphDrawing(f, style="intro")
    texts = {n: t.get_text() for n, t in drawing.node_texts.items()}
    assert texts == {"x1": "x1 = 2\nx̄1 = 4", "x2": "x2 = 3\nx̄2 = 2", "c1": "2", "c2": "2",
                     "x3": "x3 = x1^2\n= 4\nx̄3 = 1", "x4": "x4 = 2 × x2\n= 6\nx̄4 = 1",
                     "f": "f = x3 + x4\n= 10\nf̄ = 1"}
    edges = {e: t.get_text() for e, t in drawing.edge_texts.items()}
    assert edges == {("x1", "x3", 0): "4", ("x2", "x4", 1): "2", ("x3", "f", 0): "1",
                     ("x4", "f", 1): "1"}  # the edges from the constants c1, c2 have none
    on_axes = {t.get_text() for t in drawing.ax.texts}
    assert set(texts.values()) | set(edges.values()) <= on_axes


def test_adjoints_appear_only_after_backward():
    x1, x2 = ad.Var(2.0, name="x1"), ad.Var(3.0, name="x2")
    f = x1 * x2
    drawing = GraphDrawing(f)
    assert drawing.node_texts["v1"].get_text() == "v1 = v-1 × v0\n= 6"
    f.backward()
    drawing.update(f)
    assert drawing.node_texts["v1"].get_text() == "v1 = v-1 × v0\n= 6\nv̄1 = 1"


def test_constants_inputs_and_the_output_look_different():
    _, _, f = intro()
    drawing = GraphDrawing(f, style="intro")
    boxes = drawing.boxes
    faces, edges, widths = boxes.get_facecolors(), boxes.get_edgecolors(), boxes.get_linewidths()
    style = {n: (tuple(faces[i]), tuple(edges[i]), widths[i], str(boxes.get_linestyles()[i]))
             for n, i in drawing.nodes.items()}
    assert style["x1"] == style["x2"] and style["c1"] == style["c2"]
    assert len({style["x1"], style["c1"], style["x3"], style["f"]}) == 4
    assert style["c1"][0] == to_rgba(NODE_STYLE["constant"][0])
    assert style["c1"][3] != style["x1"][3]  # dashed, not only another colour
    assert style["f"][2] > style["x3"][2]  # the output has the thickest border


def test_layout_runs_left_to_right_in_layers():
    _, _, f = classic()
    drawing = GraphDrawing(f)
    x = {n: drawing.layout.position[n][0] for n in drawing.graph}
    assert x == {"v-1": 0, "v0": 0, "v1": 1, "v2": 1, "v3": 1, "v4": 2, "v5": 3}
    assert drawing.layout.crossings == 0
    assert all(x[u] < x[v] for u, v in drawing.graph.edges())
    # the long edge v3 -> v5 bends once, in the layer it crosses
    assert len(drawing.layout.routes["v3", "v5", 1]) == 3


def test_a_constant_sits_just_before_its_user():
    x = ad.Var(1.0, name="x")
    y = ad.sin(ad.sin(ad.sin(x))) * 3
    layout = layered_layout(ad.to_networkx(y))
    assert layout.position["c1"][0] == layout.position[ad.to_networkx(y).graph["output"]][0] - 1


def test_barycenter_sweeps_reduce_crossings():
    """Two inputs each feed a chain; the trace order interleaves the chains, which cross
    until the sweeps untangle them."""
    a, b = ad.Var(1.0, name="a"), ad.Var(2.0, name="b")
    left, right = a, b
    ends = []
    for _ in range(4):
        left, right = ad.sin(right) * 1.0 + ad.cos(left), ad.cos(left) * 1.0 + ad.sin(right)
        ends.append(left * right)
    y = ends[0]
    for e in ends[1:]:
        y = y + e
    graph = ad.to_networkx(y)
    unswept, swept = layered_layout(graph, sweeps=0), layered_layout(graph)
    assert swept.crossings < unswept.crossings


def test_highlight_x1_colours_its_one_path_in_the_intro_example():
    _, _, f = intro()
    drawing = GraphDrawing(f, highlight="x1", style="intro")
    styles = overlay_styles(drawing)
    assert set(styles) == {(1, ("x1", "x3", 0)), (1, ("x3", "f", 0))}
    assert {colour for colour, _ in styles.values()} == {to_rgba(PALETTE[0])}
    faded, dark = to_rgba(EDGE_COLOUR_FADED), to_rgba(EDGE_COLOUR)
    assert all(tuple(c) == faded for c in drawing.lines.get_colors())
    arrows = drawing.arrows.get_facecolors()
    assert tuple(arrows[drawing.edges["x1", "x3", 0]]) == dark
    assert tuple(arrows[drawing.edges["x2", "x4", 1]]) == faded
    assert [t.get_text() for t in drawing.legend.get_texts()] == [
        "Chain-rule paths from x1 to f:",
        "path 1: ∂x3/∂x1 × ∂f/∂x3 = 4 × 1 = 4",
        "sum over the paths: ∂f/∂x1 = 4",
    ]


def test_highlight_x1_and_x2_in_the_classic_example():
    x1, _, f = classic()
    drawing = GraphDrawing(f, highlight=[x1, "x2"])
    styles = overlay_styles(drawing)
    by_path = {}
    for (number, edge), style in styles.items():
        by_path.setdefault(number, set()).add(edge[:2])
        assert style == (to_rgba(PALETTE[number - 1]), styles[number, edge][1])
    assert by_path == {1: {("v-1", "v1"), ("v1", "v4"), ("v4", "v5")},
                       2: {("v-1", "v2"), ("v2", "v4"), ("v4", "v5")},
                       3: {("v0", "v2"), ("v2", "v4"), ("v4", "v5")},
                       4: {("v0", "v3"), ("v3", "v5")}}
    # the second cue: each path has its own line style too
    dash = {number: style[1] for (number, _), style in styles.items()}
    assert len(set(map(str, dash.values()))) == 4
    # paths that share an edge run side by side, not on top of each other
    segments = drawing.overlay.get_segments()
    on_v4_v5 = [tuple(map(tuple, segments[i])) for i, (_, e) in enumerate(drawing.overlay_edges)
                if e == ("v4", "v5", 0)]
    assert len(on_v4_v5) == len(set(on_v4_v5)) == 3
    legend = [t.get_text() for t in drawing.legend.get_texts()]
    assert legend == [
        "Chain-rule paths from v-1 (x1) to v5:",
        "path 1: ∂v1/∂v-1 × ∂v4/∂v1 × ∂v5/∂v4 = 0.5 × 1 × 1 = 0.5",
        "path 2: ∂v2/∂v-1 × ∂v4/∂v2 × ∂v5/∂v4 = 5 × 1 × 1 = 5",
        "sum over the paths: ∂v5/∂v-1 = 0.5 + 5 = 5.5",
        "Chain-rule paths from v0 (x2) to v5:",
        "path 3: ∂v2/∂v0 × ∂v4/∂v2 × ∂v5/∂v4 = 2 × 1 × 1 = 2",
        "path 4: ∂v3/∂v0 × ∂v5/∂v3 = 0.284 × (-1) = -0.284",
        "sum over the paths: ∂v5/∂v0 = 2 + (-0.284) = 1.716",
    ]
    assert drawing.paths[0].total == x1.grad


def test_highlight_all_is_every_input():
    _, _, f = classic()
    assert overlay_styles(GraphDrawing(f, highlight="all")) == \
        overlay_styles(GraphDrawing(f, highlight=["x1", "x2"]))


def test_the_two_edges_of_a_square_are_drawn_apart():
    x = ad.Var(3.0, name="x")
    drawing = GraphDrawing(x * x, highlight="x")
    lines = drawing.lines.get_segments()
    first, second = (lines[drawing.edges["v0", "v1", k]] for k in (0, 1))
    assert (first != second).any()
    assert {n for n, _ in drawing.overlay_edges} == {1, 2}
    assert drawing.paths[0].total == 6.0


def test_palette_is_okabe_ito_without_yellow_and_paths_cycle_colour_and_style():
    assert len(set(PALETTE)) == 7 and "#F0E442" not in PALETTE
    assert len(set(map(str, LINESTYLES))) == len(LINESTYLES) >= 2


def test_too_many_paths_shade_edges_by_gradient_share():
    x = ad.Var(0.3, name="x")
    y = x
    for _ in range(6):  # the logistic map: 2 paths per step, 64 in all
        y = 4 * y * (1 - y)
    y.backward()
    drawing = GraphDrawing(y, highlight="x")
    assert drawing.paths == () and len(drawing.shares) == drawing.graph.number_of_edges()
    title = drawing.legend.get_title().get_text()
    assert "64 chain-rule paths from v0 (x): too many to list (more than 12)" in title
    assert "share" in title and "add up to the gradient" in title
    # only across a cut that every path crosses once (issue 25): not "any cut"
    assert "a cut that every path crosses exactly once" in title and "any cut" not in title
    colours, widths = drawing.overlay.get_colors(), drawing.overlay.get_linewidths()
    for i, (number, edge) in enumerate(drawing.overlay_edges):
        share = drawing.shares[edge]
        assert number is None and share != 0
        assert colours[i][:3] == pytest.approx(to_rgba(SHARE_COLOURS[share < 0])[:3])
    widest = max(range(len(widths)), key=lambda i: widths[i])
    assert abs(drawing.shares[drawing.overlay_edges[widest][1]]) == \
        max(abs(s) for s in drawing.shares.values())


def test_more_paths_than_the_palette_still_get_told_apart_by_line_style():
    x = ad.Var(0.3, name="x")
    y = x
    for _ in range(3):
        y = 4 * y * (1 - y)
    drawing = GraphDrawing(y, highlight="x")  # 8 paths: colours wrap after 7
    styles = overlay_styles(drawing)
    per_path = {n: (colour, str(dash)) for (n, _), (colour, dash) in styles.items()}
    assert len(per_path) == 8 and len(set(per_path.values())) == 8


def test_unknown_highlight_is_a_clear_error():
    _, _, f = classic()
    with pytest.raises(UnknownInputError, match="no input named 'x3'"):
        ad.draw(f, highlight="x3")
    with pytest.raises(ArgumentError, match="output of a computation on Vars or Tensors, not 3.0"):
        ad.draw(3.0)


def test_update_changes_labels_and_highlight_in_place():
    _, _, f = classic()
    drawing = GraphDrawing(f, highlight="x1")
    artists = (drawing.boxes, drawing.lines, drawing.node_texts["v1"],
               drawing.edge_texts["v-1", "v2", 0])
    x1, x2 = ad.Var(1.0, name="x1"), ad.Var(5.0, name="x2")
    g = ad.log(x1) + x1 * x2 - ad.sin(x2)
    g.backward()
    drawing.update(g)
    assert (drawing.boxes, drawing.lines, drawing.node_texts["v1"],
            drawing.edge_texts["v-1", "v2", 0]) == artists
    assert drawing.node_texts["v1"].get_text() == "v1 = ln v-1\n= 0\nv̄1 = 1"
    assert drawing.edge_texts["v-1", "v1", 0].get_text() == "1"
    assert drawing.paths[0].total == 6.0 == x1.grad
    assert "sum over the paths: ∂v5/∂v-1 = 1 + 5 = 6" in [
        t.get_text() for t in drawing.legend.get_texts()]
    assert len([c for c in drawing.ax.collections if c is drawing.overlay]) == 1
    drawing.highlight(None)
    assert drawing.overlay is None and drawing.legend is None
    assert all(tuple(c) == to_rgba(EDGE_COLOUR) for c in drawing.lines.get_colors())
    with pytest.raises(ArgumentError, match="same shape"):
        drawing.update(x1 * x2)


def test_labels_turn_off_past_a_hundred_nodes_unless_asked():
    x = ad.Var(0.5, name="x")
    y = x
    for _ in range(60):
        y = ad.sin(y) + x
    big = GraphDrawing(y)
    assert len(big.graph) > 100 and big.node_texts == {} and len(big.ax.texts) == 0
    assert len(GraphDrawing(y, labels=True).node_texts) == len(big.graph)


def test_draw_on_a_given_axes():
    _, _, f = intro()
    fig, (left, right) = plt.subplots(1, 2)
    assert ad.draw(f, ax=right) is right
    assert GraphDrawing.of(left) is None and GraphDrawing.of(right).ax is right


# The command line: adlearn draw

def run(capsys, *argv):
    from adlearn.cli import main

    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_cli_draw_writes_the_picture(capsys, tmp_path):
    picture = tmp_path / "graph.png"
    status, out, err = run(capsys, "draw", "log(x1) + x1*x2 - sin(x2)", "--at", "x1=2", "x2=5",
                           "--highlight", "x1", "x2", "-o", str(picture))
    assert status == 0 and err == "" and out == f"wrote {picture}\n"
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = tmp_path / "graph.svg"
    assert run(capsys, "draw", "x1**2 + 2*x2", "--at", "x1=2", "x2=3", "--highlight", "all",
               "--style", "intro", "-o", str(svg))[0] == 0
    assert "sum over the paths" in svg.read_text()


@pytest.mark.parametrize("argv, message", [
    (["sin(x", "--at", "x=1"], "not a valid expression"),
    (["x + y", "--at", "x=1"], "no value for y"),
    (["x + y", "--at", "x=1", "y=2", "--highlight", "z"], "no input named 'z'"),
    (["sqrt(x)", "--at", "x=-4"], "square root"),
    (["x + y", "--at", "x=1", "y=2", "-o", "/no/such/folder/g.png"], "cannot write"),
    (["x + y", "--at", "x=1", "y=2", "-o", "graph.xyz"], "cannot write graph.xyz"),
])
def test_cli_draw_errors_exit_2_with_one_line(capsys, argv, message):
    status, out, err = run(capsys, "draw", *argv)
    assert status == 2 and out == ""
    assert err.startswith("adlearn: error: ") and message in err and err.count("\n") == 1


def test_shading_for_several_inputs_says_whose_shares_it_shows():
    """Past the path limit only one input's shares can be shaded: the legend names it."""
    x, y = ad.Var(1.1, name="x"), ad.Var(0.9, name="y")
    z = x * y
    for _ in range(6):
        z = z * z * 0.5 + x - y
    title = ad.draw(z, highlight=["x", "y"]).get_legend().get_title().get_text()
    assert "too many to list" in title and "(the shares of v-1 (x) are shown)" in title


@pytest.mark.parametrize("highlight", [None, "x"])
def test_no_edge_from_a_constant_is_labelled_and_the_legend_says_why(highlight):
    """The issue's case: x**3 + 2*x drew ∂ = 0 on the exponent's edge and 2 on the factor's.
    One policy for every constant: no partial (a constant is not a variable, no adjoint
    flows to it), the same in the graph's data, the drawing and the trace."""
    x = ad.Var(2.0, name="x")
    f = x ** 3 + 2 * x
    f.backward()
    drawing = GraphDrawing(f, highlight=highlight)
    from_constants = [e for e in drawing.graph.edges(keys=True)
                      if drawing.graph.nodes[e[0]]["kind"] == "constant"]
    assert len(from_constants) == 2
    assert all(drawing.graph.edges[e]["partial"] is None for e in from_constants)
    assert set(drawing.edge_texts) == set(drawing.graph.edges(keys=True)) - set(from_constants)
    assert {t.get_text() for t in drawing.edge_texts.values()} == {"12", "2", "1"}
    assert "Edges from constants (dashed grey boxes) have no partial" in \
        drawing.legend.get_title().get_text()
    trace = str(ad.trace("x**3 + 2*x", x=2.0))
    assert "∂v1/∂c" not in trace and "∂v2/∂c" not in trace
    if highlight:
        assert drawing.paths[0].total == x.grad == 14.0


def test_a_graph_without_constants_has_no_constant_note():
    _, _, f = classic()
    drawing = GraphDrawing(f)
    assert drawing.legend is None
    drawing.highlight("x1")
    assert "constant" not in drawing.legend.get_title().get_text()


@pytest.mark.parametrize("argv, message", [
    (["--dpi", "100000"], "--dpi must be between 10 and 1200, not 100000"),
    (["--dpi", "0"], "--dpi must be between 10 and 1200, not 0"),
    (["--dpi", "1200", "-o", "big.png"], "pixels, more than 50,000,000: lower --dpi, or write"),
])
def test_draw_bounds_the_resolution_and_the_picture(capsys, tmp_path, monkeypatch, argv, message):
    """--dpi 100000 ran out of memory; a 100-node chain at 1200 dpi is 222,000 pixels wide."""
    monkeypatch.chdir(tmp_path)
    chain = "sin(" * 99 + "x" + ")" * 99
    status, out, err = run(capsys, "draw", chain, "--at", "x=1", *argv)
    assert status == 2 and out == "" and message in err and err.count("\n") == 1
    assert not list(tmp_path.iterdir())  # nothing was written
    assert run(capsys, "draw", chain, "--at", "x=1", "--dpi", "1200", "-o", "big.svg")[0] == 0
