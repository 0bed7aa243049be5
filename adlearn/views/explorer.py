"""The explorer: play with the chain rule in a notebook (ipywidgets).

``ad.explore(f, x1=2.0, x2=3.0)`` shows one widget: a slider per input; the drawn
computation graph with its values and adjoints; a chooser of the chain-rule paths to
highlight, with the paths as a table (factors, products, and their sum, the gradient);
steppers through the reverse sweep (adjoints flowing back from the output) and the
forward sweep (tangents flowing forward from one input); and the evaluation trace.

Everything the widget shows is recomputed from the sliders on every change, so a test
can drive it from Python: set ``explorer.sliders["x1"].value``, pick
``explorer.paths.value``, move ``explorer.reverse.step``, and read what it displays.

The steps of a sweep are plain data (``reverse_sweep``, ``forward_sweep``): at step k
of the reverse sweep the k-th node in reverse trace order has just passed its adjoint
back to its inputs, one edge at a time, as ``backward()`` does.
"""

import html
import inspect
import io

import ipywidgets as widgets
import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

from ..core.engine import Var, formula
from ..core.parse import Expression
from ..errors import ArgumentError, UnknownInputError
from ..text import counted, textbook_number
from .controls import (AccessibilityLayer, Stepper, decimals, first_entry, fixed_html, new_slider,
                       slider_entries)
from .drawing import GraphDrawing
from .notation import constant_text
from .paths import MAX_PATHS, chain_rule_paths, count_paths
from .recording import Recording, function_at, seed_entry
from .style import path_look
from .sweeps import FORWARD_COUNT, REVERSE_COUNT, forward_steps, reverse_steps
from .trace import function_name, trace_of
from .words import svg_with_text

DIGITS = 3  # the decimals the explorer rounds every number to, as the trace does


ALL, NONE = "all", "none"  # the path chooser's labels besides the inputs' names
PATHS, REVERSE, FORWARD = range(3)  # the tabs


