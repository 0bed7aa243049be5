"""The explorer, driven from Python without a browser.

Outside a kernel, setting a widget's value still runs its observers, so these tests move
the sliders, choose paths and step through the sweeps, then read what the explorer
displays. Oracles: the textbook's reverse adjoint trace (Baydin et al., Table 2, copied
by hand), backward() and forward mode (ad.jvp) on random expressions, and hand-computed
derivatives at the points the sliders move to.
"""

import gc
import html
import math
import re
import weakref

import matplotlib
import matplotlib.pyplot as plt
import pytest
from exprs import expressions
from hypothesis import HealthCheck, given, settings

import adlearn as ad
from adlearn.errors import (ArgumentError, DomainError, ParseError,
                            UnknownInputError, ZeroDivisionDomainError)
from adlearn.views.style import PALETTE
from adlearn.views.recording import Recording
from adlearn.views.controls import slider_range
from adlearn.views.explorer import FORWARD, PATHS, REVERSE, Explorer, explore
from adlearn.views.sweeps import forward_steps, reverse_steps

CLASSIC = "log(x1) + x1*x2 - sin(x2)"


def classic():
    x1, x2 = ad.Var(2.0, name="x1"), ad.Var(5.0, name="x2")
    return [x1, x2], ad.log(x1) + x1 * x2 - ad.sin(x2)


def text(shown):
    """What a browser shows of an HTML fragment: the text without tags and entities."""
    spaced = re.sub(r"</?(td|th|tr|div|p|br|caption|table)\b[^>]*>", " ", shown)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", spaced))).strip()


def gradient_shown(explorer):
    """{input: the gradient entry the explorer displays}."""
    return dict(re.findall(r"data-input='(\w+)'>([^<]*)<", explorer.result.value))


@pytest.fixture
def explorer():
    e = explore(CLASSIC, x1=2.0, x2=5.0)
    yield e
    e.close()


# --- the sweeps, step by step -------------------------------------------------------

def test_reverse_sweep_reproduces_the_textbook_adjoint_trace():
    inputs, y = classic()
    steps = reverse_steps(Recording(y, inputs))
    assert [s.node for s in steps] == ["v5", "v5", "v4", "v3", "v2", "v1"]
    adjoints = [{k: round(v, 3) for k, v in s.values.items()} for s in steps]
    assert adjoints[0] == {"v5": 1}
    assert adjoints[1] == {"v5": 1, "v4": 1, "v3": -1}
    assert adjoints[2] == {"v5": 1, "v4": 1, "v3": -1, "v1": 1, "v2": 1}
    assert adjoints[3]["v0"] == -0.284  # v̄0 = v̄3 cos v0, not final yet
    assert (adjoints[4]["v0"], adjoints[4]["v-1"]) == (1.716, 5)  # v̄0 += v̄2 v-1
    assert adjoints[5]["v-1"] == 5.5  # v̄-1 += v̄1 / v-1
    assert steps[3].edges == (("v0", "v3", 0),)
    assert steps[4].edges == (("v-1", "v2", 0), ("v0", "v2", 1))
    assert "v0" not in steps[3].final and "v0" in steps[4].final
    assert "v-1" not in steps[4].final and "v-1" in steps[5].final


def test_reverse_captions_state_the_update_in_symbols_and_numbers():
    inputs, y = classic()
    steps = reverse_steps(Recording(y, inputs))
    assert steps[0].caption[0] == ("The sweep starts at the output: v̄5 = 1 "
                                   "(every other adjoint starts at 0).")
    assert steps[1].caption == ("v5 = v4 - v3 passes v̄5 = 1 back to its inputs:",
                                "v̄4 += v̄5 · ∂v5/∂v4 = 1 · 1 = 1 (final)",
                                "v̄3 += v̄5 · ∂v5/∂v3 = 1 · (-1) = -1 (final)")
    assert steps[1].caption_html[1] == (  # names written as in the trace's HTML table
        "v̄<sub>4</sub> += v̄<sub>5</sub> · ∂v<sub>5</sub>/∂v<sub>4</sub> = 1 · 1 = 1 (final)")
    assert steps[3].caption[1] == \
        "v̄0 += v̄3 · ∂v3/∂v0 = (-1) · 0.284 = -0.284 (more to come)"
    assert steps[4].caption[2] == "v̄0 += v̄2 · ∂v2/∂v0 = 1 · 2 = 2, so v̄0 = 1.716 (final)"
    assert steps[5].caption[-1] == ("Done: every adjoint is final, and the inputs' adjoints are "
                                    "the gradient: ∂y/∂x1 = v̄-1 = 5.5, ∂y/∂x2 = v̄0 = 1.716.")


