"""Pictures everyone can read: text contrast measured in the rendered pixels.

WCAG 2 AA asks for a contrast ratio of at least 4.5:1 between text and what is behind
it. Each text of a drawing (node labels on their fills, edge labels, the legend, the
sweep's key) is found in the figure rendered by Agg; the background is the commonest
pixel in its box and the text's colour the pixel that differs most from it, so
anti-aliasing can only make the measured ratio smaller than the true one.
"""

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import adlearn as ad  # noqa: E402
from adlearn.drawing import GraphDrawing  # noqa: E402
from adlearn.widgets import FORWARD, REVERSE, explore  # noqa: E402

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

    def where(event):  # the texts' boxes in the picture as it is drawn for saving
        boxes[:] = [(t.get_text(), t.get_window_extent(event.renderer))
                    for t in figure.findobj(matplotlib.text.Text)
                    if t.get_visible() and t.get_text().strip()]

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
