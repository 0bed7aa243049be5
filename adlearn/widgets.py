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
import math
import re
from dataclasses import dataclass

import ipywidgets as widgets

from .engine import Var, _constant, formula
from .errors import AdlearnError, ArgumentError, PathLimitError, UnknownInputError
from .graph import _partial_symbol, chain_rule_paths, node_ids, result_text
from .parse import Expression, parse
from .rules import as_real, number_text
from .trace import _HTML, _TEXT, _check_style, _point, definition, trace, trace_order


@dataclass(frozen=True)
class Step:
    """One step of a sweep, as the explorer shows it.

    ``node`` is the id of the node that acted (at step 0, the node that is seeded),
    ``edges`` the edges it used, as ``(source, target, argument index)``; ``values`` maps
    node ids to their adjoints (reverse) or tangents (forward) so far (a node that has
    received nothing yet is absent); ``final`` holds the ids whose value is final;
    ``caption`` is the update in symbols and numbers, one line per edge, and
    ``caption_html`` the same lines written as the trace table writes names (v<sub>1</sub>).
    """

    node: str
    edges: tuple
    values: dict
    final: frozenset
    caption: tuple
    caption_html: tuple


# Captions are written with a slot for each name, {v-1|bar}, filled in per notation.
_SLOT = re.compile(r"\{([^{}|]+)\|(\w*)\}")


def _slot(name, mark=""):
    return f"{{{name}|{mark}}}"


def _step(node, edges, values, final, lines):
    text = tuple(_SLOT.sub(lambda m: _TEXT.name(m[1], m[2]), line) for line in lines)
    written = tuple(_SLOT.sub(lambda m: _HTML.name(m[1], m[2]), html.escape(line, quote=False))
                    for line in lines)
    return Step(node, tuple(edges), values, frozenset(final), text, written)


def _variables(output, inputs):
    """The nodes a sweep visits (constants take no part), in trace order."""
    return [node for node in trace_order(output, inputs) if not node.is_constant]


def reverse_sweep(output, inputs=None, style="textbook"):
    """The reverse sweep step by step: step 0 seeds the output's adjoint with 1; at step
    k the k-th node in reverse trace order passes its adjoint back along its edges
    (``ū += v̄ · ∂v/∂u``). An adjoint is final once every user of its node has passed."""
    ids = node_ids(output, inputs, style)
    slot = {node: _slot(name) for node, name in ids.items()}
    bar = {node: _slot(name, "bar") for node, name in ids.items()}
    nodes = _variables(output, inputs)
    waiting = {node: 0 for node in nodes}  # edges still to bring an adjoint to each node
    for node in nodes:
        for arg in node.inputs:
            if not arg.is_constant:
                waiting[arg] += 1
    adjoint = {output: 1.0}
    steps = []  # per step: the node, its edges, the adjoints so far, the final ones, lines

    def record(node, edges, lines):
        steps.append([ids[node], edges, {ids[n]: a for n, a in adjoint.items()},
                      [ids[n] for n in nodes if not waiting[n]], lines])

    record(output, [], [f"The sweep starts at the output: {bar[output]} = 1 "
                        "(every other adjoint starts at 0)."])
    for node in reversed(nodes):
        if not node.inputs:
            continue  # an input has nothing to pass on
        edges = []
        lines = [f"{slot[node]} = {definition(node, slot)} passes {bar[node]} = "
                 f"{result_text(adjoint[node])} back to its inputs:"]
        for index, (arg, partial) in enumerate(zip(node.inputs, node.partials)):
            if arg.is_constant:
                continue
            before = adjoint.get(arg)
            share = adjoint[node] * partial
            adjoint[arg] = share if before is None else before + share
            waiting[arg] -= 1
            edges.append((ids[arg], ids[node], index))
            line = (f"{bar[arg]} += {bar[node]} · {_partial(slot, node, index)}"
                    f" = {number_text(adjoint[node])} · {number_text(partial)}"
                    f" = {result_text(share)}")
            if before is not None:
                line += f", so {bar[arg]} = {result_text(adjoint[arg])}"
            lines.append(line + (" (final)" if not waiting[arg] else " (more to come)"))
        record(node, edges, lines)
    gradient = ", ".join(f"{_derivative(node.name or ids[node], style)} = {bar[node]} = "
                         f"{result_text(adjoint.get(node, 0.0))}"
                         for node in nodes if not node.inputs)
    steps[-1][-1].append("Done: every adjoint is final, and the inputs' adjoints are the "
                         f"gradient: {gradient}.")
    return [_step(*step) for step in steps]


