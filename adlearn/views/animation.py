"""Animations of the sweeps, for the lecture hall and for slides.

``ad.animate(f, sweep="reverse")`` plays the reverse sweep one edge at a time: each
edge's contribution ``ū += v̄ · ∂v/∂u`` lights up as it is added, and the adjoint grows
in its node until it is final. ``sweep="forward"`` plays forward mode seeded on one input
(``wrt``): each tangent is summed term by term from its arguments'. In a notebook the
animation plays inline (matplotlib's JavaScript player); ``save("sweep.gif")`` writes a
GIF (Pillow) or an MP4 (ffmpeg, where it is installed). Its words, the sweep step by
step and the graph as ``ad.describe`` says it, are its alt text and travel with the file.

The frames are the explorer's steps (``adlearn.views.explorer.reverse_sweep`` and
``forward_sweep``), each split into one frame per edge, drawn by ``GraphDrawing.show_step``.
"""

import html
import shutil

from matplotlib.animation import FuncAnimation
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .drawing import FONT_SIZE, INCH, GraphDrawing
from ..core.engine import formula
from ..errors import ArgumentError
from .network import to_networkx
from .paths import find_node
from .explorer import Step, forward_sweep, reverse_sweep

SWEEPS = ("reverse", "forward")
LINE = 1.45 * FONT_SIZE / 72  # inches per line of caption text


def sweep_frames(output, sweep="reverse", wrt=None, inputs=None, style="textbook"):
    """The frames of a sweep: ``Step``s as the explorer has them, one per edge.

    A step that passes along several edges becomes one frame per edge, each adding one
    more contribution (the values in between are computed here from the edges' local
    partials); its caption grows a line at a time. The first frame is the seed.
    """
    if sweep not in SWEEPS:
        raise ArgumentError(f"sweep must be 'reverse' or 'forward', not {sweep!r}")
    if sweep == "reverse":
        steps = reverse_sweep(output, inputs, style)
    else:
        seed = find_node(output, wrt if wrt is not None else _first_input(output, inputs),
                         inputs, style)
        steps = forward_sweep(output, seed, inputs, style)
    partial = {(u, v, k): p for u, v, k, p in to_networkx(output, inputs, style).edges(
        keys=True, data="partial")}
    frames = [steps[0]]
    for before, step in zip(steps, steps[1:]):
        values = dict(before.values)
        for j, (source, target, index) in enumerate(step.edges):
            last = j == len(step.edges) - 1
            if sweep == "reverse":  # ū += v̄ · ∂v/∂u
                share = values[target] * partial[source, target, index]
                values[source] = values.get(source, 0.0) + share
            else:  # v̇ = Σ u̇ · ∂v/∂u, a term at a time
                share = values[source] * partial[source, target, index]
                values[target] = (values.get(target, 0.0) if j else 0.0) + share
            shown = values if not last else step.values  # the sweep's own sums, exactly
            lines = j + 2 if sweep == "reverse" and not last else len(step.caption)
            later = {e[0] for e in step.edges[j + 1:]}  # x*x: x has one more to come
            final = step.final if last else before.final | {
                e[0] for e in step.edges[:j + 1] if sweep == "reverse" and
                e[0] in step.final and e[0] not in later}
            frames.append(Step(step.node, step.edges[:j + 1], dict(shown), final,
                               step.caption[:lines], step.caption_html[:lines]))
        if not step.edges:
            frames.append(step)
    return frames


def _first_input(output, inputs):
    from .trace import trace_order

    return next(n for n in trace_order(output, inputs) if n.op is None)


