"""The explorer writes its drawing's node and edge labels as SVG text itself
(``adlearn.views.svgtext``): they must stand where matplotlib's own SVG puts them, with
the same words, colours and styles, and the same white boxes under the edge labels."""

import io
import re

import matplotlib
import numpy as np
import pytest

import adlearn as ad
from adlearn.views.explorer import REVERSE, explore
from adlearn.views.svgtext import labels_svg

NUMBER = r"(-?[\d.]+)"


def textbook(x1, x2):
    return ad.log(x1) + x1 * x2 - ad.sin(x2)


def deep(x1, x2):
    v = x1
    for _ in range(4):
        v = ad.sin(v * x1 + x2)
    return v


def layer(W, x):
    return (ad.tanh(W @ x) ** 2).sum()


def _style(style):
    """What a text's CSS says besides its place: size, family, style, colour."""
    return tuple(sorted(p.strip() for p in style.split(";")
                        if p.strip() and not p.strip().startswith("text-anchor")))


def matplotlibs_labels(drawing):
    """matplotlib's own SVG of the labels: {(line, style): [(x or None, y)]} (x where
    matplotlib centres the line itself) and the boxes' extents."""
    figure = drawing.ax.figure
    keep = [drawing.boxes, drawing.lines, drawing.arrows, drawing.overlay, drawing.legend,
            drawing.step_key]
    for artist in keep:
        if artist is not None:
            artist.set_visible(False)
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        figure.savefig(buffer, format="svg")
    for artist in keep:
        if artist is not None:
            artist.set_visible(True)
    svg = buffer.getvalue()
    lines = {}
    for style, place, line in re.findall(r'<text style="([^"]*)" ([^>]*)>([^<]*)</text>', svg):
        single = re.match(rf'x="{NUMBER}" y="{NUMBER}"', place)
        x, y = (single.groups() if single else
                (None, re.search(rf"translate\({NUMBER} {NUMBER}\)", place)[2]))
        lines.setdefault((line, _style(style)), []).append(
            (None if x is None else float(x), float(y)))
    boxes = []
    for path in re.findall(r'<path d="([^"]*)"[^>]*stroke: #b0b0b0', svg):
        points = np.array(re.findall(rf"{NUMBER} {NUMBER}", path), float)
        boxes.append((*points.min(axis=0), *points.max(axis=0)))
    return figure, lines, sorted(boxes)


def our_labels(drawing, figure):
    """The same from labels_svg, placed on the whole figure as matplotlib's SVG is."""
    height = figure.get_figheight() * 72

    def place(text):
        x, y = text.get_transform().transform(text.get_unitless_position()) / figure.dpi * 72
        return x, height - y

    svg = labels_svg([*drawing.node_texts.values(), *drawing.edge_texts.values()], place)
    lines = {}
    for x, y, style, line in re.findall(
            rf'<text x="{NUMBER}" y="{NUMBER}" style="([^"]*)">([^<]*)</text>', svg):
        lines.setdefault((line, _style(style)), []).append((float(x), float(y)))
    boxes = sorted((float(x), float(y), float(x) + float(w), float(y) + float(h))
                   for x, y, w, h in re.findall(
                       rf'<rect x="{NUMBER}" y="{NUMBER}" width="{NUMBER}" height="{NUMBER}"',
                       svg))
    return lines, boxes


@pytest.mark.parametrize("f, point, view", [
    (textbook, {"x1": 2.0, "x2": 5.0}, None),
    (textbook, {"x1": 0.5, "x2": -3.25}, REVERSE),  # grey italics: adjoints not final yet
    (deep, {"x1": 2.0, "x2": 0.5}, None),  # shares, many labels
    (layer, {"W": np.arange(6.0).reshape(2, 3) / 5, "x": np.array([1.0, -2.0, 0.5])}, None),
])
def test_the_labels_stand_where_matplotlib_puts_them(f, point, view):
    e = explore(f, **point)
    try:
        if view is not None:
            e.tabs.selected_index = view
            e.reverse.step = 2
        figure, expected, expected_boxes = matplotlibs_labels(e.drawing)
        got, boxes = our_labels(e.drawing, figure)
        assert sorted(got) == sorted(expected)  # the same lines, colours and styles
        assert view is None or any("italic" in " ".join(style) for _, style in got)
        for key, places in expected.items():
            for (x, y), (our_x, our_y) in zip(sorted(places, key=lambda p: p[1]),
                                              sorted(got[key], key=lambda p: p[1])):
                assert our_y == pytest.approx(y, abs=0.01)
                if x is not None:  # a line matplotlib centres itself
                    assert our_x == pytest.approx(x, abs=0.01)
        assert len(boxes) == len(expected_boxes) > 0
        for ours, theirs in zip(boxes, expected_boxes):
            assert ours == pytest.approx(theirs, abs=0.05)  # matplotlib's width is the ink's
    finally:
        e.close()


def test_the_explorer_shows_every_label_once():
    """matplotlib leaves the labels out of its part of the SVG; the explorer writes each
    line of each label once, after it."""
    e = explore(textbook, x1=2.0, x2=5.0)
    try:
        svg = e.graph.value
        start = svg.index('<g id="adlearn-labels">')
        texts = r"<text\b[^>]*>([^<]*)</text>"
        labels = [*e.drawing.node_texts.values(), *e.drawing.edge_texts.values()]
        lines = [line for text in labels for line in text.get_text().split("\n")]
        assert re.findall(texts, svg[start:]) == lines
        assert not set(re.findall(texts, svg[:start])) & {
            line for text in e.drawing.node_texts.values() for line in text.get_text().split("\n")}
        assert all(text.get_visible() for text in labels)  # shown again after the SVG
    finally:
        e.close()