class Explorer:
    """The explorer of one function (see ``explore``); shown in a notebook as one widget.

    Controls, which tests and notebooks may drive from Python: ``sliders`` (a dict of
    FloatSliders by input name), ``paths`` (ToggleButtons: set ``.label`` to an input's
    name, "all" or "none"), ``tabs`` (``selected_index``: PATHS, REVERSE or FORWARD),
    ``reverse`` and ``forward`` (Steppers: set ``.step``), ``seed`` (the forward sweep's
    input). What it shows: ``result`` (value and gradient), ``message`` (an error, or
    nothing), ``graph`` (the drawing as SVG), ``path_table`` and ``trace_table`` (HTML);
    ``drawing`` is the ``GraphDrawing`` behind ``graph``, whose artists say which edge
    carries which colour. ``widget`` is the whole; ``close()`` closes it and its figure.

    The drawing is laid out once and then changed in place (values, highlight, a sweep's
    step), on a figure of the explorer's own, never pyplot's: one figure per explorer.
    """

    def __init__(self, f, signature, point, ranges, style):
        self.f, self._signature, self.style = f, signature, style
        self.names = list(point)
        self.entries = {name: slider_entries(name, value) for name, value in point.items()}
        self.fixed = {name: value for name, value in point.items() if not self.entries[name]}
        self.sliders = {label: new_slider(label, point[name] if entry is None
                                          else float(point[name][entry]), ranges.pop(label, None))
                        for name, entries in self.entries.items() for label, entry in entries}
        shown = max((decimals(s.step) for s in self.sliders.values()), default=0)
        for slider in self.sliders.values():  # every readout with as many decimals: 2.00, 5.00
            slider.readout_format = f".{shown}f"
        if ranges:
            raise UnknownInputError(f"ranges names {', '.join(map(repr, ranges))}, which "
                                    f"f does not take; its sliders are "
                                    f"{', '.join(self.sliders) or 'none'}")
        # the forward sweep's seed: an input, or one entry of an array (the first of a fixed one)
        self._seeds = {name: [label for label, _ in entries] or [first_entry(name, point[name])]
                       for name, entries in self.entries.items()}
        choices = [(name, (name,)) for name in self.names]
        self.paths = widgets.ToggleButtons(
            options=choices + [(ALL, tuple(self.names)), (NONE, ())], value=choices[0][1],
            description="paths from", style={"button_width": "auto"})
        self.paths.add_class("adlearn-path-chooser")
        self.seed = widgets.ToggleButtons(options=[s for seeds in self._seeds.values()
                                                   for s in seeds], description="seed on",
                                          style={"button_width": "auto"})
        self.reverse = Stepper(REVERSE_COUNT, "adlearn-reverse")
        self.forward = Stepper(FORWARD_COUNT, "adlearn-forward")
        self.path_table = widgets.HTML()
        self.tabs = widgets.Tab(
            [widgets.VBox([self.paths, self.path_table]), self.reverse.box,
             widgets.VBox([self.seed, self.forward.box])],
            titles=("Chain-rule paths", "Reverse sweep", "Forward sweep"),
            layout=widgets.Layout(flex="1 1 420px", min_width="420px"))
        self.result = widgets.HTML()
        self.result.add_class("adlearn-result")
        self.message = widgets.HTML()
        self.message.add_class("adlearn-message")
        self.graph = widgets.HTML(layout=widgets.Layout(  # a wide graph scrolls sideways
            flex="0 1 auto", max_width="100%", overflow="auto", margin="0 12px 0 0"))
        self.graph.add_class("adlearn-graph")
        self.trace_table = widgets.HTML(layout=widgets.Layout(  # a wide table scrolls too
            max_width="100%", overflow="auto"))
        self.trace_table.add_class("adlearn-trace-table")
        self.title = widgets.HTML()
        self.fixed_note = widgets.HTML(fixed_html(self.fixed))
        self.widget = widgets.VBox([
            self.title,
            widgets.HBox(list(self.sliders.values()), layout=widgets.Layout(flex_flow="row wrap")),
            self.fixed_note,
            self.result, self.message,
            widgets.HBox([self.graph, self.tabs],  # side by side where there is room
                         layout=widgets.Layout(flex_flow="row wrap", align_items="flex-start")),
            self.trace_table,
            AccessibilityLayer(names={"adlearn-reverse": "reverse sweep",
                                      "adlearn-forward": "forward sweep"})])
        self.widget.add_class("adlearn-explorer")
        self._error, self._updating = None, False
        self.drawing = None
        self._update(raise_errors=True)
        shown = (f.text if isinstance(f, Expression) else formula(
            self.output, order=self.recording.order) if isinstance(self.output, Var)
            else _function_name(f))
        self.title.value = (f"<b>Explore f = {html.escape(shown)}</b>: move the inputs, "
                            "choose the paths to highlight, step through the sweeps.")
        for slider in self.sliders.values():
            slider.observe(self._on_input, "value")
        self.paths.observe(self._on_view, "value")
        self.tabs.observe(self._on_view, "selected_index")
        for stepper in (self.reverse, self.forward):
            stepper.slider.observe(self._on_view, "value")
        self.seed.observe(self._on_input, "value")
        self.widget.observe(self._on_close, "comm")  # closed elsewhere: close the rest too

    @property
    def point(self):
        """The inputs' values, as the sliders set them (an array that has no sliders stays
        as it was given)."""
        point = {}
        for name, entries in self.entries.items():
            if name in self.fixed:
                point[name] = self.fixed[name]
            elif entries[0][1] is None:  # a number
                point[name] = self.sliders[name].value
            else:  # a vector of sliders, or a 0-d array of one
                point[name] = np.array([self.sliders[label].value for label, _ in entries]
                                       ).reshape(-1 if entries[0][1] else ())
        return point

    def _on_input(self, change):
        if not self._updating:
            self._guarded(self._update)

    def _on_view(self, change):
        chosen = self.paths.value
        seeds = self._seeds.get(chosen[0], ()) if len(chosen) == 1 else ()
        if change["owner"] is self.paths and seeds and self.seed.value not in seeds:
            self.seed.value = seeds[0]  # the forward sweep follows; _on_input redraws
        elif not self._updating and self._error is None:
            self._guarded(self._show)

    def _guarded(self, action):
        """Run action; the changes it makes to the controls trigger nothing more."""
        self._updating = True
        try:
            action()
        finally:
            self._updating = False

    def _update(self, raise_errors=False):
        """Run f once at the sliders' point and recompute every view from that one
        recording, or show the error and keep the rest."""
        point = self.point
        try:
            recording = Recording.of(self.f, point, self._signature,
                                     seed_entry(point, self.seed.value), self.style)
            table = trace_of(recording, function_name(self.f), DIGITS)
        except Exception as exc:  # a callback has no one to raise to: show it instead
            if raise_errors:
                raise
            self._show_error(exc)
            return
        self._error = None
        self.message.value = ""
        self.recording, self.inputs, self.output = recording, recording.inputs, recording.output
        self.ids = recording.ids
        self.trace_table.value = table._repr_html_()
        self.reverse.steps = reverse_steps(recording, DIGITS)
        name, entry = recording.seed
        self.forward.steps = forward_steps(recording, self._input(name), DIGITS, entry)
        self.result.value = self._result_html(DIGITS)
        self._show()

    def _show_error(self, exc):
        """The error in words, above the last good picture, which is dimmed."""
        self._error = exc
        self.message.value = (
            "<div style='color:#a00; border:1px solid #a00; padding:4px 8px; "
            f"white-space:pre-wrap'><b>Not defined here</b>: {html.escape(str(exc))}"
            "<br><i>Move the slider back to see the graph again.</i></div>")
        for shown in (self.graph, self.path_table, self.trace_table, self.result,
                      self.reverse.caption, self.forward.caption):
            if "adlearn-stale" not in shown.value:
                shown.value = f"<div class='adlearn-stale' style='opacity:0.3'>{shown.value}</div>"
        if "adlearn-stale-note" not in self.result.value:  # the headline says it is old
            self.result.value = ("<div class='adlearn-stale-note'><b>Not the sliders' point</b>: "
                                 "below is the last point where f is defined.</div>"
                                 + self.result.value)

    def _result_html(self, digits):
        """The value and the gradient, rounded as the drawing and the trace round them."""
        y = self.recording.output_name
        at = ", ".join(f"{name} = {constant_text(v)}" for name, v in self.recording.point.items())
        grads = ", ".join(
            f"∂{y}/∂{x.name} = <span class='adlearn-gradient' data-input='{x.name}'>"
            f"{textbook_number(x.grad, digits)}</span>" for x in self.inputs)
        called = f"f({at})" if y == "f" else f"{y} = f({at})"  # not f = f(...)
        return (f"<div style='font-size:110%'>{called} = <span class='adlearn-value'>"
                f"{textbook_number(self.output.value, digits)}</span> &nbsp; "
                f"gradient: {grads}</div>")

    def _show(self):
        """Show the current view: the chosen paths, or a step of a sweep, in the tables,
        the captions and the drawing."""
        self.path_table.value = self._paths_html()
        for stepper in (self.reverse, self.forward):
            stepper.show(stepper.steps)
        self._draw()

    def _paths_html(self):
        """The chosen inputs' paths, numbered and coloured as the drawing's legend has
        them, each with its factors and product, and their sum: the gradient."""
        chosen = self.paths.value
        if not chosen:
            return "<p>Choose an input to see its chain-rule paths.</p>"
        y = self.recording.output_name
        counts = {name: count_paths(self.recording, name) for name in chosen}
        if sum(counts.values()) > MAX_PATHS:  # the drawing shades edges by share instead
            sums = "".join(f"<li>{counted(count, 'path')} from {name}, "
                           f"their sum: <b>∂{y}/∂{name} = "
                           f"{textbook_number(self._input(name).grad, DIGITS)}</b></li>"
                           for name, count in counts.items())
            return (f"<p>Too many chain-rule paths to tell apart (more than {MAX_PATHS}): "
                    f"the drawing shades each edge by its share of ∂{y}/∂{chosen[0]} instead "
                    "(across a cut that every path crosses exactly once, the shares add up "
                    "to it).</p>"
                    f"<ul>{sums}</ul>")
        parts, number = [], 0
        for name in chosen:
            paths = chain_rule_paths(self.recording, name)
            rows = []
            for path in paths:
                colour, dashes = path_look(number)
                number += 1
                rows.append(
                    f"<div style='margin-top:4px'>{_swatch(colour, dashes)} "
                    f"<b style='color:{colour}'>path {number}</b>: "
                    f"{html.escape(' → '.join(path.nodes))}</div>"
                    f"<div style='margin-left:3.2em'>{html.escape(path.formula(DIGITS))}</div>")
            parts.append(
                f"<div class='adlearn-paths' style='line-height:1.5; margin-bottom:8px'>"
                f"<div>Paths from {name} ({paths.wrt}) to the output:</div>{''.join(rows)}"
                f"<div style='margin-top:4px'><b>sum over the paths: "
                f"{html.escape(paths.sum_formula(DIGITS))}</b></div></div>")
        return "".join(parts)

    def _input(self, name):
        return self.inputs[self.names.index(name)]

    # -- the drawing: one figure per explorer, changed in place, shown as SVG

    def _draw(self):
        """Bring the drawing up to the current graph and view, and show it as SVG."""
        if self.drawing is None:
            self._new_drawing()
        else:
            try:
                self.drawing.update(self.recording)
            except ArgumentError:  # another shape (f branched on a value): lay it out anew
                self._new_drawing()
        view = self.tabs.selected_index
        if view == PATHS:
            self.drawing.end_steps()
            self.drawing.highlight(list(self.paths.value) or None)
            title, words = self.drawing.describe()
        else:
            self.drawing.highlight(None)
            stepper, mark = (self.reverse, "bar") if view == REVERSE else (self.forward, "dot")
            self.drawing.show_step(stepper.current, mark, stepper.step, len(stepper.steps) - 1)
            graph_title, graph_words = self.drawing.describe()
            title = self.drawing.step_key.get_text().split("\n")[0]  # the step, then the graph
            words = "\n".join((*stepper.current.caption, graph_title, graph_words))
        self.graph.value = _svg(self.drawing, title, words)

    def _new_drawing(self):
        """Lay out and draw the graph on a new figure of our own (not pyplot's, so no
        notebook shows it by itself and none piles up)."""
        self._close_figure()
        figure = Figure()
        FigureCanvasAgg(figure)  # to measure the drawing before saving it (see _svg)
        self.drawing = GraphDrawing(self.recording, figure.add_axes((0, 0, 1, 1)),
                                    adjoints=True, digits=DIGITS, steps=True)
        figure.set_size_inches(self.drawing.figure_size())

    def _close_figure(self):
        """Let the figure go: it is the explorer's alone (pyplot never saw it)."""
        self.drawing = None

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def _on_close(self, change):
        if change["new"] is None:
            self.close()

    def close(self):
        """Close every widget of the explorer, and its figure."""
        if self.drawing is None:
            return  # closed already
        self._close_figure()
        stack = [self.widget]
        while stack:
            widget = stack.pop()
            stack.extend(getattr(widget, "children", ()))
            widget.close()


