"""Every error adlearn raises, in one place.

Each class subclasses the matching built-in exception, so an ordinary
``except ValueError`` (or ``ZeroDivisionError``, ``TypeError``, ...) still catches it,
and ``except AdlearnError`` catches them all.
"""


class AdlearnError(Exception):
    """Base class of every adlearn error."""


class DomainError(AdlearnError, ValueError):
    """An operation got an input outside its domain: ``log(-1)``, ``sqrt(-4)``, a NaN."""


class ZeroDivisionDomainError(AdlearnError, ZeroDivisionError):
    """Division by zero, or an operation whose value or derivative divides by zero: ``log(0)``."""


class OverflowDomainError(AdlearnError, OverflowError):
    """A value or a derivative is too large for a float: ``exp(1000)``."""


class NotANumberError(AdlearnError, TypeError):
    """A value that is not a real number: a string, ``None``, a complex number."""


class TruthValueError(AdlearnError, TypeError):
    """A Var or Dual tested as true or false (``if x:``): almost always a bug, so refused."""


class LeavesADError(AdlearnError, TypeError):
    """A Var, Dual or Tensor where Python wants a plain number (``math.sin(x)``,
    ``float(x)``, ``int(x)``, ``round(x)``), or with an operator adlearn has no rule for
    (``x % 2``, ``x // 2``, ``pow(x, 2, 3)``): each would drop the derivative, so each is
    refused with a sentence saying what to write instead."""


class CallError(AdlearnError, TypeError):
    """A transform called in a way it does not take: ``ad.grad(f)(x=1.0)`` (the arguments
    to differentiate come by position), ``ad.jvp(f, (p for p in ps), ...)`` (primals and
    tangents are tuples)."""


class ParseError(AdlearnError, ValueError):
    """Expression text the safe parser does not accept; it shows where with carets.

    ``text`` is the expression, ``start`` and ``end`` the columns of the offending part.
    """

    def __init__(self, message, text, start=0, end=None):
        self.message, self.text, self.start = message, text, start
        self.end = max(start + 1, end if end is not None else len(text))
        super().__init__(f"{message}\n{_pointed(text, start, self.end)}")


def _pointed(text, start, end, width=70):
    """The text on one line with carets under text[start:end]; a long text shows the part
    around start, between … marks."""
    lo = max(0, start - 20) if len(text) > width else 0
    hi = min(len(text), lo + width)
    shown = ("…" if lo else "") + text[lo:hi].replace("\n", " ") + ("…" if hi < len(text) else "")
    offset = start - lo + (1 if lo else 0)
    return f"  {shown}\n  {' ' * offset}{'^' * max(1, min(end, hi) - start)}"


class DepthError(AdlearnError, RecursionError):
    """An expression nested too deeply for a library that recurses over it (SymPy)."""


class PathLimitError(AdlearnError, ValueError):
    """A graph has more chain-rule paths than the caller allowed to list."""


class UnknownInputError(AdlearnError, ValueError):
    """A name or Var that is not an input of the graph it is asked about (``wrt="x9"``)."""


class GradingError(AdlearnError, ValueError):
    """An exercise, question or notebook the grader cannot use: an unknown question id,
    a notebook whose nbgrader metadata breaks the rules, a missing exercise."""


class WrongAnswer(AdlearnError, AssertionError):
    """A learner's answer did not pass its check; the message is the hint.

    In Jupyter it shows as the short message alone (IPython calls ``_render_traceback_``),
    and it makes the grading cell fail, so nbgrader and ``adlearn grade`` score it 0.
    """

    def _render_traceback_(self):
        return [f"{type(self).__name__}: {self}"]


class ShapeError(AdlearnError, ValueError):
    """Arrays whose shapes do not fit the operation: a 2×3 matrix times a 2×3 matrix,
    shapes that do not broadcast, a seed of the wrong shape; a chain of Jacobians whose
    sizes do not match, or are not positive whole numbers."""


class EntryError(AdlearnError, IndexError):
    """An index that picks no entry of an array: ``x[5]`` of a vector of length 3."""


class ArgumentError(AdlearnError, ValueError):
    """Values that do not fit the call: an input with no value, an unknown style."""


class WriteItYourself(AdlearnError, RuntimeError):
    """The learner's code called a library function the question asks them to write
    themselves (raised in the grader's sandbox while that question is probed)."""
