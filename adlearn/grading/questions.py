"""How an exercise declares its questions, and how outputs are judged against them.

A ``Question`` is one graded item of an exercise notebook. Its ``kind`` says what the
learner gives:

- ``"value"``: a number (or a tuple, list, dict of them) bound to a name in the notebook
  (the question's ``answer``, such as ``h_best``);
- ``"function"``: a function of that name, which is called on the public ``cases``,
  the ``hidden`` ones and fresh random ones (so a hard-coded answer fails);
- ``"text"``: a written explanation in a markdown cell, graded by hand (never checked).

The question tables, with their references, live with the instructor's sources
(``exercises/source/<name>/questions.py``), never in the installed package. Judging
works on data (``probe.py``): the learner's outputs are compared with the reference's
on the same cases, and a failed answer that behaves like a known wrong one (``Wrong``)
gets that one's hint, any other the question's generic ``hint``. The expected answer
itself is never shown; the learner's own output on a failed case is.
"""

import hashlib
import json
import inspect
import math
import numbers
import random
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import GradingError
from . import probe
from .rules import Rule
from .marks import FAILED, NO_RESULT, NOT_ANSWERED, PASSED

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
class Test:
    """The outcome of one test of an answer: what was tried and whether it passed."""

    label: str
    passed: bool
    problem: str = ""  # why it failed, in the learner's words, never the expected answer


@dataclass(frozen=True)
class Verdict:
    """Every test of one answer, the hint to show if any failed, the status, and which
    known mistake it matched (its number in the question's ``wrong``, from 1; 0: none)."""

    tests: tuple
    hint: str = ""
    status: str = ""
    mistake: int = 0

    @property
    def passed(self):
        return all(t.passed for t in self.tests) and self.status in ("", PASSED)

    @property
    def detail(self):
        """The hint, and what the learner's code returned on the first failed test."""
        shown = next((t for t in self.tests if not t.passed
                      and t.problem.startswith("returned")), None)
        where = f" (on {shown.label} your code {shown.problem})" if shown else ""
        return f"Hint: {self.hint}{where}" if self.hint else ""


def close(got, expected, tolerance=1e-9):
    """Whether got equals expected: numbers within a relative tolerance, arrays (wire
    form) shape first, then entry by entry, containers entry by entry, anything else by
    ``==``."""
    if probe.is_array(expected):
        got = probe.array_form(got)
        return (got is not None and got["shape"] == expected["shape"]
                and close(got["array"], expected["array"], tolerance))
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


def in_order(got):
    """A list of numbers sorted (so any listing order is accepted); else as it is."""
    if isinstance(got, list) and all(isinstance(g, (int, float)) and not isinstance(g, bool)
                                     for g in got):
        return sorted(got)
    return got


def order_kind(order, case):
    """What a proposed topological order (node indices of the case's graph) gets right
    or wrong, in one word: ok, reversed, duplicates, ..."""
    graph = case.get("graph", [])
    if not isinstance(order, list) or not all(isinstance(n, dict) and set(n) == {"node"}
                                              for n in order):
        return "not a list of the graph's nodes"
    ids = [n["node"] for n in order]
    needed = _ancestors(graph, case["args"][0]["node"])
    if len(set(ids)) < len(ids):
        return "duplicates"
    if set(ids) != needed:
        return "missing or extra nodes"
    position = {n: i for i, n in enumerate(ids)}
    edges = [(c, n) for n in ids for c in graph[n].get("in", [])]
    if all(position[c] < position[n] for c, n in edges):
        return "ok"
    if all(position[c] > position[n] for c, n in edges):
        return "reversed"
    return "input after its node"


def _ancestors(graph, output):
    found, stack = set(), [output]
    while stack:
        n = stack.pop()
        if n not in found:
            found.add(n)
            stack.extend(graph[n].get("in", []))
    return found


COMPARISONS = {  # name -> how an output is prepared before close() compares it
    "close": lambda got, case: got,
    "sorted": lambda got, case: in_order(got),
    "order": order_kind,
}


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
        wrongs = [(self._wrong_outcomes(w, cases), w) for w in self.wrong]

        def right(got, i):
            return "value" in expected[i] and self.same(got, expected[i]["value"], cases[i][1])

        def like(got, i, wrong):
            outcomes, w = wrong
            if w.between is not None:
                return _within(got, w.between)
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


