"""How the drawings look: colours, line styles and font sizes, chosen once for the
drawing, the highlighted paths, the explorer's tables and the animations. The colours
are Okabe & Ito's, safe for colour-blind readers, and each path differs from the next in
line style as well as colour; text is readable (WCAG AA) on every fill.
"""

# Okabe & Ito's colour-blind-safe palette, without its yellow (too pale on white).
PALETTE = ("#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7", "#000000")
# The second cue: consecutive paths differ in line style as well as in colour.
LINESTYLES = ("solid", (0, (6, 2)), (0, (1.5, 1.5)), (0, (6, 2, 1.5, 2)))
LABEL_LIMIT = 100  # graphs with more nodes are drawn without labels unless asked

# How each kind of node looks: face colour, edge colour, line width, line style.
NODE_STYLE = {
    "input": ("#D6E6F5", "#1B3A5C", 1.8, "solid"),
    "parameter": ("#FBE3C6", "#7A3D00", 1.8, "solid"),  # and square corners: see _draw_nodes
    "constant": ("#F2F2F2", "#8C8C8C", 1.0, (0, (3, 2))),
    "intermediate": ("#FFFFFF", "#404040", 1.0, "solid"),
    "output": ("#FFFFFF", "#1A1A1A", 3.0, "solid"),
}
EDGE_COLOUR, EDGE_COLOUR_FADED = "#404040", "#C8C8C8"
SHARE_COLOURS = ("#0072B2", "#D55E00")  # a positive share, a negative share (dashed)
NOT_FINAL = "#555555"  # a sweep's value not final yet: readable (WCAG AA) on every node fill
FONT_SIZE, EDGE_FONT_SIZE = 9, 8
LANE = 0.12  # the distance between highlighted paths that share an edge, in layout units


def path_look(j):
    """Path number j's (from 0) colour and line style, the same in the drawing's legend
    and the explorer's table of paths."""
    return PALETTE[j % len(PALETTE)], LINESTYLES[j % len(LINESTYLES)]
