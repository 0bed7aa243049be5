"""How an exercise declares its questions, and how an answer is judged against one.

A ``Question`` is one graded item of an exercise notebook. Its ``kind`` says what the
learner gives:

- ``"value"``: a number (or a tuple, list, dict of them) bound to a name in the notebook
  (the question's ``answer``, such as ``h_best``);
- ``"function"``: a function of that name, which the checker calls on fixed test cases
  and on random ones (so a hard-coded answer fails), comparing each result with the
  reference function's;
- ``"text"``: a written explanation in a markdown cell, graded by hand (never checked).

Every autograded question has a table of known wrong answers (``Wrong``), each with its
own hint. When an answer fails, the checker looks it up in that table: an answer that
behaves like a known wrong one gets that one's hint, any other gets the question's
generic ``hint``. The expected answer itself is never shown.
"""

import copy
import inspect
import math
import numbers
import random
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import GradingError

KINDS = ("value", "function", "text")


@dataclass(frozen=True)
class Wrong:
    """A known wrong answer and the hint it earns.

    ``answer`` is an example of the mistake (a value, or a function for a function
    question); the tests prove each example fails with this hint. For a value question,
    ``when`` may widen the match to every value it accepts (``lambda h: h < 1e-8``).
    """

    answer: Any
    hint: str
    when: Callable | None = None


@dataclass(frozen=True)
class Test:
    """The outcome of one test of an answer: what was tried and whether it passed."""

    label: str
    passed: bool
    problem: str = ""  # why it failed, in the learner's words, never the expected answer


@dataclass(frozen=True)
class Verdict:
    """Every test of one answer, and the hint to show if any failed."""

    tests: tuple
    hint: str = ""

    @property
    def passed(self):
        return all(t.passed for t in self.tests)


def close(got, expected, tolerance=1e-9):
    """Whether got equals expected: numbers within a relative tolerance, containers
    entry by entry, anything else by ``==``."""
    if isinstance(expected, numbers.Real) and not isinstance(expected, bool):
        if not isinstance(got, numbers.Real) or isinstance(got, bool):
            return False
        got, expected = float(got), float(expected)
        if math.isnan(got) or math.isnan(expected):
            return False
        return abs(got - expected) <= tolerance * max(1.0, abs(expected))
    if isinstance(expected, (tuple, list)):
        return (isinstance(got, (tuple, list)) and len(got) == len(expected)
                and all(close(g, e, tolerance) for g, e in zip(got, expected)))
    if isinstance(expected, dict):
        return (isinstance(got, dict) and got.keys() == expected.keys()
                and all(close(got[k], expected[k], tolerance) for k in expected))
    try:
        return bool(got == expected)
    except Exception:
        return False