def test_reverse_caption_of_the_introductory_example_in_its_own_names():
    x1, x2 = ad.Var(2.0, name="x1"), ad.Var(3.0, name="x2")
    steps = reverse_steps(Recording(x1**2 + 2 * x2, [x1, x2], style="intro"))
    assert [s.node for s in steps] == ["f", "f", "x4", "x3"]
    assert steps[2].caption[1] == "x̄2 += x̄4 · ∂x4/∂x2 = 1 · 2 = 2 (final)"  # no edge to the 2
    assert steps[3].caption[1] == "x̄1 += x̄3 · ∂x3/∂x1 = 1 · 4 = 4 (final)"
    assert steps[2].edges == (("x2", "x4", 1),)


def test_a_variable_used_twice_passes_along_both_edges():
    x = ad.Var(3.0, name="x")
    steps = reverse_steps(Recording(x * x, [x]))
    assert steps[1].edges == (("v0", "v1", 0), ("v0", "v1", 1))
    assert steps[1].caption[1:3] == (
        "v̄0 += v̄1 · ∂v1/∂v0 (argument 1) = 1 · 3 = 3 (more to come)",
        "v̄0 += v̄1 · ∂v1/∂v0 (argument 2) = 1 · 3 = 3, so v̄0 = 6 (final)")


def test_forward_sweep_reproduces_the_textbook_tangent_trace():
    inputs, y = classic()
    steps = forward_steps(Recording(y, inputs), inputs[0])
    tangents = {k: round(v, 3) for k, v in steps[-1].values.items()}
    assert tangents == {"v-1": 1, "v0": 0, "v1": 0.5, "v2": 5, "v3": 0, "v4": 5.5, "v5": 5.5}
    assert [s.node for s in steps] == ["v-1", "v1", "v2", "v3", "v4", "v5"]
    assert steps[0].caption == ("Seeded on v-1: v̇-1 = 1, v̇0 = 0 (a tangent is ∂v/∂v-1).",)
    assert steps[2].caption == ("v2 = v-1 × v0:",
                                "v̇2 = v̇-1 · ∂v2/∂v-1 + v̇0 · ∂v2/∂v0 = 1 · 5 + 0 · 2 = 5")
    assert steps[2].edges == (("v-1", "v2", 0), ("v0", "v2", 1))
    assert "v3" not in steps[2].values and "v3" in steps[3].values  # not computed yet


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions())
def test_sweeps_end_at_the_gradient_and_final_values_never_change(expr):
    xs = [ad.Var(v, name=f"x{i + 1}") for i, v in enumerate(expr.point)]
    y = expr(*xs)
    if not isinstance(y, ad.Var) or y.op is None:
        return  # the output is an input or a constant: nothing to sweep
    y.backward()
    steps = reverse_steps(Recording(y, xs))
    last = steps[-1].values
    ids = {x: f"v{i + 1 - len(xs)}" for i, x in enumerate(xs)}
    for x in xs:
        assert last.get(ids[x], 0.0) == pytest.approx(x.grad, rel=1e-9, abs=1e-12)
    for step in steps:  # a value marked final is the one the sweep ends with
        for node in step.final:
            assert step.values.get(node, 0.0) == last.get(node, 0.0)
        assert all(target == step.node for _, target, _ in step.edges)
    names = Recording(y, xs).names
    assert steps[-1].final == frozenset(names.values())  # at the end every adjoint is final
    for i, x in enumerate(xs):
        tangent = tuple(float(j == i) for j in range(len(xs)))
        _, jvp = ad.jvp(expr, expr.point, tangent)
        forward = forward_steps(Recording(y, xs), x)
        assert forward[-1].values[forward[-1].node] == pytest.approx(jvp, rel=1e-9, abs=1e-12)


