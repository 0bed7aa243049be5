"""Drawing the computation graph with matplotlib: watch the chain rule at work.

``draw(f, highlight="x1")`` lays the graph out in layers from left to right (inputs on
the left, the output on the right), labels each node with its definition, its value
and (after ``backward()``) its adjoint, labels each edge with its local partial
derivative (an edge from a constant has none: a constant is not a variable, and no
adjoint flows to it; the legend says so), and draws every chain-rule path from x1 in its
own colour and line style.
The legend multiplies the partials along each path and adds up the paths: the gradient.
Each edge label sits on its edge where it covers no other label and no node box
(``place_labels``); paths that share an edge run side by side. Past LABEL_LIMIT nodes
the labels are off, and the caption says so.
When there are too many paths to tell apart, each edge is shaded by its share of the
gradient instead (see ``adlearn.views.paths.gradient_shares``).

A graph of Tensors is drawn the same way. A node shows its definition and its shape, and
its entries when it has at most 6 (a large array is never formatted); an edge shows the
shape of its local Jacobian, ``∂v1/∂v-1: (3) × (3×4)``, which is never formed; a path's
product is the shape of its Jacobians' product. A leaf that is not among ``inputs=`` is a
parameter (a square orange box, named so in the legend and the words).

A drawing is a ``GraphDrawing``: it lays the graph out once and keeps its artists keyed
by node and edge id, so ``update`` (new values) and ``highlight`` (other paths) change
them in place instead of drawing everything anew; the explorer widget relies on that.

For speed, the edges are one ``LineCollection`` with their arrowheads in one
``PolyCollection``, the node boxes one ``PatchCollection``, and the labels plain
``ax.text``: networkx's own arrows and edge labels take several times as long.
"""

import math

import matplotlib.pyplot as plt
import numpy
from matplotlib.collections import LineCollection, PatchCollection, PolyCollection
from matplotlib.colors import to_rgba
from matplotlib.patches import FancyBboxPatch

from ..errors import ArgumentError
from ..text import textbook_number
from .network import to_networkx
from .notation import TEXT, adjoint_name, node_label, partial_symbol
from .paths import MAX_PATHS, has_adjoints, local_factor, require_adjoints
from .layout import (ARROW, INCH, arrowhead, clip, label_half_size, layered_layout, offset,
                     place_labels)
from .recording import recorded
from .style import EDGE_COLOUR, EDGE_FONT_SIZE, FONT_SIZE, LABEL_LIMIT, NODE_STYLE, NOT_FINAL, PALETTE
from .highlight import Highlight
from .words import describe

# ----------------------------------------------------------------------- drawing

