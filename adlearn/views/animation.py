"""Animations of the sweeps, for the lecture hall and for slides.

``ad.animate(f, sweep="reverse")`` plays the reverse sweep one node at a time, as the
explorer steps through it: at step k the k-th node from the output passes its adjoint back
along its edges (``ū += v̄ · ∂v/∂u``), which light up, and each adjoint grows in its node
until it is final. ``sweep="forward"`` plays forward mode seeded on one input (``wrt``):
at step k the k-th node computes its tangent from its arguments'. In a notebook the
animation plays inline (matplotlib's JavaScript player); ``save("sweep.gif")`` writes a
GIF (Pillow) or an MP4 (ffmpeg, where it is installed). Its words, the sweep step by
step and the graph as ``ad.describe`` says it, are its alt text and travel with the file.

The frames are the explorer's steps (``sweeps.reverse_steps`` and ``forward_steps``),
one per node, drawn by ``GraphDrawing.show_step``.
"""

import html
import re
import shutil

from matplotlib.animation import FuncAnimation
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..errors import ArgumentError
from .drawing import GraphDrawing
from .layout import INCH
from .recording import recorded
from .style import FONT_SIZE
from .sweeps import FORWARD_COUNT, REVERSE_COUNT, forward_steps, reverse_steps
from .words import short_formula

SWEEPS = ("reverse", "forward")
LINE = 1.45 * FONT_SIZE / 72  # inches per line of caption text


def sweep_frames(output, sweep="reverse", wrt=None, inputs=None, style="textbook"):
    """The frames of a sweep: the ``Step``s of the explorer's stepper, one per node (the
    first is the seed). output may be a Recording (its inputs and style hold)."""
    if sweep not in SWEEPS:
        raise ArgumentError(f"sweep must be 'reverse' or 'forward', not {sweep!r}")
    recording = recorded(output, inputs, style)
    if sweep == "reverse":
        return reverse_steps(recording)
    first = next(n for n in recording.order if n.op is None)
    return forward_steps(recording, recording.find(first if wrt is None else wrt))


class SweepAnimation:
    """A sweep, animated: ``frames`` (Steps), ``title`` and ``description`` (the alt
    text), drawn on ``figure`` (``show(k)`` draws frame k; ``animation()`` is matplotlib's
    FuncAnimation of them). A notebook shows it inline; ``to_jshtml()`` gives that HTML;
    ``save(path)`` writes a .gif or .mp4."""

    def __init__(self, output, sweep, wrt, inputs, style, interval, dpi):
        recording = recorded(output, inputs, style)
        self.frames = sweep_frames(recording, sweep, wrt)
        self.sweep, self.interval, self.dpi = sweep, interval, dpi
        self.figure = Figure()
        FigureCanvasAgg(self.figure)
        self.drawing = GraphDrawing(recording, self.figure.add_axes((0, 0, 1, 1)),
                                    adjoints=False, steps=True)
        self._fit()
        self.mark = "bar" if sweep == "reverse" else "dot"
        graph_title, graph_words = self.drawing.describe()
        count = REVERSE_COUNT if sweep == "reverse" else FORWARD_COUNT
        self.title = (f"{sweep.capitalize()} sweep over the graph of {short_formula(recording)}, "
                      f"one node at a time, in {len(self.frames)} steps (0 to "
                      f"{len(self.frames) - 1}). {count}")
        said = [line for frame in self.frames for line in frame.caption]  # the narrative
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
        player = _offline(self.animation().to_jshtml(fps=1000 / self.interval,
                                                     default_mode="once"))
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


# The player's buttons as text: matplotlib's player asks a CDN for Font Awesome's icons,
# which fails offline (and nothing may come from the network).
ICONS = {"fa-play fa-flip-horizontal": "◀", "fa-minus": "−", "fa-fast-backward": "«",
         "fa-step-backward": "‹", "fa-pause": "❚❚", "fa-play": "▶", "fa-step-forward": "›",
         "fa-fast-forward": "»", "fa-plus": "+"}


def _offline(player):
    """matplotlib's player without its request for Font Awesome: its icons become text."""
    player = re.sub(r'<link rel="stylesheet"\s+href="[^"]*font-awesome[^"]*">', "", player)
    return re.sub(r'<i class="fa ([\w -]+?)"></i>', lambda m: ICONS[m[1]], player)


def animate(output, sweep="reverse", wrt=None, *, inputs=None, style="textbook",
            interval=1200, dpi=80):
    """An animation of a sweep over the graph of output, one node at a time.

    - ``sweep``: "reverse" (adjoints from the output back; after or without
      ``backward()``, the values are the sweep's own) or "forward" (tangents seeded on
      ``wrt``, an input's name or Var; by default the first input).
    - ``inputs``, ``style``: as for the trace; ``interval``: milliseconds per frame;
      ``dpi``: resolution of the frames (the notebook's inline player and the files).

    A notebook shows it inline; ``.save("sweep.gif")`` writes it; ``.description`` is
    its alt text.
    """
    return SweepAnimation(output, sweep, wrt, inputs, style, interval, dpi)
