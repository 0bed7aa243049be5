"""The explorer's controls: sliders for the inputs (their ranges and readouts), steppers
through a sweep, and the accessibility layer that names them for screen readers and
the keyboard (its JavaScript is ``explorer.js``).
"""

import html
import math
import pathlib

import anywidget
import ipywidgets as widgets
import traitlets

from ..errors import ArgumentError
from ..text import number_text, shape_text


def slider_range(value):
    """A slider's (min, max, step) around a starting value: value ± max(2|value|, 2),
    in steps of about a two-hundredth of that (see ``_nice_step``)."""
    half = max(2 * abs(value), 2.0)
    step = _nice_step(2 * half)
    digits = decimals(step)  # no 2.0000000000000004 on the ends
    return (round(math.floor((value - half) / step) * step, digits),
            round(math.ceil((value + half) / step) * step, digits), step)


def _nice_step(span):
    """The step for a slider over span: about span / 200, as 1, 2 or 5 times a power of ten."""
    power = 10 ** math.floor(math.log10(span / 200))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= span / 200)


def decimals(step):
    """The decimals a slider with this step needs: 0.05 -> 2."""
    return max(0, -math.floor(math.log10(step)))


class Stepper:
    """Play/pause, previous/next and a step slider over the steps of one sweep, with the
    caption of the current step. ``step`` is the current step number (0: the seed)."""

    def __init__(self, title, css_class):
        self.play = widgets.Play(interval=1500, min=0, max=0, step=1, description="play",
                                 show_repeat=False)
        fixed = dict(width="auto", flex="0 0 auto")  # buttons keep their labels whole
        self.previous = widgets.Button(description="◀ previous", tooltip="the step before",
                                       layout=widgets.Layout(**fixed))
        self.next = widgets.Button(description="next ▶", tooltip="the next step",
                                   layout=widgets.Layout(**fixed))
        self.slider = widgets.IntSlider(0, min=0, max=0, description="step",
                                        layout=widgets.Layout(width="240px"))
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


class AccessibilityLayer(anywidget.AnyWidget):
    """What ipywidgets leaves out, added in the browser, so a screen reader and the
    keyboard alone can drive the explorer: a slider's handle gets its label as its
    name (ipywidgets does not name it), the play buttons their names, a toggle button
    its pressed state, a chooser its name as a group, the result line and the sweeps'
    captions become live regions (read aloud when they change), the drawing and the trace
    table, when they scroll, take the focus (so the keyboard scrolls them), and the
    focused control gets a visible outline. ``names`` maps a box's CSS class to the words that tell its
    controls apart ("reverse sweep"). The layer itself shows nothing."""

    _esm = pathlib.Path(__file__).with_name("explorer.js")  # the layer, in JavaScript
    _css = """
    .adlearn-explorer :focus-visible { outline: 3px solid #0072B2 !important;
                                        outline-offset: 2px; }
    .adlearn-explorer .noUi-handle:focus { outline: 3px solid #0072B2 !important; }
    """
    root = traitlets.Unicode("adlearn-explorer").tag(sync=True)
    names = traitlets.Dict().tag(sync=True)


MAX_SLIDERS = 4  # a vector of up to this many entries gets a slider per entry


def slider_entries(name, value):
    """The sliders of one input, as (label, entry): a number gets one, ``(name, None)``; a
    vector of up to ``MAX_SLIDERS`` entries one per entry, ``("x[0]", (0,))``, ...; a 0-d
    array one, ``(name, ())``; a larger array none (it stays fixed), so the explorer's
    work does not grow with it."""
    if isinstance(value, float):
        return [(name, None)]
    if value.ndim == 0:
        return [(name, ())]
    if value.ndim == 1 and value.size <= MAX_SLIDERS:
        return [(f"{name}[{i}]", (i,)) for i in range(value.size)]
    return []


def first_entry(name, value):
    """The seed on an array's first entry: W[0, 0]."""
    return f"{name}[{', '.join('0' * value.ndim)}]"


def fixed_html(fixed):
    """The sentence that says which arrays have no sliders, and why."""
    if not fixed:
        return ""
    arrays = ", ".join(f"{html.escape(name)}, a {shape_text(value.shape)}"
                       for name, value in fixed.items())
    return (f"<p class='adlearn-fixed'>No sliders for {arrays}: only a number or a vector of "
            f"up to {MAX_SLIDERS} entries gets sliders (one per entry), so a larger array "
            "stays as it was given.</p>")


def new_slider(name, value, given):
    """A slider for one input: around its starting value (see ``slider_range``), or over
    ``given`` = (min, max) or (min, max, step)."""
    low, high, step = slider_range(value) if given is None else _checked_range(name, value, given)
    return widgets.FloatSlider(value, min=low, max=high, step=step, description=name,
                               readout_format=f".{decimals(step)}f", continuous_update=True)


def _checked_range(name, value, given):
    try:
        low, high, *rest = map(float, given)
    except (TypeError, ValueError):
        raise ArgumentError(f"the range of {name} must be (min, max) or (min, max, step), "
                            f"not {given!r}") from None
    if rest[1:] or not low <= value <= high or low == high or rest and rest[0] <= 0:
        raise ArgumentError(f"the range of {name} must be (min, max) or (min, max, step) "
                            f"with min ≤ {number_text(value)} (its value) ≤ max and a "
                            f"positive step, not {given!r}")
    return low, high, rest[0] if rest else _nice_step(high - low)