def _svg(drawing, title, description):
    """The drawing's figure as an SVG element, its text kept as text (the browser draws
    it, and tests can read it), cut to what is drawn, with a ``<title>`` and a ``<desc>``
    that say in words what it shows, for screen readers.

    The cut is the graph's axes and what hangs outside them (the legend and the step's
    key below, a title above), each measured with the figure's Agg renderer, which keeps
    its text measurements from one redraw to the next: measuring every artist
    (``get_tightbbox``) or ``bbox_inches="tight"`` (which draws the figure twice) costs
    about as much as writing the SVG.
    """
    figure, ax = drawing.ax.figure, drawing.ax
    renderer = figure.canvas.get_renderer()
    titles = (ax.title, ax._left_title, ax._right_title)  # a graph too large for labels says so
    outside = [a for a in (drawing.legend, drawing.step_key, *titles) if a is not None
               and a.get_visible() and (a not in titles or a.get_text())]
    drawn = Bbox.union([ax.bbox] + [a.get_window_extent(renderer) for a in outside])
    bounds = drawn.transformed(figure.dpi_scale_trans.inverted()).padded(0.05)
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "adlearn"}):
        figure.savefig(buffer, format="svg", bbox_inches=bounds)
    text = buffer.getvalue()
    return svg_with_text(text[text.index("<svg"):], title, description)