# --- the explorer, driven from Python -----------------------------------------------

def test_explore_is_exported_lazily():
    assert ad.explore is explore


def test_values_and_gradient_follow_the_sliders(explorer):
    assert gradient_shown(explorer) == {"x1": "5.5", "x2": "1.716"}
    explorer.sliders["x1"].value = 3.0
    explorer.sliders["x2"].value = 1.0
    x1, x2 = 3.0, 1.0  # df/dx1 = 1/x1 + x2, df/dx2 = x1 - cos(x2)
    # rounded to 3 decimals by hand: 1/3 + 1, 3 - cos 1 = 2.4597, ln 3 + 3 - sin 1 = 3.2573
    assert gradient_shown(explorer) == {"x1": "1.333", "x2": "2.46"}
    assert "y = f(x1 = 3, x2 = 1) = 3.257" in text(explorer.result.value)
    assert explorer.trace_table.value == ad.trace(CLASSIC, x1=3.0, x2=1.0)._repr_html_()
    assert "v̄-1 + v̄1 / v-1 1.333" in text(explorer.trace_table.value)  # 1/x1 + x2


def test_a_domain_error_is_shown_and_the_widget_recovers(explorer):
    explorer.sliders["x1"].value = -1.0
    shown = text(explorer.message.value)
    assert "Not defined here: ln (-1) is not defined: the logarithm needs a positive input" in shown
    assert "adlearn-stale" in explorer.graph.value + explorer.result.value
    explorer.sliders["x1"].value = 0.0
    assert "Not defined here: ln 0 is not defined" in text(explorer.message.value)
    explorer.paths.label = "x2"  # the controls keep working meanwhile
    explorer.reverse.step = 2
    explorer.sliders["x1"].value = 4.0
    assert explorer.message.value == ""
    assert "adlearn-stale" not in explorer.result.value + explorer.path_table.value
    assert gradient_shown(explorer)["x1"] == "5.25"
    assert "Paths from x2" in explorer.path_table.value
    assert "v5 = v4 - v3" not in explorer.reverse.caption.value  # step 2: v4 passes
    assert "v4 = v1 + v2 passes" in text(explorer.reverse.caption.value)


def test_a_python_function_and_an_expression_text_show_the_same():
    by_text = explore(CLASSIC, x1=2.0, x2=5.0)
    by_function = explore(lambda x1, x2: ad.log(x1) + x1 * x2 - ad.sin(x2), 2.0, x2=5.0)
    for e in (by_text, by_function):
        e.sliders["x2"].value = 2.5
        e.paths.label = "all"
        e.tabs.selected_index = REVERSE
        e.reverse.step = 3
    for shown in ("result", "path_table", "trace_table"):
        assert getattr(by_text, shown).value.replace(CLASSIC, "f") == \
            getattr(by_function, shown).value.replace("<lambda>", "f").replace(CLASSIC, "f")
    assert by_text.reverse.caption.value == by_function.reverse.caption.value


def test_path_chooser_shows_each_input_all_or_none(explorer):
    table = text(explorer.path_table.value)
    assert "path 1: v-1 → v1 → v4 → v5 ∂v1/∂v-1 × ∂v4/∂v1 × ∂v5/∂v4 = 0.5 × 1 × 1 = 0.5" in table
    assert "sum over the paths: ∂v5/∂v-1 = 0.5 + 5 = 5.5" in table
    explorer.paths.label = "x2"
    assert "∂v5/∂v0 = 2 + (-0.284) = 1.716" in text(explorer.path_table.value)
    explorer.paths.label = "all"
    assert text(explorer.path_table.value).count("sum over the paths") == 2
    explorer.paths.label = "none"
    assert "Choose an input" in explorer.path_table.value


