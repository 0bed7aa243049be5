"""How an exercise declares its questions: ``Question``, its known wrong answers
(``Wrong``) and the ``Exercise`` that holds them.

A ``Question`` is one graded item of an exercise notebook. Its ``kind`` says what the
learner gives:

- ``"value"``: a number (or a tuple, list, dict of them) bound to a name in the notebook
  (the question's ``answer``, such as ``h_best``);
- ``"function"``: a function of that name, which is called on the public ``cases``,
  the ``hidden`` ones and fresh random ones (so a hard-coded answer fails);
- ``"text"``: a written explanation in a markdown cell, graded by hand (never checked).

The question tables, with their references, live with the instructor's sources
(``exercises/source/<name>/questions.py``), never in the installed package. Judging
works on data (``probe.py``, ``judge.py``): the learner's outputs are compared with the
reference's on the same cases, and a failed answer that behaves like a known wrong one
(``Wrong``) gets that one's hint, any other the question's generic ``hint``. The
expected answer itself is never shown; the learner's own output on a failed case is.
An exercise may give each learner numbers of their own (``Variants``, variants.py).
"""

import inspect
import random
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import GradingError
from . import probe
from .judge import COMPARISONS, close, judge_outcomes, within
from .rules import Rule
from .variants import Variants, variant_of

KINDS = ("value", "function", "text")


@dataclass(frozen=True)
class Wrong:
    """A known wrong answer and the hint it earns.

    ``answer`` is an example of the mistake (a value, or a function for a function
    question); the tests prove each example fails with this hint. For a value question,
    ``between=(low, high)`` widens the match to every number in that closed range.
    """

    answer: Any
    hint: str
    between: tuple | None = None