def forward_sweep(output, seed, inputs=None, style="textbook"):
    """The forward sweep (forward mode) step by step: step 0 seeds the tangent of the
    input ``seed`` (a Var) with 1 and the other inputs' with 0; at step k the k-th
    intermediate in trace order computes its tangent from its arguments'
    (``v̇ = Σ u̇ · ∂v/∂u``). A tangent is final as soon as it is computed."""
    ids = node_ids(output, inputs, style)
    slot = {node: _slot(name) for node, name in ids.items()}
    dot = {node: _slot(name, "dot") for node, name in ids.items()}
    nodes = _variables(output, inputs)
    leaves = [node for node in nodes if not node.inputs]
    tangent = {node: float(node is seed) for node in leaves}
    seeds = ", ".join(f"{dot[n]} = {number_text(tangent[n])}" for n in leaves)
    steps = [[ids[seed], [], {ids[n]: t for n, t in tangent.items()}, [ids[n] for n in leaves],
              [f"Seeded on {slot[seed]}: {seeds} (a tangent is ∂v/∂{slot[seed]})."]]]
    for node in nodes:
        if not node.inputs:
            continue
        terms = [(index, arg, partial) for index, (arg, partial)
                 in enumerate(zip(node.inputs, node.partials)) if not arg.is_constant]
        tangent[node] = math.fsum(tangent[arg] * partial for _, arg, partial in terms)
        symbols = " + ".join(f"{dot[arg]} · {_partial(slot, node, index)}"
                             for index, arg, _ in terms)
        numbers = " + ".join(f"{number_text(tangent[arg])} · {number_text(partial)}"
                             for _, arg, partial in terms)
        steps.append([ids[node], [(ids[arg], ids[node], index) for index, arg, _ in terms],
                      {ids[n]: t for n, t in tangent.items()}, [ids[n] for n in tangent],
                      [f"{slot[node]} = {definition(node, slot)}:",
                       f"{dot[node]} = {symbols or '0'} = {numbers or '0'} = "
                       f"{result_text(tangent[node])}"]])
    steps[-1][-1].append(
        f"Done: {_derivative(seed.name or ids[seed], style)} = {dot[output]} = "
        f"{result_text(tangent.get(output, 0.0))}; one forward sweep gives the derivative "
        f"by one input ({slot[seed]}).")
    return [_step(*step) for step in steps]


def _derivative(name, style):
    """∂y/∂x1: the derivative of the output (y, or f in the intro style) by an input."""
    return f"∂{_slot('y' if style == 'textbook' else 'f')}/∂{_slot(name)}"


def _partial(slot, node, index):
    """The symbol ∂v/∂u of node's edge from its argument ``index``; "(argument 2)" says
    which use when node uses that argument twice (x*x), as the paths do."""
    arg = node.inputs[index]
    edge = (slot[arg], slot[node], index)
    return _partial_symbol(edge, {edge[:2]} if node.inputs.count(arg) > 1 else ())


def slider_range(value):
    """A slider's (min, max, step) around a starting value: value ± max(2|value|, 2),
    in steps of about a hundredth of that (1, 2 or 5 times a power of ten)."""
    half = max(2 * abs(value), 2.0)
    power = 10 ** math.floor(math.log10(half / 100))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= half / 100)
    digits = max(0, -math.floor(math.log10(step)))  # no 2.0000000000000004 on the ends
    return (round(math.floor((value - half) / step) * step, digits),
            round(math.ceil((value + half) / step) * step, digits), step)