def _swatch(colour, dashes):
    """A short line in a path's colour and line style, as in the drawing's legend."""
    pattern = "" if dashes == "solid" else " ".join(str(2 * d) for d in dashes[1])
    return (f"<svg aria-hidden='true' width='32' height='10'><line x1='0' y1='5' x2='32' y2='5' stroke='{colour}' "
            f"stroke-width='3' stroke-dasharray='{pattern}'/></svg>")


def _function_name(f):
    """f's own name with its inputs, f(W, x), for a function on arrays."""
    return f"{function_name(f)}({', '.join(inspect.signature(f).parameters)})"


def explore(f, /, *args, ranges=None, style="textbook", **values):
    """The explorer of f at a point: ``ad.explore(f, x1=2.0, x2=3.0)``.

    f is a Python function or an expression text (parsed safely, never eval'ed); the
    values name its inputs (or come by position, or as one mapping). Each input gets a slider around its
    value; ``ranges={"x1": (0.1, 4)}`` (or ``(min, max, step)``) sets one's range.
    ``style`` names the nodes as the trace does: ``"textbook"`` (v-1, v0, v1, ...) or
    ``"intro"`` (x1, x2, x3, ...). Returns an ``Explorer``, which Jupyter shows.
    """
    f, signature, point = function_at(f, args, values, style, ("ranges", "style"))
    return Explorer(f, signature, point, dict(ranges or {}), style)