def test_too_many_paths_are_counted_not_listed():
    def doubling(x):
        for _ in range(12):  # each x*x doubles the number of paths: 4096
            x = x * x
        return x
    e = explore(doubling, x=1.0)
    shown = text(e.path_table.value)
    assert "the drawing shades each edge by its share of ∂y/∂x instead" in shown
    assert "4,096 paths from x, their sum: ∂y/∂x = 4096" in shown  # d/dx x^4096 at 1
    assert e.drawing.shares and all(number is None for number, _ in e.drawing.overlay_edges)
    e.close()


def test_the_forward_sweep_follows_the_chosen_input(explorer):
    explorer.tabs.selected_index = FORWARD
    explorer.paths.label = "x2"
    assert explorer.seed.value == "x2"
    explorer.forward.step = len(explorer.forward.steps) - 1
    assert "Done: ∂y/∂x2 = v̇5 = 1.716" in text(explorer.forward.caption.value)
    assert "Forward tangent trace (seeded on" in explorer.trace_table.value
    assert "seeded on ẋ2 = 1" in text(explorer.trace_table.value)
    explorer.seed.value = "x1"
    assert "Done: ∂y/∂x1 = v̇5 = 5.5" in text(explorer.forward.caption.value)


def test_steppers_move_by_buttons_and_stay_in_range(explorer):
    stepper = explorer.reverse
    stepper.previous.click()
    assert stepper.step == 0 and "step 0 of 5" in stepper.caption.value
    for _ in range(7):
        stepper.next.click()
    assert stepper.step == 5 and "step 5 of 5" in stepper.caption.value
    stepper.play.value = 2  # play drives the step slider (linked in Python too)
    assert stepper.step == 2 and "v4 = v1 + v2 passes" in text(stepper.caption.value)


def test_slider_ranges_around_the_start_and_overridden():
    for value in (2.0, 5.0, 0.0, -7.5, 0.3, 1234.0):
        low, high, step = slider_range(value)
        assert low < value < high and high - low >= 4 * max(abs(value), 1) * 0.99
        assert 50 <= (high - low) / step <= 400
    e = explore(CLASSIC, x1=2.0, x2=5.0, ranges={"x1": (0.5, 4)})
    slider = e.sliders["x1"]
    assert (slider.min, slider.max, slider.description) == (0.5, 4.0, "x1")
    assert (e.sliders["x2"].min, e.sliders["x2"].max) == (-5.0, 15.0)
    assert explore(CLASSIC, x1=2.0, x2=5.0, ranges={"x2": (0, 10, 0.5)}).sliders["x2"].step == 0.5


@pytest.mark.parametrize("call, error, words", [
    (lambda: explore(CLASSIC, x1=2.0), ArgumentError, "no value for x2"),
    (lambda: explore(CLASSIC, x1=2.0, x2=5.0, x3=1.0), UnknownInputError, "no input 'x3'"),
    (lambda: explore(CLASSIC, x1=-2.0, x2=5.0), DomainError, "ln (-2) is not defined"),
    (lambda: explore("x1 / (x1 - x1)", x1=2.0), ZeroDivisionDomainError, "not defined"),
    (lambda: explore("x1 ^ 2", x1=2.0), ParseError, "use ** for powers"),
    (lambda: explore("__import__('os').system('echo hacked')", x1=1.0), ParseError, ""),
    (lambda: explore("3", ), ArgumentError, "f has no inputs"),
    (lambda: explore(CLASSIC, x1="two", x2=5.0), ad.errors.NotANumberError, "x1"),
    (lambda: explore(CLASSIC, x1=2.0, x2=5.0, ranges={"x9": (0, 1)}), UnknownInputError,
     "ranges names 'x9'"),
    (lambda: explore(CLASSIC, x1=2.0, x2=5.0, ranges={"x1": (3, 4)}), ArgumentError,
     "min ≤ 2 (its value) ≤ max"),
    (lambda: explore(CLASSIC, x1=2.0, x2=5.0, ranges={"x1": "wide"}), ArgumentError,
     "(min, max) or (min, max, step)"),
    (lambda: explore(CLASSIC, x1=2.0, x2=5.0, style="fancy"), ArgumentError, "style"),
])
def test_bad_input_gets_a_clear_error(call, error, words):
    with pytest.raises(error) as caught:
        call()
    assert words in str(caught.value)