class GraphDrawing(Highlight):
    """A drawn computation graph whose artists can be updated in place.

    ``GraphDrawing(output, ax=None, highlight=None, ...)`` lays out and draws the graph
    of output (see ``draw`` for the options). Then:

    - ``update(output)`` shows a graph of the same shape with new values, partials and
      adjoints (the function evaluated at another point), redrawing the highlight;
    - ``highlight(wrt)`` colours the chain-rule paths from other inputs (None: none);
    - ``nodes[id]``, ``edges[(source, target, index)]`` give each node's and edge's
      index into the artists: ``boxes`` (a PatchCollection), ``lines`` (a
      LineCollection), ``arrows`` (a PolyCollection); ``node_texts`` and
      ``edge_texts`` map ids to their Text labels; ``paths`` are the highlighted
      ``ChainRulePaths`` (or ``shares`` the gradient shares, if there were too many),
      drawn as the segments of ``overlay`` (a LineCollection), which ``overlay_edges``
      name as ``(path number, edge)`` (path number None for shares); ``legend``.
    - ``show_step(step, mark, k, last)`` shows a step of a sweep, ``end_steps()`` ends
      that (boxes leave room for the steps' values if made with ``steps=True``);
    - ``GraphDrawing.of(ax)`` finds the drawing of an Axes that ``draw`` returned.
    """

    def __init__(self, output, ax=None, highlight=None, *, inputs=None, style="textbook",
                 labels=None, adjoints=None, digits=3, max_paths=MAX_PATHS, steps=False):
        self._use(recorded(output, inputs, style))
        self.style, self.digits = self.recording.style, digits
        self.max_paths, self.steps = max_paths, steps
        self.graph = to_networkx(self.recording)
        self.arrays = self.recording.arrays
        if adjoints:
            require_adjoints(self.output)
        self.labels = len(self.graph) <= LABEL_LIMIT if labels is None else labels
        self.adjoints = adjoints
        self.layout = layered_layout(self.graph)
        self._size_boxes()
        self._label_spots = self._place_edge_labels()
        if ax is None:  # axes filling a figure sized to the layout, so labels fit their boxes
            ax = plt.figure(figsize=self.figure_size()).add_axes((0, 0, 1, 1))
        self.ax = ax
        ax._adlearn_drawing = self
        self._draw_nodes()
        self._draw_edges()
        self._frame()
        if labels is None and not self.labels:  # switched off for its size: say why
            ax.set_title(f"{len(self.graph):,} nodes: past {LABEL_LIMIT} nodes the labels are "
                         "off, as they would be too small to read.\ndraw(..., labels=True) "
                         "shows them on a larger figure; ad.describe(...) says the graph in "
                         "words.", loc="left", fontsize=FONT_SIZE)
        self.overlay, self.overlay_edges, self.legend = None, [], None
        self._highlighted = ()
        self.step_key, self._plain_look = None, None
        self.highlight(highlight)

    def _use(self, recording):
        """Draw from a recording of the graph: its nodes in order, their names, the edges'
        local factors (a partial, or on arrays a Jacobian's shape; None from a constant)."""
        self.recording, self.output, self.inputs = recording, recording.output, recording.inputs
        self._nodes_in_order, self._ids = recording.order, recording.ids
        self._factors = {(self._ids[arg], self._ids[node], index):
                         None if arg.is_constant else local_factor(node, index)
                         for node in recording.order for index, arg in enumerate(node.inputs)}

    @staticmethod
    def of(ax):
        """The GraphDrawing drawn on ax (by ``draw``), or None."""
        return getattr(ax, "_adlearn_drawing", None)

    # -- layout in figure units

    def _size_boxes(self):
        """Box sizes and spacing from the longest label, so labels fit their boxes."""
        order, ids = self._nodes_in_order, self._ids
        if self.labels:
            lines = [line for n in order
                     for line in node_label(n, ids, True, self.digits).splitlines()]
            if self.steps:  # room for what show_step writes: v̄1 = -0.284 so far
                lines += [f"{adjoint_name(ids[n])} = "
                          f"{textbook_number(n.grad, self.digits):>{self.digits + 3}} so far"
                          for n in order if not n.is_constant]
            widest = max(map(len, lines), default=1)
            self.box = (max(0.9, widest * 0.56 * FONT_SIZE / 72 / INCH + 0.2), 0.68)
            self.spacing = (self.box[0] + 0.85, 0.95)
        else:
            self.box, self.spacing = (0.4, 0.3), (1.0, 0.55)
        self._space_out()

    def _space_out(self, wider=0.0, taller=0.0):
        """Node centres from the layout at the spacing, widened by wider and taller."""
        self.spacing = (self.spacing[0] + wider, self.spacing[1] + taller)
        self.centre = {n: (x * self.spacing[0], -y * self.spacing[1])
                       for n, (x, y) in self.layout.position.items()}

    def _place_edge_labels(self, tries=4):
        """{edge: where its label goes} (see ``place_labels``). Where some label finds no
        free spot, the layers move apart to make room, up to ``tries`` times."""
        if not self.labels:
            return {}
        edges = [edge for edge in self.graph.edges(keys=True)
                 if self._factors[edge] is not None]  # from a constant: no partial, no label
        sizes = [label_half_size(self._edge_label(e).rjust(self.digits + 3), EDGE_FONT_SIZE)
                 for e in edges]  # room for a longer number when the values change
        for attempt in range(tries):
            boxes = [(self.centre[n], self._half(n)) for n in self.graph]
            spots, crowded = place_labels([self._route(e) for e in edges], sizes, boxes)
            if not crowded or attempt == tries - 1:
                return dict(zip(edges, spots))
            self._space_out(wider=0.45, taller=0.15)

    def _half(self, n):
        """Half the width and height of node n's box."""
        w, h = self.box
        node = self.graph.nodes[n]  # a constant is small, unless an array (entries or shape)
        if node["kind"] == "constant" and not (self.arrays and math.prod(node["shape"]) > 1):
            w, h = min(w, 0.55), h * 0.6
        return w / 2, h / 2

    def _limits(self):
        """The x and y limits that hold every box and every bend of an edge."""
        points = [*self.centre.values(), *(p for e in self.layout.routes for p in self._bends(e))]
        margin = (self.box[0] / 2 + 0.3, self.box[1] / 2 + 0.3)
        return [(min(p[axis] for p in points) - margin[axis],
                 max(p[axis] for p in points) + margin[axis]) for axis in (0, 1)]

    def figure_size(self):
        """A figure as large as the layout at INCH inches a unit (at most 16 inches a side
        without labels, which then would be unreadable anyway)."""
        width, height = (high - low for low, high in self._limits())
        inch = INCH if self.labels else min(INCH, 16 / width, 16 / height)
        return max(width * inch, 3.0), max(height * inch, 1.5)

    def _frame(self):
        (x0, x1), (y0, y1) = self._limits()
        self.ax.set_xlim(x0, x1)
        self.ax.set_ylim(y0, y1)
        self.ax.set_aspect("equal")
        self.ax.set_axis_off()

    # -- nodes

    def _draw_nodes(self):
        self.nodes = {n: i for i, n in enumerate(self.graph)}
        boxes, styles = [], []
        for n, kind in self.graph.nodes(data="kind"):
            (x, y), (hw, hh) = self.centre[n], self._half(n)
            corners = 0.0 if kind == "parameter" else min(hh, 0.1)  # a second cue: its shape
            boxes.append(FancyBboxPatch((x - hw, y - hh), 2 * hw, 2 * hh,
                                        boxstyle=f"round,pad=0,rounding_size={corners}"))
            styles.append(NODE_STYLE[kind])
        face, edge, width, dash = zip(*styles)
        self.boxes = PatchCollection(boxes, facecolors=face, edgecolors=edge, linewidths=width,
                                     linestyles=list(dash), zorder=4)
        self.ax.add_collection(self.boxes)
        self.node_texts = {}
        if self.labels:
            for node in self._nodes_in_order:
                n = self._ids[node]
                constant = node.is_constant
                self.node_texts[n] = self.ax.text(
                    *self.centre[n], "", ha="center", va="center", zorder=5,
                    fontsize=FONT_SIZE, color="#555555" if constant else "black",
                    fontstyle="italic" if constant else "normal")
        self._label_nodes()

    def _label_nodes(self):
        adjoints = has_adjoints(self.output) if self.adjoints is None else self.adjoints
        for node in self._nodes_in_order:
            text = self.node_texts.get(self._ids[node])
            if text is not None:
                text.set_text(node_label(node, self._ids, adjoints, self.digits))

    # -- edges

    def _route(self, edge, lane=0.0):
        """An edge's clipped route, moved sideways to its lane (parallel edges of
        ``x*x`` and highlighted paths sharing an edge each get their own lane)."""
        u, v, k = edge
        parallel = self.graph.number_of_edges(u, v)
        shift = (k - (parallel - 1) / 2) * 0.16 + lane
        route = offset([self.centre[u], *self._bends(edge), self.centre[v]], shift)
        return clip(route, (self.centre[u], self._half(u)), (self.centre[v], self._half(v)),
                     shorten=ARROW[0])

    def _bends(self, edge):
        return [(x * self.spacing[0], -y * self.spacing[1])
                for x, y in self.layout.routes[edge][1:-1]]

    def _draw_edges(self):
        self.edges = {e: i for i, e in enumerate(self.graph.edges(keys=True))}
        routes = [self._route(e) for e in self.edges]
        self.lines = LineCollection(routes, colors=EDGE_COLOUR, linewidths=1.2, zorder=1,
                                    capstyle="butt")
        self.arrows = PolyCollection([arrowhead(r) for r in routes], facecolors=EDGE_COLOUR,
                                     edgecolors="none", zorder=3)
        self.ax.add_collection(self.lines)
        self.ax.add_collection(self.arrows)
        self.edge_texts = {}
        if self.labels:
            for e, spot in self._label_spots.items():  # an edge from a constant has none
                self.edge_texts[e] = self.ax.text(
                    *spot, "", ha="center", va="center", zorder=6,
                    fontsize=EDGE_FONT_SIZE, color="#202020",
                    bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="#B0B0B0", lw=0.5))
        self._label_edges()

    def _edge_label(self, edge):
        """The local partial, rounded; on arrays the local Jacobian's shape, with its name,
        on two lines to keep the layers close (``∂v1/∂v-1:`` over ``(3) × (3×4)``), since
        it is not one number."""
        if self.arrays:
            u, v, _ = edge  # x * x: two edges from x, told apart by argument
            repeated = {(u, v)} if self.graph.number_of_edges(u, v) > 1 else set()
            return f"{partial_symbol(edge, repeated)}:\n{self._factors[edge]}"
        return textbook_number(self._factors[edge], self.digits)

    def _label_edges(self):
        for edge, text in self.edge_texts.items():
            text.set_text(self._edge_label(edge))

    # -- update in place

    def update(self, output, inputs=None):
        """Show output (or a Recording), a graph of the same shape (new values, partials and
        adjoints)."""
        recording = recorded(output, inputs, self.style)
        ids = recording.ids
        edges = {(ids[arg], ids[node], index) for node in recording.order
                 for index, arg in enumerate(node.inputs)}
        if [ids[n] for n in recording.order] != list(self.graph.nodes) or \
                edges != set(self.graph.edges(keys=True)):
            raise ArgumentError("update needs a graph of the same shape as the one drawn; "
                                "draw a new one for a different expression")
        self._use(recording)
        self._label_nodes()
        self._label_edges()
        self.highlight(self._highlighted)

    # -- a step of a sweep (the explorer's steppers, ad.animate)

    def show_step(self, step, mark, k, last):
        """Show step k (of last) of a sweep, a ``Step`` of ``sweeps.reverse_steps``
        (mark "bar") or ``forward_steps`` (mark "dot"): each node's adjoint or tangent so
        far, in grey italics while not final; the node that acts and its edges drawn
        thick in the sweep's colour; ``step_key`` (a text below) says which step it is,
        and what grey italics mean while a node is so drawn."""
        colour = PALETTE[4] if mark == "bar" else PALETTE[3]
        if self._plain_look is None:  # what end_steps restores
            self._plain_look = tuple(
                numpy.resize(values, (count, *numpy.shape(values)[1:])) for values, count in (
                    (self.boxes.get_edgecolor(), len(self.nodes)),
                    (self.boxes.get_linewidths(), len(self.nodes)),
                    (self.lines.get_linewidths(), len(self.edges))))
        grey = False  # whether a value is drawn in grey italics: the key says why
        for node in self._nodes_in_order:
            name = self._ids[node]
            text = self.node_texts.get(name)
            if text is None or node.is_constant:
                continue
            value = step.values.get(name, 0.0 if mark == "bar" else None)  # v̄ starts at 0
            final = name in step.final
            shown = "?" if value is None else (textbook_number(value, self.digits)
                                               + ("" if final else " so far"))
            text.set_text(f"{node_label(node, self._ids, False, self.digits)}\n"
                          f"{TEXT.name(name, mark)} = {shown}")
            text.set_color("black" if final else NOT_FINAL)
            text.set_fontstyle("normal" if final else "italic")
            grey = grey or not final
        edge_colours, box_widths, line_widths = (v.copy() for v in self._plain_look)
        edge_colours[self.nodes[step.node]] = to_rgba(colour)
        box_widths[self.nodes[step.node]] = 3.5
        self.boxes.set_edgecolor(edge_colours)
        self.boxes.set_linewidths(box_widths)
        line_colours = [EDGE_COLOUR] * len(self.edges)
        for edge in step.edges:
            line_colours[self.edges[edge]] = colour
            line_widths[self.edges[edge]] = 3.5
        self.lines.set_color(line_colours)
        self.lines.set_linewidths(line_widths)
        self.arrows.set_facecolor(line_colours)
        sweep, action, why = ("Reverse", "passes its adjoint back along",
                               "adjoint not final yet") if mark == "bar" else (
            "Forward", "computes its tangent from", "tangent not computed yet")
        if self.step_key is None:  # black: the sweeps' colours are too light for text
            self.step_key = self.ax.text(0, 0, "", transform=self.ax.transAxes, va="top",
                                         fontsize=FONT_SIZE)
        self.step_key.set_text(f"{sweep} sweep, step {k} of {last}: {step.node} {action} "
                               "the coloured edges." + (f"\nGrey italics: {why}." if grey else ""))

    def end_steps(self):
        """Undo show_step: the plain drawing again, with its labels."""
        if self.step_key is None:
            return
        self.step_key.remove()
        self.step_key = None
        edge_colours, box_widths, line_widths = self._plain_look
        self.boxes.set_edgecolor(edge_colours)
        self.boxes.set_linewidths(box_widths)
        self.lines.set_linewidths(line_widths)
        self.lines.set_color(EDGE_COLOUR)
        self.arrows.set_facecolor(EDGE_COLOUR)
        self._label_nodes()
        for node in self._nodes_in_order:
            text = self.node_texts.get(self._ids[node])
            if text is not None and not node.is_constant:
                text.set_color("black")
                text.set_fontstyle("normal")

    def describe(self):
        """What the drawing shows, in words: ``(title, the rest)``, as ``ad.describe``
        writes them for the highlighted paths (an SVG's ``<title>`` and ``<desc>``)."""
        words = describe(self.recording, self._highlighted or None, adjoints=self.adjoints,
                         max_paths=self.max_paths)
        first, _, rest = words.partition("\n")
        return first, rest


def draw(output, highlight=None, ax=None, *, inputs=None, style="textbook", labels=None,
         adjoints=None, digits=3, max_paths=MAX_PATHS):
    """Draw the computation graph of output and return the matplotlib Axes.

    - ``highlight``: an input (its name, such as "x1", or its Var), several, or "all":
      each chain-rule path from it gets its own colour and line style, and the legend
      lists each path's factors, its product and their sum, the gradient. Past
      ``max_paths`` paths, the edges are shaded by their share of the gradient instead.
    - ``ax``: the Axes to draw on (a new figure, sized to the graph, by default).
    - ``inputs``, ``style``: as for the trace (``style="intro"`` names x1, x2, x3, ..., f).
    - ``labels``: node and edge labels (on up to 100 nodes by default); ``adjoints``:
      show each node's adjoint (by default once ``output.backward()`` has run);
      ``digits``: decimals shown, as in the trace.

    ``GraphDrawing.of(ax)`` gives the drawing behind the Axes, to update it in place.
    """
    return GraphDrawing(output, ax, highlight, inputs=inputs, style=style, labels=labels,
                        adjoints=adjoints, digits=digits, max_paths=max_paths).ax