@dataclass(frozen=True)
class Question:
    """One graded question of an exercise (see the module docstring for the kinds).

    ``id`` is the question's name within its exercise and the ``grade_id`` of its
    grading cell (letters, digits, ``_``, ``-``). ``answer`` is the name the learner's
    value or function is bound to in the notebook. ``reference`` is the right value or
    a reference function. A function question is tried on every argument tuple in
    ``cases`` and on ``random_tests`` tuples drawn by ``random_case(rng)``; ``run(f,
    args)`` says how to call it and what to compare (default: ``f(*args)``), and
    ``show(args)`` how to describe a test (default: the arguments). ``compare(got,
    expected)`` decides equality (default: ``close`` with ``tolerance``).
    """

    id: str
    points: float
    kind: str
    answer: str = ""
    reference: Any = None
    wrong: tuple = ()
    hint: str = "Not yet right: read the question again and check each step."
    cases: tuple = ()
    random_case: Callable | None = None
    random_tests: int = 5
    run: Callable | None = None
    show: Callable | None = None
    compare: Callable | None = None
    tolerance: float = 1e-9
    prompt: str = field(default="", compare=False)  # a short description, for listings

    def __post_init__(self):
        where = f"question {self.id!r}"
        if self.kind not in KINDS:
            raise GradingError(f"{where}: kind must be one of {KINDS}, not {self.kind!r}")
        if not self.points > 0:
            raise GradingError(f"{where}: points must be positive, not {self.points!r}")
        if self.kind == "text":
            return
        if not self.answer.isidentifier():
            raise GradingError(f"{where}: answer must be the Python name the learner "
                               f"binds, not {self.answer!r}")
        if len(self.wrong) < 2:
            raise GradingError(f"{where}: give at least two known wrong answers, each "
                               "with its own hint")
        if self.kind == "function" and not (self.cases and self.random_case):
            raise GradingError(f"{where}: a function question needs fixed cases and a "
                               "random_case, so a hard-coded answer fails")

    @property
    def autograded(self):
        return self.kind != "text"

    def same(self, got, expected):
        if self.compare is not None:
            return bool(self.compare(got, expected))
        return close(got, expected, self.tolerance)

    def judge(self, answer):
        """The verdict on a learner's answer: every test, and a hint if one failed."""
        if self.kind == "text":
            raise GradingError(f"question {self.id!r} is answered in words and graded by "
                               "hand; there is nothing to check")
        with warnings.catch_warnings():  # a warning would go to stderr, which nbgrader fails
            warnings.simplefilter("ignore")
            if self.kind == "value":
                return self._judge_value(answer)
            return self._judge_function(answer)

    def _judge_value(self, answer):
        if callable(answer):
            return Verdict((Test(self.answer, False, "this is a function"),),
                           f"`{self.answer}` should be a value, not a function: compute "
                           "it and bind the result.")
        if self.same(answer, self.reference):
            return Verdict((Test(self.answer, True),))
        if isinstance(answer, str) and not isinstance(self.reference, str):
            return Verdict((Test(self.answer, False, "this is text"),),
                           f"`{self.answer}` is text ({answer!r}): write the value itself, "
                           "without quotes.")
        for wrong in self.wrong:
            if _matches(wrong, answer, self.same):
                return Verdict((Test(self.answer, False),), wrong.hint)
        return Verdict((Test(self.answer, False),), self.hint)

    def _judge_function(self, answer):
        if not callable(answer):
            return Verdict((Test(f"{self.answer}", False, "this is not a function"),),
                           f"`{self.answer}` should be a function (def {self.answer}(...): "
                           "...), not a value.")
        cases = self._test_cases()
        tests, outputs = [], []
        for label, args in cases:
            try:
                got = self._call(answer, args)
            except Exception as exc:  # the learner's code failed: say how, at which test
                name = type(exc).__name__
                if isinstance(exc, NotImplementedError):
                    hint = (f"`{self.answer}` is not written yet: replace "
                            "`raise NotImplementedError()` with your code.")
                else:
                    hint = f"Your function raised {name} ({exc}) on the test {label}."
                return Verdict((*tests, Test(label, False, f"raised {name}")), hint)
            ok = self.same(got, self._call(self.reference, args))
            tests.append(Test(label, ok))
            outputs.append(got)
        if all(t.passed for t in tests):
            return Verdict(tuple(tests))
        return Verdict(tuple(tests), self._hint_for(outputs, cases))

    def _test_cases(self):
        """(label, args) for the fixed cases, then random ones from a fresh generator."""
        rng = random.Random()
        random_cases = [self.random_case(rng) for _ in range(self.random_tests)]
        return [(self._label(args), args) for args in (*self.cases, *random_cases)]

    def _call(self, f, args):
        args = copy.deepcopy(args)  # each call gets its own copy: answers may mutate them
        return self.run(f, args) if self.run else f(*args)

    def _label(self, args):
        if self.show:
            return self.show(args)
        try:
            names = list(inspect.signature(self.reference).parameters)
        except (TypeError, ValueError):
            names = []
        shown = [_short(a) for a in args]
        if len(names) == len(shown) and not self.run:
            shown = [f"{n}={s}" for n, s in zip(names, shown)]
        return f"{self.answer}({', '.join(shown)})"

    def _hint_for(self, outputs, cases):
        """The hint of the known wrong answer the outputs match on every test, if any."""
        for wrong in self.wrong:
            try:
                if all(self.same(got, self._call(wrong.answer, args))
                       for got, (_, args) in zip(outputs, cases)):
                    return wrong.hint
            except Exception:
                continue
        return self.hint


def _matches(wrong, answer, same):
    """Whether a value answer is the known wrong one (or one its ``when`` accepts)."""
    try:
        return bool(wrong.when(answer)) if wrong.when else same(answer, wrong.answer)
    except Exception:  # the answer is not even the kind of value the test expects
        return False


def _short(x):
    """A test argument as a learner reads it: functions by name, numbers briefly."""
    if callable(x) and hasattr(x, "__name__"):
        return x.__name__
    if isinstance(x, float):
        return f"{x:.4g}"
    return repr(x)


@dataclass(frozen=True)
class Exercise:
    """An exercise: its name (the notebook's name), title and questions, in order."""

    name: str
    title: str
    questions: tuple

    def __post_init__(self):
        ids = [q.id for q in self.questions]
        if len(set(ids)) != len(ids):
            raise GradingError(f"exercise {self.name!r} has two questions with one id")

    @property
    def possible(self):
        """The points of the autograded questions (the rest are graded by hand)."""
        return sum(q.points for q in self.questions if q.autograded)

    def question(self, qid):
        for q in self.questions:
            if q.id == qid:
                return q
        raise GradingError(f"exercise {self.name!r} has no question {qid!r} "
                           f"(its questions: {', '.join(q.id for q in self.questions)})")