@dataclass(frozen=True)
class Question:
    """One graded question of an exercise (see the module docstring for the kinds).

    ``id`` is the question's name within its exercise and the ``grade_id`` of its
    grading cell (letters, digits, ``_``, ``-``). ``answer`` is the name the learner's
    value or function is bound to in the notebook. ``reference`` is the right value or
    a reference function. A function question is tried on every argument tuple in
    ``cases`` (public: the learner's check uses them), ``hidden`` and ``random_tests``
    tuples drawn by ``random_case(rng)``. ``probe`` says how the answer is used (see
    probe.KINDS; default: the value itself, or a call), ``variables`` names the
    coordinates of the points of a ``values_at`` probe, ``show(args)`` describes a test
    (default: the arguments). ``compare`` names how outputs are compared (see
    COMPARISONS, with ``tolerance``) or is a predicate ``compare(got)`` for a value
    question with many right answers. ``instant="form"`` says that the learner's
    instant check of a value question judges only the answer's form and the known
    mistakes, for an answer its check data could not hide (a count, a small integer, a
    wide tolerance, a predicate; see sealed.py): the grader alone judges it, and the
    exercise must say so. ``tutorial`` names the tutorial section
    that teaches what the question asks, as ``"05_forward_mode.ipynb#Dual numbers"``
    (the notebook, then its section heading without the number), so that the class
    report can send an instructor from a common mistake to the section to revisit.
    ``rule`` states, in one line, what the learner's code may not use (``"not
    ad.topological_order"``) or may only use (``"only math, numpy"``); see rules.py.
    """

    id: str
    points: float
    kind: str
    answer: str = ""
    reference: Any = None
    wrong: tuple = ()
    hint: str = "Not yet right: read the question again and check each step."
    cases: tuple = ()
    hidden: tuple = ()
    random_case: Callable | None = None
    random_tests: int = 5
    probe: str = ""
    variables: tuple = ("x",)
    show: Callable | None = None
    compare: Any = "close"
    tolerance: float = 1e-9
    instant: str = ""
    prompt: str = field(default="", compare=False)  # a short description, for listings
    tutorial: str = field(default="", compare=False)
    rule: str = ""

    def __post_init__(self):
        where = f"question {self.id!r}"
        if self.rule:
            Rule.parse(self.rule, where)
        if self.kind not in KINDS:
            raise GradingError(f"{where}: kind must be one of {KINDS}, not {self.kind!r}")
        if not self.points > 0:
            raise GradingError(f"{where}: points must be positive, not {self.points!r}")
        if self.tutorial and not re.fullmatch(r"[^#/\\]+\.ipynb#\S.*", self.tutorial):
            raise GradingError(f"{where}: tutorial must name a notebook and a section "
                               f"heading, as '05_forward_mode.ipynb#Dual numbers', not "
                               f"{self.tutorial!r}")
        if self.kind == "text":
            return
        if self.instant not in ("", "form") or (self.instant and self.kind != "value"):
            raise GradingError(f"{where}: instant may only be \"form\", for a value question")
        if callable(self.compare) and self.kind == "value" and self.instant != "form":
            raise GradingError(f"{where}: a value judged by a predicate cannot be sealed "
                               "in the check data: give it instant=\"form\"")
        if not self.answer.isidentifier():
            raise GradingError(f"{where}: answer must be the Python name the learner "
                               f"binds, not {self.answer!r}")
        if len(self.wrong) < 2:
            raise GradingError(f"{where}: give at least two known wrong answers, each "
                               "with its own hint")
        if self.kind == "function" and not (self.cases and self.random_case):
            raise GradingError(f"{where}: a function question needs fixed cases and a "
                               "random_case, so a hard-coded answer fails")
        if self.probe_kind not in probe.KINDS:
            raise GradingError(f"{where}: probe must be one of {probe.KINDS}")
        if not callable(self.compare) and self.compare not in COMPARISONS:
            raise GradingError(f"{where}: compare must be one of {sorted(COMPARISONS)} "
                               "or a predicate")

    @property
    def ruled(self):
        """The question's Rule (rules.py), or None if it states none."""
        return Rule.parse(self.rule, f"question {self.id!r}") if self.rule else None

    @property
    def autograded(self):
        return self.kind != "text"

    @property
    def probe_kind(self):
        return self.probe or ("value" if self.kind == "value" else "call")

    def same(self, got, expected, case):
        """Whether an output (data) is right, given the reference's output on the case."""
        if callable(self.compare):
            return bool(self.compare(got))
        prepare = COMPARISONS[self.compare]
        return close(prepare(got, case), prepare(expected, case), self.tolerance)

    # --- the cases -----------------------------------------------------------------

    def wired(self, args):
        return probe.wire(args, self.probe_kind, self.variables)

    def public_cases(self):
        """(label, wire case) of the public cases (for a value question: its one probe)."""
        if self.kind == "value":
            return [(self.answer, self.wired(self.cases[0] if self.cases else ()))]
        return [(self.label(args), self.wired(args)) for args in self.cases]

    def grading_cases(self, rng=None):
        """The public cases, the hidden ones and fresh random ones, as (label, wire)."""
        if self.kind == "value":
            return self.public_cases()
        rng = rng or random.Random()
        drawn = [self.random_case(rng) for _ in range(self.random_tests)]
        return self.public_cases() + [(self.label(args), self.wired(args))
                                      for args in (*self.hidden, *drawn)]

    def label(self, args):
        if self.show:
            return self.show(args)
        try:
            names = list(inspect.signature(self.reference).parameters)
        except (TypeError, ValueError):
            names = []
        shown = [_short_argument(a) for a in args]
        if len(names) == len(shown):
            shown = [f"{n}={s}" for n, s in zip(names, shown)]
        return f"{self.answer}({', '.join(shown)})"

    # --- judging ----------------------------------------------------------------------

    def expected(self, cases):
        """The reference's outcomes on cases (label, wire), computed here, never in a kernel."""
        if self.kind == "value":
            return [{"value": probe.output(self.probe_kind, self.reference, case)}
                    for _, case in cases]
        return probe.outcomes(self.probe_kind, self.reference, [case for _, case in cases])

    def judge_result(self, result, cases):
        """The verdict on a probe's result (data from the kernel) on cases (label, wire)."""
        expected = self.expected(cases)
        wrongs = [((self._wrong_outcomes(w, cases), w), w.hint) for w in self.wrong]

        def right(got, i):
            return "value" in expected[i] and self.same(got, expected[i]["value"], cases[i][1])

        def like(got, i, wrong):
            (outcomes, w), _ = wrong
            if w.between is not None:
                return within(got, w.between)
            return "value" in outcomes[i] and self.same(got, outcomes[i]["value"], cases[i][1])

        return judge_outcomes(self, result, [label for label, _ in cases], right, like, wrongs)

    def _wrong_outcomes(self, wrong, cases):
        if wrong.between is not None:
            return []
        if self.kind == "value":
            return [{"value": probe.output(self.probe_kind, wrong.answer, case)}
                    for _, case in cases]
        return probe.outcomes(self.probe_kind, wrong.answer, [case for _, case in cases])

    def judge(self, answer, rng=None):
        """The verdict on an answer given as a Python object, in this process (for the
        question tables' own tests: references and known wrong answers)."""
        if self.kind == "text":
            raise GradingError(f"question {self.id!r} is answered in words and graded by "
                               "hand; there is nothing to check")
        cases = self.grading_cases(rng)
        result = {"callable": callable(answer),
                  "outcomes": probe.outcomes(self.probe_kind, answer,
                                             [case for _, case in cases])}
        return self.judge_result(result, cases)