def test_close_closes_every_widget():
    e = explore(CLASSIC, x1=2.0, x2=5.0)
    e.close()
    assert e.widget.comm is None and e.sliders["x1"].comm is None
    assert e.reverse.next.comm is None and e.graph.comm is None
    other = explore(CLASSIC, x1=2.0, x2=5.0)
    other.widget.close()  # as when the front end closes it
    assert other.drawing is None and other.sliders["x2"].comm is None


def test_it_is_an_explorer_that_jupyter_shows():
    e = explore(CLASSIC, x1=2.0, x2=5.0)
    assert isinstance(e, Explorer)
    bundle = e._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == e.widget.model_id


# --- the drawing: changed in place, shown as SVG ------------------------------------

def svg_texts(explorer):
    """The texts of the SVG the explorer shows (matplotlib keeps text as <text>)."""
    return [html.unescape(re.sub(r"<[^>]+>", "", t))
            for t in re.findall(r"<text\b[^>]*>(.*?)</text>", explorer.graph.value, re.S)]


HEX = [matplotlib.colors.to_hex(c) for c in PALETTE]  # as matplotlib reports colours


def overlay_colours(drawing):
    """{(path number, edge): colour} of the highlighted paths in the drawing."""
    colours = drawing.overlay.get_colors()
    colours = [colours[i % len(colours)] for i in range(len(drawing.overlay_edges))]
    return {key: matplotlib.colors.to_hex(c) for key, c in zip(drawing.overlay_edges, colours)}


def edge_colour(drawing, edge):
    colours = drawing.lines.get_colors()
    return matplotlib.colors.to_hex(colours[drawing.edges[edge] % len(colours)])


def test_the_graph_is_svg_with_text_that_follows_the_sliders(explorer):
    assert explorer.graph.value.startswith("<svg")
    texts = svg_texts(explorer)
    assert "v̄-1 = 5.5" in texts and "v5 = v4 - v3" in texts  # one <text> per line
    explorer.sliders["x1"].value = 4.0
    texts = " ".join(svg_texts(explorer))
    assert "v̄-1 = 5.25" in texts and "= 4" in texts  # 1/x1 + x2 at x1 = 4
    assert "sum over the paths: ∂v5/∂v-1 = 0.25 + 5 = 5.25" in texts


def test_the_legend_and_the_path_colours_follow_the_chooser(explorer):
    drawing = explorer.drawing
    assert overlay_colours(drawing) == {
        (1, ("v-1", "v1", 0)): HEX[0], (1, ("v1", "v4", 0)): HEX[0],
        (1, ("v4", "v5", 0)): HEX[0],
        (2, ("v-1", "v2", 0)): HEX[1], (2, ("v2", "v4", 1)): HEX[1],
        (2, ("v4", "v5", 0)): HEX[1]}
    assert any(t.startswith("path 2: ∂v2/∂v-1") for t in svg_texts(explorer))
    explorer.paths.label = "x2"
    texts = svg_texts(explorer)
    assert not any(t.startswith("path 2: ∂v2/∂v-1") for t in texts)
    assert "path 2: ∂v3/∂v0 × ∂v5/∂v3 = 0.284 × (-1) = -0.284" in texts
    assert {number for number, _ in overlay_colours(drawing)} == {1, 2}
    # the table beside the drawing numbers and colours the paths the same way
    table = explorer.path_table.value
    assert f"<b style='color:{PALETTE[1]}'>path 2</b>" in table and "∂v3/∂v0" in table
    explorer.paths.label = "all"
    assert {number for number, _ in overlay_colours(drawing)} == {1, 2, 3, 4}
    assert f"<b style='color:{PALETTE[3]}'>path 4</b>" in explorer.path_table.value
    explorer.paths.label = "none"
    assert drawing.overlay is None and not any(t.startswith("path") for t in svg_texts(explorer))


