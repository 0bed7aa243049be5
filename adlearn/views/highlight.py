"""The chain-rule paths drawn over a graph: each path from the chosen inputs in its own
colour and line style, with a legend that multiplies the partials along each path and
adds up the paths (the gradient); past ``max_paths`` paths, each edge shaded by its share
of the gradient instead (on arrays, the edges on a path drawn in one colour).

``Highlight`` is the part of ``GraphDrawing`` that does this; it reads the drawing's
recording, layout and artists.
"""

from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D

from ..text import counted, textbook_number
from .paths import JacobianShape, chain_rule_paths, count_paths, gradient_shares
from .style import (EDGE_COLOUR, EDGE_COLOUR_FADED, FONT_SIZE, LANE, PALETTE, SHARE_COLOURS,
                    path_look)


class Highlight:
    """The highlight of a ``GraphDrawing``: ``highlight(wrt)`` and the legend."""

    def highlight(self, wrt):
        """Colour each chain-rule path from wrt: an input's name or Var, several of them,
        "all" (every input), or None (no highlight). With more than ``max_paths`` paths,
        shade each edge by its share of the gradient instead."""
        for artist in (self.overlay, self.legend):
            if artist is not None:
                artist.remove()
        self.overlay, self.overlay_edges, self.legend = None, [], None
        self.paths, self.shares = (), {}
        self.lines.set_color(EDGE_COLOUR)
        self.arrows.set_facecolor(EDGE_COLOUR)
        starts = self.recording.find_inputs(wrt)
        self._highlighted = tuple(self._ids[n] for n in starts)
        if not starts:
            if self._notes():
                self._add_legend([], [])
            return
        self.lines.set_color(EDGE_COLOUR_FADED)
        self.arrows.set_facecolor(EDGE_COLOUR_FADED)
        count = sum(count_paths(self.recording, n) for n in starts)
        if count <= self.max_paths:
            self._draw_paths(starts)
        else:
            self._draw_shares(starts, count)

    def _called(self, node):
        """An input as the legend names it: its id, and its own name if that differs."""
        named = f" ({node.name})" if node.name not in (None, self._ids[node]) else ""
        return f"{self._ids[node]}{named}"

    def _draw_paths(self, starts):
        self.paths = tuple(chain_rule_paths(self.recording, n, None) for n in starts)
        numbered = [path for paths in self.paths for path in paths]
        users = {}
        for j, path in enumerate(numbered):
            for edge in path.edges:
                users.setdefault(edge, []).append(j)
        routes, colours, dashes = [], [], []
        for j, path in enumerate(numbered):
            for edge in path.edges:
                sharing = len(users[edge])  # paths on one edge run side by side, apart
                lane = (users[edge].index(j) - (sharing - 1) / 2) * min(LANE, 0.6 / sharing)
                routes.append(self._route(edge, lane))
                colour, dash = path_look(j)
                colours.append(colour)
                dashes.append(dash)
                self.overlay_edges.append((j + 1, edge))
        self.overlay = LineCollection(routes, colors=colours, linestyles=dashes, linewidths=2.6,
                                      zorder=2, capstyle="butt")
        self.ax.add_collection(self.overlay)
        on_paths = [self.edges[e] for e in users]
        colours = [EDGE_COLOUR_FADED] * len(self.edges)
        for i in on_paths:
            colours[i] = EDGE_COLOUR
        self.arrows.set_facecolor(colours)
        handles, texts, j = [], [], 0
        for start, paths in zip(starts, self.paths):
            handles.append(Line2D([], [], linestyle="none"))
            texts.append(f"Chain-rule paths from {self._called(start)} to {paths.output}:")
            for path in paths:
                colour, dash = path_look(j)
                handles.append(Line2D([], [], color=colour, linewidth=2.6, linestyle=dash))
                texts.append(f"path {j + 1}: {path.formula(self.digits)}")
                j += 1
            handles.append(Line2D([], [], linestyle="none"))
            texts.append(f"sum over the paths: {paths.sum_formula(self.digits)}")
        self._add_legend(handles, texts, (
            "The chain rule: multiply the Jacobians (edge labels) along each path, as "
            "matrices, from the output back;\nthen add up the paths." if self.arrays else
            "The chain rule: multiply the partials (edge labels) along each path, then add up "
            "the paths."))
        for text in self.legend.get_texts():
            if text.get_text().startswith("sum"):
                text.set_fontweight("bold")

    def _draw_shares(self, starts, count):
        if self.arrays:
            return self._draw_path_edges(starts, count)
        start = starts[0]  # with several inputs, the shares of the first are shown
        self.shares = gradient_shares(self.recording, start)
        largest = max(map(abs, self.shares.values()), default=0.0) or 1.0
        routes, colours, widths, dashes = [], [], [], []
        for edge, share in self.shares.items():
            if share == 0:
                continue
            strength = abs(share) / largest
            colour = SHARE_COLOURS[share < 0]
            routes.append(self._route(edge))
            colours.append((*_rgb(colour), 0.3 + 0.7 * strength))
            widths.append(0.8 + 4.2 * strength)
            dashes.append("solid" if share > 0 else (0, (4, 2)))
            self.overlay_edges.append((None, edge))
        self.overlay = LineCollection(routes, colors=colours, linewidths=widths,
                                      linestyles=dashes, zorder=2, capstyle="butt")
        self.ax.add_collection(self.overlay)
        wrt, out = self._ids[start], self._ids[self.output]
        gradient = sum(s for (u, v, k), s in self.shares.items() if v == out)
        handles = [Line2D([], [], color=SHARE_COLOURS[0], linewidth=3),
                   Line2D([], [], color=SHARE_COLOURS[1], linewidth=3, linestyle=(0, (4, 2)))]
        texts = ["a positive share (the wider, the larger)", "a negative share"]
        called = ", ".join(map(self._called, starts))
        shown = f" (the shares of {self._called(start)} are shown)" if len(starts) > 1 else ""
        title = (f"{counted(count, 'chain-rule path')} from {called}: too many to "
                 f"list (more than {self.max_paths}){shown}.\nEach edge is shaded by its share of "
                 f"∂{out}/∂{wrt} = {textbook_number(gradient, self.digits)}: the tangent into it × "
                 "its partial × the adjoint out of it.\nAcross a cut that every path crosses "
                 "exactly once, the shares add up to the gradient.")
        self._add_legend(handles, texts, title)

    def _draw_path_edges(self, starts, count):
        """Too many paths on arrays (their shares would be arrays): every edge on a path
        drawn in one colour, and the legend gives the count and the derivative's shape."""
        reach = {self._ids[n] for n in starts}
        for node in self._nodes_in_order:  # after its inputs: the nodes that depend on a start
            if any(self._ids[a] in reach for a in node.inputs):
                reach.add(self._ids[node])
        on_paths = [(u, v, k) for u, v, k in self.graph.edges(keys=True)
                    if u in reach and v in reach]
        routes = [self._route(e) for e in on_paths]
        self.overlay_edges = [(None, e) for e in on_paths]
        self.overlay = LineCollection(routes, colors=PALETTE[3], linewidths=2.6, zorder=2,
                                      capstyle="butt")
        self.ax.add_collection(self.overlay)
        out = self._ids[self.output]
        called = ", ".join(map(self._called, starts))
        shapes = "; ".join(f"∂{out}/∂{self._ids[n]}: "
                           f"{JacobianShape(self.output.shape, n.shape)}" for n in starts)
        self._add_legend([Line2D([], [], color=PALETTE[3], linewidth=2.6)],
                         ["an edge on a path"],
                         f"{counted(count, 'chain-rule path')} from {called}: too many to "
                         f"list (more than {self.max_paths}).\nThe sum of their Jacobian "
                         f"products is the derivative, {shapes}.")

    def _notes(self):
        """What the legend says about the kinds of nodes and the edge labels, if the graph
        needs it: constants, parameters, Jacobians' shapes (["..."], or [])."""
        kinds = set(dict(self.graph.nodes(data="kind")).values())
        notes = []
        if self.arrays:
            notes.append("Edge labels: the shape of each local Jacobian, (its node's shape) × "
                         "(its input's shape); () is one number;\ndiagonal: an elementwise "
                         "operation's. A node shows its entries when it has at most 6.")
        if "parameter" in kinds:
            notes.append("Square orange boxes are parameters: leaves that are not among the "
                         "inputs (rounded blue boxes).")
        if "constant" in kinds:
            notes.append("Edges from constants (dashed grey boxes) have no partial: a constant "
                         "is not a variable, and no adjoint flows to it.")
        return notes

    def _add_legend(self, handles, texts, title=None):
        title = "\n".join(t for t in (title, *self._notes()) if t) or None
        self.legend = self.ax.legend(
            handles, texts, title=title, loc="upper left", bbox_to_anchor=(0.0, 0.0),
            fontsize=FONT_SIZE, title_fontsize=FONT_SIZE, handlelength=3.2, frameon=False,
            alignment="left")



def _rgb(colour):
    return tuple(int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
