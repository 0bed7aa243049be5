"""The array engine's checks, and the words of its errors: which entry of which array
went wrong, shapes that do not broadcast, axes that are not there. Each message names
the array (its name, its number, or its shape in words) and the entry. ``as_array``
checks an array given to the engine, ``overflow_checked`` a reverse sweep.
"""

import numbers

import numpy as np

from ..errors import AdlearnError, DomainError, NotANumberError, OverflowDomainError, ShapeError
from ..text import number_text, shape_words
from .rules import RULES, Operand, evaluate


def label(node, brackets=False):
    """A node in a message: its name, its number (a one-entry constant) or its shape."""
    if node.name is not None:
        return node.name
    if node.is_constant and node.size == 1:
        return number_text(node.value.item())
    return f"({shape_words(node.shape)})" if brackets else shape_words(node.shape)


def check_broadcast(rule, inputs):
    """Raise a ShapeError naming the shapes if the inputs' shapes do not broadcast."""
    try:
        np.broadcast_shapes(*(x.shape for x in inputs))
    except ValueError:
        shown = rule.text.format(*(f"({shape_words(x.shape)})" for x in inputs))
        shapes = " and ".join(str(x.shape) for x in inputs)
        raise ShapeError(f"cannot compute {shown}: the shapes {shapes} do not broadcast (lined "
                         "up from the right, each pair of sizes must be equal or one of them "
                         "1)") from None


def entry_error(op, inputs):
    """The scalar engine's error at the first entry where op's value or a local partial
    is not a finite number (the log of a negative entry, an overflow), with the entry."""
    values = [x.value for x in inputs]
    with np.errstate(all="ignore"):
        out = RULES[op].value(*values)
        results = [out, *RULES[op].partials(out, *values)]
    shape = np.shape(out)
    entry = first_entry(np.logical_or.reduce([~np.isfinite(np.broadcast_to(r, shape))
                                               for r in results]))
    numbers_there = [float(np.broadcast_to(v, shape)[entry]) for v in values]
    where = RULES[op].text.format(*(label(x, brackets=True) for x in inputs))
    named = ", ".join(f"{x.name}: {shape_words(x.shape)}" for x in inputs if x.name)
    at = f"\n  at: entry {entry_text(entry)} of {where}" + (f" ({named})" if named else "")
    try:
        evaluate(op, numbers_there)  # the error the scalar engine raises for this entry
    except AdlearnError as exc:
        return type(exc)(f"{exc}{at}")
    return DomainError(f"{where} is not a finite number{at}")  # NumPy and math disagreed


def first_entry(mask):
    return tuple(int(i) for i in np.argwhere(mask)[0])


def entry_text(entry):
    return f"[{', '.join(map(str, entry))}]"


def axis_number(a, ndim):
    """Axis a of an array of ndim axes, counted from 0 (a negative a counts from the end)."""
    if not isinstance(a, numbers.Integral) or not -ndim <= a < ndim:
        raise ShapeError(f"axis {a!r} is not an axis of an array with {ndim} axes "
                         f"(0 to {ndim - 1}, or -1 for the last)")
    return int(a) % ndim


def reduced_axes(axis, shape):
    """The axes to reduce over, as a sorted tuple, or None for all of them."""
    if axis is None:
        return None
    axes = axis if isinstance(axis, tuple) else (axis,)
    return tuple(sorted({axis_number(a, len(shape)) for a in axes}))


def as_array(value, what="a Tensor"):
    """value as a new float64 array of finite numbers, or an adlearn error saying what
    was wrong with it (``what`` names it in the message)."""
    if isinstance(value, Operand):
        holds_array = isinstance(getattr(value, "value", None), np.ndarray)  # a Tensor
        hint = ": use its .value" if holds_array else ": use one mode at a time"
        raise NotANumberError(f"{what} holds an array of numbers, not a "
                              f"{type(value).__name__}{hint}")
    try:
        array = np.array(value)
    except ValueError as exc:  # nested lists of different lengths
        raise ShapeError(f"{what} needs rows of equal length: {exc}") from None
    if array.dtype.kind not in "biuf":
        first = array.flat[0] if array.size else None
        raise NotANumberError(f"{what} must hold real numbers, but got an array of "
                              f"{array.dtype} (the first entry is {first!r}, a "
                              f"{type(first).__name__})")
    array = array.astype(np.float64, copy=False)
    if not np.isfinite(array).all():
        entry = first_entry(~np.isfinite(array))
        raise DomainError(f"{what} must hold finite numbers, but entry {entry_text(entry)} "
                          f"is {array[entry]}")
    return array


class overflow_checked:
    """Around a reverse sweep (``with overflow_checked(output):``): an adjoint that
    overflows raises an adlearn error (the values and partials are finite, so only a
    product along the way can overflow)."""

    def __init__(self, output):
        self.output, self.floating_point = output, np.errstate(over="raise", invalid="raise")

    def __enter__(self):
        self.floating_point.__enter__()

    def __exit__(self, kind, error, traceback):
        self.floating_point.__exit__(kind, error, traceback)
        if kind is FloatingPointError:
            raise OverflowDomainError(
                f"an adjoint in the sweep back from {label(self.output)} is too large for a "
                "float (the largest float is about 1.8e308): a product of partials "
                "overflowed") from None
