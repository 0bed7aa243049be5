"""The drawing's node and edge labels written as SVG text, for the explorer's speed.

A slider move changes every label of the drawing (values, adjoints, partials), and
matplotlib lays each label out anew for each SVG it writes, measuring every line of text
with FreeType: about three quarters of the time a move takes. So the explorer lets
matplotlib write the rest of the picture and writes the labels itself (``labels_svg``),
as matplotlib would place them: each line of a label centred on the label's point, the
lines as far apart as matplotlib sets them (1.2 times the font's height), an edge label
on a white rounded box. The glyphs' sizes come from the same font, measured once per
character (``_glyph``), not once per label.
"""

import functools
import html

from matplotlib import rcParams
from matplotlib.colors import to_hex
from matplotlib.font_manager import FontProperties, findfont, get_font
from matplotlib.ft2font import LoadFlags

SCALE = 100  # the font size glyphs are measured at, in points (then scaled), as matplotlib's


@functools.cache
def _glyph(char, italic):
    """(advance, ascent, descent) of one character at 1 point, in points."""
    font = get_font(findfont(FontProperties(style="italic" if italic else "normal")))
    font.set_size(SCALE, 72)
    glyph = font.load_char(ord(char), flags=LoadFlags.NO_HINTING)
    _, low, _, high = glyph.bbox  # in 64ths of a point
    return glyph.linearHoriAdvance / 65536 / SCALE, high / 64 / SCALE, -low / 64 / SCALE


@functools.cache
def _font_height(italic):
    """The font's ascent, descent and line gap at 1 point (its OS/2 or hhea table), from
    which matplotlib's text layout spaces lines: a line is at least as tall as the font's
    ascent and descent, and the lines of a label are a line gap apart."""
    font = get_font(findfont(FontProperties(style="italic" if italic else "normal")))
    units = font.get_sfnt_table("head")["unitsPerEm"]
    for table, keys in (("OS/2", ("sTypoAscender", "sTypoDescender", "sTypoLineGap")),
                        ("hhea", ("ascent", "descent", "lineGap"))):
        metrics = font.get_sfnt_table(table)
        if metrics is not None:
            ascent, descent, gap = (metrics[key] / units for key in keys)
            return ascent, -descent, gap
    return 0.76, 0.24, 0.2  # DejaVu Sans's, should a font have neither table


def _measure(line, size, italic):
    """(width, ascent, descent) of one line of text in points."""
    glyphs = [_glyph(char, italic) for char in line] or [(0.0, 0.0, 0.0)]
    return (size * sum(g[0] for g in glyphs), size * max(max(g[1] for g in glyphs), 0.0),
            size * max(max(g[2] for g in glyphs), 0.0))


@functools.cache
def _family():
    """The CSS font-family matplotlib's SVG names for its default (sans-serif) text."""
    names = [repr(name) for name in rcParams["font.sans-serif"] if name != "sans-serif"]
    return ", ".join(names + ["sans-serif"])


def labels_svg(texts, place):
    """SVG elements for matplotlib Text labels (centred on their point, as the drawing
    makes them): ``place(text)`` gives a label's point in the SVG's coordinates. A label
    with a box (an edge's) gets it drawn first, white with a grey rim, as matplotlib
    draws ``bbox=dict(boxstyle="round,pad=0.15", ...)``."""
    parts = []
    for text in texts:
        if not text.get_visible() or not text.get_text():
            continue
        size, italic = text.get_fontsize(), text.get_fontstyle() == "italic"
        lines = text.get_text().split("\n")
        sizes = [_measure(line, size, italic) for line in lines]
        font_ascent, font_descent, gap = (size * h for h in _font_height(italic))
        gap = gap if len(lines) > 1 else 0.0
        rows = [(max(a, font_ascent) + gap / 2, max(d, font_descent) + gap / 2)
                for _, a, d in sizes]  # each line's height above and below its baseline
        height = sum(a + d for a, d in rows)
        x, y = place(text)
        top = y - height / 2
        box = text.get_bbox_patch()
        if box is not None:
            pad = box.get_boxstyle().pad * size
            width = max(w for w, _, _ in sizes)
            parts.append(
                f'<rect x="{x - width / 2 - pad:.3f}" y="{top - pad:.3f}" '
                f'width="{width + 2 * pad:.3f}" height="{height + 2 * pad:.3f}" '
                f'rx="{pad:.3f}" style="fill: {to_hex(box.get_facecolor())}; '
                f'stroke: {to_hex(box.get_edgecolor())}; stroke-width: {box.get_linewidth():g}"/>')
        style = f"font-size: {size:g}px; font-family: {_family()}"
        if italic:
            style += "; font-style: italic"
        colour = to_hex(text.get_color())
        if colour != "#000000":
            style += f"; fill: {colour}"
        for line, (above, below) in zip(lines, rows):
            parts.append(f'<text x="{x:.3f}" y="{top + above:.3f}" style="{style}; '
                         f'text-anchor: middle">{html.escape(line, quote=False)}</text>')
            top += above + below
    return "\n".join(parts)
