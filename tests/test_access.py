"""Pictures everyone can read: text contrast measured in the rendered pixels.

WCAG 2 AA asks for a contrast ratio of at least 4.5:1 between text and what is behind
it. Each text of a drawing (node labels on their fills, edge labels, the legend, the
sweep's key) is found in the figure rendered by Agg; the background is the commonest
pixel in its box and the text's colour the pixel that differs most from it, so
anti-aliasing can only make the measured ratio smaller than the true one.
"""

import io
import random

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import adlearn as ad  # noqa: E402
from adlearn.views.drawing import GraphDrawing  # noqa: E402
from adlearn.views.explorer import FORWARD, REVERSE, explore  # noqa: E402

AA = 4.5


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def luminance(rgb):
    """WCAG's relative luminance of an sRGB colour (components 0..1)."""
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return linear @ np.array([0.2126, 0.7152, 0.0722])


def contrast(a, b):
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_contrast_formula_matches_wcag_examples():
    white, black = np.ones(3), np.zeros(3)
    assert contrast(white, black) == pytest.approx(21.0)
    grey = np.full(3, 0x77 / 255)  # #777777 on white: just under AA, as WCAG tools report
    assert contrast(white, grey) == pytest.approx(4.48, abs=0.01)


def text_contrasts(figure, dpi=200):
    """{text: measured contrast} for every visible, non-empty text of the figure, in the
    figure as saved (cut to what is drawn, so a legend below the axes is in it too)."""
    boxes = []

    hidden = {id(t) for ax in figure.axes if not ax.axison
              for axis in (ax.xaxis, ax.yaxis) for t in axis.findobj(matplotlib.text.Text)}

    def where(event):  # the texts' boxes in the picture as it is drawn for saving
        boxes[:] = [(t.get_text(), t.get_window_extent(event.renderer))
                    for t in figure.findobj(matplotlib.text.Text)
                    if t.get_visible() and t.get_text().strip() and id(t) not in hidden]

    listening = figure.canvas.mpl_connect("draw_event", where)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    figure.canvas.mpl_disconnect(listening)
    buffer.seek(0)
    pixels = plt.imread(buffer)[..., :3].astype(float)
    height, width = pixels.shape[:2]
    found = {}
    for text, box in boxes:
        x0, x1 = max(int(box.x0), 0), min(int(box.x1) + 1, width)
        y0, y1 = max(int(height - box.y1), 0), min(int(height - box.y0) + 1, height)
        crop = pixels[y0:y1, x0:x1].reshape(-1, 3)
        assert len(crop) > 20, f"{text!r} is not in the saved picture"
        colours, counts = np.unique(crop.round(3), axis=0, return_counts=True)
        background = colours[counts.argmax()]
        found[text] = max(contrast(background, c) for c in colours)
    return found


def assert_readable(figure):
    low = {t: round(c, 2) for t, c in text_contrasts(figure).items() if c < AA}
    assert not low, f"text under {AA}:1 contrast: {low}"


def classic():
    x1, x2 = ad.Var(2.0, name="x1"), ad.Var(5.0, name="x2")
    f = ad.log(x1) + x1 * x2 - ad.sin(x2)
    f.backward()
    return f


def test_text_on_node_fills_edge_labels_and_legend_reaches_aa():
    x = ad.Var(3.0, name="x")
    y = ad.sin(x * 2.0) + x * x  # an input, constants, intermediates and the output
    y.backward()
    drawing = GraphDrawing(y, highlight="x")
    measured = text_contrasts(drawing.ax.figure)
    assert set(measured) >= {t.get_text() for t in drawing.node_texts.values()}
    assert set(measured) >= {t.get_text() for t in drawing.legend.get_texts()}
    assert_readable(drawing.ax.figure)
    assert_readable(GraphDrawing(classic(), highlight="all").ax.figure)


def test_the_explorers_sweep_steps_reach_aa():
    """The sweep shows adjoints that are not final yet in grey italics, and a key in the
    sweep's colour: both must stay readable."""
    e = explore("log(x1) + x1*x2 - sin(x2)", x1=2.0, x2=5.0)
    try:
        assert_readable(e.drawing.ax.figure)
        for tab, stepper in ((REVERSE, e.reverse), (FORWARD, e.forward)):
            e.tabs.selected_index = tab
            stepper.step = 1
            assert any("so far" in t.get_text() or "?" in t.get_text()
                       for t in e.drawing.node_texts.values())
            assert_readable(e.drawing.ax.figure)
    finally:
        e.close()


# --- clean layouts: no edge label on another label or on a node box --------------------