class Stepper:
    """Play/pause, previous/next and a step slider over the steps of one sweep, with the
    caption of the current step. ``step`` is the current step number (0: the seed)."""

    def __init__(self, title, css_class):
        self.play = widgets.Play(interval=1500, min=0, max=0, step=1, description="play",
                                 show_repeat=False)
        self.previous = widgets.Button(description="◀ previous", tooltip="the step before",
                                       layout=widgets.Layout(width="auto"))
        self.next = widgets.Button(description="next ▶", tooltip="the next step",
                                   layout=widgets.Layout(width="auto"))
        self.slider = widgets.IntSlider(0, min=0, max=0, description="step")
        widgets.link((self.play, "value"), (self.slider, "value"))
        self.previous.on_click(lambda _: self._move(-1))
        self.next.on_click(lambda _: self._move(+1))
        self.caption = widgets.HTML(layout=widgets.Layout(min_height="6em"))
        self.caption.add_class("adlearn-caption")
        self.box = widgets.VBox([
            widgets.HTML(title),
            widgets.HBox([self.play, self.previous, self.next, self.slider]), self.caption])
        self.box.add_class(css_class)
        self.steps = []

    def _move(self, by):
        self.step = min(max(self.step + by, 0), self.slider.max)

    @property
    def step(self):
        return self.slider.value

    @step.setter
    def step(self, k):
        self.slider.value = k

    @property
    def current(self):
        """The Step shown now."""
        return self.steps[self.step]

    def show(self, steps):
        """Show new steps (the inputs moved), at the same step number where it exists."""
        self.steps = steps
        self.play.max = self.slider.max = len(steps) - 1
        self.caption.value = _caption_html(self.current, self.step, len(steps) - 1)


def _caption_html(step, k, last):
    lines = "".join(f"<div>{line}</div>" for line in step.caption_html)
    return (f"<div class='adlearn-step' style='line-height:1.6'>"
            f"<i>step {k} of {last}</i>{lines}</div>")


ALL, NONE = "all", "none"  # the path chooser's labels besides the inputs' names
PATHS, REVERSE, FORWARD = range(3)  # the tabs