def test_a_reverse_step_emphasises_its_node_and_edges(explorer):
    explorer.tabs.selected_index = REVERSE
    explorer.reverse.step = 4  # v2 = v-1 × v0 passes its adjoint to v-1 and v0
    drawing = explorer.drawing
    assert drawing.overlay is None  # no path highlight during a sweep
    emphasis = edge_colour(drawing, ("v-1", "v2", 0))
    assert emphasis == edge_colour(drawing, ("v0", "v2", 1)) == HEX[4]
    assert edge_colour(drawing, ("v-1", "v1", 0)) != emphasis
    boxes = drawing.boxes.get_edgecolor()
    assert matplotlib.colors.to_hex(boxes[drawing.nodes["v2"]]) == HEX[4]
    texts = svg_texts(explorer)
    assert "v̄-1 = 5 so far" in texts and "v̄0 = 1.716" in texts  # v1 has yet to pass
    assert drawing.node_texts["v-1"].get_text() == "v-1 = x1\n= 2\nv̄-1 = 5 so far"
    assert drawing.node_texts["v-1"].get_fontstyle() == "italic"
    assert drawing.node_texts["v0"].get_fontstyle() == "normal"
    assert any("Reverse sweep, step 4 of 5: v2 passes its adjoint back" in t for t in texts)
    explorer.tabs.selected_index = PATHS  # back to the paths: the plain look returns
    assert drawing.node_texts["v-1"].get_text() == "v-1 = x1\n= 2\nv̄-1 = 5.5"
    assert drawing.node_texts["v-1"].get_fontstyle() == "normal"
    assert not any("Reverse sweep" in t for t in svg_texts(explorer))


def test_a_forward_step_shows_tangents_computed_so_far(explorer):
    explorer.tabs.selected_index = FORWARD
    explorer.forward.step = 2  # v2 = v-1 × v0 computes its tangent
    drawing, texts = explorer.drawing, svg_texts(explorer)
    assert drawing.node_texts["v2"].get_text() == "v2 = v-1 × v0\n= 10\nv̇2 = 5"
    assert "v̇3 = ?" in texts  # not computed yet
    assert edge_colour(drawing, ("v0", "v2", 1)) == HEX[3]


def test_one_figure_per_explorer_changed_in_place():
    before = plt.get_fignums()
    e = explore(CLASSIC, x1=2.0, x2=5.0)
    figure, artists = e.drawing.ax.figure, len(e.drawing.ax.get_children())
    for value in (2.5, 3.0, -1.0, 3.5):  # -1 is outside log's domain
        e.sliders["x1"].value = value
    e.paths.label = "x2"
    e.paths.label = "x1"
    e.tabs.selected_index = REVERSE
    e.tabs.selected_index = PATHS
    assert e.drawing.ax.figure is figure and len(e.drawing.ax.get_children()) == artists
    assert plt.get_fignums() == before  # never a pyplot figure
    figure = weakref.ref(figure)
    e.close()
    gc.collect()
    assert e.drawing is None and figure() is None  # the explorer let its figure go


def test_a_graph_of_another_shape_is_laid_out_anew():
    def branchy(x):
        return x * x if x > 0 else ad.sin(x) + 1
    e = explore(branchy, x=1.0)
    e.sliders["x"].value = -1.0
    assert e.message.value == ""
    assert any(t.startswith("v1 = sin v0") for t in svg_texts(e))
    assert gradient_shown(e) == {"x": "0.54"}  # cos(-1) = 0.5403, to 3 decimals


def test_the_introductory_style_names_the_nodes_x1_x2_x3_and_the_output_f():
    e = explore("x1**2 + 2*x2", x1=2.0, x2=3.0, style="intro")
    assert text(e.result.value).startswith("f(x1 = 2, x2 = 3) = 10")  # not "f = f(...)"
    assert gradient_shown(e) == {"x1": "4", "x2": "2"}
    e.tabs.selected_index = REVERSE
    e.reverse.step = 3
    assert "x̄1 += x̄3 · ∂x3/∂x1 = 1 · 4 = 4 (final)" in text(e.reverse.caption.value)
    assert e.drawing.node_texts["x3"].get_text().endswith("x̄3 = 1")
    e.close()


