"""The check data a learner holds does not give the value answers away (issue 22).

A value answer's check data is its grid and a slow salted hash (grading/sealed.py). These
tests brute-force the shipped data of every built-in value question, in every variant, the
way an attacker would (the "nice" numbers first, then every rounding bucket out from 0):
they count the candidates tried before the answer, measure the CPU cost of one hash, and
report the CPU time the recovery takes (the goal: an hour or more per variant). Questions
whose data could not be made that costly (a count, a small integer, a wide tolerance) hold
no hash at all: only the answer's form.
"""

import json
import math
import time

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from adlearn.errors import GradingError
from adlearn.grading import course, probe, sealed
from adlearn.grading.check import CHECKS, check_data
from adlearn.grading.judge import in_order
from adlearn.grading.questions import Question, Wrong, close

NAMES = course.names("exercises")


def shipped(name):
    return json.loads((CHECKS / f"{name}.json").read_text(encoding="utf-8"))


def variant_data(data, k):
    """Each question's check data in variant k (0: the source's)."""
    found = dict(data["questions"])
    if k:
        found.update(data["variants"][k - 1]["questions"])
    return found


def sealed_questions():
    """(exercise, variant, question, its check data) of every sealed value answer a learner
    may be given (variant 0 of an exercise with variants is the tutorials' and no one's)."""
    for name in NAMES:
        exercise, data = course.exercise(name, "exercises"), shipped(name)
        variants = range(1, exercise.variant_count + 1) if exercise.variant_count else [0]
        for k in variants:
            for q in exercise.variant(k).questions:
                if q.kind == "value" and "accepted" in variant_data(data, k)[q.id]:
                    yield name, k, q, variant_data(data, k)[q.id]


def cpu_seconds_per_hash():
    """The CPU time of one slow hash, the best of three (this machine, now)."""
    times = []
    for _ in range(3):
        start = time.process_time()
        sealed.slow_hash("salt", [1.2345], [["r", 0.0]], 1e-4)
        times.append(time.process_time() - start)
    return min(times)


def test_every_sealed_answer_costs_at_least_an_hour_of_cpu_to_recover_from_the_shipped_data():
    cost = cpu_seconds_per_hash()
    assert cost < 1.0  # the learner's one check: one hash, under a second
    least = {}
    for name, k, q, data in sealed_questions():
        answer = data_value(q)
        # the shipped grid is the one the count below walks (the data, not the table)
        assert data["accepted"]["grid"] == sealed.grid(answer, q.tolerance)
        hours = sealed.attack_position(answer, q.tolerance) * cost / sealed.HOUR
        key = f"{name}.{q.id}"
        least[key] = min(least.get(key, math.inf), hours)
    assert least, "no sealed value answers found"
    report = ", ".join(f"{key} {hours:,.1f} h" for key, hours in sorted(least.items()))
    print(f"\none slow hash: {cost:.3f} s of CPU; the least CPU time to recover an answer, "
          f"over every variant: {report}")
    assert min(least.values()) >= 1.0, report


def data_value(q):
    """The reference's answer as the build sealed it (what the probe reads of it)."""
    value = probe.output(q.probe_kind, q.reference, q.public_cases()[0][1])
    return in_order(value) if q.compare == "sorted" else value


def test_the_shipped_hash_accepts_the_answer_and_no_nice_number_falls_in_its_buckets():
    """One variant per question, hashed for real: the reference matches its own data;
    and none of the nice numbers lies within the tolerance of any of its numbers (so
    the attacker's first list finds nothing)."""
    seen = set()
    for name, k, q, data in sealed_questions():
        answer = data_value(q)
        for x in sealed.numbers(answer):
            mode = "r" if abs(x) >= 1 else "a"
            near = sealed._nice_index(x, mode, q.tolerance)
            assert near is None or len(sealed.numbers(answer)) > 1, (name, k, q.id, x)
        if (name, q.id) in seen:
            continue
        seen.add((name, q.id))
        assert sealed.matches(answer, data["accepted"], data["salt"], q.tolerance)
        nudged = _nudged(answer, 3 * q.tolerance)
        assert not sealed.matches(nudged, data["accepted"], data["salt"], q.tolerance)


def _nudged(value, by):
    """value with its first number moved by a relative (or absolute, below 1) amount."""
    done = [False]

    def walk(v):
        if isinstance(v, bool) or done[0]:
            return v
        if isinstance(v, (int, float)):
            done[0] = True
            return v + by * max(1.0, abs(v))
        if isinstance(v, list):
            return [walk(x) for x in v]
        if isinstance(v, dict):
            return {key: walk(v[key]) for key in sorted(v)}
        return v
    return walk(value)


def test_questions_checked_by_their_form_ship_neither_the_answer_nor_a_hash_of_it():
    found = 0
    for name in NAMES:
        exercise, data = course.exercise(name, "exercises"), shipped(name)
        for k in range(exercise.variant_count + 1):
            for q in exercise.variant(k).questions:
                if q.instant != "form":
                    continue
                found += 1
                item = variant_data(data, k)[q.id]
                assert "accepted" not in item and "form" in item
                assert item["form"] == sealed.form(data_value(q))
    assert found >= 6


@settings(max_examples=60, deadline=None)
@given(st.floats(-1e6, 1e6), st.floats(-0.9, 0.9), st.sampled_from([1e-9, 1e-6, 1e-4, 0.05]))
def test_a_sealed_value_accepts_what_the_grader_accepts_and_refuses_what_it_refuses(r, t, tol):
    """Any value within the tolerance of the answer falls into its buckets, across every
    edge (the grid is centred on the answer), and a value three tolerances away does not.
    (Near 1, where close() turns from absolute to relative, the check is a step stricter.)"""
    assume(abs(abs(r) - 1) > 4 * tol)
    cells = sealed.grid([r], tol)
    accepted = sealed.fast_hash("s", [r], cells, tol)
    scale = tol * max(1.0, abs(r))
    inside = r + t * scale / (1 + tol)
    assert close(inside, r, tol) and sealed.fast_hash("s", [inside], cells, tol) == accepted
    far = r + (3 + abs(t)) * scale
    assert not close(far, r, tol) and sealed.fast_hash("s", [far], cells, tol) != accepted


def test_the_build_refuses_a_sealed_answer_that_is_cheap_to_recover():
    """A round number (or one the nice list holds) with check data that would give it
    away: the build stops and says to check the question by its form."""
    q = Question("round", 1, "value", answer="x", reference=6.0, tolerance=1e-4,
                 wrong=(Wrong(5.0, "a"), Wrong(7.0, "b")))
    with pytest.raises(GradingError, match='CPU hours.*instant="form"'):
        check_data(q, "salt")
    hidden = Question("hidden", 1, "value", answer="x", reference=math.pi * 37.1,
                      tolerance=1e-6, wrong=(Wrong(5.0, "a"), Wrong(7.0, "b")))
    assert "accepted" in check_data(hidden, "salt", cache={})
    with pytest.raises(GradingError, match="predicate"):
        Question("wide", 1, "value", answer="x", reference=1e-5, compare=lambda h: h > 0,
                 wrong=(Wrong(0.0, "a"), Wrong(-1.0, "b")))
    with pytest.raises(GradingError, match="instant"):
        Question("f", 1, "function", answer="f", reference=abs, cases=((1,),),
                 random_case=lambda rng: (1,), instant="form",
                 wrong=(Wrong(abs, "a"), Wrong(abs, "b")))