class Explorer:
    """The explorer of one function (see ``explore``); shown in a notebook as one widget.

    Controls, which tests and notebooks may drive from Python: ``sliders`` (a dict of
    FloatSliders by input name), ``paths`` (ToggleButtons: set ``.label`` to an input's
    name, "all" or "none"), ``tabs`` (0: paths, 1: reverse sweep, 2: forward sweep),
    ``reverse`` and ``forward`` (Steppers: set ``.step``), ``seed`` (the forward sweep's
    input). What it shows: ``result`` (value and gradient), ``message`` (an error, or
    nothing), ``graph`` (the drawing as SVG), ``path_table`` and ``trace_table`` (HTML).
    ``widget`` is the whole; ``close()`` closes it and its figure.
    """

    def __init__(self, f, signature, point, ranges, style):
        self.f, self._signature, self.style = f, signature, style
        self.names = list(point)
        self.sliders = {name: _slider(name, value, ranges.pop(name, None))
                        for name, value in point.items()}
        if ranges:
            raise UnknownInputError(f"ranges names {', '.join(map(repr, ranges))}, which "
                                    f"f does not take; its inputs are {', '.join(self.names)}")
        choices = [(name, (name,)) for name in self.names]
        self.paths = widgets.ToggleButtons(
            options=choices + [(ALL, tuple(self.names)), (NONE, ())], value=choices[0][1],
            description="paths from", style={"button_width": "auto"})
        self.paths.add_class("adlearn-path-chooser")
        self.seed = widgets.ToggleButtons(options=self.names, description="seed on",
                                          style={"button_width": "auto"})
        self.reverse = Stepper("At step k the k-th node from the output passes its "
                               "adjoint back to its inputs.", "adlearn-reverse")
        self.forward = Stepper("At step k the k-th node computes its tangent from its "
                               "inputs'.", "adlearn-forward")
        self.path_table = widgets.HTML()
        self.tabs = widgets.Tab(
            [widgets.VBox([self.paths, self.path_table]), self.reverse.box,
             widgets.VBox([self.seed, self.forward.box])],
            titles=("Chain-rule paths", "Reverse sweep", "Forward sweep"))
        self.result = widgets.HTML()
        self.result.add_class("adlearn-result")
        self.message = widgets.HTML()
        self.message.add_class("adlearn-message")
        self.graph = widgets.HTML()
        self.graph.add_class("adlearn-graph")
        self.trace_table = widgets.HTML()
        title = f.text if isinstance(f, Expression) else getattr(f, "__name__", "f")
        self.widget = widgets.VBox([
            widgets.HTML(f"<b>Explore {html.escape(title)}</b>: move the inputs, choose "
                         "the paths to highlight, step through the sweeps."),
            widgets.HBox(list(self.sliders.values()), layout=widgets.Layout(flex_flow="row wrap")),
            self.result, self.message,
            widgets.HBox([self.graph, self.tabs], layout=widgets.Layout(flex_flow="row wrap")),
            self.trace_table])
        self.widget.add_class("adlearn-explorer")
        self._error, self._updating = None, False
        self._update(raise_errors=True)
        for slider in self.sliders.values():
            slider.observe(self._on_input, "value")
        self.paths.observe(self._on_view, "value")
        self.tabs.observe(self._on_view, "selected_index")
        for stepper in (self.reverse, self.forward):
            stepper.slider.observe(self._on_view, "value")
        self.seed.observe(self._on_input, "value")

    @property
    def point(self):
        """The inputs' values, as the sliders set them."""
        return {name: slider.value for name, slider in self.sliders.items()}

    def _on_input(self, change):
        if not self._updating:
            self._guarded(self._update)

    def _on_view(self, change):
        chosen = self.paths.value
        if change["owner"] is self.paths and len(chosen) == 1 and self.seed.value != chosen[0]:
            self.seed.value = chosen[0]  # the forward sweep follows; _on_input redraws
        elif not self._updating and self._error is None:
            self._guarded(self._show)

    def _guarded(self, action):
        """Run action; the changes it makes to the controls trigger nothing more."""
        self._updating = True
        try:
            action()
        finally:
            self._updating = False

    def _run(self):
        """The function's graph at the sliders' point: (input Vars, output), after backward."""
        point = self.point
        inputs = [Var(value, name=name) for name, value in point.items()]
        call = self._signature.bind_partial()
        call.arguments.update(zip(point, inputs))
        output = self.f(*call.args, **call.kwargs)
        if not isinstance(output, Var):  # f does not depend on its inputs: a constant
            output = _constant(as_real(output, "the value returned by f"))
        output.backward()
        return inputs, output

    def _update(self, raise_errors=False):
        """Recompute everything from the sliders, or show the error and keep the rest."""
        try:
            self.inputs, self.output = self._run()
            table = trace(self.f, seed=self.seed.value, style=self.style, **self.point)
        except Exception as exc:  # a callback has no one to raise to: show it instead
            if raise_errors:
                raise
            self._show_error(exc)
            return
        self._error = None
        self.message.value = ""
        self.ids = node_ids(self.output, self.inputs, self.style)
        self.trace_table.value = table._repr_html_()
        self.reverse.steps = reverse_sweep(self.output, self.inputs, self.style)
        seed = self.inputs[self.names.index(self.seed.value)]
        self.forward.steps = forward_sweep(self.output, seed, self.inputs, self.style)
        self.result.value = self._result_html()
        self._show()

    def _show_error(self, exc):
        """The error in words, above the last good picture, which is dimmed."""
        self._error = exc
        self.message.value = (
            "<div style='color:#a00; border:1px solid #a00; padding:4px 8px; "
            f"white-space:pre-wrap'><b>{type(exc).__name__}</b>: {html.escape(str(exc))}"
            "<br><i>Move the slider back to see the graph again.</i></div>")
        for shown in (self.graph, self.path_table, self.trace_table, self.result):
            if "adlearn-stale" not in shown.value:
                shown.value = f"<div class='adlearn-stale' style='opacity:0.3'>{shown.value}</div>"

    def _result_html(self):
        y = "y" if self.style == "textbook" else "f"
        at = ", ".join(f"{name} = {number_text(v)}" for name, v in self.point.items())
        grads = ", ".join(
            f"∂{y}/∂{x.name} = <span class='adlearn-gradient' data-input='{x.name}'>"
            f"{result_text(x.grad)}</span>" for x in self.inputs)
        return (f"<div style='font-size:110%'>{y} = f({at}) = <span class='adlearn-value'>"
                f"{result_text(self.output.value)}</span> &nbsp; gradient: {grads}</div>")

    def _show(self):
        """Show the current view: the chosen paths, or a step of a sweep, in the tables,
        the captions and the drawing."""
        self.path_table.value = self._paths_html()
        for stepper in (self.reverse, self.forward):
            stepper.show(stepper.steps)
        self._draw()

    def _chosen_paths(self):
        """{input name: ChainRulePaths} for the inputs the chooser picks (a PathLimitError
        in place of the paths when there are too many to list)."""
        chosen = {}
        for name in self.paths.value:
            try:
                chosen[name] = chain_rule_paths(self.output, name, inputs=self.inputs,
                                                style=self.style)
            except PathLimitError as exc:
                chosen[name] = exc
        return chosen

    def _paths_html(self):
        if not self.paths.value:
            return "<p>Choose an input to see its chain-rule paths.</p>"
        parts = []
        for name, paths in self._chosen_paths().items():
            if isinstance(paths, PathLimitError):
                parts.append(f"<p>{html.escape(str(paths))}</p>")
                continue
            rows = "".join(
                f"<tr><td>path {k}</td><td style='text-align:left'>"
                f"{html.escape(' → '.join(path.nodes))}</td>"
                f"<td style='text-align:left'>{html.escape(path.formula())}</td></tr>"
                for k, path in enumerate(paths, 1))
            parts.append(
                f"<table class='adlearn-paths'><caption style='text-align:left'>"
                f"Paths from {name} ({paths.wrt}) to the output</caption>{rows}"
                f"<tr><td colspan='3' style='text-align:left'><b>sum over the paths: "
                f"{html.escape(paths.sum_formula())}</b></td></tr></table>")
        return "".join(parts)

    def _draw(self):
        pass

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def close(self):
        """Close every widget of the explorer, and its figure."""
        stack = [self.widget]
        while stack:
            widget = stack.pop()
            stack.extend(getattr(widget, "children", ()))
            widget.close()