def test_the_picture_says_in_words_what_it_shows(explorer):
    """The explorer's SVG carries a <title> and <desc> (ad.describe's words), which follow
    the chosen paths and the sweep's step; the swatches are hidden from screen readers."""
    def words():
        svg = explorer.graph.value
        return (html.unescape(re.search(r"<title[^>]*>(.*?)</title>", svg, re.S)[1]),
                html.unescape(re.search(r"<desc[^>]*>(.*?)</desc>", svg, re.S)[1]))

    assert 'role="img"' in explorer.graph.value
    title, desc = words()
    assert title == "Computation graph of ((ln x1) + (x1 × x2)) - (sin x2) at x1 = 2, x2 = 5: " \
        "2 inputs, 5 operations, 8 edges."
    assert desc.endswith("The sum over the paths is the derivative: ∂v5/∂v-1 = 0.5 + 5 = 5.5.")
    explorer.paths.label = "x2"
    assert words()[1].endswith("∂v5/∂v0 = 2 + (-0.283662) = 1.71634.")
    explorer.tabs.selected_index = REVERSE
    explorer.reverse.step = 1
    title, desc = words()
    assert title == "Reverse sweep, step 1 of 5: v5 passes its adjoint back along the coloured edges."
    assert desc.splitlines()[:2] == ["v5 = v4 - v3 passes v̄5 = 1 back to its inputs:",
                                     "v̄4 += v̄5 · ∂v5/∂v4 = 1 · 1 = 1 (final)"]
    explorer.tabs.selected_index = PATHS
    assert "<svg aria-hidden='true'" in explorer.path_table.value


def test_back_from_a_sweep_the_drawing_is_as_it_was():
    """After a step of a sweep, the paths view shows the plain drawing again; constants
    keep their grey italics (they used to come back black)."""
    e = explore("x1*x1 + 2*x2", x1=2.0, x2=3.0)
    try:
        drawing = e.drawing
        looks = {n: (t.get_text(), t.get_color(), t.get_fontstyle())
                 for n, t in drawing.node_texts.items()}
        widths = list(drawing.boxes.get_linewidths())
        e.tabs.selected_index = REVERSE
        e.reverse.step = 1
        assert drawing.step_key is not None and "so far" in " ".join(
            t.get_text() for t in drawing.node_texts.values())
        e.tabs.selected_index = PATHS
        assert drawing.step_key is None and list(drawing.boxes.get_linewidths()) == widths
        assert {n: (t.get_text(), t.get_color(), t.get_fontstyle())
                for n, t in drawing.node_texts.items()} == looks
        assert looks["c1"][2] == "italic"
    finally:
        e.close()


def test_the_headline_rounds_as_the_output_node_and_the_trace_do():
    """The issue's case: the headline said 13.0199 where the output node said 13.02."""
    e = explore("x1 * x2 + sin(x2)", x1=2.0, x2=6.25)  # 12.5 + sin 6.25 = 12.4668...
    try:
        value = re.search(r"class='adlearn-value'>([^<]*)<", e.result.value).group(1)
        node = e.drawing.node_texts[e.ids[e.output]].get_text().splitlines()[1]
        assert node == f"= {value}" == "= 12.467"
        assert f"v3 {value}" in text(e.trace_table.value)  # the primal trace: y = v3 12.467
        assert gradient_shown(e)["x2"] == node_grad(e, "x2") == "2.999"  # x1 + cos x2
    finally:
        e.close()


def node_grad(e, name):
    """The adjoint an input's node shows in the drawing."""
    node = next(x for x in e.inputs if x.name == name)
    return e.drawing.node_texts[e.ids[node]].get_text().splitlines()[-1].split(" = ")[-1]