def _short_argument(x):
    """A test argument as a learner reads it: functions by their formula, numbers briefly."""
    if hasattr(x, "text") and callable(x):
        return x.text
    if isinstance(x, float):
        return f"{x:.4g}"
    if hasattr(x, "__array__"):  # a NumPy array
        return f"array of shape {x.shape}"
    return repr(x)


@dataclass(frozen=True)
class Exercise:
    """An exercise: its name (the notebook's name), title and questions, in order, and
    its per-learner ``variants`` (a Variants, or None: everyone answers the same)."""

    name: str
    title: str
    questions: tuple
    variants: Variants | None = None

    def __post_init__(self):
        ids = [q.id for q in self.questions]
        if len(set(ids)) != len(ids):
            raise GradingError(f"exercise {self.name!r} has two questions with one id")
        if self.variants is not None and not self.variants.count >= 1:
            raise GradingError(f"exercise {self.name!r}: variants.count must be at least 1")

    @property
    def variant_count(self):
        """How many variants are built besides variant 0 (0: the exercise has none)."""
        return self.variants.count if self.variants else 0

    def variant_of(self, student):
        """The variant of the learner with the id student: 1 to variant_count, from a
        hash of the exercise's name and the id (0 if the exercise has no variants)."""
        return variant_of(self.name, self.variant_count, student)

    def numbers(self, variant):
        """The numbers of a variant (variant 0: the source notebook's)."""
        if variant == 0 or not self.variants:
            return dict(self.variants.default) if self.variants else {}
        if not 1 <= variant <= self.variants.count:
            raise GradingError(f"exercise {self.name!r} has no variant {variant}")
        return self.variants.draw(random.Random(f"{self.name}/{variant}"))

    def variant(self, variant):
        """The exercise as a learner of that variant answers it (itself for variant 0)."""
        if variant == 0 or not self.variants:
            return self
        questions = tuple(self.variants.questions(self.numbers(variant)))
        if [q.id for q in questions] != [q.id for q in self.questions]:
            raise GradingError(f"exercise {self.name!r}: variants.questions must give the "
                               "same questions, in the same order, for every variant")
        return Exercise(self.name, self.title, questions, self.variants)

    def replacements(self, variant):
        """The source notebook's text -> the variant's, for each piece that differs."""
        if variant == 0 or not self.variants:
            return {}
        return dict(self.variants.text(self.numbers(variant)))

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