def random_graph(rng, nodes):
    """About ``nodes`` nodes over 1 to 3 inputs: each new node applies an operation to
    recent ones (x*x and a+a included, so some nodes have parallel edges); whatever is
    unused at the end is added into the output, so every node reaches it."""
    xs = [ad.Var(rng.uniform(0.5, 1.5), name=f"x{i + 1}") for i in range(rng.randint(1, 3))]
    made, unused = list(xs), list(xs)
    while len(made) + len(unused) - 1 < nodes:
        a = unused.pop(0) if unused and rng.random() < 0.6 else rng.choice(made[-6:])
        b = a if rng.random() < 0.15 else rng.choice(made[-6:])
        op = rng.choice(("add", "mul", "sub", "sin", "scale"))
        node = {"add": lambda: a + b, "mul": lambda: a * b, "sub": lambda: a - b,
                "sin": lambda: ad.sin(a), "scale": lambda: 0.5 * a}[op]()
        if op in ("add", "mul", "sub") and b in unused:
            unused.remove(b)
        made.append(node)
        unused.append(node)
    y = unused.pop(0)
    for node in unused:
        y = y + node
    y.backward()
    return xs, y


def overlapping(a, b, slack=0.5):
    """Whether two display boxes overlap by more than slack pixels each way."""
    return (min(a.x1, b.x1) - max(a.x0, b.x0) > slack and
            min(a.y1, b.y1) - max(a.y0, b.y0) > slack)


def label_collisions(drawing):
    """Pairs (edge label, edge label or node) whose rendered boxes overlap."""
    figure = drawing.ax.figure
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    labels = {e: t.get_bbox_patch().get_window_extent(renderer)
              for e, t in drawing.edge_texts.items()}
    transform = drawing.boxes.get_transform()
    nodes = {n: path.get_extents(transform)
             for n, path in zip(drawing.nodes, drawing.boxes.get_paths())}
    edges = list(labels)
    found = [(e, f) for i, e in enumerate(edges) for f in edges[i + 1:]
             if overlapping(labels[e], labels[f])]
    found += [(e, n) for e in edges for n, box in nodes.items() if overlapping(labels[e], box)]
    return found


def test_fifty_random_graphs_have_no_edge_label_on_a_label_or_a_box():
    rng = random.Random(15)
    for _ in range(50):
        size = rng.randint(5, 40)
        xs, y = random_graph(rng, size)
        drawing = GraphDrawing(y, inputs=xs, highlight=xs[0])
        assert drawing.edge_texts, "labels are on at this size"
        assert label_collisions(drawing) == [], f"a graph of {len(drawing.graph)} nodes"
        plt.close(drawing.ax.figure)


def test_the_collision_check_sees_a_label_put_on_a_box():
    """The check above can fail: move one label onto a node, and it is caught."""
    x = ad.Var(2.0, name="x")
    drawing = GraphDrawing(ad.sin(x) * x)
    edge, text = next(iter(drawing.edge_texts.items()))
    text.set_position(drawing.centre[edge[1]])
    assert (edge, edge[1]) in label_collisions(drawing)


def test_paths_sharing_the_edge_into_the_output_run_apart():
    """The textbook example with every path: three of them end on v4 -> v5; their lines
    are drawn apart by more than a line's width (in pixels), not on one another."""
    drawing = GraphDrawing(classic(), highlight="all")
    figure = drawing.ax.figure
    figure.canvas.draw()
    into_output = [i for i, (_, e) in enumerate(drawing.overlay_edges) if e == ("v4", "v5", 0)]
    assert len(into_output) == 3
    to_pixels = drawing.ax.transData.transform
    middles = sorted(float(to_pixels(drawing.overlay.get_segments()[i].mean(axis=0))[1])
                     for i in into_output)
    width = drawing.overlay.get_linewidths()[0] * figure.dpi / 72
    assert min(b - a for a, b in zip(middles, middles[1:])) > 1.5 * width


def test_a_graph_too_large_for_labels_says_so_in_its_caption():
    x = ad.Var(0.5, name="x")
    y = x
    for _ in range(60):
        y = ad.sin(y) + x
    big = GraphDrawing(y)
    assert not big.node_texts
    caption = big.ax.get_title(loc="left")
    assert caption.startswith("121 nodes: past 100 nodes the labels are off")
    assert "labels=True" in caption
    assert caption in text_contrasts(big.ax.figure)  # in the saved picture, readable
    assert GraphDrawing(y, labels=False).ax.get_title(loc="left") == ""  # asked: no excuse
    assert GraphDrawing(ad.sin(x)).ax.get_title(loc="left") == ""