def judge_outcomes(question, result, labels, right, like, wrongs):
    """The verdict on a probe's result, given right(got, i) (is the output of test i
    right?) and like(got, i, wrong) (is it the known wrong answer's?). The one judge of
    the grader and of the learner's check; ``question`` needs ``kind`` and ``answer``."""
    name = question.answer
    if not isinstance(result, dict):
        return Verdict((Test(name, False, "gave no result"),),
                       "The grader got no result for your answer: does your code change "
                       "how Jupyter shows values, or stop the kernel?", NO_RESULT)
    if result.get("missing"):
        return Verdict((Test(name, False, "is not defined"),),
                       f"`{name}` is not defined yet: write your answer in the cell above "
                       "and run it.", NOT_ANSWERED)
    outcomes = result.get("outcomes")
    if not isinstance(outcomes, list) or len(outcomes) != len(labels) or not all(
            isinstance(o, dict) for o in outcomes):
        return Verdict((Test(name, False, "gave no result"),),
                       "The grader got no result for your answer.", NO_RESULT)
    is_callable = result.get("callable") is True
    if question.kind == "function" and not is_callable:
        return Verdict((Test(name, False, "is not a function"),),
                       f"`{name}` should be a function (def {name}(...): ...), not a value.",
                       FAILED)
    if question.kind == "value" and is_callable:
        return Verdict((Test(name, False, "is a function"),),
                       f"`{name}` should be a value, not a function: compute it and bind "
                       "the result.", FAILED)
    tests, gots = [], []
    for i, (label, outcome) in enumerate(zip(labels, outcomes)):
        if "value" not in outcome:
            error = str(outcome.get("raised", "an error"))
            if error == "NotImplementedError":
                return Verdict((*tests, Test(label, False, "raised NotImplementedError")),
                               f"`{name}` is not written yet: replace "
                               "`raise NotImplementedError()` with your code.", NOT_ANSWERED)
            message = str(outcome.get("message", ""))[:200]
            return Verdict((*tests, Test(label, False, f"raised {error}")),
                           f"Your function raised {error} ({message}) on the test {label}.",
                           FAILED)
        got = outcome["value"]
        try:  # the outputs came from the learner's kernel: any JSON at all
            ok = right(got, i)
        except Exception:
            ok = False
        shown = "" if ok or question.kind == "value" else f"returned {probe.short(got)}"
        tests.append(Test(label, ok, shown))
        gots.append(got)
    if all(t.passed for t in tests):
        return Verdict(tuple(tests), status=PASSED)
    if question.kind == "value" and isinstance(gots[0], str):
        return Verdict(tuple(tests), f"`{name}` is text ({gots[0]!r}): write the value "
                                     "itself, without quotes.", FAILED)
    for number, wrong in enumerate(wrongs, 1):
        try:
            if all(like(got, i, wrong) for i, got in enumerate(gots)):
                return Verdict(tuple(tests), wrong[1].hint if isinstance(wrong[1], Wrong)
                               else wrong[1], FAILED, number)
        except Exception:
            continue
    return Verdict(tuple(tests), question.hint, FAILED)


def _within(got, between):
    low, high = between
    return (isinstance(got, (int, float)) and not isinstance(got, bool)
            and (low is None or got >= low) and (high is None or got <= high))


def _short_argument(x):
    """A test argument as a learner reads it: functions by their formula, numbers briefly."""
    if hasattr(x, "text") and callable(x):
        return x.text
    if isinstance(x, float):
        return f"{x:.4g}"
    if hasattr(x, "__array__"):  # a NumPy array
        return f"array of shape {x.shape}"
    return repr(x)


def variant_of(name, count, student):
    """The variant of the exercise name (with count variants) for the learner with the id
    student: 1 to count, from a hash of the two (0 if the exercise has no variants). No
    learner is given variant 0, the numbers the source notebook and the tutorials show."""
    if not count:
        return 0
    if not str(student or "").strip():
        raise GradingError(f"the exercise {name!r} comes in a variant for each learner: "
                           "give the learner's student id (--student ID)")
    text = f"{name}\n{str(student).strip()}"  # an id from a file name may hold any byte
    key = hashlib.sha256(text.encode("utf-8", "surrogateescape")).digest()
    return 1 + int.from_bytes(key[:8], "big") % count


def for_variant(nb, replacements):
    """A copy of a notebook (nbformat or plain JSON) with its text replaced for a variant
    (Exercise.replacements): what the learner of that variant was given."""
    nb = json.loads(json.dumps(nb))
    for cell in nb["cells"]:
        text = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        for old, new in replacements.items():
            text = text.replace(old, new)
        cell["source"] = text
    return nb


@dataclass(frozen=True)
class Variants:
    """The per-learner variants of an exercise, declared in its question table.

    ``default`` holds the numbers of the source notebook (variant 0, which the source and
    the built-in student notebook show and no learner is given); ``draw(rng)`` draws
    another set (the same keys) from a ``random.Random``; ``questions(numbers)`` makes
    the exercise's questions for a set; ``text(numbers)`` maps each piece of the source
    notebook's text that shows variant 0's numbers (in the prose, a locked setup cell)
    to the variant's. ``count`` variants (besides 0) are built in advance."""

    default: dict
    draw: Callable
    questions: Callable
    text: Callable
    count: int = 64


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