def test_the_trace_table_scrolls_rather_than_being_cut():
    e = explore(" + ".join(f"sin(x{i}) * x{i}" for i in range(1, 7)), **{f"x{i}": 1.0 for i in range(1, 7)})
    try:
        assert e.trace_table.layout.max_width == "100%" and e.trace_table.layout.overflow == "auto"
    finally:
        e.close()


def test_an_input_named_like_an_option_of_explore_comes_in_a_mapping():
    e = explore("ranges * style", {"ranges": 2.0, "style": 3.0})
    try:
        assert set(e.sliders) == {"ranges", "style"} and gradient_shown(e) == {
            "ranges": "3", "style": "2"}
    finally:
        e.close()
    with pytest.raises(ArgumentError, match="ranges= is also an option here, so give the point"):
        explore("ranges * x", ranges=2.0, x=1.0)


def test_the_explorer_rounds_every_number_as_its_headline_does(explorer):
    """Issue 9: the sweeps' captions and the path table printed 6 significant figures
    (0.283662) where the headline and the drawing's nodes print 3 decimals (0.284)."""
    explorer.paths.label = "x2"
    explorer.reverse.step = len(explorer.reverse.steps) - 1
    explorer.forward.step = len(explorer.forward.steps) - 1
    shown = " ".join(text(v) for v in (explorer.result.value, explorer.path_table.value,
                                       explorer.reverse.caption.value,
                                       explorer.forward.caption.value))
    assert "1.716" in text(explorer.result.value)
    assert "0.283662" not in shown and "1.71634" not in shown
    for number in re.findall(r"\d+\.\d+", shown):
        assert len(number.split(".")[1]) <= 3, number


# --- What a learner saw in the browser before one recording (issue 20) ------------------


def test_after_an_error_the_headline_says_it_shows_the_last_defined_point(explorer):
    explorer.sliders["x1"].value = 2.9
    explorer.sliders["x1"].value = -2.0  # ln(-2): not defined
    assert "Not defined here" in text(explorer.message.value)
    headline = text(explorer.result.value)
    assert headline.startswith("Not the sliders' point: below is the last point where f is "
                               "defined.") and "x1 = 2.9" in headline
    explorer.sliders["x1"].value = -1.0  # still not defined: said once
    assert text(explorer.result.value).count("Not the sliders' point") == 1
    explorer.sliders["x1"].value = 3.0
    assert "Not the sliders' point" not in text(explorer.result.value)
    assert text(explorer.result.value).startswith("y = f(x1 = 3, x2 = 5)")


def test_the_key_explains_grey_italics_only_while_a_value_is_grey(explorer):
    for tab, stepper in ((REVERSE, explorer.reverse), (FORWARD, explorer.forward)):
        explorer.tabs.selected_index = tab
        stepper.step = 1
        assert "Grey italics" in explorer.drawing.step_key.get_text()
        stepper.step = len(stepper.steps) - 1  # the last step: every value is final
        assert "Grey italics" not in explorer.drawing.step_key.get_text()
        assert "Grey italics" not in explorer.graph.value


def test_every_slider_readout_has_the_same_decimals():
    e = explore(CLASSIC, x1=2.0, x2=5.0)  # steps 0.05 and 0.1: both read 2 decimals
    assert [s.step for s in e.sliders.values()] == [0.05, 0.1]
    assert {s.readout_format for s in e.sliders.values()} == {".2f"}
    e.close()


def test_an_input_named_y_leaves_the_output_called_f_everywhere():
    e = explore(lambda y: y * y, y=2.0)
    assert "∂f/∂y = 4" in text(e.result.value) and "∂y/∂y" not in text(e.result.value)
    assert "∂f/∂y = v̄-1" not in e.reverse.steps[-1].caption[-1]  # the input's own id
    assert "∂f/∂y = v̄0 = 4" in e.reverse.steps[-1].caption[-1]
    assert "∂f/∂y" in e.forward.steps[-1].caption[-1]
    assert "f̄ = 1" in text(e.trace_table.value)  # as the trace names the output
    assert ad.trace(lambda y: y * y, y=2.0).output_name == "f"
    e.close()
