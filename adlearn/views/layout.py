"""Where a drawn graph's nodes, edges and edge labels go: a layered layout from left to
right (``layered_layout``: inputs on the left, the output on the right, few crossings),
the edges' routes and arrowheads, and a spot on each edge for its label that covers no
other label and no node box (``place_labels``). Plain geometry, in layout units.
"""

import bisect
from dataclasses import dataclass

import networkx as nx

INCH = 0.9  # inches per unit of layout when labels are on
ARROW = (0.15, 0.06)  # arrowhead length and half width, in layout units


@dataclass
class Layout:
    """Where everything goes: node centres and each edge's route (centre, bends, centre)."""

    position: dict
    routes: dict
    crossings: int


def layered_layout(graph, sweeps=4):
    """A left-to-right layered layout of a computation graph (a networkx MultiDiGraph).

    Nodes go into layers by topological generation, so every edge points right; a
    constant sits just before the node that uses it. An edge that spans several layers
    bends through a point in each layer it crosses. The order inside each layer comes
    from a few barycenter sweeps (each node moves towards the mean position of its
    neighbours in the layer before, then after), keeping the order with the fewest
    crossings between adjacent layers. Then each layer's rows are placed as near as
    they can be to their neighbours' (``_place``), which straightens chains and long
    edges. Coordinates: x is the layer, y the row (going down).
    """
    layer = {n: i for i, generation in enumerate(nx.topological_generations(graph))
             for n in generation}
    for n, kind in graph.nodes(data="kind"):
        if kind == "constant" and graph.out_degree(n):
            layer[n] = min(layer[v] for v in graph.successors(n)) - 1
    rows = [[] for _ in range(max(layer.values(), default=0) + 1)]
    for n in graph:  # trace order: the first guess of the order in each layer
        rows[layer[n]].append(n)
    chains, links = {}, []
    for u, v, k in graph.edges(keys=True):
        bends = [("bend", u, v, k, i) for i in range(layer[u] + 1, layer[v])]
        for bend in bends:
            layer[bend] = bend[-1]
            rows[bend[-1]].append(bend)
        chain = [u, *bends, v]
        chains[u, v, k] = chain
        links.extend(zip(chain, chain[1:]))
    before, after = {}, {}
    links_between = [[] for _ in rows]
    for a, b in links:
        before.setdefault(b, []).append(a)
        after.setdefault(a, []).append(b)
        links_between[layer[a]].append((a, b))

    def crossings(rows):
        return sum(_crossings(rows[i], rows[i + 1], links_between[i]) for i in range(len(rows) - 1))

    best, fewest = [list(row) for row in rows], crossings(rows)
    for sweep in range(sweeps):
        down = sweep % 2 == 0
        neighbours = before if down else after
        for i in range(1, len(rows)) if down else range(len(rows) - 2, -1, -1):
            where = {slot: j for j, slot in enumerate(rows[i - 1 if down else i + 1])}
            old = {slot: j for j, slot in enumerate(rows[i])}
            rows[i].sort(key=lambda s: (_mean([where[t] for t in neighbours.get(s, ())], old[s]),
                                        old[s]))
        count = crossings(rows)
        if count < fewest:
            best, fewest = [list(row) for row in rows], count
    y = _place(best, before, after)
    position = {slot: (layer[slot], y[slot]) for row in best for slot in row}
    routes = {edge: [position[s] for s in chain] for edge, chain in chains.items()}
    return Layout({n: position[n] for n in graph}, routes, fewest)


def _mean(values, default):
    return sum(values) / len(values) if values else default


def _crossings(top, bottom, links):
    """How many pairs of links between two adjacent layers (lists of slots) cross."""
    top = {s: j for j, s in enumerate(top)}
    bottom = {s: j for j, s in enumerate(bottom)}
    ends = sorted((top[a], bottom[b]) for a, b in links)
    seen, count = [], 0
    for _, b in ends:  # a link crosses every earlier one that ends further down
        count += len(seen) - bisect.bisect_right(seen, b)
        bisect.insort(seen, b)
    return count


def _place(rows, before, after, passes=4):
    """A y for every slot: in its layer's order, a row apart (half a row next to a bend),
    and as near as that allows to the mean y of its neighbours, layer by layer, sweeping
    right and then left."""
    y = {s: float(j) for row in rows for j, s in enumerate(row)}
    for sweep in range(passes):
        for row in rows if sweep % 2 == 0 else reversed(rows):
            wanted = [_mean([y[t] for t in (*before.get(s, ()), *after.get(s, ()))], y[s])
                      for s in row]
            gaps = [0.5 if "bend" in (a[0], b[0]) else 1.0 for a, b in zip(row, row[1:])]
            for s, value in zip(row, _nearest_spaced(wanted, gaps)):
                y[s] = value
    return y


