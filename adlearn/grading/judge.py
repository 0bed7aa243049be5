"""How a learner's outputs are judged: compared with the reference's, test by test, and
summed up in one Verdict with the hint to show.

The outputs are data (``probe.py``), never the learner's objects: ``close`` compares two
of them (numbers within a relative tolerance, arrays, containers), ``COMPARISONS`` says
how an output is prepared first (sorted, or read as a topological order), and
``judge_outcomes`` turns a probe's result into the Verdict: the first test that raised,
else each test's pass or fail, with the hint of the known wrong answer the outputs match
(questions.Wrong), else the question's own. It is the one judge of the grader (which
compares with the reference's outputs, questions.py) and of the learner's instant check
(which compares with the sealed check data, check.py).
"""

import math
import numbers
from dataclasses import dataclass

from . import probe
from .marks import FAILED, NO_RESULT, NOT_ANSWERED, PASSED


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


def judge_outcomes(question, result, labels, right, like, wrongs):
    """The verdict on a probe's result, given right(got, i) (is the output of test i
    right?) and like(got, i, wrong) (is it the known wrong answer's?), each of wrongs a
    pair (what like reads, the hint it earns). The one judge of the grader and of the
    learner's check; ``question`` needs ``kind``, ``answer`` and ``hint``."""
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
                return Verdict(tuple(tests), wrong[1], FAILED, number)
        except Exception:
            continue
    return Verdict(tuple(tests), question.hint, FAILED)


def within(got, between):
    """Whether got is a number in the closed range between (low, high; None: unbounded)."""
    low, high = between
    return (isinstance(got, (int, float)) and not isinstance(got, bool)
            and (low is None or got >= low) and (high is None or got <= high))