class SweepAnimation:
    """A sweep, animated: ``frames`` (Steps), ``title`` and ``description`` (the alt
    text), drawn on ``figure`` (``show(k)`` draws frame k; ``animation()`` is matplotlib's
    FuncAnimation of them). A notebook shows it inline; ``to_jshtml()`` gives that HTML;
    ``save(path)`` writes a .gif or .mp4."""

    def __init__(self, output, sweep, wrt, inputs, style, interval, dpi):
        self.frames = sweep_frames(output, sweep, wrt, inputs, style)
        self.sweep, self.interval, self.dpi = sweep, interval, dpi
        self.figure = Figure()
        FigureCanvasAgg(self.figure)
        self.drawing = GraphDrawing(output, self.figure.add_axes((0, 0, 1, 1)),
                                    inputs=inputs, style=style, adjoints=False, steps=True)
        self._fit()
        self.mark = "bar" if sweep == "reverse" else "dot"
        graph_title, graph_words = self.drawing.describe()
        self.title = f"{sweep.capitalize()} sweep over the graph of {formula(output)}, " \
            f"one edge at a time, in {len(self.frames)} frames."
        said = []  # the sweep's narrative: each caption line once
        for before, frame in zip((None, *self.frames), self.frames):
            same = before is not None and frame.caption[:len(before.caption)] == before.caption
            said.extend(frame.caption[len(before.caption):] if same else frame.caption)
        self.description = "\n".join((*said, graph_title, graph_words))

    def animation(self):
        """A matplotlib FuncAnimation of the frames (made when needed: matplotlib warns
        about one that is never played)."""
        self.figure.set_dpi(self.dpi)
        return FuncAnimation(self.figure, self.show, frames=len(self.frames),
                             interval=self.interval, blit=False, repeat=True)

    def _fit(self):
        """Room below the graph for the key and the longest caption, and a figure wide
        enough for its longest line."""
        width, height = self.drawing.figure_size()
        lines = [line for frame in self.frames for line in frame.caption]
        rows = 2 + max(len(frame.caption) for frame in self.frames)
        wide = max(map(len, lines), default=0) * 0.6 * FONT_SIZE / 72 + 2 * 0.3 * INCH
        below = rows * LINE + 0.2
        self.figure.set_size_inches(max(width, wide), height + below)
        self.drawing.ax.set_position((0, below / (height + below), width / max(width, wide),
                                      height / (height + below)))

    def show(self, k):
        """Draw frame k: the step on the graph, its key and caption below."""
        frame = self.frames[k]
        self.drawing.show_step(frame, self.mark, k, len(self.frames) - 1)
        key = self.drawing.step_key
        key.set_text("\n".join((key.get_text().split("\n")[0], *frame.caption)))
        return ()

    def to_jshtml(self):
        """The animation as HTML with its player, named and described for screen readers
        (the frames' image gets the title as alt text, the words follow it)."""
        player = self.animation().to_jshtml(fps=1000 / self.interval, default_mode="once")
        title, words = html.escape(self.title, quote=True), html.escape(self.description)
        player = player.replace("<img id=", f'<img alt="{title}" id=', 1).replace(
            'type="range"', 'type="range" aria-label="frame"', 1)
        return (f"<div class='adlearn-animation'>{player}<details><summary>The animation in "
                f"words</summary><div style='white-space:pre-wrap'>{words}</div></details>"
                "</div>")

    def _repr_html_(self):
        return self.to_jshtml()

    def images(self):
        """Every frame as a Pillow image."""
        from PIL import Image

        self.figure.set_dpi(self.dpi)
        for k in range(len(self.frames)):
            self.show(k)
            self.figure.canvas.draw()
            yield Image.frombuffer("RGBA", self.figure.canvas.get_width_height(),
                                   self.figure.canvas.buffer_rgba()).convert("RGB")

    def save(self, path):
        """Write the animation to a .gif (Pillow; the words in its comment) or an .mp4
        (ffmpeg; the words in its metadata)."""
        suffix = str(path).rsplit(".", 1)[-1].lower()
        if suffix == "gif":
            first, *rest = self.images()
            first.save(path, save_all=True, append_images=rest, duration=self.interval,
                       loop=0, comment=f"{self.title}\n{self.description}".encode())
        elif suffix == "mp4":
            if shutil.which("ffmpeg") is None:
                raise ArgumentError(f"cannot write {path}: an MP4 needs ffmpeg, which is not "
                                    "installed (apt-get install ffmpeg); a .gif needs nothing")
            from matplotlib.animation import FFMpegWriter

            writer = FFMpegWriter(fps=1000 / self.interval, metadata={
                "title": self.title, "comment": self.description})
            self.animation().save(path, writer=writer, dpi=self.dpi)
        else:
            raise ArgumentError(f"cannot write {path}: an animation is saved as .gif or .mp4")


def animate(output, sweep="reverse", wrt=None, *, inputs=None, style="textbook",
            interval=1200, dpi=80):
    """An animation of a sweep over the graph of output, one edge at a time.

    - ``sweep``: "reverse" (adjoints from the output back; after or without
      ``backward()``, the values are the sweep's own) or "forward" (tangents seeded on
      ``wrt``, an input's name or Var; by default the first input).
    - ``inputs``, ``style``: as for the trace; ``interval``: milliseconds per frame;
      ``dpi``: resolution of the frames (the notebook's inline player and the files).

    A notebook shows it inline; ``.save("sweep.gif")`` writes it; ``.description`` is
    its alt text.
    """
    return SweepAnimation(output, sweep, wrt, inputs, style, interval, dpi)