def _nearest_spaced(wanted, gaps):
    """Values as near as possible to wanted (least squares), each at least its gap above
    the one before: pool-adjacent-violators on wanted minus the running gaps."""
    offsets = [0.0]
    for gap in gaps:
        offsets.append(offsets[-1] + gap)
    blocks = []  # [mean, count] of pooled values, non-decreasing
    for w, o in zip(wanted, offsets):
        blocks.append([w - o, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            (m1, c1), (m2, c2) = blocks.pop(-2), blocks.pop()
            blocks.append([(m1 * c1 + m2 * c2) / (c1 + c2), c1 + c2])
    pooled = [m for m, c in blocks for _ in range(c)]
    return [p + o for p, o in zip(pooled, offsets)]


# ----------------------------------------------------------------------- geometry

def offset(route, amount):
    """The route moved sideways by amount (perpendicular to its overall direction)."""
    (x0, y0), (x1, y1) = route[0], route[-1]
    length = ((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5 or 1.0
    nx_, ny_ = -(y1 - y0) / length * amount, (x1 - x0) / length * amount
    return [(x + nx_, y + ny_) for x, y in route]


def _exit(inside, outside, centre, half):
    """Where the segment from inside to outside leaves the box (centre, half sizes)."""
    t = 1.0
    for axis in (0, 1):
        d = outside[axis] - inside[axis]
        if d:
            edge = centre[axis] + (half[axis] if d > 0 else -half[axis])
            t = min(t, (edge - inside[axis]) / d)
    t = max(t, 0.0)
    return (inside[0] + t * (outside[0] - inside[0]), inside[1] + t * (outside[1] - inside[1]))


def clip(route, source, target, shorten=0.0):
    """The route cut at the edges of its two boxes ((centre, half sizes) each), and its
    last segment shortened by ``shorten`` to leave room for an arrowhead."""
    start = _exit(route[0], route[1], *source)
    end = _exit(route[-1], route[-2], *target)
    (px, py), (ex, ey) = route[-2] if len(route) > 2 else start, end
    length = ((ex - px) ** 2 + (ey - py) ** 2) ** 0.5 or 1.0
    end = (ex - (ex - px) / length * shorten, ey - (ey - py) / length * shorten)
    return [start, *route[1:-1], end]


def arrowhead(route):
    """The triangle at the end of a clipped route (which was shortened by its length)."""
    (px, py), (ex, ey) = route[-2], route[-1]
    length = ((ex - px) ** 2 + (ey - py) ** 2) ** 0.5 or 1.0
    ux, uy = (ex - px) / length, (ey - py) / length
    tip = (ex + ux * ARROW[0], ey + uy * ARROW[0])
    return [tip, (ex - uy * ARROW[1], ey + ux * ARROW[1]), (ex + uy * ARROW[1], ey - ux * ARROW[1])]


# Where an edge's label may go, as fractions along each segment of its route, best first:
# from the middle outwards, on the line, then just beside it (above, below).
LABEL_SPOTS = tuple(sorted((k / 20 for k in range(2, 19)), key=lambda f: abs(f - 0.5)))


class _Free:
    """Rectangles (centre, half sizes) placed so far, in a grid of cells for quick look-up:
    ``free(rect)`` says whether a new one would overlap none of them."""

    def __init__(self, cell=0.5):
        self.cell, self.cells = cell, {}

    def _keys(self, rect):
        (x, y), (hw, hh) = rect
        c = self.cell
        return [(i, j) for i in range(int((x - hw) // c), int((x + hw) // c) + 1)
                for j in range(int((y - hh) // c), int((y + hh) // c) + 1)]

    def free(self, rect):
        (x, y), (hw, hh) = rect
        return not any(abs(x - ox) < hw + ow and abs(y - oy) < hh + oh
                       for key in self._keys(rect) for (ox, oy), (ow, oh) in self.cells.get(key, ()))

    def add(self, rect):
        for key in self._keys(rect):
            self.cells.setdefault(key, []).append(rect)


def place_labels(routes, sizes, boxes):
    """A spot for each edge's label on its own route, overlapping no node box and no
    label placed before it: the first free spot of LABEL_SPOTS along the route's
    segments, or its middle if none is free. routes and sizes (half width and height of
    each label) go edge by edge; boxes are the nodes' (centre, half sizes). Returns the
    spots and how many labels found no free spot."""
    taken = _Free()
    for box in boxes:
        taken.add(box)
    spots, crowded = [], 0
    for route, half in zip(routes, sizes):
        candidates = [(x0 + f * (x1 - x0), y0 + f * (y1 - y0) + side * 1.1 * half[1])
                      for side in (0, 1, -1) for f in LABEL_SPOTS
                      for (x0, y0), (x1, y1) in zip(route, route[1:])]
        spot = next((c for c in candidates if taken.free((c, half))), None)
        if spot is None:  # no room anywhere along it: the middle, crowded as it is
            spot, crowded = candidates[0], crowded + 1
        taken.add((spot, half))
        spots.append(spot)
    return spots, crowded


def label_half_size(text, fontsize):
    """About half the width and height, in layout units, of an edge label with its box
    (digits are about 0.64 em wide in DejaVu Sans; a little room to spare around it; a
    label of several lines is as wide as its longest, 1.2 em higher a line)."""
    lines = text.splitlines() or [""]
    points = (max(map(len, lines)) * 0.64 * fontsize + 0.3 * fontsize + 3,
              (1.5 + 1.2 * (len(lines) - 1)) * fontsize + 3)
    return tuple(p / 72 / INCH / 2 for p in points)
