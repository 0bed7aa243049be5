"""Numbers, counts and shapes in words, written once for the whole package.

The engines' error messages, the trace table, the drawings, the words and the grader's
report all write a number, a count or an array's shape; each is written here, so the
same thing reads the same everywhere. Standard library only (arrays are read through
their own ``ndim``, ``size``, ``shape`` and ``tolist``).
"""

import numbers

SHOWN_ENTRIES = 6  # an array with more entries is shown by its shape: it is never formatted


def number_text(v):
    """A number as a learner writes it in a formula: 2 rather than 2.0, (-1.5) in parentheses."""
    text = str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else f"{v:.6g}"
    return f"({text})" if v < 0 else text


def result_text(v):
    """A number standing alone after "=": as in a formula, without brackets."""
    return number_text(v) if v >= 0 else f"-{number_text(-v)}"


def long_number(number):
    """A number's text, its middle cut if it is long (10**400 has 401 digits)."""
    text = str(number)
    return text if len(text) <= 30 else f"{text[:12]}…{text[-6:]} ({len(text)} digits)"


def textbook_number(x, digits, notation="text"):
    """x rounded as the textbook prints it: 0.693, 10, -0.959 (tiny or huge: 3 significant);
    an array of a Tensor graph as ``array_text`` writes it, each entry so rounded."""
    if not isinstance(x, numbers.Real):
        return array_text(x, lambda v: textbook_number(v, digits), notation)
    if x != 0 and not 10 ** -digits / 2 <= abs(x) < 1e9:
        return f"{x:.{digits}g}"
    text = f"{x:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def rounded(x, digits=None, factor=False):
    """A number as the views print it: with up to 6 significant digits (``number_text``),
    or rounded to ``digits`` decimals as the trace rounds it (``textbook_number``). A
    ``factor`` of a product that is negative comes in parentheses: 2 × (-0.5)."""
    if digits is None:
        return number_text(x) if factor else result_text(x)
    text = textbook_number(x, digits)
    return f"({text})" if factor and text.startswith("-") else text


def counted(n, thing, there=False):
    """n things, in words: "1 chain-rule path", "2,048 chain-rule paths"; with ``there``,
    "there is 1 chain-rule path", "there are 2,048 chain-rule paths"."""
    words = f"{n:,} {thing}{'' if n == 1 else 's'}"
    return f"there {'is' if n == 1 else 'are'} {words}" if there else words


def shape_label(shape):
    """A shape as the drawing and the Jacobians write it: ``(3×4)``, ``(3)``, ``()`` for one
    number."""
    return f"({'×'.join(map(str, shape))})"


def shape_text(shape, notation="text"):
    """An array's shape in place of its entries: (3×4) array, (1000) array."""
    if notation == "latex":
        return "(" + r" \times ".join(map(str, shape)) + r")\ \mbox{array}"
    return f"{shape_label(shape)} array"


def shape_words(shape):
    """A shape as a learner says it: a vector of length 3, a 2×3 matrix, a 4×2×3 array."""
    if len(shape) == 0:
        return "a 0-d array (one number)"
    if len(shape) == 1:
        return f"a vector of length {shape[0]}"
    return f"a {'×'.join(map(str, shape))} {'matrix' if len(shape) == 2 else 'array'}"


def array_text(value, number, notation="text"):
    """An array of a Tensor graph as the trace shows it: its entries, each written by
    ``number``, if it has at most ``SHOWN_ENTRIES`` (``[[1, 2], [3, 4.5]]``), else its
    shape alone (``(3×4) array``, in LaTeX ``(3 \\times 4)``); a 0-d array is its number."""
    if value.ndim == 0:
        return number(value.item())
    if value.size > SHOWN_ENTRIES or value.size == 0:
        return shape_text(value.shape, notation)
    return _nested(value.tolist(), number)


def _nested(entries, number):
    """Nested lists of numbers in brackets (the depth is the array's number of axes)."""
    if isinstance(entries, list):
        return "[" + ", ".join(_nested(e, number) for e in entries) + "]"
    return number(entries)


def values_text(value, digits=None):
    """A Tensor's value as the views show it: ``[0.5, -1]``, ``[[1, 2], [3, 4]]`` (as
    ``array_text`` writes it), each entry as ``rounded`` rounds it; None for more than
    SHOWN_ENTRIES entries, which are shown by their shape only (never formatted)."""
    if value.size > SHOWN_ENTRIES:
        return None
    return array_text(value, lambda v: rounded(v, digits))