def _slider(name, value, given):
    """A slider for one input: around its starting value (see ``slider_range``), or over
    ``given`` = (min, max) or (min, max, step)."""
    low, high, step = slider_range(value) if given is None else _checked_range(name, value, given)
    digits = max(0, -math.floor(math.log10(step)))
    return widgets.FloatSlider(value, min=low, max=high, step=step, description=name,
                               readout_format=f".{digits}f", continuous_update=True)


def _checked_range(name, value, given):
    try:
        low, high, *rest = map(float, given)
    except (TypeError, ValueError):
        raise ArgumentError(f"the range of {name} must be (min, max) or (min, max, step), "
                            f"not {given!r}") from None
    step = rest[0] if rest else (high - low) / 200
    if rest[1:] or not low <= value <= high or step <= 0 or low == high:
        raise ArgumentError(f"the range of {name} must be (min, max) or (min, max, step) "
                            f"with min ≤ {number_text(value)} (its value) ≤ max and a "
                            f"positive step, not {given!r}")
    return low, high, step


def explore(f, /, *args, ranges=None, style="textbook", **values):
    """The explorer of f at a point: ``ad.explore(f, x1=2.0, x2=3.0)``.

    f is a Python function or an expression text (parsed safely, never eval'ed); the
    values name its inputs (or come by position). Each input gets a slider around its
    value; ``ranges={"x1": (0.1, 4)}`` (or ``(min, max, step)``) sets one's range.
    ``style`` names the nodes as the trace does: ``"textbook"`` (v-1, v0, v1, ...) or
    ``"intro"`` (x1, x2, x3, ...). Returns an ``Explorer``, which Jupyter shows.
    """
    _check_style(style)
    if isinstance(f, str):
        f = parse(f)
    signature, point = _point(f, args, values)
    if not point:
        raise ArgumentError("explore needs f to take at least one input, to put on a slider")
    return Explorer(f, signature, {name: as_real(v, name) for name, v in point.items()},
                    dict(ranges or {}), style)
